"""Every Jinja filter, and the one way templates in ``site_templates/`` are loaded.

A template in the billing repo's ``site_templates/`` overrides the shipped one of the same
name. A CSV template rendered with ``finalize=csv_value`` escapes every value it prints:
text is neutralized so a spreadsheet cannot run it as a formula, and quoted when it holds a
comma, quote or line break; amounts go through the ``amount`` filter, which keeps their sign
and format. ``markdown_escape`` makes untrusted text safe in Markdown written from Python
(the pull-request billing diff).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from .config import Config, Currency
from .money import fixed, format_money
from .scaffold import shipped_root

DEFAULT_TEMPLATES = shipped_root() / "site_templates"  # in the package, or the checkout

# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Cell(str):
    """Text that is already a finished CSV cell: printed as it is."""


def neutralize(text: str) -> str:
    """``=SUM(A1)`` → ``'=SUM(A1)``: a leading quote makes a spreadsheet show it as text."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_quote(text: str) -> str:
    """Quote a cell when it holds a separator, a quote or a line break (RFC 4180)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_value(value: Any) -> str:
    """How a CSV template prints any value: nothing for None, numbers as they are, text safe."""
    if value is None:
        return ""
    if isinstance(value, Cell):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return csv_quote(neutralize(str(value)))


def text(value: Any) -> str:
    """How a plain-text template prints a value: nothing for None."""
    return "" if value is None else str(value)


@jinja2.pass_environment
def amount(env: jinja2.Environment, value: Decimal | None) -> Cell:
    """``1234.50``, ``-5.00``: the currency's minor unit, no symbol; never neutralized."""
    return Cell(fixed(value, env.globals["currency"]))  # type: ignore[arg-type]


@jinja2.pass_environment
def money(env: jinja2.Environment, value: Decimal | None) -> str:
    """``$1,234.50``, ``-$5.00``: rounded to the currency's minor unit, with its symbol."""
    return format_money(value, env.globals["currency"])  # type: ignore[arg-type]


def month(period: str) -> str:
    """``2026-10`` → ``October 2026``."""
    year, number = period.split("-")
    return date(int(year), int(number), 1).strftime("%B %Y")


FILTERS = {"amount": amount, "money": money, "month": month}


def template_dirs(cfg: Config) -> tuple[Path, ...]:
    """The repo's ``site_templates/`` first, then the shipped defaults."""
    return (cfg.root / "site_templates", DEFAULT_TEMPLATES)


def environment(
    dirs: tuple[Path, ...], currency: Currency, finalize: Callable[[Any], str] = text
) -> jinja2.Environment:
    """The environment templates render in, from ``dirs`` (see ``template_dirs``).

    ``finalize`` prints each value (``csv_value`` for CSV templates). Undefined names are
    errors, so a misspelt field fails the render instead of printing nothing.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=finalize,
    )
    env.filters.update(FILTERS)
    env.globals["currency"] = currency
    return env


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
MENTION = re.compile(r"(^|\s)@")


def markdown_escape(value: object) -> str:
    """Text safe in a Markdown paragraph or table cell: no markup, HTML, mentions or breaks."""
    shown = " ".join(str(value).split())
    shown = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    shown = MARKDOWN_SPECIAL.sub(r"\\\1", shown)
    return MENTION.sub(r"\1&#64;", shown)
