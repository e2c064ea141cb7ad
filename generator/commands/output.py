"""What a command says, as values: lines for standard output and standard error, and tables.

A command's core returns its result; a ``describe``-style function beside it turns the result
into an ``Output``, which the command line prints as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.common.errors import Problem
from generator.render.terminal import Table, safe, table_text


@dataclass
class Output:
    """Lines (and tables) in the order they are printed; ``exit_code`` 1 when the command
    did not do all it was asked (the problems are among the lines)."""

    items: list[tuple[bool, str | Table]] = field(default_factory=list)  # (stderr?, item)
    exit_code: int = 0

    def say(self, text: str) -> None:
        """A line for standard output."""
        self.items.append((False, text))

    def warn(self, text: str) -> None:
        """A line for standard error."""
        self.items.append((True, text))

    def table(self, table: Table) -> None:
        self.items.append((False, table))

    def lines(self, width: int) -> list[tuple[bool, str]]:
        """Every line as printed on a terminal ``width`` columns wide: (stderr?, text)."""
        return [(to_err, safe(item) if isinstance(item, str) else table_text(item, width))
                for to_err, item in self.items]

    def extend(self, other: Output) -> None:
        self.items += other.items
        self.exit_code = max(self.exit_code, other.exit_code)


def count(n: int, noun: str) -> str:
    """``1 statement``, ``2 statements``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def problem_lines(problems: list[Problem]) -> Output:
    """Problems as the command line reports them: ``error: where: what`` on standard error,
    a count when there are several, and exit code 1."""
    output = Output(exit_code=1 if problems else 0)
    for problem in problems:
        output.warn(f"error: {problem}")
    if len(problems) > 1:
        output.warn(f"{len(problems)} problems")
    return output
