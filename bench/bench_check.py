"""Benchmark: `openchargeback check` over one 1,000,000-row period vs DuckDB alone.

    python bench/bench_check.py [--rows 1000000] [--repeat 3] [--workdir /tmp/ocb-bench]

Target (issue 2): `check` in at most 3x the time DuckDB alone takes to read the CSV and sum
BilledCost grouped by the `pi_email` tag, and under 2 GB peak memory. Prints the best of
``--repeat`` runs of each, their ratio and the peak resident memory of the `check` process,
and two floors that every `check` pays, measured the same way: reading the file with every
value typed and checked (the reader's own query, nothing stored), and computing the charge
IDs (DESIGN.md: SHA-256 over each row's source and values).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from pathlib import Path

import duckdb
from common import ROOT, best, make_repo

sys.path.insert(0, str(ROOT))

from generator.read import focus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ocb-bench"))
    args = parser.parse_args()

    repo = args.workdir / f"repo-{args.rows}"
    csv = repo / "periods/2026-10/aws.csv"
    if not csv.exists():
        make_repo(repo, args.rows)
    size = csv.stat().st_size / 1e6

    con = duckdb.connect()
    groups: list[tuple[object, ...]] = []

    def alone() -> None:
        groups[:] = con.execute(
            "SELECT CASE WHEN json_valid(Tags) THEN json_extract_string(Tags, '$.pi_email') "
            "END AS pi, sum(CAST(BilledCost AS DECIMAL(38, 18))) "
            f"FROM read_csv('{csv}', all_varchar=true) GROUP BY pi"
        ).fetchall()

    baseline = best(args.repeat, alone)

    # The reader's own query (focus_read.sql.j2), its rows counted instead of stored.
    f = focus.FocusFile(csv, "aws", "2026-10", str(csv))
    columns, _ = focus._csv_header(f, gzipped=False)
    (insert,) = focus.SQL.load("focus_read", focus.read_shape(columns, focus.REQUIRED, False))
    rows = insert.split("INSERT INTO raw_charges BY NAME", 1)[1]
    params = {"period": f.period, "source": f.source, "file": f.shown,
              "max_amount": focus.MAX_AMOUNT,
              **focus.scan_params(csv, columns, store_rejects=False)}
    focus.SQL.run(con, "focus_macros")
    typed = best(args.repeat, lambda: con.execute(
        f"SELECT count(*), count(bad_raw), max(BilledCost) FROM ({rows})", params).fetchall())
    ids = best(args.repeat, lambda: con.execute(
        f"SELECT max(charge_base) FROM ({rows})", params).fetchall())

    def check() -> None:
        subprocess.run([sys.executable, "-m", "generator", "check", "--repo", str(repo)],
                       check=False, stdout=subprocess.DEVNULL)

    ours = best(args.repeat, check)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"rows {args.rows:,}  csv {size:.0f} MB  PIs {len(groups)}  best of {args.repeat}")
    print(f"duckdb read + sum by pi_email:     {baseline:5.2f} s")
    print(f"read, every value typed + checked: {typed:5.2f} s  ({typed / baseline:.1f}x)")
    print(f"read + charge IDs (SHA-256):       {ids:5.2f} s  ({ids / baseline:.1f}x)")
    print(f"openchargeback check:              {ours:5.2f} s  ({ours / baseline:.1f}x)")
    print(f"check peak memory:                 {peak_mb:5.0f} MB")


if __name__ == "__main__":
    main()
