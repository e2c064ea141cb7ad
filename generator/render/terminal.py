"""Text for a terminal: tables, and text from data made safe to print.

Control characters (but tab and line feed) are shown escaped (``\\x1b``), never sent raw to a
terminal, where they could move the cursor, retitle the window or hide text
(``common.text``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from generator.common.text import escape_controls


@dataclass
class Table:
    """Rows of text under column names."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def safe(text: str) -> str:
    """``text`` with every control character but tab and line feed escaped."""
    return escape_controls(text)


def table_text(table: Table, width: int) -> str:
    """The table drawn with box lines for a terminal ``width`` columns wide."""
    from rich.console import Console
    from rich.table import Table as RichTable

    rich = RichTable(*table.columns)
    for row in table.rows:
        rich.add_row(*(safe(cell) for cell in row))
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, soft_wrap=True, color_system=None).print(rich)
    return out.getvalue().removesuffix("\n")
