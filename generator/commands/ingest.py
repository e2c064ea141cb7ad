"""``ingest``: check a FOCUS file against the repo and place it at periods/YYYY-MM/SOURCE.ext."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from generator.commands.output import Output, count
from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_copy
from generator.common.money import format_money
from generator.common.months import is_period
from generator.common.sql import Scripts
from generator.read.config import Config
from generator.read.focus import FocusFile, detect_period, focus_suffix
from generator.warehouse import load as loader
from generator.warehouse import periods

SQL = Scripts.beside(__file__)
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
    elif not is_period(period):
        raise UsageError(f"period {period!r}: write it as YYYY-MM")
    periods.require_open(cfg, period, "ingest new data")

    incoming = FocusFile(path=file, source=source, period=period, shown=str(file))
    # Every period, as `check` loads them: cost spikes and duplicates need the history.
    wh = loader.load(cfg, extra_files=[incoming])
    own = [p for p in wh.problems if p.where.split(":")[0] == str(file)]
    if own:
        raise DataError(own)
    warnings = [p for p in wh.problems if p not in own]
    (summary,) = SQL.query(wh.con, "ingest_summary", file=str(file))
    counts: Counter[str] = Counter(
        {row["flag"]: row["n"] for row in SQL.query(wh.con, "ingest_flags", file=str(file))}
    )
    folder = cfg.periods_dir / period
    target = folder / f"{source}{suffix}"
    siblings = [folder / f"{source}{s}" for s in (".csv", ".csv.gz", ".parquet")]
    replaced = any(p.exists() for p in siblings)
    if not dry_run:
        atomic_copy(file, target)
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


def describe(cfg: Config, r: IngestResult) -> Output:
    output = Output()
    for warning in r.warnings:
        output.warn(f"warning: {warning}")
    if r.source not in cfg.sources:
        output.warn(f"warning: source {r.source!r} is not in data/config.yaml sources")
    verb = "would replace" if r.dry_run and r.replaced else "would place" if r.dry_run else (
        "replaced" if r.replaced else "placed"
    )
    money = cfg.currency
    output.say(f"{verb} {r.target.relative_to(cfg.root)}: {count(r.rows, 'row')}, "
               f"total {format_money(r.total, money)}")
    output.say(f"  billed {format_money(r.billed, money)}, pending review "
               f"{format_money(r.pending, money)}")
    for flag, n in sorted(r.flags.items()):
        output.say(f"  flagged {flag}: {n}")
    return output


def run(cfg: Config, file: Path, source: str, period: str | None, dry_run: bool) -> Output:
    return describe(cfg, ingest(cfg, file, source, period, dry_run))
