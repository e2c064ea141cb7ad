"""Render stage: the PI site.

``generate_pages`` writes the billing pages as Markdown into ``docs/billing/`` (git-ignored,
beside the hand-written pages) from the warehouse: a home snippet that ``docs/index.md``
includes, an index and a page per period, per PI and per project, and the statements' PDF and
CSV files to download. ``run_mkdocs`` then builds the whole ``docs/`` into ``build/site/`` with
MkDocs Material. Both write into a staging folder and swap it in only when it is complete.

Per-PI and per-project pages stay out of the navigation (``not_in_nav`` in ``mkdocs.yml``)
and the search index (``search: exclude``): the index pages reach them, and MkDocs stays
fast with thousands of them. Their statement tables are generated HTML that Markdown passes
through (``markdown_raw``). Every value printed by a page template is escaped for Markdown
and HTML (``template_filters.markdown_value`` as the environment's ``finalize``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

import jinja2

from generator.common.errors import DataError, Problem
from generator.common.files import replace_dir, staging_dir
from generator.common.git import git
from generator.common.sql import Scripts
from generator.read.config import Config
from generator.read.deliveries import latest, read_log
from generator.render import charts
from generator.render.filters import environment, markdown_value, template_dirs
from generator.render.naming import page_names, pi_page, project_page
from generator.render.statements import Statement
from generator.warehouse.load import Warehouse

SQL = Scripts.beside(__file__)
CHART_PERIODS = 12
LARGEST_PROJECTS = 10
AMOUNTS = ("list_cost", "discount", "subsidy", "charged")


@dataclass
class Totals:
    """Sums of rounded statement lines."""

    list_cost: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    subsidy: Decimal = Decimal(0)
    charged: Decimal = Decimal(0)
    charges: int = 0

    def add(self, row: dict[str, Any]) -> None:
        """Add a query row's amounts."""
        for name in AMOUNTS:
            setattr(self, name, getattr(self, name) + row[name])
        self.charges += row.get("charges") or 0

    @classmethod
    def total(cls, parts: Iterable[Totals]) -> Totals:
        result = cls()
        for part in parts:
            result.add(vars(part))
        return result


@dataclass
class Shown:
    """One statement as the site shows it: a PI's project in a period, its lines and its
    downloads (paths relative to docs/billing/)."""

    period: str
    pi_email: str | None
    project_id: str | None
    fund_org: str | None
    lines: list[dict[str, Any]] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    pdf: str | None = None
    csv: str | None = None


class HomeContext(TypedDict):
    latest: str | None
    totals: Totals
    sources: list[dict[str, Any]]
    chart: charts.Chart | None
    pending: Totals
    base: str


class PeriodContext(TypedDict):
    period: str
    previous: str | None
    next: str | None
    totals: Totals
    sources: list[dict[str, Any]]
    services: list[dict[str, Any]]
    reconciliation: dict[str, Any]
    pending: list[dict[str, Any]]
    largest: list[dict[str, Any]]
    emailed: list[dict[str, Any]]  # per PI billed: pi, status (None: not sent), sent_at


class PiContext(TypedDict):
    pi: dict[str, Any]
    projects: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    chart: charts.Chart


class ProjectContext(TypedDict):
    project: dict[str, Any]
    periods: list[dict[str, Any]]


def write_site(wh: Warehouse, statements: Iterable[Statement] = ()) -> list[Path]:
    """Generate the billing pages into ``docs/billing/``, then build ``build/site/``."""
    docs = write_pages(wh, statements)
    return [docs, run_mkdocs(wh.cfg)]


def write_pages(wh: Warehouse, statements: Iterable[Statement] = ()) -> Path:
    """The billing pages into ``docs/billing/``, swapped in whole."""
    final = docs_dir(wh.cfg) / "billing"
    staged = staging_dir(final)
    try:
        generate_pages(wh, staged, statements)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    replace_dir(staged, final)
    return final


def docs_dir(cfg: Config) -> Path:
    return cfg.root / "docs"


def has_site(cfg: Config) -> bool:
    """A repo publishes a site when it has an ``mkdocs.yml``."""
    return (cfg.root / "mkdocs.yml").is_file()


def mkdocs_file(cfg: Config) -> Path:
    path = cfg.root / "mkdocs.yml"
    if not path.is_file():
        raise DataError([Problem(str(path), "no MkDocs config; copy mkdocs.yml and docs/ from "
                                 "the OpenChargeback repository (or run `openchargeback init`)")])
    return path


def generate_pages(wh: Warehouse, out: Path,
                   statements: Iterable[Statement] = ()) -> int:
    """Write every billing page under ``out``; returns the number of pages."""
    pages = SitePages(wh, out, statements).render()
    for name, text in pages.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return len(pages)


class SitePages:
    """The warehouse's numbers, queried once, rendered into every page.

    Page paths and the links in ``pi_ref``/``project_ref``/downloads are relative to
    ``docs/billing/``; a template prefixes ``../`` where it sits one folder down.
    """

    def __init__(self, wh: Warehouse, out: Path, statements: Iterable[Statement]) -> None:
        self.cfg = cfg = wh.cfg
        # Every printed value is escaped for Markdown and HTML unless a filter made it markup.
        self.env = environment(template_dirs(cfg), cfg.currency, finalize=markdown_value)
        self.periods = wh.periods
        self.latest = wh.periods[-1] if wh.periods else None
        self.recent = wh.periods[-CHART_PERIODS:]
        self.reconciliation = {r["period"]: r for r in wh.reconciliation()}
        self.pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in wh.query("pending_by_flag"):
            self.pending[r["period"]].append(r)
        self.per_statement = SQL.query(wh.con, "site_project_periods")
        self.pi_names = page_names(r["pi_email"] for r in self.per_statement)
        self.project_names = page_names(r["project_id"] for r in self.per_statement)

        self.by_period: dict[str, Totals] = defaultdict(Totals)
        self.sources: dict[str, list[dict[str, Any]]] = defaultdict(list)
        period_sources = SQL.query(wh.con, "site_period_sources")
        for r in period_sources:
            self.by_period[r["period"]].add(r)
            self.sources[r["period"]].append({**r, "name": cfg.source(r["source"]).name})
        self.source_keys = source_order(cfg, (r["source"] for r in period_sources))
        self.services: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in SQL.query(wh.con, "site_period_services"):
            self.services[r["period"]].append({**r, "name": cfg.source(r["source"]).name})

        downloads = copy_downloads(out, statements, self.pi_names, self.project_names)
        self.statements: dict[tuple[str, str | None, str | None], Shown] = {}
        # The statements' own table by service.
        for r in SQL.query(wh.con, "statement_services", periods=wh.periods):
            key = (r["period"], r["pi_email"], r["project_id"])
            stmt = self.statements.get(key)
            if stmt is None:
                stmt = self.statements[key] = Shown(*key, fund_org=None)
                stmt.pdf, stmt.csv = downloads.get(key, (None, None))
            stmt.lines.append({**r, "name": cfg.source(r["source"]).name})
            stmt.totals.add(r)
        for r in self.per_statement:
            self.statements[(r["period"], r["pi_email"], r["project_id"])].fund_org = r["fund_org"]

    def render(self) -> dict[str, str]:
        pages = {"home.md": self.home()}
        pages.update(self.period_pages())
        pages.update(self.pi_pages())
        pages.update(self.project_pages())
        return pages

    def template(self, name: str) -> jinja2.Template:
        return self.env.get_template(f"site/{name}.md.j2")

    def pi_ref(self, email: str | None) -> dict[str, Any]:
        person = self.cfg.people.get((email or "").lower())
        return {"email": email, "name": self.cfg.person_name(email),
                "department": person.department if person else None,
                "page": pi_page(self.pi_names[email])}

    def emailed(self, period: str, pis: set[str | None]) -> list[dict[str, Any]]:
        """Who was emailed the period's statements, and when: each billed PI's latest entry
        in periods/YYYY-MM/deliveries.yaml (written by ``send``)."""
        sent = latest(read_log(self.cfg, period))
        rows = []
        for email in sorted(pis, key=lambda e: self.cfg.person_name(e).lower()):
            entry = sent.get((email or "").lower())
            rows.append({"pi": self.pi_ref(email), "status": entry.status if entry else None,
                         "sent_at": entry.sent_at if entry else None})
        return rows

    def project_ref(self, project_id: str | None) -> dict[str, Any]:
        project = self.cfg.projects.get(project_id or "")
        return {"id": project_id, "name": project.name if project else None,
                "page": project_page(self.project_names[project_id])}

    def home(self) -> str:
        latest = self.latest
        chart = None
        if latest:
            names = {k: self.cfg.source(k).name for k in self.source_keys}
            chart = charts.stacked(
                "chart-sources", "Billed per period by source", self.recent,
                {names[k]: [sum((r["charged"] for r in self.sources[p] if r["source"] == k),
                                Decimal(0)) for p in self.recent]
                 for k in self.source_keys},
            )
        rec = self.reconciliation.get(latest or "", {})
        pending = Totals(charged=rec.get("pending") or Decimal(0),
                         charges=rec.get("pending_rows") or 0)
        context: HomeContext = {
            "latest": latest,
            "totals": self.by_period[latest] if latest else Totals(),
            "sources": self.sources[latest] if latest else [],
            "chart": chart,
            "pending": pending,
            "base": "billing/",
        }
        return self.template("home").render(context)

    def period_pages(self) -> dict[str, str]:
        pages: dict[str, str] = {}
        rows_by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self.per_statement:
            rows_by_period[r["period"]].append(r)
        index: list[dict[str, Any]] = []
        periods = self.periods
        for i, period in enumerate(periods):
            rec = self.reconciliation.get(period) or _empty_reconciliation(period)
            rows = rows_by_period[period]
            largest = sorted(rows, key=lambda r: (-r["charged"], r["project_id"] or ""))
            context: PeriodContext = {
                "period": period,
                "previous": periods[i - 1] if i > 0 else None,
                "next": periods[i + 1] if i + 1 < len(periods) else None,
                "totals": self.by_period[period],
                "sources": self.sources[period],
                "services": self.services[period],
                "reconciliation": rec,
                "pending": self.pending[period],
                "largest": [{**r, "pi": self.pi_ref(r["pi_email"]),
                             "project": self.project_ref(r["project_id"])}
                            for r in largest[:LARGEST_PROJECTS]],
                "emailed": self.emailed(period, {r["pi_email"] for r in rows}),
            }
            pages[f"periods/{period}.md"] = self.template("period").render(context)
            index.append({"period": period, "totals": self.by_period[period],
                          "reconciliation": rec, "pis": len({r["pi_email"] for r in rows}),
                          "projects": len({r["project_id"] for r in rows})})
        pages["periods.md"] = self.template("periods").render(periods=index[::-1])
        return pages

    def pi_pages(self) -> dict[str, str]:
        pages: dict[str, str] = {}
        by_pi: dict[str | None, list[Shown]] = defaultdict(list)
        for stmt in self.statements.values():
            by_pi[stmt.pi_email].append(stmt)
        index: list[dict[str, Any]] = []
        for email, own in by_pi.items():
            own.sort(key=lambda s: (s.period, s.project_id or ""))
            projects = {
                pid: Totals.total(s.totals for s in own if s.project_id == pid)
                for pid in sorted({s.project_id for s in own}, key=lambda p: p or "")
            }
            chart = charts.stacked(
                "chart-pi", "Billed per period by project", self.recent,
                {pid or "(no project)": [
                    sum((s.totals.charged for s in own
                         if s.project_id == pid and s.period == p), Decimal(0))
                    for p in self.recent]
                 for pid in projects},
            )
            pi = self.pi_ref(email)
            context: PiContext = {
                "pi": pi,
                "projects": [{"project": self.project_ref(pid), "totals": t}
                             for pid, t in projects.items()],
                "statements": [{"statement": s, "project": self.project_ref(s.project_id)}
                               for s in reversed(own)],
                "chart": chart,
            }
            pages[pi_page(self.pi_names[email])] = self.template("pi").render(context)
            index.append({
                "pi": pi, "projects": len(projects), "totals": Totals.total(projects.values()),
                "latest": sum((s.totals.charged for s in own if s.period == self.latest),
                              Decimal(0)),
            })
        index.sort(key=lambda r: (r["pi"]["name"].lower(), r["pi"]["email"] or ""))
        pages["pis.md"] = self.template("pis").render(pis=index, latest=self.latest)
        return pages

    def project_pages(self) -> dict[str, str]:
        pages: dict[str, str] = {}
        by_project: dict[str | None, list[Shown]] = defaultdict(list)
        for stmt in self.statements.values():
            by_project[stmt.project_id].append(stmt)
        index: list[dict[str, Any]] = []
        for pid, own in by_project.items():
            own.sort(key=lambda s: (s.period, s.pi_email or ""))
            by_period: dict[str, list[Shown]] = defaultdict(list)
            for s in own:
                by_period[s.period].append(s)
            registry = self.cfg.projects.get(pid or "")
            project = {
                **self.project_ref(pid),
                "pis": [self.pi_ref(e) for e in sorted({s.pi_email for s in own},
                                                       key=lambda e: e or "")],
                "fund_orgs": sorted({s.fund_org for s in own if s.fund_org}),
                "end_date": registry.end_date if registry else None,
                "totals": Totals.total(s.totals for s in own),
            }
            context: ProjectContext = {
                "project": project,
                "periods": [{"period": p, "statements": [
                    {"statement": s, "pi": self.pi_ref(s.pi_email)} for s in group]}
                    for p, group in sorted(by_period.items(), reverse=True)],
            }
            pages[project_page(self.project_names[pid])] = self.template("project").render(
                context)
            index.append({"project": project, "periods": len(by_period),
                          "last_period": own[-1].period, "totals": project["totals"]})
        index.sort(key=lambda r: (r["project"]["id"] is None, r["project"]["id"] or ""))
        pages["projects.md"] = self.template("projects").render(projects=index)
        return pages


def source_order(cfg: Config, keys: Iterable[str]) -> list[str]:
    """Sources in config order, then any others alphabetically (stable chart colours)."""
    present = set(keys)
    known = [k for k in cfg.sources if k in present]
    return known + sorted(present - set(known))


def copy_downloads(
    out: Path, statements: Iterable[Statement], pi_names: dict[str | None, str],
    project_names: dict[str | None, str],
) -> dict[tuple[str, str | None, str | None], tuple[str | None, str | None]]:
    """Copy each statement's PDF and CSV beside the pages; their paths relative to ``out``."""
    found: dict[tuple[str, str | None, str | None], tuple[str | None, str | None]] = {}
    for s in statements:
        key = (s.period, s.pi_email, s.project_id)
        if s.pi_email not in pi_names or s.project_id not in project_names:
            continue  # a statement with no billed lines has no page to link it from
        folder = Path("statements") / s.period / pi_names[s.pi_email]
        copied: list[str | None] = []
        for src in (s.pdf_path, s.csv_path):
            if not src.is_file():
                copied.append(None)
                continue
            rel = folder / f"{project_names[s.project_id]}{src.suffix}"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out / rel)
            copied.append(rel.as_posix())
        found[key] = (copied[0], copied[1])
    return found


def run_mkdocs(cfg: Config) -> Path:
    """Build ``docs/`` with MkDocs (strict) into ``build/site/``, swapped in whole."""
    config_file = mkdocs_file(cfg)
    final = cfg.build_dir / "site"
    staged = staging_dir(final)
    env = mkdocs_env()
    commit = git(cfg.root, "log", "-1", "--format=%ct")
    if commit and "SOURCE_DATE_EPOCH" not in env:
        env["SOURCE_DATE_EPOCH"] = commit  # sitemap dates from the commit, not the clock
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean",
         "-f", str(config_file), "-d", str(staged)],
        cwd=cfg.root, env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(staged, ignore_errors=True)
        raise DataError(mkdocs_problems(result.stderr, config_file))
    replace_dir(staged, final)
    return final


def mkdocs_env() -> dict[str, str]:
    """The environment for MkDocs: it loads this package's Markdown extension
    (``generator.render.markdown_raw``), so it imports the same code as the running build."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "NO_MKDOCS_2_WARNING": "1"}


def mkdocs_problems(stderr: str, config_file: Path) -> list[Problem]:
    """MkDocs' warnings and errors, one problem each."""
    found = [
        Problem("mkdocs", m.group(2).strip())
        for m in re.finditer(r"^(WARNING|ERROR)\s+-\s+(.*)$", stderr, flags=re.M)
    ]
    return found or [Problem(str(config_file), f"MkDocs failed:\n{stderr.strip()}")]


def serve(cfg: Config, dev_addr: str | None = None) -> None:
    """Become ``mkdocs serve`` on the repo's ``mkdocs.yml`` (so Ctrl-C or a signal stops the
    server itself, with no child process left behind)."""
    command = [sys.executable, "-m", "mkdocs", "serve", "-f", str(mkdocs_file(cfg))]
    if dev_addr:
        command += ["-a", dev_addr]
    os.chdir(cfg.root)
    os.execve(sys.executable, command, mkdocs_env())


def _empty_reconciliation(period: str) -> dict[str, Any]:
    zero = Decimal(0)
    return {"period": period, "input_rows": 0, "input_total": zero, "billed": zero,
            "pending": zero, "rejected": zero, "billed_rows": 0, "pending_rows": 0,
            "rejected_rows": 0, "billed_rounded": zero}


def pi_pages(wh: Warehouse) -> dict[str | None, str]:
    """Each PI's page name on the site, as ``SitePages`` names them (over the PIs of every
    statement)."""
    return page_names(r["pi_email"] for r in SQL.query(wh.con, "site_project_periods"))
