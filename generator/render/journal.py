"""Render stage: a period's general-ledger journal for accounting, in three formats.

- ``gl``: double entry, laid out by a Jinja2 template (``journal.template``). The charge
  side has an entry per (fund/org, PI, project, source, account, references), built from the
  period's rounded statement lines (``sql/journal_entries.sql``); the recovery side has an
  entry per (source, account) to the source's credit fund/org, for the sum of its charge
  entries. An entry whose net is negative changes side (a debit becomes a credit).
- ``detail``: one row per statement line; ``summary``: one row per (PI, project, fund/org).

Debits equal credits by construction; they are still added up and compared. Whatever the
journal cannot do (a source with no credit fund/org, a fund/org the regex cannot parse, an
account that fails the pattern) stops it with every cause named: nothing is skipped.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

import jinja2

from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_write, replace_dir, staging_dir
from generator.common.money import Currency, format_money
from generator.common.months import month_end, month_start
from generator.common.sql import Scripts, insert
from generator.read.config import Config
from generator.render.filters import cached_environment, csv_value, template_dirs, template_problem
from generator.warehouse.load import Warehouse

SQL = Scripts.beside(__file__)
FORMATS = ("gl", "detail", "summary")
CONFIG = "data/config.yaml"


@dataclass(frozen=True)
class Settings:
    """The ``journal`` section of the config (``Config.journal``), its templates compiled."""

    template: str
    default_account: str | None
    account_pattern: str | None
    fund_org_key: str  # the config key the regexes come from, for messages
    fund_org_regexes: tuple[re.Pattern[str], ...]
    part_names: tuple[str, ...]
    description: jinja2.Template
    credit_description: jinja2.Template


@dataclass(frozen=True)
class Entry:
    """One journal line. ``amount`` is positive; ``is_debit`` says which side it is on.

    The named groups of the fund/org regex are attributes too: ``entry.fund``, ``entry.orgn``.
    """

    period: str
    kind: str  # "charge": a PI's fund/org; "recovery": the source's credit fund/org
    fund_org: str
    parts: dict[str, str | None]
    account: str
    amount: Decimal
    is_debit: bool
    source: str
    source_name: str
    pi_email: str | None
    pi_name: str | None
    project_id: str | None
    project_name: str | None
    reference_1: str | None
    reference_2: str | None
    charges: int
    reference_id: str
    description: str = ""

    @property
    def is_credit(self) -> bool:
        return not self.is_debit

    @property
    def signed_amount(self) -> Decimal:
        """Debits positive, credits negative."""
        return self.amount if self.is_debit else -self.amount

    def __getattr__(self, name: str) -> Any:
        parts = self.__dict__.get("parts") or {}
        if name in parts:
            return parts[name]
        raise AttributeError(name)


@dataclass
class Journal:
    period: str
    currency: Currency
    part_names: tuple[str, ...]
    template: str
    entries: list[Entry] = field(default_factory=list)
    zero_entries: int = 0  # charge entries whose amount nets to zero: left out, counted

    @property
    def debits(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.is_debit), Decimal(0))

    @property
    def credits(self) -> Decimal:
        return sum((e.amount for e in self.entries if e.is_credit), Decimal(0))

    def balance_line(self) -> str:
        """``12 entries, debits $1,234.50, credits $1,234.50``."""
        money = format_money
        line = (
            f"{len(self.entries)} {'entry' if len(self.entries) == 1 else 'entries'}, debits "
            f"{money(self.debits, self.currency)}, "
            f"credits {money(self.credits, self.currency)}"
        )
        if self.zero_entries:
            n = self.zero_entries
            line += f" ({n} zero-amount {'entry' if n == 1 else 'entries'} left out)"
        return line


class GLContext(TypedDict):
    period: str
    period_start: date
    period_end: date
    entries: list[Entry]
    debits: Decimal
    credits: Decimal
    part_names: tuple[str, ...]
    organization: dict[str, str]


class RowsContext(TypedDict):
    period: str
    rows: list[dict[str, Any]]


def settings(cfg: Config) -> Settings:
    """The journal section (checked with the config) with its description templates compiled
    in the renderers' environment, where an unknown filter shows."""
    j = cfg.journal
    env = cached_environment(template_dirs(cfg), cfg.currency)
    descriptions, problems = [], []
    for name in ("description", "credit_description"):
        try:
            descriptions.append(env.from_string(getattr(j, name)))
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(CONFIG, f"journal.{name}: not a valid template "
                                            f"({exc.message})"))
    if problems:
        raise DataError(problems)
    return Settings(j.template, j.default_account, j.account_pattern, j.fund_org_key,
                    j.fund_org_regexes, j.part_names, *descriptions)


def make_journal(wh: Warehouse, period: str, s: Settings | None = None) -> Journal:
    """The GL journal of ``period``; raise with every reason it cannot balance.

    ``s``: the journal settings, when the caller has read them already (``settings``).
    """
    cfg = wh.cfg
    if period in wh.frozen:
        raise UsageError(f"{period} is finalized: its journal is the one in "
                         f"periods/{period}/frozen/journal/, exported when it was finalized")
    if s is None:
        s = settings(cfg)
    sources = SQL.query(wh.con, "journal_sources", period=period)
    problems = _source_problems(cfg, s, sources, period)
    problems += _account_problems(s, SQL.query(wh.con, "journal_accounts", period=period))
    problems += _fund_org_problems(s, SQL.query(wh.con, "journal_fund_orgs", period=period), period)
    if problems:
        raise DataError(problems)

    SQL.run(wh.con, "journal_sources_table")
    accounts = []
    for row in sources:
        source = cfg.find_source(row["source"])
        assert source is not None  # checked above
        accounts.append((row["source"], source.key, source.account or s.default_account))
    insert(wh.con, "journal_sources", accounts)
    rows = SQL.query(wh.con, "journal_entries", period=period, minor_units=cfg.currency.minor_units)

    journal = Journal(period, cfg.currency, s.part_names, s.template)
    for (key, account), group in itertools.groupby(
        rows, lambda r: (r["source_key"], r["account"])
    ):
        source = cfg.source(key)
        lines = list(group)
        for r in lines:
            if r["amount"] == 0:
                journal.zero_entries += 1
                continue
            project = cfg.projects.get(r["project_id"] or "")
            journal.entries.append(_entry(
                s, period, "charge", r["fund_org"], account, r["amount"], source.key,
                source.name, r["pi_email"], cfg.person_name(r["pi_email"]), r["project_id"],
                project.name if project else None, r["reference_1"], r["reference_2"],
                r["charges"],
            ))
        net = sum((r["amount"] for r in lines), Decimal(0))
        if net == 0:
            journal.zero_entries += 1
        else:
            assert source.credit_fund_org is not None  # checked above
            journal.entries.append(_entry(
                s, period, "recovery", source.credit_fund_org, account, -net, source.key,
                source.name, None, None, None, None, None, None,
                sum(r["charges"] for r in lines),
            ))
    problems = [*_describe(s, journal), *check_balance(journal)]
    if problems:
        raise DataError(problems)
    return journal


def prepare(
    wh: Warehouse, periods: list[str] | None = None
) -> list[tuple[Journal, dict[str, str]]]:
    """Each period's journal and its rendered files, or every reason one cannot be made."""
    wanted = wh.periods if periods is None else periods
    # The journal settings, read once for every period (and not at all without a period).
    s = settings(wh.cfg) if wanted else None
    prepared, problems = [], []
    for period in wanted:
        try:
            j = make_journal(wh, period, s)
            prepared.append((j, {fmt: render(wh, j, fmt) for fmt in FORMATS}))
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(dict.fromkeys(problems))
    return prepared


def check_balance(journal: Journal) -> list[Problem]:
    """Debits must equal credits to the cent."""
    if journal.debits == journal.credits:
        return []
    return [Problem(f"{journal.period} journal",
                    f"does not balance: {journal.balance_line()}; nothing was written")]


def render(wh: Warehouse, journal: Journal, fmt: str) -> str:
    """The text of one export format of ``journal``'s period."""
    env = cached_environment(template_dirs(wh.cfg), wh.cfg.currency, finalize=csv_value)
    period = journal.period
    if fmt == "gl":
        context: GLContext | RowsContext = GLContext(
            period=period,
            period_start=month_start(period),
            period_end=month_end(period),
            entries=journal.entries,
            debits=journal.debits,
            credits=journal.credits,
            part_names=journal.part_names,
            organization=wh.cfg.organization,
        )
        name = journal.template
    elif fmt in ("detail", "summary"):
        rows = SQL.query(wh.con, f"journal_{fmt}", period=period)
        for row in rows:
            row["pi_name"] = wh.cfg.person_name(row["pi_email"])
        context = RowsContext(period=period, rows=rows)
        name = f"journal_{fmt}.csv.j2"
    else:
        raise UsageError(f"unknown journal format {fmt!r}; use {', '.join(FORMATS)}")
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound:
        raise DataError([Problem(f"site_templates/{name}",
                                 "no such template; check journal.template")]) from None
    except jinja2.TemplateError as exc:
        raise DataError([template_problem(exc, template_dirs(wh.cfg))]) from None


def write(cfg: Config, period: str, texts: dict[str, str]) -> list[Path]:
    """``build/journals/YYYY-MM/{gl,detail,summary}.csv``, swapped in as a whole folder."""
    final = cfg.build_dir / "journals" / period
    staged = staging_dir(final)
    for fmt, text in texts.items():
        (staged / f"{fmt}.csv").write_text(text, encoding="utf-8", newline="")
    replace_dir(staged, final)
    return [final / f"{fmt}.csv" for fmt in FORMATS]


def export(wh: Warehouse, period: str, fmt: str, output: Path | None) -> tuple[Path, Journal]:
    """One format of ``period`` to ``output`` (default: its place under build/journals/)."""
    if period not in wh.periods:
        raise UsageError(f"no period {period} in periods/; the periods are: "
                         f"{', '.join(wh.periods) or '(none)'}")
    if wh.problems:
        raise DataError(wh.problems)
    journal = make_journal(wh, period)
    path = output or wh.cfg.build_dir / "journals" / period / f"{fmt}.csv"
    atomic_write(path, render(wh, journal, fmt).encode("utf-8"))
    return path, journal


def _entry(s: Settings, period: str, kind: str, fund_org: str, account: str, amount: Decimal,
           source: str, source_name: str, pi_email: str | None, pi_name: str | None,
           project_id: str | None, project_name: str | None, reference_1: str | None,
           reference_2: str | None, charges: int) -> Entry:
    match = _parse(s.fund_org_regexes, fund_org)
    assert match is not None  # checked before
    parts = {name: match.groupdict().get(name) for name in s.part_names}
    key = (period, kind, fund_org, pi_email, project_id, source, account, reference_1,
           reference_2)
    reference_id = hashlib.sha256("\x1f".join(v or "" for v in key).encode()).hexdigest()[:12]
    return Entry(period, kind, fund_org, parts, account, abs(amount), amount > 0, source,
                 source_name, pi_email, pi_name, project_id, project_name, reference_1,
                 reference_2, charges, reference_id)


def _describe(s: Settings, journal: Journal) -> list[Problem]:
    """Fill in each entry's description from its template; a bad template is a problem."""
    problems: set[Problem] = set()
    for i, e in enumerate(journal.entries):
        context = {**e.parts, **vars(e)}  # shallow: asdict() deep-copies every entry
        del context["description"]
        template, key = ((s.description, "description") if e.kind == "charge"
                         else (s.credit_description, "credit_description"))
        try:
            text = template.render(context)
        except jinja2.TemplateError as exc:
            names = ", ".join(sorted(context))
            problems.add(Problem(CONFIG, f"journal.{key}: {exc.message}; the fields are {names}"))
            continue
        journal.entries[i] = replace(e, description=" ".join(text.split()))
    return sorted(problems)


def _source_problems(cfg: Config, s: Settings, sources: list[dict[str, Any]],
                     period: str) -> list[Problem]:
    problems = []
    for row in sources:
        name, n = row["source"], row["charges"]
        source = cfg.find_source(name)
        if source is None:
            problems.append(Problem(CONFIG, (
                f"sources.{name}: source {name!r} ({row['file']}, {n} billed charges in "
                f"{period}) is not configured; add it with name, credit_fund_org and account")))
            continue
        if not source.credit_fund_org:
            problems.append(Problem(CONFIG, (
                f"sources.{source.key}.credit_fund_org: missing; the journal credits the "
                f"{n} billed charges of {source.key} in {period} to it")))
        if row["untagged"] and not (source.account or s.default_account):
            problems.append(Problem(CONFIG, (
                f"sources.{source.key}.account: missing, and journal.default_account is not "
                f"set; {row['untagged']} billed charges of {source.key} in {period} have no "
                f"account_code tag")))
    return problems


def _account_problems(s: Settings, accounts: list[dict[str, Any]]) -> list[Problem]:
    if not s.account_pattern:
        return []
    return [
        Problem(r["file"], (
            f"{r['charges']} billed charges are tagged account_code {r['account_code']!r} "
            f"(first: row {r['row_number']}, charge {r['charge_id']}), which does not match "
            f"journal.account_pattern {s.account_pattern!r}; correct the tag at the source, "
            f"or reject the charges in reviews/"))
        for r in accounts
        if not re.fullmatch(s.account_pattern, r["account_code"])
    ]


def _fund_org_problems(s: Settings, fund_orgs: list[dict[str, Any]],
                       period: str) -> list[Problem]:
    problems = []
    for r in fund_orgs:
        if r["fund_org"] is not None and _parse(s.fund_org_regexes, r["fund_org"]):
            continue
        what = ("have no fund/org" if r["fund_org"] is None
                else f"go to fund/org {r['fund_org']!r}, which {s.fund_org_key} cannot parse")
        problems.append(Problem(r["file"], (
            f"{r['charges']} billed charges {what} (first: row {r['row_number']}, charge "
            f"{r['charge_id']}, PI {r['pi_email'] or '(none)'}, project "
            f"{r['project_id'] or '(none)'}); reassign them with set: fund_org in "
            f"reviews/{period}.yaml")))
    return problems


def _parse(regexes: tuple[re.Pattern[str], ...], fund_org: str) -> re.Match[str] | None:
    return next((m for r in regexes if (m := r.fullmatch(fund_org))), None)

