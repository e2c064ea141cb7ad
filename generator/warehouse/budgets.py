"""Budgets against what was billed: spent to date, remaining, burn rate and a forecast.

Every figure is as of a month (a statement's, or the latest): what the budget's charges
billed from its first month to that one, as sums of rounded statement lines
(``sql/budget_months.sql``), so spent to date is what the statements add up to. A correction
counts in the month it is billed; charges pending review are counted apart, as not yet
billed, and stay out of the forecast.

The burn rate is the average of the last three months (those of the budget's that the
repository has). The forecast is pure Decimal arithmetic on exact sums: with ``S`` billed in
the ``n`` months of the rate and ``R`` remaining, the budget runs out ``ceil(R·n / S)``
months after the month of the figures, and it runs out before the award ends when
``S·L > R·n`` for the ``L`` months left; no division is rounded on the way. Amounts are at
most 10^15 to the currency's minor unit, so every product fits Decimal's 28 digits.

A monthly budget is a budget for each month: spent is the month's, and it "runs out" when
the burn rate is above the month's budget.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from generator.common.months import add_months, months_back, months_from
from generator.common.sql import Scripts, insert
from generator.read.budgets import Budget
from generator.read.config import Config
from generator.warehouse.load import Warehouse

SQL = Scripts.beside(__file__)
RATE_MONTHS = 3
RUNS_OUT = "runs out"  # the alert for a forecast that runs out before the award ends


@dataclass(frozen=True)
class Status:
    """A budget as of a month."""

    budget: Budget
    period: str  # as of this month
    amount: Decimal  # the budget: the award's, or the month's (monthly)
    billed: dict[str, Decimal]  # per month of the budget up to ``period`` that has data
    rate_months: tuple[str, ...]  # the months the burn rate averages (up to 3)
    pending: Decimal = Decimal(0)  # not yet billed: pending review, up to ``period``
    pending_charges: int = 0
    pis: tuple[str, ...] = ()  # who was billed against it (lower case), up to ``period``
    first: str | None = None  # the first month the repository has data for, if later than
    #                           the budget's start (what came before is ``spent_before``)

    @property
    def monthly(self) -> bool:
        return self.budget.monthly is not None

    @property
    def spent(self) -> Decimal:
        """Billed to date: the award's months up to ``period`` (and ``spent_before``); for a
        monthly budget, ``period`` alone."""
        if self.monthly:
            return self.billed.get(self.period, Decimal(0))
        return self.budget.spent_before + sum(self.billed.values(), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.spent

    @property
    def share(self) -> Decimal:
        """Spent, as a fraction of the budget."""
        return self.spent / self.amount

    @property
    def rate_total(self) -> Decimal:
        return sum((self.billed.get(m, Decimal(0)) for m in self.rate_months), Decimal(0))

    @property
    def rate(self) -> Decimal | None:
        """The burn rate, per month (not rounded); None without a month to average."""
        return self.rate_total / len(self.rate_months) if self.rate_months else None

    @property
    def months_left(self) -> int:
        """The award's months after ``period`` (0 for a monthly budget)."""
        return 0 if self.monthly or self.budget.end is None else max(
            months_from(self.period, self.budget.end), 0)

    @property
    def runs_out(self) -> str | None:
        """The month the budget runs out at this rate, when that is within the award (an
        award budget with something left and a rate above zero)."""
        n, total, left = len(self.rate_months), self.rate_total, self.remaining
        if self.monthly or left <= 0 or total <= 0:
            return None
        whole, part = divmod(left * n, total)  # exact: months needed, and what is over
        months = int(whole) + (1 if part else 0)
        return add_months(self.period, months) if months <= self.months_left else None

    @property
    def used_up(self) -> str | None:
        """The month spent to date first reached the budget (an award budget used up)."""
        if self.monthly or self.remaining > 0:
            return None
        total = self.budget.spent_before
        for month in sorted(self.billed):
            total += self.billed[month]
            if total >= self.amount:
                return month
        return self.first or self.budget.start  # spent before the repository's months

    @property
    def short(self) -> bool:
        """At this rate the budget runs out before the award ends; monthly: the rate is
        above the month's budget."""
        n, total = len(self.rate_months), self.rate_total
        if self.monthly:
            return n > 0 and total > self.amount * n
        if self.remaining <= 0:
            return self.months_left > 0
        return n > 0 and total * self.months_left > self.remaining * n

    @property
    def projected(self) -> Decimal | None:
        """At this rate, spent by the award's end (not rounded); None for a monthly budget
        or without a rate."""
        if self.monthly or not self.rate_months:
            return None
        return self.spent + self.rate_total * self.months_left / len(self.rate_months)

    def crossed(self, thresholds: tuple[Decimal, ...], runs_out: bool) -> list[str]:
        """The alerts it has reached: each percentage of the budget spent (``80%``), and
        ``runs out`` when ``short``."""
        found = [percent(t) for t in thresholds if self.spent * 100 >= t * self.amount]
        return found + [RUNS_OUT] if runs_out and self.short else found


def percent(threshold: Decimal) -> str:
    """``80%``, ``12.5%``."""
    text = format(threshold, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def every_budget(cfg: Config) -> list[Budget]:
    """Every budget of the registry: the projects', then the fund/orgs'."""
    return [b for p in cfg.projects.values() for b in p.budgets] + [
        b for f in cfg.fund_orgs.values() for b in f.budgets]


@dataclass
class Budgets:
    """Every budget's billed and pending amounts per month, queried once; ``status`` gives a
    budget as of any month."""

    wh: Warehouse
    budgets: list[Budget] = field(default_factory=list)
    _months: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.budgets = every_budget(self.wh.cfg)
        con = self.wh.con
        SQL.run(con, "budgets_table")
        insert(con, "budgets", [(i, b.owner, b.name, b.start, b.end, list(b.sources))
                                for i, b in enumerate(self.budgets)])
        months: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
            lambda: defaultdict(list))
        for r in SQL.query(con, "budget_months") if self.budgets else []:
            months[r["budget"]][r["period"]].append(r)
        self._months = months

    def active(self, period: str) -> list[Status]:
        """Every budget that ``period`` is a month of, as of ``period``."""
        return [self.status(i, period) for i, b in enumerate(self.budgets) if b.covers(period)]

    def status(self, index: int, period: str) -> Status:
        """Budget ``index`` (of ``budgets``) as of ``period``."""
        budget = self.budgets[index]
        loaded = set(self.wh.periods)
        rows = [r for m, rs in self._months.get(index, {}).items() if m <= period for r in rs]
        billed: dict[str, Decimal] = defaultdict(Decimal)
        for r in rows:
            billed[r["period"]] += r["charged"]
        for month in loaded:  # a month the repository has, with nothing billed: zero
            if budget.covers(month) and month <= period:
                billed.setdefault(month, Decimal(0))
        pending = [r for r in rows if budget.monthly is None or r["period"] == period]
        registry = self.wh.cfg.projects.get(budget.name) if budget.owner == "project" else None
        pis = {r["pi_email"] for r in rows if r["pi_email"] and r["lines"]}
        if registry and registry.pi_email:
            pis.add(registry.pi_email.lower())
        first = min(billed, default=None)
        return Status(
            budget=budget, period=period,
            amount=budget.amount if budget.amount is not None else budget.monthly or Decimal(0),
            billed=dict(sorted(billed.items())),
            rate_months=tuple(m for m in months_back(period, RATE_MONTHS)
                              if m in loaded and budget.covers(m)),
            pending=sum((r["pending"] for r in pending), Decimal(0)),
            pending_charges=sum(r["pending_charges"] for r in pending),
            pis=tuple(sorted(pis)),
            first=first if first and first > (budget.start or first) else None,
        )
