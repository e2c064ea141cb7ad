"""Every Jinja filter, and the one environment all templates in ``site_templates/`` render in.

Text from FOCUS files is untrusted: ``md`` makes it plain text in Markdown *and* in the HTML
that Markdown becomes; HTML templates autoescape; ``csv_cell`` keeps a spreadsheet from
running it as a formula.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any

import jinja2

from .config import Config, Currency
from .errors import Problem, at
from .money import format_money

# The templates that ship with OpenChargeback; a repo's site_templates/ overrides them file
# by file, so an institution restyles only what it changes.
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "site_templates"

# HTML's special characters, and those that mean something to Markdown (or to a common
# extension: ~ strikethrough), become character references: they read as themselves in a
# Markdown table, in the HTML Markdown produces and in a PDF, and can never start a tag,
# a link, emphasis or a code span.
_TEXT_ESCAPES = {
    **{c: f"&#{ord(c)};" for c in "\\`*_[]|#~{}!'"},
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
}


def md(value: Any) -> str:
    """Untrusted text as plain text in Markdown (and in the HTML made from it), one line."""
    if value is None:
        return ""
    return "".join(_TEXT_ESCAPES.get(c, c) for c in " ".join(str(value).split()))


def money(amount: Decimal | None, currency: Currency) -> str:
    """``$1,234.50``; ``-$5.00`` for credits."""
    return format_money(amount, currency)


def percent(value: Decimal | None, places: int = 1) -> str:
    """``40.0%``; an em dash when there is nothing to divide by (``None``)."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-places)
    shown = (value * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{shown if shown else abs(shown)}%"  # never "-0.0%"


def long_date(value: date) -> str:
    """``31 August 2027``."""
    return f"{value.day} {value:%B %Y}"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """Text for a CSV cell that a spreadsheet shows as text and never runs as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def filters(currency: Currency) -> dict[str, Callable[..., Any]]:
    return {
        "md": md,
        "money": partial(money, currency=currency),
        "percent": percent,
        "long_date": long_date,
        "csv_cell": csv_cell,
    }


def template_dirs(cfg: Config) -> tuple[Path, ...]:
    """The repo's ``site_templates/`` first, then the built-in defaults."""
    return (cfg.root / "site_templates", DEFAULT_TEMPLATES)


def environment(dirs: tuple[Path, ...], currency: Currency) -> jinja2.Environment:
    """Strict (an unknown name is an error), trimmed blocks, HTML/SVG/XML autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "svg.j2", "xml.j2"), default_for_string=False
        ),
    )
    env.filters.update(filters(currency))
    return env


def template_problem(exc: BaseException, root: Path) -> Problem:
    """Where in which template an error happened (``site_templates/x.j2:12``), and what."""
    filename: str | None = getattr(exc, "filename", None)
    line: int | None = getattr(exc, "lineno", None)
    if not isinstance(exc, jinja2.TemplateSyntaxError):
        # Jinja maps the traceback onto template lines; the innermost template frame is it.
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")
        ]
        if frames:
            filename, line = frames[-1].filename, frames[-1].lineno
    shown = filename or "site_templates"
    if filename:
        try:
            shown = str(Path(filename).resolve().relative_to(root))
        except ValueError:
            shown = filename
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    return Problem(at(shown, line), f"template error: {message}; fix the template")
