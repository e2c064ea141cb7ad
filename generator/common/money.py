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
