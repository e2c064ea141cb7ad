"""A finalized month's frozen record: its resolved result, kept in the repository.

Finalizing a month writes ``periods/YYYY-MM/frozen/`` and records the SHA-256 of each file
in the month's ``period.yaml`` (``frozen:``), beside the hashes of its inputs:

- ``charges.parquet``: every charge of the month as resolved — attribution after tags,
  registry and review decisions, flags, state, amounts on the cost basis of the day;
- ``statement_lines.parquet``: its rounded statement lines (what every total is a sum of);
- ``statement_charges.parquet``: each billed charge's share of its line, to the cent;
- ``reconciliation.parquet``: input = billed + pending + rejected, exact;
- ``project_totals.parquet``: each project's month total, the history cost spikes use;
- ``journal/gl.csv``, ``journal/detail.csv``, ``journal/summary.csv``: the journal as
  exported, byte for byte.

Every run reads these instead of deriving the month again from its FOCUS files with today's
config, registry, rates and code: no later change to any of them changes a finalized month,
and a run costs what the open months cost. ``check --rederive`` derives the months again and
reports what would differ, changing nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from generator.common.files import replace_dir, sha256, staging_dir
from generator.common.sql import Scripts
from generator.read.config import Config

SQL = Scripts.beside(__file__)
FOLDER = "frozen"
# The record's tables (each <table>.parquet, written by sql/freeze_<table>.sql) and journal.
TABLES = ("charges", "statement_lines", "statement_charges", "reconciliation", "project_totals")
JOURNAL = ("gl", "detail", "summary")


def folder(cfg: Config, period: str) -> Path:
    return cfg.periods_dir / period / FOLDER


def table_file(cfg: Config, period: str, table: str) -> Path:
    return folder(cfg, period) / f"{table}.parquet"


def journal_file(cfg: Config, period: str, fmt: str) -> Path:
    return folder(cfg, period) / "journal" / f"{fmt}.csv"


def write(con: duckdb.DuckDBPyConnection, cfg: Config, period: str,
          journal: dict[str, str]) -> dict[str, str]:
    """Write the month's record from the warehouse (``statement_charges`` made for it) and
    its rendered journal; return each file's SHA-256 by its path in the period folder.

    The files are written to a staging folder that replaces ``frozen/`` whole, so a killed
    run leaves the old record (or none), never half of one.
    """
    final = folder(cfg, period)
    staged = staging_dir(final)
    try:
        for table in TABLES:
            SQL.run(con, f"freeze_{table}", period=period,
                    path=str(staged / f"{table}.parquet"))
        (staged / "journal").mkdir()
        for fmt in JOURNAL:
            (staged / "journal" / f"{fmt}.csv").write_text(journal[fmt], encoding="utf-8",
                                                            newline="")
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    replace_dir(staged, final)
    return {name: sha256(path) for name, path in present(cfg, period).items()}


def present(cfg: Config, period: str) -> dict[str, Path]:
    """The files of the month's record folder by their path in the period folder."""
    root = folder(cfg, period)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    return {p.relative_to(root.parent).as_posix(): p for p in files}


def attach_history(con: duckdb.DuckDBPyConnection, cfg: Config, periods: list[str]) -> None:
    """What the open months' flags need of the frozen ones: which months they are
    (``frozen_periods``) and each project's month total (``frozen_totals``, for cost
    spikes)."""
    SQL.run(con, "frozen_tables")
    if periods:
        SQL.run(con, "frozen_history", periods=periods,
                totals=[str(table_file(cfg, p, "project_totals")) for p in periods])


def attach_results(con: duckdb.DuckDBPyConnection, cfg: Config, periods: list[str]) -> None:
    """The frozen months' statement lines and reconciliation beside the open months', and
    their charges and statement shares as views read only when a query asks for them
    (``every_charge``, ``frozen_statement_charges``)."""
    if periods:
        SQL.run(con, "frozen_results",
                lines=[str(table_file(cfg, p, "statement_lines")) for p in periods],
                reconciliation=[str(table_file(cfg, p, "reconciliation")) for p in periods])
    SQL.run(con, "every_charge", {
        "charges": [str(table_file(cfg, p, "charges")) for p in periods],
        "shares": [str(table_file(cfg, p, "statement_charges")) for p in periods]})


def journal_texts(cfg: Config, period: str) -> dict[str, str]:
    """The month's journal files as exported when it was finalized."""
    return {fmt: journal_file(cfg, period, fmt).read_bytes().decode("utf-8")  # line ends kept
            for fmt in JOURNAL}
