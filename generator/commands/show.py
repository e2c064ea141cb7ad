"""``show PI_EMAIL``: a PI's costs in the terminal, per period and project, with discounts and
subsidy, what is pending review, and the statements emailed to them."""

from __future__ import annotations

from pathlib import Path

from generator.commands.output import Output, Table, count
from generator.common.errors import DataError, Problem
from generator.common.money import format_money
from generator.read.config import Config
from generator.read.deliveries import history
from generator.warehouse import load as loader


def show(cfg: Config, pi_email: str, period: str | None = None) -> Output:
    wh = loader.load(cfg)  # every period: cost_spike needs the history
    email = pi_email.strip().lower()
    rows = wh.query("pi_costs", pi_email=email, period=period)
    pending = wh.query("pi_pending", pi_email=email, period=period)
    if not rows and not pending:
        raise DataError([Problem(email, "no charges for this PI; check the email")])

    def money(amount: object) -> str:
        return format_money(amount, cfg.currency)  # type: ignore[arg-type]

    output = Output()
    output.say(f"{cfg.person_name(email)} <{email}>")
    table = Table(["period", "project", "fund/org", "list price", "discount", "subsidy", "due"],
                  kinds=dict.fromkeys(["list price", "discount", "subsidy", "due"], "amount"))
    for r in rows:
        table.rows.append([r["period"], r["project_id"] or "", r["fund_org"] or "",
                           money(r["list_cost"]), money(r["discount"]), money(r["subsidy"]),
                           money(r["charged"])])
    output.table(table)
    output.say("due = list price − discount − subsidy (the amounts each takes off)")
    for p in pending:
        output.say(f"{p['period']}: {count(p['charges'], 'charge')} pending review "
                   f"({money(p['amount'])}, not billed)")
    for month, d in history(cfg, email, [period] if period else wh.periods):
        files = ", ".join(Path(f["file"]).name for f in d.statements)
        output.say(f"{month}: email {d.status} {d.sent_at or ''} {d.message_id} ({files})"
                   + (f": {d.error}" if d.error else ""))
    return output
