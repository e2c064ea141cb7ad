"""``send -p YYYY-MM``: email each PI their statements for a period, once, then the alerts of
their budgets, once per threshold crossed; a rerun sends only what is missing (see
periods/YYYY-MM/deliveries.yaml, ``generator.deliver.email`` and ``generator.deliver.alerts``)."""

from __future__ import annotations

from typing import Any

from generator.commands.lock import writing_outputs
from generator.commands.output import Output, count
from generator.common.errors import DataError
from generator.deliver import alerts, email
from generator.read.config import Config
from generator.render.statements import Statement, write_statements
from generator.warehouse import load as loader


def run(cfg: Config, period: str, **options: Any) -> email.Report:
    """Load the repo, rebuild the period's statements, send them and the budget alerts."""
    with writing_outputs(cfg):
        wh = loader.load(cfg)  # every period: flags and statements need the history, as build
        if wh.problems:
            raise DataError(wh.problems)
        return deliver(wh, period, write_statements(wh, [period]), **options)


def deliver(wh: loader.Warehouse, period: str, statements: list[Statement],
            **options: Any) -> email.Report:
    """Send the ``statements``, then (unless the server could not be reached) the budget
    alerts as of ``period``, to the same PIs when ``only`` names them."""
    report = email.send(wh, period, statements, **options)
    if not report.aborted:
        report.alerts = alerts.send(wh, period, dry_run=options.get("dry_run", False),
                                    only=options.get("only", ()),
                                    **{k: v for k, v in options.items()
                                       if k in ("retry_seconds", "sleep")})
    return report


def describe(cfg: Config, report: email.Report) -> Output:
    """What a send did: each message sent or failed, what was held back and why."""
    output = Output(exit_code=0 if report.ok else 1)
    p = report.period
    if report.mode != "smtp":
        why = "dry run" if report.mode == "dry-run" else "no email.smtp.host in the config"
        for mail in report.due:
            if mail.message is not None:
                output.say(f"would send {mail.pi_email} ({mail.state}): "
                           f"{count(len(mail.files), 'statement')}")
        if report.written:
            folder = report.written[0].parent.relative_to(cfg.root)
            output.say(f"{why}: wrote {count(len(report.written), 'message')} to {folder}/; "
                       "nothing was sent or logged")
    for d in report.sent:
        output.say(f"sent {d.recipient}: {count(len(d.statements), 'statement')}, "
                   f"{d.message_id}")
        for address in d.bcc_refused:
            output.warn(f"warning: Bcc {address} was refused for {d.recipient}")
    for d in report.failed:
        output.warn(f"failed {d.recipient}: {d.error}")
    for d in report.unconfirmed:
        output.warn(
            f"unconfirmed {d.recipient}: {d.error or 'the program stopped while sending'}; "
            f"look for {d.message_id} in the mail server's log: if it was accepted, set its "
            f"status to sent in periods/{p}/deliveries.yaml, otherwise run "
            f"`openchargeback send -p {p} --only {d.recipient} --resend`")
    for mail in report.changed:
        sent = mail.previous.sent_at if mail.previous else "?"
        output.warn(f"changed {mail.pi_email}: statements differ from those sent {sent}; "
                    "send them again with --resend")
    if report.aborted:
        output.warn(f"error: stopped: {report.aborted}")
        output.warn(f"not attempted: {', '.join(report.not_attempted)}")
    if isinstance(report.alerts, alerts.Report):
        output.extend(describe_alerts(cfg, report.alerts))
    counts = [f"{len(report.sent)} sent", f"{len(report.failed)} failed",
              f"{len(report.unconfirmed)} unconfirmed", f"{len(report.changed)} changed",
              f"{len(report.current)} already sent"]
    output.say(f"{p}: " + ", ".join(counts))
    return output


def describe_alerts(cfg: Config, report: alerts.Report) -> Output:
    """What the budget alerts did: each sent, failed or unconfirmed (or written)."""
    output = Output()
    p = report.period
    if report.mode != "smtp":
        for a in report.due:
            output.say(f"would alert {a.pi_email}: {a.budget['label']}, "
                       f"{', '.join(a.crossed)}")
        if report.written:
            folder = report.written[0].parent.relative_to(cfg.root)
            output.say(f"wrote {count(len(report.written), 'budget alert')} to {folder}/")
    for d in report.sent:
        output.say(f"alerted {d.recipient}: {d.budget}, {', '.join(d.alerts)}, "
                   f"{d.message_id}")
        for address in d.bcc_refused:
            output.warn(f"warning: Bcc {address} was refused for {d.recipient}'s alert")
    for d in report.failed:
        output.warn(f"failed alert to {d.recipient}: {d.error}")
    for d in report.unconfirmed:
        output.warn(f"unconfirmed alert to {d.recipient}: {d.error}; look for {d.message_id} "
                    "in the mail server's log: if it was not accepted, set its status to "
                    f"failed under alerts: in periods/{p}/deliveries.yaml and send again")
    if report.aborted:
        output.warn(f"error: alerts stopped: {report.aborted}")
    if report.due or report.current:
        output.say(f"{p} budget alerts: {len(report.sent)} sent, {len(report.failed)} failed, "
                   f"{len(report.unconfirmed)} unconfirmed, {report.current} told before")
    return output


def main(cfg: Config, period: str, dry_run: bool, only: list[str] | None, resend: bool,
         allow_pending: bool) -> Output:
    report = run(cfg, period, dry_run=dry_run, only=only or (), resend=resend,
                 allow_pending=allow_pending)
    return describe(cfg, report)
