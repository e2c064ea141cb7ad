"""Finalized means final: a finalized month is read from its frozen record, whatever changes
after it (config, registry, rates, code); the record is hash-checked; the lifecycle's edges
refuse what would break that; builds reuse what a frozen month renders."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import CONFIG, HEADER, commit_all, csv_file, row, run, tags
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.commands import build, periods
from generator.commands.correct import correct
from generator.common.errors import DataError, UsageError
from generator.common.files import KnownHashes
from generator.read.config import load_config
from generator.render import statements
from generator.warehouse import load as loader

EFFECTIVE = HEADER + ",EffectiveCost"
PROJECTS = "p1: {name: Analytical engines, end_date: 2027-06-30}\np2: {name: Difference engine}\n"
PEOPLE = "ada@test.edu: {name: Ada Lovelace}\nbob@test.edu: {name: Bob Noyce}\n"


def month(period: str) -> str:
    """A month of charges: two PIs, two projects, EC2 and S3, an EffectiveCost that differs."""
    return "\n".join([
        EFFECTIVE,
        row(period, cost="10.00", list_cost="12.00", contracted="11.00") + ",9.00",
        row(period, cost="5.50", service="S3", resource="b-1") + ",5.50",
        row(period, cost="7.25", resource="i-2",
            tag=tags(pi="bob@test.edu", project="p2", fund="654321-4321")) + ",6.00",
    ]) + "\n"


@pytest.fixture
def repo(make_repo) -> Path:
    """September finalized (with its frozen record) and October open, in git."""
    root = make_repo({"periods/2026-09/aws.csv": month("2026-09"),
                      "periods/2026-10/aws.csv": month("2026-10"),
                      "data/people.yaml": PEOPLE, "data/projects.yaml": PROJECTS,
                      "data/rates/slurm.yaml": "partitions: {}\n"})
    commit_all(root, "September and October")
    cfg = load_config(root)
    periods.close(cfg, "2026-09", "Jane")
    periods.finalize(cfg, "2026-09", "Jane", note="checked against the invoice")
    commit_all(root, "Finalize September")
    return root


def state(root: Path) -> tuple[list[tuple], str, list[tuple]]:
    """September's statement lines and journal as every run sees them; October's lines."""
    wh = loader.load(load_config(root))
    assert not wh.problems, wh.problems
    assert wh.frozen == ["2026-09"]
    lines = wh.con.execute("SELECT * FROM statement_lines ORDER BY ALL").fetchall()
    build.export_journal(load_config(root), "2026-09", "gl", root / "gl.csv")
    journal = (root / "gl.csv").read_text()
    september = [line for line in lines if line[0] == "2026-09"]
    october = [line for line in lines if line[0] == "2026-10"]
    return september, journal, october


def edit_config(root: Path, old: str, new: str) -> None:
    path = root / "data/config.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


# Each an edit an admin might make after September was finalized (none of them a problem).
EDITS = {
    "cost basis": lambda r: (r / "data/config.yaml").write_text(
        (r / "data/config.yaml").read_text() + "cost_basis: EffectiveCost\n"),
    "review pattern": lambda r: edit_config(r, 'pattern: "^p4d"', 'pattern: "^i-"'),
    "pattern column": lambda r: edit_config(r, "columns: [SkuId]", "columns: [ResourceId]"),
    "fund/org patterns": lambda r: edit_config(
        r, "fund_org_patterns: ['^(?P<fund>\\d{6})-(?P<orgn>\\d{4})$']",
        "fund_org_patterns: ['^(?P<fund>1\\d{5})-(?P<orgn>\\d{4})$']"),
    "tag mapping": lambda r: edit_config(r, 'pi_email: [pi_email, "user:pi_email"]',
                                         'pi_email: ["user:pi_email", owner]'),
    "project end": lambda r: (r / "data/projects.yaml").write_text(
        PROJECTS.replace("2027-06-30", "2026-08-31")),
    "project fund": lambda r: (r / "data/projects.yaml").write_text(
        PROJECTS + "p3: {pi_email: ada@test.edu, fund_org: 999999-9999}\n"),
    "people": lambda r: (r / "data/people.yaml").write_text(
        PEOPLE.replace("Ada Lovelace", "Augusta Ada King")),
    "source account": lambda r: edit_config(r, 'account: "7410"', 'account: "7411"'),
    "credit fund/org": lambda r: edit_config(r, "credit_fund_org: 100100-9100",
                                             "credit_fund_org: 100100-9101"),
    "journal description": lambda r: (r / "data/config.yaml").write_text(
        (r / "data/config.yaml").read_text() + "journal: {description: '{{ pi_name }}'}\n"),
    "currency symbol": lambda r: edit_config(r, 'symbol: "$"', 'symbol: "US$"'),
    "rates": lambda r: (r / "data/rates/slurm.yaml").write_text("partitions: {gpu: {}}\n"),
}


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.sets(st.sampled_from(sorted(EDITS)), min_size=1))
def test_edits_after_finalization_leave_the_month_as_it_was(repo: Path, tmp_path: Path,
                                                            edits: set[str]) -> None:
    root = tmp_path / "edited"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(repo, root)
    september, journal, october = state(root)
    for name in sorted(edits):
        EDITS[name](root)
    after_september, after_journal, after_october = state(root)
    assert after_september == september
    assert after_journal == journal  # byte for byte
    # The open month follows the edit: it is what deriving it again today gives.
    again = loader.load(load_config(root), rederive=True)
    derived = again.con.execute(
        "SELECT * FROM statement_lines WHERE period = '2026-10' ORDER BY ALL").fetchall()
    assert after_october == derived
    if "cost basis" in edits:  # October's input is the effective cost now, September's not
        totals = {r["period"]: r["input_total"] for r in again.reconciliation()}
        assert totals["2026-10"] == Decimal("20.50")
        assert totals["2026-09"] == Decimal("20.50")  # derived again, as --rederive does
        kept = {r["period"]: r["input_total"] for r in
                loader.load(load_config(root)).reconciliation()}
        assert kept == {"2026-09": Decimal("22.75"), "2026-10": Decimal("20.50")}


def test_rederive_reports_what_a_change_would_do_and_changes_nothing(repo: Path) -> None:
    EDITS["cost basis"](repo)
    code, output = run(repo, "check", "--rederive")
    assert code == 0, output
    assert "2026-09: billed $22.75 → $20.50 (-$2.25)" in output
    assert "2 statements would differ." in output
    assert run(repo, "check")[1].startswith("2026-09: 3 charges, input $22.75: billed $22.75")


def test_tampering_with_the_record_fails_check_naming_the_file(repo: Path) -> None:
    record = repo / "periods/2026-09/frozen"
    data = bytearray((record / "charges.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (record / "charges.parquet").write_bytes(bytes(data))
    (record / "journal/gl.csv").unlink()
    (record / "notes.parquet").write_bytes(b"PAR1")
    code, output = run(repo, "check")
    assert code == 1
    for line in (
        "periods/2026-09/frozen/charges.parquet: changed after period 2026-09 was finalized",
        "periods/2026-09/frozen/journal/gl.csv: was removed after period 2026-09 was finalized",
        "periods/2026-09/frozen/notes.parquet: was added after period 2026-09 was finalized",
    ):
        assert line in output
    with pytest.raises(DataError, match="frozen/charges.parquet: changed"):
        build.build(load_config(repo))


def test_tampering_is_seen_when_the_hashes_are_remembered(repo: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A check remembers each file's hash by its stat (.cache/hashes.json); a file changed
    afterwards, to the same size and with its old modification time, is still caught."""
    monkeypatch.setattr(KnownHashes, "RACY", 0.0)
    assert run(repo, "check")[0] == 0
    assert (repo / ".cache/hashes.json").exists()
    target = repo / "periods/2026-09/frozen/charges.parquet"
    before = target.stat()
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    code, output = run(repo, "check")
    assert code == 1
    assert "periods/2026-09/frozen/charges.parquet: changed after period 2026-09" in output


def test_finalize_refuses_uncommitted_files_an_open_earlier_month_and_pending(
    repo: Path
) -> None:
    cfg = load_config(repo)
    (repo / "periods/2026-11").mkdir()
    (repo / "periods/2026-11/aws.csv").write_text(month("2026-11"))
    commit_all(repo, "November")
    periods.close(cfg, "2026-11", "Jane")
    with pytest.raises(DataError) as exc:  # October, before it, is still open
        periods.finalize(cfg, "2026-11", "Jane")
    assert [str(p) for p in exc.value.problems] == [
        "periods/2026-10: is still open; close it (`openchargeback periods close 2026-10`) "
        "before finalizing 2026-11"]
    periods.close(cfg, "2026-10", "Jane")
    (repo / "periods/2026-10/gcp.csv").write_text(csv_file(row(cost="1.00")))
    with pytest.raises(DataError) as exc:
        periods.finalize(cfg, "2026-10", "Jane")
    assert [str(p) for p in exc.value.problems] == [
        "periods/2026-10/gcp.csv: is not committed; commit the period's files, then finalize "
        "(the frozen record describes what is in git)"]
    (repo / "periods/2026-10/gcp.csv").write_text(
        csv_file(row(cost="1.00", tag=tags(pi=None))))
    commit_all(repo, "a late GCP charge with no PI")
    with pytest.raises(DataError, match="1 charge is pending review"):
        periods.finalize(cfg, "2026-10", "Jane")
    assert yaml.safe_load((repo / "periods/2026-10/period.yaml").read_text())["status"] \
        == "closed"
    assert not (repo / "periods/2026-10/frozen").exists()
    history = yaml.safe_load((repo / "periods/2026-09/period.yaml").read_text())["history"]
    assert history[-1]["note"] == "checked against the invoice"


def test_correct_refuses_open_months_and_credits_beyond_what_remains(repo: Path) -> None:
    cfg = load_config(repo)
    wh = loader.load(cfg)
    ids = dict(wh.con.execute(
        "SELECT period || ' ' || resource_id, charge_id FROM every_charge").fetchall())
    with pytest.raises(DataError, match="which is open: change it in its own files"):
        correct(cfg, ids["2026-10 i-1"], "-1.00", "x", "Jane")
    c = correct(cfg, ids["2026-09 i-1"], "-6.00", "Reserved-instance rate", "Jane")
    assert c.period == "2026-10"
    written = (repo / "periods/2026-10/corrections/aws.csv").read_bytes()
    with pytest.raises(DataError) as exc:  # 10.00 - 6.00 leaves 4.00
        correct(cfg, ids["2026-09 i-1"], "-4.01", "More credit", "Jane")
    assert "credits 4.01, but only 4.00 remains of the charge (10.00 before earlier " \
        "corrections)" in str(exc.value)
    assert (repo / "periods/2026-10/corrections/aws.csv").read_bytes() == written
    c = correct(cfg, ids["2026-09 i-1"], "-4.01", "More credit", "Jane",
                allow_over="Goodwill credit agreed with the chair")
    assert "Goodwill credit agreed with the chair" in c.path.read_text()
    assert not loader.load(cfg).problems


def test_hand_written_corrections_are_checked_like_correct_writes_them(repo: Path) -> None:
    wh = loader.load(load_config(repo))
    (original,) = wh.con.execute(
        "SELECT charge_id FROM every_charge WHERE period = '2026-09' AND resource_id = 'b-1'"
    ).fetchall()[0]
    header = HEADER + ",ChargeClass,x_CorrectsChargeId,x_CorrectsPeriod,x_CorrectionReason\n"
    (repo / "periods/2026-10/corrections").mkdir()
    (repo / "periods/2026-10/corrections/aws.csv").write_text(
        header
        # A credit of $1,000 to another PI against a $5.50 charge.
        + row("2026-10", cost="-1000", service="S3", resource="b-1",
              tag=tags(pi="bob@test.edu", project="p2", fund="654321-4321"))
        + f",Correction,{original},2026-09,refund\n"
        + row("2026-10", cost="-6.00", service="S3", resource="b-1")
        + f",Correction,{original},2026-09,refund\n"
    )
    problems = [str(p) for p in loader.load(load_config(repo)).problems]
    assert problems[0].startswith(
        f"periods/2026-10/corrections/aws.csv:2: corrects charge {original}, billed to "
        "ada@test.edu / p1 / 123456-1234, but is tagged to bob@test.edu / p2 / 654321-4321")
    assert problems[1].startswith(
        "periods/2026-10/corrections/aws.csv:2: credits -1000.00 against "
        f"charge {original}, which had 5.50 left")
    assert problems[2].startswith(
        "periods/2026-10/corrections/aws.csv:3: credits -6.00 against charge "
        f"{original}, which had -994.50 left")
    assert len(problems) == 3


def test_export_journal_refuses_a_month_with_pending_charges(repo: Path) -> None:
    aws = repo / "periods/2026-10/aws.csv"
    aws.write_text(aws.read_text() + row("2026-10", cost="3.00", resource="i-9",
                                         tag=tags(pi=None)) + ",3.00\n")
    code, output = run(repo, "export-journal", "-p", "2026-10")
    assert code == 1
    assert "1 charge ($3.00) pending review would be left out of the journal" in output
    assert not (repo / "build/journals/2026-10/gl.csv").exists()
    code, output = run(repo, "export-journal", "-p", "2026-10", "--allow-pending")
    assert code == 0, output
    code, output = run(repo, "export-journal", "-p", "2026-09")
    assert code == 0 and "as exported when 2026-09 was finalized" in output


def test_a_build_reuses_a_finalized_months_statements(repo: Path, monkeypatch) -> None:
    rendered: list[str] = []
    render_all = statements.render_all
    monkeypatch.setattr(statements, "render_all", lambda jobs: (
        rendered.extend(sorted({j.context["period"] for j in jobs})), render_all(jobs))[1])
    build.build(load_config(repo), ["2026-09", "2026-10"])
    assert rendered == ["2026-09", "2026-10"]
    first = {p: p.read_bytes() for p in (repo / "build/statements").rglob("*") if p.is_file()}
    assert "final: the period was finalized on" in next(
        p for p in first if p.suffix == ".md" and "2026-09" in str(p)).read_text()
    rendered.clear()
    build.build(load_config(repo), ["2026-09", "2026-10"])
    assert rendered == ["2026-10"]  # September from the cache, the same bytes
    assert {p: p.read_bytes() for p in (repo / "build/statements").rglob("*")
            if p.is_file()} == first
    rendered.clear()
    (repo / "site_templates").mkdir()
    shutil.copy(statements.template_dirs(load_config(repo))[1] / "statement.css",
                repo / "site_templates/statement.css")
    with (repo / "site_templates/statement.css").open("a") as css:
        css.write("\nh1 { letter-spacing: 0.01em; }\n")
    build.build(load_config(repo), ["2026-09"])
    assert rendered == ["2026-09"]  # a template changed: rendered again


def test_a_month_finalized_before_records_is_noted_until_recorded(repo: Path) -> None:
    record = repo / "periods/2026-09/period.yaml"
    data = yaml.safe_load(record.read_text())
    del data["frozen"]
    record.write_text(yaml.safe_dump(data))
    shutil.rmtree(repo / "periods/2026-09/frozen")
    code, output = run(repo, "check")
    assert code == 0
    assert "note: periods/2026-09 was finalized before frozen records were kept" in output
    commit_all(repo, "an old repository")
    code, output = run(repo, "periods", "finalize", "2026-09", "--by", "Jane")
    assert code == 0, output
    history = yaml.safe_load(record.read_text())["history"]
    assert history[-1]["action"] == "record"
    assert "note:" not in run(repo, "check")[1]
    with pytest.raises(UsageError, match="already finalized"):
        periods.finalize(load_config(repo), "2026-09", "Jane")


def test_the_config_fixture_is_the_shared_one() -> None:
    assert "pattern: \"^p4d\"" in CONFIG  # EDITS rely on it
