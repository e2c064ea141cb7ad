"""Period state: ``open`` → ``closed`` → ``finalized``, read from periods/YYYY-MM/period.yaml.

A finalized period records the SHA-256 of every input file and review file; ``verify``
reports each difference, naming the file. The commands that change a period's state are in
``generator.commands.periods``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.common.errors import DataError, Problem
from generator.common.files import sha256
from generator.read.config import Config
from generator.read.focus import FocusFile
from generator.read.layout import file_key, period_record, review_keys
from generator.read.yamlfile import check_schema, load_yaml

STATUSES = ("open", "closed", "finalized")
SCHEMA: dict[str, Any] = {
    "status": str,
    "finalized_by": str,
    "finalized_at": object,
    "files": {"*": str},
    "reviews": {"*": str},
    "history": [{"action": str, "by": str, "at": object, "reason": str}],
}
FIX = (
    "restore it (`git checkout <commit> -- <file>`) and put changes to a finalized period "
    "in a later open period with `openchargeback correct`"
)


def read_period(cfg: Config, period: str) -> dict[str, Any]:
    """The period's record; a period with no period.yaml is open."""
    path = period_record(cfg, period)
    shown = f"periods/{period}/period.yaml"
    data = (load_yaml(path, shown) if path.is_file() else None) or {}
    if not isinstance(data, dict):
        raise DataError([Problem(shown, "expected a mapping with status:")])
    problems: list[Problem] = []
    data = check_schema(data, SCHEMA, "", problems, shown)
    status = data.get("status", "open")
    if status not in STATUSES:
        problems.append(Problem(shown, f"status {status!r}: use one of {', '.join(STATUSES)}"))
    if status == "finalized" and not isinstance(data.get("files"), dict):
        problems.append(
            Problem(shown, "a finalized period records files: {name: sha256}; finalize it again")
        )
    if problems:
        raise DataError(problems)
    data["status"] = status
    return data


def status(cfg: Config, period: str) -> str:
    return str(read_period(cfg, period)["status"])


def require_open(cfg: Config, period: str, doing: str) -> None:
    """Refuse to change a closed or finalized period."""
    current = status(cfg, period)
    if current != "open":
        hint = (
            "reopen it with `openchargeback periods reopen` and a reason"
            if current == "closed"
            else "put corrections in a later open period with `openchargeback correct`"
        )
        raise DataError([Problem(f"periods/{period}", f"is {current}; cannot {doing}; {hint}")])


def verify(cfg: Config, periods: Iterable[str], files: Iterable[FocusFile]) -> list[Problem]:
    """Every difference between the finalized periods and the hashes they recorded."""
    problems: list[Problem] = []
    by_period: dict[str, list[FocusFile]] = {}
    for f in files:
        by_period.setdefault(f.period, []).append(f)
    for period in periods:
        try:
            record = read_period(cfg, period)
        except DataError as exc:
            problems += exc.problems
            continue
        if record["status"] != "finalized":
            continue
        inputs = {file_key(f): f.path for f in by_period.get(period, [])}
        problems += _compare(
            f"periods/{period}/", record.get("files") or {}, inputs, period
        )
        problems += _compare("", record.get("reviews") or {}, review_keys(cfg, period), period)
    return problems


def _compare(
    prefix: str, recorded: dict[str, str], present: dict[str, Path], period: str
) -> list[Problem]:
    problems = []
    for name in sorted(set(recorded) | set(present)):
        shown = prefix + name
        if name not in present:
            problems.append(
                Problem(shown, f"was removed after period {period} was finalized; {FIX}")
            )
        elif name not in recorded:
            problems.append(Problem(shown, f"was added after period {period} was finalized; {FIX}"))
        elif sha256(present[name]) != recorded[name]:
            problems.append(
                Problem(
                    shown,
                    f"changed after period {period} was finalized (its SHA-256 no longer "
                    f"matches periods/{period}/period.yaml); {FIX}",
                )
            )
    return problems
