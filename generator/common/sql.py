"""SQL beside the code: each stage keeps its queries in ``sql/NAME.sql`` next to its modules.

A script is a series of statements, each ended by a ``;`` at the end of a line. Values are
passed as named parameters (``$name``); names (tables, columns) go through ``quote``, the
one quoting helper.

A statement whose shape depends on the data (the columns a FOCUS file has) is a Jinja2
template, ``sql/NAME.sql.j2``, rendered with that shape. A template can print only what
``quote`` (an identifier) or ``literal`` (a string that belongs to the shape, such as a
column's name as text) made; values are still bound as ``$name`` parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import jinja2

if TYPE_CHECKING:
    import pyarrow


class Scripts:
    """The ``.sql`` files of one folder (a stage's ``sql/``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def beside(cls, module_file: str) -> Scripts:
        """The ``sql/`` folder next to a module: ``SQL = Scripts.beside(__file__)``."""
        return cls(Path(module_file).resolve().parent / "sql")

    def load(self, name: str, shape: Mapping[str, Any] | None = None) -> list[str]:
        """The statements of ``NAME.sql``, or of the template ``NAME.sql.j2`` given a shape."""
        if shape is None:
            return _statements(self.folder / f"{name}.sql")
        return _split(_templates(self.folder).get_template(f"{name}.sql.j2").render(shape))

    def run(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        shape: Mapping[str, Any] | None = None,
        /,
        **params: Any,
    ) -> None:
        """Run every statement of ``NAME.sql`` (or ``.sql.j2``), each with the parameters it
        names."""
        for statement in self.load(name, shape):
            con.execute(statement, _used(statement, params))

    def query(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        shape: Mapping[str, Any] | None = None,
        /,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """Rows of the query that ends ``NAME.sql`` (or ``.sql.j2``) as dicts; the statements
        before it run first."""
        cursor = self.cursor(con, name, shape, **params)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def cursor(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        shape: Mapping[str, Any] | None = None,
        /,
        **params: Any,
    ) -> duckdb.DuckDBPyConnection:
        """``con`` with the query that ends ``NAME.sql`` (or ``.sql.j2``) executed, its rows
        not yet fetched (for results too large to hold as dicts); the statements before it
        run first."""
        *before, statement = self.load(name, shape)
        for other in before:
            con.execute(other, _used(other, params))
        return con.execute(statement, _used(statement, params))

    def arrow(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        shape: Mapping[str, Any] | None = None,
        /,
        **params: Any,
    ) -> pyarrow.Table:
        """Rows of the single query in ``NAME.sql`` (or ``.sql.j2``) as an Arrow table, to
        copy them into another connection."""
        (statement,) = self.load(name, shape)
        return con.sql(statement, params=_used(statement, params)).to_arrow_table()


@cache
def _statements(path: Path) -> list[str]:
    return _split(path.read_text(encoding="utf-8"))


def _split(text: str) -> list[str]:
    """The statements of a script: each ends with a ``;`` at the end of a line (not in a
    comment line)."""
    statements, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            statements.append("\n".join(current).strip())
            current = []
    statements.append("\n".join(current).strip())
    return [s for s in statements if _has_code(s)]


class Sql(str):
    """Text that ``quote`` or ``literal`` made: the only values a SQL template may print."""


@cache
def _templates(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        finalize=_printable,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.globals.update(quote=quote, literal=literal)
    return env


def _printable(value: object) -> Sql:
    if isinstance(value, Sql):
        return value
    raise TypeError(
        f"a SQL template printed {value!r}: print names with quote(), strings with "
        "literal(), and bind values as $parameters"
    )


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
    """The parameters ``statement`` names in its code (a comment may name others)."""
    code = re.sub(r"--.*", "", statement)
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", code)}


def quote(name: str) -> Sql:
    """A SQL identifier, quoted."""
    return Sql('"' + name.replace('"', '""') + '"')


def literal(value: object) -> Sql:
    """A SQL string literal, for text that belongs to a statement's shape (a column's name in a
    template), not for a value: values are bound as parameters."""
    return Sql("'" + str(value).replace("'", "''") + "'")


def json_path(key: str) -> str:
    """The JSON path of one key of an object (for ``json_extract``, bound as a parameter)."""
    return '$."' + key.replace('"', '\\"') + '"'
