"""Statements: Markdown, PDF and CSV per (PI, project) that add up to the warehouse."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import markdown
import pypdf
import pytest
from conftest import (
    CONFIG,
    HEADER,
    TESTS,
    commit_all,
    csv_file,
    demo_files,
    money,
    row,
    tags,
    warehouse,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.cli import app
from generator.common.errors import DataError, UsageError
from generator.read.config import load_config
from generator.render import naming
from generator.render.journal import make_journal
from generator.render.statements import (
    RESOURCE_LIMIT,
    Statement,
    end_warning,
    months_back,
    prepare,
    statement_number,
    write_statements,
)
from generator.warehouse import load as loader

GOLDEN = TESTS / "golden"

PEOPLE = """\
ada@test.edu: {name: Dr. Ada Lovelace, department: Mathematics}
"""
PROJECTS = """\
p1: {name: Analytical Engine, pi_email: ada@test.edu, fund_org: 123456-1234}
"""


def totals(wh: loader.Warehouse, s: Statement) -> dict[str, Decimal]:
    """The statement's figures straight from the warehouse's rounded statement lines."""
    list_cost, discount, subsidy, charged = wh.con.execute(
        "SELECT sum(list_cost), sum(list_cost - contracted_cost), "
        "sum(contracted_cost - charged), sum(charged) FROM statement_lines "
        "WHERE period = ? AND pi_email IS NOT DISTINCT FROM ? "
        "AND project_id IS NOT DISTINCT FROM ?",
        [s.period, s.pi_email, s.project_id],
    ).fetchone()
    return {"list": list_cost, "discount": discount, "subsidy": subsidy, "due": charged}


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def one(statements: list[Statement], project: str) -> Statement:
    (found,) = [s for s in statements if s.project_id == project]
    return found


def test_pdf_and_markdown_match_the_warehouse(make_repo: Callable[..., Path]) -> None:
    lines = [
        HEADER,
        row(cost="10.004", list_cost="12.00", contracted="11.00", resource="i-1"),
        row(cost="5.555", list_cost="6.105", contracted="5.555", resource="i-2"),
        row(cost="3.333", list_cost="3.333", contracted="3.333", service="S3", resource="b"),
        row(cost="7.50", list_cost="9.00", contracted="8.00", resource="i-9",
            tag=tags(project="p2", fund="654321-4321")),
        row(cost="20.00", list_cost="25.00", contracted="25.00", resource="i-3",
            tag=tags(pi="bob@test.edu", project="p3")),
    ]
    root = make_repo({
        "periods/2026-10/aws.csv": "\n".join(lines) + "\n",
        "data/people.yaml": PEOPLE,
        "data/projects.yaml": PROJECTS,
    })
    wh = warehouse(root)
    statements = write_statements(wh)

    assert [(s.pi_email, s.project_id) for s in statements] == [
        ("ada@test.edu", "p1"), ("ada@test.edu", "p2"), ("bob@test.edu", "p3")]
    for s in statements:
        assert s.md_path == root / "build/statements/2026-10" / s.pi_email / f"{s.project_id}.md"
        assert s.number == statement_number(s.period, s.pi_email, s.project_id)
        figures = totals(wh, s)
        assert s.total_due == figures["due"]
        for text in (pdf_text(s.pdf_path), s.md_path.read_text()):
            assert f"List price {money(figures['list'])}" in text.replace(" | ", " ")
            assert money(-figures["discount"]) in text
            assert money(-figures["subsidy"]) in text
            assert f"Amount due {money(figures['due'])}" in text.replace("**", "").replace(
                " | ", " ")
            assert s.number in text
            assert s.pi_email in text
            assert s.project_id in text

    p1 = one(statements, "p1")
    text = pdf_text(p1.pdf_path)
    assert "Dr. Ada Lovelace" in text
    assert "Analytical Engine (p1)" in text
    assert "123456-1234" in text
    assert "Test University Research Computing" in text
    # 10.004 + 5.555 rounds to 15.56 on the EC2 line; 3.333 to 3.33 on S3.
    assert p1.total_due == Decimal("18.89")
    assert "$15.56" in text and "$3.33" in text
    # The PI without an entry in people.yaml is shown by email (the label may wrap, by font).
    p3 = " ".join(pdf_text(one(statements, "p3").pdf_path).split())
    assert "Principal investigator bob@test.edu" in p3

    # The CSV: every charge, exact amounts, and amounts due that add up to the total.
    rows = csv_rows(p1.csv_path)
    assert len(rows) == 3
    assert {r["charged_exact"] for r in rows} == {"10.004", "5.555", "3.333"}
    assert sum(Decimal(r["amount_due"]) for r in rows) == p1.total_due

    # The PDF is dated from the data (no git here: the period's last day), not the clock.
    meta = pypdf.PdfReader(p1.pdf_path).metadata
    assert meta is not None and meta["/CreationDate"].startswith("D:20261031")
    assert meta["/Title"].startswith(f"Statement {p1.number}")


def test_a_typical_statement_is_one_page(make_repo: Callable[..., Path]) -> None:
    services = ["EC2", "S3", "RDS", "Lambda", "CloudWatch", "EBS"]
    lines = [HEADER] + [
        row(period=period, cost=f"{13 * i + 7}.{i:02d}", list_cost=f"{15 * i + 9}.00",
            contracted=f"{14 * i + 8}.50", service=services[i % 6], resource=f"res-{i}")
        for period in ("2026-08", "2026-09", "2026-10") for i in range(14)
    ]
    root = make_repo({
        f"periods/{p}/aws.csv": "\n".join([HEADER, *[x for x in lines[1:] if x.startswith(p)]])
        + "\n"
        for p in ("2026-08", "2026-09", "2026-10")
    } | {"data/people.yaml": PEOPLE, "data/projects.yaml": PROJECTS})
    (s,) = write_statements(warehouse(root), ["2026-10"])
    assert len(pypdf.PdfReader(s.pdf_path).pages) == 1
    assert "14 resources." in s.md_path.read_text()


@pytest.fixture(scope="module")
def demo_october(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[loader.Warehouse, list[Statement]]:
    """The demo repo loaded and its October statements written, once for the module."""
    wh = warehouse(demo_files(tmp_path_factory.mktemp("demo") / "demo"))
    return wh, write_statements(wh, ["2026-10"])


def test_golden_demo_statement(demo_october: tuple[loader.Warehouse, list[Statement]],
                               request: pytest.FixtureRequest) -> None:
    """The demo repo's statement for one project, byte for byte."""
    _, statements = demo_october
    s = one(statements, "astro-sim")
    golden = GOLDEN / f"statement_{s.period}_{s.pi_email}_{s.project_id}.md"
    text = s.md_path.read_text(encoding="utf-8")
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_demo_statements_add_up_match_the_journal_and_fit_on_a_page(
    demo_october: tuple[loader.Warehouse, list[Statement]],
) -> None:
    wh, statements = demo_october
    assert statements
    pages = [len(pypdf.PdfReader(s.pdf_path).pages) for s in statements]
    assert sorted(pages)[len(pages) // 2] == 1  # the typical (median) statement: one page
    period_total = wh.con.execute(
        "SELECT sum(charged) FROM statement_lines WHERE period = '2026-10'").fetchone()[0]
    assert sum(s.total_due for s in statements) == period_total
    journal = make_journal(wh, "2026-10")
    for s in statements:
        assert sum(Decimal(r["amount_due"]) for r in csv_rows(s.csv_path)) == s.total_due
        debited = sum(e.signed_amount for e in journal.entries if e.kind == "charge"
                      and (e.pi_email, e.project_id) == (s.pi_email, s.project_id))
        assert debited == s.total_due  # the journal charges the project what it is billed


def test_same_commit_same_bytes(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    lines = [HEADER] + [row(cost=f"{i}.125", resource=f"i-{i}") for i in range(1, 6)]
    lines.append(row(cost="4.00", resource="x", tag=tags(project="p2")))
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n",
                      "data/people.yaml": PEOPLE})
    other = tmp_path / "elsewhere" / "copy"
    shutil.copytree(root, other)
    first = write_statements(warehouse(root))
    again = write_statements(warehouse(root))
    moved = write_statements(warehouse(other))
    assert len(first) == 2
    for a, b, c in zip(first, again, moved, strict=True):
        for suffix in ("md_path", "pdf_path", "csv_path"):
            data = getattr(a, suffix).read_bytes()
            assert data == getattr(b, suffix).read_bytes() == getattr(c, suffix).read_bytes()


def test_fully_subsidized_hpc_project(make_repo: Callable[..., Path]) -> None:
    lines = [HEADER,
             row(cost="0", list_cost="250.00", contracted="250.00", service="HPC Compute",
                 resource="standard"),
             row(cost="0", list_cost="49.99", contracted="49.99", service="HPC GPU",
                 resource="gpu")]
    root = make_repo({"periods/2026-10/hpc.csv": "\n".join(lines) + "\n"})
    (s,) = write_statements(warehouse(root))
    assert s.total_due == 0
    for text in (s.md_path.read_text(), pdf_text(s.pdf_path)):
        assert "Institution subsidy (100.0% of list)" in text
        assert "-$299.99" in text
        assert "Nothing is due" in text
    assert "HPC" in pdf_text(s.pdf_path)


def test_statement_with_only_credits(make_repo: Callable[..., Path]) -> None:
    lines = [HEADER,
             row(cost="-25.00", list_cost="-25.00", contracted="-25.00", service="Credits",
                 resource="promo-1"),
             row(cost="-4.50", list_cost="-4.50", contracted="-4.50", service="Refund",
                 resource="")]
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n"})
    (s,) = write_statements(warehouse(root))
    assert s.total_due == Decimal("-29.50")
    for text in (s.md_path.read_text(), pdf_text(s.pdf_path)):
        assert "-$29.50" in text
        assert "-$25.00" in text and "-$4.50" in text
        assert "credit of $29.50" in text
    assert "(no resource ID)" in s.md_path.read_text()
    assert {r["amount_due"] for r in csv_rows(s.csv_path)} == {"-25.00", "-4.50"}


def test_five_thousand_resources(make_repo: Callable[..., Path]) -> None:
    lines = [HEADER] + [
        row(cost=f"{(i * 7919) % 1000}.{i % 1000:03d}", list_cost=f"{1000 + i}.00",
            contracted=f"{1000 + i}.00", service=("EC2", "S3", "EBS")[i % 3],
            resource=f"r-{i:05d}")
        for i in range(5000)
    ]
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n"})
    wh = warehouse(root)
    (s,) = write_statements(wh)
    text = s.md_path.read_text()
    table = [line for line in text.splitlines() if line.startswith("| ") and "r-0" in line]
    assert len(table) == RESOURCE_LIMIT
    shown = sum(Decimal(line.split("|")[5].strip().replace("$", "").replace(",", ""))
                for line in table)
    assert f"The {RESOURCE_LIMIT} largest of 5000 resources" in text
    more = f"4950 more resources: {money(s.total_due - shown)}"
    assert more in text
    assert more in pdf_text(s.pdf_path)
    rows = csv_rows(s.csv_path)
    assert len(rows) == 5000
    assert sum(Decimal(r["amount_due"]) for r in rows) == s.total_due
    assert sum(Decimal(r["charged_exact"]) for r in rows) == wh.con.execute(
        "SELECT sum(cost) FROM charges").fetchone()[0]
    assert len(pypdf.PdfReader(s.pdf_path).pages) <= 3


def test_hostile_text_stays_text(make_repo: Callable[..., Path]) -> None:
    names = ["<script>alert(1)</script>", "| ** [x](javascript:alert(1))",
             "`tick` _u_ # h", "=HYPERLINK(\"http://evil\")"]
    lines = [HEADER] + [row(cost=f"{i + 1}.00", resource=f'"{n.replace(chr(34), 2 * chr(34))}"')
                        for i, n in enumerate(names)]
    root = make_repo({
        "periods/2026-10/aws.csv": "\n".join(lines) + "\n",
        "data/people.yaml": "ada@test.edu: {name: 'Dr. <b>Ada</b> *Lovelace*'}\n",
    })
    (s,) = write_statements(warehouse(root))
    html = markdown.markdown(s.md_path.read_text(), extensions=["tables"])
    for tag in ("<script", "<a ", "<em>", "<code>", "<b>"):
        assert tag not in html
    pdf = pdf_text(s.pdf_path)
    for name in [*names[:3], "Dr. <b>Ada</b> *Lovelace*"]:
        assert name in pdf
    resources = html.split(">Resource</th>")[1].split("</table>")[0]
    assert resources.count("<tr>") == len(names)  # one row each: no cell was split
    cells = {r["resource_name"] for r in csv_rows(s.csv_path)}
    assert "'=HYPERLINK(\"http://evil\")" in cells


def test_pending_review_is_shown_but_not_billed(make_repo: Callable[..., Path]) -> None:
    lines = [HEADER, row(cost="10.00"),
             row(cost="99.995", resource="held", tag=tags(fund="not-a-fund")),
             row(cost="0.50", resource="held-2", tag=tags(fund="also-bad"))]
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n"})
    (s,) = write_statements(warehouse(root))
    assert s.total_due == Decimal("10.00")
    for text in (s.md_path.read_text(), pdf_text(s.pdf_path)):
        assert "Pending review (not billed)" in text
        assert "2 charges for $100.50 are waiting for review" in text
    assert len(csv_rows(s.csv_path)) == 1


CORRECTION_HEADER = HEADER + ",ChargeClass,ChargeDescription"


def test_corrections_are_shown_as_negatives(make_repo: Callable[..., Path]) -> None:
    from generator.commands import periods
    from generator.commands.correct import correct

    root = make_repo({
        "periods/2026-09/aws.csv": f"{HEADER}\n{row(period='2026-09', cost='50.00')}\n",
        "periods/2026-10/aws.csv": "\n".join([
            CORRECTION_HEADER,
            row(cost="40.00") + ",,Usage",
            # A provider's own correction row: no charge named.
            row(cost="-0.105", list_cost="-0.105", contracted="-0.105", resource="i-fix")
            + ",Correction,Rounding adjustment",
        ]) + "\n",
    })
    cfg = load_config(root)
    (original,) = warehouse(root).query("review_list", period="2026-09", flag=None,
                                        status="all")
    periods.close(cfg, "2026-09", "Jane")  # a correction is for a closed month
    correct(cfg, original["charge_id"], "-12.34", "Overbilled in September", "Jane",
            period="2026-10")
    wh = warehouse(root)
    (s,) = write_statements(wh, ["2026-10"])
    assert s.total_due == Decimal("40.00") - Decimal("0.11") - Decimal("12.34")
    md = s.md_path.read_text()
    section = md.split("## Corrections to earlier periods")[1].split("##")[0]
    assert f"| charge {original['charge_id']} of September 2026 |" in section
    # A provider's own correction names no charge: the statement says so, and who billed it.
    assert "| an earlier charge, not named by Amazon Web Services: see the reason |" in section
    assert "Overbilled in September" in section and "Rounding adjustment" in section
    assert "-$12.34" in section and "-$0.11" in section
    assert "Total corrections** | | | **-$12.45**" in section
    lines = wh.con.execute("SELECT sum(charged) FROM statement_lines WHERE correction "
                           "AND period = '2026-10'").fetchone()[0]
    assert lines == Decimal("-12.45")
    assert "Corrections to earlier periods" in pdf_text(s.pdf_path)
    corrects = {r["corrects"] for r in csv_rows(s.csv_path)}
    assert corrects == {"", original["charge_id"]}


def test_no_corrections_section_without_corrections(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n"})
    (s,) = write_statements(warehouse(root))
    md = s.md_path.read_text()
    assert "Corrections" not in md and "Pending review" not in md


@pytest.mark.parametrize(
    ("end", "expected"),
    [(date(2027, 6, 1), None), (date(2027, 4, 29), 180), (date(2027, 1, 29), 90),
     (date(2027, 1, 30), 180), (date(2026, 11, 30), 30), (date(2026, 10, 31), 30),
     (date(2026, 10, 30), 0)],
)
def test_end_warning_thresholds(end: date, expected: int | None) -> None:
    warning = end_warning(end, date(2026, 10, 31))
    if expected is None:
        assert warning is None
    else:
        assert warning is not None
        assert warning["within"] == expected
        assert warning["ended"] == (expected == 0)


def test_project_ending_and_ended_warnings(make_repo: Callable[..., Path]) -> None:
    projects = ("p1: {end_date: 2026-12-15}\n"
                "p2: {end_date: 2026-10-15}\n"
                "p3: {end_date: 2030-01-01}\n")
    lines = [HEADER, row(), row(tag=tags(project="p2")), row(tag=tags(project="p3"))]
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n",
                      "data/projects.yaml": projects})
    statements = write_statements(warehouse(root))
    assert ("ends on 15 December 2026, within 90 days"
            in pdf_text(one(statements, "p1").pdf_path))
    assert "This project ended on 15 October 2026" in one(statements, "p2").md_path.read_text()
    assert "project end" not in one(statements, "p3").md_path.read_text()
    assert "> " not in one(statements, "p3").md_path.read_text()


def test_trend_of_twelve_months_from_history(make_repo: Callable[..., Path]) -> None:
    files = {
        "periods/2026-01/aws.csv": f"{HEADER}\n{row(period='2026-01', cost='5.00')}\n",
        # 2026-02 is in the repository but this project had nothing: $0.00
        "periods/2026-02/aws.csv":
            f"{HEADER}\n{row(period='2026-02', cost='1.00', tag=tags(project='other'))}\n",
        "periods/2026-10/aws.csv": f"{HEADER}\n{row(period='2026-10', cost='30.00')}\n",
        "periods/2025-10/aws.csv": f"{HEADER}\n{row(period='2025-10', cost='99.00')}\n",
    }
    root = make_repo(files)
    statements = write_statements(warehouse(root), ["2026-10"])
    md = one(statements, "p1").md_path.read_text()
    table = md.split('<table class="trend-table">')[1].split("</table>")[0]
    heads = table.split("<tbody>")[0]
    cells = table.split("<tbody>")[1].split("<td>")[1:]
    amounts = [c.split("</td>")[0] for c in cells]
    assert "Nov 25" in heads and "Oct 26" in heads and "Oct 25" not in heads
    assert amounts == ["—", "—", "$5.00", "$0.00", "—", "—", "—", "—", "—", "—", "—",
                       "$30.00"]
    assert md.count("<rect ") == 3  # a bar for each month the repository has
    assert months_back("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_file_names_are_safe_and_unique(make_repo: Callable[..., Path]) -> None:
    projects = ["../../etc/passwd", "a/b", "a-b", "A-B", ".hidden", "ok"]
    lines = [HEADER] + [row(tag=tags(project=p)) for p in projects]
    lines.append(row(tag=tags(pi="../x@test.edu", project="ok")))
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n"})
    statements = write_statements(warehouse(root))
    folder = (root / "build/statements/2026-10").resolve()
    paths = [s.pdf_path for s in statements]
    # The PI "../x@test.edu" is not a plain address: flagged, pending, no statement ...
    assert len(set(paths)) == len(paths) == 6
    assert len({str(p).lower() for p in paths}) == 6
    assert "../x@test.edu" not in {s.pi_email for s in statements}
    # ... and were it billed, its name could still not leave the period's folder.
    (name,) = naming.statement_names([("2026-10", "../x@test.edu", "ok")]).values()
    assert "/" not in name.split("/", 1)[0] and not name.startswith(".")
    for s in statements:
        for p in (s.md_path, s.pdf_path, s.csv_path):
            assert p.is_file()
            assert p.resolve().parent.parent == folder
            assert not p.name.startswith(".")
    assert {s.pdf_path.name for s in statements if s.project_id == "ok"} == {"ok.pdf"}
    names = {s.project_id: s.pdf_path.stem for s in statements if s.pi_email == "ada@test.edu"}
    assert names["a/b"].startswith("a-b-") and names["a-b"].startswith("a-b-")
    assert names["A-B"].startswith("A-B-")


def test_a_rebuild_replaces_the_period_folder(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv":
                      f"{HEADER}\n{row()}\n{row(tag=tags(project='p2'))}\n"})
    assert len(write_statements(warehouse(root))) == 2
    (root / "periods/2026-10/aws.csv").write_text(f"{HEADER}\n{row()}\n")
    (s,) = write_statements(warehouse(root))
    left = sorted(p.name for p in s.md_path.parent.parent.rglob("*"))
    assert left == ["ada@test.edu", "p1.csv", "p1.md", "p1.pdf"]


def test_dry_run_writes_nothing(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n"})
    (s,) = write_statements(warehouse(root), dry_run=True)
    assert s.pdf_path == root / "build/statements/2026-10/ada@test.edu/p1.pdf"
    assert not (root / "build").exists()


def test_unknown_period_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n"})
    with pytest.raises(UsageError, match="no period 2026-09"):
        write_statements(warehouse(root), ["2026-09"])


@pytest.mark.parametrize(
    ("template", "text", "where"),
    [("statement.md.j2", "# ok\n\n{% if x %}\nno endif\n", "site_templates/statement.md.j2:"),
     ("statement.md.j2", "# ok\n{{ summary.nothing_here }}\n",
      "site_templates/statement.md.j2:2"),
     ("_trend.html.j2", "<div>\n{{ trend.bars|money }}\n</div>\n",
      "site_templates/_trend.html.j2:2"),
     ("statement_pdf.html.j2", "<html>\n\n{{ body }\n", "site_templates/statement_pdf.html.j2:3")],
)
def test_a_broken_template_names_its_file_and_line(
    make_repo: Callable[..., Path], template: str, text: str, where: str
) -> None:
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n",
                      f"site_templates/{template}": text})
    with pytest.raises(DataError) as exc:
        write_statements(warehouse(root))
    (problem,) = exc.value.problems
    assert problem.where.startswith(where)
    assert "template" in problem.message
    folder = root / "build/statements"
    assert not folder.exists() or list(folder.iterdir()) == []  # nothing half-written


def test_a_template_error_in_the_workers_stops_the_run(make_repo: Callable[..., Path]) -> None:
    """Three statements or more render in worker processes; the first template error
    there ends the run with one problem and writes nothing."""
    rows = [row(tag=tags(project=f"p{i}")) for i in range(4)]
    root = make_repo({"periods/2026-10/aws.csv": csv_file(*rows),
                      "site_templates/statement.md.j2": "# ok\n{{ summary.nothing_here }}\n"})
    with pytest.raises(DataError) as exc:
        write_statements(warehouse(root))
    (problem,) = exc.value.problems
    assert problem.where == "site_templates/statement.md.j2:2"
    folder = root / "build/statements"
    assert not folder.exists() or list(folder.iterdir()) == []  # nothing half-written


def test_an_institution_restyles_with_its_own_css(make_repo: Callable[..., Path]) -> None:
    logo = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
            '<rect width="40" height="20" fill="#0c0"/></svg>')
    config = CONFIG.replace("  contact: billing@test.edu\n",
                            "  contact: billing@test.edu\n  logo: data/logo.svg\n")
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n",
                      "data/logo.svg": logo,
                      "site_templates/statement.css": "@page { size: A4 }\nh1 { color: #c00 }\n"},
                     config=config)
    (s,) = write_statements(warehouse(root))
    page = pypdf.PdfReader(s.pdf_path).pages[0]
    assert (round(page.mediabox.width), round(page.mediabox.height)) == (595, 842)  # A4
    drawing = page.get_contents().get_data()
    assert b"0.8 0 0 rg" in drawing  # the title in the institution's red
    assert b"0 0.8 0 rg" in drawing  # its (green) logo, embedded
    assert "Statement for October 2026" in pdf_text(s.pdf_path)
    (root / "data/logo.svg").unlink()
    with pytest.raises(DataError, match="organization.logo: data/logo.svg is not a file"):
        write_statements(warehouse(root))


def test_commit_and_date_come_from_git(make_repo: Callable[..., Path],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n"})
    with monkeypatch.context() as env:  # the dates only for the commit, not for the build
        env.setenv("GIT_AUTHOR_DATE", "2026-11-03T09:30:00+00:00")
        env.setenv("GIT_COMMITTER_DATE", "2026-11-03T09:30:00+00:00")
        commit = commit_all(root, "data")
    (s,) = write_statements(warehouse(root))
    md = s.md_path.read_text()
    assert f"built from data commit {commit[:12]} of 3 November 2026." in md
    assert pypdf.PdfReader(s.pdf_path).metadata["/CreationDate"].startswith("D:20261103093000")
    (root / "periods/2026-10/aws.csv").write_text(f"{HEADER}\n{row(cost='11.00')}\n")
    (s,) = write_statements(warehouse(root))
    assert "with uncommitted changes" in s.md_path.read_text()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(-99_999, 999_999), st.integers(0, 3),
                          st.integers(0, 9)), min_size=1, max_size=30))
def test_resource_detail_adds_up_to_the_lines(
    make_repo: Callable[..., Path], charges: list[tuple[int, int, int]]
) -> None:
    """However the amounts round, the resources and charges add up to the statement lines."""
    lines = [HEADER] + [
        row(cost=f"{Decimal(n).scaleb(-3)}", list_cost=f"{Decimal(n + 7).scaleb(-3)}",
            contracted=f"{Decimal(n + 3).scaleb(-3)}", service=f"S{svc}", resource=f"r{res}")
        for n, svc, res in charges
    ]
    root = make_repo({"periods/2026-10/aws.csv": "\n".join(lines) + "\n"})
    wh = warehouse(root)
    (p,) = prepare(wh, ["2026-10"], None)
    summary = p.context["summary"]
    resources = p.context["resources"]
    for field in ("list_cost", "discount", "subsidy", "charged"):
        assert sum(r[field] for r in resources) == summary[field]  # type: ignore[literal-required]
        assert sum(r[field] for r in p.context["services"]) == summary[field]  # type: ignore[literal-required]
    rows = list(csv.DictReader(io.StringIO(p.csv.decode("utf-8"))))
    assert sum(Decimal(r["amount_due"]) for r in rows) == summary["charged"]
    for r in rows:  # each charge within half a cent of its exact amount, plus one cent
        assert abs(Decimal(r["amount_due"]) - Decimal(r["charged_exact"])) <= Decimal("0.015")


runner = CliRunner()


def test_generate_command(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"periods/2026-10/aws.csv": f"{HEADER}\n{row(cost='12.345')}\n",
                      "data/people.yaml": PEOPLE})
    dry = runner.invoke(app, ["generate", "-p", "2026-10", "--dry-run", "--repo", str(root)])
    assert dry.exit_code == 0, dry.output
    assert ("would write build/statements/2026-10/ada@test.edu/p1.{md,pdf,csv}  "
            "Dr. Ada Lovelace, p1: $12.35") in dry.output
    assert not (root / "build").exists()
    done = runner.invoke(app, ["generate", "-p", "2026-10", "--repo", str(root)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("wrote build/statements/2026-10/ada@test.edu/p1.")
    assert (root / "build/statements/2026-10/ada@test.edu/p1.pdf").is_file()
    missing = runner.invoke(app, ["generate", "--repo", str(root)])
    assert missing.exit_code == 2
    assert "--period" in missing.output


def test_build_writes_statements_for_every_period(make_repo: Callable[..., Path]) -> None:
    from generator.commands.build import build

    root = make_repo({
        "periods/2026-09/aws.csv": f"{HEADER}\n{row(period='2026-09')}\n",
        "periods/2026-10/aws.csv": f"{HEADER}\n{row()}\n",
    })
    result = build(load_config(root))
    assert [s.period for s in result.statements] == ["2026-09", "2026-10"]
    assert root / "build/statements/2026-10" in result.written
    assert all(s.pdf_path.is_file() for s in result.statements)
