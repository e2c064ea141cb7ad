"""Budgets as people read them: what ``site_templates/_budget.md.j2`` shows on a statement
and on a PI's page, and what a budget alert says.

A ``BudgetView`` is a ``warehouse.budgets.Status`` with its words and its chart: the figures
as of a month, the burn rate to the cent, and the bars of spent (and of the forecast) against
the budget (``charts.budget_chart``): over the whole award for an amount, over the last 12
months for a monthly budget.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TypedDict

from generator.common.money import rounded
from generator.common.months import add_months, months_back, months_from
from generator.read.config import Config
from generator.render.charts import TREND_MONTHS, BudgetChart, budget_chart
from generator.warehouse.budgets import Budgets, Status


class BudgetView(TypedDict):
    key: str  # the budget, as the delivery log names it
    name: str  # the project ID or the fund/org
    label: str  # "project astro-sim", "fund/org 211730-3140 (NSF AST-2412345)"
    sources: list[str]  # the sources whose charges count (names); []: every source
    monthly: bool  # a budget per month, not for an award period
    period: str  # the figures are as of this month
    start: str | None  # the budget's first and last months (None: open-ended)
    end: str | None
    amount: Decimal  # the budget (a monthly budget: the month's)
    spent: Decimal  # to date (a monthly budget: in ``period``); sums of rounded lines
    remaining: Decimal
    share: Decimal  # spent, as a fraction of the budget
    spent_before: Decimal  # included in ``spent``: before the repository's first month
    first: str | None  # the repository's first month, when the budget starts before it
    rate: Decimal | None  # the burn rate per month, to the cent; None: no month to average
    rate_months: list[str]  # the months it averages
    runs_out: str | None  # the month the budget runs out at that rate, within the award
    used_up: str | None  # the month spent to date reached the budget
    short: bool  # at that rate it runs out before the award ends (monthly: over budget)
    projected: Decimal | None  # spent by the award's end at that rate, to the cent
    pending: Decimal  # not yet billed: charges pending review (in no figure above)
    pending_charges: int
    chart: BudgetChart


def view(status: Status, cfg: Config) -> BudgetView:
    """``status`` as a statement and a page show it."""
    b = status.budget
    if b.owner == "project":
        label = f"project {b.name}"
    else:
        name = cfg.fund_orgs[b.name].name if b.name in cfg.fund_orgs else None
        label = f"fund/org {b.name}" + (f" ({name})" if name else "")
    rate = status.rate
    projected = status.projected
    return {
        "key": b.key, "name": b.name, "label": label,
        "sources": [cfg.source(s).name for s in b.sources],
        "monthly": status.monthly, "period": status.period, "start": b.start, "end": b.end,
        "amount": status.amount, "spent": status.spent, "remaining": status.remaining,
        "share": status.share, "spent_before": b.spent_before, "first": status.first,
        "rate": None if rate is None else rounded(rate, cfg.currency),
        "rate_months": list(status.rate_months), "runs_out": status.runs_out,
        "used_up": status.used_up, "short": status.short,
        "projected": None if projected is None else rounded(projected, cfg.currency),
        "pending": status.pending, "pending_charges": status.pending_charges,
        "chart": chart(status, cfg),
    }


def chart(status: Status, cfg: Config) -> BudgetChart:
    """An award budget: spent to date at the end of each month of the award (what was spent
    before the records, at the month before their first), then the forecast at the burn rate
    until the budget runs out or the award ends. A monthly budget: each month's spending,
    the last 12 months."""
    b, period = status.budget, status.period
    if status.monthly:
        months = [m for m in months_back(period, TREND_MONTHS) if b.covers(m)]
        return budget_chart(months, period, status.amount, {"spent": dict(status.billed)})
    assert b.start and b.end
    months = [add_months(b.start, i) for i in range(months_from(b.start, b.end) + 1)]
    before = {add_months(status.first, -1): b.spent_before} if status.first and \
        b.spent_before else {}
    spent, total = {}, b.spent_before
    for month, amount in status.billed.items():
        total += amount
        spent[month] = total
    forecast = {}
    if status.rate_months and status.rate_total > 0 and status.remaining > 0:
        for k in range(1, months_from(period, status.runs_out or b.end) + 1):
            forecast[add_months(period, k)] = rounded(
                status.spent + status.rate_total * k / len(status.rate_months), cfg.currency)
    return budget_chart(months, period, status.amount,
                        {"before": before, "spent": spent, "forecast": forecast})


def for_statement(statuses: list[Status], project_id: str | None,
                  fund_orgs: list[str]) -> list[Status]:
    """The budgets a statement shows: its project's, and those of its fund/orgs."""
    return [s for s in statuses
            if (s.budget.owner, s.budget.name) in {("project", project_id),
                                                   *(("fund_org", f) for f in fund_orgs)}]


def by_pi(budgets: Budgets, period: str | None) -> dict[str, list[BudgetView]]:
    """The budgets each PI (by lower-case email) sees on their page, as of ``period``: those
    of their projects in the registry and those billed to them (a fund/org's, say)."""
    found: dict[str, list[BudgetView]] = defaultdict(list)
    for status in budgets.active(period) if period else []:
        shown = view(status, budgets.wh.cfg)
        for pi in status.pis:
            found[pi].append(shown)
    return found
