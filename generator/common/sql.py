"""SQL beside the code: each stage keeps its queries in ``sql/NAME.sql`` next to its modules.

A script is a series of statements separated by a ``;`` at the end of a line. Values are
passed as named parameters (``$name``); names (tables, columns) go through ``quote``, the
one quoting helper.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import duckdb


class Scripts:
    """The ``.sql`` files of one folder (a stage's ``sql/``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def beside(cls, module_file: str) -> Scripts:
        """The ``sql/`` folder next to a module: ``SQL = Scripts.beside(__file__)``."""
        return cls(Path(module_file).resolve().parent / "sql")

    def load(self, name: str) -> list[str]:
        """The statements of ``NAME.sql``."""
        return _statements(self.folder / f"{name}.sql")

    def run(self, con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
        """Run every statement of ``NAME.sql``, each with the parameters it names."""
        for statement in self.load(name):
            con.execute(statement, _used(statement, params))

    def query(
        self, con: duckdb.DuckDBPyConnection, name: str, **params: Any
    ) -> list[dict[str, Any]]:
        """Rows of the single query in ``NAME.sql`` as dicts."""
        (statement,) = self.load(name)
        cursor = con.execute(statement, _used(statement, params))
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@cache
def _statements(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.M) if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(
        line.strip() and not line.strip().startswith("--") for line in statement.splitlines()
    )


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


def json_path(key: str) -> str:
    """The JSON path of a top-level key, quoted (a tag key may hold ``:``, ``.`` or ``"``)."""
    return '$."' + key.replace('"', '\\"') + '"'


def literal(value: object) -> str:
    """A SQL string literal, for the few places DuckDB takes no parameter (a file to scan)."""
    return "'" + str(value).replace("'", "''") + "'"
