"""Stage 2: read one FOCUS file (``.csv``, ``.csv.gz`` or ``.parquet``) into DuckDB.

The file is parsed by DuckDB as text, every value is checked in SQL, and only a file with no
problem at all is appended to ``raw_charges``; a bad file is rejected whole, with every
problem reported as ``file:line: column "value" ...``.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from generator.common.errors import Problem, at
from generator.common.sql import Scripts
from generator.read.columns import read_as

SQL = Scripts.beside(__file__)
DECIMAL_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "PricingQuantity",
    "ConsumedQuantity",
)
TIMESTAMP_COLUMNS = (
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
)
TEXT_COLUMNS = (
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "InvoiceIssuerName",
    "PricingUnit",
    "ConsumedUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
)
KNOWN_COLUMNS = DECIMAL_COLUMNS + TIMESTAMP_COLUMNS + TEXT_COLUMNS
REQUIRED = ("BillingPeriodStart", "BilledCost")


def required_columns(cost_basis: str) -> tuple[str, ...]:
    """The columns no row may leave empty: ``REQUIRED`` and the cost basis, if another."""
    return REQUIRED + ((cost_basis,) if cost_basis not in REQUIRED else ())
SUFFIXES = (".csv", ".csv.gz", ".parquet")
MAX_PROBLEMS_PER_FILE = 50


@dataclass(frozen=True)
class FocusFile:
    path: Path
    source: str
    period: str
    shown: str  # the path as printed in messages (relative to the repo root)
    correction: bool = False  # in periods/YYYY-MM/corrections/ (written by ``correct``)


def focus_suffix(path: Path) -> str | None:
    name = path.name.lower()
    return next((s for s in SUFFIXES if name.endswith(s)), None)


def read_focus_file(
    con: duckdb.DuckDBPyConnection, f: FocusFile, required: tuple[str, ...] = REQUIRED
) -> list[Problem]:
    """Append ``f`` to ``raw_charges`` and return no problems, or return its problems.

    One pass: DuckDB parses the file, types every value and keeps the raw text of the few
    rows with a bad value; if the file has any problem its rows are removed again.
    """
    suffix = focus_suffix(f.path)
    if suffix is None:
        return [Problem(f.shown, "not a FOCUS file; use .csv, .csv.gz or .parquet")]
    parquet = suffix == ".parquet"
    columns, problems = file_header(con, f)
    if problems:
        return problems
    problems += [
        Problem(f.shown, f"column {name} is missing; FOCUS files need {', '.join(required)}")
        for name in required
        if name not in read_as(columns, KNOWN_COLUMNS)
    ]
    if problems:
        return problems
    try:
        SQL.run(con, "focus_macros")
        SQL.run(
            con,
            "focus_read",
            read_shape(columns, required, parquet),
            period=f.period,
            source=f.source,
            file=f.shown,
            **scan_params(f.path, columns, store_rejects=True),
        )
    except duckdb.Error as exc:
        return [Problem(f.shown, _duckdb_message(exc))]
    if not parquet:
        bad = SQL.query(con, "focus_rejects", limit=MAX_PROBLEMS_PER_FILE)
        SQL.run(con, "focus_rejects_drop")
        problems = [
            Problem(at(f.shown, r["line"]), _structure_message(r["error_type"], r["csv_line"]))
            for r in bad
        ]
    problems = problems or _value_problems(con, f, required)
    if problems:
        SQL.run(con, "focus_discard", file=f.shown)
    return problems


def file_header(con: duckdb.DuckDBPyConnection, f: FocusFile) -> tuple[list[str], list[Problem]]:
    """The file's column names as written, or why they cannot be read."""
    if focus_suffix(f.path) == ".parquet":
        return _parquet_header(con, f)
    return _csv_header(f, gzipped=focus_suffix(f.path) == ".csv.gz")


def read_shape(columns: list[str], required: tuple[str, ...], parquet: bool) -> dict[str, Any]:
    """The shape of ``focus_read.sql.j2`` for a file with these columns (its header): each
    is read under the name ``columns.read_as`` gives it."""
    names = read_as(columns, KNOWN_COLUMNS)
    return {
        "header": list(zip(columns, names, strict=True)),
        "columns": names,
        "known": KNOWN_COLUMNS,
        "decimal": DECIMAL_COLUMNS,
        "timestamp": TIMESTAMP_COLUMNS,
        "required": required,
        "parquet": parquet,
    }


def scan_params(path: Path, columns: list[str], store_rejects: bool) -> dict[str, Any]:
    """The parameters of ``focus_scan.sql.j2``: a CSV file's columns are all read as text."""
    return {
        "path": str(path),
        "columns": dict.fromkeys(columns, "VARCHAR"),
        "store_rejects": store_rejects,
    }


def _csv_header(f: FocusFile, gzipped: bool) -> tuple[list[str], list[Problem]]:
    opener = gzip.open if gzipped else open
    try:
        with opener(f.path, "rb") as fh:
            head = fh.read(1 << 16)
    except (OSError, EOFError) as exc:
        return [], [Problem(f.shown, f"cannot be read ({exc}); is it a complete gzip file?")]
    if not head.strip():
        return [], [Problem(f.shown, "the file is empty; export it again with a header row")]
    if b"\x00" in head:
        return [], [Problem(f.shown, "not a text file (it contains NUL bytes); export CSV")]
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    try:
        header = next(csv.reader(io.StringIO(text)))
    except (csv.Error, StopIteration):
        return [], [Problem(at(f.shown, 1), "the header row cannot be parsed as CSV")]
    return header, _header_problems(f, header)


def _parquet_header(
    con: duckdb.DuckDBPyConnection, f: FocusFile
) -> tuple[list[str], list[Problem]]:
    try:
        rows = SQL.query(con, "focus_parquet_columns", path=str(f.path))
    except duckdb.Error as exc:
        return [], [Problem(f.shown, _duckdb_message(exc))]
    header = [row["column_name"] for row in rows]
    return header, _header_problems(f, header)


def _header_problems(f: FocusFile, header: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if not name.strip():
            problems.append(Problem(at(f.shown, 1), f"column {i} has no name"))
        elif name in seen:
            problems.append(
                Problem(at(f.shown, 1), f"column {name} appears twice; keep one of them")
            )
        seen.add(name)
    return problems


def _structure_message(kind: str, text: str | None) -> str:
    shown = repr((text or "")[:80])
    fields = "; every row needs one field per header column"
    return {
        "MISSING COLUMNS": f"row has too few fields ({shown}){fields}",
        "TOO MANY COLUMNS": f"row has too many fields ({shown}){fields}",
        "UNQUOTED VALUE": f"row has a stray quote ({shown}); quote the whole field",
        "LINE SIZE OVER MAXIMUM": "row is longer than 10 MB; is the file really CSV?",
        "INVALID ENCODING": f"row is not UTF-8 text ({shown}); export the file as UTF-8",
    }.get(kind, f"row cannot be parsed ({kind.lower()}: {shown})")


def _duckdb_message(exc: duckdb.Error) -> str:
    first = str(exc).split("\n")
    detail = " ".join(line.strip() for line in first[:3] if line.strip())
    if "unicode" in detail.lower() or "utf-8" in detail.lower():
        return f"not UTF-8 text ({detail}); export the file as UTF-8"
    if "quote" in detail.lower() or "sniff" in detail.lower():
        return f"cannot be parsed as CSV ({detail}); look for an unterminated quote"
    return f"cannot be read: {detail}"


def _value_problems(
    con: duckdb.DuckDBPyConnection, f: FocusFile, required: tuple[str, ...]
) -> list[Problem]:
    """Every bad value of the file, from the raw text kept for its bad rows."""
    rows = [
        (r["row_number"], r["col"], r["val"])
        for r in SQL.query(
            con,
            "focus_problems",
            file=f.shown,
            required=list(required),
            decimal=list(DECIMAL_COLUMNS),
            timestamp=list(TIMESTAMP_COLUMNS),
            limit=MAX_PROBLEMS_PER_FILE + 1,
        )
    ]
    if not rows:
        return []
    lines = line_numbers(f, [row[0] for row in rows])
    problems = []
    for row, col, val in rows[:MAX_PROBLEMS_PER_FILE]:
        where = at(f.shown, lines.get(row, row + 1))
        if val is None:
            problems.append(Problem(where, f"{col} is empty; every row needs a value"))
        elif col in DECIMAL_COLUMNS:
            problems.append(
                Problem(
                    where,
                    f'{col} "{val}" is not a number; write a plain decimal such as 12.50 '
                    "(at most 18 decimal places, no currency signs, NaN or infinity)",
                )
            )
        else:
            problems.append(
                Problem(
                    where,
                    f'{col} "{val}" is not a date; use YYYY-MM-DD, YYYY-MM-DD HH:MM:SS '
                    "or YYYY-MM-DDTHH:MM:SSZ",
                )
            )
    if len(rows) > MAX_PROBLEMS_PER_FILE:
        problems.append(Problem(f.shown, "more problems not shown; fix these and check again"))
    return problems


def line_numbers(f: FocusFile, rows: list[int]) -> dict[int, int]:
    """Map data-row numbers to the line each row starts on (quoted fields may span lines)."""
    if focus_suffix(f.path) == ".parquet":
        return {row: row for row in rows}
    wanted = set(rows)
    found: dict[int, int] = {}
    opener = gzip.open if f.path.name.lower().endswith(".gz") else open
    with opener(f.path, "rt", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        start = reader.line_num + 1
        for row_number, _ in enumerate(reader, start=1):
            if row_number in wanted:
                found[row_number] = start
                if len(found) == len(wanted):
                    break
            start = reader.line_num + 1
    return found

