"""What a command says, as values: lines for standard output and standard error, and tables.

A command's core returns its result; a ``describe``-style function beside it turns the result
into an ``Output``, which the command line prints as it is.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field

from generator.common.errors import ChargebackError, DataError, Problem
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


def failure(exc: ChargebackError | OSError) -> Output:
    """A command that stopped, as reported: the error's problems and exit code, or the file
    the system would not let it read or write and what to do."""
    if isinstance(exc, OSError):
        return problem_lines([os_problem(exc)])
    problems = exc.problems if isinstance(exc, DataError) else [Problem("", str(exc))]
    output = problem_lines(problems)
    output.exit_code = exc.exit_code
    return output


OS_HINTS = {
    errno.EROFS: "make it writable, or work in a writable copy of the repository",
    errno.EACCES: "check its permissions (and its folder's), or work in a copy you own",
    errno.EPERM: "check its permissions (and its folder's), or work in a copy you own",
    errno.ENOSPC: "free some disk space and run it again",
    errno.EDQUOT: "free some disk space (you are over quota) and run it again",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a file stands where a folder should be; move it away",
    errno.EISDIR: "a folder stands where a file should be; move it away",
}


def os_problem(exc: OSError) -> Problem:
    """``path: read-only file system; make it writable, ...``: one line for an OSError."""
    where = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    hint = OS_HINTS.get(exc.errno or 0)
    what = (exc.strerror or str(exc)).lower()
    return Problem(where, f"{what}; {hint}" if hint else what)


def problem_lines(problems: list[Problem]) -> Output:
    """Problems as the command line reports them: ``error: where: what`` on standard error,
    a count when there are several, and exit code 1."""
    output = Output(exit_code=1 if problems else 0)
    for problem in problems:
        output.warn(f"error: {problem}")
    if len(problems) > 1:
        output.warn(f"{len(problems)} problems")
    return output
