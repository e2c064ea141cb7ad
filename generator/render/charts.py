"""Charts as geometry that templates draw as inline SVG beside a table of the same numbers:

- ``stacked``: the site's stacked bar charts (``site_templates/site/_bar_chart.md.j2``);
- ``trend``: a statement's 12 months of amount due (``site_templates/_trend.html.j2``);
- ``budget_chart``: spent against a budget, with the forecast at the burn rate
  (``site_templates/_budget.md.j2``, on statements and PI pages).

Amounts and drawing positions are ``Decimal`` (positions to 0.01 or 0.1 of a unit). Negative
amounts (credits) go below the zero line, so a refund is visible rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TypedDict

from generator.common.months import month_start, months_back

# Colours that keep their contrast on Material's light (white) and dark (slate) backgrounds.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 8, 12, 48
HUNDREDTH = Decimal("0.01")


def position(value: Decimal) -> Decimal:
    """A drawing coordinate, to a hundredth of a unit."""
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Bar:
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    color: str
    series: str
    column: str
    amount: Decimal


@dataclass(frozen=True)
class Tick:
    pos: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    values: list[Decimal]


@dataclass(frozen=True)
class Column:
    key: str
    x: Decimal
    total: Decimal


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    width: int
    height: int
    left: int
    right: int
    zero: Decimal
    bars: list[Bar]
    ticks: list[Tick]
    columns: list[Column]
    series: list[Series]


def stacked(chart_id: str, title: str, columns: list[str],
            series: dict[str, list[Decimal]], max_series: int = len(PALETTE)) -> Chart:
    """One bar per column, one segment per series; series past ``max_series`` become "other"."""
    named = list(series.items())
    if len(named) > max_series:
        ranked = sorted(named, key=lambda kv: -sum((abs(v) for v in kv[1]), Decimal(0)))
        keep = {label for label, _ in ranked[: max_series - 1]}
        other = [sum(vals, Decimal(0)) for vals in zip(
            *(values for label, values in named if label not in keep), strict=True)]
        named = [(label, values) for label, values in named if label in keep]
        named.append(("other", other))
    all_series = [Series(label, PALETTE[i % len(PALETTE)], values)
                  for i, (label, values) in enumerate(named)]

    tops = [sum((s.values[i] for s in all_series if s.values[i] > 0), Decimal(0))
            for i in range(len(columns))]
    bottoms = [sum((s.values[i] for s in all_series if s.values[i] < 0), Decimal(0))
               for i in range(len(columns))]
    high, low = max(tops, default=Decimal(0)), min(bottoms, default=Decimal(0))
    step = nice_step((high - low) / 4 or Decimal(1))
    high = (high / step).to_integral_value(ROUND_CEILING) * step if high > 0 else Decimal(0)
    low = (low / step).to_integral_value(ROUND_FLOOR) * step if low < 0 else Decimal(0)
    if high == low:
        high = step
    plot_h = Decimal(HEIGHT - TOP - BOTTOM)

    def y_of(value: Decimal) -> Decimal:
        return position(TOP + (high - value) / (high - low) * plot_h)

    slot = Decimal(WIDTH - LEFT - RIGHT) / max(len(columns), 1)
    bar_w = position(slot * Decimal("0.64"))
    bars: list[Bar] = []
    cols: list[Column] = []
    for i, key in enumerate(columns):
        x = LEFT + slot * i + (slot - bar_w) / 2
        up = down = Decimal(0)
        for s in all_series:
            value = s.values[i]
            if value == 0:
                continue
            if value > 0:
                y0, up = up, up + value
                top, bottom = y_of(up), y_of(y0)
            else:
                y0, down = down, down + value
                top, bottom = y_of(y0), y_of(down)
            bars.append(Bar(position(x), top, bar_w, bottom - top, s.color, s.label, key, value))
        total = sum((s.values[i] for s in all_series), Decimal(0))
        cols.append(Column(key, position(LEFT + slot * i + slot / 2), total))
    steps = int((high - low) / step)
    ticks = [Tick(y_of(low + step * k), low + step * k) for k in range(steps + 1)]
    return Chart(chart_id, title, WIDTH, HEIGHT, LEFT, RIGHT, y_of(Decimal(0)), bars, ticks,
                 cols, all_series)


def nice_step(rough: Decimal) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) at least ``rough``."""
    power = Decimal(10) ** rough.adjusted()
    return next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)


# --- a statement's trend -------------------------------------------------------------------

TREND_MONTHS = 12


class TrendBar(TypedDict):
    period: str
    label: str  # "Oct"
    year: str
    amount: Decimal | None  # None: the repository has no data for that month
    current: bool
    x: str
    y: str
    width: str
    height: str


class Trend(TypedDict):
    bars: list[TrendBar]
    width: int
    height: int
    top: str  # y of the top gridline
    baseline: str  # y of zero
    bottom: str  # y of the lowest gridline
    plot_left: int
    plot_right: int
    maximum: Decimal
    minimum: Decimal


# The trend chart's drawing area, in SVG user units.
CHART_WIDTH, CHART_HEIGHT = 640, 100
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 70, 640, 8, 96


def trend(period: str, amounts_by_period: dict[str, Decimal], loaded: set[str]) -> Trend:
    """The 12 months ending with ``period`` as bar geometry (amount due per month)."""
    months = months_back(period, TREND_MONTHS)
    values = {
        m: amounts_by_period.get(m, Decimal(0)) if m in loaded else None for m in months
    }
    known = [v for v in values.values() if v is not None]
    maximum = max([Decimal(0), *known])
    minimum = min([Decimal(0), *known])
    span = maximum - minimum
    height = Decimal(PLOT_BOTTOM - PLOT_TOP)
    # Zero sits at the bottom, or above the credits; with nothing but zeros, at the bottom.
    baseline = PLOT_TOP + height * maximum / span if span else Decimal(PLOT_BOTTOM)
    slot = Decimal(PLOT_RIGHT - PLOT_LEFT) / TREND_MONTHS
    bars: list[TrendBar] = []
    for i, month in enumerate(months):
        value = values[month]
        size = abs(value) * height / span if value else Decimal(0)  # value ≠ 0: span > 0
        top = baseline - size if value and value > 0 else baseline
        x = PLOT_LEFT + slot * i + slot * Decimal("0.18")
        bars.append({
            "period": month,
            "label": f"{month_start(month):%b}",
            "year": month[:4],
            "amount": value,
            "current": month == period,
            "x": svg_number(x),
            "y": svg_number(top),
            "width": svg_number(slot * Decimal("0.64")),
            "height": svg_number(size),
        })
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "top": svg_number(Decimal(PLOT_TOP)),
        "baseline": svg_number(baseline),
        "bottom": svg_number(Decimal(PLOT_BOTTOM)),
        "plot_left": PLOT_LEFT,
        "plot_right": PLOT_RIGHT,
        "maximum": maximum,
        "minimum": minimum,
    }


def svg_number(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'))}"


# --- a budget: spent against the budget, month by month ----------------------------------

# The budget chart's drawing, in SVG user units: narrower than the trend, beside its figures.
BUDGET_WIDTH, BUDGET_HEIGHT = 400, 134
BUDGET_LEFT, BUDGET_TOP, BUDGET_BOTTOM = 70, 8, 100  # the month labels and a legend below


class BudgetBar(TypedDict):
    period: str
    amount: Decimal  # spent to date (an award), or in the month (monthly)
    kind: str  # spent | forecast (at the burn rate) | before (spent before the records)
    current: bool
    x: str
    y: str
    width: str
    height: str


class MonthLabel(TypedDict):
    period: str
    x: str
    anchor: str  # start | middle | end


class BudgetChart(TypedDict):
    bars: list[BudgetBar]
    labels: list[MonthLabel]
    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: str  # y of zero
    budget: Decimal
    budget_y: str  # y of the budget's line
    bottom: str  # y of the lowest value (below zero when there are credits)
    minimum: Decimal


def budget_chart(months: list[str], period: str, budget: Decimal,
                 bars: dict[str, dict[str, Decimal]]) -> BudgetChart:
    """Bar geometry over ``months`` against the ``budget``'s line: ``bars`` has the amounts
    of each kind (spent, forecast, before) by month; ``period``'s bar is the current one."""
    values = {m: (kind, v) for kind, found in bars.items() for m, v in found.items()}
    amounts = [v for _, v in values.values()]
    maximum = max([Decimal(0), budget, *amounts])
    minimum = min([Decimal(0), *amounts])
    height = Decimal(BUDGET_BOTTOM - BUDGET_TOP)

    def y(value: Decimal) -> Decimal:  # maximum > 0: the budget is above zero
        return BUDGET_TOP + (maximum - value) * height / (maximum - minimum)

    slot = Decimal(BUDGET_WIDTH - BUDGET_LEFT) / len(months)
    drawn: list[BudgetBar] = []
    for i, month in enumerate(months):
        if month not in values:
            continue
        kind, value = values[month]
        top, bottom = y(max(value, Decimal(0))), y(min(value, Decimal(0)))
        drawn.append({"period": month, "amount": value, "kind": kind,
                      "current": month == period,
                      "x": svg_number(BUDGET_LEFT + slot * i + slot * Decimal("0.15")),
                      "y": svg_number(top), "width": svg_number(slot * Decimal("0.7")),
                      "height": svg_number(bottom - top)})
    labels: list[MonthLabel] = [{"period": months[0], "x": str(BUDGET_LEFT), "anchor": "start"}]
    if len(months) > 1:
        labels.append({"period": months[-1], "x": str(BUDGET_WIDTH), "anchor": "end"})
    centre = BUDGET_LEFT + slot * months.index(period) + slot / 2 if period in months else None
    room = Decimal(75)  # a label's width and a gap, about
    if centre is not None and all(abs(centre - Decimal(label["x"])) > room for label in labels):
        labels.append({"period": period, "x": svg_number(centre), "anchor": "middle"})
    return {
        "bars": drawn, "labels": labels, "width": BUDGET_WIDTH, "height": BUDGET_HEIGHT,
        "plot_left": BUDGET_LEFT, "plot_right": BUDGET_WIDTH,
        "baseline": svg_number(y(Decimal(0))), "budget": budget,
        "budget_y": svg_number(y(budget)), "bottom": svg_number(Decimal(BUDGET_BOTTOM)),
        "minimum": minimum,
    }
