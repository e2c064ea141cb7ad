"""Template filters: untrusted text escaped for Markdown and HTML, money and links built."""

from __future__ import annotations

import string
from decimal import Decimal

import markdown
from markupsafe import Markup

from generator.config import Currency
from generator.template_filters import compact_money, escape_md, filters, heading_id, link

USD = Currency()


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


def test_money_filters():
    f = filters(USD)
    assert f["money"](Decimal("-1234.505")) == "-$1,234.51"
    assert f["exact"](Decimal("2563.7664540874")) == "2563.7664540874"
    assert compact_money(Decimal("1500000"), USD) == "$1.5M"
    assert compact_money(Decimal("-3000"), USD) == "-$3k"
    assert compact_money(Decimal("950"), USD) == "$950"
    assert f["period_name"]("2026-10") == "October 2026"
    assert f["period_short"]("2026-01") == "Jan 2026"


def test_heading_id_only_for_safe_keys():
    assert heading_id("2026-10") == "{#2026-10}"
    try:
        heading_id("x} <b>")
    except ValueError:
        pass
    else:
        raise AssertionError("an unsafe heading ID was accepted")
