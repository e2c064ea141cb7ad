"""The ``openchargeback`` command line: parse options, call one core function, print.

Heavy modules (DuckDB, WeasyPrint, MkDocs) are imported inside the commands that use them,
so ``openchargeback --help`` stays instant.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from .errors import ChargebackError, DataError, Problem, UsageError
from .files import git

app = typer.Typer(
    help="Simple, transparent billing for research computing, kept in git.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
review_app = typer.Typer(help="Read and write review decisions (reviews/YYYY-MM.yaml).")
periods_app = typer.Typer(help="The period lifecycle: open, closed, finalized.")
app.add_typer(review_app, name="review")
app.add_typer(periods_app, name="periods")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Repo = Annotated[
    Path, typer.Option("--repo", help="The billing repository (default: current directory).")
]
ConfigFile = Annotated[
    Path | None, typer.Option("-c", "--config", help="Another config file.", dir_okay=False)
]
Period = Annotated[str | None, typer.Option("-p", "--period", help="The period, YYYY-MM.")]
Periods = Annotated[
    list[str] | None, typer.Option("-p", "--period", help="A period, YYYY-MM (repeatable).")
]

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(fn: F) -> F:
    """Print a ChargebackError's problems, one per line, and exit with its code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ChargebackError as exc:
            problems = exc.problems if isinstance(exc, DataError) else [str(exc)]
            for problem in problems:
                err.print(f"error: {problem}", markup=False)
            if isinstance(exc, DataError) and len(exc.problems) > 1:
                err.print(f"{len(exc.problems)} problems", markup=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def config(repo: Path, config_file: Path | None) -> Any:
    from .config import load_config

    return load_config(repo, config_file)


def reviewer() -> str:
    name = git(Path("."), "config", "user.name")
    return name or os.environ.get("USER") or getpass.getuser()


@app.command()
@reports_errors
def ingest(
    file: Annotated[Path, typer.Argument(help="A FOCUS file: .csv, .csv.gz or .parquet.")],
    source: Annotated[str, typer.Option("-s", "--source", help="Source name, e.g. aws.")],
    period: Period = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; place nothing.")] = False,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Validate a FOCUS file and place it at periods/YYYY-MM/SOURCE.ext."""
    from .ingest import ingest as run
    from .money import exact

    cfg = config(repo, config_file)
    r = run(cfg, file, source, period, dry_run)
    for warning in r.warnings:
        err.print(f"warning: {warning}", markup=False)
    if source not in cfg.sources:
        err.print(f"warning: source {source!r} is not in data/config.yaml sources", markup=False)
    verb = "would replace" if r.dry_run and r.replaced else "would place" if r.dry_run else (
        "replaced" if r.replaced else "placed"
    )
    out.print(f"{verb} {r.target.relative_to(cfg.root)}: {r.rows} rows, total {exact(r.total)}")
    out.print(f"  billed {exact(r.billed)}, pending review {exact(r.pending)}")
    for flag, n in sorted(r.flags.items()):
        out.print(f"  flagged {flag}: {n}")


class CheckFormat(StrEnum):
    text = "text"
    markdown = "markdown"


@app.command()
@reports_errors
def check(
    base: Annotated[
        str | None,
        typer.Option("--base", help="A git ref or commit: add the billing diff from it to the "
                     "working tree (for a pull request, the base branch's commit)."),
    ] = None,
    fmt: Annotated[
        CheckFormat,
        typer.Option("--format", "-f", help="text, or markdown for a pull-request comment or "
                     "a CI job summary."),
    ] = CheckFormat.text,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Validate config, every period file and every review file; report all problems."""
    from .build import check as run
    from .money import exact

    cfg = config(repo, config_file)
    wh = run(cfg)
    diff = None
    if base is not None:
        from .diff import billing_diff

        diff = billing_diff(cfg, wh, base, config_file)
    if fmt is CheckFormat.markdown:
        from .diff import check_tables, render_markdown

        typer.echo(render_markdown(check_tables(cfg, wh), diff, wh.problems,
                                   f"OpenChargeback: {cfg.organization['name']}"))
        if wh.problems:
            raise DataError(wh.problems)
        return
    for r in wh.reconciliation():
        out.print(
            f"{r['period']}: {r['input_rows']} charges, input {exact(r['input_total'])} = "
            f"billed {exact(r['billed'])} + pending {exact(r['pending'])} "
            f"+ rejected {exact(r['rejected'])}"
        )
    for row in wh.query("pending_by_flag"):
        out.print(
            f"  {row['period']} pending review, {row['flag']}: {row['charges']} charges, "
            f"{exact(row['amount'])}"
        )
    if diff is not None:
        from .diff import render_text

        typer.echo("")
        typer.echo(render_text(diff))
    if wh.problems:
        raise DataError(wh.problems)
    out.print("check passed")


@app.command()
@reports_errors
def build(
    period: Periods = None,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Build everything: reconciliation, statements, journals, site."""
    from .build import build as run

    cfg = config(repo, config_file)
    result = run(cfg, period)
    for path in result.written:
        out.print(f"wrote {path.relative_to(cfg.root)}")
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    for journal in result.journals:
        out.print(f"journal {journal.period}: {journal.balance_line()}")
    out.print(f"{len(result.statements)} statements")


class JournalFormat(StrEnum):
    gl = "gl"
    detail = "detail"
    summary = "summary"


@app.command("export-journal")
@reports_errors
def export_journal(
    period: Annotated[str, typer.Option("-p", "--period", help="The period, YYYY-MM.")],
    fmt: Annotated[
        JournalFormat,
        typer.Option("-f", "--format", help="gl: double entry; detail: statement lines; "
                     "summary: one row per PI, project and fund/org."),
    ] = JournalFormat.gl,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", dir_okay=False,
                     help="Write here (default: build/journals/YYYY-MM/FORMAT.csv)."),
    ] = None,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Export a period's general-ledger journal; fails unless debits equal credits."""
    from . import loader
    from .journal import export

    cfg = config(repo, config_file)
    path, journal = export(loader.load(cfg), period, fmt.value, output)
    shown = path.relative_to(cfg.root) if path.is_relative_to(cfg.root) else path
    out.print(f"wrote {shown}", markup=False)
    out.print(journal.balance_line(), markup=False)


@app.command()
@reports_errors
def generate(
    period: Annotated[str, typer.Option("-p", "--period", help="The period, YYYY-MM.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render into a temporary folder; write nothing.")
    ] = False,
    send: Annotated[bool, typer.Option(
        "--send", help="Then email each PI their statements, once (as `send -p`).")
    ] = False,
    allow_pending: Annotated[bool, typer.Option(
        "--allow-pending", help="With --send: send even though charges are pending review.")
    ] = False,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Statements for one period: Markdown, PDF and CSV per PI and project; with --send,
    emailed to every PI who does not have them yet."""
    from . import loader
    from .money import format_money
    from .statements import write_statements

    if dry_run and send:
        raise UsageError("--dry-run writes no statements to attach; preview the emails with "
                         f"`openchargeback send -p {period} --dry-run`")
    cfg = config(repo, config_file)
    wh = loader.load(cfg)  # every period: the trend and the flags need the history
    if wh.problems:
        raise DataError(wh.problems)
    statements = write_statements(wh, [period], dry_run=dry_run)
    verb = "would write" if dry_run else "wrote"
    for s in statements:
        out.print(
            f"{verb} {s.pdf_path.relative_to(cfg.root).with_suffix('')}.{{md,pdf,csv}}  "
            f"{cfg.person_name(s.pi_email)}, {s.project_id or '(no project)'}: "
            f"{format_money(s.total_due, cfg.currency)}",
            markup=False,
        )
    if not statements:
        out.print(f"{period}: no billed charges, no statements")
    if send:
        from .delivery import send as send_statements

        report = send_statements(wh, period, statements, allow_pending=allow_pending)
        print_delivery(cfg, report)
        if not report.ok:
            raise typer.Exit(1)


@app.command()
@reports_errors
def serve(
    dev_addr: Annotated[
        str | None, typer.Option("-a", "--dev-addr", help="IP:PORT (default 127.0.0.1:8000).")
    ] = None,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Preview the site locally: build everything, then run `mkdocs serve` on it."""
    from . import site
    from .build import build as run

    cfg = config(repo, config_file)
    site.mkdocs_file(cfg)  # no site to serve: say so before building
    run(cfg)
    site.serve(cfg, dev_addr)


class Status(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    all = "all"


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@review_app.command("list")
@reports_errors
def review_list(
    period: Period = None,
    flag: Annotated[str | None, typer.Option("--flag", help="Flag name or glob.")] = None,
    status: Annotated[Status, typer.Option("--status")] = Status.pending,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """List charges with their charge IDs, exact amounts, flags and state."""
    from . import loader
    from .money import exact

    cfg = config(repo, config_file)
    wh = loader.load(cfg)  # every period: cost_spike needs the history
    rows = wh.query("review_list", period=period, flag=flag, status=status.value)
    for problem in wh.problems:
        err.print(f"warning: {problem}", markup=False)
    columns = ["charge_id", "period", "source", "pi_email", "project_id", "fund_org",
               "service", "resource", "charged", "list_cost", "flags", "status"]
    if fmt is ListFormat.json:
        data = [{c: exact(r[c]) if c in ("charged", "list_cost") else r[c] for c in columns}
                for r in rows]
        out.print(json.dumps(data, indent=2), markup=False)
    elif fmt is ListFormat.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([exact(r[c]) if c in ("charged", "list_cost") else r[c] or ""
                             for c in columns])
    else:
        table = Table(*columns, show_lines=False)
        for r in rows:
            table.add_row(*[exact(r[c]) if c in ("charged", "list_cost") else str(r[c] or "")
                            for c in columns])
        out.print(table)
        out.print(f"{len(rows)} charges")


def _decide(
    action: str,
    ids: list[str] | None,
    all_pending: bool,
    period: str | None,
    reason: str,
    by: str | None,
    repo: Path,
    config_file: Path | None,
    department: str | None,
    assign: dict[str, str] | None = None,
) -> None:
    from .reviews import decide

    cfg = config(repo, config_file)
    written = decide(cfg, action, ids or [], all_pending, period, reason, by or reviewer(), assign,
                     department)
    for path, count in written.items():
        out.print(f"{action}: {count} charges → {path}")


Ids = Annotated[list[str] | None, typer.Argument(help="Charge IDs.")]
Reason = Annotated[
    str, typer.Option("--reason", help="Why (required, for the audit trail).", show_default=False)
]
By = Annotated[str | None, typer.Option("--by", help="Who acts (default: git user.name).")]
AllPending = Annotated[
    bool, typer.Option("--all", help="Every pending charge of the period given with -p.")
]
Department = Annotated[
    str | None,
    typer.Option("--department", help="Record it in reviews/YYYY-MM/<department>.yaml "
                 "(only that department's charges; see CODEOWNERS)."),
]


@review_app.command("approve")
@reports_errors
def review_approve(
    reason: Reason, ids: Ids = None, by: By = None, all_pending: AllPending = False,
    department: Department = None, period: Period = None, repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Approve flagged charges so they are billed."""
    _decide("approve", ids, all_pending, period, reason, by, repo, config_file, department)


@review_app.command("reject")
@reports_errors
def review_reject(
    reason: Reason, ids: Ids = None, by: By = None, all_pending: AllPending = False,
    department: Department = None, period: Period = None, repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Reject charges so they are never billed."""
    _decide("reject", ids, all_pending, period, reason, by, repo, config_file, department)


@review_app.command("reassign")
@reports_errors
def review_reassign(
    reason: Reason, ids: Ids = None, by: By = None, all_pending: AllPending = False,
    pi_email: Annotated[str | None, typer.Option("--pi", help="New PI email.")] = None,
    project_id: Annotated[str | None, typer.Option("--project", help="New project.")] = None,
    fund_org: Annotated[str | None, typer.Option("--fund-org", help="New fund/org.")] = None,
    department: Department = None, period: Period = None, repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Bill charges to another PI, project or fund/org."""
    assign = {k: v for k, v in
              {"pi_email": pi_email, "project_id": project_id, "fund_org": fund_org}.items() if v}
    _decide("reassign", ids, all_pending, period, reason, by, repo, config_file, department,
            assign)


@app.command()
@reports_errors
def correct(
    charge_id: Annotated[str, typer.Argument(help="The charge to correct.", show_default=False)],
    amount: Annotated[
        str,
        typer.Option("--amount", help="Amount to bill, signed: -12.50 is a credit.",
                     show_default=False),
    ],
    reason: Reason,
    period: Annotated[
        str | None,
        typer.Option("-p", "--period",
                     help="The open period to bill it in (default: the next open one)."),
    ] = None,
    by: By = None,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Correct a charge of a closed or finalized period with a row in a later open period."""
    from .corrections import correct as run
    from .money import exact

    cfg = config(repo, config_file)
    c = run(cfg, charge_id, amount, reason, by or reviewer(), period)
    out.print(
        f"correction of {c.corrects} ({c.corrects_period}, {c.source}): {exact(c.amount)} "
        f"→ {c.path.relative_to(cfg.root)} as charge {c.charge_id}, {c.status}"
    )
    if c.flags:
        out.print(f"  flagged {', '.join(c.flags)}: approve it with "
                  f"`openchargeback review approve {c.charge_id} --reason ...`")


@app.command()
@reports_errors
def init(
    directory: Annotated[Path, typer.Argument(help="A new folder for the billing repository.",
                                              show_default=False)],
) -> None:
    """Start a new billing repository: config template, docs, workflows, a first commit."""
    from .scaffold import init as run

    commit = run(directory)
    out.print(f"created {directory} (git commit {commit[:10]}); next: edit data/config.yaml, "
              "then `openchargeback check`")


@app.command()
@reports_errors
def show(
    pi_email: Annotated[str, typer.Argument(help="The PI's email.")],
    period: Period = None,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """A PI's costs in the terminal: per period and project, with discounts and subsidy,
    and the statements emailed to them."""
    from . import loader
    from .delivery import history
    from .money import format_money

    cfg = config(repo, config_file)
    wh = loader.load(cfg)  # every period: cost_spike needs the history
    email = pi_email.strip().lower()
    rows = wh.query("pi_costs", pi_email=email, period=period)
    pending = wh.query("pi_pending", pi_email=email, period=period)
    if not rows and not pending:
        raise DataError([Problem(email, "no charges for this PI; check the email")])
    money = functools.partial(format_money, currency=cfg.currency)
    out.print(f"{cfg.person_name(email)} <{email}>")
    table = Table("period", "project", "fund/org", "list price", "discount", "subsidy", "due")
    for r in rows:
        table.add_row(r["period"], r["project_id"] or "", r["fund_org"] or "",
                      money(r["list_cost"]), money(r["discount"]), money(r["subsidy"]),
                      money(r["charged"]))
    out.print(table)
    for p in pending:
        out.print(f"{p['period']}: {p['charges']} charges pending review "
                  f"({money(p['amount'])}, not billed)")
    for month, d in history(cfg, email, [period] if period else wh.periods):
        files = ", ".join(Path(f["file"]).name for f in d.statements)
        out.print(f"{month}: email {d.status} {d.sent_at or ''} {d.message_id} ({files})"
                  + (f": {d.error}" if d.error else ""), markup=False)


@periods_app.command("list")
@reports_errors
def periods_list(repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Every period with its status and totals."""
    from . import loader
    from .money import exact
    from .periods import read_period

    cfg = config(repo, config_file)
    wh = loader.load(cfg)
    totals = {r["period"]: r for r in wh.reconciliation()}
    table = Table("period", "status", "charges", "billed", "pending", "rejected", "last change")
    for p in wh.periods:
        r = totals.get(p, {})
        record = read_period(cfg, p)
        last = (record.get("history") or [{}])[-1]
        note = " ".join(
            str(part) for part in (last.get("action"), last.get("by"), last.get("at")) if part
        )
        if last.get("reason"):
            note += f": {last['reason']}"
        table.add_row(p, record["status"], str(r.get("input_rows", 0)), exact(r.get("billed")),
                      exact(r.get("pending")), exact(r.get("rejected")), note)
    out.print(table)


Only = Annotated[
    list[str] | None,
    typer.Option("--only", help="Only this PI's email (repeatable).", show_default=False),
]


@app.command()
@reports_errors
def send(
    period: Annotated[str, typer.Option("-p", "--period", help="The period, YYYY-MM.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Write the messages to build/emails/YYYY-MM/*.eml; send nothing.")
    ] = False,
    only: Only = None,
    resend: Annotated[bool, typer.Option(
        "--resend", help="Also send statements that changed since they were sent, and "
        "unconfirmed messages; with --only, send those PIs again even if unchanged.")
    ] = False,
    allow_pending: Annotated[bool, typer.Option(
        "--allow-pending", help="Send even though charges of the period are pending review.")
    ] = False,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Email each PI their statements for a period, once; a rerun sends only what is
    missing (see periods/YYYY-MM/deliveries.yaml)."""
    from .delivery import run

    cfg = config(repo, config_file)
    report = run(cfg, period, dry_run=dry_run, only=only or (), resend=resend,
                 allow_pending=allow_pending)
    print_delivery(cfg, report)
    if not report.ok:
        raise typer.Exit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def print_delivery(cfg: Any, report: Any) -> None:
    """What a send did: each message sent or failed, what was held back and why."""
    p = report.period
    if report.mode != "smtp":
        why = "dry run" if report.mode == "dry-run" else "no email.smtp.host in the config"
        for mail in report.due:
            if mail.message is not None:
                out.print(f"would send {mail.pi_email} ({mail.state}): "
                          f"{_count(len(mail.files), 'statement')}", markup=False)
        if report.written:
            folder = report.written[0].parent.relative_to(cfg.root)
            out.print(f"{why}: wrote {_count(len(report.written), 'message')} to {folder}/; "
                      "nothing was sent or logged", markup=False)
    for d in report.sent:
        out.print(f"sent {d.recipient}: {_count(len(d.statements), 'statement')}, {d.message_id}",
                  markup=False)
        for address in d.bcc_refused:
            err.print(f"warning: Bcc {address} was refused for {d.recipient}", markup=False)
    for d in report.failed:
        err.print(f"failed {d.recipient}: {d.error}", markup=False)
    for d in report.unconfirmed:
        err.print(
            f"unconfirmed {d.recipient}: {d.error or 'the program stopped while sending'}; "
            f"look for {d.message_id} in the mail server's log: if it was accepted, set its "
            f"status to sent in periods/{p}/deliveries.yaml, otherwise run "
            f"`openchargeback send -p {p} --only {d.recipient} --resend`", markup=False)
    for mail in report.changed:
        sent = mail.previous.sent_at if mail.previous else "?"
        err.print(f"changed {mail.pi_email}: statements differ from those sent {sent}; "
                  f"send them again with --resend", markup=False)
    if report.aborted:
        err.print(f"error: stopped: {report.aborted}", markup=False)
        err.print(f"not attempted: {', '.join(report.not_attempted)}", markup=False)
    counts = [f"{len(report.sent)} sent", f"{len(report.failed)} failed",
              f"{len(report.unconfirmed)} unconfirmed", f"{len(report.changed)} changed",
              f"{len(report.current)} already sent"]
    out.print(f"{p}: " + ", ".join(counts), markup=False)


PeriodArg = Annotated[str, typer.Argument(help="The period, YYYY-MM.", show_default=False)]


@periods_app.command("close")
@reports_errors
def periods_close(
    period: PeriodArg, by: By = None, repo: Repo = Path("."), config_file: ConfigFile = None
) -> None:
    """Close a period: no new data (ingest refuses it); reviews may still be decided."""
    from .periods import close

    cfg = config(repo, config_file)
    path = close(cfg, period, by or reviewer())
    out.print(f"closed {period} → {path.relative_to(cfg.root)}")


@periods_app.command("reopen")
@reports_errors
def periods_reopen(
    period: PeriodArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is reopened (required).", show_default=False)
    ],
    by: By = None,
    repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Reopen a closed period, recording why. A finalized period is never reopened."""
    from .periods import reopen

    cfg = config(repo, config_file)
    path = reopen(cfg, period, reason, by or reviewer())
    out.print(f"reopened {period} → {path.relative_to(cfg.root)}")


@periods_app.command("finalize")
@reports_errors
def periods_finalize(
    period: PeriodArg, by: By = None, repo: Repo = Path("."), config_file: ConfigFile = None
) -> None:
    """Finalize a closed period: record the SHA-256 of its input and review files."""
    from .periods import finalize

    cfg = config(repo, config_file)
    path = finalize(cfg, period, by or reviewer())
    out.print(f"finalized {period} → {path.relative_to(cfg.root)}")


convert_app = typer.Typer(help="On-premises usage → FOCUS with rate tables (Slurm, storage).")
app.add_typer(convert_app, name="convert")

ConvertFile = Annotated[Path, typer.Argument(help="The usage export to convert.")]
ConvertOut = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write here instead of periods/.")
]
SkipBad = Annotated[
    bool, typer.Option("--skip-bad", help="Convert the good lines and report the bad ones.")
]


def _convert(kind: str, file: Path, period: str, output: Path | None, skip_bad: bool,
             repo: Path) -> None:
    from . import convert
    from .money import exact

    run = convert.convert_slurm if kind == "slurm" else convert.convert_storage
    r = run(repo.resolve(), file, period, output, skip_bad)
    for problem in r.skipped:
        err.print(f"skipped: {problem}", markup=False)
    if r.skipped_count > len(r.skipped):
        err.print(f"skipped {r.skipped_count - len(r.skipped)} more bad lines", markup=False)
    out.print(f"wrote {r.output}: {r.rows} rows from {r.lines} lines, list "
              f"{exact(r.list_total)}, billed {exact(r.billed_total)}")
    if r.unmapped:
        out.print("no mapping in data/accounts.yaml: " + ", ".join(r.unmapped))


@convert_app.command("slurm")
@reports_errors
def convert_slurm(
    file: ConvertFile,
    period: Annotated[str, typer.Option("-p", "--period", help="The period, YYYY-MM.")],
    output: ConvertOut = None,
    skip_bad: SkipBad = False,
    repo: Repo = Path("."),
) -> None:
    """Slurm `sacct --parsable2 --allocations` output → FOCUS, priced by data/rates/slurm.yaml."""
    _convert("slurm", file, period, output, skip_bad, repo)


@convert_app.command("storage")
@reports_errors
def convert_storage(
    file: ConvertFile,
    period: Annotated[str, typer.Option("-p", "--period", help="The period, YYYY-MM.")],
    output: ConvertOut = None,
    skip_bad: SkipBad = False,
    repo: Repo = Path("."),
) -> None:
    """A storage usage report (CSV) → FOCUS, priced by data/rates/storage.yaml."""
    _convert("storage", file, period, output, skip_bad, repo)
