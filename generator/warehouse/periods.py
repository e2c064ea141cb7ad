"""Period state: ``open`` → ``closed`` → ``finalized``, read from periods/YYYY-MM/period.yaml.

A finalized period records the SHA-256 of every input file, review file and file of its
frozen record (``frozen/``, see ``frozen.py``); ``verify`` reports each difference, naming
the file. The commands that change a period's state are in ``generator.commands.periods``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from generator.common.errors import DataError, Problem
from generator.common.files import KnownHashes
from generator.read.config import Config
from generator.read.focus import FocusFile
from generator.read.layout import file_key, known_hashes, period_record, review_keys
from generator.read.yamlfile import check_schema, load_yaml
from generator.warehouse import frozen

STATUSES = ("open", "closed", "finalized")
SCHEMA: dict[str, Any] = {
    "status": str,
    "finalized_by": str,
    "finalized_at": object,
    "files": {"*": str},
    "reviews": {"*": str},
    "frozen": {"*": str},
    "history": [{"action": str, "by": str, "at": object, "reason": str, "note": str}],
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


def is_frozen(record: dict[str, Any]) -> bool:
    """A finalized period with its frozen record (one finalized before records were kept is
    derived from its inputs until ``periods finalize`` records it)."""
    return record["status"] == "finalized" and isinstance(record.get("frozen"), dict)


def verify(cfg: Config, periods: Iterable[str], files: Iterable[FocusFile]) -> list[Problem]:
    """Every difference between the finalized periods and the hashes they recorded: input
    files, review files and the files of the frozen record. A file whose stat is as when it
    was last hashed keeps that hash (``KnownHashes``, in ``.cache/``); the others are hashed
    on every core at once (SHA-256 releases the GIL)."""
    problems: list[Problem] = []
    by_period: dict[str, list[FocusFile]] = {}
    for f in files:
        by_period.setdefault(f.period, []).append(f)
    checks: list[tuple[str, str, str | None, Path | None]] = []  # shown, period, sha, path
    for period in periods:
        try:
            record = read_period(cfg, period)
        except DataError as exc:
            problems += exc.problems
            continue
        if record["status"] != "finalized":
            continue
        prefix = f"periods/{period}/"
        inputs = {file_key(f): f.path for f in by_period.get(period, [])}
        checks += _pairs(prefix, record.get("files") or {}, inputs, period)
        checks += _pairs("", record.get("reviews") or {}, review_keys(cfg, period), period)
        if is_frozen(record):
            checks += _pairs(prefix, record["frozen"], frozen.present(cfg, period), period)
    hashes = KnownHashes(known_hashes(cfg))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        found = list(pool.map(lambda c: hashes.sha256(c[3]) if c[2] and c[3] else None, checks))
    hashes.save()
    for (shown, period, expected, path), digest in zip(checks, found, strict=True):
        if path is None:
            problems.append(Problem(shown, f"was removed after period {period} was finalized; "
                                           f"{FIX}"))
        elif expected is None:
            problems.append(Problem(shown, f"was added after period {period} was finalized; "
                                           f"{FIX}"))
        elif digest != expected:
            problems.append(Problem(shown, f"changed after period {period} was finalized (its "
                                           f"SHA-256 no longer matches periods/{period}/"
                                           f"period.yaml); {FIX}"))
    return problems


def _pairs(prefix: str, recorded: dict[str, str], present: dict[str, Path], period: str
           ) -> list[tuple[str, str, str | None, Path | None]]:
    return [(prefix + name, period, recorded.get(name), present.get(name))
            for name in sorted(set(recorded) | set(present))]
