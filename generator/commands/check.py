"""``check``: validate config, every period file and every review file; report every problem,
each period's reconciliation and what waits for review; with ``--base``, the billing diff of a
pull request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from generator.commands.diff import (
    BillingDiff,
    billing_diff,
    check_tables,
    render_markdown,
    render_text,
)
from generator.commands.output import Output, count, problem_lines
from generator.common.errors import DataError, Problem
from generator.common.money import format_money, rounded
from generator.deliver import email
from generator.read.config import Config
from generator.render import journal
from generator.warehouse import load as loader


def check(cfg: Config, periods: Iterable[str] | None = None) -> loader.Warehouse:
    """Load everything; the warehouse carries every problem found (none means clean).

    A clean load is also checked for what the journals need, so a PR cannot merge a period
    whose journal would not balance.
    """
    wh = loader.load(cfg, periods)
    if not wh.problems:
        wh.problems = journal_problems(wh) + email_problems(cfg)
    return wh


def journal_problems(wh: loader.Warehouse) -> list[Problem]:
    """Why a journal could not be made or rendered."""
    try:
        journal.prepare(wh)
    except DataError as exc:
        return exc.problems
    return []


def email_problems(cfg: Config) -> list[Problem]:
    """Why the email templates (the subject in the config, the bodies in site_templates/)
    could not be compiled, so a broken one fails the pull request, not the send."""
    try:
        email.templates(cfg, cfg.email)
    except DataError as exc:
        return exc.problems
    return []


@dataclass
class Report:
    warehouse: loader.Warehouse
    diff: BillingDiff | None

    @property
    def problems(self) -> list[Problem]:
        return self.warehouse.problems


def run(cfg: Config, base: str | None = None, config_file: Path | None = None) -> Report:
    """Check the repository, and compare its billing with ``base`` when given."""
    wh = check(cfg)
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
    if report.diff is not None:
        output.say("")
        output.say(render_text(report.diff))
    if not report.problems:
        output.say("check passed")
    return output


def markdown(report: Report) -> str:
    """The check as GitHub/GitLab-flavoured Markdown, for a pull-request comment."""
    cfg = report.warehouse.cfg
    return render_markdown(check_tables(cfg, report.warehouse), report.diff, report.problems,
                           f"OpenChargeback: {cfg.organization['name']}")


def main(cfg: Config, base: str | None, fmt: str, config_file: Path | None) -> Output:
    """``check`` as printed: text or Markdown, then every problem (exit 1)."""
    report = run(cfg, base, config_file)
    output = Output()
    if fmt == "markdown":
        output.say(markdown(report))
    else:
        output.extend(text(report))
    output.extend(problem_lines(report.problems))
    return output
