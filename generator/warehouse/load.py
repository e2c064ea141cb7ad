"""Run the pipeline stages in order and hold the result: a DuckDB warehouse.

config → read FOCUS files → normalize → flag → apply review decisions → roll up.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from generator.common.errors import DataError, Problem
from generator.common.progress import progress
from generator.common.sql import Scripts, insert, json_path
from generator.read.config import TAG_FIELDS, Config
from generator.read.focus import FocusFile, read_focus_file, required_columns
from generator.read.layout import period_files
from generator.warehouse import corrections, flags, frozen, reviews
from generator.warehouse import periods as lifecycle

SQL = Scripts.beside(__file__)


@dataclass
class Warehouse:
    cfg: Config
    con: duckdb.DuckDBPyConnection
    periods: list[str]
    files: list[FocusFile]
    problems: list[Problem] = field(default_factory=list)
    frozen: list[str] = field(default_factory=list)  # finalized: read from frozen records
    notes: list[str] = field(default_factory=list)  # worth saying, not problems

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of one of the warehouse's own queries (``warehouse/sql/NAME.sql``)."""
        return SQL.query(self.con, name, **params)

    def reconciliation(self) -> list[dict[str, Any]]:
        return self.query("reconciliation_rows")


def create_tables(con: duckdb.DuckDBPyConnection, cfg: Config) -> None:
    """``raw_charges`` (one typed column per FOCUS column) and the project registry."""
    SQL.run(con, "raw_charges_table")
    SQL.run(con, "projects_table")
    rows = [(p.id, p.name, p.pi_email, p.fund_org, p.end_date) for p in cfg.projects.values()]
    insert(con, "projects", rows)


def tag_params(cfg: Config) -> dict[str, Any]:
    """JSON paths for every mapped tag key, and each field's positions among them."""
    paths: list[str] = []
    params: dict[str, Any] = {}
    for name in TAG_FIELDS:
        indexes = []
        for key in cfg.tags[name]:
            paths.append(json_path(key))
            indexes.append(len(paths))
        params[f"idx_{name}"] = indexes
    params["tag_paths"] = paths
    return params


def load(
    cfg: Config,
    periods: Iterable[str] | None = None,
    extra_files: Iterable[FocusFile] = (),
    database: str = ":memory:",
    rederive: bool = False,
) -> Warehouse:
    """Build the warehouse for the repo (or some periods); problems are collected, not raised.

    A finalized period is read from its frozen record (``frozen.py``), the others from their
    files. ``extra_files`` are read as if they were in place (``ingest --dry-run`` uses
    this); ``rederive`` derives the finalized periods from their files too, with today's
    settings and code (``check --rederive`` compares the two).
    """
    con = duckdb.connect(database)
    SQL.run(con, "settings", temp_directory=f"{tempfile.gettempdir()}/openchargeback.duckdb.tmp")
    create_tables(con, cfg)
    wanted, files, problems = period_files(cfg, periods)
    extra = list(extra_files)
    replaced = {(f.period, f.source, f.correction) for f in extra}
    files = [f for f in files if (f.period, f.source, f.correction) not in replaced] + extra
    wanted = sorted(set(wanted) | {f.period for f in extra})
    kept, notes = frozen_periods(cfg, wanted, problems) if not rederive else ([], [])
    checked = lifecycle.verify(cfg, wanted, files)
    problems += checked
    # A record whose files do not match their hashes is not read (nor its month's files):
    # the problems say which file, and check and build stop there.
    broken = {p for p in kept for c in checked if c.where.startswith(f"periods/{p}/frozen/")}
    kept = [p for p in kept if p not in broken]
    live = [p for p in wanted if p not in kept and p not in broken]
    required = required_columns(cfg.cost_basis)
    read = [f for f in files if f.period in live]
    for f in progress(read, "Reading FOCUS files", lambda f: f.shown):
        problems += read_focus_file(con, f, required)
    frozen.attach_history(con, cfg, kept)
    SQL.run(con, "normalize", cost_basis=cfg.cost_basis, **tag_params(cfg))
    corrections.originals(con, [str(frozen.table_file(cfg, p, "charges")) for p in kept])
    problems += corrections.problems(con, read, wanted)
    flags.flag(con, cfg)
    problems += reviews.apply(con, cfg, live)
    SQL.run(con, "charges")
    problems += corrections.checks(con, read)
    SQL.run(con, "statement_lines", minor_units=cfg.currency.minor_units)
    frozen.attach_results(con, cfg, kept)
    return Warehouse(cfg=cfg, con=con, periods=wanted, files=files, problems=problems,
                     frozen=kept, notes=notes)


def frozen_periods(cfg: Config, periods: list[str], problems: list[Problem]
                   ) -> tuple[list[str], list[str]]:
    """The finalized periods read from their frozen records, and a note for each one
    finalized before records were kept (it is derived from its inputs meanwhile)."""
    kept, notes = [], []
    for period in periods:
        try:
            record = lifecycle.read_period(cfg, period)
        except DataError as exc:
            problems += exc.problems
            continue
        if lifecycle.is_frozen(record):
            kept.append(period)
        elif record["status"] == "finalized":
            notes.append(f"periods/{period} was finalized before frozen records were kept: it "
                         "is derived from its files with today's settings; record it with "
                         f"`openchargeback periods finalize {period}`")
    return kept, notes
