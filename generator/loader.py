"""Run the pipeline stages in order and hold the result: a DuckDB warehouse.

config → read FOCUS files → normalize → flag → apply review decisions → roll up.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from . import corrections, flags, reviews, sql
from . import periods as lifecycle
from .config import TAG_FIELDS, Config
from .errors import Problem
from .focus import (
    DECIMAL_COLUMNS,
    KNOWN_COLUMNS,
    TIMESTAMP_COLUMNS,
    FocusFile,
    focus_suffix,
    read_focus_file,
)
from .progress import progress

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
IGNORED_SUFFIXES = (".yaml", ".yml", ".md", ".txt")
CORRECTIONS = "corrections"  # periods/YYYY-MM/corrections/SOURCE.csv: rows written by `correct`


@dataclass
class Warehouse:
    cfg: Config
    con: duckdb.DuckDBPyConnection
    periods: list[str]
    files: list[FocusFile]
    problems: list[Problem] = field(default_factory=list)

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return sql.query(self.con, name, params)

    def reconciliation(self) -> list[dict[str, Any]]:
        return self.query("reconciliation_rows")


def period_files(cfg: Config, periods: Iterable[str] | None = None) -> tuple[
    list[str], list[FocusFile], list[Problem]
]:
    """Every period folder (or the ones asked for) and its FOCUS files."""
    problems: list[Problem] = []
    found: list[str] = []
    if cfg.periods_dir.is_dir():
        for folder in sorted(cfg.periods_dir.iterdir()):
            if folder.is_dir() and PERIOD.fullmatch(folder.name):
                found.append(folder.name)
            elif not folder.name.startswith("."):
                problems.append(
                    Problem(f"periods/{folder.name}", "not a period folder; name it YYYY-MM")
                )
    wanted = sorted(set(periods)) if periods else found
    for period in wanted:
        if not PERIOD.fullmatch(period):
            problems.append(Problem(period, "a period is written YYYY-MM"))
    files: list[FocusFile] = []
    for period in wanted:
        folder = cfg.periods_dir / period
        for place, correction in ((folder, False), (folder / CORRECTIONS, True)):
            if place.is_dir():
                found_files, found_problems = folder_files(place, period, correction)
                files += found_files
                problems += found_problems
    return [p for p in wanted if PERIOD.fullmatch(p)], files, problems


def folder_files(
    folder: Path, period: str, correction: bool
) -> tuple[list[FocusFile], list[Problem]]:
    """The FOCUS files of one folder, one per source (the file stem)."""
    files: list[FocusFile] = []
    problems: list[Problem] = []
    prefix = f"periods/{period}/" + (f"{CORRECTIONS}/" if correction else "")
    seen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        shown = prefix + path.name
        suffix = focus_suffix(path)
        if suffix is None:
            if correction or not path.name.lower().endswith(IGNORED_SUFFIXES):
                problems.append(Problem(shown, "not a FOCUS file; use .csv, .csv.gz or .parquet"))
            continue
        source = path.name[: -len(suffix)]
        if source in seen:
            problems.append(
                Problem(shown, f"source {source} has two files ({seen[source].name}); keep one")
            )
            continue
        seen[source] = path
        files.append(FocusFile(path, source, period, shown, correction))
    return files, problems


def create_tables(con: duckdb.DuckDBPyConnection, cfg: Config) -> None:
    """``raw_charges`` (one typed column per FOCUS column) and the project registry."""
    columns = []
    for name in KNOWN_COLUMNS:
        kind = (
            "DECIMAL(38, 18)"
            if name in DECIMAL_COLUMNS
            else "TIMESTAMP"
            if name in TIMESTAMP_COLUMNS
            else "VARCHAR"
        )
        columns.append(f"{sql.quote(name)} {kind}")
    con.execute(
        "CREATE OR REPLACE TABLE raw_charges (period VARCHAR, source VARCHAR, file VARCHAR, "
        "charge_base VARCHAR, content_key UBIGINT, "
        + ", ".join(columns)
        + ", extra JSON, bad_raw JSON)"
    )
    sql.run_script(con, "projects_table")
    rows = [(p.id, p.name, p.pi_email, p.fund_org, p.end_date) for p in cfg.projects.values()]
    sql.insert(con, "projects", rows)


def tag_params(cfg: Config) -> dict[str, Any]:
    """JSON paths for every mapped tag key, and each field's positions among them."""
    paths: list[str] = []
    params: dict[str, Any] = {}
    for name in TAG_FIELDS:
        indexes = []
        for key in cfg.tags[name]:
            paths.append("$." + '"' + key.replace('"', '\\"') + '"')
            indexes.append(len(paths))
        params[f"idx_{name}"] = indexes
    params["tag_paths"] = paths
    return params


def load(
    cfg: Config,
    periods: Iterable[str] | None = None,
    extra_files: Iterable[FocusFile] = (),
    database: str = ":memory:",
) -> Warehouse:
    """Build the warehouse for the repo (or some periods); problems are collected, not raised.

    ``extra_files`` are read as if they were in place (``ingest --dry-run`` uses this).
    """
    con = duckdb.connect(database)
    # Stay well inside a laptop's memory: DuckDB spills to a temporary folder past this.
    con.execute("SET memory_limit = '1800MB'")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/openchargeback.duckdb.tmp'")
    create_tables(con, cfg)
    wanted, files, problems = period_files(cfg, periods)
    extra = list(extra_files)
    replaced = {(f.period, f.source, f.correction) for f in extra}
    files = [f for f in files if (f.period, f.source, f.correction) not in replaced] + extra
    wanted = sorted(set(wanted) | {f.period for f in extra})
    required: tuple[str, ...] = ("BillingPeriodStart", "BilledCost")
    if cfg.cost_basis == "EffectiveCost":
        required += ("EffectiveCost",)
    for f in progress(files, "Reading FOCUS files", lambda f: f.shown):
        problems += read_focus_file(con, f, required)
    problems += lifecycle.verify(cfg, wanted, files)
    sql.run_script(con, "normalize", {"cost_basis": cfg.cost_basis, **tag_params(cfg)})
    problems += corrections.problems(con, files, wanted)
    flags.flag(con, cfg)
    problems += reviews.apply(con, cfg, wanted)
    sql.run_script(con, "charges")
    sql.run_script(con, "statement_lines", {"minor_units": cfg.currency.minor_units})
    return Warehouse(cfg=cfg, con=con, periods=wanted, files=files, problems=problems)
