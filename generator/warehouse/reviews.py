"""Stage 5: review decisions from ``reviews/YYYY-MM.yaml``, checked and applied.

A review file is a YAML list of decisions::

    - ids: [3f2a9c0d1e4b5a6c]          # or match: {source: aws, flag: "pattern:*"}
      action: approve                  # approve | reject | reassign
      reason: Approved by the department chair
      by: jdoe
    - ids: [9b8c7d6e5f4a3b2c]
      action: reassign
      set: {pi_email: kim@example.edu, project_id: ocean-model, fund_org: 204511-3120}
      reason: Tagged to the wrong project

A department's approvers write to ``reviews/YYYY-MM/<department>.yaml`` (``Computer
Science`` → ``computer-science.yaml``), which may decide only charges of that department's
PIs (people.yaml ``department``), so CODEOWNERS can route each file to its approvers.

Every problem (unknown ID, a charge decided twice, missing reason, bad reassign target, a
department deciding another's charge) is reported with its file and line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from generator.common.addresses import is_plain_address
from generator.common.errors import DataError, Problem, at
from generator.common.files import shown
from generator.common.sql import Scripts, insert
from generator.read.config import Config
from generator.read.layout import department_key, review_files
from generator.read.yamlfile import compose, construct

SQL = Scripts.beside(__file__)
ACTIONS = ("approve", "reject", "reassign")
KEYS = ("ids", "match", "action", "reason", "by", "set")
MATCH_KEYS = ("source", "service", "resource", "pi", "project", "fund_org", "flag")
SET_KEYS = ("pi_email", "project_id", "fund_org")
APPROVAL_PROBLEMS = {
    "unflagged": "charge {charge_id} is not flagged: it is billed without a decision, so there "
    "is nothing to approve; remove it from this decision",
    "invalid_pi_email": "charge {charge_id} cannot be approved: its pi_email {pi_email!r} is not "
    "a plain email address; reassign it (set: pi_email) or reject it",
}
CHARGE_ID = re.compile(r"[0-9a-f]{16}")


@dataclass
class Decision:
    period: str
    where: str  # file shown in messages
    line: int
    action: str = ""
    reason: str = ""
    by: str = ""
    ids: list[tuple[str, int]] = field(default_factory=list)
    match: dict[str, str] | None = None
    set: dict[str, str] = field(default_factory=dict)
    valid: bool = True  # False: reported, its IDs still checked, never applied
    department: str | None = None  # decided in reviews/YYYY-MM/<department>.yaml


def read_decisions(cfg: Config, period: str) -> tuple[list[Decision], list[Problem]]:
    """Parse a period's review files; structural problems carry file and line."""
    decisions: list[Decision] = []
    problems: list[Problem] = []
    for path in review_files(cfg, period):
        department = path.stem if path.parent.name == period else None
        found, found_problems = _read_file(cfg, period, path, department)
        decisions += found
        problems += found_problems
    return decisions, problems


def _read_file(
    cfg: Config, period: str, path: Path, department: str | None
) -> tuple[list[Decision], list[Problem]]:
    where = shown(cfg.root, path)
    try:
        root = compose(path.read_text(encoding="utf-8"), where)
    except UnicodeDecodeError:
        return [], [Problem(where, "not UTF-8 text; save it as UTF-8")]
    except DataError as exc:  # not YAML, or a key given twice
        return [], exc.problems
    if root is None:
        return [], []
    if not isinstance(root, yaml.SequenceNode):
        return [], [Problem(at(where, root.start_mark.line + 1), "expected a list of decisions")]
    decisions, problems = [], []
    for item in root.value:
        decision, item_problems = _decision(period, where, item)
        problems += item_problems
        if decision:
            decision.valid = not item_problems
            decision.department = department
            decisions.append(decision)
    return decisions, problems


def department_problem(
    cfg: Config, department: str, charge_id: str, pi_email: str | None
) -> str | None:
    """Why a department's review file may not decide this charge (None: it may).

    A department decides only the charges of its own PIs (people.yaml ``department``), so
    CODEOWNERS can route each department's file to its approvers; everything else is
    decided in the period's main file, reviews/YYYY-MM.yaml.
    """
    person = cfg.people.get(pi_email or "")
    if person is not None and person.department and (
        department_key(person.department) == department
    ):
        return None
    whose = (
        f"{pi_email} ({person.department})" if person and person.department
        else f"{pi_email}, who has no department in data/people.yaml" if pi_email
        else "no PI"
    )
    return (
        f"charge {charge_id} is billed to {whose}, not to department {department}; decide it "
        "in that department's file or in the period's main review file"
    )
def _decision(period: str, where: str, node: yaml.Node) -> tuple[Decision | None, list[Problem]]:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        return None, [Problem(at(where, line), "a decision is a mapping (ids, action, reason)")]
    d = Decision(period=period, where=where, line=line)
    problems: list[Problem] = []

    def say(node: yaml.Node, message: str) -> None:
        problems.append(Problem(at(where, node.start_mark.line + 1), message))

    for key_node, value_node in node.value:
        key = key_node.value
        try:
            value: Any = construct(value_node, where)
        except DataError as exc:
            problems += exc.problems
            continue
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            say(key_node, f"unknown key {key!r}{hint}")
        elif key == "ids":
            items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for item in items:
                charge_id = str(item.value).strip().lower()
                if not isinstance(item, yaml.ScalarNode) or not CHARGE_ID.fullmatch(charge_id):
                    say(item, f"{item.value!r} is not a charge ID (16 hex characters)")
                else:
                    d.ids.append((charge_id, item.start_mark.line + 1))
        elif key == "match":
            if not isinstance(value, dict) or not value:
                say(value_node, f"match takes a mapping of {', '.join(MATCH_KEYS)} to patterns")
                continue
            for mk in value:
                if mk not in MATCH_KEYS:
                    close = difflib.get_close_matches(str(mk), MATCH_KEYS, n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    say(value_node, f"match: unknown field {mk!r}{hint}")
            d.match = {str(k): str(v) for k, v in value.items()}
        elif key == "set":
            if not isinstance(value, dict) or not value:
                say(value_node, f"set takes a mapping of {', '.join(SET_KEYS)}")
                continue
            for sk, sv in value.items():
                if sk not in SET_KEYS:
                    say(value_node, f"set: cannot reassign {sk!r}; use {', '.join(SET_KEYS)}")
                elif not isinstance(sv, str) or not sv.strip():
                    say(value_node, f"set: {sk} needs a value")
                else:
                    d.set[sk] = sv.strip()
        elif not isinstance(value, str):
            say(value_node, f"{key} must be text")
        else:
            setattr(d, key, value.strip())

    if d.action not in ACTIONS:
        say(node, f"action {d.action!r}: use one of {', '.join(ACTIONS)}")
    if not d.reason:
        say(node, "reason is required; say why, for the audit trail")
    if bool(d.ids) == bool(d.match) and not any(
        "charge ID" in p.message or "match" in p.message for p in problems
    ):
        say(node, "give either ids or match")
    if d.action == "reassign" and not d.set:
        say(node, "reassign needs set: with pi_email, project_id or fund_org")
    if d.action != "reassign" and d.set:
        say(node, f"set: is only for reassign, not {d.action}")
    return d, problems


def check_targets(d: Decision, cfg: Config) -> list[Problem]:
    """A reassign target must be a usable PI email and fund/org."""
    problems = []
    email = d.set.get("pi_email")
    if email is not None and not is_plain_address(email):
        problems.append(Problem(at(d.where, d.line), f"set: pi_email {email!r} is not an email"))
    fund = d.set.get("fund_org")
    if (
        fund is not None
        and cfg.fund_org_patterns
        and not any(re.fullmatch(p, fund) for p in cfg.fund_org_patterns)
    ):
        problems.append(
            Problem(
                at(d.where, d.line),
                f"set: fund_org {fund!r} does not match review.fund_org_patterns",
            )
        )
    return problems


def apply(con: duckdb.DuckDBPyConnection, cfg: Config, periods: list[str]) -> list[Problem]:
    """Create ``decisions`` from every period's review file; return all problems found."""
    SQL.run(con, "decisions_table")
    problems: list[Problem] = []
    decided: dict[str, Decision] = {}
    rows = []
    for period in periods:
        decisions, found = read_decisions(cfg, period)
        problems += found
        # PI of every charge the decisions name (not of every charge: a period has millions).
        named = sorted({charge_id for d in decisions for charge_id, _ in d.ids})
        known: dict[str, str | None] = {
            row["charge_id"]: row["pi_email"]
            for row in SQL.query(con, "review_named", period=period, ids=named)
        }
        for d in decisions:
            problems += check_targets(d, cfg)
            targets: list[tuple[str, int]] = []
            for charge_id, line in d.ids:
                if charge_id in known:
                    targets.append((charge_id, line))
                else:
                    problems.append(
                        Problem(
                            at(d.where, line),
                            f"charge {charge_id} is not in period {period}; "
                            f"list charges with `openchargeback review list -p {period}`",
                        )
                    )
            if d.match is not None:
                selected = matching(con, period, d.match, flagged_only=d.action == "approve")
                known.update(selected)
                matched = list(selected)
                if d.department is not None:  # a department's match selects its own charges
                    matched = [
                        m for m in matched
                        if department_problem(cfg, d.department, m, known[m]) is None
                    ]
                if not matched:
                    problems.append(
                        Problem(at(d.where, d.line), f"match {d.match} selects no charge")
                    )
                targets += [(m, d.line) for m in matched]
            for charge_id, line in targets if d.valid else []:
                first = decided.get(charge_id)
                if first is not None:
                    where = f"line {first.line}" if first.where == d.where else at(
                        first.where, first.line
                    )
                    problems.append(
                        Problem(
                            at(d.where, line),
                            f"charge {charge_id} is already decided at {where} "
                            f"({first.action}); keep one decision per charge",
                        )
                    )
                    continue
                wrong = d.department and department_problem(
                    cfg, d.department, charge_id, known[charge_id]
                )
                if wrong:
                    problems.append(Problem(at(d.where, line), wrong))
                    continue
                decided[charge_id] = d
                rows.append(
                    (
                        charge_id,
                        period,
                        d.action,
                        d.reason,
                        d.by,
                        d.set.get("pi_email", "").lower() or None,
                        d.set.get("project_id"),
                        d.set.get("fund_org"),
                        d.where,
                        line,
                    )
                )
    insert(con, "decisions", rows)
    SQL.run(con, "refuse_approvals")
    return problems + [
        Problem(at(r["review_file"], r["review_line"]), APPROVAL_PROBLEMS[r["problem"]].format(**r))
        for r in SQL.query(con, "refused_approvals")
    ]


def matching(
    con: duckdb.DuckDBPyConnection, period: str, selector: dict[str, str],
    flagged_only: bool = False,
) -> dict[str, str | None]:
    """Charges of ``period`` selected by a match selector (exact or glob), with their PI;
    ``flagged_only``: only flagged ones (what an approve selects)."""
    params: dict[str, Any] = {key: selector.get(key) for key in MATCH_KEYS}
    params["flagged_only"] = flagged_only
    if params["pi"]:
        params["pi"] = params["pi"].lower()
    params["period"] = period
    return {row["charge_id"]: row["pi_email"] for row in SQL.query(con, "match", **params)}
