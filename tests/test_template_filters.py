"""Jinja filters: untrusted text stays text in Markdown, HTML and CSV; money and percents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import markdown
import pytest

from generator.config import Currency
from generator.template_filters import (
    csv_cell,
    environment,
    long_date,
    md,
    money,
    percent,
    template_problem,
)


def shown_text(html: str) -> str:
    """The text a browser shows for ``html``."""
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html)
    return "".join(parts)


HOSTILE = [
    "<script>alert(1)</script>",
    "| ** [x](javascript:alert(1))",
    "`rm -rf` _under_ *star* ~~gone~~",
    "# not a heading",
    "![img](http://evil.example/x.png)",
    "a \\| b & c &amp; d \"q\" 'q'",
    "line\nbreak | cell",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_keeps_hostile_text_as_text_in_a_table_cell(text: str) -> None:
    html = markdown.markdown(
        f"| a | b |\n|---|---|\n| {md(text)} | 1 |\n", extensions=["tables"]
    )
    for tag in ("<script", "<a ", "<img", "<em>", "<strong>", "<code>", "<del>", "<h1"):
        assert tag not in html
    # Still one row of two cells, and a browser shows the original text (on one line).
    assert html.count("<td>") == 2
    assert " ".join(text.split()) in shown_text(html)


def test_md_at_the_start_of_a_line_is_not_a_heading() -> None:
    assert "<h1" not in markdown.markdown(md("# Title"))
    assert md(None) == ""


def test_money_and_percent() -> None:
    usd = Currency()
    assert money(Decimal("1234.5"), usd) == "$1,234.50"
    assert money(Decimal("-5"), usd) == "-$5.00"
    assert money(-Decimal("0.00"), usd) == "$0.00"
    assert money(Decimal("0.005"), usd) == "$0.01"
    assert money(Decimal("12"), Currency("JPY", "¥", 0)) == "¥12"
    assert percent(Decimal("0.4321")) == "43.2%"
    assert percent(Decimal("1")) == "100.0%"
    assert percent(Decimal("0.00049")) == "0.0%"
    assert percent(None) == "—"
    assert percent(Decimal("-0") / Decimal("-29.5")) == "0.0%"
    assert percent(Decimal("-0.25")) == "-25.0%"
    assert long_date(date(2027, 8, 31)) == "31 August 2027"


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
     ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("plain", "plain"), (None, "")],
)
def test_csv_cell_never_a_formula(value: str | None, cell: str) -> None:
    assert csv_cell(value) == cell


def test_environment_is_strict_and_escapes_html_only(tmp_path: Path) -> None:
    (tmp_path / "a.html.j2").write_text("{{ x }}")
    (tmp_path / "a.md.j2").write_text("{{ x }} {{ x|md }}")
    (tmp_path / "b.md.j2").write_text("ok\n{{ missing }}\n")
    env = environment((tmp_path,), Currency())
    assert env.get_template("a.html.j2").render(x="<b>") == "&lt;b&gt;"
    assert env.get_template("a.md.j2").render(x="<b>") == "<b> &lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError) as exc:
        env.get_template("b.md.j2").render()
    problem = template_problem(exc.value, tmp_path)
    assert problem.where == "b.md.j2:2"
    assert "missing" in problem.message


def test_template_problem_names_file_and_line_of_a_syntax_error(tmp_path: Path) -> None:
    folder = tmp_path / "site_templates"
    folder.mkdir()
    (folder / "s.md.j2").write_text("line one\n{% for x in y %}\nno end\n")
    env = environment((folder,), Currency())
    with pytest.raises(jinja2.TemplateSyntaxError) as exc:
        env.get_template("s.md.j2")
    problem = template_problem(exc.value, tmp_path)
    assert problem.where.startswith("site_templates/s.md.j2:")
    assert "endfor" in problem.message
