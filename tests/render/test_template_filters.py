"""Template filters: untrusted text stays text in Markdown, HTML and CSV; amounts and money
keep their sign and format; a template error names its file and line."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import markdown
import pytest
from markupsafe import Markup

from generator.read.config import Currency, load_config
from generator.render.filters import (
    Cell,
    csv_quote,
    csv_value,
    environment,
    heading_id,
    link,
    long_date,
    markdown_escape,
    markdown_value,
    neutralize,
    percent,
    template_dirs,
    template_problem,
)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx",
                                  '=HYPERLINK("http://x","y")'])
def test_formula_starts_are_neutralized(text: str) -> None:
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("text", ["ada@test.edu", "1-2", "p1", "", " =x", "'=x"])
def test_other_text_is_left_alone(text: str) -> None:
    assert neutralize(text) == text


def test_csv_quote_only_when_needed() -> None:
    assert csv_quote("plain") == "plain"
    assert csv_quote('a,"b"') == '"a,""b"""'
    assert csv_quote("two\nlines") == '"two\nlines"'


def test_csv_value_by_type() -> None:
    assert csv_value(None) == ""
    assert csv_value(Decimal("-5.00")) == "-5.00"  # a number keeps its sign
    assert csv_value(-3) == "-3"
    assert csv_value(Cell("-1,234")) == "-1,234"  # a finished cell is printed as it is
    assert csv_value("-5.00") == "'-5.00"  # text that looks like a formula is not
    assert csv_value('=cmd|" /C calc"!A0') == '"\'=cmd|"" /C calc""!A0"'


def test_csv_template_escapes_every_value(make_repo) -> None:
    cfg = load_config(make_repo())
    env = environment(template_dirs(cfg), cfg.currency, finalize=csv_value)
    template = env.from_string("{{ a }},{{ b }},{{ n | amount }},{{ m | amount }}\n")
    text = template.render(a="=1+2", b="@x, y", n=Decimal("-1234.5"), m=Decimal("0.005"))
    assert text == "'=1+2,\"'@x, y\",-1234.50,0.01\n"
    assert next(csv.reader(io.StringIO(text))) == ["'=1+2", "'@x, y", "-1234.50", "0.01"]


def test_undefined_names_fail(make_repo) -> None:
    cfg = load_config(make_repo())
    env = environment(template_dirs(cfg), cfg.currency)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ entry.nope }}").render(entry={})


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
        f"| a | b |\n|---|---|\n| {markdown_escape(text)} | 1 |\n", extensions=["tables"]
    )
    for tag in ("<script", "<a ", "<img", "<em>", "<strong>", "<code>", "<del>", "<h1"):
        assert tag not in html
    # Still one row of two cells, and a browser shows the original text (on one line).
    assert html.count("<td>") == 2
    assert " ".join(text.split()) in shown_text(html)


def test_md_at_the_start_of_a_line_is_not_a_heading() -> None:
    assert "<h1" not in markdown.markdown(markdown_escape("# Title"))
    assert markdown_escape(None) == ""
    assert markdown_escape("@team and ada@test.edu") == "&#64;team and ada@test.edu"


def test_money_and_percent(tmp_path: Path) -> None:
    def money(value: Decimal, currency: Currency | None = None) -> str:
        env = environment((tmp_path,), currency or Currency())
        return env.from_string("{{ x|money }}").render(x=value)

    assert money(Decimal("1234.5")) == "$1,234.50"
    assert money(Decimal("-5")) == "-$5.00"
    assert money(-Decimal("0.00")) == "$0.00"
    assert money(Decimal("0.005")) == "$0.01"
    assert money(Decimal("12"), Currency("JPY", "¥", 0)) == "¥12"
    assert percent(Decimal("0.4321")) == "43.2%"
    assert percent(Decimal("1")) == "100.0%"
    assert percent(Decimal("0.00049")) == "0.0%"
    assert percent(None) == "—"
    assert percent(Decimal("-0") / Decimal("-29.5")) == "0.0%"
    assert percent(Decimal("-0.25")) == "-25.0%"
    assert long_date(date(2027, 8, 31)) == "31 August 2027"


def test_environment_is_strict_and_escapes_html_only(tmp_path: Path) -> None:
    (tmp_path / "a.html.j2").write_text("{{ x }}")
    (tmp_path / "a.md.j2").write_text("{{ x }} {{ x|md }}")
    (tmp_path / "b.md.j2").write_text("ok\n{{ missing }}\n")
    env = environment((tmp_path,), Currency())
    assert env.get_template("a.html.j2").render(x="<b>") == "&lt;b&gt;"
    assert env.get_template("a.md.j2").render(x="<b>") == "<b> &lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError) as exc:
        env.get_template("b.md.j2").render()
    problem = template_problem(exc.value, (tmp_path,))
    assert problem.where == "site_templates/b.md.j2:2"
    assert "missing" in problem.message


def test_template_problem_names_file_and_line_of_a_syntax_error(tmp_path: Path) -> None:
    folder = tmp_path / "site_templates"
    folder.mkdir()
    (folder / "s.md.j2").write_text("line one\n{% for x in y %}\nno end\n")
    env = environment((folder,), Currency())
    with pytest.raises(jinja2.TemplateSyntaxError) as exc:
        env.get_template("s.md.j2")
    problem = template_problem(exc.value, (folder,))
    assert problem.where.startswith("site_templates/s.md.j2:")
    assert "endfor" in problem.message


def test_markdown_value_escapes_all_but_markup():
    assert markdown_value("<b>x</b> | *y*") == markdown_escape("<b>x</b> | *y*")
    assert markdown_value(Markup("**x**")) == "**x**"
    assert markdown_value(None) == ""


def test_link_escapes_the_text_and_quotes_the_target():
    assert link("a_b", "pis/ada@test.edu.md#2026-10") == (
        "[a&#95;b](pis/ada@test.edu.md#2026-10)")
    assert link("x", "a b(c).md") == "[x](a%20b%28c%29.md)"
    html = markdown.markdown(link("[x](javascript:alert(1))", "p.md"))
    assert html.count("<a ") == 1 and "javascript" not in html.split('href="')[1][:12]


def test_site_filters_in_a_markdown_template(make_repo):
    cfg = load_config(make_repo())
    env = environment(template_dirs(cfg), cfg.currency, finalize=markdown_value)
    template = env.from_string(
        "{{ a | money }} {{ b | exact }} {{ c | compact_money }} {{ d | compact_money }} "
        "{{ e | compact_money }} {{ p | period_name }} {{ p | period_short }} {{ t }} "
        "{{ t | md }}")
    text = template.render(a=Decimal("-1234.505"), b=Decimal("2563.7664540874"),
                           c=Decimal("1500000"), d=Decimal("-3000"), e=Decimal("950"),
                           p="2026-01", t="a_b")
    assert text == ("-$1,234.51 2563.7664540874 $1.5M -$3k $950 January 2026 Jan 2026 "
                    "a&#95;b a&#95;b")  # md then finalize: escaped once


def test_heading_id_only_for_safe_keys():
    assert heading_id("2026-10") == "{#2026-10}"
    assert heading_id("2026-10", searched=False) == "{#2026-10 data-search-exclude}"
    with pytest.raises(ValueError):
        heading_id("x} <b>")
