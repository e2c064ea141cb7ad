"""Stacked bar charts for the site, as geometry that ``site_templates/site/_bar_chart.md.j2``
draws as inline SVG beside a table of the same numbers.

Amounts and drawing positions are ``Decimal`` (positions to 0.01 of a unit). Negative amounts
(credits) stack below the zero line, so a refund is visible rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

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
