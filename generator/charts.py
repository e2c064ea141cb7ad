"""Stacked bar charts for the site, as geometry that ``site_templates/site/_bar_chart.md.j2``
draws as inline SVG beside a table of the same numbers.

Amounts stay ``Decimal`` in the table; only the drawing positions are floats. Negative amounts
(credits) stack below the zero line, so a refund is visible rather than hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

# Colours that keep their contrast on Material's light (white) and dark (slate) backgrounds.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    series: str
    column: str
    amount: Decimal


@dataclass(frozen=True)
class Tick:
    pos: float
    amount: Decimal


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    values: list[Decimal]


@dataclass(frozen=True)
class Column:
    key: str
    x: float
    total: Decimal


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    width: int
    height: int
    left: int
    right: int
    zero: float
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
    high, low = float(max(tops, default=0)), float(min(bottoms, default=0))
    step = nice_step((high - low) / 4 or 1)
    high = math.ceil(high / step) * step if high > 0 else 0.0
    low = math.floor(low / step) * step if low < 0 else 0.0
    if high == low:
        high = step
    plot_h = HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_h, 2)

    slot = (WIDTH - LEFT - RIGHT) / max(len(columns), 1)
    bar_w = round(slot * 0.64, 2)
    bars: list[Bar] = []
    cols: list[Column] = []
    for i, key in enumerate(columns):
        x = LEFT + slot * i + (slot - bar_w) / 2
        up = down = 0.0
        for s in all_series:
            value = s.values[i]
            if value == 0:
                continue
            if value > 0:
                y0, up = up, up + float(value)
                top, bottom = y_of(up), y_of(y0)
            else:
                y0, down = down, down + float(value)
                top, bottom = y_of(y0), y_of(down)
            bars.append(Bar(round(x, 2), top, bar_w, round(bottom - top, 2), s.color, s.label,
                            key, value))
        total = sum((s.values[i] for s in all_series), Decimal(0))
        cols.append(Column(key, round(LEFT + slot * i + slot / 2, 2), total))
    ticks = [Tick(y_of(low + step * k), Decimal(str(round(low + step * k, 6))))
             for k in range(round((high - low) / step) + 1)]
    return Chart(chart_id, title, WIDTH, HEIGHT, LEFT, RIGHT, y_of(0.0), bars, ticks, cols,
                 all_series)


def nice_step(rough: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) at least ``rough``."""
    power = 10 ** math.floor(math.log10(rough))
    for factor in (1, 2, 5, 10):
        if factor * power >= rough:
            return float(factor * power)
    return float(10 * power)
