"""The PI site: pages from the warehouse, built by MkDocs (strict), links, numbers, escaping.

One small repo is built once for the module (MkDocs takes seconds); it carries hostile text
from the FOCUS files in a service name, a project ID, a fund/org and a PI email.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

import pytest
import tinyhtml5
import yaml
from conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONFIG,
    HEADER,
    ROOT,
    http_server,
    money,
    needs_chromium,
    row,
    site_files,
    tags,
)

from generator.commands import build
from generator.common.errors import DataError
from generator.read.config import SCHEMA, Site, load_config
from generator.render import naming, site, statements
from generator.warehouse import load as loader

SCRIPT = "<script>alert(1)</script>"
LINK = "| ** [x](javascript:alert(1))"
IMG_EMAIL = "<img src=x onerror=alert(1)>@test.edu"
# A PI email that is not a plain address is flagged and gets no page; a hostile *name* in
# people.yaml reaches every page that names the PI.
IMG_PI = "img@test.edu"
PERIODS = ("2026-08", "2026-09", "2026-10")
OPEN = CONFIG + "site: {access: open}\n"  # these tests are of the open site


def write_repo(root: Path) -> Path:
    files = {
        "data/config.yaml": OPEN,
        "data/people.yaml": "ada@test.edu: {name: Ada Lovelace, department: Mathematics}\n"
                            f"{IMG_PI}: {{name: '{IMG_EMAIL}'}}\n",
        "data/projects.yaml": "p1: {name: Analytical engines}\n",
        # Reject the September charge with no PI; October's stays pending.
        "reviews/2026-09.yaml": """\
            - match: {flag: missing_pi_email}
              action: reject
              reason: Test account
              by: tester
            """,
    }
    # What `send` logged for September: two PIs emailed, one failed. October: nothing yet.
    files["periods/2026-09/deliveries.yaml"] = yaml.safe_dump({"deliveries": [
        {"recipient": "ada@test.edu", "status": "sent", "message_id": "<a@test.edu>",
         "sent_at": "2026-10-03T09:12:44+00:00"},
        {"recipient": "bob@test.edu", "status": "failed", "message_id": "<b@test.edu>",
         "sent_at": "2026-10-03T09:12:45+00:00", "error": "RCPT TO: 550 no such user"},
        {"recipient": IMG_PI, "status": "sent", "message_id": "<c@test.edu>",
         "sent_at": "2026-10-03T11:12:46+02:00"},
    ]})
    for period in PERIODS:
        files[f"periods/{period}/aws.csv"] = "\n".join([
            HEADER,
            row(period, cost="10.004", list_cost="12.00", contracted="11.00"),
            row(period, cost="5.5", service="S3", resource="b-1"),
            row(period, cost="-1.25", list_cost="-1.25", contracted="-1.25", service="S3",
                resource="b-1"),
            row(period, cost="3", service=SCRIPT, resource="evil-1",
                tag=tags(project=LINK)),
            row(period, cost="4", tag=tags(pi="bob@test.edu", project="index",
                                            fund="654321-4321")),
            row(period, cost="2", tag=tags(pi=IMG_PI, project="p3")),
            row(period, cost="3", tag=tags(pi=IMG_EMAIL, project="p3")),
            row(period, cost="1.5", tag=tags(pi=None, project="p4")),
        ]) + "\n"
        files[f"periods/{period}/hpc.csv"] = "\n".join([
            HEADER, row(period, cost="20", list_cost="40", contracted="40", service="Slurm",
                        resource="job-1")]) + "\n"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    site_files(root)
    return root


@dataclass
class Built:
    root: Path
    wh: loader.Warehouse
    result: build.BuildResult

    def html(self, page: str) -> Element:
        path = self.root / "build" / "site" / page / "index.html"
        return tinyhtml5.parse(path.read_text(encoding="utf-8"), namespace_html_elements=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = write_repo(tmp_path_factory.mktemp("site") / "repo")
    cfg = load_config(root)
    result = build.build(cfg)
    yield Built(root, result.warehouse, result)


def text(el: Element) -> str:
    return " ".join("".join(el.itertext()).split())


def tables(doc: Element) -> list[list[list[str]]]:
    """Every table of the page's content as rows of cell texts (header row first)."""
    found = []
    for table in doc.iter("table"):
        found.append([[text(c) for c in tr if c.tag in ("th", "td")] for tr in table.iter("tr")])
    return found


def table_after(doc: Element, heading: str) -> list[list[str]]:
    """The first table after the ``h2`` whose text is ``heading``."""
    article = next(doc.iter("article"))
    seen = False
    for el in article.iter():
        if el.tag == "h2" and text(el).rstrip("¶").strip() == heading:
            seen = True
        elif seen and el.tag == "table":
            return [[text(c) for c in tr if c.tag in ("th", "td")] for tr in el.iter("tr")]
    raise AssertionError(f"no table after {heading!r}")


# --- the build -------------------------------------------------------------------------------


def test_build_writes_pages_and_site(built: Built):
    written = [p.relative_to(built.root).as_posix() for p in built.result.written]
    assert "docs/billing" in written and "build/site" in written
    billing = built.root / "docs" / "billing"
    assert sorted(p.name for p in (billing / "periods").iterdir()) == [
        f"{p}.md" for p in PERIODS]
    pages = {p.relative_to(billing).as_posix() for p in billing.rglob("*.md")}
    assert {"home.md", "periods.md", "pis.md", "projects.md", "pis/ada@test.edu.md",
            "projects/p1.md"} <= pages
    # "index" would collide with the projects index page: it gets a distinct name.
    assert any(p.startswith("projects/index-") for p in pages)
    # The home snippet is part of the home page, not a page of its own.
    assert not (built.root / "build/site/billing/home").exists()
    assert "at a glance" in text(built.html(""))


def test_every_link_in_the_built_site_resolves(built: Built):
    site_dir = built.root / "build" / "site"
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            doc = tinyhtml5.parse(path.read_text(encoding="utf-8"),
                                  namespace_html_elements=False)
            ids[path] = {el.get("id") for el in doc.iter() if el.get("id")}
        return ids[path]

    checked = 0
    for page in site_dir.rglob("index.html"):
        doc = tinyhtml5.parse(page.read_text(encoding="utf-8"), namespace_html_elements=False)
        for a in doc.iter("a"):
            href = a.get("href") or ""
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not (parts.path or parts.fragment):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(site_dir)}: broken link {href}"
            if parts.fragment and target.suffix == ".html":
                assert unquote(parts.fragment) in anchors(target), (
                    f"{page.relative_to(site_dir)}: no anchor {href}")
            checked += 1
    assert checked > 100


def test_strict_mkdocs_reports_a_broken_hand_written_link(tmp_path: Path):
    root = write_repo(tmp_path / "repo")
    (root / "docs" / "rates.md").write_text("# Rates\n\nSee [the table](missing.md).\n")
    with pytest.raises(DataError) as exc:
        build.build(load_config(root))
    assert any("rates.md" in p.message and "missing.md" in p.message
               for p in exc.value.problems), exc.value.problems
    assert not (root / "build" / "site").exists()


def test_empty_repo_says_there_is_no_data_yet(make_repo):
    root = make_repo(config=OPEN)
    site_files(root)
    build.build(load_config(root))
    home = (root / "build" / "site" / "index.html").read_text(encoding="utf-8")
    assert "No billing data yet" in home
    assert "No billing periods yet." in (root / "docs" / "billing" / "periods.md").read_text()


def test_repo_without_mkdocs_skips_the_site(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": HEADER + "\n" + row() + "\n"})
    result = build.build(load_config(root))
    assert result.notes == ["site skipped: no mkdocs.yml in the repo"]
    assert not (root / "build" / "site").exists()


# --- the numbers -----------------------------------------------------------------------------


def warehouse_rows(built: Built, sql: str, *params: object) -> list[tuple]:
    return built.wh.con.execute(sql, list(params)).fetchall()


def test_pi_page_numbers_equal_the_warehouse(built: Built):
    doc = built.html("billing/pis/ada@test.edu")
    statements = table_after(doc, "Statements")
    assert statements[0] == ["Period", "Project", "Fund/org", "Amount due", "Statement"]
    shown = {(r[0], r[1]): r[3] for r in statements[1:]}
    expected = {
        (f"{['Aug', 'Sep', 'Oct'][int(p[-2:]) - 8]} {p[:4]}", project): money(total)
        for p, project, total in warehouse_rows(
            built, "SELECT period, project_id, sum(charged) FROM statement_lines "
                   "WHERE pi_email = ? GROUP BY ALL", "ada@test.edu")
    }
    assert shown == expected
    assert len(shown) == 2 * len(PERIODS)  # p1 and the hostile project ID, every period

    projects = {r[0]: r[5] for r in table_after(doc, "Projects")[1:]}
    for project, total in warehouse_rows(
            built, "SELECT project_id, sum(charged) FROM statement_lines WHERE pi_email = ? "
                   "GROUP BY ALL", "ada@test.edu"):
        assert projects[project] == money(total)


def test_home_and_period_totals_are_sums_of_rounded_lines(built: Built):
    (charged, list_cost, subsidy), = warehouse_rows(
        built, "SELECT sum(charged), sum(list_cost), sum(contracted_cost - charged) "
               "FROM statement_lines WHERE period = '2026-10'")
    home = text(built.html(""))
    for amount in (charged, list_cost, subsidy):
        assert money(amount) in home
    sources = table_after(built.html("billing/periods/2026-10"), "By source")
    assert sources[-1][0] == "Total" and sources[-1][-1] == money(charged)
    rec = table_after(built.html("billing/periods/2026-10"), "Reconciliation")
    states = {r[0]: r for r in rec[1:]}
    (pending,), = warehouse_rows(
        built, "SELECT sum(cost) FROM charges WHERE period = '2026-10' AND status = 'pending'")
    assert states["Pending review"][2] == money(pending)
    assert states["Rejected"][1] == "0"
    sept = {r[0]: r for r in table_after(built.html("billing/periods/2026-09"),
                                         "Reconciliation")[1:]}
    assert sept["Rejected"][1] == "1"


def amount(cell: str) -> Decimal:
    """``-$1,234.50`` -> ``Decimal("-1234.50")``."""
    return Decimal(cell.replace("$", "").replace(",", ""))


@pytest.mark.parametrize("page", ["", "billing/periods/2026-10", "billing/pis/ada@test.edu",
                                  "billing/projects/p1"])
def test_discount_and_subsidy_are_reductions_as_on_the_statement(built: Built, page: str):
    """On every page PIs read, discount and subsidy are negative, and each row adds up: list
    price + discount + subsidy = amount due (docs/statements.md, "Signs")."""
    reductions = []
    for table in tables(built.html(page)):
        header = table[0]
        if "Discount" not in header:
            continue
        due = next(i for i, h in enumerate(header) if h.startswith(("Amount due", "Billed")))
        listed = next(i for i, h in enumerate(header) if h.startswith("List"))
        cut, subsidy = header.index("Discount"), header.index("Subsidy")
        for cells in table[1:]:
            shown = [amount(cells[i]) for i in (listed, cut, subsidy, due)]
            assert shown[0] + shown[1] + shown[2] == shown[3], (page, cells)
            reductions += shown[1:3]
    assert reductions and max(reductions) <= 0 < -min(reductions)
    if page == "billing/projects/p1":
        assert ("$102.75 (list price $188.25, discount -$6.00, subsidy -$79.50)"
                in text(built.html(page)))


def test_period_page_says_who_was_emailed_the_statements_and_when(built: Built):
    sept = built.html("billing/periods/2026-09")
    assert table_after(sept, "Statements emailed") == [
        ["PI", "Email", "When (UTC)"],
        [IMG_EMAIL, "Sent", "3 October 2026, 09:12"],  # +02:00 shown in UTC; name as text
        ["Ada Lovelace", "Sent", "3 October 2026, 09:12"],
        ["bob@test.edu", "Failed, to be sent again", "3 October 2026, 09:12"],
    ]
    assert "2 of 3 PIs have been emailed this period's statements." in text(sept)
    assert "550" not in text(sept)  # the server's reply is for the admin (`show`)
    octo = built.html("billing/periods/2026-10")
    assert "This period's statements have not been emailed yet." in text(octo)


def test_project_page_shows_each_period_statement(built: Built):
    doc = built.html("billing/projects/p1")
    assert text(next(doc.iter("h1"))).startswith("Project p1")
    headings = [el.get("id") for el in doc.iter("h2")]
    assert headings == ["2026-10", "2026-09", "2026-08"]
    lines = warehouse_rows(
        built, "SELECT source, service, charged FROM statement_lines "
               "WHERE project_id = 'p1' AND period = '2026-10' ORDER BY source, service")
    first = tables(doc)[0]
    assert first[0] == ["Source", "Service", "List price", "Discount", "Subsidy", "Amount due"]
    body = [(r[1], r[5]) for r in first[1:-1]]
    assert body == [(service, money(amount)) for _, service, amount in lines]
    assert first[-1][0] == "Total"
    ec2 = next(r for r in first if r[1] == "EC2")  # list 12.00, contracted 11.00, due 10.00
    assert ec2[2:] == ["$12.00", "-$1.00", "-$1.00", "$10.00"]


def test_project_page_adds_corrections_into_their_service_as_the_statement_does(demo_repo):
    # The demo corrects an S3 charge of genomics-pipeline in October: a statement line of its
    # own in the warehouse, one "Amazon Simple Storage Service" row on the statement and on
    # the project page (it was two rows with the same name there).
    wh = loader.load(replace(load_config(demo_repo), site=Site(access="open")))
    corrected = wh.con.execute(
        "SELECT service, charged FROM statement_lines WHERE correction AND period = '2026-10' "
        "AND project_id = 'genomics-pipeline'").fetchall()
    assert corrected == [("Amazon Simple Storage Service", Decimal("-18.42"))]
    page = (site.write_pages(wh) / "projects/genomics-pipeline.md").read_text(encoding="utf-8")
    october = page[page.index("## October 2026"):page.index("## September 2026")]
    doc = tinyhtml5.parse(october, namespace_html_elements=False)
    rows = [[text(c) for c in tr if c.tag == "td"] for tr in doc.iter("tr")][1:-1]
    expected = statements.SQL.query(wh.con, "statement_services", periods=["2026-10"])
    assert [(r[1], r[5]) for r in rows] == [
        (s["service"], money(s["charged"])) for s in expected
        if s["project_id"] == "genomics-pipeline"
    ]
    assert [rows[2][1], rows[2][5]] == ["Amazon Simple Storage Service", "$463.76"]


# --- untrusted text --------------------------------------------------------------------------


@pytest.mark.parametrize("page", [
    "", "billing/periods/2026-10", "billing/pis", "billing/projects",
    "billing/pis/ada@test.edu",
])
def test_hostile_text_is_shown_as_text(built: Built, page: str):
    doc = built.html(page)
    article = next(doc.iter("article"))
    for el in article.iter():
        assert el.tag not in ("script", "img", "iframe", "object"), (page, el.tag)
        for name, value in el.attrib.items():
            assert not name.startswith("on"), (page, el.tag, name)
            assert "javascript:" not in value.lower(), (page, el.tag, name, value)
    shown = text(article)
    if page in ("billing/periods/2026-10",):
        assert SCRIPT in shown
    if page in ("billing/projects", "billing/pis/ada@test.edu", "billing/periods/2026-10"):
        assert LINK.replace("  ", " ") in shown
    if page in ("billing/pis",):
        assert IMG_EMAIL in shown


def test_hostile_project_and_pi_get_their_own_safe_pages(built: Built):
    names = naming.page_names([LINK, IMG_EMAIL, IMG_PI])
    for name in names.values():
        assert "/" not in name and not name.startswith(".")
    project = built.html(f"billing/projects/{names[LINK]}")
    assert LINK in text(next(project.iter("h1")))
    pi = built.html(f"billing/pis/{naming.page_names([IMG_PI])[IMG_PI]}")
    title = next(pi.iter("title"))
    assert IMG_EMAIL in text(title)
    assert not any(el.tag == "img" for el in next(pi.iter("article")).iter())


# --- page names and downloads ----------------------------------------------------------------


def test_page_names_are_distinct_and_avoid_index():
    names = naming.page_names(["a b", "a-b", "index", "README", None, "p1", "p1"])
    assert names["p1"] == "p1"
    assert names[None] == "unassigned"
    assert len(set(names.values())) == len(names) == 6
    assert names["a b"] != names["a-b"] and names["a b"].startswith("a-b-")
    assert names["index"].startswith("index-") and names["README"].startswith("README-")


@dataclass
class FakeStatement:
    period: str
    pi_email: str | None
    project_id: str | None
    pdf_path: Path
    csv_path: Path


def test_statement_downloads_are_copied_and_linked(built: Built, tmp_path: Path):
    wh = built.wh  # generate_pages only reads it and writes under ``out``
    files = tmp_path / "statements"
    files.mkdir()
    (files / "s.pdf").write_bytes(b"%PDF-1.7 test")
    (files / "s.csv").write_text("a,b\n")
    out = tmp_path / "pages"
    site.generate_pages(wh, out, [
        FakeStatement("2026-10", "ada@test.edu", "p1", files / "s.pdf", files / "s.csv"),
        FakeStatement("2026-09", "ada@test.edu", "p1", files / "s.pdf", files / "none.csv"),
        FakeStatement("2026-10", "nobody@test.edu", "p1", files / "s.pdf", files / "none.csv"),
    ])
    assert (out / "statements/2026-10/ada@test.edu/p1.pdf").read_bytes() == b"%PDF-1.7 test"
    assert (out / "statements/2026-10/ada@test.edu/p1.csv").is_file()
    assert not (out / "statements/2026-09/ada@test.edu/p1.csv").exists()
    assert not (out / "statements/2026-10/nobody@test.edu").exists()
    project = (out / "projects/p1.md").read_text()
    assert "[PDF](../statements/2026-10/ada@test.edu/p1.pdf){ download }" in project
    assert "[CSV](../statements/2026-10/ada@test.edu/p1.csv)" in project
    pi = (out / "pis/ada@test.edu.md").read_text()
    assert "[PDF](../statements/2026-09/ada@test.edu/p1.pdf)" in pi


# --- docs ------------------------------------------------------------------------------------


def schema_keys(schema: object, prefix: str = "") -> Iterator[str]:
    if isinstance(schema, list):
        yield from schema_keys(schema[0], prefix + "[]")
    elif isinstance(schema, dict):
        for key, value in schema.items():
            path = f"{prefix}.<key>" if key == "*" else f"{prefix}.{key}" if prefix else key
            if not isinstance(value, dict | list) or key == "*" and not isinstance(value, dict):
                yield path
            yield from schema_keys(value, path)


def test_every_config_key_is_documented():
    doc = (ROOT / "docs" / "admin" / "configuration.md").read_text(encoding="utf-8")
    missing = [key for key in schema_keys(SCHEMA) if f"`{key}`" not in doc]
    assert not missing, f"docs/admin/configuration.md does not document {missing}"


# --- in a browser ----------------------------------------------------------------------------

@pytest.fixture
def served(built: Built) -> Iterator[str]:
    """The built site on a local HTTP server: its base URL."""
    with http_server(built.root / "build" / "site") as url:
        yield url


@needs_chromium
def test_in_a_browser(built: Built, served: str, tmp_path: Path):
    """Home, a period, a PI and a project page; a PDF download; dark mode; search. No console
    errors, nothing fetched from another host. Screenshots go to build/screenshots/."""
    from playwright.sync_api import sync_playwright

    shots = ROOT / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    foreign: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900},
                                          accept_downloads=True)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

            def only_local(route, request) -> None:  # type: ignore[no-untyped-def]
                if request.url.startswith(served):
                    route.continue_()
                else:
                    foreign.append(request.url)
                    route.abort()

            page.route("**/*", only_local)

            page.goto(served)
            assert "at a glance" in page.inner_text("article")
            assert page.locator("article svg[role=img]").count() == 1
            page.screenshot(path=str(shots / "home.png"), full_page=True)

            page.click("text=All of October 2026")
            page.wait_for_url("**/billing/periods/2026-10/")
            assert "Reconciliation" in page.inner_text("article")
            assert SCRIPT in page.inner_text("article")
            page.screenshot(path=str(shots / "period.png"), full_page=True)

            page.click("article a:text('Ada Lovelace')")
            page.wait_for_url(re.compile(r".*/billing/pis/ada(@|%40)test\.edu/$"))
            assert page.locator("article svg[role=img]").count() == 1
            page.screenshot(path=str(shots / "pi.png"), full_page=True)

            page.click("article a:text-is('p1')")
            page.wait_for_url(re.compile(r".*/billing/projects/p1/(#.*)?$"))
            page.screenshot(path=str(shots / "project.png"), full_page=True)
            with page.expect_download() as download:
                page.click("article a:text-is('PDF')")
            saved = tmp_path / "statement.pdf"
            download.value.save_as(saved)
            assert saved.read_bytes().startswith(b"%PDF")

            page.click("label[title='Switch to dark mode']")
            assert page.get_attribute("body", "data-md-color-scheme") == "slate"
            page.screenshot(path=str(shots / "project-dark.png"), full_page=True)

            page.click("input[data-md-component=search-query]")
            page.locator("input[data-md-component=search-query]").press_sequentially(
                "Reconciliation", delay=20)
            page.wait_for_selector(".md-search-result__item", timeout=15000)
            results = page.inner_text(".md-search-result")
            assert "Reconciliation" in results
            page.screenshot(path=str(shots / "search.png"))
        finally:
            browser.close()
    assert errors == []
    assert foreign == []
