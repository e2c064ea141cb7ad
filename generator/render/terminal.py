"""Text for a terminal: tables, and text from data made safe to print.

Control characters (but tab and line feed) are shown escaped (``\\x1b``), never sent raw to a
terminal, where they could move the cursor, retitle the window or hide text
(``common.text``).

A table never cuts an ID or an amount: those columns keep their full width. When the table
is wider than the terminal, text columns wrap (a long word breaks, nothing is left out);
if it still does not fit, the ``extra`` columns are left out, named in a note under the
table; and if even that does not fit, every row is printed as a block of ``column: value``
lines, with every column.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Literal

from generator.common.text import escape_controls

# id: never cut or wrapped; amount: the same, right-aligned; text: may wrap; extra: may wrap,
# and is the first left out of a table that does not fit; below: on lines of its own under
# the row (``name: value``, wrapped), for long values such as raw tags.
Kind = Literal["id", "amount", "text", "extra", "below"]
WHOLE = ("id", "amount")
GAP = 2  # spaces between columns
NARROWEST = 8  # a text column wraps no narrower than this
WORD = 20  # a table whose words up to this long stay whole is tried first
BELOW = "    "  # the indent of the lines under a row


@dataclass
class Table:
    """Rows of text under column names; ``kinds`` marks columns by name (default text)."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    kinds: dict[str, Kind] = field(default_factory=dict)

    def kind(self, column: str) -> Kind:
        return self.kinds.get(column, "text")


def safe(text: str) -> str:
    """``text`` with every control character but tab and line feed escaped."""
    return escape_controls(text)


def table_text(table: Table, width: int) -> str:
    """The table for a terminal ``width`` columns wide: columns when they fit (text
    wrapped, extra columns left out if need be), else one block of lines per row."""
    cells = [[_clean(c) for c in row] for row in table.rows]
    header = [_clean(c) for c in table.columns]
    extras = [i for i, name in enumerate(table.columns) if table.kind(name) == "extra"]
    below = [i for i, name in enumerate(table.columns) if table.kind(name) == "below"]
    # Words whole with every column, then without the last extra columns one by one; then
    # words broken, without the extra columns; then blocks.
    tries = [(WORD, extras[len(extras) - n:] if n else []) for n in range(len(extras) + 1)]
    for words, dropped in [*tries, (0, extras)]:
        shown = [i for i in range(len(header)) if i not in dropped + below]
        widths = _fit(table, header, cells, shown, width, words)
        if widths is not None:
            break
    else:
        return _blocks(table, header, cells, width)
    under = [[f"{header[i]}: {r[i]}" for i in below if r[i]] for r in cells]
    lines = _rows(table, [header[i] for i in shown], [[r[i] for i in shown] for r in cells],
                  widths, [table.columns[i] for i in shown], under, width)
    left_out = [header[i] for i in range(len(header)) if i not in shown + below]
    if left_out:
        lines.append(f"({', '.join(left_out)} left out at this width: see a wider terminal, "
                     "-f csv or -f json)")
    return "\n".join(lines)


def _clean(cell: str) -> str:
    return safe(cell).replace("\t", " ")


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _natural(text: str) -> int:
    return max((len(line) for line in text.split("\n")), default=0)


def _fit(table: Table, header: list[str], cells: list[list[str]], shown: list[int],
         width: int, whole_words: int) -> list[int] | None:
    """Widths of the shown columns within ``width``, or None when they cannot fit with no
    text column narrower than NARROWEST or than its longest word up to ``whole_words``."""
    widths = {}
    wrap: dict[int, tuple[int, int, int]] = {}  # text column: (narrowest, longest word, natural)
    for i in shown:
        texts = [r[i] for r in cells] + [header[i]]
        natural = max(_natural(t) for t in texts)
        if table.kind(table.columns[i]) in WHOLE:
            widths[i] = max([_natural(r[i]) for r in cells] + [_longest_word(header[i])])
        else:
            word = min(max(_longest_word(t) for t in texts), natural)
            wrap[i] = (min(natural, max(NARROWEST, min(word, whole_words))), word, natural)
            widths[i] = natural
    room = width - GAP * (len(shown) - 1) - sum(w for i, w in widths.items() if i not in wrap)
    if sum(natural for *_, natural in wrap.values()) <= room:
        return [widths[i] for i in shown]
    if sum(low for low, *_ in wrap.values()) > room:
        return None
    # Share what is left among the text columns: first so that no word breaks, then each
    # towards its natural width.
    for i, (low, *_) in wrap.items():
        widths[i] = low
    spare = room - sum(low for low, *_ in wrap.values())
    for target in (1, 2):
        while spare > 0:
            wanting = [i for i in wrap if widths[i] < wrap[i][target]]
            if not wanting:
                break
            step = max(spare // len(wanting), 1)
            for i in wanting:
                grow = min(step, wrap[i][target] - widths[i], spare)
                widths[i] += grow
                spare -= grow
    return [widths[i] for i in shown]


def _wrapped(text: str, width: int) -> list[str]:
    lines = []
    for part in text.split("\n"):
        lines += textwrap.wrap(part, width) or [""]
    return lines


def _rows(table: Table, header: list[str], cells: list[list[str]], widths: list[int],
          names: list[str], under: list[list[str]], width: int) -> list[str]:
    right = [table.kind(n) == "amount" for n in names]

    def draw(row: list[str]) -> list[str]:
        parts = [_wrapped(c, w) for c, w in zip(row, widths, strict=True)]
        out = []
        for n in range(max(len(p) for p in parts)):
            texts = [p[n] if n < len(p) else "" for p in parts]
            out.append((" " * GAP).join(
                t.rjust(w) if r else t.ljust(w)
                for t, w, r in zip(texts, widths, right, strict=True)).rstrip())
        return out

    drawn = [draw(r) + [f"{BELOW}{line}" for text in texts
                        for line in _wrapped(text, max(width - len(BELOW), NARROWEST))]
             for r, texts in zip(cells, under, strict=True)]
    spaced = any(len(d) > 1 for d in drawn)  # rows of several lines: a blank line between
    lines = draw(header) + [(" " * GAP).join("─" * w for w in widths)]
    for n, d in enumerate(drawn):
        if spaced and n:
            lines.append("")
        lines += d
    return lines


def _blocks(table: Table, header: list[str], cells: list[list[str]], width: int) -> str:
    """Each row as ``column: value`` lines, a blank line between rows; text values wrap under
    themselves, IDs and amounts never."""
    indent = max((len(h) for h in header), default=0) + 2
    room = max(width - indent, NARROWEST)
    blocks = []
    for row in cells:
        lines = []
        for name, h, value in zip(table.columns, header, row, strict=True):
            parts = [value] if table.kind(name) in WHOLE else _wrapped(value, room)
            lines.append(f"{h + ':':<{indent}}{parts[0]}".rstrip())
            lines += [" " * indent + p for p in parts[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
