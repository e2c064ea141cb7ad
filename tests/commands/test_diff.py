"""``check --base``: the billing diff of a pull request, on real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import HEADER, commit_all, git, ids, row, run, tags

from generator.commands import check, periods
from generator.commands.diff import billing_diff
from generator.read.config import load_config

PEOPLE = "ada@test.edu: {name: Ada Lovelace, department: Physics}\n"
SEPTEMBER = (
    HEADER + "\n" + row("2026-09", cost="8.00", resource="i-0", tag=tags(project="p0")) + "\n"
)
OCTOBER = (
    HEADER + ",SkuId\n"
    + row(cost="10.00", resource="i-1") + ",t3.small\n"
    + row(cost="300.00", resource="g-1") + ",p4d.24xlarge\n"
    + row(cost="45.25", resource="i-3", tag=tags(pi=None)) + ",t3.large\n"
    + row(cost="120.10", resource="g-2", tag=tags(pi="bob@test.edu", project="p2"))
    + ",p4d.24xlarge\n"
)


@pytest.fixture
def repo(make_repo) -> Path:
    """main: September finalized; October with three charges flagged for review."""
    root = make_repo({
        "data/people.yaml": PEOPLE,
        "periods/2026-09/aws.csv": SEPTEMBER,
        "periods/2026-10/aws.csv": OCTOBER,
    })
    cfg = load_config(root)
    periods.close(cfg, "2026-09", "Jane")
    periods.finalize(cfg, "2026-09", "Jane")
    commit_all(root, "Billing data")
    git(root, "checkout", "-q", "-b", "review-october")
    return root


def review(root: Path) -> None:
    """The pull request: approve both GPU charges, reject the one with no PI."""
    charge = ids(root)
    (root / "reviews/2026-10.yaml").write_text(
        f"- ids: [{charge['g-1']}, {charge['g-2']}]\n"
        "  action: approve\n  reason: GPU allocation approved by the dean\n  by: Jane\n"
        f"- ids: [{charge['i-3']}]\n"
        "  action: reject\n  reason: untagged test instance, absorbed by RC\n  by: Jane\n"
    )
    commit_all(root, "Review October")


def test_approving_two_charges_and_rejecting_one_shows_exactly_those(repo: Path) -> None:
    review(repo)
    cfg = load_config(repo)
    diff = billing_diff(cfg, check.check(cfg), "main")
    tables = {t.title: t for t in diff.tables}
    assert list(tables) == [
        "Periods", "Review decisions", "Amount due per PI", "Amount due per project"
    ]
    assert tables["Review decisions"].rows == [
        ["2026-10", "added", "approve", "2", "$420.10", "Ada Lovelace (ada@test.edu), bob@test.edu",
         "p1, p2", "GPU allocation approved by the dean", "Jane"],
        ["2026-10", "added", "reject", "1", "$45.25", "(no PI)", "p1",
         "untagged test instance, absorbed by RC", "Jane"],
    ]
    assert tables["Amount due per PI"].rows == [
        ["2026-10", "Ada Lovelace (ada@test.edu)", "$10.00 → $310.00 (+$300.00)"],
        ["2026-10", "bob@test.edu", "$0.00 → $120.10 (+$120.10)"],
    ]
    assert tables["Amount due per project"].rows == [
        ["2026-10", "p1", "$10.00 → $310.00 (+$300.00)"],
        ["2026-10", "p2", "$0.00 → $120.10 (+$120.10)"],
    ]
    assert tables["Periods"].rows == [
        ["2026-10", "open", "$10.00 → $430.10 (+$420.10)", "$465.35 → $0.00 (-$465.35)",
         "$0.00 → $45.25 (+$45.25)"],
    ]


def test_markdown_for_a_pull_request_comment(repo: Path) -> None:
    review(repo)
    code, output = run(repo, "check", "--base", "main", "--format", "markdown")
    assert code == 0, output
    assert output.startswith("## OpenChargeback: Test University Research Computing\n")
    assert "✅ check passed" in output
    assert "### Review decisions\n\n| period | change | decision |" in output
    assert ("| 2026-10 | added | approve | 2 | $420.10 | Ada Lovelace (ada@test.edu), "
            "bob@test.edu | p1, p2 | GPU allocation approved by the dean | Jane |") in output
    assert "### Reconciliation" in output


def test_new_data_shows_its_file_total_and_new_flags(repo: Path) -> None:
    (repo / "periods/2026-10/hpc.csv").write_text(
        HEADER + "\n" + row(cost="12.345", resource="job-1", tag=tags(pi=None)) + "\n"
        + row(cost="7.00", resource="job-2") + "\n"
    )
    (repo / "reviews/2026-10.yaml").write_text(
        "- match: {source: hpc, flag: missing_pi_email}\n  action: reject\n"
        "  reason: <b>pipe|test</b> @rc-team\n  by: Jane\n"
    )
    code, output = run(repo, "check", "--base", "main")
    assert code == 0, output
    assert "periods/2026-10/hpc.csv  added   2        $19.35 (19.345)" in output
    assert "2026-10  missing_pi_email  1        $12.35 (12.345)  0        (no PI)" in output
    code, output = run(repo, "check", "--base", "main", "--format", "markdown")
    assert "&lt;b&gt;pipe&#124;test&lt;/b&gt; &#64;rc-team" in output  # no HTML, cell or mention


def test_editing_a_finalized_period_fails_check_and_shows_in_the_diff(repo: Path) -> None:
    september = repo / "periods/2026-09/aws.csv"
    september.write_text(september.read_text().replace("8.00", "0.80"))
    code, output = run(repo, "check", "--base", "main")
    assert code == 1
    assert "Changes to finalized periods" in output
    assert "2026-09  periods/2026-09/aws.csv  changed" in output
    assert "error: periods/2026-09/aws.csv: changed after period 2026-09 was finalized" in output
    code, output = run(repo, "check", "--base", "main", "--format", "markdown")
    assert code == 1
    assert "### ❌ 1 problem" in output
    assert "| 2026-09 | periods/2026-09/aws.csv | changed |" in output


def test_no_change_says_so(repo: Path) -> None:
    code, output = run(repo, "check", "--base", "main")
    assert code == 0
    assert "No billing changes." in output


def test_an_unknown_base_says_how_to_fetch_it(repo: Path) -> None:
    code, output = run(repo, "check", "--base", "0" * 40)
    assert code == 2
    assert "git fetch --depth=1 origin" in output


def test_a_base_without_config_compares_with_nothing(make_repo, tmp_path: Path) -> None:
    root = make_repo()
    (root / "data/config.yaml").rename(tmp_path / "config.yaml")
    first = commit_all(root, "Empty")
    (tmp_path / "config.yaml").rename(root / "data/config.yaml")
    (root / "periods/2026-10").mkdir()
    (root / "periods/2026-10/aws.csv").write_text(HEADER + "\n" + row(cost="3.00") + "\n")
    code, output = run(root, "check", "--base", first)
    assert code == 0, output
    assert "note: the base has no config; compared as if it had no data" in output
    assert "periods/2026-10/aws.csv  added   1        $3.00" in output


def test_works_in_a_shallow_clone_given_the_base_commit(repo: Path, tmp_path: Path) -> None:
    """As CI does: a depth-1 clone of the branch, then `git fetch --depth=1` of the base."""
    base = git(repo, "rev-parse", "main")
    review(repo)
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "review-october",
        f"file://{repo}", str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    code, output = run(clone, "check", "--base", base)
    assert code == 2  # the base commit is not there yet
    git(clone, "fetch", "-q", "--depth=1", "origin", base)
    code, output = run(clone, "check", "--base", base, "--format", "markdown")
    assert code == 0, output
    assert "| 2026-10 | added | reject | 1 | $45.25 | (no PI) | p1 |" in output


def test_a_billing_repo_in_a_subfolder_of_a_git_repository(make_repo, tmp_path: Path) -> None:
    root = make_repo({"periods/2026-10/aws.csv": HEADER + "\n" + row(cost="3.00") + "\n"})
    outer = tmp_path / "outer"
    outer.mkdir()
    root.rename(outer / "billing")
    commit_all(outer, "Billing in a subfolder")
    (outer / "billing/periods/2026-10/aws.csv").write_text(
        HEADER + "\n" + row(cost="4.00") + "\n"
    )
    code, output = run(outer / "billing", "check", "--base", "HEAD")
    assert code == 0, output
    assert "periods/2026-10/aws.csv  changed  1        $3.00 → $4.00 (+$1.00)" in output
