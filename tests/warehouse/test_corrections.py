"""Corrections: a finalized period's charge corrected by a row in a later open period."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import HEADER, commit_all, row, tags
from typer.testing import CliRunner

from generator.cli import app
from generator.commands import periods
from generator.commands.correct import correct
from generator.common.errors import DataError, UsageError
from generator.read.config import load_config
from generator.render.journal import make_journal
from generator.warehouse import load as loader

SEPTEMBER = "\n".join([
    HEADER,
    row("2026-09", cost="10.00", resource="i-1"),
    row("2026-09", cost="5.50", resource="i-2", tag=tags(pi="bob@test.edu", project="p2")),
]) + "\n"
OCTOBER = "\n".join([HEADER, row("2026-10", cost="20.00", resource="i-1")]) + "\n"


@pytest.fixture
def repo(make_repo) -> Path:
    """September finalized, October open, committed to git."""
    root = make_repo({"periods/2026-09/aws.csv": SEPTEMBER, "periods/2026-10/aws.csv": OCTOBER})
    cfg = load_config(root)
    periods.close(cfg, "2026-09", "Jane")
    periods.finalize(cfg, "2026-09", "Jane")
    commit_all(root, "September finalized")
    return root


def charge(root: Path, period: str, resource: str) -> str:
    wh = loader.load(load_config(root))
    (found,) = wh.con.execute(
        "SELECT charge_id FROM every_charge WHERE period = ? AND resource_id = ?",
        [period, resource],
    ).fetchall()
    return str(found[0])


def test_a_correction_moves_money_into_the_later_period_and_both_reconcile(repo: Path) -> None:
    cfg = load_config(repo)
    wrong = charge(repo, "2026-09", "i-1")
    c = correct(cfg, wrong, "-3.00", "Instance billed at the on-demand rate", "Jane")
    assert c.period == "2026-10"
    assert c.path == repo / "periods/2026-10/corrections/aws.csv"
    assert (c.status, c.flags, c.amount) == ("billed", [], Decimal("-3.00"))

    with c.path.open(newline="") as fh:
        (written,) = list(csv.DictReader(fh))
    assert written["ChargeClass"] == "Correction"
    assert written["x_CorrectsChargeId"] == wrong
    assert written["x_CorrectsPeriod"] == "2026-09"
    assert written["x_CorrectionReason"] == "Instance billed at the on-demand rate"
    assert written["BillingPeriodStart"] == "2026-10-01"
    assert written["BilledCost"] == written["ListCost"] == written["ContractedCost"] == "-3.00"
    assert (written["ServiceName"], written["ResourceId"]) == ("EC2", "i-1")

    wh = loader.load(load_config(repo))
    assert wh.problems == []
    recon = {r["period"]: r for r in wh.reconciliation()}
    assert recon["2026-09"]["billed"] == Decimal("15.50")  # the finalized month is untouched
    assert recon["2026-10"]["billed"] == Decimal("17.00")  # 20.00 - 3.00
    for r in recon.values():
        assert r["input_total"] == r["billed"] + r["pending"] + r["rejected"]
        assert r["billed_rounded"] == r["billed"]
    lines = wh.con.execute(
        "SELECT pi_email, project_id, source, service, correction, charged FROM statement_lines "
        "WHERE period = '2026-10' ORDER BY correction"
    ).fetchall()
    assert lines == [
        ("ada@test.edu", "p1", "aws", "EC2", False, Decimal("20.00")),
        ("ada@test.edu", "p1", "aws", "EC2", True, Decimal("-3.00")),
    ]
    code = CliRunner().invoke(app, ["check", "--repo", str(repo)])
    assert code.exit_code == 0, code.output  # September's hashes still match

    # The journal carries it like any charge: Ada's fund is debited 17.00 in October.
    j = make_journal(wh, "2026-10")
    assert j.debits == j.credits == Decimal("17.00")
    debits = [e.signed_amount for e in j.entries if e.kind == "charge"]
    assert debits == [Decimal("17.00")]


def test_the_cli_takes_a_negative_amount_and_a_second_correction_appends(repo: Path) -> None:
    wrong = charge(repo, "2026-09", "i-2")
    runner = CliRunner()
    result = runner.invoke(app, ["correct", wrong, "--amount", "-1.25", "--reason", "refund",
                                 "--by", "Jane", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert f"correction of {wrong} (2026-09, aws): -1.25" in result.output
    result = runner.invoke(app, ["correct", wrong, "--amount", "0.25", "--reason", "rounding",
                                 "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    wh = loader.load(load_config(repo))
    rows = wh.con.execute(
        "SELECT pi_email, project_id, cost FROM every_charge WHERE corrects_charge_id = ? "
        "ORDER BY row_number", [wrong]
    ).fetchall()
    assert rows == [("bob@test.edu", "p2", Decimal("-1.25")), ("bob@test.edu", "p2",
                                                                 Decimal("0.25"))]


def test_a_correction_bills_whoever_the_charge_was_reassigned_to(make_repo) -> None:
    root = make_repo({"periods/2026-09/aws.csv": SEPTEMBER, "periods/2026-10/aws.csv": OCTOBER})
    wrong = charge(root, "2026-09", "i-1")
    (root / "reviews/2026-09.yaml").write_text(
        f"- ids: [{wrong}]\n  action: reassign\n"
        "  set: {pi_email: kim@test.edu, project_id: p9, fund_org: 654321-4321}\n"
        "  reason: wrong project tag\n  by: Jane\n"
    )
    periods.close(load_config(root), "2026-09", "Jane")  # a correction is for a closed month
    c = correct(load_config(root), wrong, "2.00", "under-billed", "Jane")
    wh = loader.load(load_config(root))
    assert wh.con.execute(
        "SELECT pi_email, project_id, fund_org FROM every_charge WHERE charge_id = ?", [c.charge_id]
    ).fetchall() == [("kim@test.edu", "p9", "654321-4321")]


def test_a_correction_skips_usage_flags_but_not_attribution_flags(make_repo) -> None:
    gpu = HEADER + ",SkuId\n" + row("2026-09", cost="300.00", resource="g-1") + ",p4d.24xlarge\n"
    nopi = HEADER + "\n" + row("2026-09", cost="4.00", resource="n-1", tag=tags(pi=None)) + "\n"
    root = make_repo({"periods/2026-09/aws.csv": gpu, "periods/2026-09/hpc.csv": nopi,
                      "periods/2026-10/aws.csv": OCTOBER})
    cfg = load_config(root)
    periods.close(cfg, "2026-09", "Jane")  # a correction is for a closed month
    gpu_charge = charge(root, "2026-09", "g-1")
    nopi_charge = charge(root, "2026-09", "n-1")
    c = correct(cfg, gpu_charge, "-100.00", "GPU credit from the provider", "Jane")
    assert (c.status, c.flags) == ("billed", [])  # pattern:gpu was reviewed in September
    c = correct(cfg, nopi_charge, "1.00", "late fee", "Jane")
    assert c.path == root / "periods/2026-10/corrections/hpc.csv"
    assert (c.status, c.flags) == ("pending", ["missing_pi_email"])


def test_targets_must_be_later_and_open(repo: Path) -> None:
    cfg = load_config(repo)
    september = charge(repo, "2026-09", "i-1")
    october = charge(repo, "2026-10", "i-1")
    with pytest.raises(UsageError, match="goes into a later period, not 2026-09"):
        correct(cfg, september, "1", "x", "Jane", period="2026-09")
    with pytest.raises(UsageError, match="--reason is required"):
        correct(cfg, september, "1", " ", "Jane")
    with pytest.raises(UsageError, match="non-zero"):
        correct(cfg, september, "0.00", "x", "Jane")
    with pytest.raises(UsageError, match="not a number"):
        correct(cfg, september, "$5", "x", "Jane")
    with pytest.raises(DataError, match="no such charge"):
        correct(cfg, "0123456789abcdef", "1", "x", "Jane")
    periods.close(cfg, "2026-10", "Jane")
    with pytest.raises(DataError, match="2026-10: is closed; cannot take a correction"):
        correct(cfg, september, "1", "x", "Jane", period="2026-10")
    # With October closed there is no open period after either charge: a new month is
    # started only when asked, and nothing is written otherwise.
    with pytest.raises(UsageError, match="start 2026-11 for this correction with "
                                         "`-p 2026-11 --new-period`"):
        correct(cfg, october, "1.50", "missed usage", "Jane")
    with pytest.raises(UsageError, match="periods/2026-11 does not exist"):
        correct(cfg, october, "1.50", "missed usage", "Jane", period="2026-11")
    assert not (repo / "periods/2026-11").exists()
    c = correct(cfg, october, "1.50", "missed usage", "Jane", period="2026-11", new_period=True)
    assert c.period == "2026-11"
    c = correct(cfg, september, "-1", "credit", "Jane")
    assert c.period == "2026-11"


def test_check_refuses_corrections_that_do_not_say_what_they_correct(repo: Path) -> None:
    known = charge(repo, "2026-09", "i-1")
    header = HEADER + ",ChargeClass,x_CorrectsChargeId,x_CorrectsPeriod,x_CorrectionReason\n"
    (repo / "periods/2026-10/corrections").mkdir()
    (repo / "periods/2026-10/corrections/aws.csv").write_text(
        header
        + row("2026-10", cost="-1") + f",Correction,{known},2026-09,\n"
        + row("2026-10", cost="-2") + ",Correction,0123456789abcdef,2026-09,oops\n"
        + row("2026-10", cost="-3") + f",Usage,{known},2026-09,why\n"
        + row("2026-10", cost="-4") + f",Correction,{known},2026-10,why\n"
        + row("2026-10", cost="-0.50") + f",Correction,{known},2026-09,fine\n"
    )
    (repo / "periods/2026-10/corrections/hpc.csv").write_text(
        header + row("2026-10", cost="-6") + f",Correction,{known},2026-09,fine\n"
    )
    (repo / "periods/2026-10/gcp.csv").write_text(
        header + row("2026-10", cost="-7") + f",Correction,{known},2026-09,sneaky\n"
    )
    wh = loader.load(load_config(repo))
    assert [str(p) for p in wh.problems] == [
        "periods/2026-10/corrections/aws.csv:2: x_CorrectionReason is empty; say why, for the "
        "audit trail",
        "periods/2026-10/corrections/aws.csv:3: corrects charge 0123456789abcdef, which is not "
        "in period 2026-09",
        "periods/2026-10/corrections/aws.csv:4: a corrections row needs ChargeClass Correction",
        "periods/2026-10/corrections/aws.csv:5: corrects period 2026-10, which is not earlier "
        "than 2026-10; change a period's own charges in its own files",
        "periods/2026-10/corrections/hpc.csv:2: corrects a charge of source aws; put it in "
        "corrections/aws.csv",
        "periods/2026-10/gcp.csv:2: x_CorrectsChargeId is only for correction rows in "
        "periods/YYYY-MM/corrections/; write corrections with `openchargeback correct`",
    ]
