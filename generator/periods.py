"""Period lifecycle: ``open`` → ``closed`` → ``finalized``, kept in periods/YYYY-MM/period.yaml.

* ``close`` stops new data (``ingest`` and ``correct`` refuse the period); review goes on.
* ``reopen --reason`` takes a closed period back to open and records why.
* ``finalize`` (from closed, with nothing pending review) records the SHA-256 of every input
  file and review file, who and when. A finalized period never changes: ``check`` fails,
  naming the file, when any of them differs; changes go into a later open period as
  corrections (``openchargeback correct``).

Every act is appended to the record's ``history`` (action, by, at, reason), so the file
tells the period's story and git tells who committed it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from .config import Config, check_schema, load_yaml
from .errors import DataError, Problem, UsageError
from .files import atomic_write, sha256
from .focus import FocusFile

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


def month_start(period: str) -> date:
    """``2026-10`` → 1 October 2026."""
    year, month = map(int, period.split("-"))
    return date(year, month, 1)


def month_end(period: str) -> date:
    """``2026-10`` → 31 October 2026."""
    start = month_start(period)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def months_back(period: str, count: int) -> list[str]:
    """The ``count`` months ending with ``period``, oldest first."""
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def period_file(cfg: Config, period: str) -> Path:
    return cfg.periods_dir / period / "period.yaml"


def read_period(cfg: Config, period: str) -> dict[str, Any]:
    """The period's record; a period with no period.yaml is open."""
    path = period_file(cfg, period)
    data = (load_yaml(path) if path.is_file() else None) or {}
    shown = f"periods/{period}/period.yaml"
    if not isinstance(data, dict):
        raise DataError([Problem(shown, "expected a mapping with status:")])
    problems: list[Problem] = []
    check_schema(data, SCHEMA, "", problems, shown)
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


def file_key(f: FocusFile) -> str:
    """A FOCUS file's name within its period folder: ``aws.csv``, ``corrections/aws.csv``."""
    return f.shown.removeprefix(f"periods/{f.period}/")


def review_keys(cfg: Config, period: str) -> dict[str, Path]:
    """The period's review files by their path from the repo root."""
    from .reviews import review_files

    return {path.relative_to(cfg.root).as_posix(): path for path in review_files(cfg, period)}


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write(cfg: Config, period: str, record: dict[str, Any]) -> Path:
    path = period_file(cfg, period)
    text = f"# Period {period}: written by `openchargeback periods`; do not edit by hand.\n"
    text += yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100)
    atomic_write(path, text.encode("utf-8"))
    return path


def _existing(cfg: Config, period: str) -> dict[str, Any]:
    from .loader import PERIOD

    if not PERIOD.fullmatch(period):
        raise UsageError(f"period {period!r}: write it as YYYY-MM")
    if not (cfg.periods_dir / period).is_dir():
        raise UsageError(f"periods/{period} does not exist; see `openchargeback periods list`")
    return read_period(cfg, period)


def _act(record: dict[str, Any], action: str, by: str, reason: str | None = None) -> None:
    entry = {"action": action, "by": by, "at": _now()}
    if reason:
        entry["reason"] = reason
    record["history"] = [*(record.get("history") or []), entry]


def close(cfg: Config, period: str, by: str) -> Path:
    """open → closed: no new data; reviews may still be decided."""
    record = _existing(cfg, period)
    if record["status"] != "open":
        raise UsageError(f"periods/{period} is {record['status']}; only an open period closes")
    record["status"] = "closed"
    _act(record, "close", by)
    return _write(cfg, period, record)


def reopen(cfg: Config, period: str, reason: str, by: str) -> Path:
    """closed → open, with the reason recorded. A finalized period is never reopened."""
    if not reason.strip():
        raise UsageError("--reason is required; say why the period is reopened")
    record = _existing(cfg, period)
    if record["status"] == "finalized":
        raise UsageError(
            f"periods/{period} is finalized and cannot be reopened; put changes in a later "
            "open period with `openchargeback correct`"
        )
    if record["status"] != "closed":
        raise UsageError(f"periods/{period} is already open")
    record["status"] = "open"
    _act(record, "reopen", by, reason.strip())
    return _write(cfg, period, record)


def finalize(cfg: Config, period: str, by: str) -> Path:
    """closed → finalized: record the SHA-256 of every input and review file."""
    from . import loader

    record = _existing(cfg, period)
    if record["status"] != "closed":
        raise UsageError(
            f"periods/{period} is {record['status']}; close it first "
            f"(`openchargeback periods close {period}`), then finalize"
        )
    wh = loader.load(cfg)
    own = [
        p for p in wh.problems
        if p.where.startswith((f"periods/{period}/", f"reviews/{period}"))
    ]
    if own:
        raise DataError(own)
    (pending,) = wh.con.execute(
        "SELECT count(*) FROM charges WHERE period = ? AND status = 'pending'", [period]
    ).fetchone() or (0,)
    if pending:
        raise DataError(
            [
                Problem(
                    f"periods/{period}",
                    f"{pending} charges are pending review; approve or reject them "
                    f"(`openchargeback review list -p {period}`) before finalizing",
                )
            ]
        )
    files = [f for f in wh.files if f.period == period]
    record["status"] = "finalized"
    record["finalized_by"] = by
    record["finalized_at"] = _now()
    record["files"] = {file_key(f): sha256(f.path) for f in sorted(files, key=file_key)}
    record["reviews"] = {name: sha256(path) for name, path in review_keys(cfg, period).items()}
    _act(record, "finalize", by)
    history = record.pop("history")
    record["history"] = history  # keep the story last, after what it led to
    return _write(cfg, period, record)
