"""Render stage: statements. One per (PI, project) per period with billed charges.

Each statement is written three ways under ``build/statements/YYYY-MM/<pi>/<project>``:

- ``.md``: the statement itself, from ``site_templates/statement.md.j2`` (the site shows it);
- ``.pdf``: the same Markdown as HTML, wrapped by ``statement_pdf.html.j2`` and
  ``statement.css`` and printed by WeasyPrint;
- ``.csv``: every billed charge, exact amounts and the rounded amount due.

The DuckDB queries (``sql/statement_*.sql``) run in this process and yield one picklable
context per statement; the statements are rendered in parallel across cores into a staging
folder per period, which replaces the period's folder once every statement is written.
Every amount comes from the rounded statement lines, so a statement adds up to the cent
and agrees with the journal. Dates come from the data commit, never the clock.
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import io
import multiprocessing
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, TypedDict

import jinja2

from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import replace_dir, staging_dir
from generator.common.git import git
from generator.common.money import Currency, exact
from generator.common.months import month_end, month_start, months_back
from generator.common.progress import progress
from generator.common.sql import Scripts
from generator.common.workers import end_with
from generator.read.config import Config
from generator.render import cache
from generator.render.budgets import BudgetView, for_statement, view
from generator.render.charts import TREND_MONTHS, Trend, trend
from generator.render.filters import cached_environment, neutralize, template_dirs, template_problem
from generator.render.naming import StatementKey, statement_names, statement_number
from generator.warehouse.budgets import Budgets
from generator.warehouse.load import Warehouse
from generator.warehouse.periods import read_period

SQL = Scripts.beside(__file__)
MD_TEMPLATE = "statement.md.j2"
PDF_TEMPLATE = "statement_pdf.html.j2"
CSS = "statement.css"
# Table cells aligned with an attribute, not a style="" WeasyPrint would parse per cell.
MARKDOWN = {"tables": {"use_align_attribute": True}}
# What a statement is built from: a change here, not yet committed, is shown on it.
# What a statement is built from; its "uncommitted changes" note looks at these. The delivery
# log (periods/YYYY-MM/deliveries.yaml, written by `send`) is a record, not an input.
INPUTS = ("data", "periods", "reviews", "site_templates", ":(exclude)periods/*/deliveries.yaml")
RESOURCE_LIMIT = 50
END_WARNING_DAYS = (30, 90, 180)
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg", ".gif": "image/gif"}
CSV_COLUMNS = (
    "period", "pi_email", "project_id", "fund_org", "charge_id", "source", "service",
    "resource_id", "resource_name", "charge_category", "charge_class", "description",
    "corrects", "charge_start", "quantity", "unit", "list_cost_exact",
    "contracted_cost_exact", "charged_exact", "amount_due", "decision", "decision_reason",
)
CSV_NUMBERS = {"quantity", "list_cost_exact", "contracted_cost_exact", "charged_exact",
               "amount_due"}


@dataclass(frozen=True)
class Statement:
    """One statement as written: what the site and email stages build on."""

    period: str
    pi_email: str | None
    project_id: str | None
    fund_org: str | None
    number: str
    total_due: Decimal
    list_cost: Decimal  # the summary's amounts, as the statement shows them
    discount: Decimal
    subsidy: Decimal
    md_path: Path
    pdf_path: Path
    csv_path: Path


class Amounts(TypedDict):
    list_cost: Decimal
    discount: Decimal  # list price - contracted price
    subsidy: Decimal  # contracted price - amount due
    charged: Decimal  # amount due


class Summary(Amounts):
    discount_share: Decimal | None  # of list price; None when list price is zero
    subsidy_share: Decimal | None


class ServiceRow(Amounts):
    source: str
    source_name: str
    service: str


class ResourceRow(Amounts):
    source: str
    service: str
    resource_id: str
    resource_name: str
    charges: int


class More(Amounts):
    resources: int


class Pending(TypedDict):
    charges: int
    amount: Decimal


class Correction(TypedDict):
    charge_id: str
    corrects: str | None  # the corrected charge's ID, when the row names it
    corrects_period: str | None  # its period, when the row names it
    source_name: str  # who billed the correction (and did not name the charge, if so)
    service: str
    resource_name: str
    description: str | None  # the correction's reason, or its ChargeDescription
    charged: Decimal


class Category(TypedDict):
    kind: str  # Credit, Refund, Tax, Adjustment, Purchase (FOCUS ChargeCategory)
    source_name: str
    service: str
    charges: int
    charged: Decimal


class EndWarning(TypedDict):
    end_date: date
    ended: bool
    within: int  # days: 30, 90 or 180 (0 when ended)


class BuildInfo(TypedDict):
    commit: str  # full hash, or "uncommitted"
    short: str
    date: date  # the commit's date, or the period's last day
    timestamp: str  # ISO 8601, for the PDF's metadata
    dirty: bool  # the repo had uncommitted changes to its inputs
    finalized: bool  # a finalized month's: commit and date are its frozen record's


class StatementContext(TypedDict):
    organization: dict[str, str]
    logo: str | None  # a data: URI
    currency: str
    number: str
    period: str
    period_label: str  # "October 2026"
    period_start: date
    period_end: date  # the last day
    pi_email: str | None
    pi_name: str
    project_id: str | None
    project_name: str | None
    fund_org: str | None
    summary: Summary
    services: list[ServiceRow]
    resources: list[ResourceRow]
    resource_count: int
    more: More | None
    pending: Pending | None
    corrections: list[Correction]
    corrections_total: Decimal | None  # the correction lines' sum; None without corrections
    categories: list[Category]  # credits, tax, ... again, apart from usage
    trend: Trend
    end_warning: EndWarning | None
    budgets: list[BudgetView]  # the project's and its fund/orgs', as of the period
    csv_name: str
    build: BuildInfo


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to write one statement (picklable)."""

    context: StatementContext
    csv: bytes  # the statement's CSV of charges, written
    folder: Path  # where this job writes (a staging folder)
    name: str  # <pi>/<project>, without suffix
    dirs: tuple[Path, ...]
    currency: Currency


Key = StatementKey


def write_statements(
    wh: Warehouse,
    periods: Iterable[str] | None = None,
    out: Path | None = None,
    dry_run: bool = False,
) -> list[Statement]:
    """Write every statement of ``periods`` (default: every period loaded) under ``out``
    (default ``build/statements``); each period's folder is replaced whole.

    ``dry_run`` renders everything into a temporary folder, deletes it and returns the
    statements that would have been written, with their final paths.
    """
    cfg = wh.cfg
    wanted = sorted(set(periods)) if periods is not None else list(wh.periods)
    missing = [p for p in wanted if p not in wh.periods]
    if missing:
        known = ", ".join(wh.periods) or "none"
        raise UsageError(f"no period {', '.join(missing)} in periods/ (periods: {known})")
    out = out or cfg.build_dir / "statements"
    dirs = template_dirs(cfg)
    check_templates(dirs, cfg)
    logo = logo_uri(cfg)
    totals = SQL.query(wh.con, "site_project_periods")
    budgets = Budgets(wh)
    # A finalized month's statements come from the cache when nothing that makes them
    # changed (render/cache.py); the others are rendered.
    keys = {p: frozen_key(wh, p, dirs, logo, totals, budgets) for p in wanted
            if p in wh.frozen}
    manifests: dict[str, list[dict[str, Any]]] = {}
    if not dry_run:
        for period, digest in keys.items():
            found = cache.restore(cfg, digest, out / period)
            if found is not None:
                manifests[period] = found
    rendering = [p for p in wanted if p not in manifests]

    # A month at a time, so memory holds one month's charges, however many are rendered.
    rendered: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="statements-") as scratch:
        staged = {
            p: Path(scratch) / p if dry_run else staging_dir(out / p) for p in rendering
        }
        try:
            for period in rendering:
                prepared = prepare(wh, [period], logo, totals, budgets)
                jobs = [Job(p.context, p.csv, staged[period], p.name, dirs, cfg.currency)
                        for p in prepared]
                problems = render_all(jobs)
                if problems:
                    raise DataError(problems)
                rendered[period] = [manifest(p) for p in prepared]
            if not dry_run:
                for period in rendering:
                    replace_dir(staged[period], out / period)
        finally:
            for folder in staged.values():
                shutil.rmtree(folder, ignore_errors=True)

    for period, digest in keys.items():
        if period in rendered and not dry_run:
            cache.store(cfg, digest, out / period, rendered[period])
    manifests.update(rendered)
    return [statement(out, m) for p in wanted for m in manifests[p]]


def manifest(p: Prepared) -> dict[str, Any]:
    """What the site and email stages need of a written statement (kept with a cached one)."""
    summary = p.context["summary"]
    return {"period": p.key[0], "pi_email": p.key[1], "project_id": p.key[2],
            "fund_org": p.context["fund_org"], "number": p.context["number"], "name": p.name,
            **{k: str(summary[k]) for k in ("charged", "list_cost", "discount", "subsidy")}}


def statement(out: Path, m: dict[str, Any]) -> Statement:
    base = out / m["period"] / m["name"]
    return Statement(
        period=m["period"], pi_email=m["pi_email"], project_id=m["project_id"],
        fund_org=m["fund_org"], number=m["number"], total_due=Decimal(m["charged"]),
        list_cost=Decimal(m["list_cost"]), discount=Decimal(m["discount"]),
        subsidy=Decimal(m["subsidy"]),
        md_path=base.with_name(base.name + ".md"),
        pdf_path=base.with_name(base.name + ".pdf"),
        csv_path=base.with_name(base.name + ".csv"),
    )


def frozen_key(wh: Warehouse, period: str, dirs: tuple[Path, ...], logo: str | None,
               totals: list[dict[str, Any]], budgets: Budgets) -> str:
    """What a finalized month's statements are made of, hashed (``cache.key``): its frozen
    record, the months its trend shows, its budgets' figures, the templates, the
    presentation and the code."""
    cfg = wh.cfg
    record = read_period(cfg, period)
    window = set(months_back(period, TREND_MONTHS))
    return cache.key([
        period, sorted(record["frozen"].items()), record.get("finalized_at"),
        cache.files(dirs), logo, sorted(cfg.organization.items()), cfg.currency,
        sorted((k, s.name) for k, s in cfg.sources.items()), sorted(cfg.people.items()),
        sorted(cfg.projects.items()), sorted(window & set(wh.periods)),
        [(r["period"], r["pi_email"], r["project_id"], r["charged"]) for r in totals
         if r["period"] in window],
        sorted(cfg.fund_orgs.items()), budgets.active(period),
    ])


# --- preparing: the queries, in the parent process -----------------------------------------


@dataclass(frozen=True)
class Prepared:
    key: Key
    name: str  # <pi>/<project>: unique, safe file names
    context: StatementContext
    csv: bytes  # every charge of the statement, as its CSV file


def divide(wh: Warehouse, periods: list[str]) -> None:
    """``statement_charges``: each billed charge of ``periods`` with its share of its line,
    to the cent (a finalized month's as it was frozen; see sql/statement_detail.sql)."""
    minor = wh.cfg.currency.minor_units
    SQL.run(wh.con, "statement_detail", periods=periods, minor_units=minor,
            unit=Decimal(1).scaleb(-minor), scale=10**minor)


def prepare(wh: Warehouse, periods: list[str], logo: str | None,
            totals: list[dict[str, Any]] | None = None,
            budgets: Budgets | None = None) -> list[Prepared]:
    """The file name, template context and CSV rows of every statement, in order
    (``totals``: every statement's amounts, as ``site_project_periods.sql`` gives them, and
    ``budgets``, when the caller has them already)."""
    cfg = wh.cfg
    if totals is None:
        totals = SQL.query(wh.con, "site_project_periods")
    budgets = budgets or Budgets(wh)
    active = {p: budgets.active(p) for p in periods}
    divide(wh, periods)
    services = grouped(SQL.query(wh.con, "statement_services", periods=periods))
    resources = grouped(SQL.query(wh.con, "statement_resources_top", periods=periods,
                                 limit=RESOURCE_LIMIT))
    rest = {key: rows[0] for key, rows in
            grouped(SQL.query(wh.con, "statement_resources_rest", periods=periods,
                             limit=RESOURCE_LIMIT)).items()}
    pending = {key: rows[0] for key, rows in
               grouped(SQL.query(wh.con, "statement_pending", periods=periods)).items()}
    corrections = grouped(SQL.query(wh.con, "statement_corrections", periods=periods))
    categories = grouped(SQL.query(wh.con, "statement_categories", periods=periods))
    charges = charges_csvs(wh, periods)
    # Every statement of every period loaded: the trend charts look back over all of them.
    history: dict[tuple[str | None, str | None], dict[str, Decimal]] = defaultdict(dict)
    keys: dict[Key, dict[str, Any]] = {}
    wanted = set(periods)
    for r in totals:
        history[r["pi_email"], r["project_id"]][r["period"]] = r["charged"]
        if r["period"] in wanted:
            keys[r["period"], r["pi_email"], r["project_id"]] = r
    builds = build_info(cfg, periods, wh.frozen)
    names = statement_names(keys)

    prepared = []
    for key, s in keys.items():
        period, pi_email, project_id = key
        project = cfg.projects.get(project_id or "")
        more = rest.get(key)
        pend = pending.get(key)
        context: StatementContext = {
            "organization": {k: cfg.organization.get(k, "")
                             for k in ("name", "contact", "address")},
            "logo": logo,
            "currency": cfg.currency.code,
            "number": statement_number(*key),
            "period": period,
            "period_label": f"{month_start(period):%B %Y}",
            "period_start": month_start(period),
            "period_end": month_end(period),
            "pi_email": pi_email,
            "pi_name": cfg.person_name(pi_email),
            "project_id": project_id,
            "project_name": project.name if project else None,
            "fund_org": s["fund_org"],
            "summary": {**amounts(s),
                        "discount_share": share(s["discount"], s["list_cost"]),
                        "subsidy_share": share(s["subsidy"], s["list_cost"])},
            "services": [
                {**amounts(r), "source": r["source"], "source_name": cfg.source(r["source"]).name,
                 "service": r["service"]}
                for r in services.get(key, [])
            ],
            "resources": [
                {**amounts(r), "source": r["source"], "service": r["service"],
                 "resource_id": r["resource_id"], "resource_name": r["resource_name"],
                 "charges": r["charges"]}
                for r in resources.get(key, [])
            ],
            "resource_count": len(resources.get(key, [])) + (more["resources"] if more else 0),
            "more": {**amounts(more), "resources": more["resources"]} if more else None,
            "pending": {"charges": pend["charges"], "amount": pend["amount"]} if pend else None,
            "corrections": [
                {"charge_id": r["charge_id"], "corrects": r["corrects"],
                 "corrects_period": r["corrects_period"],
                 "source_name": cfg.source(r["source"]).name, "service": r["service"],
                 "resource_name": r["resource_name"], "description": r["description"],
                 "charged": r["charged"]}
                for r in corrections.get(key, [])
            ],
            "corrections_total": s["corrections"],
            "categories": [
                {"kind": r["kind"], "source_name": cfg.source(r["source"]).name,
                 "service": r["service"], "charges": r["charges"], "charged": r["charged"]}
                for r in categories.get(key, [])
            ],
            "trend": trend(period, history[pi_email, project_id], set(wh.periods)),
            "end_warning": end_warning(project.end_date if project else None, month_end(period)),
            "budgets": [view(b, cfg) for b in for_statement(
                active[period], project_id, (s["fund_org"] or "").split(", "))],
            "csv_name": names[key].rsplit("/", 1)[-1] + ".csv",
            "build": builds[period],
        }
        prepared.append(Prepared(key, names[key], context, charges.get(key) or charges_csv()))
    return prepared


def grouped(rows: list[dict[str, Any]]) -> dict[Key, list[dict[str, Any]]]:
    out: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["period"], r["pi_email"], r["project_id"]].append(r)
    return out


def amounts(row: dict[str, Any]) -> Amounts:
    return {"list_cost": row["list_cost"], "discount": row["discount"],
            "subsidy": row["subsidy"], "charged": row["charged"]}


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None


def end_warning(end_date: date | None, period_end: date) -> EndWarning | None:
    """A warning when the project ends within 180, 90 or 30 days of the period's end, or
    has ended."""
    if end_date is None:
        return None
    days = (end_date - period_end).days
    if days < 0:
        return {"end_date": end_date, "ended": True, "within": 0}
    for limit in END_WARNING_DAYS:
        if days <= limit:
            return {"end_date": end_date, "ended": False, "within": limit}
    return None


def build_info(cfg: Config, periods: list[str], frozen: list[str]) -> dict[str, BuildInfo]:
    """Per period: what its statements were built from, never the clock. A finalized month:
    its frozen record (the SHA-256 of its files' hashes) and the day it was finalized. The
    others: the data commit and its date (``git log -1``, asked once); outside git,
    "uncommitted" and the period's last day."""
    found: dict[str, BuildInfo] = {}
    for p in [p for p in periods if p in frozen]:
        record = read_period(cfg, p)
        when = _finalized_at(record.get("finalized_at"), month_end(p))
        digest = hashlib.sha256(str(sorted(record["frozen"].items())).encode()).hexdigest()
        found[p] = {"commit": digest, "short": digest[:12], "date": when.date(),
                    "timestamp": when.isoformat(), "dirty": False, "finalized": True}
    rest = [p for p in periods if p not in frozen]
    log = git(cfg.root, "log", "-1", "--format=%H %cI") if rest else None
    if not log:
        found.update({p: {"commit": "uncommitted", "short": "uncommitted", "date": month_end(p),
                          "timestamp": f"{month_end(p).isoformat()}T00:00:00+00:00",
                          "dirty": False, "finalized": False} for p in rest})
        return found
    commit, stamp = log.split()
    when = datetime.fromisoformat(stamp)
    changed = git(cfg.root, "status", "--porcelain", "--", *INPUTS)
    found.update(dict.fromkeys(rest, {"commit": commit, "short": commit[:12], "date": when.date(),
                                      "timestamp": when.isoformat(), "dirty": bool(changed),
                                      "finalized": False}))
    return found


def _finalized_at(value: object, fallback: date) -> datetime:
    """When a period was finalized (its record's ``finalized_at``), as a time."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return datetime(fallback.year, fallback.month, fallback.day, tzinfo=UTC)


def logo_uri(cfg: Config) -> str | None:
    """``organization.logo`` (a path in the repo) as a data: URI, so the PDF embeds it."""
    name = cfg.organization.get("logo")
    if not name:
        return None
    path = cfg.root / name
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None or not path.is_file():
        why = "is not a file" if kind else f"must be one of {', '.join(LOGO_TYPES)}"
        raise DataError([Problem("data/config.yaml", f"organization.logo: {name} {why}")])
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def check_templates(dirs: tuple[Path, ...], cfg: Config) -> None:
    """Compile the statement templates here, so a syntax error stops before any work."""
    env = cached_environment(dirs, cfg.currency)
    problems = []
    for name in (MD_TEMPLATE, PDF_TEMPLATE, CSS):
        try:
            env.get_template(name) if name.endswith(".j2") else stylesheet(env)
        except jinja2.TemplateNotFound:
            where = " or ".join(str(d) for d in dirs)
            problems.append(Problem(name, f"template not found in {where}"))
        except jinja2.TemplateError as exc:
            problems.append(template_problem(exc, dirs))
    if problems:
        raise DataError(problems)


# --- rendering: in worker processes ---------------------------------------------------------


def render_all(jobs: list[Job]) -> list[Problem]:
    """Render every job across the cores; stop at the first problem (a template error is the
    same for every statement).

    Workers come from a fresh forkserver process that has imported this module and
    WeasyPrint, not from a fork of this process: a fork of a process running threads
    (DuckDB's own; a test's SMTP server) with WeasyPrint's native libraries in use now and
    then gave a worker a segmentation fault. Starting them takes about as long as rendering
    two statements, so fewer than three are rendered here.
    """
    workers = min(os.cpu_count() or 1, len(jobs))
    if workers <= 1 or len(jobs) < 3:
        for job in progress(jobs, "Rendering statements", lambda job: job.name):
            problem = render(job)
            if problem:
                return [problem]
        return []
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["generator.render.statements", "weasyprint"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=end_with, initargs=(os.getpid(),)) as pool:
        futures: list[Future[Problem | None]] = [pool.submit(render, job) for job in jobs]
        names = {id(f): job.name for f, job in zip(futures, jobs, strict=True)}
        for future in progress(futures, "Rendering statements", lambda f: names[id(f)]):
            problem = future.result()
            if problem:
                pool.shutdown(cancel_futures=True)
                return [problem]
    return []


@functools.cache
def _printer(dirs: tuple[Path, ...], currency: Currency) -> tuple[Any, dict[str, Any], Any]:
    """Per process: one WeasyPrint font configuration, image cache and parsed
    ``statement.css`` (plain CSS, not a template). Rendering many statements with them is
    faster and gives the same bytes."""
    from weasyprint import CSS as Stylesheet
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return fonts, {}, Stylesheet(string=stylesheet(cached_environment(dirs, currency)),
                                 font_config=fonts)


def stylesheet(env: jinja2.Environment) -> str:
    assert env.loader is not None
    return env.loader.get_source(env, CSS)[0]


def page(job: Job) -> tuple[str, str]:
    """One statement's Markdown, and the HTML page WeasyPrint prints."""
    import markdown
    from markupsafe import Markup

    env = cached_environment(job.dirs, job.currency)
    text = env.get_template(MD_TEMPLATE).render(job.context)
    body = markdown.markdown(text, extensions=["tables"], extension_configs=MARKDOWN)
    return text, env.get_template(PDF_TEMPLATE).render(job.context, body=Markup(body))


def render(job: Job) -> Problem | None:
    """Write one statement's .md, .pdf and .csv; a template error comes back as a Problem."""
    from weasyprint import HTML

    try:
        text, html = page(job)
    except Exception as exc:  # any error inside a template is the template's to fix
        return template_problem(exc, job.dirs)
    fonts, images, css = _printer(job.dirs, job.currency)
    pdf = HTML(string=html).write_pdf(font_config=fonts, cache=images, stylesheets=[css])
    base = job.folder / job.name
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_name(base.name + ".md").write_text(text, encoding="utf-8")
    base.with_name(base.name + ".pdf").write_bytes(pdf)
    base.with_name(base.name + ".csv").write_bytes(job.csv)
    return None


def charges_csvs(wh: Warehouse, periods: list[str]) -> dict[Key, bytes]:
    """Each statement's CSV of charges, made as the rows stream from the warehouse (in
    statement order), so no more than a batch of rows is held as Python values."""
    cursor = SQL.cursor(wh.con, "statement_charges_csv", periods=periods)
    names = [d[0] for d in cursor.description or []]
    statement_of = itemgetter(*(names.index(c) for c in ("period", "pi_email", "project_id")))
    cells = [(names.index(c), c in CSV_NUMBERS) for c in CSV_COLUMNS]
    rows = (row for batch in iter(lambda: cursor.fetchmany(10_000), []) for row in batch)
    return {key: charges_csv(group, cells) for key, group in groupby(rows, statement_of)}


def charges_csv(rows: Iterable[tuple[Any, ...]] = (),
                cells: Iterable[tuple[int, bool]] = ()) -> bytes:
    """A statement's charges as its CSV file: ``cells`` says which of each row's values
    makes each column of ``CSV_COLUMNS`` and whether it is a number; text a spreadsheet
    could run as a formula is quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    cells = list(cells)
    for r in rows:
        writer.writerow([exact(r[i]) if number else neutralize("" if r[i] is None else str(r[i]))
                         for i, number in cells])
    return out.getvalue().encode("utf-8")
