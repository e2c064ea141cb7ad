"""Budgets: read from the registry with file and line, and the arithmetic of spent to date,
burn rate and forecast on hand-computed fixtures (Decimal throughout)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from conftest import CONFIG, csv_file, row, tags, warehouse

from generator.commands import periods
from generator.commands.correct import correct
from generator.common.errors import DataError
from generator.common.months import months_back
from generator.read.budgets import Budget
from generator.read.config import load_config
from generator.warehouse.budgets import Budgets, Status


def problems(make_repo: Callable[..., Path], files: dict[str, str],
             config: str = CONFIG) -> list[str]:
    root = make_repo(files, config=config)
    with pytest.raises(DataError) as caught:
        load_config(root)
    return [str(p) for p in caught.value.problems]


# --- reading ------------------------------------------------------------------------------


def test_budgets_are_read_exactly(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"data/projects.yaml": """
        p1:
          pi_email: ada@test.edu
          budgets:
            - amount: 250_000.10
              start: 2025-09-15
              end: 2028-08
              sources: [hpc, aws]
            - monthly: 0.1
              start: 2028-09
              sources: [hpc]
        """, "data/fund_orgs.yaml": """
        123456-1234:
          name: NSF AST-2412345
          budgets:
            - {amount: 99999999999999.99, start: 2026-01, end: 2026-12, spent_before: -12.5}
        """})
    cfg = load_config(root)
    award, monthly = cfg.projects["p1"].budgets
    assert award == Budget("project", "p1", "2025-09", "2028-08", amount=D("250000.10"),
                           sources=("aws", "hpc"))
    assert award.where == "data/projects.yaml:4"
    assert monthly.monthly == D("0.1") and monthly.end is None and monthly.covers("2090-01")
    assert not monthly.covers("2028-08")
    grant = cfg.fund_orgs["123456-1234"]
    assert grant.name == "NSF AST-2412345"
    (budget,) = grant.budgets
    assert budget.amount == D("99999999999999.99")
    assert budget.spent_before == D("-12.5")
    assert budget.key == "fund_org:123456-1234:award:2026-01:2026-12:99999999999999.99:"
    assert award.key == "project:p1:award:2025-09:2028-08:250000.1:aws+hpc"


def test_every_problem_with_file_and_line(make_repo: Callable[..., Path]) -> None:
    found = problems(make_repo, {"data/projects.yaml": """
        p1:
          name: X
          naem: typo
          budgets:
            - amount: 1000
              start: 2026-01
              end: 2026-12
              sorces: aws
            - monthly: $2,000
            - amount: 12
              start: 2026-05
              end: 2026-04-30
            - amount: 100
            - amount: 5
              monthly: 5
              start: 2026-01
              end: 2026-02
            - monthly: 1e15
              spent_before: 0.001
              start: 2025-13
              sources: awss
            - amount: 0
              start: 2026-01
              end: 2026-01
            - monthly: 10
              spent_before: 5
        p2:
          budgets: {amount: 5}
        p3:
          end_date: 2027-13-01
        """, "data/fund_orgs.yaml": "ABC: {budgets: []}\n"})
    assert found == [
        "data/projects.yaml:3: p1.naem: unknown key 'naem'; did you mean 'name'? (known: "
        "name, pi_email, fund_org, end_date, department, budgets)",
        "data/projects.yaml:8: p1.budgets[0]: unknown key 'sorces'; did you mean 'sources'? "
        "(known: amount, monthly, start, end, sources, spent_before)",
        "data/projects.yaml:9: p1.budgets[1].monthly: '$2,000' is not a number; write it "
        "without a currency symbol or thousands separators",
        "data/projects.yaml:12: p1.budgets[2].end: 2026-04 is before start 2026-05",
        "data/projects.yaml:13: p1.budgets[3]: an amount for the award period needs start "
        "and end",
        "data/projects.yaml:14: p1.budgets[4]: give amount (for the award period, start to "
        "end) or monthly (per month), not both",
        "data/projects.yaml:18: p1.budgets[5].monthly: 1e15 is out of range (less than 10^15)",
        "data/projects.yaml:19: p1.budgets[5].spent_before: 0.001 has more than 2 decimals "
        "(currency.minor_units)",
        "data/projects.yaml:20: p1.budgets[5].start: '2025-13' is not a date (2025-09-01) or "
        "a month (2025-09)",
        "data/projects.yaml:19: p1.budgets[5].spent_before: only for an amount over an award "
        "period, not a monthly budget",
        "data/projects.yaml:21: p1.budgets[5].sources: 'awss' is not a source of "
        "data/config.yaml (sources: aws, hpc)",
        "data/projects.yaml:22: p1.budgets[6].amount: 0 is not above zero",
        "data/projects.yaml:26: p1.budgets[7].spent_before: only for an amount over an award "
        "period, not a monthly budget",
        "data/projects.yaml:28: p2.budgets: expected a list of budgets, each with amount, "
        "start and end, or monthly",
        "data/projects.yaml:29: p3: month must be in 1..12; fix the date",
        "data/fund_orgs.yaml:1: ABC: matches none of review.fund_org_patterns in "
        "data/config.yaml",
    ]


def test_overlapping_budgets_of_one_owner(make_repo: Callable[..., Path]) -> None:
    found = problems(make_repo, {"data/projects.yaml": """
        p1:
          budgets:
            - {amount: 100, start: 2025-09-01, end: 2026-08-31}
            - {amount: 100, start: 2026-08-16, end: 2027-08-31}
            - {amount: 100, start: 2027-09, end: 2028-08, sources: aws}
            - {amount: 100, start: 2027-09, end: 2028-08, sources: hpc}
            - {monthly: 10, start: 2028-08, sources: [hpc]}
        p2:
          budgets:
            - {amount: 100, start: 2025-09, end: 2026-08}
        """})
    assert found == [
        "data/projects.yaml:4: p1.budgets: 2026-08 to 2027-08 overlaps the budget on line 3 "
        "(2025-09 to 2026-08); a month's charges count toward one budget: change start or "
        "end, or give each budget its own sources",
        "data/projects.yaml:7: p1.budgets: 2028-08 to open-ended, sources hpc overlaps the "
        "budget on line 6 (2027-09 to 2028-08, sources hpc); a month's charges count toward "
        "one budget: change start or end, or give each budget its own sources",
    ]


def test_alert_thresholds_in_config(make_repo: Callable[..., Path]) -> None:
    cfg = load_config(make_repo())
    assert cfg.budget_alerts.thresholds == (D(50), D(80), D(100))
    assert cfg.budget_alerts.runs_out
    custom = CONFIG + "budget_alerts: {thresholds: [90, 75.5], runs_out: false}\n"
    cfg = load_config(make_repo(config=custom))
    assert cfg.budget_alerts.thresholds == (D("75.5"), D(90))
    assert not cfg.budget_alerts.runs_out
    bad = CONFIG + ("budget_alerts: {thresholds: [80, 80, -5], runs_out: sometimes, "
                    "subject: '{{ x', trehsolds: 1}\n")
    assert problems(make_repo, {}, config=bad) == [
        "data/config.yaml: budget_alerts.runs_out: expected bool, got str 'sometimes'",
        "data/config.yaml: budget_alerts.trehsolds: unknown key 'trehsolds'; did you mean "
        "'thresholds'? (known: thresholds, runs_out, subject)",
        "data/config.yaml: budget_alerts.thresholds: give percentages above zero, e.g. "
        "[50, 80, 100]",
        "data/config.yaml: budget_alerts.thresholds: a percentage is given twice; give each "
        "once",
        "data/config.yaml: budget_alerts.subject: not a valid template (unexpected end of "
        "template, expected 'end of print statement'.)",
    ]


# --- the arithmetic, on hand-computed figures -----------------------------------------------


def award(amount: str = "1000.00", start: str = "2026-01", end: str = "2026-12",
          spent_before: str = "0") -> Budget:
    return Budget("project", "p1", start, end, amount=D(amount), spent_before=D(spent_before))


def status(budget: Budget, period: str, billed: dict[str, str]) -> Status:
    """``budget`` as of ``period``, with ``billed`` per month; every month up to ``period``
    loaded, the rate over the last three of the budget's."""
    months = {m: D(v) for m, v in billed.items() if m <= period and budget.covers(m)}
    rate = tuple(m for m in months_back(period, 3) if m in months and budget.covers(m))
    return Status(budget, period, budget.amount or budget.monthly or D(0), months, rate)


def test_forecast_of_an_award_budget() -> None:
    s = status(award(), "2026-04", {"2026-01": "100.00", "2026-02": "150.00",
                                    "2026-03": "50.00", "2026-04": "200.00"})
    assert (s.spent, s.remaining, s.share) == (D("500.00"), D("500.00"), D("0.5"))
    assert s.rate_months == ("2026-02", "2026-03", "2026-04")
    assert s.rate_total == D("400.00")  # 133.33... a month
    # 500.00 left at 400.00 per three months: 3.75 months, so it runs out in the 4th.
    assert s.runs_out == "2026-08"
    assert s.months_left == 8
    assert s.short  # 8 months at 133.33 is 1066.67, more than the 500.00 left
    assert s.projected is not None
    assert s.projected.quantize(D("0.01")) == D("1566.67")
    assert s.used_up is None
    # 50% reached exactly (500.00 of 1000.00): crossed; 80% not.
    assert s.crossed((D(50), D(80), D(100)), runs_out=True) == ["50%", "runs out"]
    assert s.crossed((D(50),), runs_out=False) == ["50%"]
    for value in (s.spent, s.remaining, s.share, s.rate_total, s.rate, s.projected):
        assert isinstance(value, D)


def test_money_that_lasts_exactly_to_the_end_is_not_short() -> None:
    # 600.00 left, 100.00 a month, 6 months after June: spent to the cent in December.
    s = status(award("900.00"), "2026-06", {"2026-04": "100.00", "2026-05": "100.00",
                                            "2026-06": "100.00"})
    assert (s.remaining, s.months_left) == (D("600.00"), 6)
    assert s.runs_out == "2026-12" and not s.short
    assert s.projected == D("900.00")
    # A cent more a month and it runs out in December, before the award's end.
    s = status(award("900.00"), "2026-06", {"2026-04": "100.01", "2026-05": "100.00",
                                            "2026-06": "100.00"})
    assert s.runs_out == "2026-12" and s.short


def test_a_forecast_past_the_award_end_has_no_month() -> None:
    s = status(award("100000.00"), "2026-03", {"2026-01": "10.00", "2026-02": "0.00",
                                               "2026-03": "0.01"})
    assert s.runs_out is None and not s.short
    assert s.rate_total == D("10.01")


def test_no_rate_without_spending_or_with_credits() -> None:
    s = status(award(), "2026-03", {"2026-01": "0", "2026-02": "-40.00", "2026-03": "10.00"})
    assert s.rate_total == D("-30.00")
    assert (s.runs_out, s.short, s.spent) == (None, False, D("-30.00"))
    assert status(award(), "2026-01", {}).rate is None  # no month with data
    assert not status(award(), "2026-01", {}).short


def test_fewer_than_three_months_of_the_budget() -> None:
    s = status(award(start="2026-03"), "2026-04", {"2026-02": "999.00", "2026-03": "100.00",
                                                  "2026-04": "200.00"})
    assert s.rate_months == ("2026-03", "2026-04")  # February is before the budget
    assert s.rate == D("150.00")
    # 700.00 left at 150.00 a month: 4.67 months, so the 5th after April.
    assert s.runs_out == "2026-09"


def test_used_up() -> None:
    s = status(award(spent_before="600.00"), "2026-05",
               {"2026-03": "300.00", "2026-04": "100.00", "2026-05": "50.00"})
    assert (s.spent, s.remaining) == (D("1050.00"), D("-50.00"))
    assert s.used_up == "2026-04"  # 600 + 300 + 100 reaches 1000.00 in April
    assert s.runs_out is None and s.short  # gone, with seven months of award left
    assert s.crossed((D(50), D(80), D(100)), True) == ["50%", "80%", "100%", "runs out"]
    last = status(award(), "2026-12", {"2026-12": "1000.00"})
    assert last.used_up == "2026-12" and not last.short  # the award's last month


def test_monthly_budget() -> None:
    monthly = Budget("fund_org", "123456-1234", "2026-01", None, monthly=D("500.00"))
    s = status(monthly, "2026-03", {"2026-01": "400.00", "2026-02": "600.00",
                                    "2026-03": "450.00"})
    assert (s.spent, s.remaining, s.share) == (D("450.00"), D("50.00"), D("0.9"))
    assert s.rate_total == D("1450.00") and not s.short  # under 3 x 500.00
    assert (s.runs_out, s.used_up, s.projected, s.months_left) == (None, None, None, 0)
    assert s.crossed((D(50), D(80), D(100)), True) == ["50%", "80%"]
    s = status(monthly, "2026-03", {"2026-01": "400.00", "2026-02": "650.01",
                                    "2026-03": "450.00"})
    assert s.short and s.crossed((D(100),), True) == ["runs out"]


def test_exact_at_the_edge_of_the_money_range() -> None:
    # 300,000,000,000,000.00 billed in three months; a cent more than twice that left, with
    # six months to go: 6.0000000000000001 months of money, which a float makes 6.0.
    s = status(award("900000000000000.01", "2026-01", "2026-09"), "2026-03",
               {"2026-01": "100000000000000.00", "2026-02": "100000000000000.00",
                "2026-03": "100000000000000.00"})
    assert s.remaining == D("600000000000000.01")
    assert s.months_left == 6
    assert s.runs_out is None  # the 7th month: after the award's end
    assert not s.short  # a cent is left at the end
    assert s.projected == D("900000000000000.00")


# --- from the warehouse ---------------------------------------------------------------------


def test_spent_is_the_statements_sum_corrections_when_billed_pending_apart(
        make_repo: Callable[..., Path]) -> None:
    def rows(period: str, *more: str) -> str:
        return csv_file(
            row(period, cost="10.004", resource="i-1"),
            row(period, cost="10.004", resource="i-2"),  # one line: 20.008 → 20.01
            row(period, cost="5.00", service="S3", tag=tags("bob@test.edu", "p2")),
            *more)

    root = make_repo({
        "periods/2026-08/aws.csv": rows("2026-08"),
        "periods/2026-09/aws.csv": rows("2026-09"),
        "periods/2026-09/hpc.csv": csv_file(row("2026-09", cost="7.00", service="cpu")),
        "periods/2026-10/aws.csv": rows(
            "2026-10", row("2026-10", cost="9.00", resource="i-9", tag=tags(fund=None))),
        "data/projects.yaml": """
            p1:
              pi_email: ada@test.edu
              budgets:
                - {amount: 100.00, start: 2026-09-01, end: 2027-02-28, sources: aws,
                   spent_before: 1.50}
            """,
        "data/fund_orgs.yaml": """
            123456-1234:
              budgets: [{monthly: 30, start: 2026-08}]
            """,
    })
    cfg = load_config(root)
    for month in ("2026-08", "2026-09"):
        periods.close(cfg, month, "Jane")
        periods.finalize(cfg, month, "Jane")
    wh = warehouse(root)
    (sept,) = wh.con.execute("SELECT charge_id FROM every_charge WHERE period = '2026-09' "
                             "AND resource_id = 'i-1'").fetchone() or ()
    correct(cfg, sept, "-3.00", "Billed twice", "Jane")

    wh = warehouse(root)
    budgets = Budgets(wh)
    project, fund = (budgets.status(i, "2026-10") for i in range(2))
    # p1's aws lines: September 20.01 (HPC's 7.00 is not aws), October 20.01 - 3.00.
    assert project.billed == {"2026-09": D("20.01"), "2026-10": D("17.01")}
    assert project.spent == D("38.52")  # with 1.50 spent before
    assert project.rate_months == ("2026-09", "2026-10")  # August is before the budget
    assert (project.pending, project.pending_charges) == (D("9.00"), 1)  # not in spent
    assert project.pis == ("ada@test.edu",)
    assert project.first is None  # the budget starts with the repository's data
    # Every charge to the fund/org, of every project and source, in its month.
    assert fund.billed == {"2026-08": D("25.01"), "2026-09": D("32.01"), "2026-10": D("22.01")}
    assert (fund.spent, fund.amount) == (D("22.01"), D(30))
    assert fund.pis == ("ada@test.edu", "bob@test.edu")
    assert fund.pending_charges == 0  # the pending charge has no fund/org
    sept_status = budgets.status(0, "2026-09")
    assert sept_status.spent == D("21.51") and sept_status.pending == 0
    assert [s.budget.owner for s in budgets.active("2026-08")] == ["fund_org"]
    assert statement_sum(wh, "2026-10", "p1", "aws") == D("17.01")


def statement_sum(wh: Any, period: str, project: str, source: str) -> D:
    (total,) = wh.con.execute(
        "SELECT sum(charged) FROM statement_lines WHERE period = ? AND project_id = ? "
        "AND source = ?", [period, project, source]).fetchone()
    return D(total)
