"""Run the pipeline stages in order and hold the result: a DuckDB warehouse.

config → read FOCUS files → normalize → flag → apply review decisions → roll up.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from generator.common.errors import Problem
from generator.common.progress import progress
from generator.common.sql import Scripts, insert, json_path
from generator.read.config import TAG_FIELDS, Config
from generator.read.focus import FocusFile, read_focus_file, required_columns
from generator.read.layout import period_files
from generator.warehouse import corrections, flags, reviews
from generator.warehouse import periods as lifecycle

SQL = Scripts.beside(__file__)


@dataclass
class Warehouse:
    cfg: Config
    con: duckdb.DuckDBPyConnection
    periods: list[str]
    files: list[FocusFile]
    problems: list[Problem] = field(default_factory=list)

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
) -> Warehouse:
    """Build the warehouse for the repo (or some periods); problems are collected, not raised.

    ``extra_files`` are read as if they were in place (``ingest --dry-run`` uses this).
    """
    con = duckdb.connect(database)
    SQL.run(con, "settings", temp_directory=f"{tempfile.gettempdir()}/openchargeback.duckdb.tmp")
    create_tables(con, cfg)
    wanted, files, problems = period_files(cfg, periods)
    extra = list(extra_files)
    replaced = {(f.period, f.source, f.correction) for f in extra}
    files = [f for f in files if (f.period, f.source, f.correction) not in replaced] + extra
    wanted = sorted(set(wanted) | {f.period for f in extra})
    required = required_columns(cfg.cost_basis)
    for f in progress(files, "Reading FOCUS files", lambda f: f.shown):
        problems += read_focus_file(con, f, required)
    problems += lifecycle.verify(cfg, wanted, files)
    SQL.run(con, "normalize", cost_basis=cfg.cost_basis, **tag_params(cfg))
    problems += corrections.problems(con, files, wanted)
    flags.flag(con, cfg)
    problems += reviews.apply(con, cfg, wanted)
    SQL.run(con, "charges")
    SQL.run(con, "statement_lines", minor_units=cfg.currency.minor_units)
    return Warehouse(cfg=cfg, con=con, periods=wanted, files=files, problems=problems)
