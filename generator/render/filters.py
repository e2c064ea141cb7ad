"""Every Jinja filter, and the one way templates in ``site_templates/`` are loaded.

A template in the billing repo's ``site_templates/`` overrides the shipped one of the same
name. Text from FOCUS files (and from ``data/``) is untrusted:

- ``markdown_escape`` (the ``md`` filter) makes it plain text in Markdown *and* in the HTML
  Markdown becomes: statements, the site, the pull-request billing diff. The site's page
  templates are rendered with ``finalize=markdown_value``, so every value they print is
  escaped so; filters that build markup from trusted parts (``link``, ``period_name``) return
  ``Markup``, which passes as it is;
- ``*.html.j2``, ``*.svg.j2`` and ``*.xml.j2`` templates escape HTML automatically;
- a CSV template rendered with ``finalize=csv_value`` escapes every value it prints: text is
  neutralized so a spreadsheet cannot run it as a formula, and quoted when it holds a comma,
  quote or line break; amounts go through the ``amount`` filter, which keeps their sign and
  format.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from generator.common.errors import Problem, at
from generator.common.money import Currency, exact, fixed, format_money
from generator.common.shipped import shipped_root
from generator.common.text import CONTROL
from generator.read.config import Config

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
    """How a plain-text or HTML template prints a value: nothing for None; text (and markup
    that is already safe) as it is."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


@jinja2.pass_environment
def amount(env: jinja2.Environment, value: Decimal | None) -> Cell:
    """``1234.50``, ``-5.00``: the currency's minor unit, no symbol; never neutralized."""
    return Cell(fixed(value, env.globals["currency"]))  # type: ignore[arg-type]


@jinja2.pass_environment
def money(env: jinja2.Environment, value: Decimal | None) -> str:
    """``$1,234.50``; ``-$5.00`` for credits."""
    return format_money(value, env.globals["currency"])  # type: ignore[arg-type]


def percent(value: Decimal | None, places: int = 1) -> str:
    """``40.0%``; an em dash when there is nothing to divide by (``None``)."""
    if value is None:
        return "—"
    shown = (value * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{shown if shown else abs(shown)}%"  # never "-0.0%"


def long_date(value: date) -> str:
    """``31 August 2027``."""
    return f"{value.day} {value:%B %Y}"


def utc_time(value: str) -> str:
    """An ISO 8601 time, ``2026-11-03T09:12:44+00:00`` → ``3 November 2026, 09:12`` (UTC)."""
    when = datetime.fromisoformat(value).astimezone(UTC)
    return f"{long_date(when.date())}, {when:%H:%M}"


# HTML's special characters, and those that mean something to Markdown (or to a common
# extension: ~ strikethrough), become character references: they read as themselves in a
# Markdown paragraph or table cell (Python-Markdown and GitHub alike), in the HTML Markdown
# produces and in a PDF, and can never start a tag, a link, emphasis, a code span or a new
# cell. (A backslash escape does not work for a backtick inside a Python-Markdown table.)
_TEXT_ESCAPES = {
    **{c: f"&#{ord(c)};" for c in "\\`*_[]|#~{}!'"},
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
}


def markdown_escape(value: object) -> str:
    """Untrusted text as plain text in Markdown, on one line: no markup, HTML, cell breaks,
    @mentions or control characters (each shown as U+FFFD)."""
    if value is None:
        return ""
    words = []
    for word in str(value).split():  # line breaks and other blanks become single spaces
        escaped = "".join(_TEXT_ESCAPES.get(c, c) for c in CONTROL.sub("\ufffd", word))
        words.append("&#64;" + escaped[1:] if escaped.startswith("@") else escaped)
    return " ".join(words)


def md(value: object) -> Markup:
    """The ``md`` filter: ``markdown_escape``, marked as finished markup."""
    return Markup(markdown_escape(value))


def markdown_value(value: Any) -> str:
    """How a Markdown page template prints any value: escaped, unless a filter made it
    markup (``Markup``)."""
    return value if isinstance(value, Markup) else markdown_escape(value)


@jinja2.pass_environment
def compact_money(env: jinja2.Environment, value: Decimal) -> Markup:
    """A chart axis label: ``$950``, ``$12k``, ``$1.5M``, ``-$3k``."""
    currency: Currency = env.globals["currency"]  # type: ignore[assignment]
    sign = "-" if value < 0 else ""
    size = abs(Decimal(value))
    for unit, suffix in ((Decimal(10**6), "M"), (Decimal(10**3), "k")):
        if size >= unit:
            shown = f"{size / unit:.1f}".removesuffix(".0")
            return Markup(f"{sign}{currency.symbol}{shown}{suffix}")
    return Markup(f"{sign}{currency.symbol}{size:.0f}")


def exact_amount(value: Decimal | None) -> Markup:
    """An exact amount, every decimal kept: ``2563.7664540874``."""
    return Markup(exact(value))


def link(text: Any, target: str) -> Markup:
    """A Markdown link to a page or file the generator wrote (``target`` is URL-quoted)."""
    return Markup(f"[{markdown_value(text)}]({quote(target, safe='/#@+-._~')})")


def heading_id(value: str, searched: bool = True) -> Markup:
    """An explicit heading ID (``{#2026-10}``) for a generator-made key; not ``searched``,
    the heading's section is left out of the search index (``{#2026-10
    data-search-exclude}``)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise ValueError(f"not a safe heading ID: {value!r}")
    return Markup(f"{{#{value}{'' if searched else ' data-search-exclude'}}}")


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def period_name(period: str) -> Markup:
    """``2026-10`` → ``October 2026``."""
    year, month = period.split("-")
    return Markup(f"{MONTHS[int(month) - 1]} {int(year)}")


def period_short(period: str) -> Markup:
    """``2026-10`` → ``Oct 2026``."""
    year, month = period.split("-")
    return Markup(f"{MONTHS[int(month) - 1][:3]} {int(year)}")


def truncate_desc(value: Any, length: int = 35) -> str:
    """Text on one line, cut to ``length`` characters (35 by default, a Banner journal's
    description width): for GL templates, as the earlier web application had it."""
    return " ".join(str(value if value is not None else "").split())[:length]


FILTERS: dict[str, Callable[..., Any]] = {
    "amount": amount,
    "truncate_desc": truncate_desc,
    "money": money,
    "percent": percent,
    "long_date": long_date,
    "utc_time": utc_time,
    "md": md,
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
    errors, so a misspelt field fails the render instead of printing nothing. HTML, SVG and
    XML templates escape what they print.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "svg.j2", "xml.j2"), default_for_string=False
        ),
        finalize=finalize,
    )
    env.filters.update(FILTERS)
    env.globals["currency"] = currency
    return env


@cache
def cached_environment(
    dirs: tuple[Path, ...], currency: Currency, finalize: Callable[[Any], str] = text
) -> jinja2.Environment:
    """``environment``, made once per process for each set of arguments: a template is
    compiled once, and again only when its file changes."""
    return environment(dirs, currency, finalize)


def template_problem(exc: BaseException, dirs: tuple[Path, ...]) -> Problem:
    """Where in which template an error happened (``site_templates/x.j2:12``), and what.

    ``dirs`` are the template folders; a template is named by its path inside them.
    """
    filename: str | None = getattr(exc, "filename", None)
    line: int | None = getattr(exc, "lineno", None)
    if not isinstance(exc, jinja2.TemplateSyntaxError):
        # Jinja maps the traceback onto template lines; the innermost template frame is it.
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if any(Path(f.filename).is_relative_to(d) for d in dirs)]
        if frames:
            filename, line = frames[-1].filename, frames[-1].lineno
    shown = "site_templates"
    for folder in dirs:
        if filename and Path(filename).is_relative_to(folder):
            shown = f"site_templates/{Path(filename).relative_to(folder)}"
            break
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    return Problem(at(shown, line), f"template error: {message}; fix the template")
