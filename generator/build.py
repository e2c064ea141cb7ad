"""``check`` and ``build``: run the pipeline over the repo and write what it produces."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import journal, loader, site
from .config import Config
from .errors import DataError, Problem, UsageError
from .files import atomic_write
from .money import exact
from .statements import Statement, write_statements


@dataclass
class BuildResult:
    warehouse: loader.Warehouse
    written: list[Path]
    journals: list[journal.Journal] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check(cfg: Config, periods: Iterable[str] | None = None) -> loader.Warehouse:
    """Load everything; the warehouse carries every problem found (none means clean).

    A clean load is also checked for what the journals need, so a PR cannot merge a period
    whose journal would not balance.
    """
    wh = loader.load(cfg, periods)
    if not wh.problems:
        wh.problems = journal_problems(wh)
    return wh


def build(cfg: Config, periods: Iterable[str] | None = None) -> BuildResult:
    """Everything the repo produces, into build/. Nothing is written if any input is bad.

    Every period is loaded (trends and cost spikes need the history); with ``periods``
    only their statements and journals are written, and the site waits for a full build.
    """
    wh = loader.load(cfg)
    if wh.problems:
        raise DataError(wh.problems)
    wanted = sorted(set(periods)) if periods else wh.periods
    unknown = [p for p in wanted if p not in wh.periods]
    if unknown:
        raise UsageError(
            f"no such period: {', '.join(unknown)}; see `openchargeback periods list`"
        )
    journals = prepare_journals(wh, wanted)
    written = [write_reconciliation(wh, cfg.build_dir / "reconciliation.csv")]
    for j, files in journals:
        written += journal.write(cfg, j.period, files)
    statements = write_statements(wh, wanted)
    written += [cfg.build_dir / "statements" / period for period in wanted]
    result = BuildResult(warehouse=wh, written=written, journals=[j for j, _ in journals],
                         statements=statements)
    if periods:
        result.notes.append("site skipped: a full `openchargeback build` writes the site")
    elif site.has_site(cfg):
        result.written += site.write_site(wh, statements)
    else:
        result.notes.append("site skipped: no mkdocs.yml in the repo")
    return result


def prepare_journals(
    wh: loader.Warehouse, periods: list[str] | None = None
) -> list[tuple[journal.Journal, dict[str, str]]]:
    """Each period's journal and its rendered files, or every reason one cannot be made."""
    wanted = wh.periods if periods is None else periods
    # The journal settings, read once for every period (and not at all without a period).
    s = journal.settings(wh.cfg) if wanted else None
    prepared, problems = [], []
    for period in wanted:
        try:
            j = journal.make_journal(wh, period, s)
            prepared.append((j, {fmt: journal.render(wh, j, fmt) for fmt in journal.FORMATS}))
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(dict.fromkeys(problems))
    return prepared


def journal_problems(wh: loader.Warehouse) -> list[Problem]:
    """Why a journal could not be made or rendered, for ``check``."""
    try:
        prepare_journals(wh)
    except DataError as exc:
        return exc.problems
    return []


def write_reconciliation(wh: loader.Warehouse, path: Path) -> Path:
    """One row per period: input = billed + pending + rejected, exact."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["period", "input_rows", "input_total", "billed", "pending", "rejected",
         "billed_rows", "pending_rows", "rejected_rows", "billed_rounded"]
    )
    for r in wh.reconciliation():
        writer.writerow(
            [r["period"], r["input_rows"], exact(r["input_total"]), exact(r["billed"]),
             exact(r["pending"]), exact(r["rejected"]), r["billed_rows"], r["pending_rows"],
             r["rejected_rows"], exact(r["billed_rounded"])]
        )
    atomic_write(path, out.getvalue().encode("utf-8"))
    return path
