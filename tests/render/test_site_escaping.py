"""Untrusted text on the site, in statements and in emails, opened in a real browser.

Tags (``pi_email``, ``project_id``, ``fund_org``), a service name and the names in
``people.yaml`` and ``projects.yaml`` carry payloads for every context they reach: a page's
``<title>``, its body, attributes, inline SVG, the table of contents, the search index and
its results, a statement's HTML, an email's HTML. Each payload, if it ran, would set
``window.__pwned``; every page that shows them is opened in headless Chromium and must show
the text as text, with nothing run. (Grepping the HTML would not tell: the bug this guards
against was text escaped once and then unescaped by the theme.)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CONFIG, HEADER, http_server, site_files

from generator.commands import build
from generator.deliver import email
from generator.read.config import load_config
from generator.render import statements
from generator.render.access import token
from generator.warehouse import load as loader

SECRET = "s" * 40
PERIOD = "2026-10"
# Each would set window.__pwned to its name if it ran.
EMAIL = "</title><script>window.__pwned='email'</script>@evil.edu"
PROJECT = "</title><script>window.__pwned='project'</script><title>"
FUND = "\"><svg onload=\"window.__pwned='fund'\">"
SERVICE = "Zyxxq <img src=x onerror=\"window.__pwned='service'\">"
NAME = "Eve </title><script>window.__pwned='name'</script><title>"
DEPARTMENT = "<img src=x onerror=\"window.__pwned='department'\">"
PROJECT_NAME = "&lt;script&gt;window.__pwned='entity'&lt;/script&gt; javascript:x"
SHARED = "shared</text></svg><script>window.__pwned='svg'</script>"


def focus(rows: list[dict[str, Any]]) -> str:
    """A FOCUS file: ``HEADER``'s columns, Tags as JSON, every cell CSV-quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    for n, r in enumerate(rows):
        writer.writerow([f"{PERIOD}-01", "2026-11-01", r["cost"], r["cost"], r["cost"],
                         r.get("service", "EC2"), f"i-{n}", json.dumps(r["tags"])])
    return out.getvalue()


def hostile_repo(root: Path, access: str) -> Path:
    eve = "eve@test.edu"
    # EMAIL as a pi_email tag is no plain address: flagged invalid_pi_email, pending, on no
    # page. It reaches the pages as the people.yaml name of a PI with a plain address.
    mallory = "mallory@test.edu"
    files = {
        # Any fund/org is valid, so the hostile one is billed and reaches every page.
        "data/config.yaml": CONFIG.replace("\\d{6})-(?P<orgn>\\d{4})", ".+)") + yaml.safe_dump({
            "site": {"access": access, "staff": ["staff@test.edu"],
                     "department_heads": {DEPARTMENT: "head@test.edu"}},
            "email": {"from": "Billing <billing@test.edu>", "site_url": "https://b.test.edu/"},
        }),
        "data/people.yaml": yaml.safe_dump({eve: {"name": NAME, "department": DEPARTMENT},
                                            mallory: {"name": EMAIL}}),
        "data/projects.yaml": yaml.safe_dump({"p2": {"name": PROJECT_NAME}}),
        f"periods/{PERIOD}/aws.csv": focus([
            {"cost": "10", "service": SERVICE,
             "tags": {"pi_email": mallory, "project_id": PROJECT, "fund_org": FUND}},
            {"cost": "7", "tags": {"pi_email": EMAIL, "project_id": PROJECT, "fund_org": FUND}},
            {"cost": "4", "tags": {"pi_email": eve, "project_id": "p2",
                                   "fund_org": "123456-1234"}},
            {"cost": "3", "service": SERVICE,
             "tags": {"pi_email": eve, "project_id": SHARED, "fund_org": "123456-1234"}},
            {"cost": "2", "tags": {"pi_email": mallory, "project_id": SHARED,
                                   "fund_org": "123456-1234"}},
        ]),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    site_files(root)
    return root


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The hostile repo built open and with private links: each repo's root."""
    roots = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CHARGEBACK_SITE_SECRET", SECRET)
        for access in ("open", "links"):
            root = hostile_repo(tmp_path_factory.mktemp(access), access)
            result = build.build(load_config(root))
            assert result.statements, result.notes
            roots[access] = root
    yield roots


class Browser:
    """One browser tab that records any payload that ran, any dialog and any page error."""

    def __init__(self, chromium: Any) -> None:
        self.page = chromium.new_page()
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog {d.message}"),
                                          d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, url: str) -> str:
        """Open ``url``; the page's text. Fails if a payload ran."""
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        pwned = self.page.evaluate("() => window.__pwned")
        assert pwned is None, f"{url}: the {pwned} payload ran"
        assert self.errors == [], (url, self.errors)
        return self.page.inner_text("body")


def pages(site: Path) -> list[str]:
    """Every billing page of a built site, the home page and the 404 page (paths)."""
    found = sorted(p.relative_to(site).as_posix() for p in (site / "billing").rglob("*.html"))
    return ["index.html", "404.html", *found]


@pytest.mark.parametrize("access", ["open", "links"])
def test_no_payload_runs_on_any_page_and_each_shows_as_text(chromium, sites, access):
    site = sites[access] / "build" / "site"
    browser = Browser(chromium)
    seen = ""
    titles = []
    with http_server(site) as url:
        for path in pages(site):
            seen += browser.open(url + path)
            titles.append(browser.page.title())
    for payload in (EMAIL, PROJECT, FUND, SERVICE, NAME, DEPARTMENT if access == "links" else "",
                    PROJECT_NAME, SHARED):
        assert payload in seen, payload  # shown, as text
    # A page's <title> shows its heading as text.
    assert f"{NAME} - Research Computing Billing" in titles
    assert f"Project {PROJECT} - Research Computing Billing" in titles
    if access == "links":
        assert f"{DEPARTMENT} - Research Computing Billing" in titles


def search(browser: Browser, url: str, query: str) -> str:
    browser.open(url)
    browser.page.click("input[data-md-component=search-query]")
    browser.page.locator("input[data-md-component=search-query]").press_sequentially(
        query, delay=20)
    browser.page.wait_for_selector(".md-search-result__item", timeout=15000)
    results = browser.page.inner_text(".md-search-result")
    assert browser.page.evaluate("() => window.__pwned") is None
    assert browser.errors == []
    return results


def test_search_results_show_payloads_as_text(chromium, sites):
    """The open site's PI pages are in the search index, with the hostile name and
    department; a PI's own search index (links) has their page. (Tables, with the hostile
    service name, are not in the index.)"""
    browser = Browser(chromium)
    with http_server(sites["open"] / "build" / "site") as url:
        results = search(browser, url, "Eve")
        assert NAME in results and DEPARTMENT in results
    site = sites["links"] / "build" / "site"
    with http_server(site) as url:
        eve = f"{url}billing/p/{token(SECRET, 'pi', 'eve@test.edu')}/"
        results = search(browser, eve, "Eve")
        assert NAME in results and DEPARTMENT in results


def test_statement_html_runs_no_payload(chromium, sites, tmp_path):
    """The HTML each statement PDF is printed from, opened as a page."""
    wh = loader.load(load_config(sites["open"]))
    dirs = statements.template_dirs(wh.cfg)
    browser = Browser(chromium)
    shown = ""
    for prepared in statements.prepare(wh, [PERIOD], None):
        job = statements.Job(prepared.context, prepared.csv, tmp_path, prepared.name, dirs,
                             wh.cfg.currency)
        page = tmp_path / f"{len(shown)}.html"
        page.write_text(statements.page(job)[1], encoding="utf-8")
        shown += browser.open(page.as_uri())
        shown += browser.page.title()
    for payload in (EMAIL, PROJECT, FUND, SERVICE, NAME, PROJECT_NAME, SHARED):
        assert payload in shown, payload


def test_email_html_runs_no_payload(chromium, sites, tmp_path):
    """Eve's message (her name and project name are payloads; the hostile email is no
    address, so it gets none), its HTML body opened as a page."""
    root = sites["open"]
    wh = loader.load(load_config(root))
    report = email.send(wh, PERIOD, statements.write_statements(wh, [PERIOD]), dry_run=True,
                        allow_pending=True)
    eml = next(p for p in report.written if p.name.startswith("eve"))
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    page = tmp_path / "email.html"
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    shown = Browser(chromium).open(page.as_uri())
    for payload in (NAME, PROJECT_NAME, SHARED):
        assert payload in shown, payload
    # The pi_email that is no address waits, flagged: no statement, no message.
    assert "invalid_pi_email" in {r["flag"] for r in wh.query("pending_by_flag")}
    assert not any("evil" in p.name for p in report.written)
