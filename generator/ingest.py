"""``ingest``: check a FOCUS file against the repo and place it at periods/YYYY-MM/SOURCE.ext."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from . import loader, periods
from .config import Config
from .errors import DataError, Problem, UsageError
from .focus import FocusFile, detect_period, focus_suffix

SOURCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass
class IngestResult:
    source: str
    period: str
    target: Path
    rows: int
    total: Decimal
    billed: Decimal
    pending: Decimal
    flags: Counter[str]
    replaced: bool
    dry_run: bool
    warnings: list[Problem] = field(default_factory=list)


def ingest(
    cfg: Config, file: Path, source: str, period: str | None = None, dry_run: bool = False
) -> IngestResult:
    if not SOURCE.fullmatch(source):
        raise UsageError(
            f"source {source!r}: use lowercase letters, digits, - and _ (it names the file)"
        )
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    suffix = focus_suffix(file)
    if suffix is None:
        raise DataError([Problem(str(file), "not a FOCUS file; use .csv, .csv.gz or .parquet")])
    if period is None:
        period, problems = detect_period(duckdb.connect(), file)
        if problems or period is None:
            raise DataError(problems)
    elif not loader.PERIOD.fullmatch(period):
        raise UsageError(f"period {period!r}: write it as YYYY-MM")
    periods.require_open(cfg, period, "ingest new data")

    incoming = FocusFile(path=file, source=source, period=period, shown=str(file))
    wh = loader.load(cfg, [period], extra_files=[incoming])
    own = [p for p in wh.problems if p.where.split(":")[0] == str(file)]
    if own:
        raise DataError(own)
    warnings = [p for p in wh.problems if p not in own]
    (summary,) = wh.query("ingest_summary", file=str(file))
    counts: Counter[str] = Counter(
        {row["flag"]: row["n"] for row in wh.query("ingest_flags", file=str(file))}
    )
    folder = cfg.periods_dir / period
    target = folder / f"{source}{suffix}"
    siblings = [folder / f"{source}{s}" for s in (".csv", ".csv.gz", ".parquet")]
    replaced = any(p.exists() for p in siblings)
    if not dry_run:
        folder.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.NamedTemporaryFile(dir=folder, prefix=f".{source}.", delete=False) as tmp,
            file.open("rb") as src,
        ):
            shutil.copyfileobj(src, tmp)
        Path(tmp.name).replace(target)
        for other in siblings:
            if other != target:
                other.unlink(missing_ok=True)
    return IngestResult(
        source=source,
        period=period,
        target=target,
        rows=summary["rows"],
        total=summary["total"],
        billed=summary["billed"],
        pending=summary["pending"],
        flags=counts,
        replaced=replaced,
        dry_run=dry_run,
        warnings=warnings,
    )
