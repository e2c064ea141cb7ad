"""The demo billing repo's whole build against the committed expected output, tests/golden/demo/.

The demo's data/, periods/ and reviews/ are committed in a temporary git repository with a
fixed author, committer and dates, so the data commit and date each statement prints are
the same on every run; then everything is built once, as ``openchargeback build`` does.
Compared byte for byte: the generated billing pages (docs/billing/**/*.md), every
statement's Markdown and CSV, every period's journals, build/reconciliation.csv, the text of
two statements' PDFs, and the ``<article>`` of each billing page of build/site, blank lines
left out (the rest of an HTML page changes with every hand-written page and theme update).

After a deliberate change, ``pytest tests/test_demo_build.py --update-golden`` rewrites
tests/golden/demo/; review the difference with ``git diff`` before committing it.

The demo's site is also opened on a phone's screen (its realistic names and amounts are
what has to fit there).
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path
from typing import Any

import pypdf
import pytest
from conftest import ROOT, copy_demo, git, http_server

from generator.commands.build import BuildResult, build
from generator.read.config import load_config
from generator.read.focus import KNOWN_COLUMNS
from generator.render.access import token

GOLDEN = Path(__file__).parent / "golden" / "demo"
PDF_TEXT = ("2026-10/marcus.lindqvist@northfield.edu/astro-sim",  # the old golden statement
            "2026-10/leila.haddad@northfield.edu/brain-imaging")  # with corrections
# The commit every statement names: the same tree, identity and dates give the same hash
# (set here, as the environment would override conftest's identity).
COMMIT = {
    "GIT_AUTHOR_NAME": "Test Admin", "GIT_AUTHOR_EMAIL": "admin@test.edu",
    "GIT_AUTHOR_DATE": "2026-11-05T12:00:00+00:00",
    "GIT_COMMITTER_NAME": "Test Admin", "GIT_COMMITTER_EMAIL": "admin@test.edu",
    "GIT_COMMITTER_DATE": "2026-11-05T12:00:00+00:00",
}
ARTICLE = re.compile(r"<article\b.*?</article>", re.S)


def demo_commit(root: Path) -> Path:
    """The checkout's committed demo inputs (data, periods, reviews), committed in ``root``;
    the site's config and pages beside them, not committed (they are no billing input)."""
    for name in git(ROOT, "ls-files", "-z", "data", "periods", "reviews").split("\0"):
        if name:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, root / name)
    copy_demo(root, ("mkdocs.yml", "docs"))  # and the shipped site_templates
    git(root, "init", "-q")
    (root / ".git" / "info" / "exclude").write_text("/docs/\n/mkdocs.yml\n/build/\n")
    git(root, "add", "data", "periods", "reviews")
    git(root, "commit", "-q", "-m", "Demo billing data", env=COMMIT)
    return root


# The demo site is private (site.access: links): a fixed secret gives fixed private paths.
SECRET = "golden-demo-secret-not-for-real-use-0123456789"


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    root = demo_commit(tmp_path_factory.mktemp("demo-build"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CHARGEBACK_SITE_SECRET", SECRET)
        return root, build(load_config(root))


def outputs(root: Path) -> dict[str, bytes]:
    """What the golden tree holds, by its path there."""
    found: dict[str, bytes] = {}
    for path in sorted((root / "docs" / "billing").rglob("*.md")):
        found[str(path.relative_to(root))] = path.read_bytes()
    out = root / "build"
    found["build/reconciliation.csv"] = (out / "reconciliation.csv").read_bytes()
    for path in sorted([*out.glob("journals/*/*.csv"), *out.glob("statements/*/*/*.md"),
                        *out.glob("statements/*/*/*.csv")]):
        found[str(path.relative_to(root))] = path.read_bytes()
    for name in PDF_TEXT:
        reader = pypdf.PdfReader(out / "statements" / f"{name}.pdf")
        text = "\f\n".join(page.extract_text() for page in reader.pages) + "\n"
        found[f"build/statements/{name}.pdf.txt"] = text.encode("utf-8")
    for path in sorted((out / "site" / "billing").rglob("*.html")):
        (article,) = ARTICLE.findall(path.read_text(encoding="utf-8"))
        lines = [line.rstrip() for line in article.splitlines() if line.strip()]
        found[str(path.relative_to(root).with_suffix(".article.html"))] = (
            "\n".join(lines) + "\n").encode("utf-8")
    return found


def test_the_demo_build_matches_the_golden_files(
    demo_build: tuple[Path, BuildResult], request: pytest.FixtureRequest
) -> None:
    actual = outputs(demo_build[0])
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in actual.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = {str(p.relative_to(GOLDEN)): p.read_bytes()
                for p in sorted(GOLDEN.rglob("*")) if p.is_file()}
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    changed = [name for name in sorted(expected.keys() & actual.keys())
               if expected[name] != actual[name]]
    report = [f"not built any more: {name}" for name in missing]
    report += [f"new: {name}" for name in extra]
    for name in changed:
        diff = difflib.unified_diff(
            expected[name].decode("utf-8").splitlines(), actual[name].decode("utf-8").splitlines(),
            f"golden/demo/{name}", f"built/{name}", lineterm="", n=1,
        )
        report += [*list(diff)[:12], ""]
    assert not report, (
        f"{len(missing) + len(extra) + len(changed)} files differ from tests/golden/demo/ "
        "(after a deliberate change: pytest tests/test_demo_build.py --update-golden, then "
        "review `git diff`):\n" + "\n".join(report)
    )


def test_the_statements_name_the_fixed_demo_commit(demo_build: tuple[Path, BuildResult]) -> None:
    root, _ = demo_build
    commit = git(root, "rev-parse", "--short=12", "HEAD")
    text = (root / "build/statements" / f"{PDF_TEXT[0]}.md").read_text(encoding="utf-8")
    assert f"built from data commit {commit} of 5 November 2026." in text


# A table's columns that must show on a phone: the amount due (or billed), and the name.
AMOUNT_COLUMNS = ("Amount due", "Billed", "Billed (amount due)", "Amount", "Total", "All periods")
# Per table, the header of each column and, for the first column and the amount columns,
# every cell's left and right edge and width on the screen.
CELLS = """() => [...document.querySelectorAll("article table")].map(table => {
  const headers = [...table.querySelectorAll("thead th")].map(th => th.innerText.trim());
  const cells = [];
  for (const row of table.querySelectorAll("tr")) {
    [...row.children].forEach((cell, i) => {
      if (i === 0 || AMOUNT_COLUMNS.includes(headers[i])) {
        const box = cell.getBoundingClientRect();
        cells.push({column: headers[i], text: cell.innerText.trim(),
                    left: box.left, right: box.right, width: box.width});
      }
    });
  }
  return {headers, cells};
})"""


def test_on_a_phone_names_and_amounts_due_fit_the_screen(
    demo_build: tuple[Path, BuildResult], chromium: Any
) -> None:
    """At 390 px wide, on every kind of billing page, each table's first column and its
    amount due lie inside the screen: nothing that matters needs sideways scrolling."""
    site = demo_build[0] / "build" / "site"
    staff = f"billing/s/{token(SECRET, 'staff', '')}/"
    kinds = {
        "PI": f"billing/p/{token(SECRET, 'pi', 'marcus.lindqvist@northfield.edu')}/",
        "department": f"billing/d/{token(SECRET, 'department', 'Physics')}/",
        "staff overview": staff,
        "periods": staff + "periods/", "period": staff + "periods/2026-10/",
        "PIs": staff + "pis/", "projects": staff + "projects/",
        "project": staff + "projects/astro-sim/",
    }
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    script = CELLS.replace("AMOUNT_COLUMNS", repr(list(AMOUNT_COLUMNS)))
    with http_server(site) as base:
        for kind, path in kinds.items():
            page.goto(base + path)
            screen = page.evaluate("() => document.documentElement.clientWidth")
            assert 350 < screen <= 390
            tables = page.evaluate(script)
            amounts = [c for t in tables for c in t["cells"] if c["column"] in AMOUNT_COLUMNS]
            assert amounts, kind
            for table in tables:
                for cell in table["cells"]:
                    assert cell["width"] > 0 and cell["left"] >= 0 and cell["right"] <= screen, (
                        kind, table["headers"], cell)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= screen, kind


def documented_columns() -> dict[str, list[str]]:
    """Each relation's columns as docs/dev/architecture.md lists them: the paragraphs
    ``Columns: ...`` (for every relation its heading names) and ``Columns of `NAME`: ...``,
    code spans outside parentheses; *every FOCUS column* stands for ``KNOWN_COLUMNS``."""
    page = (ROOT / "docs" / "dev" / "architecture.md").read_text(encoding="utf-8")
    relations = page.split("## The warehouse's tables", 1)[1]
    found: dict[str, list[str]] = {}
    for section in relations.split("\n### ")[1:]:
        heading, _, body = section.partition("\n")
        for paragraph in body.split("\n\n"):
            match = re.match(r"Columns(?: of `(\w+)`)?:(.*)", paragraph, re.S)
            if not match:
                continue
            text = match[2]
            while re.search(r"\([^()]*\)", text):
                text = re.sub(r"\([^()]*\)", "", text)
            columns = []
            for part in re.findall(r"`(\w+)`|(\*every FOCUS column\*)", text):
                columns += [part[0]] if part[0] else list(KNOWN_COLUMNS)
            for name in [match[1]] if match[1] else re.findall(r"`([\w.*]+)`", heading):
                found[name] = columns
    return found


def test_the_architecture_page_lists_every_table_of_a_build_with_its_columns(
    demo_build: tuple[Path, BuildResult],
) -> None:
    con = demo_build[1].warehouse.con
    tables = {
        table: [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "ORDER BY column_index", [table]).fetchall()]
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
    }
    documented = documented_columns()
    assert {"raw_charges", "normalized", "inputs", "period_status"} <= documented.keys()
    for table, columns in tables.items():
        assert documented.get(table) == columns, (
            f"docs/dev/architecture.md: table {table} has columns {columns}"
        )
