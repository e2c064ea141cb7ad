"""The delivery log, periods/YYYY-MM/deliveries.yaml: what `send` emailed for a period.

Each entry is one message to one PI and what became of it (see ``generator.deliver``): under
``deliveries``, the period's statements; under ``alerts``, a budget's alert (its ``budget``
and the ``alerts`` it told of, such as ``80%`` or ``runs out``).
``sending`` and ``unconfirmed`` mean it may have arrived; ``sent`` that the server took it;
``failed`` that it did not. The log is read here (the site and ``show`` report it) and
written by ``generator.deliver``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from generator.common.errors import DataError, Problem
from generator.read.config import Config
from generator.read.layout import delivery_log
from generator.read.yamlfile import STR_OR_LIST, as_tuple, check_schema, load_yaml

# Status of a log entry. ``sending`` and ``unconfirmed``: the message may have arrived.
STATUSES = ("sending", "sent", "failed", "unconfirmed")
ENTRY_SCHEMA = {
    "recipient": str,
    "status": str,
    "sent_at": str,
    "message_id": str,
    "attempts": int,
    "error": str,
    "bcc_refused": STR_OR_LIST,
}
LOG_SCHEMA = {
    "deliveries": [{**ENTRY_SCHEMA,
                    "statements": [{"file": str, "sha256": str, "charges_sha256": str}]}],
    "alerts": [{**ENTRY_SCHEMA, "budget": str, "alerts": [str]}],
}


@dataclass
class Delivery:
    """One entry of the delivery log: one message to one PI, and what became of it."""

    recipient: str
    status: str
    message_id: str
    statements: list[dict[str, str]]  # [{file, sha256, charges_sha256}] per attachment
    sent_at: str | None = None  # when the server accepted it (or the attempt ended)
    attempts: int = 0
    error: str | None = None
    bcc_refused: list[str] = field(default_factory=list)
    budget: str | None = None  # an alert: the budget's key (``Budget.key``)
    alerts: list[str] = field(default_factory=list)  # an alert: what it told (80%, runs out)
    _yaml: tuple[tuple[Any, ...], str] | None = field(default=None, init=False, repr=False,
                                                       compare=False)

    def as_yaml(self) -> dict[str, Any]:
        fields = {"recipient": self.recipient, "status": self.status,
                  "message_id": self.message_id, "budget": self.budget,
                  "alerts": self.alerts, "statements": self.statements,
                  "sent_at": self.sent_at, "attempts": self.attempts, "error": self.error,
                  "bcc_refused": self.bcc_refused}
        return {k: v for k, v in fields.items() if v not in (None, [], 0)}

    def yaml_item(self) -> str:
        """This entry as a YAML list item. The log is rewritten after every message, so the
        text is kept and dumped again only when the outcome changed (recipient, Message-ID
        and statements are fixed when the entry is made): a run stays linear in PIs."""
        outcome = (self.status, self.sent_at, self.attempts, self.error,
                   tuple(self.bcc_refused))
        if self._yaml is None or self._yaml[0] != outcome:
            text = yaml.safe_dump([self.as_yaml()], sort_keys=False, allow_unicode=True,
                                  width=100)
            self._yaml = (outcome, text)
        return self._yaml[1]


def read_log(cfg: Config, period: str) -> list[Delivery]:
    """Every statement entry of periods/YYYY-MM/deliveries.yaml, oldest first ([] if none)."""
    return _read(cfg, period)["deliveries"]


def read_alerts(cfg: Config, period: str) -> list[Delivery]:
    """Every budget alert entry of periods/YYYY-MM/deliveries.yaml, oldest first."""
    return _read(cfg, period)["alerts"]


def _read(cfg: Config, period: str) -> dict[str, list[Delivery]]:
    path = delivery_log(cfg, period)
    if not path.is_file():
        return {"deliveries": [], "alerts": []}
    shown = f"periods/{period}/deliveries.yaml"
    raw = load_yaml(path, shown) or {}
    problems: list[Problem] = []
    raw = check_schema(raw, LOG_SCHEMA, "", problems, shown)
    sections = {s: (raw.get(s) or [] if isinstance(raw, dict) else [])
                for s in ("deliveries", "alerts")}
    for section, entries in sections.items():
        required = ("recipient", "status", "message_id") + (
            ("budget",) if section == "alerts" else ())
        for i, entry in enumerate(entries):
            if entry is None:  # another type is reported by check_schema
                problems.append(Problem(shown, f"{section}[{i}]: empty; remove it"))
            elif isinstance(entry, dict):
                _check(entry, f"{section}[{i}]", required, shown, problems)
    if problems:
        raise DataError(problems)
    return {section: [
        Delivery(
            recipient=str(e["recipient"]).lower(),
            status=e["status"],
            message_id=e["message_id"],
            statements=list(e.get("statements") or []),
            sent_at=e.get("sent_at"),
            attempts=e.get("attempts", 0),
            error=e.get("error"),
            bcc_refused=list(as_tuple(e.get("bcc_refused"))),
            budget=e.get("budget"),
            alerts=[str(a) for a in e.get("alerts") or []],
        )
        for e in entries if isinstance(e, dict)
    ] for section, entries in sections.items()}


def _check(entry: dict[str, Any], key: str, required: tuple[str, ...], shown: str,
           problems: list[Problem]) -> None:
    for name in required:
        if not entry.get(name):
            problems.append(Problem(shown, f"{key}.{name}: required"))
    if entry.get("status") and entry["status"] not in STATUSES:
        problems.append(Problem(
            shown, f"{key}.status: {entry['status']!r}; use one of {', '.join(STATUSES)}"))
    if isinstance(entry.get("sent_at"), str):
        try:
            datetime.fromisoformat(entry["sent_at"])
        except ValueError:
            problems.append(Problem(shown, f"{key}.sent_at: {entry['sent_at']!r} is not a "
                                           "time like 2026-11-03T09:12:44+00:00"))


def latest(entries: Sequence[Delivery]) -> dict[str, Delivery]:
    """The last entry per recipient: where each PI stands."""
    return {e.recipient: e for e in entries}


def history(cfg: Config, pi_email: str, periods: Sequence[str]) -> list[tuple[str, Delivery]]:
    """Every logged message to ``pi_email`` in ``periods``, oldest first."""
    email = pi_email.strip().lower()
    return [(p, e) for p in periods for e in read_log(cfg, p) if e.recipient == email]


