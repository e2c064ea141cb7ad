"""What both converters share: the report of bad input lines, the FOCUS rows they write
(columns, prices, Decimal text) and the result the command prints."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import TextIO

from generator.common import files
from generator.common.errors import DataError, Problem, screenful
from generator.common.money import MAX_AMOUNT, amount_problem
from generator.read.config import Config

MONEY = Decimal("1e-10")  # costs keep 10 decimal places; statements round lines to cents
QUANTITY = Decimal("1e-12")
MAX_PROBLEMS = 200  # bad lines shown; the rest are counted
AMOUNTS = ("ListUnitPrice", "ContractedUnitPrice", "ListCost", "ContractedCost", "BilledCost",
           "EffectiveCost")

FOCUS_COLUMNS = (
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ChargeDescription",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "SubAccountId",
    "SubAccountName",
    "ResourceId",
    "ResourceType",
    "SkuId",
    "SkuPriceId",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ListUnitPrice",
    "ContractedUnitPrice",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ListCost",
    "ContractedCost",
    "BilledCost",
    "EffectiveCost",
    "Tags",
)


@dataclass
class ConvertResult:
    """What a conversion wrote: the CLI prints it."""

    output: Path
    rows: int
    list_total: Decimal
    billed_total: Decimal
    unmapped: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # bad lines left out (skip_bad)
    skipped_count: int = 0  # every bad line left out; ``skipped`` shows the first ones
    lines: int = 0  # data lines read
    charged: int = 0  # jobs or usage lines with a charge in the period


@dataclass
class Report:
    """Bad lines found while reading, and counts of what was read."""

    problems: list[Problem] = field(default_factory=list)
    bad: int = 0
    lines: int = 0
    charged: int = 0

    def add(self, where: str, message: str) -> None:
        self.bad += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, message))

    def shown_problems(self, shown: str) -> list[Problem]:
        more = self.bad - len(self.problems)
        if more <= 0:
            return list(self.problems)
        return [*self.problems, Problem(shown, f"{more} more bad lines not shown")]


def base_row(
    config: Config, source: str, provider: str | None, start: datetime, end: datetime
) -> dict[str, str]:
    issuer = provider or config.organization.get("name") or source
    return {
        "BillingAccountId": source,
        "BillingAccountName": config.source(source).name,
        "BillingCurrency": config.currency.code,
        "BillingPeriodStart": iso(start),
        "BillingPeriodEnd": iso(end),
        "ChargePeriodStart": iso(start),
        "ChargePeriodEnd": iso(end),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeFrequency": "Usage-Based",
        "InvoiceIssuerName": issuer,
        "ProviderName": issuer,
        "PublisherName": issuer,
        "PricingCategory": "Standard",
    }


def priced_row(
    base: dict[str, str],
    amount: int,
    per_unit: int,
    price: Decimal,
    subsidy_percent: Decimal,
    free_quantity: Decimal = Decimal(0),
) -> dict[str, str]:
    """Costs of ``amount / per_unit`` units (core-seconds / 3600, bytes / bytes per TB) at
    ``price``: list is unsubsidized, billed is after the subsidy (and after a free allowance
    of ``free_quantity`` units), each rounded once from exact values."""
    with localcontext() as ctx:
        ctx.prec = 60
        quantity = Decimal(amount) / per_unit
        list_cost = quantity * price
        billed = (quantity - free_quantity) * price * (100 - subsidy_percent) / 100
        list_text = _money(list_cost)
        billed_text = _money(billed)
        qty = number(quantity.quantize(QUANTITY, ROUND_HALF_UP))
    row = dict(base)
    row.update(
        PricingQuantity=qty,
        ConsumedQuantity=qty,
        ListUnitPrice=number(price),
        ContractedUnitPrice=number(price),
        ListCost=list_text,
        ContractedCost=list_text,
        BilledCost=billed_text,
        EffectiveCost=billed_text,
        x_SubsidyPercent=number(subsidy_percent),
    )
    return row


def _money(value: Decimal) -> str:
    return number(value.quantize(MONEY, ROUND_HALF_UP))


def number(value: Decimal) -> str:
    """A plain decimal without exponent or trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(out: Path, columns: Sequence[str], rows: list[dict[str, str]], shown: str) -> None:
    """Write the rows to ``out``; nothing when an amount is outside the money range (the
    problems name the input, ``shown``, and each row)."""
    problems = [
        Problem(shown, f"{row['ChargeDescription']}: {name} {row[name]} {why}; check the "
                "usage and the rates")
        for row in rows
        for name in AMOUNTS
        if (why := amount_problem(row[name]))
    ]
    for name in AMOUNTS[2:]:  # as the FOCUS reader checks a file's total
        total = sum((abs(Decimal(row[name])) for row in rows), Decimal(0))
        if total >= MAX_AMOUNT:
            problems.append(Problem(shown, f"{name} would add up to {total:,} (signs aside); a "
                                    "file's amounts add up to less than 10^15"))
    if problems:
        raise DataError(screenful(problems, shown))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    files.atomic_write(out, text.getvalue().encode("utf-8"))


def result(
    out: Path,
    rows: list[dict[str, str]],
    unmapped: set[str],
    report: Report,
    skip_bad: bool,
    shown: str,
) -> ConvertResult:
    return ConvertResult(
        output=out,
        rows=len(rows),
        list_total=sum((Decimal(r["ListCost"]) for r in rows), Decimal(0)),
        billed_total=sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0)),
        unmapped=sorted(unmapped),
        skipped=report.shown_problems(shown) if skip_bad else [],
        skipped_count=report.bad if skip_bad else 0,
        lines=report.lines,
        charged=report.charged,
    )


class BadLine(Exception):
    """An input line that cannot be charged: the message says what is wrong and what to do."""


def open_input(file: Path, shown: str, encoding: str, newline: str | None) -> TextIO:
    """``file`` open for reading text, or a problem naming it (as ``shown``)."""
    try:
        return file.open(encoding=encoding, newline=newline)
    except OSError as exc:
        raise DataError([Problem(shown, f"cannot be read ({exc.strerror})")]) from exc


def not_utf8(where: str, exc: UnicodeDecodeError) -> DataError:
    return DataError([Problem(where, f"not UTF-8 text ({exc.reason}); export it as UTF-8")])
