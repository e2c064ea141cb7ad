"""``check --base REF``: what a change does to whose bill, for review in a pull request.

The base tree (REF's files, from ``git archive``; no history needed, so a shallow CI clone
that fetched the base commit works) and the working tree are each loaded into a warehouse.
The tables the comparison needs are copied from the base warehouse into a ``base`` schema
of the head's (through Arrow, in memory), and the ``diff_*.sql`` queries compare them: per
period, status and totals; input files added, changed or removed with their totals; review
decisions added or removed with their amounts and the PIs and projects they touch; charges
newly flagged; every PI and project whose amount due changes; and any change to a
finalized period.

The result is a list of ``Table`` values, rendered as plain text for a terminal or as
Markdown for a pull-request comment or a CI job summary.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from generator.commands.output import count
from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import sha256
from generator.common.git import run as run_git
from generator.common.money import exact, format_money, rounded
from generator.common.sql import Scripts, insert
from generator.read.config import Config, load_config
from generator.read.layout import period_record, review_keys
from generator.render.filters import markdown_escape
from generator.warehouse import load as loader
from generator.warehouse import periods as lifecycle

SQL = Scripts.beside(__file__)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class BillingDiff:
    ref: str
    commit: str
    tables: list[Table]
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.tables


def git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    done = run_git(root, *args)
    if done is None:
        raise UsageError("git cannot be run (is it installed?); --base needs git")
    return done


def base_tree(cfg: Config, ref: str, into: Path) -> tuple[str, Path]:
    """Write REF's version of the billing repo into ``into``; return its commit and root."""
    where = git(cfg.root, "rev-parse", "--show-toplevel", "--show-prefix")
    if where.returncode != 0:
        raise UsageError(f"{cfg.root} is not in a git repository; --base needs one")
    top, prefix = ([*where.stdout.decode().splitlines(), ""])[:2]
    prefix = prefix.strip().rstrip("/")
    found = git(cfg.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise UsageError(
            f"--base {ref}: no such commit here; in a shallow clone fetch it first "
            f"(git fetch --depth=1 origin {ref})"
        )
    commit = found.stdout.decode().strip()
    archive = git(Path(top), "archive", "--format=tar", f"{commit}:{prefix}")
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise UsageError(f"--base {ref}: git archive failed: {message}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return commit, into


def base_config(cfg: Config, root: Path, config_file: Path | None) -> tuple[Config, list[str]]:
    """The base tree's config; this tree's, pointed at the base, if the base has none."""
    path = None
    if config_file is not None:
        try:
            path = root / config_file.resolve().relative_to(cfg.root)
        except ValueError:
            path = config_file  # a config kept outside the repo is the same for both
    try:
        return load_config(root, path), []
    except DataError as exc:
        missing = not (path or root / "data" / "config.yaml").is_file()
        note = (
            "the base has no config; compared as if it had no data"
            if missing
            else f"the base config does not load ({exc.problems[0]}); compared using this "
            "tree's config"
        )
        return dataclasses.replace(cfg, root=root), [note]


def record_inputs(wh: loader.Warehouse) -> None:
    """Fill ``inputs`` and ``period_status`` in the warehouse (see diff_inputs.sql)."""
    cfg = wh.cfg
    SQL.run(wh.con, "diff_inputs")
    rows = [(f.period, "file", f.shown, sha256(f.path)) for f in wh.files]
    statuses = []
    for period in wh.periods:
        for name, path in review_keys(cfg, period).items():
            rows.append((period, "review", name, sha256(path)))
        record = period_record(cfg, period)
        if record.is_file():
            rows.append((period, "record", f"periods/{period}/period.yaml",
                         sha256(record)))
        try:
            statuses.append((period, lifecycle.status(cfg, period)))
        except DataError:
            statuses.append((period, "invalid"))
    insert(wh.con, "inputs", rows)
    insert(wh.con, "period_status", statuses)


# What the diff_*.sql queries read from the base warehouse, as base.<table> (no columns
# named: all of them).
BASE_TABLES: dict[str, tuple[str, ...]] = {
    "charges": ("charge_id", "file", "cost", "flags", "pi_email", "project_id",
                "original_pi_email", "original_project_id"),
    "decisions": (),
    "statement_lines": (),
    "reconciliation": (),
    "inputs": (),
    "period_status": (),
}


def billing_diff(
    cfg: Config, head: loader.Warehouse, ref: str, config_file: Path | None = None
) -> BillingDiff:
    """Compare REF's billing with the working tree's (``head``, already loaded)."""
    with tempfile.TemporaryDirectory(prefix="openchargeback-base-") as tmp:
        commit, root = base_tree(cfg, ref, Path(tmp) / "tree")
        bcfg, notes = base_config(cfg, root, config_file)
        base = loader.load(bcfg)
        if base.problems:
            notes.append(f"the base has {count(len(base.problems), 'problem')} of its own")
        record_inputs(base)
    record_inputs(head)
    SQL.run(head.con, "diff_base_schema")
    try:
        for table, columns in BASE_TABLES.items():
            shape = {"table": table, "columns": columns}
            head.con.register("base_rows", SQL.arrow(base.con, "diff_base_read", shape))
            SQL.run(head.con, "diff_base_keep", shape)
            head.con.unregister("base_rows")
        base.con.close()
        tables = _tables(cfg, head.con)
    finally:
        SQL.run(head.con, "diff_base_drop")
    return BillingDiff(ref=ref, commit=commit, tables=tables, notes=notes)


def _tables(cfg: Config, con: duckdb.DuckDBPyConnection) -> list[Table]:
    money = Money(cfg)
    tables = []
    rows = SQL.query(con, "diff_periods")
    if rows:
        tables.append(Table(
            "Periods", ["period", "status", "billed", "pending review", "rejected"],
            [[r["period"], change(r["old_status"] or "(new)", r["new_status"] or "(removed)"),
              money.change(r["old_billed"], r["new_billed"]),
              money.change(r["old_pending"], r["new_pending"]),
              money.change(r["old_rejected"], r["new_rejected"])] for r in rows],
        ))
    rows = SQL.query(con, "diff_finalized")
    if rows:
        tables.append(Table(
            "Changes to finalized periods", ["period", "file", "change"],
            [[r["period"], r["name"], r["change"]] for r in rows],
            "A finalized period must not change: put changes in a later open period with "
            "`openchargeback correct`.",
        ))
    rows = SQL.query(con, "diff_files")
    if rows:
        tables.append(Table(
            "Input files", ["period", "file", "change", "charges", "total"],
            [[r["period"], r["file"], r["change"], change(r["old_charges"], r["new_charges"]),
              money.exact_change(r["old_total"], r["new_total"])] for r in rows],
        ))
    rows = SQL.query(con, "diff_decisions")
    if rows:
        tables.append(Table(
            "Review decisions", ["period", "change", "decision", "charges", "amount", "PIs",
                                 "projects", "reason", "by"],
            [[r["period"], r["change"], _decision(r), str(r["charges"]),
              money.exact(r["amount"]), _names(cfg, r["pis"], r["without_pi"]),
              _projects(r["projects"], r["without_project"]),
              r["reason"] or "", r["decided_by"] or ""] for r in rows],
        ))
    rows = SQL.query(con, "diff_flagged")
    if rows:
        tables.append(Table(
            "Newly flagged charges", ["period", "flag", "charges", "amount", "pending", "PIs"],
            [[r["period"], r["flag"], str(r["charges"]), money.exact(r["amount"]),
              str(r["pending"]), _names(cfg, r["pis"], r["without_pi"])] for r in rows],
        ))
    rows = SQL.query(con, "diff_amounts")
    for kind, title in (("pi", "Amount due per PI"), ("project", "Amount due per project")):
        mine = [r for r in rows if r["kind"] == kind]
        if mine:
            tables.append(Table(
                title, ["period", "PI" if kind == "pi" else "project", "amount due"],
                [[r["period"],
                  _names(cfg, [r["who"]]) if kind == "pi" else r["who"] or "(no project)",
                  money.change(r["old_amount"], r["new_amount"])] for r in mine],
            ))
    return tables


class Money:
    def __init__(self, cfg: Config) -> None:
        self.currency = cfg.currency

    def __call__(self, amount: Decimal | None) -> str:
        return format_money(amount or Decimal(0), self.currency)

    def exact(self, amount: Decimal | None) -> str:
        """Rounded to the minor unit, with the exact amount when it has more digits."""
        value = amount or Decimal(0)
        if rounded(value, self.currency) == value:
            return self(value)
        return f"{self(value)} ({exact(value)})"

    def change(self, old: Decimal | None, new: Decimal | None) -> str:
        old = rounded(old or Decimal(0), self.currency)
        new = rounded(new or Decimal(0), self.currency)
        if old == new:
            return self(new)
        delta = new - old  # of the amounts as shown, so the line adds up on screen
        sign = "+" if delta > 0 else ""
        return f"{self(old)} → {self(new)} ({sign}{self(delta)})"

    def exact_change(self, old: Decimal | None, new: Decimal | None) -> str:
        if old is None:
            return self.exact(new)
        if new is None:
            return self.exact(old) + " → (none)"
        return self.change(old, new)


def change(old: Any, new: Any) -> str:
    old_text = "" if old is None else str(old)
    new_text = "" if new is None else str(new)
    if old is None:
        return new_text
    if new is None:
        return f"{old_text} → (none)"
    return new_text if old_text == new_text else f"{old_text} → {new_text}"


def _decision(r: dict[str, Any]) -> str:
    if r["action"] != "reassign":
        return str(r["action"])
    target = ", ".join(
        f"{k} {v}" for k, v in (("PI", r["set_pi_email"]), ("project", r["set_project_id"]),
                                ("fund/org", r["set_fund_org"])) if v
    )
    return f"reassign to {target}"


def _names(cfg: Config, emails: list[str | None], without: int = 0, limit: int = 6) -> str:
    shown = []
    for email in emails:
        if email is None:
            shown.append("(no PI)")
        elif cfg.person_name(email) != email:
            shown.append(f"{cfg.person_name(email)} ({email})")
        else:
            shown.append(email)
    if without and "(no PI)" not in shown:
        shown.append("(no PI)")
    return _first(shown, limit)


def _projects(ids: list[str], without: int = 0, limit: int = 6) -> str:
    return _first([*ids, *(["(no project)"] if without else [])], limit)


def _first(items: list[str], limit: int) -> str:
    more = f", and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def render_text(diff: BillingDiff) -> str:
    lines = [f"Billing diff: {diff.ref} ({diff.commit[:10]}) → working tree"]
    lines += [f"note: {note}" for note in diff.notes]
    if diff.empty:
        lines.append("No billing changes.")
    for table in diff.tables:
        lines += ["", table.title]
        widths = [
            max(len(c), *(len(r[i]) for r in table.rows)) for i, c in enumerate(table.columns)
        ]
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(table.columns, widths,
                                                                   strict=True)).rstrip())
        for r in table.rows:
            lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths,
                                                                     strict=True)).rstrip())
        if table.note:
            lines.append(f"  {table.note}")
    return "\n".join(lines)


def render_markdown(
    tables: list[Table], diff: BillingDiff | None, problems: list[Problem], title: str
) -> str:
    """A check report (with the billing diff, if any) as GitHub/GitLab-flavoured Markdown."""
    lines = [f"## {markdown_escape(title)}", ""]
    if diff is not None:
        lines.append(f"Compared with `{diff.commit[:10]}` ({markdown_escape(diff.ref)}).")
        lines += [f"Note: {markdown_escape(note)}" for note in diff.notes]
        if diff.empty:
            lines.append("")
            lines.append("**No billing changes.**")
        lines.append("")
    if problems:
        lines += [f"### ❌ {count(len(problems), 'problem')}", ""]
        lines += [f"- {markdown_escape(str(p))}" for p in problems[:200]]
        if len(problems) > 200:
            lines.append(f"- and {len(problems) - 200} more: run `openchargeback check`")
        lines.append("")
    else:
        lines += ["✅ check passed", ""]
    for table in (diff.tables if diff else []) + tables:
        lines += [f"### {markdown_escape(table.title)}", ""]
        lines.append("| " + " | ".join(markdown_escape(c) for c in table.columns) + " |")
        lines.append("|" + "|".join("---" for _ in table.columns) + "|")
        for r in table.rows:
            lines.append("| " + " | ".join(markdown_escape(v) for v in r) + " |")
        if table.note:
            lines += ["", table.note]
        lines.append("")
    return "\n".join(lines)


def check_tables(cfg: Config, wh: loader.Warehouse) -> list[Table]:
    """The check summary as tables: each period's reconciliation, and what waits for review."""
    money = Money(cfg)
    tables = []
    recon = wh.reconciliation()
    if recon:
        tables.append(Table(
            "Reconciliation", ["period", "charges", "input", "billed", "pending review",
                               "rejected"],
            [[r["period"], str(r["input_rows"]), money(r["input_total"]), money(r["billed"]),
              money(r["pending"]), money(r["rejected"])] for r in recon],
            "Every input row is billed, pending review or rejected: input = billed + pending "
            "+ rejected, exactly (build/reconciliation.csv has the exact amounts).",
        ))
    pending = wh.query("pending_by_flag")
    if pending:
        tables.append(Table(
            "Pending review", ["period", "flag", "charges", "amount"],
            [[r["period"], r["flag"], str(r["charges"]), money(r["amount"])]
             for r in pending],
        ))
    return tables
