"""Problems are values; one small exception tree carries them to the CLI.

A ``Problem`` names where (``file:line``, or a config key path) and what, with what to do.
Stages collect every problem they find and raise ``DataError`` once with all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Problem(NamedTuple):
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def at(path: object, line: int | None = None) -> str:
    """A location string: ``path`` or ``path:line``."""
    return f"{path}:{line}" if line else str(path)


SCREENFUL = 20  # problems shown for one file; the rest are counted


def screenful(problems: list[Problem], where: str, more: int = 0) -> list[Problem]:
    """The first ``SCREENFUL`` of one file's problems, then ``… and N more like it`` for the
    rest (``more``: problems beyond ``problems`` that were counted, not listed)."""
    hidden = len(problems) - SCREENFUL + more
    if hidden <= 0:
        return problems
    return [*problems[:SCREENFUL], Problem(where, f"… and {hidden:,} more like it")]


class ChargebackError(Exception):
    """Root of every error the CLI reports without a traceback."""

    exit_code = 1


class DataError(ChargebackError):
    """Bad data, config or review decisions; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(ChargebackError):
    """The command was asked for something it cannot do as asked."""

    exit_code = 2
