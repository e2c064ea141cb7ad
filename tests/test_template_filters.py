"""CSV cells that a spreadsheet cannot run; amounts that keep their sign and format;
untrusted text escaped for Markdown and HTML; money and links for the site."""

from __future__ import annotations

import csv
import io
import string
from decimal import Decimal

import markdown
import pytest
from markupsafe import Markup

from generator.config import load_config
from generator.template_filters import (
    Cell,
    csv_quote,
    csv_value,
    environment,
    escape_md,
    heading_id,
    link,
    neutralize,
    template_dirs,
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
    import jinja2

    cfg = load_config(make_repo())
    env = environment(template_dirs(cfg), cfg.currency)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ entry.nope }}").render(entry={})


def render(md_text: str) -> str:
    return markdown.markdown(md_text, extensions=["tables", "attr_list", "md_in_html"])


def test_escape_md_leaves_no_markup():
    hostile = "<script>alert(1)</script> | ** [x](javascript:alert(1)) `c` _e_ {#id} &amp;"
    escaped = escape_md(hostile)
    assert not set(escaped) & (set(string.punctuation) - set("&#;"))
    html = render(f"| a |\n| --- |\n| {escaped} |\n")
    assert "<script" not in html and "<a " not in html and "<em>" not in html
    assert html.count("<td>") == 1  # the | did not open a cell


def test_escape_md_one_line_and_no_control_characters():
    assert escape_md("a\n\n  b\tc\x00d") == "a b cd"
    assert escape_md(None) == ""


def test_trusted_values_pass_as_they_are():
    assert escape_md(Markup("**x**")) == "**x**"
    assert escape_md(Decimal("-12.50")) == "-12.50"
    assert escape_md(3) == "3"


def test_link_escapes_the_text_and_quotes_the_target():
    assert link("a_b", "pis/ada@test.edu.md#2026-10") == (
        "[a&#95;b](pis/ada@test.edu.md#2026-10)")
    assert link("x", "a b(c).md") == "[x](a%20b%28c%29.md)"


def test_site_filters_in_a_markdown_template(make_repo):
    cfg = load_config(make_repo())
    env = environment(template_dirs(cfg), cfg.currency, finalize=escape_md)
    template = env.from_string(
        "{{ a | money }} {{ b | exact }} {{ c | compact_money }} {{ d | compact_money }} "
        "{{ e | compact_money }} {{ p | period_name }} {{ p | period_short }} {{ t }}")
    text = template.render(a=Decimal("-1234.505"), b=Decimal("2563.7664540874"),
                           c=Decimal("1500000"), d=Decimal("-3000"), e=Decimal("950"),
                           p="2026-01", t="a_b")
    assert text == ("-$1,234.51 2563.7664540874 $1.5M -$3k $950 January 2026 Jan 2026 "
                    "a&#95;b")


def test_heading_id_only_for_safe_keys():
    assert heading_id("2026-10") == "{#2026-10}"
    try:
        heading_id("x} <b>")
    except ValueError:
        pass
    else:
        raise AssertionError("an unsafe heading ID was accepted")
