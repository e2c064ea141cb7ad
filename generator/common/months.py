"""Periods are calendar months written ``YYYY-MM``; all month arithmetic lives here."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def is_period(text: str) -> bool:
    """``2026-10`` is a period; ``2026-13``, ``26-10`` and ``2026-1`` are not."""
    return bool(PERIOD.fullmatch(text))


def _index(period: str) -> int:
    year, month = map(int, period.split("-"))
    return year * 12 + month - 1


def _period(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(period: str) -> date:
    """``2026-10`` → 1 October 2026."""
    year, month = map(int, period.split("-"))
    return date(year, month, 1)


def month_end(period: str) -> date:
    """``2026-10`` → 31 October 2026."""
    start = month_start(period)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def next_month(period: str) -> str:
    """``2026-12`` → ``2027-01``."""
    return _period(_index(period) + 1)


def add_months(period: str, count: int) -> str:
    """``2026-11`` plus 3 → ``2027-02`` (a negative count goes back)."""
    return _period(_index(period) + count)


def months_from(first: str, last: str) -> int:
    """How many months ``last`` is after ``first``: ``2026-11`` to ``2027-02`` → 3."""
    return _index(last) - _index(first)


def months_back(period: str, count: int) -> list[str]:
    """The ``count`` months ending with ``period``, oldest first."""
    index = _index(period)
    return [_period(i) for i in range(index - count + 1, index + 1)]


def bounds(period: str) -> tuple[datetime, datetime]:
    """The first moment of the period and of the next one (the end is exclusive)."""
    start = month_start(period)
    end = month_start(next_month(period))
    return datetime(start.year, start.month, 1), datetime(end.year, end.month, 1)
