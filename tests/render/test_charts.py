"""Stacked bar charts: geometry proportional to the amounts, credits below zero."""

from __future__ import annotations

from decimal import Decimal as D

from generator.render import charts


def test_segments_stack_and_scale():
    chart = charts.stacked("c", "t", ["2026-09", "2026-10"],
                           {"aws": [D(100), D(300)], "hpc": [D(100), D(0)]})
    assert [c.total for c in chart.columns] == [D(200), D(300)]
    by = {(b.series, b.column): b for b in chart.bars}
    assert ("hpc", "2026-10") not in by  # nothing to draw
    aws, hpc = by[("aws", "2026-09")], by[("hpc", "2026-09")]
    assert abs(aws.height - hpc.height) < 0.02
    assert abs(hpc.y + hpc.height - aws.y) < 0.02  # hpc sits on aws
    assert abs(by[("aws", "2026-10")].height - 3 * aws.height) < 0.02
    assert abs(aws.y + aws.height - chart.zero) < 0.02
    assert chart.ticks[0].amount == 0 and chart.ticks[-1].amount >= 300


def test_credits_go_below_zero():
    chart = charts.stacked("c", "t", ["2026-10"], {"aws": [D(50)], "refund": [D(-20)]})
    refund = next(b for b in chart.bars if b.series == "refund")
    assert abs(refund.y - chart.zero) < 0.02 and refund.height > 0
    assert chart.ticks[0].amount < 0
    assert chart.columns[0].total == D(30)


def test_many_series_fold_into_other():
    series = {f"p{i}": [D(i + 1)] for i in range(15)}
    chart = charts.stacked("c", "t", ["2026-10"], series, max_series=5)
    labels = [s.label for s in chart.series]
    assert labels[-1] == "other" and len(labels) == 5
    assert set(labels[:-1]) == {"p14", "p13", "p12", "p11"}
    assert chart.series[-1].values == [sum(D(i + 1) for i in range(11))]
    assert chart.columns[0].total == sum(D(i + 1) for i in range(15))


def test_empty_and_zero_charts_draw():
    chart = charts.stacked("c", "t", ["2026-10"], {})
    assert chart.bars == [] and chart.columns[0].total == 0
    assert len(chart.ticks) >= 2
