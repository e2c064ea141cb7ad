"""``charges``: finding charges by every filter, one charge whole, and charge IDs by unique
prefix (charges, review approve/reject/reassign, correct). The answers are worked out by
hand from the rows below."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import commit_all, csv_file, ids, row, run, tags

from generator.commands import periods
from generator.common.errors import DataError, UsageError
from generator.read.config import load_config
from generator.render.naming import statement_number
from generator.warehouse import lookup

BOB = tags(pi="bob@test.edu", project="p2", fund="654321-4321")
ASTRO_AND_GEO = ('"{""pi_email"":""bob@test.edu"",""project_id"":""p2"",'
                 '""fund_org"":""654321-4321"",""team"":""astro"",""user:team"":""geo""}"')
ASTRO = ('"{""pi_email"":""ada@test.edu"",""project_id"":""p1"",""fund_org"":""123456-1234"",'
         '""team"":""astro""}"')
AWS = csv_file(
    row(resource="a1", cost="10.005", service="EC2"),                  # billed
    row(resource="a2", cost="5.50", service="S3", tag=ASTRO_AND_GEO),  # billed, bob
    row(resource="a3", cost="7.00", tag=tags(pi=None)),                # pending: no PI
    row(resource="a4", cost="4.00", tag=tags(pi=None)),                # reassigned to bob
    row(resource="a5", cost="3.00", tag=tags(fund="bad")),             # rejected
    row(resource="a6", cost="2.00", tag='"not json"'),                 # pending: bad tags
    row(resource="a7", cost="1.00", tag=tags(fund="bad-fund")),        # approved
)
HPC = csv_file(row(resource="h1", cost="20.00", service="Compute", tag=ASTRO))


@pytest.fixture
def repo(make_repo) -> Path:
    root = make_repo({"periods/2026-10/aws.csv": AWS, "periods/2026-10/hpc.csv": HPC})
    i = ids(root)
    (root / "reviews/2026-10.yaml").write_text(
        f"- ids: [{i['a4']}]\n  action: reassign\n"
        "  set: {pi_email: bob@test.edu, project_id: p2, fund_org: 654321-4321}\n"
        "  reason: tagged on the wrong lab\n  by: kim\n"
        f"- ids: [{i['a5']}]\n  action: reject\n  reason: a test instance\n  by: kim\n"
        f"- ids: [{i['a7']}]\n  action: approve\n  reason: fund fixed upstream\n  by: lee\n")
    return root


def found(root: Path, *args: str) -> set[str]:
    """The resources of the charges listed for ``args``."""
    code, output = run(root, "charges", "-f", "json", *args)
    assert code == 0, output
    return {r["resource_id"] for r in json.loads(output)}


@pytest.mark.parametrize(("args", "expected"), [
    ((), {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "h1"}),
    # Whom a charge is billed to: a4 was reassigned from no PI to bob.
    (("--pi", "ada@test.edu"), {"a1", "a5", "a7", "h1"}),
    (("--pi", "ADA@test.edu "), {"a1", "a5", "a7", "h1"}),
    (("--pi", "bob@test.edu"), {"a2", "a4"}),
    (("--project", "p2"), {"a2", "a4"}),
    (("--fund-org", "654321-4321"), {"a2", "a4"}),
    (("--fund-org", "bad"), {"a5"}),
    (("--service", "s3"), {"a2"}),
    (("--source", "hpc"), {"h1"}),
    (("-s", "aws", "--service", "EC2"), {"a1", "a3", "a4", "a5", "a6", "a7"}),
    # Raw tags, by exact key: "team" is not "user:team"; a6's tags are not JSON.
    (("--tag", "team=astro"), {"a2", "h1"}),
    (("--tag", "user:team=geo"), {"a2"}),
    (("--tag", "team=geo"), set()),
    (("--tag", "team=astro", "--tag", "user:team=geo"), {"a2"}),
    (("--tag", "pi_email=ada@test.edu"), {"a1", "a5", "a7", "h1"}),
    (("--tag", "fund_org="), set()),
    (("--state", "billed"), {"a1", "a2", "a4", "a7", "h1"}),
    (("--state", "pending"), {"a3", "a6"}),
    (("--state", "rejected"), {"a5"}),
    (("--flag", "missing_*"), {"a3", "a4", "a6"}),
    (("--flag", "invalid_fund_org"), {"a5", "a7"}),
    (("--flag", "invalid_tags"), {"a6"}),
    (("--state", "billed", "--flag", "missing_*"), {"a4"}),
    (("--pi", "ada@test.edu", "--state", "billed", "-s", "aws"), {"a1", "a7"}),
    (("-p", "2026-10", "--project", "p1"), {"a1", "a3", "a5", "a7", "h1"}),
    (("-p", "2026-09",), set()),
])
def test_filters(repo: Path, args: tuple[str, ...], expected: set[str]) -> None:
    assert found(repo, *args) == expected


def test_each_format_lists_state_decision_amounts_and_raw_tags(repo: Path) -> None:
    i = ids(repo)
    code, output = run(repo, "charges", "-f", "json", "-s", "aws")
    assert code == 0
    listed = {r["resource_id"]: r for r in json.loads(output)}
    assert listed["a1"] == {
        "charge_id": i["a1"], "period": "2026-10", "state": "billed", "decision": None,
        "pi_email": "ada@test.edu", "project_id": "p1", "fund_org": "123456-1234",
        "source": "aws", "service": "EC2", "resource_id": "a1", "list_cost": "12.00",
        "contracted_cost": "11.00", "charged": "10.005", "flags": [],
        "tags": '{"pi_email":"ada@test.edu","project_id":"p1","fund_org":"123456-1234"}'}
    assert (listed["a4"]["state"], listed["a4"]["decision"]) == ("billed", "reassign")
    assert (listed["a5"]["state"], listed["a5"]["decision"]) == ("rejected", "reject")
    assert listed["a6"]["tags"] == "not json"

    code, output = run(repo, "charges", "-f", "csv", "--state", "rejected")
    (r,) = list(csv.DictReader(io.StringIO(output)))
    assert (r["charge_id"], r["charged"], r["flags"]) == (i["a5"], "3.00", "invalid_fund_org")

    code, output = run(repo, "charges", "-s", "aws", "--service", "EC2")
    assert code == 0
    assert "6 charges" in output
    assert "$10.01" in output and "10.005" not in output  # a person sees the cent
    assert "billed (approved)" in output and "billed (reassigned)" in output
    assert all(i[r] in output for r in ("a1", "a3", "a4", "a5", "a6", "a7"))
    assert "pi_email=ada@test.edu project_id=p1 fund_org=123456-1234" in output
    code, output = run(repo, "charges", "--state", "rejected")
    assert "1 charge\n" in output


def test_bad_filters_are_usage_errors(repo: Path) -> None:
    assert run(repo, "charges", "--tag", "team")[0] == 2
    assert run(repo, "charges", "--tag", "=astro")[0] == 2
    assert run(repo, "charges", "--state", "maybe")[0] == 2
    assert run(repo, "charges", "-p", "October")[0] == 2
    code, output = run(repo, "charges", ids(repo)["a1"][:8], "--pi", "ada@test.edu")
    assert code == 2 and "not both" in output


def test_one_charge_whole(repo: Path) -> None:
    i = ids(repo)
    code, output = run(repo, "charges", i["a4"][:7])
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == f"charge {i['a4']}: billed (reassigned)"
    assert lines[1] == "  2026-10, source aws, periods/2026-10/aws.csv row 4"
    assert "  PI        bob@test.edu" in lines
    assert "  as tagged: (no PI), p1, 123456-1234" in lines
    assert "  charged           $4.00" in lines
    assert "flags: missing_pi_email" in lines
    assert "decision: reassign by kim (reviews/2026-10.yaml:1): tagged on the wrong lab" in lines
    assert "  project_id  p1" in lines  # the raw tags, as written
    assert "corrections against it: none" in lines
    number = statement_number("2026-10", "bob@test.edu", "p2")
    assert f"statement: {number}, build/statements/2026-10/bob@test.edu/p2.pdf" in lines
    assert "  BilledCost          4.00" in lines
    assert "  ServiceName         EC2" in lines

    code, output = run(repo, "charges", i["a6"])
    assert "statement: none (the charge is pending, not billed)" in output
    assert "decision: none (pending review)" in output
    assert "tags (not a JSON object): not json" in output

    code, output = run(repo, "charges", i["a5"], "-f", "json")
    record = json.loads(output)
    assert record["decision"] == {"action": "reject", "reason": "a test instance", "by": "kim",
                                  "file": "reviews/2026-10.yaml", "line": 6}
    assert record["amounts"] == {"list_cost": "12.00", "contracted_cost": "11.00",
                                 "charged": "3.00"}
    assert record["statement"] is None
    code, output = run(repo, "charges", i["a5"], "-f", "csv")
    assert "decision.reason,a test instance" in output.splitlines()


def test_corrections_against_a_charge_and_the_correction_itself(make_repo) -> None:
    root = make_repo({"periods/2026-09/aws.csv": csv_file(row("2026-09", resource="s1")),
                      "periods/2026-10/aws.csv": csv_file(row("2026-10", resource="o1"))})
    cfg = load_config(root)
    periods.close(cfg, "2026-09", "Jane")
    periods.finalize(cfg, "2026-09", "Jane")
    commit_all(root, "September finalized")
    september = ids(root)["s1"]
    code, output = run(root, "correct", september[:6], "--amount", "-2.5", "--reason",
                       "on-demand rate billed", "--by", "Jane")
    assert code == 0, output
    code, output = run(root, "charges", "-f", "json", "-p", "2026-10", "--pi", "ada@test.edu")
    (correction,) = [r for r in json.loads(output) if r["resource_id"] == "s1"]
    assert (correction["charged"], correction["state"]) == ("-2.50", "billed")
    code, output = run(root, "charges", september)
    assert f"  {correction['charge_id']}  2026-10  billed  -$2.50  on-demand rate billed" \
        in output.splitlines()
    code, output = run(root, "charges", correction["charge_id"])
    assert f"  a correction of charge {september} of 2026-09" in output.splitlines()


def test_prefixes_approve_and_reject_as_the_full_id(repo: Path) -> None:
    i = ids(repo)
    code, output = run(repo, "review", "approve", i["a3"][:6], "--reason", "ok", "--by", "kim")
    assert code == 0, output
    code, output = run(repo, "review", "reject", i["a6"][:10].upper(), "--reason", "no",
                       "--by", "kim")
    assert code == 0, output
    decisions = yaml.safe_load((repo / "reviews/2026-10.yaml").read_text())
    assert decisions[-2]["ids"] == [i["a3"]] and decisions[-1]["ids"] == [i["a6"]]
    code, output = run(repo, "review", "approve", "abc", "--reason", "ok")
    assert code == 2 and "first 6 or more" in output
    code, output = run(repo, "review", "approve", "fedcba98", "--reason", "ok")
    assert code == 1 and "fedcba98: no such charge" in output


def test_a_prefix_names_one_charge_or_says_why_not() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE every_charge AS SELECT * FROM (VALUES ('ba9c0d1e4b5a6c7d'), "
                "('ba9c0dffffffffff'), ('0123456789abcdef')) t(charge_id)")
    assert lookup.charge_ids(con, ["ba9c0d1", "0123456789ABCDEF", " 012345"]) == [
        "ba9c0d1e4b5a6c7d", "0123456789abcdef", "0123456789abcdef"]
    with pytest.raises(DataError) as ambiguous:
        lookup.charge_ids(con, ["ba9c0d"])
    assert str(ambiguous.value) == ("ba9c0d: matches 2 charges (ba9c0d1e4b5a6c7d, "
                                    "ba9c0dffffffffff); give more characters")
    with pytest.raises(DataError, match="^ffffff: no such charge"):
        lookup.charge_ids(con, ["ffffff"])
    for bad in ("ba9c0", "ba9c0d1e4b5a6c7d0", "ba9c0g", ""):
        with pytest.raises(UsageError, match="is not a charge ID"):
            lookup.charge_ids(con, [bad])
