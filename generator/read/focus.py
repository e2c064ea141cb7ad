"""Stage 2: read one FOCUS file (``.csv``, ``.csv.gz`` or ``.parquet``) into DuckDB.

The file is parsed by DuckDB as text, every value is checked in SQL, and only a file with no
problem at all is appended to ``raw_charges``; a bad file is rejected whole, with every
problem reported as ``file:line: column "value" ...``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from generator.common.errors import SCREENFUL, Problem, at, screenful
from generator.common.money import (
    MAX_AMOUNT,
    MAX_PLACES,
    NOT_A_NUMBER,
    amount_problem,
    as_number,
    decimal_places,
)
from generator.common.sql import Scripts
from generator.read.columns import read_as

SQL = Scripts.beside(__file__)
MONEY_COLUMNS = (  # amounts: within the money range (generator/common/money.py)
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ListUnitPrice",
    "ContractedUnitPrice",
)
DECIMAL_COLUMNS = (*MONEY_COLUMNS, "PricingQuantity", "ConsumedQuantity")
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
SUFFIXES = (".csv", ".csv.gz", ".parquet")
MAX_QUANTITY = Decimal(10) ** 20  # what DECIMAL(38, 18) holds; amounts have the money range
UNREAD = "cannot be read as a number; write a plain decimal such as 12.50"
MAX_LINE = 10_000_000  # bytes in one row (the header too), as DuckDB's max_line_size
MAX_COLUMNS = 1_000  # each column costs the reader about 0.25 MB of memory per 1,000 rows
UNICODE_BOMS = (  # longest first: UTF-32's little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def required_columns(cost_basis: str) -> tuple[str, ...]:
    """The columns no row may leave empty: ``REQUIRED`` and the cost basis, if another."""
    return REQUIRED + ((cost_basis,) if cost_basis not in REQUIRED else ())


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
            max_amount=MAX_AMOUNT,
            **scan_params(f.path, columns, store_rejects=True),
        )
    except duckdb.Error as exc:
        return [Problem(f.shown, _duckdb_message(exc))]
    if not parquet:
        bad = SQL.query(con, "focus_rejects", limit=SCREENFUL)
        SQL.run(con, "focus_rejects_drop")
        problems = [
            Problem(at(f.shown, r["line"]), _structure_message(r["error_type"], r["csv_line"]))
            for r in bad
        ]
        problems = screenful(problems, f.shown, bad[0]["total"] - len(bad) if bad else 0)
    problems = problems or _value_problems(con, f, required) or _total_problems(con, f)
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
        "money": MONEY_COLUMNS,
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
    """The header row, read whole (up to ``MAX_LINE`` bytes), and its problems."""
    opener = gzip.open if gzipped else open
    try:
        with opener(f.path, "rb") as fh:
            encoding = _encoding_problem(fh.peek(1 << 13)[: 1 << 13])
            if encoding:
                return [], [Problem(f.shown, encoding)]
            header = next(csv.reader(_header_lines(fh)), [])
    except (OSError, EOFError, zlib.error) as exc:
        return [], [Problem(f.shown, f"cannot be read ({exc}); is it a complete gzip file?")]
    except _TooLong:
        return [], [Problem(at(f.shown, 1), f"the header row is longer than {MAX_LINE:,} "
                            "bytes; is the file really CSV?")]
    except UnicodeDecodeError as exc:
        return [], [Problem(at(f.shown, 1), f"the header row is not UTF-8 text ({exc.reason}); "
                            "export the file as UTF-8")]
    except csv.Error:
        return [], [Problem(at(f.shown, 1), "the header row cannot be parsed as CSV")]
    if len(header) < 2 and not "".join(header).strip():
        return [], [Problem(f.shown, "the file is empty; export it again with a header row")]
    return header, _header_problems(f, header)


class _TooLong(Exception):
    """The header row goes on past ``MAX_LINE`` bytes."""


def _header_lines(fh: io.BufferedIOBase) -> Iterator[str]:
    """The file's lines as text (a UTF-8 BOM dropped), for the CSV reader to take the header
    row from, which may span lines; ``_TooLong`` past ``MAX_LINE`` bytes."""
    size = 0
    while line := fh.readline(MAX_LINE + 1 - size):
        first = size == 0
        size += len(line)
        if size > MAX_LINE:
            raise _TooLong
        yield line.decode("utf-8-sig" if first else "utf-8")


def _encoding_problem(head: bytes) -> str | None:
    """Why a file starting with ``head`` is not UTF-8 text that could be CSV (None: it may be)."""
    for bom, name in UNICODE_BOMS:
        if head.startswith(bom):
            return _convert_hint(name)
    if b"\x00" in head:
        pairs = len(head) // 2
        if pairs and head[1::2].count(0) > pairs // 2:
            return _convert_hint("UTF-16LE")
        if pairs and head[0::2].count(0) > pairs // 2:
            return _convert_hint("UTF-16BE")
        return "not a text file (it contains NUL bytes); export it as CSV"
    return None


def _convert_hint(encoding: str) -> str:
    return (f"{encoding} text, not UTF-8; export it as UTF-8, or convert it with "
            f"`iconv -f {encoding} -t UTF-8 FILE > NEW.csv`")


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
    if len(header) > MAX_COLUMNS:
        return [Problem(at(f.shown, 1), f"{len(header):,} columns; a FOCUS file has at most "
                        f"{MAX_COLUMNS:,} (FOCUS defines about 50): is the file really FOCUS?")]
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
    return screenful(problems, f.shown)


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
    """The file's bad values (a screenful, the rest counted), from the raw text kept for its
    bad rows."""
    rows = SQL.query(
        con,
        "focus_problems",
        file=f.shown,
        required=list(required),
        decimal=list(DECIMAL_COLUMNS),
        money=list(MONEY_COLUMNS),
        timestamp=list(TIMESTAMP_COLUMNS),
        max_amount=MAX_AMOUNT,
        limit=SCREENFUL,
    )
    if not rows:
        return []
    lines = line_numbers(f, [r["row_number"] for r in rows])
    problems = [
        Problem(at(f.shown, lines.get(r["row_number"], r["row_number"] + 1)),
                _value_message(r["col"], r["val"]))
        for r in rows
    ]
    return screenful(problems, f.shown, rows[0]["total"] - len(rows))


def _value_message(column: str, value: str | None) -> str:
    """What is wrong with a FOCUS column's value as written, and what to do."""
    if value is None:
        return f"{column} is empty; every row needs a value"
    if column in TIMESTAMP_COLUMNS:
        return (f'{column} "{value}" is not a date; use YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or '
                "YYYY-MM-DDTHH:MM:SSZ")
    if column in MONEY_COLUMNS:
        return f'{column} "{value}" {amount_problem(value) or UNREAD}'
    number = as_number(value)
    if number is None:
        return f'{column} "{value}" {NOT_A_NUMBER}'
    if decimal_places(number) > MAX_PLACES:
        return f'{column} "{value}" has more than {MAX_PLACES} decimal places'
    if number.copy_abs() >= MAX_QUANTITY:
        return f'{column} "{value}" is too large; a quantity is below 10^20'
    return f'{column} "{value}" {UNREAD}'


def _total_problems(con: duckdb.DuckDBPyConnection, f: FocusFile) -> list[Problem]:
    """A file whose amounts add up beyond the money range."""
    return [
        Problem(f.shown, f"{r['name']} adds up to {r['total']:,} or more, signs aside; a file's "
                "amounts add up to less than 10^15: is the file right?")
        for r in SQL.query(con, "focus_totals", file=f.shown, max_amount=MAX_AMOUNT)
    ]


def line_numbers(f: FocusFile, rows: list[int]) -> dict[int, int]:
    """Map data-row numbers to the line each row starts on (quoted fields may span lines)."""
    if focus_suffix(f.path) == ".parquet":
        return {row: row for row in rows}
    wanted = set(rows)
    found: dict[int, int] = {}
    opener = gzip.open if f.path.name.lower().endswith(".gz") else open
    with opener(f.path, "rt", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            next(reader, None)
            start = reader.line_num + 1
            for row_number, _ in enumerate(reader, start=1):
                if row_number in wanted:
                    found[row_number] = start
                    if len(found) == len(wanted):
                        break
                start = reader.line_num + 1
        except (csv.Error, UnicodeDecodeError, EOFError, zlib.error, gzip.BadGzipFile):
            pass  # e.g. a field past csv's size limit: the rest keep their row numbers
    return found
