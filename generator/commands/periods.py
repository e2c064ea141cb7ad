"""``periods close|reopen|finalize``: a period's lifecycle, recorded in periods/YYYY-MM/period.yaml.

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

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from generator.commands.output import Output, Table
from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_write, sha256
from generator.common.git import git, user_name
from generator.common.money import format_money
from generator.common.months import is_period
from generator.common.sql import Scripts
from generator.read.config import Config
from generator.read.layout import file_key, period_record, review_keys
from generator.render import journal, statements
from generator.warehouse import frozen
from generator.warehouse import load as loader
from generator.warehouse.periods import is_frozen, read_period

SQL = Scripts.beside(__file__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write(cfg: Config, period: str, record: dict[str, Any]) -> Path:
    path = period_record(cfg, period)
    text = f"# Period {period}: written by `openchargeback periods`; do not edit by hand.\n"
    text += yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100)
    atomic_write(path, text.encode("utf-8"))
    return path


def _existing(cfg: Config, period: str) -> dict[str, Any]:
    if not is_period(period):
        raise UsageError(f"period {period!r}: write it as YYYY-MM")
    if not (cfg.periods_dir / period).is_dir():
        raise UsageError(f"periods/{period} does not exist; see `openchargeback periods list`")
    return read_period(cfg, period)


def _act(record: dict[str, Any], action: str, by: str, reason: str | None = None,
         note: str | None = None) -> None:
    entry = {"action": action, "by": by, "at": _now()}
    if reason:
        entry["reason"] = reason
    if note and note.strip():
        entry["note"] = note.strip()
    record["history"] = [*(record.get("history") or []), entry]


def close(cfg: Config, period: str, by: str, note: str | None = None) -> Path:
    """open → closed: no new data; reviews may still be decided."""
    record = _existing(cfg, period)
    if record["status"] != "open":
        raise UsageError(f"periods/{period} is {record['status']}; only an open period closes")
    record["status"] = "closed"
    _act(record, "close", by, note=note)
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


def finalize(cfg: Config, period: str, by: str, note: str | None = None) -> Path:
    """closed → finalized: freeze the month (its frozen record, ``warehouse/frozen.py``) and
    record the SHA-256 of every input, review and record file.

    Refused, writing nothing, while the period is not closed, an earlier period is still
    open, a file of the period is not committed to git, a file of it has a problem, or a
    charge waits for review. A period finalized before frozen records were kept is frozen
    as it derives today (and says so in its history).
    """
    record = _existing(cfg, period)
    legacy = record["status"] == "finalized" and not is_frozen(record)
    if record["status"] != "closed" and not legacy:
        raise UsageError(
            f"periods/{period} is {record['status']}; close it first "
            f"(`openchargeback periods close {period}`), then finalize"
            if record["status"] == "open" else f"periods/{period} is already finalized"
        )
    refuse_earlier_open(cfg, period)
    refuse_uncommitted(cfg, period)
    wh = loader.load(cfg)
    own = [
        p for p in wh.problems
        if p.where.startswith((f"periods/{period}/", f"reviews/{period}"))
    ]
    if own:
        raise DataError(own)
    pending = SQL.query(wh.con, "finalize_pending", period=period)[0]["pending"]
    if pending:
        raise DataError(
            [
                Problem(
                    f"periods/{period}",
                    ("1 charge is" if pending == 1 else f"{pending} charges are")
                    + " pending review; approve or reject them "
                    f"(`openchargeback review list -p {period}`) before finalizing",
                )
            ]
        )
    ((_, texts),) = journal.prepare(wh, [period])
    statements.divide(wh, [period])
    files = [f for f in wh.files if f.period == period]
    record["files"] = {file_key(f): sha256(f.path) for f in sorted(files, key=file_key)}
    record["reviews"] = {name: sha256(path) for name, path in review_keys(cfg, period).items()}
    record["frozen"] = frozen.write(wh.con, cfg, period, texts)
    if not legacy:
        record["status"] = "finalized"
        record["finalized_by"] = by
        record["finalized_at"] = _now()
    _act(record, "record" if legacy else "finalize", by, note=note)
    history = record.pop("history")
    record["history"] = history  # keep the story last, after what it led to
    return _write(cfg, period, record)


def refuse_earlier_open(cfg: Config, period: str) -> None:
    """A month is finalized after every month before it is closed: a later correction of an
    earlier month can then never change a finalized one's history."""
    earlier = [p.name for p in sorted(cfg.periods_dir.iterdir())
               if is_period(p.name) and p.name < period and p.is_dir()
               and read_period(cfg, p.name)["status"] == "open"]
    if earlier:
        raise DataError([Problem(f"periods/{p}", f"is still open; close it (`openchargeback "
                                 f"periods close {p}`) before finalizing {period}")
                         for p in earlier])


def refuse_uncommitted(cfg: Config, period: str) -> None:
    """Every file the month is made of (FOCUS files, corrections, review files) must be
    committed to git: the frozen record describes what is in the repository. Outside git
    there is nothing to compare with."""
    inputs = [f"periods/{period}", f"reviews/{period}.yaml", f"reviews/{period}"]
    status = git(cfg.root, "status", "--porcelain", "--untracked-files=all", "--", *inputs)
    if not status:
        return
    own = {f"periods/{period}/{name}" for name in ("period.yaml", "deliveries.yaml")}
    changed = [line[3:] for line in status.splitlines()
               if line[3:] not in own and not line[3:].startswith(f"periods/{period}/frozen/")]
    if changed:
        raise DataError([Problem(name, "is not committed; commit the period's files, then "
                                 "finalize (the frozen record describes what is in git)")
                         for name in changed])


def list_periods(cfg: Config) -> Output:
    """Every period with its status, totals and last change."""
    wh = loader.load(cfg)
    totals = {r["period"]: r for r in wh.reconciliation()}
    table = Table(["period", "status", "charges", "billed", "pending", "rejected",
                   "last change"], kinds={"billed": "amount", "pending": "amount",
                                          "rejected": "amount", "last change": "extra"})
    for p in wh.periods:
        r = totals.get(p, {})
        record = read_period(cfg, p)
        last = (record.get("history") or [{}])[-1]
        note = " ".join(
            str(part) for part in (last.get("action"), last.get("by"), last.get("at")) if part
        )
        if last.get("reason"):
            note += f": {last['reason']}"
        table.rows.append([p, record["status"], str(r.get("input_rows", 0)),
                           *(format_money(r.get(k), cfg.currency)
                             for k in ("billed_rounded", "pending", "rejected")), note])
    output = Output()
    output.table(table)
    return output


def main(cfg: Config, act: str, period: str, by: str | None, reason: str | None = None,
         note: str | None = None) -> Output:
    """``periods close|reopen|finalize``: the act, and the record it wrote."""
    who = by or user_name(cfg.root)
    if act == "reopen":
        path = reopen(cfg, period, reason or "", who)
    else:
        path = (close if act == "close" else finalize)(cfg, period, who, note)
    output = Output()
    done = {"close": "closed", "reopen": "reopened", "finalize": "finalized"}[act]
    output.say(f"{done} {period} → {path.relative_to(cfg.root)}")
    return output
