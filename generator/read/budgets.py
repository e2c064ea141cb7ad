"""Budgets: what a project (``data/projects.yaml``) or a fund/org (``data/fund_orgs.yaml``)
has to spend, under its ``budgets:`` key.

A budget is an amount for an award period (``amount``, ``start``, ``end``) or per month
(``monthly``, with an optional ``start`` and ``end``), counting every source's charges or
only those of ``sources``. Billing is by month, so ``start`` and ``end`` are read as the
months they fall in (a date or ``YYYY-MM``): a month's charges count toward at most one
budget of a project or fund/org per source, and two budgets that would share a month are an
error. Every problem names the file and line. Amounts are read from the YAML text itself
(``250000.10`` as written, never through a float).
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import yaml

from generator.common.errors import DataError, Problem, at
from generator.common.months import is_period
from generator.read.yamlfile import construct

KEYS = ("amount", "monthly", "start", "end", "sources", "spent_before")
MAX_AMOUNT = Decimal(10) ** 15  # the money range every entrance keeps (|x| < 10^15)


@dataclass(frozen=True)
class Budget:
    """One budget of a project or fund/org."""

    owner: str  # "project" or "fund_org"
    name: str  # the project ID or the fund/org
    start: str | None  # the first month counted (YYYY-MM); None: a monthly budget, always
    end: str | None  # the last month counted (the award's end); None: open-ended (monthly)
    amount: Decimal | None = None  # for the award period, start to end
    monthly: Decimal | None = None  # per month
    sources: tuple[str, ...] = ()  # only these sources' charges count; (): every source
    spent_before: Decimal = Decimal(0)  # spent before the billing repository's first month
    where: str = field(default="", compare=False, repr=False)  # file:line, for messages

    @property
    def key(self) -> str:
        """What the delivery log calls the budget. A changed amount, period or sources make
        another budget, whose thresholds are alerted again."""
        money = self.amount if self.amount is not None else self.monthly
        assert money is not None
        kind = "award" if self.amount is not None else "monthly"
        text = format(money, "f")
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return ":".join([self.owner, self.name, kind, self.start or "", self.end or "", text,
                         "+".join(self.sources)])

    def covers(self, period: str) -> bool:
        """Whether ``period`` is one of the budget's months."""
        return (self.start or period) <= period <= (self.end or period)


def parse_budgets(owner: str, name: str, node: yaml.Node, where: str, sources: Collection[str],
                  decimals: int, problems: list[Problem]) -> tuple[Budget, ...]:
    """The ``budgets:`` list of one registry entry, checked; each problem with its file and
    line. ``sources``: the config's source keys; ``decimals``: the currency's minor units,
    the most decimals an amount may have (so the arithmetic on budgets is exact within
    Decimal's 28 digits)."""
    reader = _Reader(owner, name, where, sources, decimals, problems)
    if not isinstance(node, yaml.SequenceNode):
        reader.say(node, "", "expected a list of budgets, each with amount, start and end, "
                             "or monthly")
        return ()
    found = [b for i, item in enumerate(node.value) if (b := reader.budget(item, i))]
    for j, later in enumerate(found):
        for earlier in found[:j]:
            if _overlap(earlier, later):
                line = earlier.where.rpartition(":")[2]
                problems.append(Problem(later.where, f"{name}.budgets: {_span(later)} overlaps "
                                        f"the budget on line {line} ({_span(earlier)}); a "
                                        "month's charges count toward one budget: change start "
                                        "or end, or give each budget its own sources"))
    return tuple(found)


@dataclass
class _Reader:
    owner: str
    name: str
    where: str
    sources: Collection[str]
    decimals: int
    problems: list[Problem]

    def say(self, node: yaml.Node, key: str, message: str) -> None:
        self.problems.append(Problem(at(self.where, node.start_mark.line + 1),
                                     f"{self.name}.budgets{key}: {message}"))

    def budget(self, node: yaml.Node, i: int) -> Budget | None:
        """One budget, or None when it has a problem (reported)."""
        before = len(self.problems)
        if not isinstance(node, yaml.MappingNode):
            self.say(node, f"[{i}]", "expected a mapping (amount, start, end; or monthly)")
            return None
        values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in KEYS:
                values[key] = value_node
                continue
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.say(key_node, f"[{i}]", f"unknown key {key!r}{hint} (known: {', '.join(KEYS)})")
        amount, monthly, spent_before = (self.money(values, k, i) for k in
                                         ("amount", "monthly", "spent_before"))
        start, end = self.month(values, "start", i), self.month(values, "end", i)
        if ("amount" in values) == ("monthly" in values):
            both = ", not both" if "amount" in values else ""
            self.say(node, f"[{i}]", "give amount (for the award period, start to end) or "
                                     f"monthly (per month){both}")
        elif "amount" in values and not ("start" in values and "end" in values):
            self.say(node, f"[{i}]", "an amount for the award period needs start and end")
        if "spent_before" in values and "monthly" in values:
            self.say(values["spent_before"], f"[{i}].spent_before",
                     "only for an amount over an award period, not a monthly budget")
        if start and end and end < start:
            self.say(values["end"], f"[{i}].end", f"{end} is before start {start}")
        picked = self.source_keys(values, i)
        if len(self.problems) > before:
            return None
        return Budget(self.owner, self.name, start, end, amount, monthly, picked,
                      spent_before or Decimal(0), where=at(self.where, node.start_mark.line + 1))

    def money(self, values: dict[str, yaml.Node], key: str, i: int) -> Decimal | None:
        """An amount as written: a number under 10^15 to the currency's minor unit; a budget's
        ``amount`` and ``monthly`` above zero."""
        node = values.get(key)
        if node is None:
            return None
        value = None
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:bool":
            with contextlib.suppress(InvalidOperation):
                value = Decimal(str(node.value).replace("_", ""))
        if value is None or not value.is_finite():
            self.say(node, f"[{i}].{key}", f"{node.value!r} is not a number; write it without "
                                           "a currency symbol or thousands separators")
        elif abs(value) >= MAX_AMOUNT:
            self.say(node, f"[{i}].{key}", f"{node.value} is out of range (less than 10^15)")
        elif -int(value.as_tuple().exponent) > self.decimals:
            self.say(node, f"[{i}].{key}", f"{node.value} has more than {self.decimals} "
                                           "decimals (currency.minor_units)")
        elif key != "spent_before" and value <= 0:
            self.say(node, f"[{i}].{key}", f"{node.value} is not above zero")
        else:
            return value
        return None

    def month(self, values: dict[str, yaml.Node], key: str, i: int) -> str | None:
        """A date (``2025-09-01``) or a month (``2025-09``), as its month."""
        node = values.get(key)
        if node is None:
            return None
        try:
            value = construct(node, self.where) if isinstance(node, yaml.ScalarNode) else None
        except (DataError, ValueError):  # a date that is no date, such as 2025-13-01
            value = None
        if isinstance(value, date):
            return f"{value:%Y-%m}"
        if isinstance(value, str) and is_period(value):
            return value
        self.say(node, f"[{i}].{key}", f"{getattr(node, 'value', '')!r} is not a date "
                                       "(2025-09-01) or a month (2025-09)")
        return None

    def source_keys(self, values: dict[str, yaml.Node], i: int) -> tuple[str, ...]:
        """``sources``: one source key or a list, each in the config's ``sources``."""
        node = values.get("sources")
        if node is None:
            return ()
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        keys = []
        for item in items:
            key = item.value if isinstance(item, yaml.ScalarNode) else None
            if key not in self.sources:
                known = ", ".join(self.sources) or "none"
                self.say(item, f"[{i}].sources", f"{key!r} is not a source of data/config.yaml "
                                                 f"(sources: {known})")
            else:
                keys.append(str(key))
        if not keys and not items:
            self.say(node, f"[{i}].sources", "give a source key or a list of them")
        return tuple(sorted(set(keys)))


def _overlap(a: Budget, b: Budget) -> bool:
    """Whether two budgets of one owner share a month and a source."""
    months = (a.start or "") <= (b.end or "9999-12") and (b.start or "") <= (a.end or "9999-12")
    return months and (not a.sources or not b.sources or bool(set(a.sources) & set(b.sources)))


def _span(b: Budget) -> str:
    months = f"{b.start or 'always'} to {b.end or 'open-ended'}"
    return f"{months}, sources {', '.join(b.sources)}" if b.sources else months
