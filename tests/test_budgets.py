"""Budgets: read from the registry with file and line, and the arithmetic of spent to date,
burn rate and forecast on hand-computed fixtures (Decimal throughout)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import CONFIG

from generator.common.errors import DataError
from generator.read.budgets import Budget
from generator.read.config import load_config


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
