"""Period lifecycle on real git repositories: close, reopen, finalize, and hash checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import HEADER, commit_all, git, row, run, tags

from generator.commands import build, periods
from generator.commands.ingest import ingest
from generator.common.errors import DataError, UsageError
from generator.common.files import sha256
from generator.read.config import load_config
from generator.warehouse import periods as state

AWS = "\n".join([HEADER, row(cost="10.00"), row(cost="5.50", resource="i-2")]) + "\n"
FLAGGED = row(cost="7.00", resource="i-3", tag=tags(pi=None))


@pytest.fixture
def repo(make_repo) -> Path:
    root = make_repo({"periods/2026-10/aws.csv": AWS})
    commit_all(root, "October data")
    return root


def test_close_refuses_new_data_and_reopen_records_why(repo: Path, tmp_path: Path) -> None:
    cfg = load_config(repo)
    periods.close(cfg, "2026-10", "Jane")
    assert state.status(cfg, "2026-10") == "closed"
    extra = tmp_path / "hpc.csv"
    extra.write_text(AWS)
    with pytest.raises(DataError, match="periods/2026-10: is closed; cannot ingest"):
        ingest(cfg, extra, "hpc", "2026-10")

    periods.reopen(cfg, "2026-10", "late HPC export from the scheduler", "Jane")
    record = state.read_period(cfg, "2026-10")
    assert record["status"] == "open"
    assert [(h["action"], h["by"], h.get("reason")) for h in record["history"]] == [
        ("close", "Jane", None),
        ("reopen", "Jane", "late HPC export from the scheduler"),
    ]
    assert ingest(cfg, extra, "hpc", "2026-10").rows == 2


def test_reopen_without_a_reason_fails(repo: Path) -> None:
    code, _ = run(repo, "periods", "close", "2026-10", "--by", "Jane")
    assert code == 0
    code, output = run(repo, "periods", "reopen", "2026-10")
    assert code == 2
    assert "--reason" in output
    code, output = run(repo, "periods", "reopen", "2026-10", "--reason", "  ")
    assert code == 2
    assert "--reason is required" in output
    assert state.status(load_config(repo), "2026-10") == "closed"


def test_finalize_needs_a_closed_period_with_nothing_pending(make_repo) -> None:
    root = make_repo({"periods/2026-10/aws.csv": AWS + FLAGGED + "\n"})
    cfg = load_config(root)
    with pytest.raises(UsageError, match="close it first"):
        periods.finalize(cfg, "2026-10", "Jane")
    periods.close(cfg, "2026-10", "Jane")
    with pytest.raises(DataError, match="1 charge is pending review"):
        periods.finalize(cfg, "2026-10", "Jane")
    with pytest.raises(UsageError, match="does not exist"):
        periods.close(cfg, "2026-11", "Jane")


def test_finalize_records_hashes_and_check_names_the_changed_file(repo: Path) -> None:
    (repo / "reviews" / "2026-10.yaml").write_text("[]\n")
    assert run(repo, "periods", "close", "2026-10", "--by", "Jane")[0] == 0
    commit_all(repo, "Close October")  # a period's files are committed before it finalizes
    code, output = run(repo, "periods", "finalize", "2026-10", "--by", "Jane")
    assert code == 0, output
    record = yaml.safe_load((repo / "periods/2026-10/period.yaml").read_text())
    assert record["status"] == "finalized"
    assert record["finalized_by"] == "Jane"
    assert record["finalized_at"].endswith("+00:00")
    assert record["files"] == {"aws.csv": sha256(repo / "periods/2026-10/aws.csv")}
    assert list(record["reviews"]) == ["reviews/2026-10.yaml"]
    commit_all(repo, "Finalize October")
    assert run(repo, "check")[0] == 0

    aws = repo / "periods/2026-10/aws.csv"
    aws.write_text(aws.read_text().replace("5.50", "5.05"))
    code, output = run(repo, "check")
    assert code == 1
    assert "periods/2026-10/aws.csv: changed after period 2026-10 was finalized" in output
    with pytest.raises(DataError, match="periods/2026-10/aws.csv: changed"):
        build.build(load_config(repo))

    git(repo, "checkout", "--", "periods/2026-10/aws.csv")
    (repo / "reviews/2026-10.yaml").write_text("# nothing to decide\n[]\n")
    (repo / "periods/2026-10/gcp.csv").write_text(AWS)
    code, output = run(repo, "check")
    assert code == 1
    assert "reviews/2026-10.yaml: changed after period 2026-10 was finalized" in output
    assert "periods/2026-10/gcp.csv: was added after period 2026-10 was finalized" in output

    git(repo, "checkout", "--", ".")
    git(repo, "clean", "-fdq")
    (repo / "reviews/2026-10.yaml").unlink()
    code, output = run(repo, "check")
    assert "reviews/2026-10.yaml: was removed after period 2026-10 was finalized" in output


def test_a_finalized_period_is_never_reopened(repo: Path) -> None:
    cfg = load_config(repo)
    periods.close(cfg, "2026-10", "Jane")
    periods.finalize(cfg, "2026-10", "Jane")
    with pytest.raises(UsageError, match="finalized and cannot be reopened"):
        periods.reopen(cfg, "2026-10", "oops", "Jane")
    with pytest.raises(DataError, match="is finalized; cannot ingest"):
        state.require_open(cfg, "2026-10", "ingest new data")


def test_periods_list_shows_status_and_last_act(repo: Path) -> None:
    run(repo, "periods", "close", "2026-10", "--by", "Jane")
    code, output = run(repo, "periods", "list")
    assert code == 0
    assert "2026-10" in output and "closed" in output and "close Jane" in output


def test_a_bad_period_record_is_reported(repo: Path) -> None:
    (repo / "periods/2026-10/period.yaml").write_text("status: locked\nowner: me\n")
    code, output = run(repo, "check")
    assert code == 1
    assert "periods/2026-10/period.yaml: status 'locked'" in output
    assert "unknown key 'owner'" in output


def test_department_review_files_are_locked_too(repo: Path) -> None:
    (repo / "reviews/2026-10").mkdir()
    (repo / "reviews/2026-10/physics.yaml").write_text("[]\n")
    cfg = load_config(repo)
    periods.close(cfg, "2026-10", "Jane")
    commit_all(repo, "Close October")
    record = yaml.safe_load(periods.finalize(cfg, "2026-10", "Jane").read_text())
    assert list(record["reviews"]) == ["reviews/2026-10/physics.yaml"]
    (repo / "reviews/2026-10/biology.yaml").write_text("[]\n")
    code, output = run(repo, "check")
    assert code == 1
    assert "reviews/2026-10/biology.yaml: was added after period 2026-10 was finalized" in output
