"""A file of real-world shape ingests without error, flags what it should, conserves money."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import yaml
from conftest import CONFIG
from typer.testing import CliRunner

from generator.cli import app
from generator.read.config import load_config
from generator.warehouse.load import load

DATA = Path(__file__).parent / "data"


def test_real_world_file(make_repo):
    expected = yaml.safe_load((DATA / "real_world.expected.yaml").read_text())
    root = make_repo(config=CONFIG)
    raw = (DATA / "real_world.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"NULL" in raw and b"E-7" in raw
    export = root.parent / "provider export.csv"
    shutil.copy(DATA / "real_world.csv", export)

    result = CliRunner().invoke(app, ["ingest", str(export), "-s", "mixed", "--repo", str(root)])
    assert result.exit_code == 0, result.output
    assert f"placed periods/{expected['period']}/mixed.csv: {expected['rows']} rows" \
        in result.output

    wh = load(load_config(root))
    assert wh.problems == []
    (r,) = wh.reconciliation()
    assert r["input_rows"] == expected["rows"]
    assert r["input_total"] == Decimal(str(expected["total_billed_cost"]))
    assert r["input_total"] == r["billed"] + r["pending"] + r["rejected"]
    counts = dict(wh.con.execute(
        "SELECT flag, count(*) FROM (SELECT unnest(flags) AS flag FROM charges) GROUP BY flag"
    ).fetchall())
    assert counts == expected["flags"]
    # Per-row flags, keyed by the CSV line number (row_number + 1 for the header).
    per_row = {
        row_number + 1: sorted(flags)
        for row_number, flags in wh.con.execute("SELECT row_number, flags FROM charges").fetchall()
    }
    for line, flags in expected["row_flags"].items():
        assert per_row[int(line)] == sorted(flags), line
