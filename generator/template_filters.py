"""Every Jinja filter the templates in ``site_templates/`` use, in one module.

Text that comes from a FOCUS file (resource names, tags, descriptions, PI and project IDs) is
untrusted. ``escape_md`` turns it into text that Markdown and HTML both show literally: every
ASCII punctuation character becomes a numeric character reference, so nothing in it can open a
tag, a link, emphasis, a table cell or an attribute. Templates that render Markdown use it as
the environment's ``finalize``, so a plain ``{{ value }}`` is always escaped; filters that
build markup from trusted parts (money, links, charts) return ``Markup``, which passes as is.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from .config import Currency
from .money import exact, format_money

# Every ASCII punctuation character as a numeric character reference; control characters go.
ESCAPES = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
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
    return Markup(text.translate(ESCAPES))


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


def compact_money(amount: Decimal, currency: Currency) -> Markup:
    """An axis label: ``$950``, ``$12k``, ``$1.5M``, ``-$3k``."""
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    for size, suffix in ((Decimal(10**6), "M"), (Decimal(10**3), "k")):
        if value >= size:
            shown = f"{value / size:.1f}".removesuffix(".0")
            return Markup(f"{sign}{currency.symbol}{shown}{suffix}")
    return Markup(f"{sign}{currency.symbol}{value:.0f}")


def filters(currency: Currency) -> dict[str, Callable[..., Any]]:
    """The filters, with money formatted in ``currency``."""
    return {
        "md": escape_md,
        "money": lambda amount: Markup(format_money(amount, currency)),
        "compact_money": lambda amount: compact_money(Decimal(amount), currency),
        "link": link,
        "heading_id": heading_id,
        "exact": lambda amount: Markup(exact(amount)),
        "period_name": period_name,
        "period_short": period_short,
    }
