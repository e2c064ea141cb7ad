"""Money is Decimal from DuckDB to the printed cent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Currency:
    code: str = "USD"
    symbol: str = "$"
    minor_units: int = 2


def rounded(amount: Decimal, currency: Currency) -> Decimal:
    """Round half away from zero to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-currency.minor_units), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: Currency) -> str:
    """``$1,234.50``, ``-$5.00``: the sign before the symbol, grouped thousands."""
    value = rounded(amount or Decimal(0), currency)
    sign = "-" if value < 0 else ""
    return f"{sign}{currency.symbol}{abs(value):,.{currency.minor_units}f}"


def exact(amount: Decimal | None) -> str:
    """An exact amount without trailing zeros beyond the cent: ``12.5000000001``, ``3.00``."""
    if amount is None:
        return ""
    text = format(amount.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def fixed(amount: Decimal | None, currency: Currency) -> str:
    """``1234.50``, ``-5.00``: rounded to the minor unit, no symbol or grouping (for files)."""
    return f"{rounded(amount or Decimal(0), currency):.{currency.minor_units}f}"


# The money range: every amount that enters (a FOCUS file, a converter's output, `correct
# --amount`, a config threshold) is below 10^15 either way, with at most 18 decimal places.
# DECIMAL(38, 18), the warehouse's type, holds every such amount exactly, and so does a sum
# of up to 100,000 of them; a FOCUS file's amounts must also add up to less than 10^15.
MAX_AMOUNT = Decimal(10) ** 15
MAX_PLACES = 18
RANGE = "amounts are below 10^15 (1,000,000,000,000,000) either way, at most 18 decimal places"


NOT_A_NUMBER = ("is not a number; write a plain decimal such as 12.50 (at most 18 decimal "
                "places, no currency signs, NaN or infinity)")


def as_number(text: str) -> Decimal | None:
    """``text`` as a finite Decimal, or None (not a number, NaN or infinity)."""
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        return None
    return value if value.is_finite() else None


def amount_problem(text: str) -> str | None:
    """Why ``text`` is not an amount within the money range (None: it is one)."""
    value = as_number(text)
    if value is None:
        return NOT_A_NUMBER
    if value.copy_abs() >= MAX_AMOUNT:
        return f"is out of range: {RANGE}"
    if decimal_places(value) > MAX_PLACES:
        return f"has more than {MAX_PLACES} decimal places: {RANGE}"
    return None


def decimal_places(value: Decimal) -> int:
    """Digits after the point, trailing zeros not counted: 1.500 → 1, 2E-20 → 20 (exact:
    ``normalize`` would round to the context's precision)."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return 0
    significant = "".join(map(str, digits)).rstrip("0")
    return max(0, -(exponent + len(digits) - len(significant))) if significant else 0
