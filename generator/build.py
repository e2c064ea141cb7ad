"""``check`` and ``build``: run the pipeline over the repo and write what it produces."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import loader
from .config import Config
from .errors import DataError
from .files import atomic_write
from .money import exact
from .statements import Statement, write_statements


@dataclass
class BuildResult:
    warehouse: loader.Warehouse
    written: list[Path]
    statements: list[Statement] = field(default_factory=list)


def check(cfg: Config, periods: Iterable[str] | None = None) -> loader.Warehouse:
    """Load everything; the warehouse carries every problem found (none means clean)."""
    return loader.load(cfg, periods)


def build(cfg: Config, periods: Iterable[str] | None = None) -> BuildResult:
    """Everything the repo produces, into build/. Nothing is written if any input is bad."""
    wh = loader.load(cfg, periods)
    if wh.problems:
        raise DataError(wh.problems)
    written = [write_reconciliation(wh, cfg.build_dir / "reconciliation.csv")]
    statements = write_statements(wh)
    written += [cfg.build_dir / "statements" / period for period in wh.periods]
    return BuildResult(warehouse=wh, written=written, statements=statements)


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
