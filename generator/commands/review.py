"""``review approve|reject|reassign``: decisions appended to reviews/YYYY-MM.yaml.

Each decision is appended as YAML text, keeping what the file has (comments included); a
department's decision goes to reviews/YYYY-MM/<department>.yaml and may cover only that
department's charges.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from generator.commands.output import Output, Table, count
from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_write
from generator.common.git import user_name
from generator.common.money import Currency, exact, format_money
from generator.common.sql import Scripts
from generator.read.config import Config
from generator.read.layout import department_key, department_path, review_path
from generator.render.terminal import Kind
from generator.warehouse import load as loader
from generator.warehouse import lookup
from generator.warehouse import periods as lifecycle
from generator.warehouse.reviews import Decision, check_targets, department_problem

SQL = Scripts.beside(__file__)


def append_decision(
    path: Path,
    action: str,
    ids: list[str],
    reason: str,
    by: str,
    assign: dict[str, str] | None = None,
) -> None:
    """Append one decision to a review file as YAML text, keeping what is there."""
    entry: dict[str, Any] = {"ids": ids, "action": action}
    if assign:
        entry["set"] = assign
    entry["reason"] = reason
    entry["by"] = by
    block = yaml.safe_dump([entry], sort_keys=False, default_flow_style=None, width=88)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    if existing.strip() and yaml.safe_load(existing) in ([], {}):
        existing = "\n".join(
            line for line in existing.splitlines() if line.lstrip().startswith("#")
        ) + "\n"
    atomic_write(path, (existing + block).encode("utf-8"))


def unapprovable(wh: loader.Warehouse, charge_ids: list[str]) -> list[Problem]:
    """Why some of these charges cannot be approved: never flagged (billed already, nothing
    to decide), or their PI email is not a plain address (approving would bill it)."""
    problems = []
    for r in wh.query("charge_flags", ids=charge_ids):
        if not r["flags"]:
            problems.append(Problem(r["charge_id"], "is not flagged: it is billed without a "
                                    "decision, so there is nothing to approve"))
        elif "invalid_pi_email" in r["flags"]:
            problems.append(Problem(r["charge_id"], f"its pi_email {r['pi_email']!r} is not a "
                                    "plain email address; reassign it with --pi, or reject it"))
    return problems


def decide(
    cfg: Config,
    action: str,
    ids: list[str],
    all_pending: bool,
    period: str | None,
    reason: str,
    by: str,
    assign: dict[str, str] | None = None,
    department: str | None = None,
) -> dict[Path, int]:
    """Record one decision per period for the given charges; returns files and counts.

    With ``department``, the decision goes to reviews/YYYY-MM/<department>.yaml and may only
    cover that department's charges (``--all`` selects them).
    """
    if not reason.strip():
        raise UsageError("--reason is required; say why, for the audit trail")
    if all_pending and not period:
        raise UsageError("--all needs -p YYYY-MM")
    if all_pending == bool(ids):
        raise UsageError("give charge IDs, or --all with -p YYYY-MM")
    key = department_key(department) if department is not None else None
    if department is not None and not key:
        raise UsageError(f"--department {department!r}: give a department name")
    wh = loader.load(cfg)  # every period: cost_spike needs the history
    problems = [p for p in wh.problems if not p.where.startswith("reviews/")]
    if problems:
        raise DataError(problems)
    if all_pending:
        rows = SQL.query(wh.con, "decide_pending", period=period)
        if key is not None:
            rows = [
                r for r in rows
                if department_problem(cfg, key, r["charge_id"], r["original_pi_email"]) is None
            ]
        if not rows:
            raise DataError([Problem(f"periods/{period}", "no charge is pending review")])
    else:
        wanted = lookup.charge_ids(wh.con, ids)
        rows = SQL.query(wh.con, "decide_named", ids=wanted)
    already = [r for r in rows if r["decision"] is not None]
    if already:
        raise DataError([
            Problem(r["charge_id"], f"already decided ({r['decision']}) in {r['review_file']}")
            for r in already
        ])
    if key is not None:
        wrong = [
            department_problem(cfg, key, r["charge_id"], r["original_pi_email"]) for r in rows
        ]
        if any(wrong):
            raise DataError([Problem("--department", w) for w in wrong if w])
    if action == "approve":
        refused = unapprovable(wh, [r["charge_id"] for r in rows])
        if refused:
            raise DataError(refused)
    target = Decision(period="", where="--pi/--project/--fund-org", line=0, set=assign or {})
    bad = check_targets(target, cfg)
    if bad:
        raise DataError(bad)
    by_period: dict[str, list[str]] = {}
    for r in rows:
        by_period.setdefault(r["period"], []).append(r["charge_id"])
    written = {}
    for p, charge_ids in sorted(by_period.items()):
        if lifecycle.status(cfg, p) == "finalized":
            raise DataError([Problem(f"periods/{p}", "is finalized; its reviews cannot change")])
        path = review_path(cfg, p) if key is None else department_path(cfg, p, key)
        append_decision(path, action, sorted(set(charge_ids)), reason.strip(), by, assign)
        written[path] = len(set(charge_ids))
    return written


LIST_COLUMNS = ["charge_id", "period", "source", "pi_email", "project_id", "fund_org",
                "service", "resource", "charged", "list_cost", "flags", "status"]
AMOUNT_COLUMNS = ("charged", "list_cost")
LIST_KINDS: dict[str, Kind] = {"charge_id": "id", "charged": "amount", "list_cost": "amount",
                               "source": "extra", "fund_org": "extra", "resource": "extra"}


def review_list(cfg: Config, period: str | None, flag: str | None, status: str
                ) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Charges with their IDs, exact amounts, flags and state; and the repo's problems (a
    reviewer still sees what to decide while a file is broken)."""
    wh = loader.load(cfg)  # every period: cost_spike needs the history
    rows = wh.query("review_list", period=period, flag=flag, status=status)
    listed = [{c: exact(r[c]) if c in AMOUNT_COLUMNS else r[c] for c in LIST_COLUMNS}
              for r in rows]
    return listed, wh.problems


def list_output(rows: list[dict[str, Any]], problems: list[Problem], fmt: str,
                currency: Currency) -> Output:
    """The list as a table (amounts to the cent), CSV or JSON (exact amounts); problems as
    warnings on standard error."""
    output = Output()
    for problem in problems:
        output.warn(f"warning: {problem}")
    if fmt == "json":
        output.say(json.dumps(rows, indent=2))
    elif fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(LIST_COLUMNS)
        writer.writerows([r[c] or "" for c in LIST_COLUMNS] for r in rows)
        output.say(text.getvalue().removesuffix("\n"))
    else:
        output.table(Table(LIST_COLUMNS, [
            [format_money(Decimal(r[c]), currency) if c in AMOUNT_COLUMNS and r[c]
             else str(r[c] or "") for c in LIST_COLUMNS] for r in rows], LIST_KINDS))
        output.say(count(len(rows), "charge"))
    return output


def describe(action: str, written: dict[Path, int]) -> Output:
    output = Output()
    for path, n in written.items():
        output.say(f"{action}: {count(n, 'charge')} → {path}")
    return output


def list_main(cfg: Config, period: str | None, flag: str | None, status: str,
              fmt: str) -> Output:
    rows, problems = review_list(cfg, period, flag, status)
    return list_output(rows, problems, fmt, cfg.currency)


def decide_main(cfg: Config, action: str, reason: str, ids: list[str] | None, by: str | None,
                all_pending: bool, department: str | None, period: str | None,
                pi_email: str | None = None, project_id: str | None = None,
                fund_org: str | None = None) -> Output:
    """``review approve|reject|reassign``: the decision recorded, and where."""
    given = {"pi_email": pi_email, "project_id": project_id, "fund_org": fund_org}
    assign = {k: v for k, v in given.items() if v} or None
    written = decide(cfg, action, ids or [], all_pending, period, reason,
                     by or user_name(cfg.root), assign, department)
    return describe(action, written)
