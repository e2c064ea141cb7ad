"""Benchmark: `check --base` (the pull-request billing diff) against plain `check`.

    python bench/bench_diff.py [--rows 200000] [--workdir /tmp/ocb-bench-diff]

A repository with one synthetic period (bench/make_focus.py) is committed on main; a branch
adds a review file that rejects (up to 1,000 of) the pending charges. Times `check` and
`check --base main --format markdown` on the branch. The diff loads both trees, so it
costs about two checks plus the comparison; the figure to watch is that ratio.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from common import ROOT, best, make_repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout


def cli(repo: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "generator", *args, "--repo", str(repo)],
                   check=False, stdout=subprocess.DEVNULL, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ocb-bench-diff"))
    args = parser.parse_args()

    repo = args.workdir / f"repo-{args.rows}"
    if repo.exists():
        shutil.rmtree(repo)
    make_repo(repo, args.rows)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bench data")
    git(repo, "checkout", "-q", "-b", "review")
    listing = subprocess.run(
        [sys.executable, "-m", "generator", "review", "list", "-f", "csv", "--repo", str(repo)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout.splitlines()[1:1001]
    ids = [line.split(",")[0] for line in listing]
    (repo / "reviews").mkdir(exist_ok=True)
    (repo / "reviews/2026-10.yaml").write_text(
        f"- ids: [{', '.join(ids)}]\n  action: reject\n  reason: bench\n  by: bench\n"
    )

    check = best(2, lambda: cli(repo, "check"))
    diff = best(2, lambda: cli(repo, "check", "--base", "main", "--format", "markdown"))
    print(f"rows {args.rows:,}, {len(ids)} charges rejected on the branch")
    print(f"check:                 {check:.2f} s")
    print(f"check --base main:     {diff:.2f} s  ({diff / check:.1f}x check)")


if __name__ == "__main__":
    main()
