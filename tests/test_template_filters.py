"""CSV cells that a spreadsheet cannot run; amounts that keep their sign and format."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from generator.config import load_config
from generator.template_filters import (
    Cell,
    csv_quote,
    csv_value,
    environment,
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
