"""``check`` and ``build``: run the pipeline over the repo and write what it produces."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import loader, site
from .config import Config
from .errors import DataError
from .files import atomic_write
from .money import exact


@dataclass
class BuildResult:
    warehouse: loader.Warehouse
    written: list[Path]
    notes: list[str] = field(default_factory=list)


def check(cfg: Config, periods: Iterable[str] | None = None) -> loader.Warehouse:
    """Load everything; the warehouse carries every problem found (none means clean)."""
    return loader.load(cfg, periods)


def build(cfg: Config, periods: Iterable[str] | None = None) -> BuildResult:
    """Everything the repo produces, into build/. Nothing is written if any input is bad."""
    wh = loader.load(cfg, periods)
    if wh.problems:
        raise DataError(wh.problems)
    result = BuildResult(wh, [write_reconciliation(wh, cfg.build_dir / "reconciliation.csv")])
    if site.has_site(cfg):
        result.written += site.write_site(wh)
    else:
        result.notes.append("site skipped: no mkdocs.yml in the repo")
    return result


def write_reconciliation(wh: loader.Warehouse, path: Path) -> Path:
    """One row per period: input = billed + pending + rejected, exact."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["period", "input_rows", "input_total", "billed", "pending", "rejected",
         "billed_rows", "pending_rows", "rejected_rows", "billed_rounded"]
    )
    for r in wh.reconciliation():
        writer.writerow(
            [r["period"], r["input_rows"], exact(r["input_total"]), exact(r["billed"]),
             exact(r["pending"]), exact(r["rejected"]), r["billed_rows"], r["pending_rows"],
             r["rejected_rows"], exact(r["billed_rounded"])]
        )
    atomic_write(path, out.getvalue().encode("utf-8"))
    return path
