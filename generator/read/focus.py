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

import duckdb

from generator.common.errors import Problem, at
from generator.common.sql import Scripts, literal, quote

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
    if suffix == ".parquet":
        columns, problems = _parquet_header(con, f)
        scan = f"read_parquet({literal(f.path)})"
    else:
        columns, problems = _csv_header(f, gzipped=suffix == ".csv.gz")
        scan = _csv_scan(f.path, columns)
    if problems:
        return problems
    problems += [
        Problem(f.shown, f"column {name} is missing; FOCUS files need {', '.join(required)}")
        for name in required
        if name not in columns
    ]
    if problems:
        return problems
    try:
        SQL.run(con, "focus_macros")
        con.execute(_append_sql(columns, scan, required), {
            "period": f.period, "source": f.source, "file": f.shown
        })
    except duckdb.Error as exc:
        return [Problem(f.shown, _duckdb_message(exc))]
    if suffix != ".parquet":
        bad = con.execute(
            f"SELECT line, error_type, csv_line FROM reject_errors "
            f"ORDER BY line LIMIT {MAX_PROBLEMS_PER_FILE}"
        ).fetchall()
        con.execute("DROP TABLE reject_errors; DROP TABLE reject_scans")
        problems = [
            Problem(at(f.shown, line), _structure_message(kind, text)) for line, kind, text in bad
        ]
    problems = problems or _value_problems(con, f, columns, required)
    if problems:
        con.execute("DELETE FROM raw_charges WHERE file = ?", [f.shown])
    return problems


def _typed(name: str, raw: str) -> str:
    """SQL typing the raw text ``raw`` of column ``name`` (NULL when it does not parse)."""
    kind = (
        "DECIMAL(38, 18)"
        if name in DECIMAL_COLUMNS
        else "TIMESTAMP"
        if name in TIMESTAMP_COLUMNS
        else None
    )
    if kind is None:
        return raw
    # trim() is slow in bulk: only values that fail as written are trimmed and tried again.
    return f"coalesce(TRY_CAST({raw} AS {kind}), TRY_CAST(trim({raw}) AS {kind}))"


def _bad(name: str, raw: str, typed: str, required: tuple[str, ...]) -> str | None:
    """SQL true when the raw text of column ``name`` is not acceptable (``typed``: its value)."""
    checks = [f"{raw} IS NULL"] if name in required else []
    if name in DECIMAL_COLUMNS:
        checks.append(
            f"({raw} IS NOT NULL AND ({typed} IS NULL "
            f"OR ((length({raw}) > 19 OR {raw} ILIKE '%e%') AND too_precise({raw}))))"
        )
    elif name in TIMESTAMP_COLUMNS:
        checks.append(f"({raw} IS NOT NULL AND {typed} IS NULL)")
    return " OR ".join(checks) or None


def _append_sql(columns: list[str], scan: str, required: tuple[str, ...]) -> str:
    """One pass over the file: raw text, then typed values, then the row as stored.

    Each value is typed once, in its own projection, and the checks and the charge ID read
    that result. Rows keep the file's order (their ``rowid`` gives the row number).
    """
    raw = {c: quote("raw:" + c) for c in columns}
    converted = [c for c in columns if c in DECIMAL_COLUMNS or c in TIMESTAMP_COLUMNS]
    typed = {c: quote("typed:" + c) if c in converted else raw[c] for c in columns}
    texts = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {raw[c]}" for c in columns)
    conversions = ", ".join(f"{_typed(c, raw[c])} AS {typed[c]}" for c in converted) or "NULL"
    stored = ", ".join(
        f"{typed[c]} AS {quote(c)}" if c in raw else f"NULL AS {quote(c)}"
        for c in KNOWN_COLUMNS
    )
    extras = sorted(c for c in columns if c not in KNOWN_COLUMNS)
    extra = (
        "to_json(struct_pack(" + ", ".join(f"{quote(c)} := {raw[c]}" for c in extras) + "))"
        if extras
        else "NULL"
    )
    # Every non-null value as name=value, names sorted: IDs do not depend on column order,
    # file name or absent optional columns. Dates count as instants (2026-10-01 and
    # 2026-10-01T00:00:00Z are equal); numbers and text as written, so re-ingesting an
    # export keeps its IDs. One concat() (it skips NULLs) builds chr(31) || the values
    # joined by chr(31), so the ID's text is the source then this.
    content = "concat(" + ", ".join(
        f"CASE WHEN {raw[c]} IS NOT NULL THEN {literal(chr(31) + c + '=')} END, "
        + (f"CAST(epoch_us({typed[c]}) AS VARCHAR)" if c in TIMESTAMP_COLUMNS else raw[c])
        for c in sorted(columns)
    ) + ")"
    checks = {c: b for c in columns if (b := _bad(c, raw[c], typed[c], required))}
    keep = "to_json(struct_pack(" + ", ".join(f"{quote(c)} := {raw[c]}" for c in checks) + "))"
    bad = f"CASE WHEN {' OR '.join(checks.values())} THEN {keep} END" if checks else "NULL"
    return (
        "INSERT INTO raw_charges "
        "SELECT $period, $source, $file, sha256($source || content), hash(content), "
        f"{', '.join(quote(c) for c in KNOWN_COLUMNS)}, extra, bad_raw FROM ("
        f"SELECT {content} AS content, {stored}, {extra} AS extra, {bad} AS bad_raw "
        f"FROM (SELECT *, {conversions} FROM (SELECT {texts} FROM {scan})))"
    )



def _csv_scan(path: Path, columns: list[str]) -> str:
    spec = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns) + "}"
    return (
        f"read_csv({literal(path)}, header=true, auto_detect=false, columns={spec}, "
        "delim=',', quote='\"', escape='\"', nullstr=['', 'NULL'], strict_mode=true, "
        "store_rejects=true, max_line_size=10000000)"
    )


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
        rows = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({literal(f.path)})"
        ).fetchall()
    except duckdb.Error as exc:
        return [], [Problem(f.shown, _duckdb_message(exc))]
    header = [row[0] for row in rows]
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
    con: duckdb.DuckDBPyConnection, f: FocusFile, columns: list[str], required: tuple[str, ...]
) -> list[Problem]:
    """Every bad value of the file, from the raw text kept for its bad rows."""
    checks = []
    for name in columns:
        value = f"bad_raw->>{literal(name)}"
        condition = _bad(name, value, _typed(name, value), required)
        if condition:
            checks.append(
                f"SELECT row_number, {literal(name)} AS col, {value} AS val FROM bad "
                f"WHERE {condition}"
            )
    if not checks:
        return []
    rows = con.execute(
        "WITH bad AS (SELECT rowid - (SELECT min(rowid) FROM raw_charges WHERE file = $file) + 1"
        " AS row_number, bad_raw FROM raw_charges WHERE file = $file AND bad_raw IS NOT NULL) "
        f"SELECT * FROM ({' UNION ALL '.join(checks)}) ORDER BY row_number, col "
        f"LIMIT {MAX_PROBLEMS_PER_FILE + 1}",
        {"file": f.shown},
    ).fetchall()
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


def detect_period(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str | None, list[Problem]]:
    """The month most rows' BillingPeriodStart falls in (the file is not otherwise checked)."""
    f = FocusFile(path=path, source="", period="", shown=str(path))
    suffix = focus_suffix(path)
    if suffix is None:
        return None, [Problem(str(path), "not a FOCUS file; use .csv, .csv.gz or .parquet")]
    if suffix == ".parquet":
        columns, problems = _parquet_header(con, f)
        scan = f"read_parquet({literal(path)})"
    else:
        columns, problems = _csv_header(f, gzipped=suffix == ".csv.gz")
        scan = _csv_scan(path, columns).replace("store_rejects=true", "ignore_errors=true")
    if problems:
        return None, problems
    if "BillingPeriodStart" not in columns:
        return None, [Problem(str(path), "column BillingPeriodStart is missing")]
    try:
        row = con.execute(
            "SELECT strftime("
            + _typed("BillingPeriodStart", "CAST(BillingPeriodStart AS VARCHAR)")
            + f", '%Y-%m') AS month, count(*) AS n FROM {scan} "
            "GROUP BY month HAVING month IS NOT NULL ORDER BY n DESC, month LIMIT 1",
        ).fetchone()
    except duckdb.Error as exc:
        return None, [Problem(str(path), _duckdb_message(exc))]
    if row is None:
        return None, [Problem(str(path), "no row has a BillingPeriodStart date; give -p YYYY-MM")]
    return str(row[0]), []
