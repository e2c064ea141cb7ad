"""The command line end to end, on real repos: exit codes, output, files written."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from conftest import HEADER, ROOT, csv_file, row, site_files, tags
from typer.testing import CliRunner

from generator.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def repo(make_repo):
    return make_repo({
        "periods/2026-10/aws.csv": "\n".join([
            HEADER,
            row(resource="ok", cost="10.005"),
            row(resource="ok2", cost="10.005"),
            row(resource="no-pi", cost="-2", tag=tags(pi=None)),
        ]) + "\n",
    })


def test_version():
    from importlib.metadata import version

    result = run("--version")
    assert (result.exit_code, result.output) == (0, f"openchargeback {version('openchargeback')}\n")


def test_every_command_has_help():
    result = run("--help")
    assert result.exit_code == 0
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, f"{name} has no help text"
        sub = getattr(command, "commands", {})
        for sub_name, sub_command in sub.items():
            assert sub_command.help, f"{name} {sub_name} has no help text"


def test_check_reports_reconciliation_and_pending(repo):
    result = run("check", "--repo", repo)
    assert result.exit_code == 0, result.output
    assert ("2026-10: 3 charges, input $18.01: billed $20.01, pending review -$2.00, "
            "rejected $0.00") in result.output
    assert "pending review, missing_pi_email: 1 charge, -$2.00" in result.output


def test_check_fails_with_all_problems(repo):
    (repo / "periods/2026-09").mkdir()
    (repo / "periods/2026-09/aws.csv").write_text(f"{HEADER}\n{row(period='2026-09', cost='x')}\n")
    (repo / "reviews/2026-10.yaml").write_text("- ids: [0123456789abcdef]\n  action: approve\n")
    result = run("check", "--repo", repo)
    assert result.exit_code == 1
    assert 'periods/2026-09/aws.csv:2: BilledCost "x" is not a number' in result.output
    assert "reviews/2026-10.yaml:1: reason is required" in result.output
    assert "3 problems" in result.output


def test_check_sees_every_config_section(repo):
    config = repo / "data" / "config.yaml"
    config.write_text(config.read_text() + "email: {from: not-an-address}\n")
    result = run("check", "--repo", repo)
    assert result.exit_code == 1
    assert "data/config.yaml: email.from: 'not-an-address' is not an email address" \
        in result.output
    config.write_text(config.read_text().replace(
        "email: {from: not-an-address}", "email: {subject: '{{ period | period_nmae }}'}"))
    result = run("check", "--repo", repo)
    assert result.exit_code == 1
    assert "email.subject: not a valid template (No filter named 'period_nmae'.)" \
        in result.output


def test_usage_error_exit_code(repo):
    assert run("review", "list", "--status", "maybe", "--repo", repo).exit_code == 2
    assert run("ingest", repo / "nope.csv", "-s", "aws", "--repo", repo).exit_code == 2
    assert run("ingest", repo / "periods/2026-10/aws.csv", "-s", "A W S", "--repo", repo
               ).exit_code == 2


def test_ingest_splits_by_month_places_files_and_prints_flags(repo, tmp_path):
    """Each row goes to the month of its BillingPeriodStart (the file once went whole to
    the month with most rows, and the other month's row was flagged period_mismatch)."""
    export = tmp_path / "Nov export.csv"
    rows = [row(period="2026-11", resource="a", cost="1.25"),
            row(period="2026-11", resource="b", cost="2", tag=tags(fund="x")),
            row(period="2026-12", resource="c", cost="3")]
    export.write_text("\n".join([HEADER, *rows]) + "\n")
    dry = run("ingest", export, "-s", "gcp", "--dry-run", "--repo", repo)
    assert dry.exit_code == 0, dry.output
    assert "split Nov export.csv by month (3 rows) into 2 files:" in dry.output
    assert "would place periods/2026-11/gcp.csv: 2 rows, total $3.25" in dry.output
    assert "would place periods/2026-12/gcp.csv: 1 row, total $3.00" in dry.output
    assert not (repo / "periods/2026-11").exists()
    result = run("ingest", export, "-s", "gcp", "--repo", repo)
    assert result.exit_code == 0, result.output
    assert "placed periods/2026-11/gcp.csv: 2 rows, total $3.25" in result.output
    assert "billed $1.25, pending review $2.00" in result.output
    assert "flagged invalid_fund_org: 1" in result.output
    assert "period_mismatch" not in result.output
    assert "not in data/config.yaml sources" in result.output
    assert (repo / "periods/2026-11/gcp.csv").read_text() == "\n".join([HEADER, *rows[:2]]) + "\n"
    assert (repo / "periods/2026-12/gcp.csv").read_text() == "\n".join([HEADER, rows[2]]) + "\n"


def test_ingest_bad_file_writes_nothing(repo, tmp_path):
    export = tmp_path / "bad.csv"
    export.write_text(f"{HEADER}\n{row(cost='12,5')}\n")
    result = run("ingest", export, "-s", "aws", "-p", "2026-10", "--repo", repo)
    assert result.exit_code == 1
    assert f"{export}:2:" in result.output
    assert "ok2" in (repo / "periods/2026-10/aws.csv").read_text()


def test_ingest_replaces_other_format_and_refuses_closed_period(repo, tmp_path):
    import gzip

    export = tmp_path / "aws.csv.gz"
    with gzip.open(export, "wt") as fh:
        fh.write(f"{HEADER}\n{row()}\n")
    result = run("ingest", export, "-s", "aws", "--repo", repo)
    assert result.exit_code == 0, result.output
    assert "replaced periods/2026-10/aws.csv.gz" in result.output
    assert not (repo / "periods/2026-10/aws.csv").exists()
    (repo / "periods/2026-10/period.yaml").write_text("status: closed\n")
    result = run("ingest", export, "-s", "aws", "--repo", repo)
    assert result.exit_code == 1
    assert "periods/2026-10: is closed; cannot ingest new data" in result.output


def test_review_list_formats_and_decisions(repo):
    listed = run("review", "list", "--format", "json", "--repo", repo)
    assert listed.exit_code == 0, listed.output
    (pending,) = json.loads(listed.output)
    assert pending["charged"] == "-2.00"
    assert pending["flags"] == "missing_pi_email"
    everything = run("review", "list", "--status", "all", "-f", "csv", "--repo", repo)
    rows = list(csv.DictReader(io.StringIO(everything.output)))
    assert sorted(Decimal(r["charged"]) for r in rows) == [Decimal(-2), Decimal("10.005"),
                                                           Decimal("10.005")]
    result = run("review", "reassign", pending["charge_id"], "--pi", "bob@test.edu",
                 "--reason", "Bob's bucket", "--by", "kim", "--repo", repo)
    assert result.exit_code == 0, result.output
    assert "reassign: 1 charge →" in result.output
    assert run("review", "list", "-f", "json", "--repo", repo).output.strip() == "[]"
    approved = run("review", "list", "--status", "approved", "-f", "json", "--repo", repo)
    assert json.loads(approved.output)[0]["pi_email"] == "bob@test.edu"
    again = run("review", "approve", pending["charge_id"], "--reason", "x", "--repo", repo)
    assert again.exit_code == 1
    assert "already decided (reassign)" in again.output


def test_review_needs_reason(repo):
    result = run("review", "approve", "--all", "-p", "2026-10", "--repo", repo)
    assert result.exit_code == 2


def test_show_and_periods_list_and_build(repo):
    shown = run("show", "ADA@test.edu", "--repo", repo)
    assert shown.exit_code == 0, shown.output
    assert "$20.01" in shown.output  # 10.005 + 10.005 rounded per line, not per charge
    assert "$24.00" in shown.output  # list price
    listed = run("periods", "list", "--repo", repo)
    assert "2026-10" in listed.output and "open" in listed.output
    built = run("build", "--repo", repo)
    assert built.exit_code == 0, built.output
    text = (repo / "build/reconciliation.csv").read_text()
    assert text.splitlines()[1] == "2026-10,3,18.01,20.01,-2.00,0.00,2,1,0,20.01"
    assert run("show", "nobody@test.edu", "--repo", repo).exit_code == 1


def test_show_lists_the_statements_emailed_to_the_pi(repo):
    (repo / "periods/2026-10/deliveries.yaml").write_text(
        "deliveries:\n"
        "- recipient: ada@test.edu\n  status: failed\n  sent_at: '2026-11-02T08:00:00+00:00'\n"
        "  message_id: <2026-10.aaa@test.edu>\n  error: 'RCPT TO ada@test.edu: 452 full'\n"
        "  statements: [{file: build/statements/2026-10/ada@test.edu/p1.pdf, sha256: ab}]\n"
        "- recipient: ada@test.edu\n  status: sent\n  sent_at: '2026-11-03T08:00:00+00:00'\n"
        "  message_id: <2026-10.aaa@test.edu>\n"
        "  statements: [{file: build/statements/2026-10/ada@test.edu/p1.pdf, sha256: ab}]\n"
        "- recipient: bob@test.edu\n  status: sent\n  message_id: <2026-10.bbb@test.edu>\n"
    )
    shown = run("show", "ada@test.edu", "--repo", repo)
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[-2:] == [
        "2026-10: email failed 2026-11-02T08:00:00+00:00 <2026-10.aaa@test.edu> (p1.pdf): "
        "RCPT TO ada@test.edu: 452 full",
        "2026-10: email sent 2026-11-03T08:00:00+00:00 <2026-10.aaa@test.edu> (p1.pdf)",
    ]


def test_send_passes_its_options_and_exits_1_when_some_failed(repo, monkeypatch):
    from generator.commands import send
    from generator.deliver import email as delivery
    from generator.read.deliveries import Delivery

    calls = []

    def fake_run(cfg, period, **options):
        calls.append((period, options))
        failed = Delivery("bob@test.edu", "failed", "<m2>", [], error="550 no user")
        sent = Delivery("ada@test.edu", "sent", "<m1>", [{"file": "a", "sha256": "b"}])
        return delivery.Report(period, "smtp", sent=[sent], failed=[failed])

    monkeypatch.setattr(send, "run", fake_run)
    result = run("send", "-p", "2026-10", "--only", "ada@test.edu", "--only", "bob@test.edu",
                 "--resend", "--allow-pending", "--repo", repo)
    assert calls == [("2026-10", {"dry_run": False, "only": ["ada@test.edu", "bob@test.edu"],
                                  "resend": True, "allow_pending": True})]
    assert result.exit_code == 1
    assert "sent ada@test.edu: 1 statement, <m1>" in result.output
    assert "failed bob@test.edu: 550 no user" in result.output
    assert "2026-10: 1 sent, 1 failed, 0 unconfirmed, 0 changed, 0 already sent" in result.output
    assert run("send", "--repo", repo).exit_code == 2  # -p is required


def test_build_says_when_it_skips_the_site(repo):
    built = run("build", "--repo", repo)
    assert built.exit_code == 0, built.output
    assert "note: site skipped: no mkdocs.yml in the repo" in built.output


def test_serve_builds_then_runs_mkdocs_serve(repo, monkeypatch):
    from generator.render import site

    site_files(repo)
    with (repo / "data" / "config.yaml").open("a") as config:
        config.write("site: {access: open}\n")  # the open site's page names
    calls = []
    monkeypatch.setattr(site, "serve", lambda cfg, addr: calls.append((cfg.root, addr)))
    served = run("serve", "--repo", repo, "-a", "127.0.0.1:8123")
    assert served.exit_code == 0, served.output
    assert calls == [(repo.resolve(), "127.0.0.1:8123")]
    assert (repo / "docs/billing/pis/ada@test.edu.md").is_file()
    assert (repo / "build/site/index.html").is_file()


def test_serve_needs_a_site(repo):
    served = run("serve", "--repo", repo)
    assert served.exit_code == 1
    assert "no MkDocs config" in served.output


def test_serve_refuses_bad_data(repo):
    site_files(repo)
    (repo / "periods/2026-10/aws.csv").write_text(HEADER + "\n2026-10-01,x,oops\n")
    served = run("serve", "--repo", repo)
    assert served.exit_code == 1
    assert "periods/2026-10/aws.csv" in served.output


def test_convert_commands_write_focus_into_the_period(demo_repo):

    samples = ROOT / "sample_data"
    (demo_repo / "periods/2026-10/hpc.csv").unlink()
    result = run("convert", "slurm", samples / "sacct-2026-07-25_2026-11-05.txt", "-p", "2026-10",
                 "--repo", demo_repo)
    assert result.exit_code == 0, result.output
    assert "no mapping in data/accounts.yaml: patel-newlab" in result.output
    committed = samples.parent / "periods/2026-10/hpc.csv"
    assert (demo_repo / "periods/2026-10/hpc.csv").read_text() == committed.read_text()
    bad = demo_repo / "bad.txt"
    bad.write_text("1|u|acct|nopart|cpu=1|60|COMPLETED|2026-10-01T00:00:00|2026-10-01T00:01:00\n")
    result = run("convert", "slurm", bad, "-p", "2026-10", "--repo", demo_repo)
    assert result.exit_code == 1
    assert "bad.txt:1:" in result.output


def test_send_without_an_smtp_host_writes_eml_files(repo):
    result = run("send", "-p", "2026-10", "--allow-pending", "--repo", repo)
    assert result.exit_code == 0, result.output
    assert "would send ada@test.edu (new): 1 statement" in result.output
    assert ("no email.smtp.host in the config: wrote 1 message to build/emails/2026-10/; "
            "nothing was sent or logged") in result.output
    assert (repo / "build/emails/2026-10/ada@test.edu.eml").is_file()
    assert not (repo / "periods/2026-10/deliveries.yaml").exists()


def test_send_refuses_pending_charges_and_generate_refuses_a_dry_run_send(repo):
    refused = run("send", "-p", "2026-10", "--repo", repo)
    assert refused.exit_code == 1
    assert "periods/2026-10: 1 charge (-$2.00) is pending review" in refused.output
    both = run("generate", "-p", "2026-10", "--dry-run", "--send", "--repo", repo)
    assert both.exit_code == 2
    assert "send -p 2026-10 --dry-run" in both.output
    assert run("send", "-p", "2026-13", "--repo", repo).exit_code == 2



def test_build_one_period_uses_the_history_and_writes_only_that_period(make_repo):
    repo = make_repo({
        "periods/2026-09/aws.csv": csv_file(row(period="2026-09", cost="100")),
        # a spike against September
        "periods/2026-10/aws.csv": csv_file(row(period="2026-10", cost="1000")),
    })
    built = run("build", "-p", "2026-10", "--repo", repo)
    assert built.exit_code == 0, built.output
    assert "site skipped" in built.output
    # With September's history the October charge is a cost spike, held for review: no
    # statement for it (a build that loaded October alone would have billed it).
    assert (repo / "build/statements/2026-10").is_dir()
    assert not list((repo / "build/statements/2026-10").rglob("*.pdf"))
    assert not (repo / "build/statements/2026-09").exists()
    assert run("build", "-p", "2027-01", "--repo", repo).exit_code == 2


def test_ingest_dry_run_answers_what_check_will(make_repo, tmp_path):
    repo = make_repo({"periods/2026-09/aws.csv": csv_file(row(period="2026-09", cost="100"))})
    export = tmp_path / "october.csv"
    export.write_text(csv_file(row(period="2026-10", cost="1000")))
    dry = run("ingest", export, "-s", "aws", "--dry-run", "--repo", repo)
    assert dry.exit_code == 0, dry.output
    assert "billed $0.00, pending review $1,000.00" in dry.output
    assert "flagged cost_spike: 1" in dry.output
    assert run("ingest", export, "-s", "aws", "--repo", repo).exit_code == 0
    checked = run("check", "--repo", repo)
    assert ("2026-10: 1 charge, input $1,000.00: billed $0.00, pending review $1,000.00"
            in checked.output)


def test_check_and_reconciliation_say_which_amounts_are_exact_and_which_rounded(make_repo):
    from generator.commands.build import write_reconciliation
    from generator.read.config import load_config
    from generator.warehouse.load import load

    repo = make_repo({"periods/2026-10/aws.csv": csv_file(
        row(resource="a", cost="10.005", service="EC2"),
        row(resource="b", cost="10.005", service="S3"))})
    checked = run("check", "--repo", repo)
    assert checked.output.splitlines()[:2] == [
        "2026-10: 2 charges, input $20.01: billed $20.01, pending review $0.00, rejected $0.00",
        "  statements bill $20.02: each line is rounded to the cent, then added up"]
    path = write_reconciliation(load(load_config(repo)), repo / "reconciliation.csv")
    assert path.read_text().splitlines() == [
        "period,input_rows,input_total_exact,billed_exact,pending_exact,rejected_exact,"
        "billed_rows,pending_rows,rejected_rows,billed_lines_rounded",
        "2026-10,2,20.01,20.01,0.00,0.00,2,0,0,20.02"]
