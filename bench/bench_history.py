"""Benchmark: a year of history costs what the open month costs.

    python bench/bench_history.py [--rows 1000000] [--months 12] [--projects 800] [--pis 300]
        [--repeat 2] [--workdir /tmp/ocb-history] [--skip-build]

Makes two billing repositories (kept in ``--workdir`` between runs):

- *history*: ``--months`` months of ``--rows`` synthetic charges each (``make_focus.py``); every
  month but the last reviewed (what is flagged rejected), closed, committed and finalized in
  turn, so each has its frozen record; the last month open;
- *one month*: the last month alone, open.

and times, each the best of ``--repeat`` runs, in a subprocess as an admin runs them:

1. ``openchargeback check`` on each, and the history check's peak memory;
2. ``openchargeback build`` of the one-month repository, and of the history with the cache
   warm from the build it had before its last month arrived (that build is run once, untimed,
   to fill ``.cache/``; it renders every finalized month's statements);
3. ``periods finalize`` of the last month in each (closed and committed first, untimed).

Targets (issue 14): check and build within 1.5x of the one-month repository's, the history
check under 2.5 GB, finalizing the last month within 1.5x of finalizing a one-month repository.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import make_focus
from common import ROOT, best, make_repo

SECRET = "bench-history-secret-not-for-real-use-000000"
ENV = {**os.environ, "CHARGEBACK_SITE_SECRET": SECRET, "PYTHONPATH": str(ROOT),
       "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.edu",
       "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.edu"}


def months(count: int, last: str = "2026-10") -> list[str]:
    year, month = map(int, last.split("-"))
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an openchargeback command; stop the benchmark if it fails."""
    done = subprocess.run([sys.executable, "-m", "generator", *args, "--repo", str(repo)],
                          env=ENV, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"openchargeback {' '.join(args)} failed in {repo}:\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], env=ENV, check=True,
                   stdout=subprocess.DEVNULL)


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def settle(repo: Path, period: str) -> None:
    """Review (reject what is flagged), close, commit and finalize one month."""
    cli(repo, "review", "reject", "--all", "-p", period, "--reason", "benchmark")
    cli(repo, "periods", "close", period)
    commit(repo, f"{period} reviewed and closed")
    cli(repo, "periods", "finalize", period)
    commit(repo, f"{period} finalized")


def start(repo: Path, rows: int, periods: Sequence[str], pis: int, projects: int) -> None:
    """A git repository of ``periods`` (site config and docs beside the data)."""
    make_repo(repo, rows, periods, pis=pis, projects=projects)
    shutil.copy(ROOT / "data" / "logo.svg", repo / "data" / "logo.svg")
    for name in ("mkdocs.yml", "docs"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("billing"))
        else:
            shutil.copy(ROOT / name, repo / name)
    (repo / ".gitignore").write_text("build/\n.cache/\ndocs/billing/\n")
    git(repo, "init", "-q")
    git(repo, "config", "core.compression", "1")
    commit(repo, "data")


def setup(workdir: Path, rows: int, count: int, pis: int, projects: int
          ) -> tuple[Path, Path, list[str]]:
    periods = months(count)
    history, single = workdir / "history", workdir / "one-month"
    if not (history / "ready").exists():
        # Month by month, as months arrive: each reviewed, closed and finalized before the
        # next one's file is added (so no month is ever read with eleven others open).
        shutil.rmtree(history, ignore_errors=True)
        start(history, rows, periods[:1], pis, projects)
        for i, period in enumerate(periods[:-1]):
            if i:
                csv = history / "periods" / period / "aws.csv"
                csv.parent.mkdir(parents=True)
                make_focus.generate(csv, rows, pis, projects, period, seed=1 + i,
                                    anomalies=0.001)
                commit(history, f"{period} arrives")
            began = time.perf_counter()
            settle(history, period)
            print(f"finalized {period} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        (history / "ready").write_text("")
    if not (single / "ready").exists():
        shutil.rmtree(single, ignore_errors=True)
        start(single, rows, [], pis, projects)
        csv = single / "periods" / periods[-1] / "aws.csv"
        csv.parent.mkdir(parents=True)
        make_focus.generate(csv, rows, pis, projects, periods[-1], seed=len(periods),
                            anomalies=0.001)
        commit(single, f"{periods[-1]} arrives")
        (single / "ready").write_text("")
    return history, single, periods


def arrive(history: Path, single: Path, period: str) -> None:
    """The last month's file arrives in the history (the same file as the one-month repo's)."""
    target = history / "periods" / period / "aws.csv"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(single / "periods" / period / "aws.csv", target)
        commit(history, f"{period} arrives")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--pis", type=int, default=300)
    parser.add_argument("--projects", type=int, default=800)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ocb-history"))
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    workdir = args.workdir / f"{args.rows}x{args.months}-{args.projects}"
    history, single, periods = setup(workdir, args.rows, args.months, args.pis, args.projects)
    last = periods[-1]
    record = sum(f.stat().st_size for p in periods[:-1]
                 for f in (history / "periods" / p / "frozen").rglob("*") if f.is_file())
    inputs = sum(f.stat().st_size for p in periods[:-1]
                 for f in (history / "periods" / p).glob("*.csv"))

    if not args.skip_build and not (history / ".cache").is_dir():
        began = time.perf_counter()  # the build before the last month arrived: fills .cache/
        cli(history, "build")
        print(f"build of {len(periods) - 1} finalized months (cold): "
              f"{time.perf_counter() - began:.0f} s", file=sys.stderr)
    arrive(history, single, last)

    def timed(repo: Path, *command: str) -> float:
        return best(args.repeat, lambda: cli(repo, *command))

    check_one = timed(single, "check")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    check_all = timed(history, "check")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = max(peak, before) / 1024
    print(f"{args.months} months x {args.rows:,} rows ({args.pis} PIs, {args.projects} "
          f"projects), best of {args.repeat}")
    print(f"finalized months: inputs {inputs / 1e6:,.0f} MB, frozen records "
          f"{record / 1e6:,.0f} MB")
    print(f"check, one month:        {check_one:7.2f} s")
    print(f"check, {args.months} months:       {check_all:7.2f} s  ({check_all / check_one:.2f}x)"
          f"  peak memory {peak_mb:,.0f} MB")
    if not args.skip_build:
        build_one = timed(single, "build")
        build_all = timed(history, "build")
        print(f"build, one month:        {build_one:7.2f} s")
        print(f"build, {args.months} months (warm): {build_all:7.2f} s  "
              f"({build_all / build_one:.2f}x)")

    def finalize(repo: Path) -> float:
        """Review, close and commit the last month (untimed), finalize it (timed), then put
        the repository back as it was (the commit undone, the record removed)."""
        cli(repo, "review", "reject", "--all", "-p", last, "--reason", "benchmark")
        cli(repo, "periods", "close", last)
        commit(repo, f"{last} closed")
        began = time.perf_counter()
        cli(repo, "periods", "finalize", last)
        took = time.perf_counter() - began
        git(repo, "reset", "-q", "--hard", "HEAD~1")
        git(repo, "clean", "-qfd", "periods", "reviews")
        return took

    final_one = min(finalize(single) for _ in range(args.repeat))
    final_all = min(finalize(history) for _ in range(args.repeat))
    print(f"finalize, one month:     {final_one:7.2f} s")
    print(f"finalize, {args.months}th month:    {final_all:7.2f} s  "
          f"({final_all / final_one:.2f}x)")


if __name__ == "__main__":
    main()
