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

from decimal import Decimal
from typing import Any

import duckdb

from generator.common.errors import Problem, at
from generator.common.money import exact
from generator.common.sql import Scripts
from generator.read.focus import FocusFile, line_numbers

SQL = Scripts.beside(__file__)
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
    "attribution": "corrects charge {corrects_charge_id}, billed to {pi_email} / {project_id} / "
    "{fund_org}, but is tagged to {original_pi_email} / {original_project_id} / "
    "{original_fund_org}; a correction is billed where the charge was: copy its PI, project "
    "and fund/org (as `openchargeback correct` does), or reassign the correction in reviews/",
    "over": "credits {cost} against charge {corrects_charge_id}, which had {before} left after "
    "earlier corrections: more than remains of it; correct by at most what remains, or say "
    "why more is right in x_AllowOver (`openchargeback correct --allow-over REASON`)",
}



def originals(con: duckdb.DuckDBPyConnection, frozen_charges: list[str]) -> None:
    """What corrections need of the finalized months' frozen charges (``frozen_charges``:
    their files): the charges they name, and earlier corrections of those."""
    SQL.run(con, "correction_originals", {"files": frozen_charges})


def problems(
    con: duckdb.DuckDBPyConnection, files: list[FocusFile], periods: list[str]
) -> list[Problem]:
    """Correction rows that do not name the earlier charge they correct (see the SQL)."""
    rows = SQL.query(
        con,
        "correction_problems",
        correction_files=[f.shown for f in files if f.correction],
        periods=periods,
    )
    return _located(rows, files)


def checks(con: duckdb.DuckDBPyConnection, files: list[FocusFile]) -> list[Problem]:
    """Correction rows billed where the corrected charge is not, or crediting more than is
    left of it (after decisions: see correction_checks.sql)."""
    return _located(SQL.query(con, "correction_checks"), files)


def _located(rows: list[dict[str, Any]], files: list[FocusFile]) -> list[Problem]:
    """Each row's problem at its file and line."""
    by_shown = {f.shown: f for f in files}
    lines = {  # one pass over each file for all its rows
        shown: line_numbers(by_shown[shown], [r["row_number"] for r in rows if r["file"] == shown])
        for shown in {r["file"] for r in rows}
    }
    return [
        Problem(at(r["file"], lines[r["file"]].get(r["row_number"])),
                MESSAGES[r["problem"]].format(**{
                    k: exact(v) if isinstance(v, Decimal) else v for k, v in r.items()}))
        for r in rows
    ]
