"""The ``openchargeback`` command line. Each command only declares its options and hands them
to ``call``, which imports its module from ``generator.commands`` (so ``--help`` stays instant),
loads the config, runs it and prints the ``Output`` it returns."""

from __future__ import annotations

import importlib.metadata
import inspect
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

app = typer.Typer(help="Simple, transparent billing for research computing, kept in git.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)
review_app, periods_app, convert_app = (typer.Typer(help=h) for h in (
    "Read and write review decisions (reviews/YYYY-MM.yaml).",
    "The period lifecycle: open, closed, finalized.",
    "On-premises usage → FOCUS with rate tables (Slurm, storage)."))
for name, sub in (("review", review_app), ("periods", periods_app), ("convert", convert_app)):
    app.add_typer(sub, name=name)


def option(*names: str, **kwargs: Any) -> Any:
    return typer.Option(*names, show_default=False, **kwargs)


def version(show: bool) -> None:
    if show:
        typer.echo(f"openchargeback {importlib.metadata.version('openchargeback')}")
        raise typer.Exit()


@app.callback()
def main(_: Annotated[bool, option("--version", callback=version, is_eager=True,
                                   help="Show the version and exit.")] = False) -> None: ...


Repo = Annotated[Path, option("--repo", help="The billing repository (default: current "
                              "directory).")]
ConfigFile = Annotated[Path | None, option("-c", "--config", help="Another config file.",
                                           dir_okay=False)]
Period = Annotated[str | None, option("-p", "--period", help="The period, YYYY-MM.")]
OnePeriod = Annotated[str, option("-p", "--period", help="The period, YYYY-MM.")]
PeriodArg = Annotated[str, typer.Argument(help="The period, YYYY-MM.", show_default=False)]
Reason = Annotated[str, option("--reason", help="Why (required, for the audit trail).")]
By = Annotated[str | None, option("--by", help="Who acts (default: git user.name).")]
Ids = Annotated[list[str] | None, typer.Argument(help="Charge IDs (or their first 6+ "
                                                 "characters).", show_default=False)]
AllPending = Annotated[bool, option("--all", help="Every pending charge of the period given "
                                    "with -p.")]
Department = Annotated[str | None, option("--department", help="Record it in reviews/YYYY-MM/"
                                          "<department>.yaml (that department's charges).")]
AllowPending = Annotated[bool, option("--allow-pending", help="Send even though charges of "
                                      "the period are pending review.")]
DryRun = Annotated[bool, option("--dry-run", help="Check only; write nothing.")]
Format = Annotated[Literal["table", "csv", "json"], option(
    "--format", "-f", help="table (the default), csv or json (exact amounts).")]
Flag = Annotated[str | None, option("--flag", help="Flag name or glob.")]
Text = str | None
F = TypeVar("F", bound=Callable[..., Any])


def call(target: str, options: dict[str, Any]) -> None:
    """Run a command (``generator.commands.dispatch``) and print what it says."""
    from generator.commands.dispatch import run

    output = run(target, options)
    for to_err, line in output.lines(shutil.get_terminal_size().columns):
        typer.echo(line, err=to_err)
    if output.exit_code:
        raise typer.Exit(output.exit_code)


def command(target: str, group: typer.Typer = app, name: str | None = None,
            repo: bool = True, config: bool = True, doc: str | None = None,
            **fixed: Any) -> Callable[[F], F]:
    """Declare a command: the decorated function's parameters, with ``--repo`` and ``-c``,
    are its options; running it hands them (and ``fixed``) to ``call(target, ...)``."""

    def register(fn: F) -> F:
        signature = inspect.signature(fn, eval_str=True)
        params = list(signature.parameters.values())
        params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
                   for n, d, a, wanted in (("repo", Path("."), Repo, repo),
                                           ("config_file", None, ConfigFile, config)) if wanted]

        def run(**options: Any) -> None:
            call(target, {**options, **fixed})

        run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        run.__doc__ = doc or fn.__doc__
        group.command(name or fn.__name__.replace("_", "-"))(run)
        return fn

    return register


@command("ingest.run")
def ingest(file: Annotated[Path, typer.Argument(help="A FOCUS file: .csv, .csv.gz or .parquet.")],
           source: Annotated[Text, option("-s", "--source", help="Source name, e.g. aws; without "
                             "it, the sources' match rules route each row.")] = None,
           period: Annotated[Text, option("-p", "--period", help="Take only this month's rows "
                             "(YYYY-MM); without it, each row goes to its month.")] = None,
           dry_run: DryRun = False, explain: Annotated[bool, option("--explain", help="Say how "
               "each column and tag key was read and why rows would be flagged; write "
               "nothing.")] = False) -> None:
    """Validate a FOCUS file; place each row at periods/YYYY-MM/SOURCE.ext of its month."""


@command("migrate.main", config=False)
def migrate(old_config: Annotated[Path, typer.Argument(show_default=False, help="The earlier web "
            "application's config.yaml.")], force: Annotated[bool, option("--force", help=
            "Replace an existing data/config.yaml.")] = False) -> None:
    """From the earlier OpenChargeback web application: its config → data/config.yaml."""


@command("check.main")
def check(base: Annotated[str | None, option(
              "--base", help="A git ref or commit: add the billing diff from it to the working "
              "tree (for a pull request, the base branch's commit).")] = None,
          fmt: Annotated[Literal["text", "markdown"], option(
              "--format", "-f", help="text, or markdown for a pull-request comment or a CI job "
              "summary.")] = "text",
          rederive: Annotated[bool, option("--rederive", help="Derive finalized months again "
                              "with today's settings and code; report what differs.")] = False
          ) -> None:
    """Validate config, every period file and every review file; report all problems."""


@command("build.main")
def build(period: Annotated[list[str] | None, option(
              "-p", "--period", help="Only this period's statements and journals "
              "(repeatable); the site needs a full build.")] = None) -> None:
    """Build everything: reconciliation, statements, journals, site."""


@command("build.export_journal", name="export-journal")
def export_journal(period: OnePeriod, fmt: Annotated[Literal["gl", "detail", "summary"], option(
                       "-f", "--format", help="gl: double entry (the default); detail: "
                       "statement lines; summary: one row per PI, project and fund/org.")] = "gl",
                   output: Annotated[Path | None, option(
                       "-o", "--output", dir_okay=False,
                       help="Write here (default: build/journals/YYYY-MM/FORMAT.csv).")] = None,
                   allow_pending: Annotated[bool, option("--allow-pending", help="Export even "
                                            "though charges wait for review.")] = False) -> None:
    """Export a period's general-ledger journal; fails unless debits equal credits."""


@command("build.generate_main")
def generate(period: OnePeriod, dry_run: Annotated[bool, option("--dry-run", help="Render into "
                 "a temporary folder; write nothing.")] = False, send: Annotated[bool, option(
                 "--send", help="Then email each PI their statements, once (as `send -p`).")]
             = False, allow_pending: AllowPending = False) -> None:
    """Statements for one period (Markdown, PDF, CSV per PI and project); --send emails them."""


@command("build.serve")
def serve(dev_addr: Annotated[str | None, option(
              "-a", "--dev-addr", help="IP:PORT (default 127.0.0.1:8000).")] = None) -> None:
    """Preview the site locally: build everything, then run `mkdocs serve` on it."""


@command("review.list_main", review_app, "list")
def review_list(period: Period = None, flag: Flag = None, fmt: Format = "table",
                status: Annotated[Literal["pending", "approved", "rejected", "all"], option(
                    "--status", help="Which charges (default: pending).")] = "pending") -> None:
    """List charges with their charge IDs, amounts, flags and state."""


def decision(reason: Reason, ids: Ids = None, by: By = None, all_pending: AllPending = False,
             department: Department = None, period: Period = None) -> None: ...


command("review.decide_main", review_app, "approve", action="approve",
        doc="Approve flagged charges so they are billed.")(decision)
command("review.decide_main", review_app, "reject", action="reject",
        doc="Reject charges so they are never billed.")(decision)


@command("review.decide_main", review_app, "reassign", action="reassign")
def review_reassign(
    reason: Reason, ids: Ids = None, by: By = None, all_pending: AllPending = False,
    pi_email: Annotated[str | None, option("--pi", help="New PI email.")] = None,
    project_id: Annotated[str | None, option("--project", help="New project.")] = None,
    fund_org: Annotated[str | None, option("--fund-org", help="New fund/org.")] = None,
    department: Department = None, period: Period = None) -> None:
    """Bill charges to another PI, project or fund/org."""


@command("correct.main")
def correct(charge_id: Annotated[str, typer.Argument(show_default=False, help="The charge to "
                                                     "correct (its ID or first 6+ characters).")],
            amount: Annotated[str, option("--amount", help="Amount to bill, signed: -12.50 is "
                                          "a credit.")], reason: Reason, period: Annotated[Text,
            option("-p", "--period", help="The open period to bill it in (default: the next "
                   "open one).")] = None, by: By = None,
            allow_over: Annotated[Text, option("--allow-over", help="REASON: credit more than "
                                               "remains of the charge.")] = None,
            new_period: Annotated[bool, option("--new-period", help="Start the period given "
                                               "with -p for it.")] = False) -> None:
    """Correct a charge of a closed or finalized period with a row in a later open period."""


@command("init.main", repo=False, config=False)
def init(directory: Annotated[Path, typer.Argument(help="A new folder for the billing "
                                                   "repository.", show_default=False)]) -> None:
    """Start a new billing repository: config template, docs, workflows, a first commit."""


@command("show.show")
def show(pi_email: Annotated[str, typer.Argument(help="The PI's email.", show_default=False)],
         period: Period = None) -> None:
    """A PI's costs per period and project, with discount and subsidy, and emails sent."""


@command("charges.main")
def charges(
    charge_id: Annotated[Text, typer.Argument(help="Show this charge whole: its ID or its "
                                              "first 6+ characters.")] = None,
    period: Period = None, pi_email: Annotated[Text, option("--pi", help="PI email.")] = None,
    project_id: Annotated[Text, option("--project", help="Project ID.")] = None,
    fund_org: Annotated[Text, option("--fund-org", help="Fund/org.")] = None,
    service: Annotated[Text, option("--service", help="Service name.")] = None,
    source: Annotated[Text, option("-s", "--source", help="Source, e.g. aws.")] = None,
    tag: Annotated[list[str] | None, option("--tag", help="KEY=VALUE: a raw tag, the key "
                                            "exactly as in Tags (repeatable).")] = None,
    flag: Flag = None, state: Annotated[Literal["billed", "pending", "rejected"] | None, option(
        "--state", help="billed, pending (review) or rejected.")] = None, fmt: Format = "table",
) -> None:
    """Find charges (by PI, project, fund/org, service, source, tag, flag, state, period)
    with their IDs, state, amounts and raw tags; or show one charge whole."""


@command("periods.list_periods", periods_app, "list")
def periods_list() -> None:
    """Every period with its status and totals."""


@command("send.main")
def send(period: OnePeriod, dry_run: Annotated[bool, option("--dry-run", help="Write the "
             "messages to build/emails/YYYY-MM/*.eml; send nothing.")] = False,
         only: Annotated[list[str] | None, option("--only", help="Only this PI's email "
                                                  "(repeatable).")] = None,
         resend: Annotated[bool, option("--resend", help="Also send statements that changed "
             "since they were sent, and unconfirmed messages; with --only, send those PIs again "
             "even if unchanged.")] = False, allow_pending: AllowPending = False) -> None:
    """Email each PI their statements for a period, once, then budget alerts once per threshold
    crossed (see periods/YYYY-MM/deliveries.yaml)."""


@command("links.main")
def links(period: Period = None, pi: Annotated[Text, option("--pi", help="Only this PI.")] = None,
          staff: Annotated[bool, option("--staff", help="The staff's link and each department's, "
                                        "not the PIs'.")] = False, fmt: Annotated[Literal[
              "csv", "json"], option("-f", "--format", help="csv (the default) or json.")] = "csv"
          ) -> None:
    """Each PI's personal link to their pages on the site (as emailed by `send`)."""


def lifecycle(period: PeriodArg, by: By = None, note: Annotated[str | None, option(
        "--note", help="A note for the period's history (why, what was checked).")] = None
              ) -> None: ...


command("periods.main", periods_app, "close", act="close", doc="Close a period: no new data "
        "(ingest refuses it); reviews may still be decided.")(lifecycle)
command("periods.main", periods_app, "finalize", act="finalize", doc="Finalize a closed "
        "period: freeze its result and record the SHA-256 of its files.")(lifecycle)


@command("periods.main", periods_app, "reopen", act="reopen")
def periods_reopen(period: PeriodArg, reason: Annotated[str, option(
                       "--reason", help="Why it is reopened (required).")], by: By = None) -> None:
    """Reopen a closed period, recording why. A finalized period is never reopened."""


def converter(file: Annotated[Path, typer.Argument(help="The usage export to convert.")],
              period: OnePeriod, output: Annotated[Path | None, option("-o", "--output", help=
                  "Write here instead of periods/.")] = None, skip_bad: Annotated[bool, option(
                  "--skip-bad", help="Convert the good lines and report the bad ones.")] = False
              ) -> None: ...


command("convert.convert", convert_app, "slurm", config=False, kind="slurm",
        doc="Slurm `sacct --parsable2 --allocations` output → FOCUS, priced by "
        "data/rates/slurm.yaml.")(converter)
command("convert.convert", convert_app, "storage", config=False, kind="storage",
        doc="A storage usage report (CSV) → FOCUS, priced by data/rates/storage.yaml.")(converter)
