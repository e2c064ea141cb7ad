"""The SQL beside the code: each ``NAME.sql`` here is run by the module of its stage.

A script is a series of statements separated by a ``;`` at the end of a line. Values are
passed as named parameters (``$name``); names go through ``quote``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).parent


@cache
def load(name: str) -> list[str]:
    """The statements of ``NAME.sql``."""
    text = (HERE / f"{name}.sql").read_text(encoding="utf-8")
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.M) if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(
        line.strip() and not line.strip().startswith("--") for line in statement.splitlines()
    )


def run_script(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> None:
    """Run every statement of ``NAME.sql``, each with the parameters it names."""
    for statement in load(name):
        con.execute(statement, _used(statement, params or {}))


def query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Rows of the single query in ``NAME.sql`` as dicts."""
    (statement,) = load(name)
    cursor = con.execute(statement, _used(statement, params or {}))
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Append ``rows`` (values in column order) to ``table`` in one statement.

    ``executemany`` runs a statement per row: 10,000 review decisions took 6 s that way.
    """
    if not rows:
        return
    columns = {f"c{i}": list(values) for i, values in enumerate(zip(*rows, strict=True))}
    con.execute(
        f"INSERT INTO {quote(table)} SELECT " + ", ".join(f"unnest(${name})" for name in columns),
        columns,
    )


def _used(statement: str, params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", statement)}


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'
