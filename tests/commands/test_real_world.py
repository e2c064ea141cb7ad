"""A file of real-world shape ingests without error, flags what it should, conserves money."""

from __future__ import annotations

import shutil
from decimal import Decimal

import yaml
from conftest import CONFIG, DATA
from typer.testing import CliRunner

from generator.cli import app
from generator.read.config import load_config
from generator.warehouse.load import load


def test_real_world_file(make_repo):
    expected = yaml.safe_load((DATA / "real_world.expected.yaml").read_text())
    root = make_repo(config=CONFIG)
    raw = (DATA / "real_world.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"NULL" in raw and b"E-7" in raw
    export = root.parent / "provider export.csv"
    shutil.copy(DATA / "real_world.csv", export)

    result = CliRunner().invoke(app, ["ingest", str(export), "-s", "mixed", "--repo", str(root)])
    assert result.exit_code == 0, result.output
    moved = {int(line): month for line, month in expected["moved"].items()}
    stays = expected["rows"] - len(moved)
    assert f"placed periods/{expected['period']}/mixed.csv: {stays} rows" in result.output
    for month in set(moved.values()):
        assert f"placed periods/{month}/mixed.csv: 1 row" in result.output

    wh = load(load_config(root))
    assert wh.problems == []
    rows = wh.reconciliation()
    assert {r["period"]: r["input_rows"] for r in rows} == {expected["period"]: stays,
                                                          **{m: 1 for m in moved.values()}}
    assert sum(r["input_total"] for r in rows) == Decimal(str(expected["total_billed_cost"]))
    for r in rows:
        assert r["input_total"] == r["billed"] + r["pending"] + r["rejected"]
    counts = dict(wh.con.execute(
        "SELECT flag, count(*) FROM (SELECT unnest(flags) AS flag FROM charges) GROUP BY flag"
    ).fetchall())
    assert counts == expected["flags"]
    # Per-row flags, keyed by the line number in the export (the header is line 1): a month's
    # file keeps the export's order, less the rows that went to another month.
    lines = {month: iter(sorted(line for line, m in moved.items() if m == month))
             for month in set(moved.values())}
    kept = iter(line for line in range(2, expected["rows"] + 2) if line not in moved)
    per_row = {}
    for period, flags in wh.con.execute(
            "SELECT period, flags FROM charges ORDER BY period, row_number").fetchall():
        per_row[next(lines[period]) if period in lines else next(kept)] = sorted(flags)
    for line, flags in expected["row_flags"].items():
        assert per_row[int(line)] == sorted(flags), line
