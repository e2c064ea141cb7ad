"""``charges``: find charges by PI, project, fund/org, service, source, raw tag, flag, state
and period, each with its ID, state (and the decision that set it), amounts and raw tags;
``charges ID``: one charge whole (every column and tag, its flags, the decision with reason
and who, the corrections billed against it, the statement it is on).

Attribution is the effective one (after any reassign): whom the charge is billed to. A
table shows amounts to the cent; ``-f csv`` and ``-f json`` carry the exact amounts. Every
query reads the warehouse's ``charges`` relation alone.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from generator.commands.output import Output, Table, count
from generator.common.errors import Problem, UsageError
from generator.common.files import shown
from generator.common.money import exact, format_money
from generator.common.months import is_period
from generator.common.sql import Scripts, json_path
from generator.read.config import Config
from generator.read.focus import KNOWN_COLUMNS
from generator.render.naming import statement_names, statement_number
from generator.render.terminal import Kind
from generator.warehouse import load as loader
from generator.warehouse import lookup

SQL = Scripts.beside(__file__)
COLUMNS = ["charge_id", "period", "state", "decision", "pi_email", "project_id", "fund_org",
           "source", "service", "resource_id", "list_cost", "contracted_cost", "charged",
           "flags", "tags"]
AMOUNTS = ("list_cost", "contracted_cost", "charged")
TABLE = ["charge_id", "period", "state", "pi_email", "project_id", "fund_org", "source",
         "service", "list price", "charged", "flags", "tags"]
KINDS: dict[str, Kind] = {"charge_id": "id", "list price": "amount", "charged": "amount",
                          "fund_org": "extra", "source": "extra", "tags": "below"}
DONE = {"approve": "approved", "reject": "rejected", "reassign": "reassigned"}


def find(cfg: Config, period: str | None = None, pi_email: str | None = None,
         project_id: str | None = None, fund_org: str | None = None, service: str | None = None,
         source: str | None = None, tags: list[str] | None = None, flag: str | None = None,
         state: str | None = None) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The charges that pass every filter given, and the repo's problems (charges can be
    found while a file is broken)."""
    if period is not None and not is_period(period):
        raise UsageError(f"period {period!r}: write it as YYYY-MM")
    pairs = [tag_filter(t) for t in tags or []]
    wh = loader.load(cfg)  # every period: cost_spike needs the history
    rows = SQL.query(wh.con, "charges_find", period=period, pi_email=pi_email,
                     project_id=project_id, fund_org=fund_org, service=service, source=source,
                     flag=flag, state=state, tag_paths=[json_path(k) for k, _ in pairs],
                     tag_values=[v for _, v in pairs])
    return rows, wh.problems


def tag_filter(text: str) -> tuple[str, str]:
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise UsageError(f"--tag {text!r}: write KEY=VALUE, e.g. --tag user:project_id=astro-sim")
    return key, value


def state_label(state: str, decision: str | None) -> str:
    """``billed``, ``billed (approved)``, ``billed (reassigned)``, ``pending``, ``rejected``."""
    return f"{state} ({DONE[decision]})" if decision in ("approve", "reassign") else state


def tag_text(tags: str | None) -> str:
    """Raw tags as ``key=value`` pairs (a line can wrap between them); as written when they
    are not a flat JSON object."""
    parsed = parse_tags(tags)
    if parsed is None:
        return tags or ""
    return " ".join(f"{k}={v}" for k, v in parsed)


def parse_tags(tags: str | None) -> list[tuple[str, str]] | None:
    """Each tag's key and value as written (a value that is not a string as JSON; a key
    written twice, twice); None when the text is not a JSON object."""
    try:
        parsed = json.loads(tags or "{}", object_pairs_hook=Pairs)
    except json.JSONDecodeError:
        return None
    if not isinstance(parsed, Pairs):
        return None
    return [(k, v if isinstance(v, str) else json.dumps(plain(v), ensure_ascii=False))
            for k, v in parsed]


class Pairs(list[tuple[str, Any]]):
    """A JSON object's members in order, duplicates kept."""


def plain(value: Any) -> Any:
    if isinstance(value, Pairs):
        return {k: plain(v) for k, v in value}
    return [plain(v) for v in value] if isinstance(value, list) else value


def list_output(cfg: Config, rows: list[dict[str, Any]], problems: list[Problem],
                fmt: str) -> Output:
    output = Output()
    for problem in problems:
        output.warn(f"warning: {problem}")
    if fmt == "table":
        table = Table(TABLE, kinds=KINDS)
        for r in rows:
            table.rows.append([
                r["charge_id"], r["period"], state_label(r["state"], r["decision"]),
                r["pi_email"] or "", r["project_id"] or "", r["fund_org"] or "", r["source"],
                r["service"], format_money(r["list_cost"], cfg.currency),
                format_money(r["charged"], cfg.currency), " ".join(r["flags"]),
                tag_text(r["tags"])])
        output.table(table)
        output.say(count(len(rows), "charge"))
        return output
    records = [{c: exact(r[c]) if c in AMOUNTS else r[c] for c in COLUMNS} for r in rows]
    if fmt == "json":
        output.say(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        output.say(csv_text(COLUMNS, [[" ".join(v) if isinstance(v, list) else v
                                       for v in r.values()] for r in records]))
    return output


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in r] for r in rows])
    return text.getvalue().removesuffix("\n")


def whole(cfg: Config, charge_id: str) -> tuple[dict[str, Any], list[Problem]]:
    """One charge as a record: its state, attribution, amounts, flags, decision, tags,
    the file's columns, the corrections against it and the statement it is on."""
    wh = loader.load(cfg)
    (found,) = lookup.charge_ids(wh.con, [charge_id])
    (c,) = SQL.query(wh.con, "charge_whole", charge_id=found)
    statement = None
    if c["status"] == "billed":
        keys = [(r["period"], r["pi_email"], r["project_id"])
                for r in SQL.query(wh.con, "charge_statements", period=c["period"])]
        key = (c["period"], c["pi_email"], c["project_id"])
        path = cfg.build_dir / "statements" / c["period"] / statement_names(keys)[key]
        statement = {"number": statement_number(*key),
                     "pdf": shown(cfg.root, path.with_name(path.name + ".pdf"))}
    extra = json.loads(c["extra"]) if c["extra"] else {}
    record = {
        "charge_id": c["charge_id"], "period": c["period"], "source": c["source"],
        "file": c["file"], "row": c["row_number"],
        "state": c["status"],
        "decision": None if c["decision"] is None else {
            "action": c["decision"], "reason": c["decision_reason"], "by": c["decided_by"],
            "file": c["review_file"], "line": c["review_line"]},
        "billed_to": {k: c[k] for k in ("pi_email", "project_id", "fund_org")},
        "as_tagged": {k: c[f"original_{k}"] for k in ("pi_email", "project_id", "fund_org")},
        "amounts": {"list_cost": exact(c["list_cost"]),
                    "contracted_cost": exact(c["contracted_cost"]), "charged": exact(c["cost"])},
        "flags": c["flags"],
        "corrects": None if not c["correction"] else {
            "charge_id": c["corrects_charge_id"], "period": c["corrects_period"]},
        "tags": c["Tags"],
        "columns": {**{k: value(c[k]) for k in KNOWN_COLUMNS
                       if k != "Tags" and c[k] is not None},
                    **{k: value(v) for k, v in extra.items()}},
        "corrections": [{**r, "charged": exact(r["charged"])}
                        for r in SQL.query(wh.con, "charge_corrections", charge_id=found)],
        "statement": statement,
    }
    return record, wh.problems


def value(v: object) -> str:
    """A column's value as text: exact amounts, dates as written in a FOCUS file."""
    if isinstance(v, Decimal):
        return exact(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return v if isinstance(v, str) else json.dumps(v)


def whole_lines(cfg: Config, r: dict[str, Any]) -> Output:
    """The record as a person reads it: sections of ``name  value`` lines."""
    output = Output()
    money = {k: format_money(Decimal(v), cfg.currency) for k, v in r["amounts"].items()}
    d = r["decision"]
    output.say(f"charge {r['charge_id']}: {state_label(r['state'], d and d['action'])}")
    output.say(f"  {r['period']}, source {r['source']}, {r['file']} row {r['row']}")
    if r["corrects"]:
        what = r["corrects"]
        output.say(f"  a correction of charge {what['charge_id'] or '(not named)'} of "
                   f"{what['period'] or '(period not named)'}")

    def section(title: str, pairs: list[tuple[str, str]], empty: str = "none") -> None:
        output.say(title + ("" if pairs else f": {empty}"))
        width = max((len(k) for k, _ in pairs), default=0) + 2
        for k, v in pairs:
            output.say(f"  {k:<{width}}{v}".rstrip())

    who = r["billed_to"]
    section("billed to", [("PI", person(cfg, who["pi_email"])),
                          ("project", who["project_id"] or "(none)"),
                          ("fund/org", who["fund_org"] or "(none)")])
    if r["as_tagged"] != who:
        tagged = r["as_tagged"]
        output.say(f"  as tagged: {tagged['pi_email'] or '(no PI)'}, "
                   f"{tagged['project_id'] or '(no project)'}, "
                   f"{tagged['fund_org'] or '(no fund/org)'}")
    section("amounts (exact in -f json and among the columns below)",
            [("list price", money["list_cost"]), ("contracted price", money["contracted_cost"]),
             ("charged", money["charged"])])
    output.say("flags: " + (", ".join(r["flags"]) or "none"))
    if d:
        output.say(f"decision: {d['action']} by {d['by'] or '(not said)'} "
                   f"({d['file']}:{d['line']}): {d['reason']}")
    else:
        output.say("decision: none" + (" (pending review)" if r["state"] == "pending" else ""))
    pairs = parse_tags(r["tags"])
    if pairs is None:
        output.say(f"tags (not a JSON object): {r['tags']}")
    else:
        section("tags", pairs)
    section("corrections against it", [
        (c["charge_id"], f"{c['period']}  {c['state']}  "
         f"{format_money(Decimal(c['charged']), cfg.currency)}  {c['reason'] or ''}")
        for c in r["corrections"]])
    s = r["statement"]
    output.say(f"statement: {s['number']}, {s['pdf']}" if s else
               f"statement: none (the charge is {r['state']}, not billed)")
    section("columns (as in the file, exact; empty ones left out)", list(r["columns"].items()))
    return output


def person(cfg: Config, email: str | None) -> str:
    if not email:
        return "(none)"
    name = cfg.person_name(email)
    return email if name == email else f"{name} <{email}>"


def flat(record: dict[str, Any], prefix: str = "") -> list[list[str]]:
    """The record as ``field,value`` rows: nested names joined with dots."""
    rows = []
    for k, v in record.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += flat(v, name + ".")
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for n, item in enumerate(v):
                rows += flat(item, f"{name}.{n}.")
        else:
            rows.append([name, " ".join(v) if isinstance(v, list) else
                         "" if v is None else str(v)])
    return rows


def main(cfg: Config, charge_id: str | None, period: str | None, pi_email: str | None,
         project_id: str | None, fund_org: str | None, service: str | None,
         source: str | None, tag: list[str] | None, flag: str | None, state: str | None,
         fmt: str) -> Output:
    if charge_id is None:
        rows, problems = find(cfg, period, pi_email, project_id, fund_org, service, source,
                              tag, flag, state)
        return list_output(cfg, rows, problems, fmt)
    filters = (period, pi_email, project_id, fund_org, service, source, tag, flag, state)
    if any(filters):
        raise UsageError("give a charge ID to see one charge, or filters to find charges; "
                         "not both")
    record, problems = whole(cfg, charge_id)
    output = Output()
    for problem in problems:
        output.warn(f"warning: {problem}")
    if fmt == "json":
        output.say(json.dumps(record, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        output.say(csv_text(["field", "value"], flat(record)))
    else:
        output.extend(whole_lines(cfg, record))
    return output
