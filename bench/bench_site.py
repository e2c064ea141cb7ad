"""Benchmark the site build on a synthetic repo: 12 periods, 300 PIs, 800 projects.

    python bench/bench_site.py [--periods 12] [--rows 20000] [--pis 300] [--projects 800]
                               [--repo DIR]

Makes a billing repo (the demo config, so ``site.access: links`` with a secret, the shipped
mkdocs.yml, docs/ and site_templates/, and one synthetic FOCUS file per period from
``bench/make_focus.py``), then times the three parts of ``openchargeback build``'s site
stage separately:

- load: the pipeline into DuckDB (shared with statements and journals, not the site's own);
- pages: our page generation (``site.write_pages``: queries, templates, files);
- mkdocs: MkDocs Material building ``build/site/`` (``site.run_mkdocs``).

Target: pages at most half of pages + mkdocs, and the whole build (load + pages + mkdocs)
under 60 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402

from generator.read.config import load_config  # noqa: E402
from generator.render import site  # noqa: E402
from generator.warehouse import load as loader  # noqa: E402

T = TypeVar("T")


def periods_back(last: str, count: int) -> list[str]:
    year, month = map(int, last.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def make_repo(root: Path, periods: list[str], rows: int, pis: int, projects: int) -> None:
    common.make_repo(root, rows, periods, pis=pis, projects=projects, report=False)
    # 17 departments, two of them the demo config's (it names their heads).
    departments = ["Physics", "Chemistry", *(f"Dept {n}" for n in range(2, 17))]
    (root / "data" / "people.yaml").write_text("".join(
        f"pi{i:04d}@example.edu: {{name: PI Number {i}, department: {departments[i % 17]}}}\n"
        for i in range(1, pis + 1)))
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("billing"))
    shutil.copytree(ROOT / "site_templates", root / "site_templates")


def timed(work: Callable[[], T]) -> tuple[tuple[float, float], T]:
    """Run ``work``: (wall seconds, CPU seconds of this process and its children), result."""
    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    wall, used = time.perf_counter(), cpu()
    result = work()
    return (time.perf_counter() - wall, cpu() - used), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--rows", type=int, default=20_000, help="FOCUS rows per period")
    parser.add_argument("--pis", type=int, default=300)
    parser.add_argument("--projects", type=int, default=800)
    parser.add_argument("--repo", type=Path, help="keep the synthetic repo here")
    args = parser.parse_args(argv)

    tmp = None
    if args.repo:
        root = args.repo.resolve()
        if root.exists():
            shutil.rmtree(root)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-site-")
        root = Path(tmp.name) / "repo"
    try:
        t0 = time.perf_counter()
        make_repo(root, periods_back("2026-10", args.periods), args.rows, args.pis,
                  args.projects)
        t_make = time.perf_counter() - t0

        # The demo config's access mode (links), with a secret so every page is built.
        os.environ.setdefault("CHARGEBACK_SITE_SECRET", "bench-" + "0" * 40)
        cfg = load_config(root)
        (t_load, c_load), wh = timed(lambda: loader.load(cfg))
        if wh.problems:
            print("\n".join(map(str, wh.problems[:10])), file=sys.stderr)
            return 1
        (t_pages, c_pages), _ = timed(lambda: site.write_pages(wh))
        (t_mkdocs, c_mkdocs), _ = timed(lambda: site.run_mkdocs(cfg))

        billing = root / "docs" / "billing"
        pages = sum(1 for _ in billing.rglob("*.md"))
        site_dir = root / "build" / "site"
        size = sum(p.stat().st_size for p in site_dir.rglob("*") if p.is_file())
        site_part = t_pages + t_mkdocs
        total = t_load + site_part
        print(f"repo: {args.periods} periods x {args.rows} rows, {args.pis} PIs, "
              f"{args.projects} projects (made in {t_make:.1f} s)")
        print(f"pages generated: {pages}; site: {size / 2**20:.1f} MiB")
        print("                  wall s    CPU s")
        print(f"load (pipeline)   {t_load:6.1f}   {c_load:6.1f}")
        print(f"pages (ours)      {t_pages:6.1f}   {c_pages:6.1f}   "
              f"{t_pages / site_part:4.0%} of the site stage")
        print(f"mkdocs            {t_mkdocs:6.1f}   {c_mkdocs:6.1f}   "
              f"{t_mkdocs / site_part:4.0%} of the site stage")
        print(f"total             {total:6.1f}   {c_load + c_pages + c_mkdocs:6.1f}")
        if total > 1.3 * (c_load + c_pages + c_mkdocs):
            print("(wall time well above CPU time: the machine was busy; CPU time is the fairer "
                  "figure)")
        ok = t_pages <= site_part / 2 and total < 60
        print("targets met" if ok else "TARGETS MISSED: pages <= half the site stage, total < 60 s")
        return 0 if ok else 1
    finally:
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
