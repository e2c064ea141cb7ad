"""Every Jinja filter, and the one way templates in ``site_templates/`` are loaded.

A template in the billing repo's ``site_templates/`` overrides the shipped one of the same
name. HTML templates (``*.html.j2``) escape every value they print.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from .config import Config
from .money import format_money

SHIPPED_TEMPLATES = Path(__file__).resolve().parent.parent / "site_templates"


def text(value: Any) -> str:
    """How a plain-text template prints a value: nothing for None."""
    return "" if value is None else str(value)


@jinja2.pass_environment
def money(env: jinja2.Environment, value: Decimal | None) -> str:
    """``$1,234.50``, ``-$5.00``: rounded to the currency's minor unit, with its symbol."""
    return format_money(value, env.globals["currency"])  # type: ignore[arg-type]


def month(period: str) -> str:
    """``2026-10`` → ``October 2026``."""
    year, number = period.split("-")
    return date(int(year), int(number), 1).strftime("%B %Y")


FILTERS = {"money": money, "month": month}


def environment(cfg: Config, finalize: Callable[[Any], str] = text) -> jinja2.Environment:
    """The environment for the templates of ``site_templates/`` (repo first, then shipped).

    ``finalize`` prints each value. Undefined names are errors, so a misspelt field fails
    the render instead of printing nothing.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([cfg.root / "site_templates", SHIPPED_TEMPLATES]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=False),
        finalize=finalize,
    )
    env.filters.update(FILTERS)
    env.globals["currency"] = cfg.currency
    return env
