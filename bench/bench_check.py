"""Benchmark: `openchargeback check` over one 1,000,000-row period vs DuckDB alone.

    python bench/bench_check.py [--rows 1000000] [--workdir /tmp/ocb-bench]

Target (issue 2): `check` in at most 3x the time DuckDB alone takes to read the CSV and sum
BilledCost grouped by the `pi_email` tag, and under 2 GB peak memory. Prints both timings,
their ratio and the peak resident memory of the `check` process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ocb-bench"))
    args = parser.parse_args()

    repo = args.workdir / f"repo-{args.rows}"
    csv = repo / "periods/2026-10/aws.csv"
    if not csv.exists():
        (repo / "data").mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data/config.yaml", repo / "data/config.yaml")
        csv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "make_focus.py"),
                str(csv),
                "--rows",
                str(args.rows),
                "--pis",
                "300",
                "--projects",
                "800",
                "--period",
                "2026-10",
                "--seed",
                "1",
            ],
            check=True,
        )
    size = csv.stat().st_size / 1e6

    start = time.perf_counter()
    groups = duckdb.sql(
        "SELECT CASE WHEN json_valid(Tags) THEN json_extract_string(Tags, '$.pi_email') END AS pi, "
        "sum(CAST(BilledCost AS DECIMAL(38, 18))) "
        f"FROM read_csv('{csv}', all_varchar=true) GROUP BY pi"
    ).fetchall()
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "generator", "check", "--repo", str(repo)],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    ours = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"rows {args.rows:,}  csv {size:.0f} MB  PIs {len(groups)}")
    print(f"duckdb read + sum by pi_email: {baseline:.2f} s")
    print(f"openchargeback check:          {ours:.2f} s  ({ours / baseline:.1f}x)")
    print(f"check peak memory:             {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
