"""Stage: budget alerts, emailed to each PI once per threshold crossed.

As of the month that ``send -p YYYY-MM`` sends, every budget of the registry that the month
is in (``warehouse.budgets``) is held against ``budget_alerts`` in the config: each
percentage of the budget spent to date (default 50, 80 and 100) and, with ``runs_out``, a
forecast that at the burn rate the budget runs out before the award ends. Each PI billed
against the budget up to that month (and a project's PI in the registry) gets one message
telling what the budget newly crossed, with its figures and forecast
(site_templates/budget_alert.txt.j2 and budget_alert.html.j2), and the billing staff in Bcc:
``site.staff`` and ``email.bcc``, each address once.

Once per threshold. Each message is logged under ``alerts:`` in the month's delivery log
(periods/YYYY-MM/deliveries.yaml) with the budget's key and what it told, written before and
after it is handed to the server as statements are (``email.deliver``). What the log of any
month records as ``sent``, ``sending`` or ``unconfirmed`` is never told to that PI about that
budget again, whichever month is sent next; a ``failed`` alert is told by the next run. A
changed amount, award period or sources make another budget (its key), whose thresholds are
told anew. A monthly budget's thresholds are the month's: only that month's log counts.
Without an SMTP host, or with ``--dry-run``, the messages are written to
build/emails/YYYY-MM/alerts/ and nothing is logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypedDict

from generator.common.errors import DataError, Problem
from generator.deliver import email, smtp
from generator.read.config import SENDER_HINT, Config
from generator.read.deliveries import Delivery, read_alerts, read_log
from generator.render.budgets import BudgetView, view
from generator.render.naming import alert_eml_name, page_url
from generator.render.site import pi_links
from generator.warehouse.budgets import RUNS_OUT, Budgets
from generator.warehouse.load import Warehouse

TEMPLATES = ("budget_alert.txt.j2", "budget_alert.html.j2")
TOLD = ("sent", "sending", "unconfirmed")  # an alert that was, or may have been, told


@dataclass
class Alert:
    """One PI's message about one budget: what it crossed that was not told before."""

    pi_email: str
    budget: BudgetView
    crossed: list[str]  # told by this message: "50%", "80%", "runs out"
    bad_address: str | None = None
    message_id: str = ""
    message: EmailMessage | None = None


class AlertContext(TypedDict):
    organization: dict[str, str | None]  # name, contact, address
    period: str
    pi_name: str
    pi_email: str
    budget: BudgetView
    crossed: list[str]  # newly crossed: percentages, then "runs out"
    passed: str | None  # the highest percentage newly crossed
    runs_out: bool  # newly forecast to run out before the award ends
    pi_url: str | None


@dataclass
class Report:
    period: str
    mode: str  # "smtp", "eml" (no SMTP host configured) or "dry-run"
    due: list[Alert] = field(default_factory=list)
    sent: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    unconfirmed: list[Delivery] = field(default_factory=list)
    current: int = 0  # PIs of budgets past a threshold, every one told before
    written: list[Path] = field(default_factory=list)
    aborted: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unconfirmed or self.aborted)


def told(cfg: Config, periods: Sequence[str]) -> dict[tuple[str, str, str], set[str]]:
    """What the months' logs record as told, by (month of the log, budget key, PI)."""
    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for month in periods:
        for entry in read_alerts(cfg, month):
            if entry.status in TOLD and entry.budget:
                found[month, entry.budget, entry.recipient].update(entry.alerts)
    return found


def plan(wh: Warehouse, period: str, only: Sequence[str] = ()) -> tuple[list[Alert], int]:
    """The alerts due as of ``period`` (for the PIs in ``only``, when given), and how many
    PIs of budgets past a threshold were told everything before."""
    cfg = wh.cfg
    settings = cfg.budget_alerts
    before = told(cfg, wh.periods)
    due, current = [], 0
    for status in Budgets(wh).active(period):
        crossed = status.crossed(settings.thresholds, settings.runs_out)
        if not crossed:
            continue
        shown = view(status, cfg)
        months = [period] if status.monthly else wh.periods
        for pi in status.pis:
            if only and pi not in only:
                continue
            known = set().union(*(before.get((m, shown["key"], pi), set()) for m in months))
            new = [c for c in crossed if c not in known]
            if new:
                due.append(Alert(pi, shown, new, email.address_problem(pi)))
            else:
                current += 1
    return due, current


def message_id(cfg: Config, period: str, alert: Alert) -> str:
    """Derived from the budget, the PI and what is told: the same alert, the same ID."""
    digest = hashlib.sha256("\0".join(
        [alert.budget["key"], alert.pi_email, *alert.crossed]).encode()).hexdigest()
    domain = cfg.email.envelope_sender.rpartition("@")[2] or "openchargeback.invalid"
    return f"<{period}.alert.{digest[:24]}@{domain}>"


def context(cfg: Config, period: str, alert: Alert, pi_url: str | None) -> AlertContext:
    percents = [c for c in alert.crossed if c != RUNS_OUT]
    return AlertContext(
        organization={"name": "", "contact": None, "address": None, **cfg.organization},
        period=period,
        pi_name=cfg.person_name(alert.pi_email),
        pi_email=alert.pi_email,
        budget=alert.budget,
        crossed=alert.crossed,
        passed=percents[-1] if percents else None,
        runs_out=RUNS_OUT in alert.crossed,
        pi_url=pi_url,
    )


def templates(cfg: Config) -> email.Templates:
    """The subject (``budget_alerts.subject``) and both bodies, compiled."""
    return email.templates(cfg, cfg.budget_alerts.subject, "budget_alerts.subject", TEMPLATES)


def staff(cfg: Config) -> list[str]:
    """Who gets every alert in Bcc: the site's staff and ``email.bcc``, each once."""
    return list(dict.fromkeys([*cfg.site.staff, *(a.lower() for a in cfg.email.bcc)]))


def send(wh: Warehouse, period: str, *, dry_run: bool = False, only: Sequence[str] = (),
         retry_seconds: Sequence[float] = smtp.RETRY_SECONDS,
         sleep: Callable[[float], None] = time.sleep, **_: Any) -> Report:
    """Tell each PI what their budgets newly crossed as of ``period``; see the module doc.
    Every message is rendered before the first is sent."""
    cfg = wh.cfg
    s = cfg.email
    if not s.sender:
        raise DataError([Problem("data/config.yaml", f"email.from: missing; {SENDER_HINT}")])
    mode = "dry-run" if dry_run else "smtp" if s.smtp else "eml"
    with email.lock(cfg, period) if mode == "smtp" else contextlib.nullcontext():
        report = Report(period, mode)
        report.due, report.current = plan(wh, period, [o.strip().lower() for o in only])
        compiled = templates(cfg)
        pages = pi_links(wh) if s.site_url and report.due else {}
        now = datetime.now(UTC)
        for alert in report.due:
            alert.message_id = message_id(cfg, period, alert)
            if not alert.bad_address:
                url = page_url(s.site_url, pages[alert.pi_email]) \
                    if s.site_url and alert.pi_email in pages else None
                alert.message = email.compose(s, compiled, context(cfg, period, alert, url),
                                              alert.pi_email, alert.message_id, now)
        if mode != "smtp":  # in the folder the statements' messages were just written to
            named = [(alert_eml_name(a.pi_email, a.budget["name"], a.budget["key"]), a.message)
                     for a in report.due if a.message]
            if named:
                report.written = email.write_messages(
                    cfg.build_dir / "emails" / period / "alerts", named)
            return report
        assert s.smtp is not None
        if report.due:
            with smtp.Client(s.smtp, retry_seconds, sleep) as client:
                deliver(cfg, period, client, report)
    return report


def deliver(cfg: Config, period: str, client: smtp.Client, report: Report) -> None:
    """Hand each alert to the server, logging it (under ``alerts:``) before and after."""
    logs = (read_log(cfg, period), read_alerts(cfg, period))
    bcc = staff(cfg)
    items = [(Delivery(a.pi_email, "sending", a.message_id, [], error=a.bad_address,
                       budget=a.budget["key"], alerts=a.crossed),
              a.message, [a.pi_email, *(b for b in bcc if b != a.pi_email)])
             for a in report.due]
    email.deliver_each(cfg, period, client, logs, logs[1], items, report)
