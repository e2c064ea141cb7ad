"""Render stage: the PI site.

``generate_pages`` writes the billing pages as Markdown into ``docs/billing/`` (git-ignored,
beside the hand-written pages) from the warehouse: a home snippet that ``docs/index.md``
includes, an index and a page per period, per PI and per project, and the statements' PDF and
CSV files to download. ``run_mkdocs`` then builds the whole ``docs/`` into ``build/site/`` with
MkDocs Material. Both write into a staging folder and swap it in only when it is complete.

Where each page goes, and who can reach it, follows ``site.access`` (``render.access``): on
an open site as listed above; in ``links`` and ``sso`` every page that names a PI is in the
folder of an audience (a PI, a department, the staff), and the site plugin
(``render.mkdocs_plugin``) keeps those out of the navigation, the sitemap and the public
search index.

Per-PI and per-project pages stay out of the navigation (``not_in_nav`` in ``mkdocs.yml``):
the index pages reach them, and MkDocs stays fast with thousands of them. Their statement
tables are generated HTML that Markdown passes through (``markdown_raw``). The search index
has every page's headings and prose but no table or chart (``data-search-exclude`` in the
templates), so a search for a PI or a project lands on their page with a line about it rather
than on a table of everyone. Every value printed by a page template is escaped for Markdown
and HTML (``template_filters.markdown_value`` as the environment's ``finalize``).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

import jinja2

from generator.common.errors import DataError, Problem
from generator.common.files import link_or_copy, replace_dir, staging_dir
from generator.common.git import git
from generator.common.sql import Scripts
from generator.read.config import Config
from generator.read.deliveries import latest, read_log
from generator.render import budgets, charts
from generator.render.access import Access, Area, pi_key, plan, require, write_maps
from generator.render.filters import environment, markdown_value, template_dirs
from generator.render.naming import digest, page_names, pi_page, project_page
from generator.render.statements import Statement
from generator.warehouse.budgets import Budgets
from generator.warehouse.load import Warehouse

SQL = Scripts.beside(__file__)
CHART_PERIODS = 12
LARGEST_PROJECTS = 10
AMOUNTS = ("list_cost", "discount", "subsidy", "charged")
PLUGIN_MARK = '<meta name="robots" content="noindex'  # the site plugin ran


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
    links: dict[str, str]  # period, periods, pis, projects: relative to the page


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
    back: dict[str, str] | None  # text, page: the index the page belongs to
    projects: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    chart: charts.Chart
    details: list[dict[str, Any]]  # private: each project's statements (anchor, project,
    #                                statements), shown on the PI's page
    budgets: list[budgets.BudgetView]  # as of the latest period


class ProjectContext(TypedDict):
    project: dict[str, Any]
    back: dict[str, str]
    periods: list[dict[str, Any]]


def write_site(wh: Warehouse, statements: Iterable[Statement] = ()
               ) -> tuple[list[Path], list[str]]:
    """Generate the billing pages into ``docs/billing/``, then build ``build/site/`` (and,
    with ``site.access: sso``, the web server's access maps in ``build/site-access/``).
    Returns what was written, and notes for the admin."""
    access = plan_access(wh)
    notes = []
    if access.missing_secret:
        notes.append(f"site: ${access.missing_secret} is not set, so the private billing pages "
                     "(site.access: links) were left out; see docs/admin/site-access.md")
    written = [write_pages(wh, statements, access), run_mkdocs(wh.cfg)]
    maps_dir = wh.cfg.build_dir / "site-access"
    shutil.rmtree(maps_dir, ignore_errors=True)  # none left from another mode
    if access.mode == "sso":
        maps, said = write_maps(wh.cfg, access, maps_dir)
        written += maps
        notes += said
    return written, notes


def plan_access(wh: Warehouse) -> Access:
    """Each audience's folder, for the PIs of every statement."""
    return plan(wh.cfg, (r["pi_email"] for r in SQL.query(wh.con, "site_project_periods")))


def write_pages(wh: Warehouse, statements: Iterable[Statement] = (),
                access: Access | None = None) -> Path:
    """The billing pages into ``docs/billing/``, swapped in whole."""
    final = docs_dir(wh.cfg) / "billing"
    staged = staging_dir(final)
    try:
        generate_pages(wh, staged, statements, access)
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


def generate_pages(wh: Warehouse, out: Path, statements: Iterable[Statement] = (),
                   access: Access | None = None) -> int:
    """Write every billing page under ``out``; returns the number of pages."""
    pages = SitePages(wh, out, statements, access or plan_access(wh)).render()
    for name, text in pages.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return len(pages)


def with_meta(text: str, meta: dict[str, Any]) -> str:
    """A page with ``meta`` added to its front matter (JSON, which YAML reads as it is)."""
    if not meta:
        return text
    lines = "".join(f"{key}: {json.dumps(value)}\n" for key, value in meta.items())
    if text.startswith("---\n"):
        return "---\n" + lines + text[4:]
    return f"---\n{lines}---\n{text}"


class SitePages:
    """The warehouse's numbers, queried once, rendered into every page.

    Where each page is depends on the access mode (``access``): in ``open`` as always
    (``periods/``, ``pis/<pi>.md``, ``projects/<project>.md``, ``statements/``); otherwise the
    staff's pages in the staff folder, each PI's page (``index.md``, with each of their
    projects' statements) and statement files in the PI's folder, a page per department in
    its folder, and a public home snippet that shows nothing of anyone's. Paths are relative to
    ``docs/billing/``; every link a template gets is relative to the page it is on.
    """

    def __init__(self, wh: Warehouse, out: Path, statements: Iterable[Statement],
                 access: Access) -> None:
        self.cfg = cfg = wh.cfg
        self.access = access
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
        self.budgets = budgets.by_pi(Budgets(wh), self.latest)
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

        downloads = (copy_downloads(out, statements, self.download_name)
                     if self.shows_billing else {})
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

    @property
    def shows_billing(self) -> bool:
        """Whether any page shows billing data: not in ``links`` without the secret."""
        return not self.access.private or self.access.staff is not None

    def render(self) -> dict[str, str]:
        if not self.access.private:
            pages = {"home.md": self.home("../index.md")}
        else:
            pages = {"home.md": self.template("home_private").render(
                latest=self.latest, mode=self.access.mode,
                staff=self.rel("../index.md", self.staff_dir + "index.md"))}
            if self.access.staff is None:
                return pages
            here = self.staff_dir + "index.md"
            # The staff's search finds each PI and department by their page's first section
            # (the rest of a PI's page repeats the projects' pages).
            pages[here] = self.private_page(here, self.home(here, "staff"), finds=[
                f"billing/{a.folder}" for a in self.areas() if a.kind != "staff"])
            pages.update(self.department_pages())
        pages.update(self.period_pages())
        pages.update(self.pi_pages())
        pages.update(self.project_pages())
        return pages

    def template(self, name: str) -> jinja2.Template:
        return self.env.get_template(f"site/{name}.md.j2")

    # --- where pages are (relative to docs/billing/) ----------------------------------------

    @property
    def staff_dir(self) -> str:
        """Where the pages about everyone are: the top in ``open``, else the staff folder."""
        return self.access.staff.folder if self.access.staff else ""

    def group(self, email: str | None) -> str | None:
        """A PI as their pages group them: one folder per lower-case email when private."""
        return pi_key(email) if self.access.private else email

    def pi_home(self, email: str | None) -> str:
        if self.access.private:
            return self.access.pi(email).folder + "index.md"
        return pi_page(self.pi_names[email])

    def project_home(self, project_id: str | None) -> str:
        return self.staff_dir + project_page(self.project_names[project_id])

    def download_name(self, period: str, email: str | None, project_id: str | None) -> str:
        """A statement's files, without the suffix: in the PI's folder when private."""
        if self.access.private:
            return (f"{self.access.pi(email).folder}statements/{period}/"
                    f"{self.project_names[project_id]}")
        return f"statements/{period}/{self.pi_names[email]}/{self.project_names[project_id]}"

    @staticmethod
    def rel(here: str, there: str) -> str:
        """``there`` as a link from the page ``here``."""
        return posixpath.relpath(f"billing/{there}", posixpath.dirname(f"billing/{here}"))

    def private_page(self, here: str, text: str, finds: list[str] | None = None) -> str:
        """A page of a private folder, marked for the site's MkDocs plugin: the folder it is in
        (out of the sitemap and the public search index), the folders its search covers and
        the pages (``finds``) whose first section it finds too. On an open site, the page as
        it is."""
        if not self.access.private:
            return text
        area = next(a for a in self.areas() if here.startswith(a.folder))
        meta = {"private": f"billing/{area.folder}", "sees": self.sees(area)}
        return with_meta(text, {"openchargeback": {**meta, "finds": finds} if finds else meta})

    def areas(self) -> list[Area]:
        assert self.access.staff is not None
        return [self.access.staff, *self.access.pis.values(),
                *self.access.departments.values()]

    def sees(self, area: Area) -> list[str]:
        """The folders (from the site's root) whose pages the area's search finds: a
        department's its own and its PIs', the staff's and a PI's their own."""
        if area.kind == "department":
            return [f"billing/{area.folder}", *(f"billing/{self.access.pis[k].folder}"
                                                for k in self.access.members[area.key])]
        return [f"billing/{area.folder}"]

    # --- what the templates get -------------------------------------------------------------

    def pi_ref(self, email: str | None, here: str) -> dict[str, Any]:
        person = self.cfg.people.get((email or "").lower())
        return {"email": email, "name": self.cfg.person_name(email),
                "department": person.department if person else None,
                "page": self.rel(here, self.pi_home(email))}

    def project_ref(self, project_id: str | None, here: str) -> dict[str, Any]:
        project = self.cfg.projects.get(project_id or "")
        return {"id": project_id, "name": project.name if project else None,
                "page": self.rel(here, self.project_home(project_id))}

    def shown(self, stmt: Shown, here: str) -> dict[str, Any]:
        """A statement, and its downloads as links from ``here``."""
        return {"statement": stmt,
                "pdf": self.rel(here, stmt.pdf) if stmt.pdf else None,
                "csv": self.rel(here, stmt.csv) if stmt.csv else None}

    def emailed(self, period: str, pis: set[str | None], here: str) -> list[dict[str, Any]]:
        """Who was emailed the period's statements, and when: each billed PI's latest entry
        in periods/YYYY-MM/deliveries.yaml (written by ``send``)."""
        sent = latest(read_log(self.cfg, period))
        rows = []
        for email in sorted(pis, key=lambda e: self.cfg.person_name(e).lower()):
            entry = sent.get((email or "").lower())
            rows.append({"pi": self.pi_ref(email, here),
                         "status": entry.status if entry else None,
                         "sent_at": entry.sent_at if entry else None})
        return rows

    # --- the pages --------------------------------------------------------------------------

    def home(self, here: str, template: str = "home") -> str:
        """The latest period at a glance: the home page's (``open``), the staff's overview."""
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
        top = self.staff_dir
        context: HomeContext = {
            "latest": latest,
            "totals": self.by_period[latest] if latest else Totals(),
            "sources": self.sources[latest] if latest else [],
            "chart": chart,
            "pending": pending,
            "links": {name: self.rel(here, top + page) for name, page in (
                ("period", f"periods/{latest}.md"), ("periods", "periods.md"),
                ("pis", "pis.md"), ("projects", "projects.md"))},
        }
        return self.template(template).render(context)

    def period_pages(self) -> dict[str, str]:
        pages: dict[str, str] = {}
        rows_by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self.per_statement:
            rows_by_period[r["period"]].append(r)
        index: list[dict[str, Any]] = []
        periods = self.periods
        for i, period in enumerate(periods):
            here = f"{self.staff_dir}periods/{period}.md"
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
                "largest": [{**r, "pi": self.pi_ref(r["pi_email"], here),
                             "project": self.project_ref(r["project_id"], here)}
                            for r in largest[:LARGEST_PROJECTS]],
                "emailed": self.emailed(period, {r["pi_email"] for r in rows}, here),
            }
            pages[here] = self.private_page(here, self.template("period").render(context))
            index.append({"period": period, "totals": self.by_period[period],
                          "reconciliation": rec, "pis": len({r["pi_email"] for r in rows}),
                          "projects": len({r["project_id"] for r in rows})})
        here = f"{self.staff_dir}periods.md"
        pages[here] = self.private_page(
            here, self.template("periods").render(periods=index[::-1]))
        return pages

    def pi_pages(self) -> dict[str, str]:
        """A page per PI, and the index."""
        pages: dict[str, str] = {}
        by_pi: dict[str | None, list[Shown]] = defaultdict(list)
        for stmt in self.statements.values():
            by_pi[self.group(stmt.pi_email)].append(stmt)
        index = [self.pi_page(own, pages) for own in by_pi.values()]
        index.sort(key=lambda r: (r["pi"]["name"].lower(), r["pi"]["email"] or ""))
        here = f"{self.staff_dir}pis.md"
        for r in index:
            r["pi"]["page"] = self.rel(here, r["home"])
        pages[here] = self.private_page(
            here, self.template("pis").render(pis=index, latest=self.latest))
        return pages

    def pi_page(self, own: list[Shown], pages: dict[str, str]) -> dict[str, Any]:
        """One PI's page into ``pages``; their row of the index.

        On an open site the PI's projects link to the projects' pages. In a private mode
        the page is all the PI's folder has: each project's statements are on it, in a
        section of their own (a project's page would show every PI's)."""
        email = own[0].pi_email
        private = self.access.private
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
        here = self.pi_home(email)
        refs = {pid: self.project_ref(pid, here) for pid in projects}
        details: list[dict[str, Any]] = []
        if private:  # each project's section on this page
            for n, pid in enumerate(projects, 1):
                refs[pid]["page"] = f"#project-{n}"
                mine = [s for s in own if s.project_id == pid]
                details.append({
                    "anchor": f"project-{n}",
                    "project": {**self.project_summary(pid, mine, here), **refs[pid]},
                    "statements": [self.shown(s, here) for s in reversed(mine)]})
        context: PiContext = {
            "pi": self.pi_ref(email, here),
            "back": None if private else {"text": "All PIs",
                                          "page": self.rel(here, "pis.md")},
            "projects": [{"project": refs[pid], "totals": t} for pid, t in projects.items()],
            "statements": [{**self.shown(s, here), "project": refs[s.project_id],
                            "at": f"{refs[s.project_id]['page']}{'-' if private else '#'}"
                                  f"{s.period}"}
                           for s in reversed(own)],
            "chart": chart,
            "details": details,
            "budgets": self.budgets.get((email or "").lower(), []),
        }
        pages[here] = self.private_page(here, self.template("pi").render(context))
        return {
            "pi": self.pi_ref(email, here), "home": here, "projects": len(projects),
            "totals": Totals.total(projects.values()),
            "latest": sum((s.totals.charged for s in own if s.period == self.latest),
                          Decimal(0)),
        }

    def project_pages(self) -> dict[str, str]:
        """A page per project with every PI's statements (open, staff), and the index."""
        pages: dict[str, str] = {}
        by_project: dict[str | None, list[Shown]] = defaultdict(list)
        for stmt in self.statements.values():
            by_project[stmt.project_id].append(stmt)
        index: list[dict[str, Any]] = []
        here = f"{self.staff_dir}projects.md"
        for pid, own in by_project.items():
            pages.update(self.project_page(pid, own))
            project = self.project_summary(pid, own, here)
            index.append({"project": project, "periods": len({s.period for s in own}),
                          "last_period": own[-1].period, "totals": project["totals"]})
        index.sort(key=lambda r: (r["project"]["id"] is None, r["project"]["id"] or ""))
        pages[here] = self.private_page(here, self.template("projects").render(projects=index))
        return pages

    def project_summary(self, pid: str | None, own: list[Shown], here: str) -> dict[str, Any]:
        registry = self.cfg.projects.get(pid or "")
        return {
            **self.project_ref(pid, here),
            "pis": [self.pi_ref(e, here) for e in sorted({s.pi_email for s in own},
                                                         key=lambda e: e or "")],
            "fund_orgs": sorted({s.fund_org for s in own if s.fund_org}),
            "end_date": registry.end_date if registry else None,
            "totals": Totals.total(s.totals for s in own),
        }

    def project_page(self, pid: str | None, own: list[Shown]) -> dict[str, str]:
        """A project's page: every PI's statements (open site, staff)."""
        own.sort(key=lambda s: (s.period, s.pi_email or ""))
        here = self.project_home(pid)
        by_period: dict[str, list[Shown]] = defaultdict(list)
        for s in own:
            by_period[s.period].append(s)
        context: ProjectContext = {
            "project": self.project_summary(pid, own, here),
            "back": {"text": "All projects",
                     "page": self.rel(here, f"{self.staff_dir}projects.md")},
            "periods": [{"period": p, "statements": [
                {**self.shown(s, here), "pi": self.pi_ref(s.pi_email, here)} for s in group]}
                for p, group in sorted(by_period.items(), reverse=True)],
        }
        return {here: self.private_page(here, self.template("project").render(context))}

    def department_pages(self) -> dict[str, str]:
        """A page per department with billed PIs: its PIs, each linked to their folder."""
        pages: dict[str, str] = {}
        totals: dict[str, list[Shown]] = defaultdict(list)
        for stmt in self.statements.values():
            totals[pi_key(stmt.pi_email)].append(stmt)
        for name, area in self.access.departments.items():
            here = area.folder + "index.md"
            rows: list[dict[str, Any]] = []
            for key in self.access.members[name]:
                own = totals[key]
                rows.append({
                    "pi": self.pi_ref(own[0].pi_email, here),
                    "projects": len({s.project_id for s in own}),
                    "totals": Totals.total(s.totals for s in own),
                    "latest": sum((s.totals.charged for s in own if s.period == self.latest),
                                  Decimal(0)),
                })
            rows.sort(key=lambda r: (r["pi"]["name"].lower(), r["pi"]["email"] or ""))
            pages[here] = self.private_page(here, self.template("department").render(
                department=name, pis=rows, latest=self.latest))
        return pages


def source_order(cfg: Config, keys: Iterable[str]) -> list[str]:
    """Sources in config order, then any others alphabetically (stable chart colours)."""
    present = set(keys)
    known = [k for k in cfg.sources if k in present]
    return known + sorted(present - set(known))


def copy_downloads(
    out: Path, statements: Iterable[Statement],
    name: Callable[[str, str | None, str | None], str],
) -> dict[tuple[str, str | None, str | None], tuple[str | None, str | None]]:
    """Each statement's PDF and CSV beside the pages (linked, or copied), to
    ``name(period, pi, project)`` and the file's suffix; their paths relative to ``out``."""
    found: dict[tuple[str, str | None, str | None], tuple[str | None, str | None]] = {}
    used: set[str] = set()
    for s in statements:
        key = (s.period, s.pi_email, s.project_id)
        try:
            base = name(*key)
        except KeyError:
            continue  # a statement with no billed lines has no page to link it from
        if base in used:  # two emails that differ only in case share a PI's folder
            base += "-" + digest(s.pi_email)
        used.add(base)
        copied: list[str | None] = []
        for src in (s.pdf_path, s.csv_path):
            if not src.is_file():
                copied.append(None)
                continue
            rel = f"{base}{src.suffix}"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(src, out / rel)
            copied.append(rel)
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
    home = staged / "index.html"
    if home.is_file() and PLUGIN_MARK not in home.read_text(encoding="utf-8"):
        shutil.rmtree(staged, ignore_errors=True)
        raise DataError([Problem(str(config_file), "plugins: add `- openchargeback` after "
                                 "`- search`: it marks the pages noindex, escapes their titles "
                                 "and keeps private pages private (docs/admin/site-access.md)")])
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


def pi_links(wh: Warehouse) -> dict[str, str]:
    """Each PI's page, as ``SitePages`` places it (relative to docs/billing/), by lower-case
    email; in ``links`` mode, a UsageError without the secret."""
    rows = SQL.query(wh.con, "site_project_periods")
    access = plan(wh.cfg, (r["pi_email"] for r in rows))
    require(access)
    if access.private:
        return {key: area.folder + "index.md" for key, area in access.pis.items()}
    names = page_names(r["pi_email"] for r in rows)
    return {(email or "").lower(): pi_page(name) for email, name in names.items()}
