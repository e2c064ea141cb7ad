"""Every Jinja filter, and the one way templates in ``site_templates/`` are loaded.

A template in the billing repo's ``site_templates/`` overrides the shipped one of the same
name. A CSV template rendered with ``finalize=csv_value`` escapes every value it prints:
text is neutralized so a spreadsheet cannot run it as a formula, and quoted when it holds a
comma, quote or line break; amounts go through the ``amount`` filter, which keeps their sign
and format. ``markdown_escape`` makes untrusted text safe in Markdown written from Python
(the pull-request billing diff).

A Markdown page template (the site) is rendered with ``finalize=escape_md``: text from a
FOCUS file (resource names, tags, descriptions, PI and project IDs) is untrusted, and every
ASCII punctuation character in it becomes a numeric character reference, so Markdown and
HTML both show it literally; nothing in it can open a tag, a link, emphasis, a table cell
or an attribute. Filters that build markup from trusted parts (``money``, ``link``) return
``Markup``, which passes as it is.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from .config import Config, Currency
from .money import exact, fixed, format_money
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


# Every ASCII punctuation character as a numeric character reference; control characters go.
MD_ESCAPES = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def escape_md(value: Any) -> Markup:
    """``value`` as text that Markdown and HTML show literally, on one line."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Markup(value)  # digits, sign and point carry no markup
    text = " ".join(CONTROL.sub("", str(value)).split())
    return Markup(text.translate(MD_ESCAPES))


@jinja2.pass_environment
def money(env: jinja2.Environment, value: Decimal | None) -> Markup:
    """``$1,234.50``, ``-$5.00``."""
    return Markup(format_money(value, env.globals["currency"]))  # type: ignore[arg-type]


@jinja2.pass_environment
def compact_money(env: jinja2.Environment, value: Decimal) -> Markup:
    """A chart axis label: ``$950``, ``$12k``, ``$1.5M``, ``-$3k``."""
    currency: Currency = env.globals["currency"]  # type: ignore[assignment]
    symbol = currency.symbol
    sign = "-" if value < 0 else ""
    size = abs(Decimal(value))
    for unit, suffix in ((Decimal(10**6), "M"), (Decimal(10**3), "k")):
        if size >= unit:
            shown = f"{size / unit:.1f}".removesuffix(".0")
            return Markup(f"{sign}{symbol}{shown}{suffix}")
    return Markup(f"{sign}{symbol}{size:.0f}")


def exact_amount(value: Decimal | None) -> Markup:
    """An exact amount, every decimal kept: ``2563.7664540874``."""
    return Markup(exact(value))


def link(text: Any, target: str) -> Markup:
    """A Markdown link to a page or file the generator wrote (``target`` is URL-quoted)."""
    return Markup(f"[{escape_md(text)}]({quote(target, safe='/#@+-._~')})")


def heading_id(value: str) -> Markup:
    """An explicit heading ID (``{#2026-10}``) for a generator-made key."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise ValueError(f"not a safe heading ID: {value!r}")
    return Markup(f"{{#{value}}}")


def period_name(period: str) -> Markup:
    """``2026-10`` → ``October 2026``."""
    year, month = period.split("-")
    return Markup(f"{MONTHS[int(month) - 1]} {int(year)}")


def period_short(period: str) -> Markup:
    """``2026-10`` → ``Oct 2026``."""
    year, month = period.split("-")
    return Markup(f"{MONTHS[int(month) - 1][:3]} {int(year)}")


FILTERS = {
    "amount": amount,
    "md": escape_md,
    "money": money,
    "compact_money": compact_money,
    "exact": exact_amount,
    "link": link,
    "heading_id": heading_id,
    "period_name": period_name,
    "period_short": period_short,
}


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
