"""Storage: a usage report (CSV: share, project, bytes used, tier), priced by
``data/rates/storage.yaml``, to FOCUS rows per project, share and tier."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from operator import itemgetter
from pathlib import Path
from typing import Any

from generator.common import files
from generator.common.errors import DataError, Problem, at
from generator.common.months import bounds
from generator.read.config import Config
from generator.read.convert.rates import Attribution, StorageRates, Tier, load_accounts
from generator.read.convert.shared import (
    FOCUS_COLUMNS,
    QUANTITY,
    BadLine,
    ConvertResult,
    Report,
    base_row,
    not_utf8,
    number,
    open_input,
    priced_row,
    result,
    write_csv,
)

STORAGE_COLUMNS = {
    "share": ("share", "path"),
    "project": ("project", "project_id"),
    "bytes_used": ("bytes_used", "bytes", "used_bytes"),
    "tier": ("tier",),
}
STORAGE_OUTPUT_COLUMNS = (*FOCUS_COLUMNS, "x_FreeAllowanceTB", "x_SubsidyPercent")

_Usage = dict[tuple[str, str, str], int]  # (project, share, tier) → bytes used


def convert_storage(
    config: Config,
    rates: StorageRates,
    file: Path,
    period: str,
    out: Path,
    skip_bad: bool = False,
) -> ConvertResult:
    """Price a storage usage report for ``period`` (``YYYY-MM``) and write it as FOCUS to
    ``out``."""
    start, end = bounds(period)
    accounts = load_accounts(config)
    shown = files.shown(config.root, file)
    usage, report = _read_storage(file, shown, rates)
    if report.problems and not skip_bad:
        raise DataError(report.shown_problems(shown))

    base = base_row(config, rates.source, rates.provider, start, end)
    rows: list[dict[str, str]] = []
    unmapped: set[str] = set()
    free_left: dict[tuple[str, str], Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = 50
        for (project, share, tier_key), used in sorted(usage.items()):
            tier = rates.tiers[tier_key]
            who = accounts.get(project) if project else None
            if who is None:
                unmapped.add(project or "(no project)")
                who = Attribution(project_id=project or None)
            tb = Decimal(used) / rates.bytes_per_tb
            # A project's free allowance in a tier covers its shares there in name order.
            free = Decimal(0)
            if project:
                left = free_left.setdefault((project, tier_key), tier.free_tb)
                free = min(tb, left)
                free_left[(project, tier_key)] = left - free
            rows.append(_row(base, rates, tier, project, share, used, free, who))
    write_csv(out, STORAGE_OUTPUT_COLUMNS, rows, shown)
    return result(out, rows, unmapped, report, skip_bad, shown)


def _row(
    base: dict[str, str],
    rates: StorageRates,
    tier: Tier,
    project: str,
    share: str,
    used: int,
    free: Decimal,
    who: Attribution,
) -> dict[str, str]:
    """The FOCUS row of a share's ``used`` bytes in a tier, ``free`` TB of them free."""
    row = priced_row(base, used, rates.bytes_per_tb, tier.tb_month, tier.subsidy_percent, free)
    shown_free = number(free.quantize(Decimal("0.001"), ROUND_HALF_UP))
    note = f"; {shown_free} TB free allowance applied" if free else ""
    row.update(
        ChargeDescription=f"{tier.name}: {share}{note}",
        ServiceCategory=rates.service_category,
        ServiceSubcategory=rates.service_subcategory,
        ServiceName=tier.name,
        SubAccountId=project,
        SubAccountName=project,
        ResourceId=share,
        ResourceType="Storage share",
        SkuId=f"storage-{tier.key}",
        SkuPriceId=f"storage-{tier.key}",
        PricingUnit="TB-Months",
        ConsumedUnit="TB-Months",
        Tags=who.tags(),
        x_FreeAllowanceTB=number(free.quantize(QUANTITY, ROUND_HALF_UP)),
    )
    return row


# --- reading the report ------------------------------------------------------------------


def _read_storage(file: Path, shown: str, rates: StorageRates) -> tuple[_Usage, Report]:
    """Bytes used per (project, share, tier)."""
    report = Report()
    usage: _Usage = {}
    with open_input(file, shown, "utf-8-sig", "") as fh:
        reader = csv.reader(fh)
        try:
            parse = _line_parser(*_read_header(reader, shown), rates)
            end_of_previous = reader.line_num
            for row in reader:  # a quoted field may span lines: report where a row starts
                lineno, end_of_previous = end_of_previous + 1, reader.line_num
                if not row or not any(cell.strip() for cell in row):
                    continue
                report.lines += 1
                try:
                    project, share, tier, used = parse(row, lineno)
                except BadLine as bad:
                    report.add(at(shown, lineno), str(bad))
                    continue
                usage[(project, share, tier)] = used
                report.charged += 1
        except UnicodeDecodeError as exc:
            raise not_utf8(shown, exc) from exc
        except csv.Error as exc:
            raise DataError(
                [Problem(at(shown, reader.line_num), f"cannot be parsed as CSV ({exc})")]
            ) from exc
    return usage, report


def _read_header(reader: Iterator[list[str]], shown: str) -> tuple[list[str], itemgetter[Any]]:
    """The report's header row, and an item getter for its STORAGE_COLUMNS, in that order."""
    header = next(reader, None)
    if header is None:
        raise DataError([Problem(shown, "the file is empty; export the usage report")])
    names = [h.strip().lower() for h in header]
    index: dict[str, int] = {}
    for column, aliases in STORAGE_COLUMNS.items():
        found = next((names.index(a) for a in aliases if a in names), None)
        if found is not None:
            index[column] = found
    missing = [c for c in STORAGE_COLUMNS if c not in index]
    if missing:
        raise DataError(
            [
                Problem(
                    at(shown, 1),
                    f"the header has no {', '.join(missing)} column; the report "
                    "needs a header row share,project,bytes_used,tier",
                )
            ]
        )
    return header, itemgetter(*(index[c] for c in STORAGE_COLUMNS))


def _line_parser(
    header: list[str], pick: itemgetter[Any], rates: StorageRates
) -> Callable[[list[str], int], tuple[str, str, str, int]]:
    """A function from a report row and its line number to (project, share, tier, bytes
    used); it raises BadLine for a row that cannot be charged, a second row for a share and
    tier among them."""
    width = len(header)
    first_seen: dict[tuple[str, str], int] = {}  # (share, tier) → line

    def usage(row: list[str], lineno: int) -> tuple[str, str, str, int]:
        if len(row) != width:
            raise BadLine(
                f"has {len(row)} fields, expected {width} like the header "
                f"({','.join(header)}); quote values that contain commas"
            )
        share, project, used_text, tier = (v.strip() for v in pick(row))
        if not share:
            raise BadLine('share "" is empty; every line names a share')
        if not (used_text.isascii() and used_text.isdigit()):
            raise BadLine(
                f'bytes_used "{used_text}" is not a whole number of bytes; '
                "export bytes without units or separators"
            )
        if tier not in rates.tiers:
            known = ", ".join(rates.tiers)
            raise BadLine(
                f'tier "{tier}" has no rates; add it to data/rates/storage.yaml (known: {known})'
            )
        seen = first_seen.get((share, tier))
        if seen is not None:
            raise BadLine(
                f'share "{share}" in tier {tier} appears twice (first on line {seen}); '
                "a report has one line per share and tier"
            )
        first_seen[(share, tier)] = lineno
        return project, share, tier, int(used_text)

    return usage
