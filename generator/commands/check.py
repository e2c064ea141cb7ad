"""``check``: validate config, every period file and every review file; report every problem,
each period's reconciliation and what waits for review; with ``--base``, the billing diff of a
pull request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path

from generator.commands.diff import (
    BillingDiff,
    Money,
    billing_diff,
    check_tables,
    render_markdown,
    render_text,
)
from generator.commands.output import Output, Table, count, problem_lines
from generator.common.errors import DataError, Problem
from generator.common.money import format_money, rounded
from generator.common.sql import Scripts
from generator.deliver import alerts, email
from generator.read.config import Config, placeholders
from generator.render import journal
from generator.render.budgets import view
from generator.render.filters import markdown_escape, percent
from generator.warehouse import frozen
from generator.warehouse import load as loader
from generator.warehouse.budgets import RUNS_OUT, Budgets

SQL = Scripts.beside(__file__)


def check(cfg: Config, periods: Iterable[str] | None = None,
          config_file: Path | None = None) -> loader.Warehouse:
    """Load everything; the warehouse carries every problem found (none means clean).

    A clean load is also checked for what the journals need, so a PR cannot merge a period
    whose journal would not balance. Values still as ``init`` or ``migrate`` left them
    (marked ``# EDIT``) are problems, reported before what they cause in the journals.
    """
    wh = loader.load(cfg, periods)
    wh.problems = placeholders(cfg.root, config_file) + wh.problems
    if not wh.problems:
        wh.problems = journal_problems(wh) + email_problems(cfg)
    return wh


# When most of a period is flagged for one reason, it is likely the config's: what to change.
HINTS = {
    "invalid_fund_org": "their fund/orgs (such as {fund_org!r}) match none of "
                        "review.fund_org_patterns: write patterns for your ledger's fund/orgs "
                        "in data/config.yaml (docs/admin/configuration.md, review)",
    "missing_pi_email": "no tag of tags.pi_email has a value: map the tag keys your provider "
                        "writes (`openchargeback ingest FILE --explain` lists them; "
                        "docs/admin/configuration.md, tags)",
    "missing_project_id": "no tag of tags.project_id has a value: map the tag keys your "
                          "provider writes (`openchargeback ingest FILE --explain` lists them; "
                          "docs/admin/configuration.md, tags)",
    "missing_fund_org": "no tag of tags.fund_org has a value and data/projects.yaml gives none: "
                        "map your tag keys, or give each project its fund_org "
                        "(docs/admin/configuration.md, tags and data/projects.yaml)",
    "invalid_pi_email": "their PI tags (such as {pi_email!r}) are not plain email addresses: is "
                        "tags.pi_email mapped to the right key? (docs/admin/configuration.md)",
    "currency_mismatch": "their BillingCurrency ({currency}) is not currency.code in "
                         "data/config.yaml (docs/admin/configuration.md, currency)",
    "invalid_tags": "their Tags are not flat JSON objects (docs/admin/provider-exports.md)",
    "period_mismatch": "their BillingPeriodStart is another month: ingest the export again, "
                       "which places each row in its own month (docs/admin/provider-exports.md)",
}


def hints(wh: loader.Warehouse) -> list[str]:
    """One line per (period, flag) that holds more than half of the period's charges."""
    out = []
    for r in SQL.query(wh.con, "check_mostly_flagged"):
        flag = r["flag"]
        if flag.startswith("pattern:"):
            why = (f"the review.patterns rule {flag.removeprefix('pattern:')!r} matches them: "
                   "narrow it in data/config.yaml (docs/admin/configuration.md, review)")
        else:
            why = HINTS.get(flag, "see docs/admin/reviews.md").format(**r)
        out.append(f"most of {r['period']} is flagged {flag} ({r['charges']} of "
                   f"{count(r['total'], 'charge')}, "
                   f"{format_money(r['amount'], wh.cfg.currency)}): {why}")
    return out


def journal_problems(wh: loader.Warehouse) -> list[Problem]:
    """Why a journal could not be made or rendered (a finalized month's is frozen)."""
    try:
        journal.prepare(wh, [p for p in wh.periods if p not in wh.frozen])
    except DataError as exc:
        return exc.problems
    return []


def email_problems(cfg: Config) -> list[Problem]:
    """Why the email templates (the subject in the config, the bodies in site_templates/)
    could not be compiled, so a broken one fails the pull request, not the send."""
    try:
        email.templates(cfg)
        alerts.templates(cfg)
    except DataError as exc:
        return exc.problems
    return []


def budget_lines(wh: loader.Warehouse) -> list[str]:
    """Each budget past a threshold of ``budget_alerts`` as of the latest month: what it
    crossed, its figures and forecast."""
    if not wh.periods:
        return []
    cfg, period = wh.cfg, max(wh.periods)
    out = []
    for status in Budgets(wh).active(period):
        crossed = status.crossed(cfg.budget_alerts.thresholds, cfg.budget_alerts.runs_out)
        if not crossed:
            continue
        b = view(status, cfg)
        money = partial(format_money, currency=cfg.currency)
        line = (f"{period} budget of {b['label']}: spent {money(b['spent'])} of "
                f"{money(b['amount'])} ({percent(b['share'])})")
        passed = [c for c in crossed if c != RUNS_OUT]
        if passed:
            line += f", past {passed[-1]}"
        if RUNS_OUT in crossed and b["monthly"]:
            line += "; at this rate a month costs more than its budget"
        elif RUNS_OUT in crossed:
            line += "; runs out before the award ends" + (
                f": at this rate it lasts until {b['runs_out']}, the award ends {b['end']}"
                if b["runs_out"] else f": used up in {b['used_up']}" if b["used_up"] else "")
        out.append(line)
    return out


@dataclass
class Report:
    warehouse: loader.Warehouse
    diff: BillingDiff | None

    @property
    def problems(self) -> list[Problem]:
        return self.warehouse.problems


def run(cfg: Config, base: str | None = None, config_file: Path | None = None) -> Report:
    """Check the repository, and compare its billing with ``base`` when given."""
    wh = check(cfg, config_file=config_file)
    diff = billing_diff(cfg, wh, base, config_file) if base is not None else None
    return Report(wh, diff)


def text(report: Report) -> Output:
    """The check as terminal lines: per period input, billed, pending and rejected (to the
    cent; exact in build/reconciliation.csv), what is pending review, the billing diff;
    ``check passed`` when there is no problem."""
    wh = report.warehouse

    def money(amount: Decimal) -> str:
        return format_money(amount, wh.cfg.currency)

    output = Output()
    for r in wh.reconciliation():
        output.say(
            f"{r['period']}: {count(r['input_rows'], 'charge')}, input "
            f"{money(r['input_total'])}: billed {money(r['billed'])}, pending review "
            f"{money(r['pending'])}, rejected {money(r['rejected'])}"
        )
        if rounded(r["billed"], wh.cfg.currency) != r["billed_rounded"]:
            output.say(f"  statements bill {money(r['billed_rounded'])}: each line is rounded "
                       "to the cent, then added up")
    for row in wh.query("pending_by_flag"):
        output.say(
            f"  {row['period']} pending review, {row['flag']}: "
            f"{count(row['charges'], 'charge')}, {money(row['amount'])}"
        )
    for line in budget_lines(wh):
        output.say(line)
    for hint in hints(wh):
        output.say(f"hint: {hint}")
    if report.diff is not None:
        output.say("")
        output.say(render_text(report.diff))
    for note in wh.notes:
        output.warn(f"note: {note}")
    if not report.problems:
        output.say("check passed")
    return output


def markdown(report: Report) -> str:
    """The check as GitHub/GitLab-flavoured Markdown, for a pull-request comment."""
    cfg = report.warehouse.cfg
    text = render_markdown(check_tables(cfg, report.warehouse), report.diff, report.problems,
                           f"OpenChargeback: {cfg.organization['name']}")
    return text + "".join(f"\n> **Budget:** {markdown_escape(b)}\n"
                          for b in budget_lines(report.warehouse)) + "".join(
        f"\n> **Hint:** {markdown_escape(h)}\n" for h in hints(report.warehouse))


def main(cfg: Config, base: str | None, fmt: str, config_file: Path | None,
         rederive: bool = False) -> Output:
    """``check`` as printed: text or Markdown, then every problem (exit 1); with
    ``rederive``, what finalized months would be if derived again today."""
    if rederive:
        return rederived(cfg)
    report = run(cfg, base, config_file)
    output = Output()
    if fmt == "markdown":
        output.say(markdown(report))
    else:
        output.extend(text(report))
    output.extend(problem_lines(report.problems))
    return output


def rederived(cfg: Config) -> Output:
    """Each finalized month derived again from its files with today's config, registry,
    rates and code, against its frozen record: what would differ, per period and per PI and
    project. A report: nothing is changed (a correction in an open month changes money)."""
    kept = loader.load(cfg)
    if kept.problems:
        raise DataError(kept.problems)
    output = Output()
    if not kept.frozen:
        output.say("no finalized month has a frozen record: nothing to derive again")
        return output
    again = loader.load(cfg, rederive=True)
    money = Money(cfg)
    files = {t: [str(frozen.table_file(cfg, p, t)) for p in kept.frozen]
             for t in ("reconciliation", "statement_lines")}
    periods = SQL.query(again.con, "rederive_periods", reconciliation=files["reconciliation"])
    amounts = SQL.query(again.con, "rederive_amounts", periods=kept.frozen,
                        lines=files["statement_lines"])
    output.say(f"Derived again with today's settings and code ({', '.join(kept.frozen)}); "
               "nothing was changed:")
    for r in periods:
        output.say(f"  {r['period']}: billed {money.change(r['frozen_billed'], r['today_billed'])}"
                   f", pending {money.change(r['frozen_pending'], r['today_pending'])}, "
                   f"rejected {money.change(r['frozen_rejected'], r['today_rejected'])}")
    for problem in again.problems:
        output.say(f"  would be a problem: {problem}")
    if amounts:
        output.table(Table(["period", "PI", "project", "frozen", "today"], [
            [r["period"], r["pi_email"] or "(no PI)", r["project_id"] or "(no project)",
             money(r["frozen"]), money(r["today"])] for r in amounts],
            kinds={"frozen": "amount", "today": "amount"}))
        output.say(f"{count(len(amounts), 'statement')} would differ. A finalized month never "
                   "changes: put a change of money in an open month with `openchargeback "
                   "correct`.")
    else:
        output.say("No statement of a finalized month would differ.")
    return output
