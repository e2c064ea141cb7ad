"""The general-ledger journal: balanced, complete, and loud about what it cannot do."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CONFIG, HEADER, ROOT, csv_file, row, warehouse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.cli import app
from generator.commands import build, check
from generator.common.errors import DataError, UsageError
from generator.read.config import load_config
from generator.render import journal
from generator.render.journal import Journal, check_balance, make_journal, render
from generator.warehouse import load as loader

PERIOD = "2026-10"


def tagged(**values: str) -> str:
    """A Tags cell with any keys: ``tagged(pi_email=..., account_code=...)``."""
    base = {"pi_email": "ada@test.edu", "project_id": "p1", "fund_org": "123456-1234"}
    text = json.dumps({k: v for k, v in {**base, **values}.items() if v is not None})
    return '"' + text.replace('"', '""') + '"'


def gl_rows(wh: loader.Warehouse, j: Journal) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render(wh, j, "gl"))))


def problems_of(wh: loader.Warehouse) -> list[str]:
    with pytest.raises(DataError) as info:
        make_journal(wh, PERIOD)
    return [str(p) for p in info.value.problems]


def config_problems(root: Path) -> list[str]:
    """What the config check says of a journal section that cannot work (checked with the
    rest of the config, so `check` and every command see it)."""
    with pytest.raises(DataError) as info:
        load_config(root)
    return [str(p) for p in info.value.problems]


def money(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


# -- balance and the shape of the GL file ------------------------------------------------


def two_sources(make_repo) -> Path:
    return make_repo({
        "periods/2026-10/aws.csv": csv_file(
            row(cost="10.004"),
            row(cost="5.333", resource="i-2"),
            row(cost="-2.50", tag=tagged(project_id="p3", fund_org="654321-4321")),
            row(cost="3.3333", tag=tagged(pi_email="bob@test.edu", project_id="p2")),
        ),
        "periods/2026-10/hpc.csv": csv_file(row(cost="7.10", service="slurm")),
    })


def test_debits_equal_credits_and_the_file_says_so(make_repo) -> None:
    wh = warehouse(two_sources(make_repo))
    j = make_journal(wh, PERIOD)
    rows = gl_rows(wh, j)
    debits = sum(money(r["debit"]) for r in rows)
    credits = sum(money(r["credit"]) for r in rows)
    assert debits == credits == j.debits == j.credits == Decimal("25.77")
    assert j.balance_line() == "6 entries, debits $25.77, credits $25.77"
    # One row per entry: the header does not swallow the first entry.
    assert len(render(wh, j, "gl").splitlines()) == len(j.entries) + 1 == len(rows) + 1
    # Every row has exactly one of debit and credit.
    assert all(bool(r["debit"]) != bool(r["credit"]) for r in rows)


def test_a_recovery_entry_per_source_and_account_to_its_credit_fund_org(make_repo) -> None:
    wh = warehouse(two_sources(make_repo))
    rows = gl_rows(wh, make_journal(wh, PERIOD))
    recovery = [r for r in rows if not r["pi_email"]]
    assert [(r["source"], r["fund_org"], r["account"], r["credit"]) for r in recovery] == [
        ("aws", "100100-9100", "7410", "16.17"),
        ("hpc", "100200-9200", "7420", "7.10"),
    ]
    assert [(r["fund"], r["orgn"]) for r in recovery] == [("100100", "9100"), ("100200", "9200")]
    assert recovery[0]["description"] == "Amazon Web Services 2026-10 recovery"


def test_each_projects_debits_equal_its_statement_total(make_repo) -> None:
    wh = warehouse(two_sources(make_repo))
    j = make_journal(wh, PERIOD)
    by_project: dict[str | None, Decimal] = defaultdict(Decimal)
    for e in j.entries:
        if e.kind == "charge":
            by_project[e.project_id] += e.signed_amount
    statement = dict(wh.con.execute(
        "SELECT project_id, sum(charged) FROM statement_lines GROUP BY ALL"
    ).fetchall())
    assert by_project == statement == {
        "p1": Decimal("22.44"), "p2": Decimal("3.33"), "p3": Decimal("-2.50")
    }
    summary = list(csv.DictReader(io.StringIO(render(wh, j, "summary"))))
    assert {r["project_id"]: Decimal(r["amount"]) for r in summary} == statement


def test_a_negative_net_changes_side(make_repo) -> None:
    wh = warehouse(make_repo({"periods/2026-10/aws.csv": csv_file(
        row(cost="-40.00"), row(cost="15.00", tag=tagged(project_id="p2")),
    )}))
    j = make_journal(wh, PERIOD)
    sides = {(e.kind, e.project_id): (e.is_debit, e.amount) for e in j.entries}
    assert sides == {
        ("charge", "p1"): (False, Decimal("40.00")),  # a refund credits the PI's fund/org
        ("charge", "p2"): (True, Decimal("15.00")),
        ("recovery", None): (True, Decimal("25.00")),  # and debits the source's
    }
    assert j.debits == j.credits == Decimal("40.00")


def test_zero_amount_entries_are_left_out_and_counted(make_repo) -> None:
    wh = warehouse(make_repo({"periods/2026-10/aws.csv": csv_file(
        row(cost="5.00"), row(cost="-5.00", resource="i-2"),
    )}))
    j = make_journal(wh, PERIOD)
    assert j.entries == []
    assert j.balance_line() == (
        "0 entries, debits $0.00, credits $0.00 (2 zero-amount entries left out)"
    )
    assert render(wh, j, "gl").count("\n") == 1  # the header only


# -- accounts -------------------------------------------------------------------------------


def test_account_is_the_tag_else_the_source_account_else_the_default(make_repo) -> None:
    config = CONFIG.replace(
        'hpc: {name: HPC, credit_fund_org: 100200-9200, account: "7420"}',
        "hpc: {name: HPC, credit_fund_org: 100200-9200}",
    ) + 'journal: {default_account: "7999"}\n'
    wh = warehouse(make_repo({
        "periods/2026-10/aws.csv": csv_file(
            row(cost="1.00"), row(cost="2.00", resource="i-2", tag=tagged(account_code="7500")),
        ),
        "periods/2026-10/hpc.csv": csv_file(row(cost="4.00")),
    }, config=config))
    j = make_journal(wh, PERIOD)
    charges = {(e.source, e.account): e.amount for e in j.entries if e.kind == "charge"}
    assert charges == {
        ("aws", "7410"): Decimal("1.00"), ("aws", "7500"): Decimal("2.00"),
        ("hpc", "7999"): Decimal("4.00"),
    }
    recoveries = {(e.source, e.account): e.amount for e in j.entries if e.kind == "recovery"}
    assert recoveries == charges  # one per (source, account)


def test_a_line_split_over_accounts_keeps_the_lines_rounded_total(make_repo) -> None:
    # Three half-cent charges on one statement line, each with its own account: the line is
    # 0.015 → 0.02, the parts 0.005 → 0.01 each. The parts must still add up to 0.02.
    wh = warehouse(make_repo({"periods/2026-10/aws.csv": csv_file(*[
        row(cost="0.005", resource=f"i-{n}", tag=tagged(account_code=f"750{n}"))
        for n in range(3)
    ])}))
    (line,) = wh.con.execute("SELECT charged FROM statement_lines").fetchall()
    j = make_journal(wh, PERIOD)
    charge = [e for e in j.entries if e.kind == "charge"]
    assert sum(e.signed_amount for e in charge) == line[0] == Decimal("0.02")
    # The cent too many comes off the first of the equal parts, which nets to zero.
    assert [(e.account, e.amount) for e in charge] == [("7501", Decimal("0.01")),
                                                       ("7502", Decimal("0.01"))]
    assert j.zero_entries == 2  # the 7500 charge entry and its recovery
    assert j.debits == j.credits == Decimal("0.02")


def test_references_are_kept_on_the_charge_entries(make_repo) -> None:
    wh = warehouse(make_repo({"periods/2026-10/aws.csv": csv_file(
        row(cost="1.00", tag=tagged(reference_1="NSF-123")),
        row(cost="2.00", resource="i-2", tag=tagged(reference_1="NIH-9", reference_2="=x")),
    )}))
    rows = gl_rows(wh, make_journal(wh, PERIOD))
    assert [(r["reference_1"], r["reference_2"], r["debit"]) for r in rows if r["debit"]] == [
        ("NIH-9", "'=x", "2.00"), ("NSF-123", "", "1.00"),
    ]


# -- what the journal refuses, each with its cause ---------------------------------------------


def test_a_source_with_no_config_is_named(make_repo) -> None:
    wh = warehouse(make_repo({"periods/2026-10/gcp.csv": csv_file(row())}))
    (problem,) = problems_of(wh)
    assert "sources.gcp" in problem and "not configured" in problem
    assert "periods/2026-10/gcp.csv" in problem


def test_a_source_with_no_credit_fund_org_is_named(make_repo) -> None:
    config = CONFIG.replace("hpc: {name: HPC, credit_fund_org: 100200-9200,", "hpc: {name: HPC,")
    wh = warehouse(make_repo({"periods/2026-10/hpc.csv": csv_file(row())}, config=config))
    (problem,) = problems_of(wh)
    assert "sources.hpc.credit_fund_org: missing" in problem


def test_a_source_name_in_another_case_still_gets_its_credit(make_repo) -> None:
    wh = warehouse(make_repo({"periods/2026-10/AWS.csv": csv_file(row(cost="3.00"))}))
    j = make_journal(wh, PERIOD)
    assert [(e.kind, e.source, e.fund_org, e.is_debit) for e in j.entries] == [
        ("charge", "aws", "123456-1234", True),
        ("recovery", "aws", "100100-9100", False),
    ]


def test_an_approved_fund_org_the_regex_cannot_parse_is_named(make_repo) -> None:
    root = make_repo({
        "periods/2026-10/aws.csv": csv_file(row(tag=tagged(fund_org="12-34"))),
        "reviews/2026-10.yaml": """
            - match: {flag: invalid_fund_org}
              action: approve
              reason: the department says it is right
        """,
    })
    (problem,) = problems_of(warehouse(root))
    assert problem.startswith("periods/2026-10/aws.csv: 1 billed charges go to fund/org '12-34'")
    assert "review.fund_org_patterns cannot parse" in problem
    assert "reassign them with set: fund_org in reviews/2026-10.yaml" in problem


def test_the_journal_regex_can_be_stricter_than_the_review_patterns(make_repo) -> None:
    config = CONFIG + "journal: {fund_org_regex: '(?P<fund>1\\d{5})-(?P<orgn>\\d{4})'}\n"
    wh = warehouse(make_repo({"periods/2026-10/aws.csv": csv_file(
        row(tag=tagged(fund_org="223456-1234")),
    )}, config=config))
    (problem,) = problems_of(wh)
    assert "'223456-1234', which journal.fund_org_regex cannot parse" in problem


def test_an_approved_charge_without_fund_org_is_named(make_repo) -> None:
    root = make_repo({
        "periods/2026-10/aws.csv": csv_file(row(tag=tagged(fund_org=None))),
        "reviews/2026-10.yaml": """
            - match: {flag: missing_fund_org}
              action: approve
              reason: approved without a fund, by mistake
        """,
    })
    (problem,) = problems_of(warehouse(root))
    assert "1 billed charges have no fund/org" in problem


def test_an_account_tag_that_fails_the_pattern_is_named(make_repo) -> None:
    config = CONFIG + "journal: {account_pattern: '\\d{4}'}\n"
    wh = warehouse(make_repo({"periods/2026-10/aws.csv": csv_file(
        row(), row(resource="i-2", tag=tagged(account_code="74-10")),
    )}, config=config))
    (problem,) = problems_of(wh)
    assert problem.startswith("periods/2026-10/aws.csv: 1 billed charges are tagged "
                              "account_code '74-10' (first: row 2, charge ")
    assert "does not match journal.account_pattern '\\\\d{4}'" in problem


def test_a_configured_account_that_fails_the_pattern_is_named(make_repo) -> None:
    config = CONFIG.replace('account: "7420"', 'account: "74x"') + (
        "journal: {account_pattern: '\\d{4}', default_account: '1'}\n"
    )
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row())}, config=config)
    assert config_problems(root) == [
        "data/config.yaml: journal.default_account: '1' does not match "
        "journal.account_pattern '\\\\d{4}'",
        "data/config.yaml: sources.hpc.account: '74x' does not match "
        "journal.account_pattern '\\\\d{4}'",
    ]


def test_a_source_with_no_account_and_no_default_is_named(make_repo) -> None:
    config = CONFIG.replace(', account: "7420"', "")
    wh = warehouse(make_repo({"periods/2026-10/hpc.csv": csv_file(
        row(), row(resource="i-2", tag=tagged(account_code="7421")),
    )}, config=config))
    (problem,) = problems_of(wh)
    assert problem == (
        "data/config.yaml: sources.hpc.account: missing, and journal.default_account is not "
        "set; 1 billed charges of hpc in 2026-10 have no account_code tag"
    )


def test_an_unparseable_credit_fund_org_is_named(make_repo) -> None:
    config = CONFIG.replace("credit_fund_org: 100200-9200", "credit_fund_org: RC-OPS")
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row())}, config=config)
    assert config_problems(root) == [
        "data/config.yaml: sources.hpc.credit_fund_org: 'RC-OPS' cannot be parsed by "
        "review.fund_org_patterns"
    ]


def test_no_fund_org_regex_at_all_is_named(make_repo) -> None:
    config = "".join(
        line for line in CONFIG.splitlines(keepends=True) if "fund_org_patterns" not in line
    )
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row())}, config=config)
    (problem,) = config_problems(root)
    assert "journal.fund_org_regex: not set, and review.fund_org_patterns is empty" in problem


def test_every_problem_is_reported_at_once(make_repo) -> None:
    config = CONFIG.replace("hpc: {name: HPC, credit_fund_org: 100200-9200,", "hpc: {name: HPC,")
    config += "journal: {account_pattern: '\\d{4}'}\n"
    wh = warehouse(make_repo({
        "periods/2026-10/hpc.csv": csv_file(row(tag=tagged(account_code="x"))),
        "periods/2026-10/gcp.csv": csv_file(row()),
    }, config=config))
    problems = problems_of(wh)
    assert len(problems) == 3
    assert any("sources.gcp" in p for p in problems)
    assert any("sources.hpc.credit_fund_org" in p for p in problems)
    assert any("account_code 'x'" in p for p in problems)


def test_an_unbalanced_journal_is_refused(make_repo) -> None:
    wh = warehouse(two_sources(make_repo))
    j = make_journal(wh, PERIOD)
    j.entries.pop()  # lose the last recovery entry
    (problem,) = check_balance(j)
    assert str(problem) == (
        "2026-10 journal: does not balance: 5 entries, debits $25.77, credits $18.67; "
        "nothing was written"
    )


def test_a_failing_build_writes_no_journal(make_repo) -> None:
    root = make_repo({
        "periods/2026-09/aws.csv": csv_file(row(period="2026-09")),
        "periods/2026-10/gcp.csv": csv_file(row()),
    })
    with pytest.raises(DataError) as info:
        build.build(load_config(root))
    assert [p.where for p in info.value.problems] == ["data/config.yaml"]
    assert not (root / "build").exists()


def test_check_reports_what_would_stop_a_journal(make_repo) -> None:
    wh = check.check(load_config(make_repo({"periods/2026-10/gcp.csv": csv_file(row())})))
    assert any("sources.gcp" in str(p) for p in wh.problems)


# -- review states -------------------------------------------------------------------------------


def flagged_repo(make_repo, decision: str | None) -> Path:
    """A 10.00 charge, and a 100.00 one flagged by the gpu pattern rule (on SkuId)."""
    files = {"periods/2026-10/aws.csv": (
        HEADER + ",SkuId\n"
        + row(cost="10.00") + ",t3.large\n"
        + row(cost="100.00", resource="i-gpu") + ",p4d.24xlarge\n"
    )}
    if decision:
        files["reviews/2026-10.yaml"] = f"""
            - match: {{flag: "pattern:gpu"}}
              action: {decision}
              reason: checked with the PI
        """
    return make_repo(files)


@pytest.mark.parametrize(("decision", "debits"), [
    (None, "10.00"), ("approve", "110.00"), ("reject", "10.00"),
])
def test_flagged_charges_wait_for_approval_and_rejected_never_come(
    make_repo, decision: str | None, debits: str
) -> None:
    wh = warehouse(flagged_repo(make_repo, decision))
    j = make_journal(wh, PERIOD)
    assert j.debits == j.credits == Decimal(debits)


# -- templates -----------------------------------------------------------------------------------


def test_the_banner_template_renders_a_balanced_dc_feed(make_repo) -> None:
    root = two_sources(make_repo)
    config = root / "data" / "config.yaml"
    config.write_text(config.read_text() + "journal: {template: journal_banner.csv.j2}\n")
    wh = warehouse(root)
    j = make_journal(wh, PERIOD)
    text = render(wh, j, "gl")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(text.splitlines()) == len(rows) + 1 == len(j.entries) + 1
    assert {r["dc"] for r in rows} == {"D", "C"}
    total = {dc: sum(Decimal(r["amount"]) for r in rows if r["dc"] == dc) for dc in "DC"}
    assert total["D"] == total["C"] == Decimal("25.77")
    first = rows[0]
    assert (first["document"], first["sequence"], first["fund"], first["orgn"],
            first["transaction_date"]) == ("OC202610", "1", "123456", "1234", "20261031")
    assert all(len(r["description"]) <= 35 for r in rows)


def test_fund_org_parts_and_descriptions_come_from_the_config(make_repo) -> None:
    config = CONFIG + (
        "journal:\n"
        "  fund_org_regex: '(?P<fund>\\d{6})-(?P<orgn>\\d{2})(?P<program>\\d{2})'\n"
        "  description: '{{ project_id }} {{ program }} {{ pi_name }}'\n"
        "  credit_description: '{{ source | upper }} {{ period }}'\n"
    )
    root = make_repo({
        "periods/2026-10/aws.csv": csv_file(row(cost="2.00")),
        "data/people.yaml": "ada@test.edu: {name: Ada Lovelace}\n",
    }, config=config)
    wh = warehouse(root)
    j = make_journal(wh, PERIOD)
    assert j.part_names == ("fund", "orgn", "program")
    charge, recovery = j.entries
    assert (charge.fund, charge.orgn, charge.program) == ("123456", "12", "34")
    assert charge.description == "p1 34 Ada Lovelace"
    assert recovery.description == "AWS 2026-10"
    header = render(wh, j, "gl").splitlines()[0]
    assert header.startswith("period,reference_id,fund_org,fund,orgn,program,account,")


def test_a_template_can_be_chosen_from_the_repo(make_repo) -> None:
    root = make_repo({
        "periods/2026-10/aws.csv": csv_file(row(cost="2.00")),
        "site_templates/workday.csv.j2": (
            "Ledger,Cost Center,Amount,Memo\n"
            "{% for e in entries %}\n"
            "{{ e.account }},{{ e.fund_org }},{{ e.signed_amount | amount }},{{ e.description }}\n"
            "{% endfor %}\n"
        ),
    }, config=CONFIG + "journal: {template: workday.csv.j2, description: '-{{ project_id }}'}\n")
    wh = warehouse(root)
    assert render(wh, make_journal(wh, PERIOD), "gl") == (
        "Ledger,Cost Center,Amount,Memo\n"
        "7410,123456-1234,2.00,'-p1\n"
        "7410,100100-9100,-2.00,Amazon Web Services 2026-10 recovery\n"
    )


@pytest.mark.parametrize(("journal_config", "expected"), [
    ("{template: ../secrets.txt}", "journal.template: '../secrets.txt': give a file name"),
    ("{template: nope.csv.j2}", "site_templates/nope.csv.j2: no such template"),
    ("{description: '{{ project_id'}", "journal.description: not a valid template"),
    ("{credit_description: '{{ projct }}'}", "journal.credit_description: 'projct' is undefined"),
])
def test_template_problems_are_named(make_repo, journal_config: str, expected: str) -> None:
    root = make_repo({"periods/2026-10/aws.csv": csv_file(row())},
                     config=CONFIG + f"journal: {journal_config}\n")
    with pytest.raises(DataError) as info:  # from the config check, or from the renderer
        wh = loader.load(load_config(root))
        render(wh, make_journal(wh, PERIOD), "gl")
    assert expected in str(info.value)


def test_a_template_error_names_the_template_line(make_repo) -> None:
    root = make_repo({
        "periods/2026-10/aws.csv": csv_file(row()),
        "site_templates/bad.csv.j2": "a,b\n{% for e in entries %}\n{{ e.acount }}\n{% endfor %}\n",
    }, config=CONFIG + "journal: {template: bad.csv.j2}\n")
    wh = warehouse(root)
    with pytest.raises(DataError) as info:
        render(wh, make_journal(wh, PERIOD), "gl")
    (problem,) = info.value.problems
    assert problem.where == "site_templates/bad.csv.j2:3"
    assert "acount" in problem.message


def test_text_cells_are_neutralized_and_amounts_are_not(make_repo) -> None:
    wh = warehouse(make_repo({
        "periods/2026-10/aws.csv": csv_file(
            row(cost="-3.00", service="=HYPERLINK(\"http://evil\")",
                tag=tagged(project_id="+cmd", pi_email="-ada@test.edu")),
        ),
    }))
    j = make_journal(wh, PERIOD)
    gl = gl_rows(wh, j)
    assert gl[0]["project_id"] == "'+cmd" and gl[0]["pi_email"] == "'-ada@test.edu"
    assert gl[0]["credit"] == "3.00"
    (detail,) = csv.DictReader(io.StringIO(render(wh, j, "detail")))
    assert detail["service"] == "'=HYPERLINK(\"http://evil\")"
    assert detail["amount"] == "-3.00" and detail["list_cost"] == "12.00"
    (summary,) = csv.DictReader(io.StringIO(render(wh, j, "summary")))
    assert summary["amount"] == "-3.00" and summary["project_id"] == "'+cmd"


def test_detail_has_one_row_per_statement_line(make_repo) -> None:
    wh = warehouse(two_sources(make_repo))
    rows = list(csv.DictReader(io.StringIO(render(wh, make_journal(wh, PERIOD), "detail"))))
    (lines,) = wh.con.execute("SELECT count(*) FROM statement_lines").fetchone() or (0,)
    assert len(rows) == lines == 4
    p1 = next(r for r in rows if r["project_id"] == "p1" and r["source"] == "aws")
    assert (p1["list_cost"], p1["discount"], p1["subsidy"], p1["amount"], p1["resources"]) == (
        "24.00", "2.00", "6.66", "15.34", "2"
    )


# -- properties over random charges ------------------------------------------------------------

FUNDS = ["123456-1234", "223456-2234"]
SOURCES = [f"src{n}" for n in range(7)]
RANDOM_CONFIG = CONFIG.split("sources:")[0] + "sources:\n" + "".join(
    f"  {name}: {{name: Source {n}, credit_fund_org: 1{n}0100-91{n}0"
    + (f", account: '7{n}00'}}\n" if n else "}\n")  # src0 has no account: the default
    for n, name in enumerate(SOURCES)
) + "journal: {default_account: '7999', account_pattern: '\\d{4}'}\n"

# Few projects and services and two busy sources, so statement lines gather several charges
# and accounts; many half cents, so the parts of a line round differently from the line.
PROJECTS = {"p1": ("ada@test.edu", FUNDS[0]), "p2": ("ada@test.edu", FUNDS[1]),
            "p3": ("bob@test.edu", FUNDS[0])}
charge = st.fixed_dictionaries({
    "source": st.sampled_from(SOURCES[:2] * 3 + SOURCES),
    "project": st.sampled_from(sorted(PROJECTS)),
    "cost": st.one_of(
        st.decimals(min_value=-500, max_value=500, places=4),
        st.decimals(min_value=-5, max_value=5, places=2).map(lambda d: d + Decimal("0.005")),
    ),
    "account": st.sampled_from([None, "7500", "7600"]),
    "service": st.sampled_from(["EC2", "slurm"]),
})


# Each example loads a whole repo (a third of a second), so the examples are few but wide.
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(charges=st.lists(charge, min_size=20, max_size=60))
def test_random_charges_always_balance(tmp_path_factory, charges: list[dict]) -> None:
    root = tmp_path_factory.mktemp("random")
    (root / "data").mkdir()
    (root / "data" / "config.yaml").write_text(RANDOM_CONFIG)
    files: dict[str, list[str]] = defaultdict(list)
    for n, c in enumerate(charges):
        pi, fund = PROJECTS[c["project"]]
        tag = tagged(pi_email=pi, project_id=c["project"], fund_org=fund,
                     account_code=c["account"])
        files[c["source"]].append(row(cost=str(c["cost"]), service=c["service"],
                                      resource=f"r{n}", tag=tag))
    for source, rows in files.items():
        path = root / "periods" / PERIOD / f"{source}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(csv_file(*rows))

    wh = warehouse(root)
    j = make_journal(wh, PERIOD)
    assert j.debits == j.credits
    rows = gl_rows(wh, j)
    assert sum(money(r["debit"]) for r in rows) == sum(money(r["credit"]) for r in rows) \
        == j.debits
    # Each project's charge entries net to its statement total.
    journal_by_project: dict[str, Decimal] = defaultdict(Decimal)
    for e in j.entries:
        if e.kind == "charge":
            journal_by_project[e.project_id or ""] += e.signed_amount
    statement = dict(wh.con.execute(
        "SELECT project_id, sum(charged) FROM statement_lines GROUP BY ALL"
    ).fetchall())
    assert {k: v for k, v in journal_by_project.items() if v} == {
        k: v for k, v in statement.items() if v
    }
    # Each (source, account) recovers exactly what its charge entries charged.
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in j.entries:
        net[e.source, e.account] += e.signed_amount
    assert set(net.values()) <= {Decimal(0)}
    assert {e.account for e in j.entries if e.source == "src0" and e.kind == "recovery"} <= {
        "7999", "7500", "7600"
    }


# -- determinism ---------------------------------------------------------------------------------


def test_the_same_data_builds_the_same_bytes(make_repo) -> None:
    root = two_sources(make_repo)
    cfg = load_config(root)
    build.build(cfg)
    first = {p.name: p.read_bytes() for p in (root / "build" / "journals" / PERIOD).iterdir()}
    # Reorder the input rows: same charges, same journal.
    aws = root / "periods" / PERIOD / "aws.csv"
    header, *rows = aws.read_text().splitlines()
    aws.write_text("\n".join([header, *reversed(rows)]) + "\n")
    build.build(load_config(root))
    second = {p.name: p.read_bytes() for p in (root / "build" / "journals" / PERIOD).iterdir()}
    assert first == second
    assert sorted(first) == ["detail.csv", "gl.csv", "summary.csv"]
    assert oct((root / "build" / "journals" / PERIOD).stat().st_mode & 0o777) != "0o700"


def test_journal_files_get_the_rights_of_any_new_file(make_repo) -> None:
    # Written through a private temporary file, they were left readable by the owner only.
    root = two_sources(make_repo)
    build.build(load_config(root))
    mask = os.umask(0o022)
    os.umask(mask)
    for path in (root / "build" / "journals" / PERIOD).iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path
    assert (root / "build/reconciliation.csv").stat().st_mode & 0o777 == 0o666 & ~mask


# -- the export-journal command ----------------------------------------------------------------


runner = CliRunner()


def test_export_journal_writes_the_gl_and_prints_the_balance(make_repo) -> None:
    root = two_sources(make_repo)
    result = runner.invoke(app, ["export-journal", "-p", PERIOD, "--repo", str(root)])
    assert result.exit_code == 0, result.output
    assert "wrote build/journals/2026-10/gl.csv" in result.output
    assert "6 entries, debits $25.77, credits $25.77" in result.output
    assert (root / "build/journals/2026-10/gl.csv").read_text().startswith("period,")


def test_export_journal_other_formats_to_a_file(make_repo, tmp_path: Path) -> None:
    root = two_sources(make_repo)
    out = tmp_path / "summary.csv"
    result = runner.invoke(
        app, ["export-journal", "-p", PERIOD, "-f", "summary", "-o", str(out), "--repo", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == "period,pi_email,pi_name,project_id,fund_org,amount"
    assert not (root / "build").exists()


def test_export_journal_fails_with_the_cause(make_repo) -> None:
    root = make_repo({"periods/2026-10/gcp.csv": csv_file(row())})
    result = runner.invoke(app, ["export-journal", "-p", PERIOD, "--repo", str(root)])
    assert result.exit_code == 1
    assert "error: data/config.yaml: sources.gcp" in result.output
    assert not (root / "build").exists()


def test_export_journal_of_a_period_that_is_not_there(make_repo) -> None:
    root = two_sources(make_repo)
    result = runner.invoke(app, ["export-journal", "-p", "2026-11", "--repo", str(root)])
    assert result.exit_code == 2
    assert "no period 2026-11 in periods/; the periods are: 2026-10" in result.output
    with pytest.raises(UsageError):
        journal.export(warehouse(root), "2026-11", "gl", None)


def test_build_writes_every_periods_journal(make_repo) -> None:
    root = two_sources(make_repo)
    (root / "periods/2026-09").mkdir()
    (root / "periods/2026-09/aws.csv").write_text(csv_file(row(period="2026-09", cost="1.00")))
    result = runner.invoke(app, ["build", "--repo", str(root)])
    assert result.exit_code == 0, result.output
    assert "wrote build/journals/2026-09/gl.csv" in result.output
    assert "journal 2026-09: 2 entries, debits $1.00, credits $1.00" in result.output
    assert "journal 2026-10: 6 entries, debits $25.77, credits $25.77" in result.output


# -- the demo repo -------------------------------------------------------------------------------

def test_the_demo_journals_balance_and_match_the_statements(demo_repo: Path) -> None:
    """(Each journal's file, byte for byte: tests/test_demo_build.py.) The finalized month is
    derived again from its files, as its journal was when it was frozen."""
    wh = loader.load(load_config(demo_repo), rederive=True)
    assert not wh.problems
    assert wh.periods == ["2026-08", "2026-09", "2026-10"]
    for period in wh.periods:
        j = make_journal(wh, period)
        assert j.debits == j.credits > 0
        net: dict[str, Decimal] = defaultdict(Decimal)
        for e in j.entries:
            if e.kind == "charge":
                net[e.project_id or ""] += e.signed_amount
        statement = dict(wh.con.execute(
            "SELECT project_id, sum(charged) FROM statement_lines WHERE period = ? GROUP BY ALL",
            [period],
        ).fetchall())
        assert {k: v for k, v in net.items() if v} == {k: v for k, v in statement.items() if v}
        # Pending charges are not in it: the debits are exactly the billed statement lines.
        assert sum(net.values()) == sum(statement.values())
    j = make_journal(wh, PERIOD)
    assert j.balance_line() == (
        "49 entries, debits $35,758.25, credits $35,758.25 (4 zero-amount entries left out)"
    )


def test_the_templates_in_the_docs_render_balanced_files(demo_repo: Path) -> None:
    doc = (ROOT / "docs" / "admin" / "journal.md").read_text()
    blocks = [b.split("```")[0].strip("\n") + "\n" for b in doc.split("```jinja\n")[1:]]
    assert len(blocks) == 2  # Workday and PeopleSoft
    wh = warehouse(demo_repo)
    j = make_journal(wh, PERIOD)
    for n, block in enumerate(blocks):
        (demo_repo / "site_templates" / f"doc{n}.csv.j2").write_text(block)
        j.template = f"doc{n}.csv.j2"  # as if journal.template named it
        rows = list(csv.reader(io.StringIO(render(wh, j, "gl"))))[1:]
        assert len(rows) == len(j.entries)
        if n == 0:  # debit and credit columns
            assert sum(money(r[3]) for r in rows) == sum(money(r[4]) for r in rows) == j.debits
        else:  # one signed amount
            assert sum(Decimal(r[5]) for r in rows) == 0
