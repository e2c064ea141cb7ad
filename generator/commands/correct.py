"""``correct CHARGE_ID --amount X --reason TEXT``: a correction row in a later open period.

The row is appended to ``periods/<later>/corrections/<source>.csv`` (``<source>`` is the
corrected charge's own), copies the original's service, resource and effective attribution
(after any reassign) into ``Tags``, bills the signed amount (``BilledCost`` = ``ListCost`` =
``ContractedCost`` = ``EffectiveCost``: a negative amount is a credit), and says what it
corrects: ``ChargeClass=Correction``, ``x_CorrectsChargeId``, ``x_CorrectsPeriod``,
``x_CorrectionReason``, ``x_CorrectedBy``. The repository is loaded again with the row in
place; if the row brings a problem, the file is put back as it was.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator.commands.output import Output
from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_write
from generator.common.git import user_name
from generator.common.money import amount_problem, as_number, exact
from generator.common.months import is_period, next_month
from generator.common.sql import Scripts
from generator.read.config import Config
from generator.read.layout import CORRECTIONS
from generator.warehouse import load as loader
from generator.warehouse import lookup
from generator.warehouse import periods as lifecycle

SQL = Scripts.beside(__file__)
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
    "x_AllowOver",
)
ATTRIBUTION = ("pi_email", "project_id", "fund_org")


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


def correct(
    cfg: Config,
    charge_id: str,
    amount: str,
    reason: str,
    by: str,
    period: str | None = None,
    allow_over: str | None = None,
    new_period: bool = False,
) -> Correction:
    """Append a correction of ``charge_id`` to a later open period and return it, checked.

    Refused, writing nothing: a charge of an open period (change it in its own files or
    review it), a credit larger than what remains of the charge after earlier corrections
    (unless ``allow_over`` says why), a target period that is not later and open, and one
    that does not exist yet unless ``new_period`` asks for it.
    """
    value = parse_amount(amount)
    reason = reason.strip()
    if not reason:
        raise UsageError("--reason is required; say why, for the audit trail")
    if allow_over is not None and not allow_over.strip():
        raise UsageError("--allow-over needs a reason: why more than what remains is right")
    wh = loader.load(cfg)
    if wh.problems:
        raise DataError(wh.problems)
    (charge_id,) = lookup.charge_ids(wh.con, [charge_id])
    (original,) = SQL.query(wh.con, "correction_original", charge_id=charge_id)
    if lifecycle.status(cfg, original["period"]) == "open":
        raise DataError([Problem(charge_id, (
            f"is a charge of {original['period']}, which is open: change it in its own files, "
            "or decide it in review; a correction is for a closed or finalized period"))])
    (room,) = SQL.query(wh.con, "correction_remaining", charge_id=charge_id)
    after = room["remaining"] + value
    over = after < 0 if room["charged"] >= 0 else after > 0
    if over and allow_over is None:
        raise DataError([Problem(charge_id, (
            f"credits {exact(-value)}, but only {exact(room['remaining'])} remains of the "
            f"charge ({exact(room['charged'])} before earlier corrections); credit at most "
            "what remains, or say why more is right with --allow-over REASON"))])
    target = period or default_target(cfg, wh.periods, original["period"])
    if not is_period(target):
        raise UsageError(f"period {target!r}: write it as YYYY-MM")
    if target <= original["period"]:
        raise UsageError(
            f"charge {charge_id} is in {original['period']}; a correction goes into a later "
            f"period, not {target}"
        )
    if not (cfg.periods_dir / target).is_dir() and not new_period:
        raise UsageError(f"periods/{target} does not exist; start it for this correction with "
                         "--new-period, or name an open period with -p YYYY-MM")
    if (cfg.periods_dir / target).is_dir():
        lifecycle.require_open(cfg, target, "take a correction")

    path = cfg.periods_dir / target / CORRECTIONS / f"{original['source']}.csv"
    before = path.read_bytes() if path.exists() else None
    header, rows = _read(path)
    rows.append(correction_row(cfg, original, target, value, reason, by, allow_over))
    for name in COLUMNS:
        if name not in header:
            header.append(name)
    atomic_write(path, _csv(header, rows))

    shown = f"periods/{target}/{CORRECTIONS}/{path.name}"
    after = loader.load(cfg)
    own = [p for p in after.problems if p.where.split(":")[0] == shown]
    if own:
        if before is None:
            path.unlink()
        else:
            atomic_write(path, before)
        raise DataError(own)
    (written,) = SQL.query(after.con, "correction_written", file=shown, row_number=len(rows))
    return Correction(
        path=path,
        period=target,
        corrects=charge_id,
        corrects_period=original["period"],
        source=original["source"],
        amount=value,
        charge_id=written["charge_id"],
        status=written["status"],
        flags=list(written["flags"]),
    )


def parse_amount(text: str) -> Decimal:
    """``--amount`` as a non-zero Decimal within the money range, written plainly."""
    value = as_number(text)
    if value is None:
        raise UsageError(f"--amount {text!r} is not a number; write e.g. -12.50")
    why = amount_problem(text)
    if why:
        raise UsageError(f"--amount {text!r} {why}")
    if value == 0:
        raise UsageError(f"--amount {text!r}: give a non-zero amount (negative is a credit)")
    return Decimal(format(value, "f"))


def default_target(cfg: Config, known: list[str], charge_period: str) -> str:
    """The earliest open period after the charge's (a new month only when asked: -p with
    --new-period)."""
    for p in [p for p in known if p > charge_period]:
        if lifecycle.status(cfg, p) == "open":
            return p
    latest = max([charge_period, *known])
    raise UsageError(f"no open period after {charge_period}; start {next_month(latest)} for "
                     f"this correction with `-p {next_month(latest)} --new-period`")


def correction_row(
    cfg: Config, original: dict[str, Any], target: str, amount: Decimal, reason: str, by: str,
    allow_over: str | None = None,
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
        "x_AllowOver": allow_over.strip() if allow_over else "",
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


def describe(cfg: Config, c: Correction) -> Output:
    output = Output()
    output.say(
        f"correction of {c.corrects} ({c.corrects_period}, {c.source}): {exact(c.amount)}, "
        f"billed in {c.period} → {c.path.relative_to(cfg.root)} as charge {c.charge_id}, "
        f"{c.status}"
    )
    if c.flags:
        output.say(f"  flagged {', '.join(c.flags)}: approve it with "
                   f"`openchargeback review approve {c.charge_id} --reason ...`")
    return output


def main(cfg: Config, charge_id: str, amount: str, reason: str, period: str | None,
         by: str | None, allow_over: str | None = None, new_period: bool = False) -> Output:
    return describe(cfg, correct(cfg, charge_id, amount, reason, by or user_name(cfg.root),
                                 period, allow_over, new_period))
