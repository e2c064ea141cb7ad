"""``ingest``: check a FOCUS file against the repo and place its rows at
periods/YYYY-MM/SOURCE.ext.

Each row goes to the month of its ``BillingPeriodStart`` and, without ``-s``, to the source
whose ``match`` rules (data/config.yaml) recognize it: a file spanning months or mixing
providers is split into one file per (month, source). A file that goes whole to one place is
copied as it is; a split CSV is written row by row with every value as it was (so charge IDs
are the same as if each part had been exported alone). ``-p YYYY-MM`` takes only that
month's rows and reports the others as left out. A month that is closed or finalized is
refused, naming it, before anything is written.
"""

from __future__ import annotations

import csv
import gzip
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import duckdb

from generator.commands.output import Output, count
from generator.common.errors import DataError, Problem, UsageError, at
from generator.common.files import atomic_copy
from generator.common.money import format_money
from generator.common.months import is_period
from generator.common.sql import Scripts, json_path
from generator.read.columns import how_read, read_as
from generator.read.config import MATCH_COLUMNS, SOURCE_KEY, TAG_FIELDS, Config
from generator.read.focus import (
    KNOWN_COLUMNS,
    SUFFIXES,
    FocusFile,
    file_header,
    focus_suffix,
    line_numbers,
    read_focus_file,
    required_columns,
)
from generator.warehouse import load as loader
from generator.warehouse import periods

SQL = Scripts.beside(__file__)


@dataclass
class Placed:
    """One file ingest writes (or would): a (month, source) part of the input."""

    source: str
    period: str
    target: Path
    rows: int
    total: Decimal
    billed: Decimal
    pending: Decimal
    flags: Counter[str]
    replaced: bool


@dataclass
class LeftOut:
    """Rows of a month not asked for with ``-p``."""

    period: str
    rows: int
    total: Decimal


@dataclass
class Explanation:
    """``ingest --explain``: how the file was read and why rows would wait for review."""

    columns: list[tuple[str, str]]  # (the header's name, how it was read)
    tags: list[str]  # which tag keys filled which field; keys nothing reads
    flagged: list[tuple[int, list[str]]]  # (line in the file, why: one reason per flag)


@dataclass
class IngestResult:
    file: Path
    placed: list[Placed]
    dry_run: bool
    left_out: list[LeftOut] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    routed: bool = False  # sources chosen by the config's match rules, not -s
    explained: Explanation | None = None

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.placed)

    @property
    def total(self) -> Decimal:
        return sum((p.total for p in self.placed), Decimal(0))

    @property
    def flags(self) -> Counter[str]:
        return sum((p.flags for p in self.placed), Counter())


@dataclass(frozen=True)
class Part:
    period: str
    source: str


def ingest(
    cfg: Config,
    file: Path,
    source: str | None = None,
    period: str | None = None,
    dry_run: bool = False,
    explain: bool = False,
) -> IngestResult:
    """Place ``file``'s rows (or, with ``dry_run`` or ``explain``, say where they would go)."""
    dry_run = dry_run or explain
    if source is not None and not SOURCE_KEY.fullmatch(source):
        raise UsageError(
            f"source {source!r}: use lowercase letters, digits, - and _ (it names the file)"
        )
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    suffix = focus_suffix(file)
    if suffix is None:
        raise DataError([Problem(str(file), "not a FOCUS file; use .csv, .csv.gz or .parquet")])
    if period is not None and not is_period(period):
        raise UsageError(f"period {period!r}: write it as YYYY-MM")
    routes = {key: s.match for key, s in sorted(cfg.sources.items()) if s.match}
    if source is None and not routes:
        raise UsageError("give the source with -s SOURCE; or declare sources.KEY.match in "
                         "data/config.yaml to route each row (docs/admin/configuration.md)")

    # The file alone, once: every bad value is reported with its line in FILE.
    con = duckdb.connect()
    loader.create_tables(con, cfg)
    alone = FocusFile(path=file, source=source or "", period="", shown=str(file))
    problems = read_focus_file(con, alone, required_columns(cfg.cost_basis))
    if problems:
        raise DataError(problems)
    parts, left_out = _route(con, cfg, alone, source, period, routes)
    closed: list[Problem] = []
    for month in sorted({p.period for p in parts.values()}):
        try:
            periods.require_open(cfg, month, "ingest new data")
        except DataError as exc:
            closed += exc.problems
    if closed:
        raise DataError(closed)

    with tempfile.TemporaryDirectory(prefix="openchargeback-ingest-") as tmp:
        files = _split(con, file, suffix, parts, Path(tmp))
        incoming = [
            FocusFile(path=path, source=part.source, period=part.period,
                      shown=f"periods/{part.period}/{part.source}{suffix}")
            for part, path in files.items()
        ]
        # Every period, as `check` loads them: cost spikes and duplicates need the history.
        wh = loader.load(cfg, extra_files=incoming)
        shown = {f.shown for f in incoming}
        own = [p for p in wh.problems if p.where.split(":")[0] in shown]
        if own:
            raise DataError(own)
        placed = [_placed(cfg, wh, f, suffix) for f in incoming]
        explained = _explain(con, cfg, wh, alone, incoming, parts) if explain else None
        if not dry_run:
            for f, p in zip(incoming, placed, strict=True):
                _place(f.path, p.target, f.source)
    return IngestResult(
        file=file, placed=placed, dry_run=dry_run, left_out=left_out,
        warnings=[p for p in wh.problems if p not in own], routed=source is None,
        explained=explained,
    )


def _route(
    con: duckdb.DuckDBPyConnection,
    cfg: Config,
    f: FocusFile,
    source: str | None,
    period: str | None,
    routes: dict[str, Any],
) -> tuple[dict[int, Part], list[LeftOut]]:
    """Each row's (month, source) by row number; rows of months not asked for, by month."""
    wanted = [] if source is not None else sorted(
        {*MATCH_COLUMNS, *(c for match in routes.values() for c in match.columns)},
        key=str.lower)
    rows = SQL.query(con, "ingest_rows", {"columns": [
        (c, None if c in KNOWN_COLUMNS else json_path(c)) for c in wanted]})
    parts: dict[int, Part] = {}
    left: dict[str, LeftOut] = {}
    unrouted: list[tuple[int, str]] = []
    for r in rows:
        month = r["month"]
        if period is not None and month != period:
            out = left.setdefault(month, LeftOut(month, 0, Decimal(0)))
            out.rows += 1
            out.total += r["cost"]
            continue
        key = source
        if key is None:
            found = [k for k, match in routes.items() if match.matches(r)]
            if len(found) != 1:
                unrouted.append((r["row_number"], _routing_problem(r, found, wanted)))
                continue
            key = found[0]
        parts[r["row_number"]] = Part(month, key)
    if unrouted:
        lines = line_numbers(f, [n for n, _ in unrouted[:50]])
        problems = [Problem(at(f.shown, lines.get(n, n + 1)), text)
                    for n, text in unrouted[:50]]
        if len(unrouted) > 50:
            problems.append(Problem(f.shown, f"{len(unrouted) - 50} more rows route nowhere"))
        raise DataError(problems)
    if not parts:
        months = ", ".join(sorted(left))
        raise DataError([Problem(str(f.path), f"no row is in {period} (BillingPeriodStart); "
                                 f"its rows are in {months}: leave out -p, or give one of those")])
    return parts, sorted(left.values(), key=lambda o: o.period)


def _routing_problem(row: dict[str, Any], found: list[str], columns: list[str]) -> str:
    values = ", ".join(f'{c} "{row[c]}"' for c in columns if row.get(c)) or (
        f"no value in {', '.join(columns)}")
    if found:
        return (f"{values} matches the match rules of {' and '.join(found)}; make them "
                "exclusive in data/config.yaml (sources.KEY.match)")
    return (f"{values} matches no source; add it to a source's match rules in "
            "data/config.yaml (sources.KEY.match), or ingest with -s SOURCE")


def _split(
    con: duckdb.DuckDBPyConnection, file: Path, suffix: str, parts: dict[int, Part], tmp: Path
) -> dict[Part, Path]:
    """The file per part, in ``tmp``: the file itself when it all goes to one part."""
    names = sorted(set(parts.values()), key=lambda p: (p.period, p.source))
    if len(names) == 1 and len(parts) == _row_count(con):
        return {names[0]: file}
    paths = {part: tmp / f"{part.period}-{part.source}{suffix}" for part in names}
    if suffix == ".parquet":
        SQL.run(con, "ingest_parts_table")
        con.executemany("INSERT INTO ingest_parts VALUES (?, ?, ?)",
                        [(n, p.period, p.source) for n, p in parts.items()])
        for part, path in paths.items():
            SQL.run(con, "ingest_part_parquet", {"target": str(path)}, path=str(file),
                    period=part.period, source=part.source)
        return paths
    opener: Any = gzip.open if suffix == ".csv.gz" else open
    handles: dict[Part, IO[str]] = {}
    try:
        writers = {}
        for part, path in paths.items():
            handles[part] = opener(path, "wt", encoding="utf-8", newline="")
            writers[part] = csv.writer(handles[part], lineterminator="\n")
        with opener(file, "rt", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            for w in writers.values():
                w.writerow(header)
            for number, values in enumerate(reader, start=1):
                if number in parts:
                    writers[parts[number]].writerow(values)
    finally:
        for handle in handles.values():
            handle.close()
    return paths


def _row_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(SQL.query(con, "ingest_row_count")[0]["n"])


def _placed(cfg: Config, wh: loader.Warehouse, f: FocusFile, suffix: str) -> Placed:
    (summary,) = SQL.query(wh.con, "ingest_summary", file=f.shown)
    flags: Counter[str] = Counter(
        {row["flag"]: row["n"] for row in SQL.query(wh.con, "ingest_flags", file=f.shown)}
    )
    folder = cfg.periods_dir / f.period
    return Placed(
        source=f.source, period=f.period, target=folder / f"{f.source}{suffix}",
        rows=summary["rows"], total=summary["total"], billed=summary["billed"],
        pending=summary["pending"], flags=flags,
        replaced=any((folder / f"{f.source}{s}").exists() for s in SUFFIXES),
    )


def _place(path: Path, target: Path, source: str) -> None:
    """``path`` at ``target``, whole or not at all; the source's file in another format goes."""
    atomic_copy(path, target)
    for suffix in SUFFIXES:
        other = target.parent / f"{source}{suffix}"
        if other != target:
            other.unlink(missing_ok=True)


def _explain(con: duckdb.DuckDBPyConnection, cfg: Config, wh: loader.Warehouse, alone: FocusFile,
             incoming: list[FocusFile], parts: dict[int, Part]) -> Explanation:
    header, _ = file_header(con, alone)
    columns = [(name, how_read(name, read, KNOWN_COLUMNS))
               for name, read in zip(header, read_as(header, KNOWN_COLUMNS), strict=True)]
    files = [f.shown for f in incoming]
    seen = {r["key"]: r["n"] for r in SQL.query(wh.con, "ingest_tag_keys", files=files)}
    tags = []
    for name in TAG_FIELDS:
        filled = [f"{key} ({count(seen[key], 'row')})" for key in cfg.tags[name] if key in seen]
        tags.append(f"{name} <- {', '.join(filled)}" if filled else
                    f"{name}: no row has a tag of tags.{name} ({', '.join(cfg.tags[name])})")
    mapped = {_tag_folded(k): name for name in TAG_FIELDS for k in cfg.tags[name]}
    for key in sorted(set(seen) - {k for keys in cfg.tags.values() for k in keys}):
        hint = mapped.get(_tag_folded(key))
        tags.append(f"{key} ({count(seen[key], 'row')}): not read" + (
            f"; it looks like {hint}: add {key!r} to tags.{hint} in data/config.yaml"
            if hint else ""))
    # A part keeps the file's order: its n-th row is the n-th of the file's rows sent to it.
    order: dict[Part, list[int]] = {}
    for number in sorted(parts):
        order.setdefault(parts[number], []).append(number)
    part_of = {f.shown: Part(f.period, f.source) for f in incoming}
    rows = SQL.query(wh.con, "ingest_flagged", files=files)
    numbers = [order[part_of[r["file"]]][r["row_number"] - 1] for r in rows]
    lines = line_numbers(alone, numbers)
    flagged = [(lines.get(n, n + 1), [_why(cfg, flag, r) for flag in r["flags"]])
               for n, r in zip(numbers, rows, strict=True)]
    return Explanation(columns, tags, sorted(flagged))


def _tag_folded(key: str) -> str:
    """A tag key without a provider prefix (``user:``, ``aws:``...), case, ``_`` or ``-``."""
    return re.sub(r"[_\-\s]", "", key.rsplit(":", 1)[-1].rsplit("/", 1)[-1]).lower()


def _why(cfg: Config, flag: str, row: dict[str, Any]) -> str:
    keys = {name: ", ".join(cfg.tags[name]) for name in TAG_FIELDS}
    reasons = {
        "missing_pi_email": f"no tag of tags.pi_email ({keys['pi_email']}) has a value, and "
                            "data/projects.yaml gives no PI for its project",
        "missing_project_id": f"no tag of tags.project_id ({keys['project_id']}) has a value",
        "missing_fund_org": f"no tag of tags.fund_org ({keys['fund_org']}) has a value, and "
                            "data/projects.yaml gives none for its project",
        "invalid_fund_org": f"{row['fund_org']!r} matches none of review.fund_org_patterns",
        "invalid_pi_email": f"{row['pi_email']!r} is not a plain email address",
        "invalid_tags": "Tags is not a flat JSON object of text values",
        "period_mismatch": "BillingPeriodStart is in another month than the file's",
        "currency_mismatch": f"BillingCurrency {row['currency']!r} is not "
                             f"currency.code {cfg.currency.code}",
        "duplicate": "the same row is in another source's file of the month",
        "project_ended": "charged after its project's end_date (data/projects.yaml)",
        "cost_spike": "its project's month is above review.cost_spike times its average",
    }
    if flag.startswith("pattern:"):
        return f"{flag} (review.patterns: {flag.removeprefix('pattern:')})"
    return f"{flag} ({reasons[flag]})" if flag in reasons else flag


def describe(cfg: Config, r: IngestResult) -> Output:
    output = Output()
    for warning in r.warnings:
        output.warn(f"warning: {warning}")
    for source in sorted({p.source for p in r.placed}):
        if source not in cfg.sources:
            output.warn(f"warning: source {source!r} is not in data/config.yaml sources")
    money = cfg.currency
    if len(r.placed) > 1:
        how = "month and source" if r.routed else "month"
        output.say(f"split {r.file.name} by {how} ({count(r.rows, 'row')}) into "
                   f"{count(len(r.placed), 'file')}:")
    for p in r.placed:
        verb = ("would replace" if p.replaced else "would place") if r.dry_run else (
            "replaced" if p.replaced else "placed")
        output.say(f"{verb} {p.target.relative_to(cfg.root)}: {count(p.rows, 'row')}, "
                   f"total {format_money(p.total, money)}")
        output.say(f"  billed {format_money(p.billed, money)}, pending review "
                   f"{format_money(p.pending, money)}")
        for flag, n in sorted(p.flags.items()):
            output.say(f"  flagged {flag}: {n}")
    for out in r.left_out:
        output.say(f"left out {count(out.rows, 'row')} of {out.period} "
                   f"({format_money(out.total, money)}): not asked for with -p")
    if r.explained:
        output.extend(explanation(r.file, r.explained))
    return output


EXPLAINED_ROWS = 100


def explanation(file: Path, e: Explanation) -> Output:
    output = Output()
    output.say(f"columns of {file.name}:")
    for name, how in e.columns:
        output.say(f"  {name}: {how}")
    output.say("tags (data/config.yaml tags):")
    for text in e.tags:
        output.say(f"  {text}")
    output.say(f"flagged rows, held for review: {len(e.flagged)}" if e.flagged else
               "no row would be flagged")
    for line, reasons in e.flagged[:EXPLAINED_ROWS]:
        output.say(f"  line {line}: {'; '.join(reasons)}")
    if len(e.flagged) > EXPLAINED_ROWS:
        output.say(f"  ... {len(e.flagged) - EXPLAINED_ROWS} more")
    return output


def run(cfg: Config, file: Path, source: str | None, period: str | None,
        dry_run: bool, explain: bool) -> Output:
    return describe(cfg, ingest(cfg, file, source, period, dry_run, explain))
