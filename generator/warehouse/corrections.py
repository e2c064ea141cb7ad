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

import duckdb

from generator.common.errors import Problem, at
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
}



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
