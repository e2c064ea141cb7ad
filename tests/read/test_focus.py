"""Reading FOCUS files: every reader rule, on real files through real DuckDB."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import HEADER, row, tags

from generator.read import focus
from generator.read.config import load_config
from generator.warehouse import load as loader
from generator.warehouse.load import load


def charges(root: Path) -> list[dict]:
    wh = load(load_config(root))
    assert wh.problems == []
    cur = wh.con.execute("SELECT * FROM charges ORDER BY file, row_number")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def problems(root: Path) -> list[str]:
    return [str(p) for p in load(load_config(root)).problems]


def test_columns_by_name_bom_nulls_and_extras(make_repo):
    text = (
        "\ufeffTags,BilledCost,x_Team,BillingPeriodStart,ListCost,ServiceName\n"
        f'{tags()},1.5,blue,2026-10-01,NULL,\n'
    )
    root = make_repo({"periods/2026-10/aws.csv": text})
    (c,) = charges(root)
    assert c["cost"] == Decimal("1.5")
    assert c["list_cost"] == Decimal("1.5")  # NULL ListCost → the charged amount
    assert c["service"] == "(unspecified service)"  # empty field is null
    assert c["extra"] == '{"x_Team":"blue"}'
    assert c["pi_email"] == "ada@test.edu"


@pytest.mark.parametrize(
    "value",
    ["2026-10-01", "2026-10-01 00:00:00", "2026-10-01T00:00:00Z", "2026-10-01T00:00:00.000Z"],
)
def test_three_date_forms(make_repo, value):
    root = make_repo({"periods/2026-10/aws.csv": f"BillingPeriodStart,BilledCost\n{value},1\n"})
    (c,) = charges(root)
    assert c["billing_month"] == "2026-10"
    assert c["flags"] == ["missing_fund_org", "missing_pi_email", "missing_project_id"]


def test_exact_decimals_and_scientific_notation(make_repo):
    text = (
        "BillingPeriodStart,BilledCost,Tags\n"
        f"2026-10-01,35.2E-7,{tags()}\n"
        f"2026-10-01,0.00012345678,{tags()}\n"
        f"2026-10-01,-1.10000000001,{tags()}\n"
    )
    root = make_repo({"periods/2026-10/aws.csv": text})
    total = sum(c["cost"] for c in charges(root))
    assert total == Decimal("0.00000352") + Decimal("0.00012345678") - Decimal("1.10000000001")


def test_gzip_and_parquet_read_like_csv(make_repo, tmp_path):
    text = f"{HEADER}\n{row(cost='2.50')}\n{row(cost='-0.5', resource='i-2')}\n"
    root = make_repo({"periods/2026-09/aws.csv": text.replace("2026-10", "2026-09")})
    (root / "periods/2026-10").mkdir()
    with gzip.open(root / "periods/2026-10/aws.csv.gz", "wt") as fh:
        fh.write(text)
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(text)
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) "
        f"TO '{root}/periods/2026-10/hpc.parquet' (FORMAT parquet)"
    )
    rows = charges(root)
    by_file = {}
    for c in rows:
        by_file.setdefault(c["file"], []).append(c["cost"])
    assert by_file["periods/2026-10/aws.csv.gz"] == [Decimal("2.5"), Decimal("-0.5")]
    assert by_file["periods/2026-10/hpc.parquet"] == [Decimal("2.5"), Decimal("-0.5")]


BAD_FILES = {
    "ragged": (f"{HEADER}\n{row()}\n2026-10-01,2026-11-01,1\n", "aws.csv:3", "too few fields"),
    "extra field": (f"{HEADER}\n{row()},x\n", "aws.csv:2", "too many fields"),
    "unterminated": (f'{HEADER}\n{row()}\n2026-10-01,2026-11-01,"1\n', "aws.csv", "quote"),
    "empty": ("", "aws.csv", "empty"),
    "only blank": ("\n\n", "aws.csv", "empty"),
    "dup columns": ("BillingPeriodStart,BilledCost,BilledCost\n2026-10-01,1,2\n", "aws.csv:1",
                    "BilledCost appears twice"),
    "missing required column": ("BillingPeriodStart,ListCost\n2026-10-01,1\n", "aws.csv",
                                "column BilledCost is missing"),
    "nan": (f"{HEADER}\n{row(cost='NaN')}\n", "aws.csv:2", 'BilledCost "NaN" is not a number'),
    "currency sign": (f"{HEADER}\n{row(cost='$12.50')}\n", "aws.csv:2",
                      'BilledCost "$12.50" is not a number'),
    "out of range": (f"{HEADER}\n{row(cost='1e40')}\n", "aws.csv:2",
                     'BilledCost "1e40" is out of range: amounts are below 10^15'),
    "too precise": (f"{HEADER}\n{row(cost='1E-19')}\n", "aws.csv:2",
                    'BilledCost "1E-19" has more than 18 decimal places'),
    "infinity": (f"{HEADER}\n{row(list_cost='inf')}\n", "aws.csv:2", 'ListCost "inf"'),
    "impossible date": (f"{HEADER}\n{row().replace('2026-10-01', '2026-02-30', 1)}\n",
                        "aws.csv:2", 'BillingPeriodStart "2026-02-30" is not a date'),
    "missing value": (f"{HEADER}\n{row(cost='')}\n", "aws.csv:2", "BilledCost is empty"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_is_rejected_whole_with_location(make_repo, name):
    text, where, what = BAD_FILES[name]
    root = make_repo({"periods/2026-10/aws.csv": text, "periods/2026-10/hpc.csv":
                      f"{HEADER}\n{row(cost='7')}\n"})
    wh = load(load_config(root))
    messages = [str(p) for p in wh.problems]
    assert any(where in m and what in m for m in messages), messages
    # Nothing of the bad file is in the warehouse; the good file is.
    files = {r[0] for r in wh.con.execute("SELECT DISTINCT file FROM charges").fetchall()}
    assert files == {"periods/2026-10/hpc.csv"}


def test_not_a_text_file(make_repo):
    root = make_repo()
    (root / "periods/2026-10").mkdir(parents=True)
    (root / "periods/2026-10/aws.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert any("not a text file" in p for p in problems(root))


def test_not_utf8(make_repo):
    root = make_repo()
    (root / "periods/2026-10").mkdir(parents=True)
    body = (HEADER + "\n" + row(resource="caf\u00e9") + "\n").encode("latin-1")
    (root / "periods/2026-10/aws.csv").write_bytes(body)
    assert any("aws.csv" in p and "UTF-8" in p for p in problems(root))


def test_line_numbers_count_quoted_newlines(make_repo):
    text = (
        "BillingPeriodStart,BilledCost,ChargeDescription\n"
        '2026-10-01,1,"two\nlines"\n'
        "2026-10-01,oops,x\n"
    )
    root = make_repo({"periods/2026-10/aws.csv": text})
    assert problems(root) == [
        'periods/2026-10/aws.csv:4: BilledCost "oops" is not a number; write a plain decimal '
        "such as 12.50 (at most 18 decimal places, no currency signs, NaN or infinity)"
    ]


def test_row_numbers_hold_in_a_file_read_in_parallel(make_repo):
    # 200,000 rows (~40 MB) are parsed by several DuckDB threads; rows keep the file's order,
    # so both the bad values' lines and every charge's row number are right.
    lines = [row(cost=f"{i}.25", resource=f"i-{i}") for i in range(1, 200_001)]
    lines[149_999] = lines[149_999].replace("150000.25", "oops", 1)
    lines[199_998] = lines[199_998].replace("199999.25", "$5", 1)
    root = make_repo({"periods/2026-10/aws.csv": HEADER + "\n" + "\n".join(lines) + "\n"})
    found = problems(root)
    assert [p.split(": ")[0] for p in found] == [
        "periods/2026-10/aws.csv:150001", "periods/2026-10/aws.csv:200000"
    ], found
    lines[149_999] = row(cost="150000.25", resource="i-150000")
    lines[199_998] = row(cost="199999.25", resource="i-199999")
    (root / "periods/2026-10/aws.csv").write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    wh = load(load_config(root))
    assert wh.problems == []
    wrong = wh.con.execute(
        "SELECT count(*) FROM charges WHERE resource_id <> 'i-' || row_number"
    ).fetchone()
    assert wrong == (0,)


def test_every_bad_value_is_reported_in_one_run(make_repo):
    text = f"{HEADER}\n{row(cost='x')}\n{row(list_cost='y')}\n{row(cost='1')}\n"
    text += row().replace("2026-10-01", "10/01/2026", 1) + "\n"
    root = make_repo({"periods/2026-10/aws.csv": text, "periods/2026-09/gcp.csv": "\n"})
    found = problems(root)
    assert any("aws.csv:2: BilledCost" in p for p in found)
    assert any("aws.csv:3: ListCost" in p for p in found)
    assert any("aws.csv:5: BillingPeriodStart" in p for p in found)
    assert any("gcp.csv: the file is empty" in p for p in found)


def test_invalid_tags_are_kept_and_flagged(make_repo):
    text = (
        "BillingPeriodStart,BilledCost,Tags\n"
        "2026-10-01,1,not json\n"
        '2026-10-01,2,"{""pi_email"":{""nested"":1}}"\n'
        '2026-10-01,3,"[1,2]"\n'
        f"2026-10-01,4,{tags()}\n"
    )
    root = make_repo({"periods/2026-10/aws.csv": text})
    rows = charges(root)
    assert [("invalid_tags" in c["flags"]) for c in rows] == [True, True, True, False]
    assert sum(c["cost"] for c in rows) == 10


def test_unknown_file_in_period_and_two_files_for_one_source(make_repo):
    good = f"{HEADER}\n{row()}\n"
    root = make_repo({
        "periods/2026-10/aws.csv": good,
        "periods/2026-10/aws.csv.gz": good,
        "periods/2026-10/aws.xlsx": "x",
        "periods/2026-10/period.yaml": "status: open",
    })
    found = problems(root)
    assert any("aws.xlsx: not a FOCUS file" in p for p in found)
    assert any("aws.csv.gz: source aws has two files" in p for p in found)
    assert not any("period.yaml" in p for p in found)


def test_raw_charges_has_a_typed_column_per_focus_column():
    con = duckdb.connect()
    loader.SQL.run(con, "raw_charges_table")
    types = {r[0]: r[1] for r in con.execute("DESCRIBE raw_charges").fetchall()}
    focus_types = {
        c: "DECIMAL(38,18)" if c in focus.DECIMAL_COLUMNS
        else "TIMESTAMP" if c in focus.TIMESTAMP_COLUMNS else "VARCHAR"
        for c in focus.KNOWN_COLUMNS
    }
    assert {c: t for c, t in types.items() if c in focus_types} == focus_types
