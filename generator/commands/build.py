"""``build``, ``generate``, ``export-journal`` and ``serve``: run the pipeline over the repo and
write what it produces (statements, journals, reconciliation, site)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from generator.commands.lock import writing_outputs
from generator.commands.output import Output, count
from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_write, shown
from generator.common.money import exact, format_money
from generator.read.config import Config
from generator.render import journal, site
from generator.render.statements import Statement, write_statements
from generator.warehouse import frozen
from generator.warehouse import load as loader


@dataclass
class BuildResult:
    warehouse: loader.Warehouse
    written: list[Path]
    journals: list[journal.Journal] = field(default_factory=list)
    frozen_journals: list[str] = field(default_factory=list)  # copied from frozen records
    statements: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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
    journals = journal.prepare(wh, [p for p in wanted if p not in wh.frozen])
    written = [write_reconciliation(wh, cfg.build_dir / "reconciliation.csv")]
    for j, files in journals:
        written += journal.write(cfg, j.period, files)
    kept = [p for p in wanted if p in wh.frozen]
    for period in kept:  # as exported when finalized
        written += journal.write(cfg, period, frozen.journal_texts(cfg, period))
    statements = write_statements(wh, wanted)
    written += [cfg.build_dir / "statements" / period for period in wanted]
    result = BuildResult(warehouse=wh, written=written, journals=[j for j, _ in journals],
                         frozen_journals=kept, statements=statements, notes=list(wh.notes))
    if periods:
        result.notes.append("site skipped: a full `openchargeback build` writes the site")
    elif site.has_site(cfg):
        written, notes = site.write_site(wh, statements)
        result.written += written
        result.notes += notes
    else:
        result.notes.append("site skipped: no mkdocs.yml in the repo")
    return result


def write_reconciliation(wh: loader.Warehouse, path: Path) -> Path:
    """One row per period: input = billed + pending + rejected, exactly (``*_exact``); and
    what the statements bill, the sum of their lines each rounded to the cent
    (``billed_lines_rounded``), which may differ from ``billed_exact`` by a few cents."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["period", "input_rows", "input_total_exact", "billed_exact", "pending_exact",
         "rejected_exact", "billed_rows", "pending_rows", "rejected_rows",
         "billed_lines_rounded"]
    )
    for r in wh.reconciliation():
        writer.writerow(
            [r["period"], r["input_rows"], exact(r["input_total"]), exact(r["billed"]),
             exact(r["pending"]), exact(r["rejected"]), r["billed_rows"], r["pending_rows"],
             r["rejected_rows"], exact(r["billed_rounded"])]
        )
    atomic_write(path, out.getvalue().encode("utf-8"))
    return path


def describe(result: BuildResult) -> Output:
    cfg = result.warehouse.cfg
    output = Output()
    for path in result.written:
        output.say(f"wrote {shown(cfg.root, path)}")
    for note in result.notes:
        output.warn(f"note: {note}")
    for j in result.journals:
        output.say(f"journal {j.period}: {j.balance_line()}")
    for period in result.frozen_journals:
        output.say(f"journal {period}: as exported when it was finalized")
    output.say(count(len(result.statements), "statement"))
    return output


def generate(cfg: Config, period: str, dry_run: bool = False
             ) -> tuple[loader.Warehouse, list[Statement]]:
    """One period's statements (every period is loaded: the trend and the flags need the
    history)."""
    wh = loader.load(cfg)
    if wh.problems:
        raise DataError(wh.problems)
    return wh, write_statements(wh, [period], dry_run=dry_run)


def describe_statements(cfg: Config, period: str, statements: list[Statement],
                        dry_run: bool) -> Output:
    output = Output()
    verb = "would write" if dry_run else "wrote"
    for s in statements:
        output.say(
            f"{verb} {s.pdf_path.relative_to(cfg.root).with_suffix('')}.{{md,pdf,csv}}  "
            f"{cfg.person_name(s.pi_email)}, {s.project_id or '(no project)'}: "
            f"{format_money(s.total_due, cfg.currency)}"
        )
    if not statements:
        output.say(f"{period}: no billed charges, no statements")
    return output


def export_journal(cfg: Config, period: str, fmt: str, output: Path | None,
                   allow_pending: bool = False) -> Output:
    """One format of a period's journal, written; fails unless debits equal credits, and
    while charges of the period wait for review (unless ``allow_pending``: they are then left
    out). A finalized period's journal is the one exported when it was finalized."""
    with nullcontext() if output else writing_outputs(cfg):  # -o: a file outside build/
        return _export_journal(cfg, period, fmt, output, allow_pending)


def _export_journal(cfg: Config, period: str, fmt: str, output: Path | None,
                    allow_pending: bool) -> Output:
    wh = loader.load(cfg)
    said = Output()
    if period in wh.frozen:
        if wh.problems:
            raise DataError(wh.problems)
        path = output or cfg.build_dir / "journals" / period / f"{fmt}.csv"
        atomic_write(path, frozen.journal_texts(cfg, period)[fmt].encode("utf-8"))
        said.say(f"wrote {shown(cfg.root, path)} (as exported when {period} was finalized)")
        return said
    if not allow_pending:
        pending = [r for r in wh.reconciliation() if r["period"] == period and r["pending_rows"]]
        if pending:
            (r,) = pending
            raise DataError([Problem(
                f"periods/{period}", f"{count(r['pending_rows'], 'charge')} "
                f"({format_money(r['pending'], cfg.currency)}) pending review would be left out "
                f"of the journal; decide them (`openchargeback review list -p {period}`) or "
                "export anyway with --allow-pending")])
    path, j = journal.export(wh, period, fmt, output)
    said.say(f"wrote {shown(cfg.root, path)}")
    said.say(j.balance_line())
    return said


def serve(cfg: Config, dev_addr: str | None) -> Output:
    """Build everything, then become ``mkdocs serve`` on the site (which returns only when
    the server is replaced by a stand-in, as in tests)."""
    site.mkdocs_file(cfg)  # no site to serve: say so before building
    with writing_outputs(cfg):
        build(cfg)
    site.serve(cfg, dev_addr)
    return Output()


def main(cfg: Config, period: list[str] | None) -> Output:
    with writing_outputs(cfg):
        return describe(build(cfg, period))


def generate_main(cfg: Config, period: str, dry_run: bool, send: bool,
                  allow_pending: bool) -> Output:
    """``generate``: one period's statements; with ``send``, emailed as ``send -p`` does."""
    from generator.commands import send as sending

    if dry_run and send:
        raise UsageError("--dry-run writes no statements to attach; preview the emails with "
                         f"`openchargeback send -p {period} --dry-run`")
    with nullcontext() if dry_run else writing_outputs(cfg):  # a dry run writes nothing
        wh, statements = generate(cfg, period, dry_run)
        output = describe_statements(cfg, period, statements, dry_run)
        if send:
            report = sending.deliver(wh, period, statements, allow_pending=allow_pending)
            output.extend(sending.describe(cfg, report))
    return output
