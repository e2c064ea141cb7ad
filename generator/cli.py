"""The ``openchargeback`` command line: parse options, call one command, print what it returns.

Each command here only declares its options and hands them to ``call``, which imports the
command's module from ``generator.commands`` (so ``--help`` stays instant: DuckDB, WeasyPrint
and MkDocs load only when a command needs them), loads the config, runs it and prints the
``Output`` it returns.
"""

from __future__ import annotations

import importlib
import inspect
import shutil
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from generator.common.errors import ChargebackError, DataError

app = typer.Typer(help="Simple, transparent billing for research computing, kept in git.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)
review_app = typer.Typer(help="Read and write review decisions (reviews/YYYY-MM.yaml).")
periods_app = typer.Typer(help="The period lifecycle: open, closed, finalized.")
convert_app = typer.Typer(help="On-premises usage → FOCUS with rate tables (Slurm, storage).")
app.add_typer(review_app, name="review")
app.add_typer(periods_app, name="periods")
app.add_typer(convert_app, name="convert")


def option(*names: str, **kwargs: Any) -> Any:
    return typer.Option(*names, show_default=False, **kwargs)


Repo = Annotated[Path, option("--repo", help="The billing repository (default: current "
                              "directory).")]
ConfigFile = Annotated[Path | None, option("-c", "--config", help="Another config file.",
                                           dir_okay=False)]
Period = Annotated[str | None, option("-p", "--period", help="The period, YYYY-MM.")]
OnePeriod = Annotated[str, option("-p", "--period", help="The period, YYYY-MM.")]
PeriodArg = Annotated[str, typer.Argument(help="The period, YYYY-MM.", show_default=False)]
Reason = Annotated[str, option("--reason", help="Why (required, for the audit trail).")]
By = Annotated[str | None, option("--by", help="Who acts (default: git user.name).")]
Ids = Annotated[list[str] | None, typer.Argument(help="Charge IDs.", show_default=False)]
AllPending = Annotated[bool, option("--all", help="Every pending charge of the period given "
                                    "with -p.")]
Department = Annotated[str | None, option(
    "--department", help="Record it in reviews/YYYY-MM/<department>.yaml (only that "
    "department's charges; see CODEOWNERS).")]
AllowPending = Annotated[bool, option("--allow-pending", help="Send even though charges of "
                                      "the period are pending review.")]
DryRun = Annotated[bool, option("--dry-run", help="Check only; write nothing.")]


def call(target: str, options: dict[str, Any]) -> None:
    """Run ``generator.commands.MODULE.FUNCTION`` (``target``) with the parsed options it
    takes, and the config loaded from ``repo`` (and ``config_file``) as ``cfg``; print what
    it returns.
    A ChargebackError's problems are printed one per line; the exit code is the error's."""
    from generator.commands.output import problem_lines

    module, _, function = target.partition(".")
    run = getattr(importlib.import_module(f"generator.commands.{module}"), function)
    try:
        if "config_file" in options:
            from generator.read.config import load_config

            options["cfg"] = load_config(options["repo"], options["config_file"])
        wanted = inspect.signature(run).parameters
        output = run(**{k: v for k, v in options.items() if k in wanted})
    except ChargebackError as exc:
        problems = exc.problems if isinstance(exc, DataError) else [str(exc)]
        output = problem_lines(problems)  # type: ignore[arg-type]
        output.exit_code = exc.exit_code
    for to_err, line in output.lines(shutil.get_terminal_size().columns):
        typer.echo(line, err=to_err)
    if output.exit_code:
        raise typer.Exit(output.exit_code)


@app.command()
def ingest(file: Annotated[Path, typer.Argument(help="A FOCUS file: .csv, .csv.gz or .parquet.")],
           source: Annotated[str, option("-s", "--source", help="Source name, e.g. aws.")],
           period: Period = None, dry_run: DryRun = False, repo: Repo = Path("."),
           config_file: ConfigFile = None) -> None:
    """Validate a FOCUS file and place it at periods/YYYY-MM/SOURCE.ext."""
    call("ingest.run", locals())


@app.command()
def check(base: Annotated[str | None, option(
              "--base", help="A git ref or commit: add the billing diff from it to the working "
              "tree (for a pull request, the base branch's commit).")] = None,
          fmt: Annotated[Literal["text", "markdown"], option(
              "--format", "-f", help="text, or markdown for a pull-request comment or a CI job "
              "summary.")] = "text",
          repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Validate config, every period file and every review file; report all problems."""
    call("check.main", locals())


@app.command()
def build(period: Annotated[list[str] | None, option(
              "-p", "--period", help="Only this period's statements and journals "
              "(repeatable); the site needs a full build.")] = None,
          repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Build everything: reconciliation, statements, journals, site."""
    call("build.main", locals())


@app.command("export-journal")
def export_journal(period: OnePeriod, fmt: Annotated[Literal["gl", "detail", "summary"], option(
                       "-f", "--format", help="gl: double entry (the default); detail: "
                       "statement lines; summary: one row per PI, project and fund/org.")] = "gl",
                   output: Annotated[Path | None, option(
                       "-o", "--output", dir_okay=False,
                       help="Write here (default: build/journals/YYYY-MM/FORMAT.csv).")] = None,
                   repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Export a period's general-ledger journal; fails unless debits equal credits."""
    call("build.export_journal", locals())


@app.command()
def generate(period: OnePeriod, dry_run: Annotated[bool, option(
                 "--dry-run", help="Render into a temporary folder; write nothing.")] = False,
             send: Annotated[bool, option("--send", help="Then email each PI their "
                                          "statements, once (as `send -p`).")] = False,
             allow_pending: AllowPending = False, repo: Repo = Path("."),
             config_file: ConfigFile = None) -> None:
    """Statements for one period: Markdown, PDF and CSV per PI and project; with --send,
    emailed to every PI who does not have them yet."""
    call("build.generate_main", locals())


@app.command()
def serve(dev_addr: Annotated[str | None, option(
              "-a", "--dev-addr", help="IP:PORT (default 127.0.0.1:8000).")] = None,
          repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Preview the site locally: build everything, then run `mkdocs serve` on it."""
    call("build.serve", locals())


@review_app.command("list")
def review_list(period: Period = None,
                flag: Annotated[str | None, option("--flag", help="Flag name or glob.")] = None,
                status: Annotated[Literal["pending", "approved", "rejected", "all"], option(
                    "--status", help="Which charges (default: pending).")] = "pending",
                fmt: Annotated[Literal["table", "csv", "json"], option(
                    "--format", "-f", help="table (the default), csv or json.")] = "table",
                repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """List charges with their charge IDs, exact amounts, flags and state."""
    call("review.list_main", locals())


def decision(action: str, doc: str) -> None:
    def command(reason: Reason, ids: Ids = None, by: By = None, all_pending: AllPending = False,
                department: Department = None, period: Period = None, repo: Repo = Path("."),
                config_file: ConfigFile = None) -> None:
        call("review.decide_main", {**locals(), "action": action})

    command.__doc__ = doc
    review_app.command(action)(command)


decision("approve", "Approve flagged charges so they are billed.")
decision("reject", "Reject charges so they are never billed.")


@review_app.command("reassign")
def review_reassign(
    reason: Reason, ids: Ids = None, by: By = None, all_pending: AllPending = False,
    pi_email: Annotated[str | None, option("--pi", help="New PI email.")] = None,
    project_id: Annotated[str | None, option("--project", help="New project.")] = None,
    fund_org: Annotated[str | None, option("--fund-org", help="New fund/org.")] = None,
    department: Department = None, period: Period = None, repo: Repo = Path("."),
    config_file: ConfigFile = None,
) -> None:
    """Bill charges to another PI, project or fund/org."""
    assign = {"pi_email": pi_email, "project_id": project_id, "fund_org": fund_org}
    call("review.decide_main", {
        "action": "reassign", "reason": reason, "ids": ids, "by": by,
        "all_pending": all_pending, "department": department, "period": period, "repo": repo,
        "config_file": config_file, "assign": {k: v for k, v in assign.items() if v}})


@app.command()
def correct(charge_id: Annotated[str, typer.Argument(help="The charge to correct.",
                                                     show_default=False)],
            amount: Annotated[str, option("--amount", help="Amount to bill, signed: -12.50 is "
                                          "a credit.")],
            reason: Reason, period: Annotated[str | None, option(
                "-p", "--period", help="The open period to bill it in (default: the next open "
                "one).")] = None,
            by: By = None, repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Correct a charge of a closed or finalized period with a row in a later open period."""
    call("correct.main", locals())


@app.command()
def init(directory: Annotated[Path, typer.Argument(
        help="A new folder for the billing repository.", show_default=False)]) -> None:
    """Start a new billing repository: config template, docs, workflows, a first commit."""
    call("init.main", locals())


@app.command()
def show(pi_email: Annotated[str, typer.Argument(help="The PI's email.", show_default=False)],
         period: Period = None, repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """A PI's costs in the terminal: per period and project, with discounts and subsidy,
    and the statements emailed to them."""
    call("show.show", locals())


@periods_app.command("list")
def periods_list(repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Every period with its status and totals."""
    call("periods.list_periods", locals())


@app.command()
def send(period: OnePeriod, dry_run: Annotated[bool, option(
             "--dry-run", help="Write the messages to build/emails/YYYY-MM/*.eml; send "
             "nothing.")] = False,
         only: Annotated[list[str] | None, option(
             "--only", help="Only this PI's email (repeatable).")] = None,
         resend: Annotated[bool, option(
             "--resend", help="Also send statements that changed since they were sent, and "
             "unconfirmed messages; with --only, send those PIs again even if unchanged.")
         ] = False,
         allow_pending: AllowPending = False, repo: Repo = Path("."),
         config_file: ConfigFile = None) -> None:
    """Email each PI their statements for a period, once; a rerun sends only what is
    missing (see periods/YYYY-MM/deliveries.yaml)."""
    call("send.main", locals())


@app.command()
def links(period: Period = None, pi: Annotated[str | None, option("--pi", help="Only this PI.")]
          = None, staff: Annotated[bool, option("--staff", help="The staff's link and each "
                                                "department's, not the PIs'.")] = False,
          fmt: Annotated[Literal["csv", "json"], option("-f", "--format", help="csv (the "
                                                        "default) or json.")] = "csv",
          repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Each PI's personal link to their pages on the site (as emailed by `send`)."""
    call("links.main", locals())


def lifecycle(act: str, doc: str) -> None:
    def command(period: PeriodArg, by: By = None, repo: Repo = Path("."),
                config_file: ConfigFile = None) -> None:
        call("periods.main", {**locals(), "act": act})

    command.__doc__ = doc
    periods_app.command(act)(command)


lifecycle("close", "Close a period: no new data (ingest refuses it); reviews may still be "
          "decided.")
lifecycle("finalize", "Finalize a closed period: record the SHA-256 of its input and review "
          "files.")


@periods_app.command("reopen")
def periods_reopen(period: PeriodArg,
                   reason: Annotated[str, option("--reason", help="Why it is reopened "
                                                 "(required).")],
                   by: By = None, repo: Repo = Path("."), config_file: ConfigFile = None) -> None:
    """Reopen a closed period, recording why. A finalized period is never reopened."""
    call("periods.main", {**locals(), "act": "reopen"})


def converter(kind: str, doc: str) -> None:
    def command(file: Annotated[Path, typer.Argument(help="The usage export to convert.")],
                period: OnePeriod, output: Annotated[Path | None, option(
                    "-o", "--output", help="Write here instead of periods/.")] = None,
                skip_bad: Annotated[bool, option("--skip-bad", help="Convert the good lines "
                                                 "and report the bad ones.")] = False,
                repo: Repo = Path(".")) -> None:
        call("convert.convert", {**locals(), "kind": kind})

    command.__doc__ = doc
    convert_app.command(kind)(command)


converter("slurm", "Slurm `sacct --parsable2 --allocations` output → FOCUS, priced by "
          "data/rates/slurm.yaml.")
converter("storage", "A storage usage report (CSV) → FOCUS, priced by data/rates/storage.yaml.")
