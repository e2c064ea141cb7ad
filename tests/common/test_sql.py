"""SQL beside the code: scripts, templates and the one quoting helper."""

from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import pytest

from generator.common.sql import Scripts


def scripts(tmp_path: Path, files: dict[str, str]) -> Scripts:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Scripts(tmp_path)


def test_a_template_quotes_names_and_binds_values(tmp_path):
    sql = scripts(tmp_path, {
        "pick.sql.j2": (
            "-- The named columns of t, and $value.\n"
            "SELECT {% for c in columns %}{{ quote(c) }}, {% endfor %}$value AS v FROM t;\n"
        ),
    })
    con = duckdb.connect()
    con.execute('CREATE TABLE t ("a""b" INTEGER, "it\'s" INTEGER)')
    con.execute("INSERT INTO t VALUES (1, 2)")
    rows = sql.query(con, "pick", {"columns": ['a"b', "it's"]}, value="x'; DROP TABLE t; --")
    assert rows == [{'a"b': 1, "it's": 2, "v": "x'; DROP TABLE t; --"}]


def test_a_template_prints_only_what_quote_or_literal_made(tmp_path):
    sql = scripts(tmp_path, {
        "raw.sql.j2": "SELECT {{ name }} FROM t;\n",
        "literal.sql.j2": "SELECT {{ literal(name) }} AS v;\n",
        "missing.sql.j2": "SELECT {{ quote(nothing) }} FROM t;\n",
    })
    with pytest.raises(TypeError, match="quote"):
        sql.load("raw", {"name": "x"})
    assert sql.query(duckdb.connect(), "literal", {"name": "it's"}) == [{"v": "it's"}]
    with pytest.raises(jinja2.UndefinedError):
        sql.load("missing", {})


def test_a_parameter_named_only_in_a_comment_is_not_bound(tmp_path):
    sql = scripts(tmp_path, {
        "two.sql": "-- $b is for the second statement.\nSELECT $a AS a;\nSELECT $b AS b;\n",
    })
    sql.run(duckdb.connect(), "two", a=1, b=2)
