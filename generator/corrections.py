"""Corrections: a change to a closed or finalized period, billed in a later open period.

A finalized period never changes. A charge found wrong after the fact is corrected by a
FOCUS row in a later open period: ``openchargeback correct CHARGE_ID --amount X --reason
TEXT`` appends it to ``periods/<later>/corrections/<source>.csv``, where ``<source>`` is the
corrected charge's own source. So the correction is read like any FOCUS file of that source
(the file stem is the source), the journal credits the same source fund/org as the original,
and re-ingesting the provider's export (``periods/<later>/<source>.csv``) leaves it alone.

The row copies the original's service, resource and effective attribution (after any
reassign) into ``Tags``, bills the signed amount (``BilledCost`` = ``ListCost`` =
``ContractedCost`` = ``EffectiveCost``: a negative amount is a credit), and says what it
corrects: ``ChargeClass=Correction``, ``x_CorrectsChargeId``, ``x_CorrectsPeriod``,
``x_CorrectionReason``, ``x_CorrectedBy``. ``check`` refuses a corrections row that does not
name an earlier charge of its source, and ``x_CorrectsChargeId`` outside corrections/.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from . import periods as lifecycle
from . import sql
from .config import Config
from .errors import DataError, Problem, UsageError, at
from .files import atomic_write
from .focus import FocusFile, line_numbers
from .reviews import CHARGE_ID

COPIED = (
    "ChargeCategory",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "BillingAccountId",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "RegionId",
    "RegionName",
    "ServiceCategory",
    "ServiceName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "SkuId",
)
COLUMNS = (
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeClass",
    "ChargeDescription",
    "BilledCost",
    "ListCost",
    "ContractedCost",
    "EffectiveCost",
    "BillingCurrency",
    *COPIED,
    "Tags",
    "x_CorrectsChargeId",
    "x_CorrectsPeriod",
    "x_CorrectionReason",
    "x_CorrectedBy",
)
ATTRIBUTION = ("pi_email", "project_id", "fund_org")
MESSAGES = {
    "outside": "x_CorrectsChargeId is only for correction rows in periods/YYYY-MM/corrections/; "
    "write corrections with `openchargeback correct`",
    "class": "a corrections row needs ChargeClass Correction",
    "id": "x_CorrectsChargeId {corrects_charge_id!r} is not a charge ID (16 hex characters)",
    "period": "x_CorrectsPeriod {corrects_period!r} is not a period (YYYY-MM)",
    "later": "corrects period {corrects_period}, which is not earlier than {period}; change a "
    "period's own charges in its own files",
    "reason": "x_CorrectionReason is empty; say why, for the audit trail",
    "unknown": "corrects charge {corrects_charge_id}, which is not in period {corrects_period}",
    "source": "corrects a charge of source {corrected_source}; "
    "put it in corrections/{corrected_source}.csv",
}


@dataclass
class Correction:
    path: Path
    period: str
    corrects: str
    corrects_period: str
    source: str
    amount: Decimal
    charge_id: str
    status: str
    flags: list[str]


def problems(
    con: duckdb.DuckDBPyConnection, files: list[FocusFile], periods: list[str]
) -> list[Problem]:
    """Correction rows that do not name the earlier charge they correct (see the SQL)."""
    rows = sql.query(
        con,
        "correction_problems",
        {"correction_files": [f.shown for f in files if f.correction], "periods": periods},
    )
    by_shown = {f.shown: f for f in files}
    lines = {  # one pass over each file for all its rows
        shown: line_numbers(by_shown[shown], [r["row_number"] for r in rows if r["file"] == shown])
        for shown in {r["file"] for r in rows}
    }
    return [
        Problem(at(r["file"], lines[r["file"]].get(r["row_number"])),
                MESSAGES[r["problem"]].format(**r))
        for r in rows
    ]


def correct(
    cfg: Config,
    charge_id: str,
    amount: str,
    reason: str,
    by: str,
    period: str | None = None,
) -> Correction:
    """Append a correction of ``charge_id`` to a later open period and return it, checked."""
    from . import loader

    value = parse_amount(amount)
    reason = reason.strip()
    if not reason:
        raise UsageError("--reason is required; say why, for the audit trail")
    charge_id = charge_id.strip().lower()
    if not CHARGE_ID.fullmatch(charge_id):
        raise UsageError(f"{charge_id!r} is not a charge ID (16 hex characters)")
    wh = loader.load(cfg)
    if wh.problems:
        raise DataError(wh.problems)
    found = wh.query("correction_original", charge_id=charge_id)
    if not found:
        raise DataError(
            [Problem(charge_id, "no such charge; see `openchargeback review list --status all`")]
        )
    original = found[0]
    target = period or default_target(cfg, wh.periods, original["period"])
    if not loader.PERIOD.fullmatch(target):
        raise UsageError(f"period {target!r}: write it as YYYY-MM")
    if target <= original["period"]:
        raise UsageError(
            f"charge {charge_id} is in {original['period']}; a correction goes into a later "
            f"period, not {target}"
        )
    lifecycle.require_open(cfg, target, "take a correction")

    path = cfg.periods_dir / target / loader.CORRECTIONS / f"{original['source']}.csv"
    before = path.read_bytes() if path.exists() else None
    header, rows = _read(path)
    rows.append(correction_row(cfg, original, target, value, reason, by))
    for name in COLUMNS:
        if name not in header:
            header.append(name)
    atomic_write(path, _csv(header, rows))

    shown = f"periods/{target}/{loader.CORRECTIONS}/{path.name}"
    after = loader.load(cfg)
    own = [p for p in after.problems if p.where.split(":")[0] == shown]
    if own:
        if before is None:
            path.unlink()
        else:
            atomic_write(path, before)
        raise DataError(own)
    (written,) = after.con.execute(
        "SELECT charge_id, status, flags FROM charges WHERE file = ? AND row_number = ?",
        [shown, len(rows)],
    ).fetchall()
    return Correction(
        path=path,
        period=target,
        corrects=charge_id,
        corrects_period=original["period"],
        source=original["source"],
        amount=value,
        charge_id=written[0],
        status=written[1],
        flags=list(written[2]),
    )


def parse_amount(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise UsageError(f"--amount {text!r} is not a number; write e.g. -12.50") from None
    if not value.is_finite() or value == 0:
        raise UsageError(f"--amount {text!r}: give a non-zero amount (negative is a credit)")
    if value.as_tuple().exponent < -18:  # type: ignore[operator]
        raise UsageError(f"--amount {text!r}: at most 18 decimal places")
    return value


def default_target(cfg: Config, known: list[str], charge_period: str) -> str:
    """The earliest open period after the charge's, else the month after the latest one."""
    later = [p for p in known if p > charge_period]
    for p in later:
        if lifecycle.status(cfg, p) == "open":
            return p
    return next_month(max([charge_period, *later]))


def next_month(period: str) -> str:
    year, month = map(int, period.split("-"))
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def correction_row(
    cfg: Config, original: dict[str, Any], target: str, amount: Decimal, reason: str, by: str
) -> dict[str, str]:
    """The FOCUS row that bills ``amount`` against ``original`` in ``target``."""
    start = original["ChargePeriodStart"] or original["BillingPeriodStart"]
    end = original["ChargePeriodEnd"] or original["BillingPeriodEnd"]
    row = {
        "BillingPeriodStart": f"{target}-01",
        "BillingPeriodEnd": f"{next_month(target)}-01",
        "ChargePeriodStart": _timestamp(start),
        "ChargePeriodEnd": _timestamp(end),
        "ChargeClass": "Correction",
        "ChargeDescription": (
            f"Correction of charge {original['charge_id']} of {original['period']}"
        ),
        "BilledCost": str(amount),
        "ListCost": str(amount),
        "ContractedCost": str(amount),
        "EffectiveCost": str(amount),
        "BillingCurrency": cfg.currency.code,
        **{name: original[name] or "" for name in COPIED},
        "Tags": json.dumps(attribution_tags(cfg, original), ensure_ascii=False, sort_keys=True),
        "x_CorrectsChargeId": original["charge_id"],
        "x_CorrectsPeriod": original["period"],
        "x_CorrectionReason": reason,
        "x_CorrectedBy": by,
    }
    return row


def attribution_tags(cfg: Config, original: dict[str, Any]) -> dict[str, str]:
    """The original's tags with its effective PI, project and fund/org under the first keys."""
    try:
        tags = json.loads(original["Tags"] or "{}")
    except json.JSONDecodeError:
        tags = {}
    if not isinstance(tags, dict):
        tags = {}
    for name in ATTRIBUTION:
        for key in cfg.tags[name]:
            tags.pop(key, None)
        if original[name]:
            tags[cfg.tags[name][0]] = original[name]
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in tags.items()}


def _timestamp(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.time() == datetime.min.time():
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
