"""CPU instructions per PDF: a statement as ``build`` renders it against WeasyPrint alone on
the comparable table of ``bench_statements.py``. Needs valgrind (``apt-get install valgrind``).

    python bench/count_instructions.py [--renders 2]

Wall-clock figures on a shared virtual machine move by half from one run to the next; an
instruction count does not (two runs agree within 1 %). Each side runs twice under
valgrind's cachegrind (no cache simulation): once with a warm-up PDF only, once with
``--renders`` more; the difference divided by ``--renders`` is one PDF's instructions, free
of start-up, imports, loading the repo and first-use caches. A few minutes in all.

The ratio bounds the statements-per-second target: with every statement rendered on one of
``cores`` cores and nothing lost to running them at once, ``write_statements`` can reach at
most ``cores / ratio`` times WeasyPrint alone on the table in one process.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_statements  # noqa: E402


def child(side: str, renders: int, repo: Path) -> None:
    """Render a warm-up PDF and then ``renders`` more of ``side``."""
    if side == "table":
        from weasyprint import HTML

        page = bench_statements.baseline_html(124)
        for _ in range(1 + renders):
            HTML(string=page).write_pdf()  # as bench_statements times WeasyPrint alone
        return
    from generator.read.config import load_config
    from generator.render.filters import template_dirs
    from generator.render.statements import Job, logo_uri, prepare, render
    from generator.warehouse import load as loader

    cfg = load_config(repo)
    prepared = prepare(loader.load(cfg), [bench_statements.PERIODS[-1]], logo_uri(cfg))
    with tempfile.TemporaryDirectory() as out:
        for p in prepared[: 1 + renders]:
            render(Job(p.context, p.csv, Path(out), p.name, template_dirs(cfg),
                       cfg.currency))


def instructions(side: str, renders: int, repo: Path) -> int:
    run = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, __file__, "--child", side, "--renders", str(renders),
         "--repo", str(repo)],
        capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    assert found, run.stderr
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=2)
    parser.add_argument("--child", choices=["table", "statement"], help=argparse.SUPPRESS)
    parser.add_argument("--repo", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.renders, args.repo)
        return
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as scratch:
        repo = Path(scratch) / "repo"
        bench_statements.make_repo(repo, 20, seed=1)
        per_pdf = {}
        for side in ("table", "statement"):
            extra = instructions(side, args.renders, repo) - instructions(side, 0, repo)
            per_pdf[side] = extra / args.renders
            print(f"{side}: {per_pdf[side] / 1e6:,.0f} million instructions per PDF")
    ratio = per_pdf["statement"] / per_pdf["table"]
    cores = os.cpu_count() or 1
    print(f"statement / table: {ratio:.2f}; with {cores} cores, at most {cores / ratio:.2f}x "
          f"WeasyPrint alone on the table in one process")


if __name__ == "__main__":
    main()
