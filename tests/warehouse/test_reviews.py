"""Review decisions: approve, reject, reassign, match selectors and every error path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import HEADER, ids, row, tags

from generator.commands.review import append_decision, decide
from generator.common.errors import DataError
from generator.read.config import load_config
from generator.warehouse.load import load

DATA = "\n".join([
    HEADER,
    row(resource="ok", cost="10"),
    row(resource="no-pi", cost="20", tag=tags(pi=None)),
    row(resource="gpu-1", cost="30", tag=tags(fund="bad")),
    row(resource="gpu-2", cost="40", tag=tags(fund="bad")),
]) + "\n"


def states(root):
    wh = load(load_config(root))
    rows = wh.con.execute(
        "SELECT resource_id, status, pi_email, fund_org FROM charges ORDER BY resource_id"
    ).fetchall()
    return wh, {r[0]: r[1:] for r in rows}


def test_approve_reject_reassign(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": DATA})
    i = ids(root)
    (root / "reviews/2026-10.yaml").write_text(f"""\
# October reviews
- ids: [{i['gpu-1']}]
  action: approve
  reason: Chair approved the fund
  by: kim
- ids: [{i['gpu-2']}]
  action: reject
  reason: Test instance, not billable
  by: kim
- ids: [{i['no-pi']}]
  action: reassign
  set: {{pi_email: Bob@Test.edu, fund_org: 222222-2222}}
  reason: Bob's lab owns this bucket
""")
    wh, got = states(root)
    assert wh.problems == []
    assert got == {
        "gpu-1": ("billed", "ada@test.edu", "bad"),
        "gpu-2": ("rejected", "ada@test.edu", "bad"),
        "no-pi": ("billed", "bob@test.edu", "222222-2222"),
        "ok": ("billed", "ada@test.edu", "123456-1234"),
    }
    (r,) = wh.reconciliation()
    assert (r["billed"], r["pending"], r["rejected"]) == (Decimal(60), 0, Decimal(40))
    assert r["input_total"] == r["billed"] + r["pending"] + r["rejected"]


def test_match_selectors_with_globs(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": DATA})
    (root / "reviews/2026-10.yaml").write_text("""\
- match: {flag: invalid_*, resource: "gpu-*", service: EC2, source: aws}
  action: approve
  reason: Fund fixed in the ledger
- match: {pi: "", flag: missing_pi_email}
  action: reject
  reason: Nobody claims it
""")
    _, got = states(root)
    assert {k: v[0] for k, v in got.items()} == {
        "gpu-1": "billed", "gpu-2": "billed", "no-pi": "rejected", "ok": "billed"
    }


ERRORS = {
    "unknown id": ("- ids: [0123456789abcdef]\n  action: approve\n  reason: x\n",
                   ":1: charge 0123456789abcdef is not in period 2026-10"),
    "not an id": ("- ids: [zz]\n  action: approve\n  reason: x\n", ":1: 'zz' is not a charge ID"),
    "no reason": ("- ids: [{gpu1}]\n  action: approve\n", ":1: reason is required"),
    "bad action": ("- ids: [{gpu1}]\n  action: okay\n  reason: x\n", ":1: action 'okay'"),
    "unknown key": ("- ids: [{gpu1}]\n  action: approve\n  reasn: x\n  reason: y\n",
                    ":3: unknown key 'reasn'; did you mean 'reason'?"),
    "decided twice": ("- ids: [{gpu1}]\n  action: approve\n  reason: x\n"
                      "- ids:\n  - {gpu2}\n  - {gpu1}\n  action: reject\n  reason: y\n",
                      ":6: charge {gpu1} is already decided at line 1 (approve)"),
    "bad reassign email": ("- ids: [{gpu1}]\n  action: reassign\n  set: {{pi_email: nobody}}\n"
                           "  reason: x\n", ":1: set: pi_email 'nobody' is not an email"),
    "bad reassign fund": ("- ids: [{gpu1}]\n  action: reassign\n  set: {{fund_org: '12'}}\n"
                          "  reason: x\n", "fund_org '12' does not match"),
    "reassign no set": ("- ids: [{gpu1}]\n  action: reassign\n  reason: x\n",
                        ":1: reassign needs set:"),
    "reassign unknown field": ("- ids: [{gpu1}]\n  action: reassign\n  set: {{cost: 1}}\n"
                               "  reason: x\n", ":3: set: cannot reassign 'cost'"),
    "match nothing": ("- match: {{source: gcp}}\n  action: approve\n  reason: x\n",
                      ":1: match {{'source': 'gcp'}} selects no charge"),
    "match unknown field": ("- match: {{colour: red}}\n  action: approve\n  reason: x\n",
                            ":1: match: unknown field 'colour'"),
    "both ids and match": ("- ids: []\n  action: approve\n  reason: x\n",
                           ":1: give either ids or match"),
    "not a list": ("ids: [{gpu1}]\n", ":1: expected a list of decisions"),
    "bad yaml": ("- ids: [\n", ":2: not valid YAML"),
}


@pytest.mark.parametrize("name", ERRORS)
def test_review_errors_name_file_and_line(make_repo, name):
    root = make_repo({"periods/2026-10/aws.csv": DATA})
    i = ids(root)
    text, expected = ERRORS[name]
    fmt = {"gpu1": i["gpu-1"], "gpu2": i["gpu-2"]}
    (root / "reviews/2026-10.yaml").write_text(text.format(**fmt))
    wh = load(load_config(root))
    messages = [str(p) for p in wh.problems]
    assert any(m.startswith("reviews/2026-10.yaml") and expected.format(**fmt) in m
               for m in messages), messages


def test_all_review_errors_are_reported_together(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": DATA})
    (root / "reviews/2026-10.yaml").write_text(
        "- ids: [0123456789abcdef]\n  action: approve\n  reason: x\n"
        "- ids: [fedcba9876543210]\n  action: nope\n"
    )
    messages = [str(p) for p in load(load_config(root)).problems]
    assert len(messages) == 4, messages  # both unknown IDs, the bad action, no reason


def test_decide_appends_and_keeps_comments(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": DATA,
                      "reviews/2026-10.yaml": "# Reviewed by the RC billing team\n"})
    cfg = load_config(root)
    i = ids(root)
    written = decide(cfg, "approve", [i["gpu-1"]], False, None, "ok by chair", "kim")
    assert written == {root / "reviews/2026-10.yaml": 1}
    decide(cfg, "reject", [], True, "2026-10", "not ours", "kim")
    text = (root / "reviews/2026-10.yaml").read_text()
    assert text.startswith("# Reviewed by the RC billing team\n")
    _, got = states(root)
    assert {k: v[0] for k, v in got.items()} == {
        "gpu-1": "billed", "gpu-2": "rejected", "no-pi": "rejected", "ok": "billed"
    }


def test_decide_refuses_unknown_and_already_decided(make_repo):
    from generator.common.errors import DataError, UsageError

    root = make_repo({"periods/2026-10/aws.csv": DATA})
    cfg = load_config(root)
    i = ids(root)
    decide(cfg, "approve", [i["gpu-1"]], False, None, "ok", "kim")
    with pytest.raises(DataError, match="already decided"):
        decide(cfg, "reject", [i["gpu-1"]], False, None, "no", "kim")
    with pytest.raises(DataError, match="no such charge"):
        decide(cfg, "reject", ["0123456789abcdef"], False, None, "no", "kim")
    with pytest.raises(UsageError, match="reason"):
        decide(cfg, "reject", [i["gpu-2"]], False, None, " ", "kim")
    with pytest.raises(DataError, match="is not an email"):
        decide(cfg, "reassign", [i["gpu-2"]], False, None, "x", "kim", {"pi_email": "bob"})


def test_append_to_an_empty_list_file(tmp_path):
    path = tmp_path / "2026-10.yaml"
    path.write_text("# nothing yet\n[]\n")
    append_decision(path, "approve", ["0123456789abcdef"], "why", "me")
    assert path.read_text() == (
        "# nothing yet\n- ids: [0123456789abcdef]\n  action: approve\n  reason: why\n  by: me\n"
    )


DEPARTMENTS = "\n".join([
    HEADER,
    row(resource="ada-gpu", cost="30", tag=tags(fund="bad")),
    row(resource="bob-gpu", cost="40", tag=tags(pi="bob@test.edu", fund="bad")),
    row(resource="nobody", cost="5", tag=tags(pi=None)),
]) + "\n"
PEOPLE = """\
ada@test.edu: {name: Ada, department: Computer Science}
bob@test.edu: {name: Bob, department: Physics}
"""


def test_a_department_file_decides_only_its_own_pis_charges(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": DEPARTMENTS, "data/people.yaml": PEOPLE})
    i = ids(root)
    cfg = load_config(root)
    with pytest.raises(DataError, match="billed to bob@test.edu \\(Physics\\), not to department "
                                        "computer-science"):
        decide(cfg, "approve", [i["bob-gpu"]], False, None, "ok", "kim",
               department="Computer Science")
    written = decide(cfg, "approve", [], True, "2026-10", "chair approved", "kim",
                     department="Computer Science")
    assert written == {root / "reviews/2026-10/computer-science.yaml": 1}
    (root / "reviews/2026-10/physics.yaml").write_text(
        f"- ids: [{i['ada-gpu']}, {i['bob-gpu']}, {i['nobody']}]\n"
        "  action: reject\n  reason: not ours\n  by: lee\n"
    )
    wh, got = states(root)
    assert [str(p) for p in wh.problems] == [
        f"reviews/2026-10/physics.yaml:1: charge {i['ada-gpu']} is already decided at "
        "reviews/2026-10/computer-science.yaml:1 (approve); keep one decision per charge",
        f"reviews/2026-10/physics.yaml:1: charge {i['nobody']} is billed to no PI, not to "
        "department physics; decide it in that department's file or in the period's main "
        "review file",
    ]
    assert got["ada-gpu"][0] == "billed" and got["bob-gpu"][0] == "rejected"


def test_a_department_match_selects_only_its_charges(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": DEPARTMENTS, "data/people.yaml": PEOPLE})
    (root / "reviews/2026-10").mkdir()
    (root / "reviews/2026-10/physics.yaml").write_text(
        "- match: {flag: invalid_fund_org}\n  action: approve\n  reason: dean\n  by: lee\n"
    )
    (root / "reviews/2026-10.yaml").write_text(
        "- match: {pi: ada@test.edu}\n  action: reject\n  reason: central\n  by: rc\n"
    )
    wh, got = states(root)
    assert wh.problems == []
    assert (got["bob-gpu"][0], got["ada-gpu"][0], got["nobody"][0]) == (
        "billed", "rejected", "pending"
    )


def test_a_key_given_twice_in_a_decision_is_refused(make_repo):
    root = make_repo({"periods/2026-10/aws.csv": DATA})
    i = ids(root)
    (root / "reviews/2026-10.yaml").write_text(f"""\
- ids: [{i['gpu-1']}]
  action: approve
  action: reject
  reason: Chair approved the fund
- ids: [{i['gpu-2']}]
  ids: [{i['no-pi']}]
  action: reject
  reason: Test instances
""")
    wh, got = states(root)
    assert [str(p) for p in wh.problems] == [
        "reviews/2026-10.yaml:3: key 'action' appears twice in one mapping (first on line 2); "
        "keep one",
        "reviews/2026-10.yaml:6: key 'ids' appears twice in one mapping (first on line 5); "
        "keep one",
    ]
    # Nothing of the file is applied: every flagged charge still waits.
    assert {k: v[0] for k, v in got.items()} == {
        "gpu-1": "pending", "gpu-2": "pending", "no-pi": "pending", "ok": "billed"}


def test_approve_refuses_unflagged_charges_and_invalid_pi_emails(make_repo):
    data = DATA + row(resource="evil", cost="5", tag=tags(pi="a(@test.edu)@evil.com")) + "\n"
    root = make_repo({"periods/2026-10/aws.csv": data})
    i = ids(root)
    cfg = load_config(root)
    with pytest.raises(DataError) as exc:
        decide(cfg, "approve", [i["ok"], i["evil"]], False, None, "fine", "kim")
    assert [str(p) for p in exc.value.problems] == sorted([
        f"{i['ok']}: is not flagged: it is billed without a decision, so there is nothing to "
        "approve",
        f"{i['evil']}: its pi_email 'a(@test.edu)@evil.com' is not a plain email address; "
        "reassign it with --pi, or reject it",
    ])
    assert not (root / "reviews/2026-10.yaml").exists()
    # Hand-written, the same approvals are problems of the review file, naming its lines.
    (root / "reviews/2026-10.yaml").write_text(
        f"- ids: [{i['ok']}]\n  action: approve\n  reason: fine\n"
        f"- ids: [{i['evil']}]\n  action: approve\n  reason: fine\n")
    wh, got = states(root)
    assert [p.where for p in wh.problems] == ["reviews/2026-10.yaml:1", "reviews/2026-10.yaml:4"]
    assert got["evil"][0] == "pending"
    # Reassigned to a real PI it is billed.
    (root / "reviews/2026-10.yaml").unlink()
    decide(cfg, "reassign", [i["evil"]], False, None, "Ada's", "kim", {"pi_email": "ada@test.edu"})
    wh, got = states(root)
    assert wh.problems == [] and got["evil"] == ("billed", "ada@test.edu", "123456-1234")
