"""Stage: email every PI their statements for a period, exactly once.

1. ``Config.email`` the ``email`` section of data/config.yaml, checked with the config.
2. ``plan``      per PI of the period: the statement PDFs and the SHA-256 of each; the
                 delivery log says whether the PI is due a message.
3. ``render``    one message per PI: subject from config, plain-text and HTML bodies from
                 site_templates/email.txt.j2 and email.html.j2, every statement PDF attached.
4. ``deliver``   to the SMTP server (``smtp.Client``). Without an SMTP host, or with
                 ``--dry-run``, each message is written to build/emails/YYYY-MM/<pi>.eml
                 instead, and nothing is logged.

The delivery log, periods/YYYY-MM/deliveries.yaml, is committed with the period. It is
rewritten (atomically) before and after every message, so a crash loses nothing.

Exactly once. A PI whose latest entry is ``sent`` with the same statements is not sent
again; one whose statements changed since is reported, and resent only with ``--resend``.
"The same" compares the SHA-256 of each statement's CSV (its charges and amounts due), not
of the PDF, which also prints the data commit and so changes with every commit; the log
keeps both. Before a message is handed to the server its entry is written as ``sending``;
when the server accepts it, ``sent``. An entry still ``sending`` (the program died in
between) or ``unconfirmed`` (the connection dropped after the whole message was sent,
before the server's reply) means the message may or may not have arrived. Such a PI is
never sent again automatically: the admin looks up its Message-ID in the mail server's log
and either marks the entry ``sent`` or sends again with ``--only EMAIL --resend``. So a
crash can delay a statement but never duplicate one. The Message-ID is derived from the
period, the PI and the statements' CSV hashes, so a message sent again with the same
statements carries the same Message-ID, which mail systems use to drop duplicates.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any, NamedTuple, TypedDict

import jinja2

from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import (
    atomic_write,
    exclusive,
    replace_dir,
    sha256,
    shown,
    staging_dir,
)
from generator.common.money import format_money
from generator.common.progress import progress
from generator.deliver import smtp
from generator.read.config import SENDER_HINT, Config, Email
from generator.read.deliveries import Delivery, latest, read_alerts, read_log
from generator.read.layout import delivery_log
from generator.render.filters import environment, template_dirs, template_problem
from generator.render.naming import attachment_name, eml_name, page_url
from generator.render.site import pi_links
from generator.render.statements import Statement
from generator.warehouse.load import Warehouse

# RFC 5322 lines: CRLF, and at most 998 characters. The SHOULD of 78 is not kept: the email
# package folds a longer header right after its name ("Subject:" CRLF " text"), which
# parsers, its own included, read back with a leading space.
POLICY = SMTP.clone(max_line_length=998)
TEMPLATES = ("email.txt.j2", "email.html.j2")

@dataclass
class Mail:
    """One PI's message for the period, and where it stands against the log."""

    pi_email: str
    statements: list[Statement]
    files: list[dict[str, str]]  # as ``Delivery.statements``, in ``statements`` order
    state: str  # new | failed | unconfirmed | changed | current
    previous: Delivery | None = None
    message_id: str = ""
    bad_address: str | None = None  # why pi_email cannot be mailed
    pdfs: list[bytes] = field(default_factory=list)  # read by ``attach``, for due mails only
    message: EmailMessage | None = None


class ProjectContext(TypedDict):
    project_id: str
    project_name: str | None
    fund_org: str | None
    number: str
    list_cost: Decimal
    discount: Decimal
    subsidy: Decimal
    due: Decimal
    attachment: str


class EmailContext(TypedDict):
    organization: dict[str, str | None]  # name, contact, address
    period: str
    pi_name: str
    pi_email: str
    projects: list[ProjectContext]
    total_due: Decimal
    total_subsidy: Decimal
    pending: dict[str, Any] | None
    pi_url: str | None


@dataclass
class Report:
    period: str
    mode: str  # "smtp", "eml" (no SMTP host configured) or "dry-run"
    due: list[Mail] = field(default_factory=list)  # what this run sends (or would)
    sent: list[Delivery] = field(default_factory=list)
    failed: list[Delivery] = field(default_factory=list)
    unconfirmed: list[Delivery] = field(default_factory=list)  # this run or earlier
    changed: list[Mail] = field(default_factory=list)  # sent before; statements changed
    current: list[Mail] = field(default_factory=list)  # sent before; unchanged
    not_attempted: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    aborted: str | None = None
    alerts: Any = None  # the budget alerts sent after the statements (an ``alerts.Report``)

    @property
    def ok(self) -> bool:
        """Every PI due a statement has it, as far as the server told us, and every alert."""
        return not (self.failed or self.unconfirmed or self.not_attempted or self.aborted
                    or (self.alerts is not None and not self.alerts.ok))


def write_log(cfg: Config, period: str, entries: Sequence[Delivery],
              alerts: Sequence[Delivery] = ()) -> None:
    """The delivery log: the statements' ``entries``, then the budget ``alerts`` (each run
    passes both, as read at its start and changed since)."""
    header = (
        f"# What was emailed for {period}: written by `openchargeback send` after every\n"
        "# message. status: sent | failed | sending/unconfirmed (may have arrived; check the\n"
        "# mail server's log for the Message-ID, see docs/admin/email.md).\n"
    )
    items = "".join(e.yaml_item() for e in entries)
    body = f"deliveries:\n{items}" if entries else "deliveries: []\n"
    if alerts:
        body += "alerts:\n" + "".join(e.yaml_item() for e in alerts)
    atomic_write(delivery_log(cfg, period), (header + body).encode("utf-8"))


# --- plan --------------------------------------------------------------------------------


def plan(cfg: Config, period: str, statements: Sequence[Statement],
         log: Sequence[Delivery]) -> list[Mail]:
    """One ``Mail`` per PI with statements in ``period``, and its state against the log.

    Deciding needs only each statement's CSV hash; the PDFs are read by ``attach``, for the
    PIs a message actually goes to."""
    by_pi: dict[str, list[Statement]] = defaultdict(list)
    for st in statements:
        if st.period == period:
            by_pi[(st.pi_email or "").lower()].append(st)
    last = latest(log)
    mails = []
    for pi in sorted(by_pi):
        sts = sorted(by_pi[pi], key=lambda s: (s.project_id or "", s.fund_org or ""))
        files = [{"file": shown(cfg.root, st.pdf_path),
                  "charges_sha256": sha256(st.csv_path)} for st in sts]
        previous = last.get(pi)
        if previous is None:
            state = "new"
        elif previous.status == "failed":
            state = "failed"
        elif previous.status in ("sending", "unconfirmed"):
            state = "unconfirmed"
        elif _same(previous.statements, files):
            state = "current"
        else:
            state = "changed"
        mail = Mail(pi, sts, files, state, previous, bad_address=address_problem(pi))
        mails.append(mail)
    return mails


def attach(mail: Mail) -> None:
    """Read the mail's statement PDFs, and record the SHA-256 of each as it is sent."""
    mail.pdfs = [st.pdf_path.read_bytes() for st in mail.statements]
    mail.files = [{"file": f["file"], "sha256": _sha256(pdf),
                   "charges_sha256": f["charges_sha256"]}
                  for f, pdf in zip(mail.files, mail.pdfs, strict=True)]


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be a recipient (None when it can)."""
    try:
        if Address(addr_spec=address).domain and address.isascii():
            return None
    except (ValueError, IndexError, HeaderParseError):
        pass
    return f"{address!r} is not an email address; fix the PI's pi_email tag or reassign"


def _same(a: Sequence[dict[str, str]], b: Sequence[dict[str, str]]) -> bool:
    """The same statements with the same charges and amounts (their CSVs). Not the PDFs:
    those also print the data commit, which moves with every commit, this log's too."""
    return sorted((f["file"], f.get("charges_sha256")) for f in a) == \
        sorted((f["file"], f.get("charges_sha256")) for f in b)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_due(mail: Mail, resend: bool, only: Sequence[str]) -> bool:
    """New and failed PIs always; changed and unconfirmed ones with --resend; a PI already
    sent the same statements only when named with --only and --resend."""
    if mail.state in ("new", "failed"):
        return True
    if mail.state in ("changed", "unconfirmed"):
        return resend
    return resend and mail.pi_email in only


# --- render ------------------------------------------------------------------------------


class Templates(NamedTuple):
    subject: jinja2.Template  # from the config (email.subject, budget_alerts.subject)
    text: jinja2.Template
    html: jinja2.Template  # *.html.j2: the environment escapes every value it prints
    dirs: tuple[Path, ...]
    key: str  # the subject's key in the config


def templates(cfg: Config, subject: str | None = None, key: str = "email.subject",
              names: tuple[str, str] = TEMPLATES) -> Templates:
    """The subject (``key`` in the config, the statements' by default) and both bodies
    (``names``), compiled once per run (errors before anything is sent)."""
    dirs = template_dirs(cfg)
    env = environment(dirs, cfg.currency)
    try:  # the syntax was checked with the config; an unknown filter shows here
        compiled = env.from_string(subject or cfg.email.subject)
    except jinja2.TemplateSyntaxError as exc:
        raise DataError([Problem("data/config.yaml", f"{key}: not a valid template "
                                                     f"({exc.message})")]) from exc
    try:
        return Templates(compiled, env.get_template(names[0]), env.get_template(names[1]),
                         dirs, key)
    except jinja2.TemplateError as exc:
        raise DataError([template_problem(exc, dirs)]) from exc


def compose(s: Email, t: Templates, context: Any, to: str, message_id: str,
            now: datetime) -> EmailMessage:
    """A message to ``to`` from the templates ``t``: headers, the text and HTML bodies;
    ``context`` has the recipient's ``pi_name``."""
    try:
        subject = " ".join(t.subject.render(context).split())
    except jinja2.TemplateError as exc:
        raise DataError([Problem("data/config.yaml", f"{t.key}: {exc}")]) from exc
    try:
        text = t.text.render(context)
        html = t.html.render(context)
    except jinja2.TemplateError as exc:
        raise DataError([template_problem(exc, t.dirs)]) from exc
    message = EmailMessage(policy=POLICY)
    message["From"] = s.sender
    message["To"] = Address(" ".join(context["pi_name"].split()), addr_spec=to)
    if s.reply_to:
        message["Reply-To"] = s.reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def render(cfg: Config, s: Email, t: Templates, period: str, mail: Mail,
           pending: dict[str, Any] | None, pi_url: str | None, now: datetime) -> EmailMessage:
    """The message for ``mail``: headers, text and HTML bodies, statements attached."""
    context = email_context(cfg, period, mail, pending, pi_url)
    message = compose(s, t, context, mail.pi_email, mail.message_id, now)
    for project, pdf in zip(context["projects"], mail.pdfs, strict=True):
        message.add_attachment(pdf, maintype="application", subtype="pdf",
                               filename=project["attachment"])
    return message


def email_context(cfg: Config, period: str, mail: Mail,
                  pending: dict[str, Any] | None, pi_url: str | None) -> EmailContext:
    projects: list[ProjectContext] = []
    for st in mail.statements:
        pid = st.project_id or ""
        project = cfg.projects.get(pid)
        projects.append(ProjectContext(
            project_id=pid or "(no project)",
            project_name=project.name if project else None,
            fund_org=st.fund_org,
            number=st.number,
            list_cost=st.list_cost,
            discount=st.discount,
            subsidy=st.subsidy,
            due=st.total_due,
            attachment=attachment_name(period, st.project_id),
        ))
    return EmailContext(
        organization={"name": "", "contact": None, "address": None, **cfg.organization},
        period=period,
        pi_name=cfg.person_name(mail.pi_email),
        pi_email=mail.pi_email,
        projects=projects,
        total_due=sum((p["due"] for p in projects), Decimal(0)),
        total_subsidy=sum((p["subsidy"] for p in projects), Decimal(0)),
        pending=pending,
        pi_url=pi_url,
    )


def message_id(s: Email, period: str, mail: Mail) -> str:
    """Derived from period, PI and statement contents: the same statements, the same ID."""
    digest = _sha256("\0".join(
        [period, mail.pi_email, *sorted(f["charges_sha256"] for f in mail.files)]
    ).encode())
    domain = s.envelope_sender.rpartition("@")[2] or "openchargeback.invalid"
    return f"<{period}.{digest[:24]}@{domain}>"


# --- deliver -----------------------------------------------------------------------------


def send(
    wh: Warehouse,
    period: str,
    statements: Sequence[Statement],
    *,
    dry_run: bool = False,
    only: Sequence[str] = (),
    resend: bool = False,
    allow_pending: bool = False,
    retry_seconds: Sequence[float] = smtp.RETRY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Send each PI due a message their ``statements`` for ``period``; see the module doc.

    Every message is rendered before the first is sent, so a template error sends nothing.
    """
    cfg = wh.cfg
    s = cfg.email
    if not s.sender:
        raise DataError([Problem("data/config.yaml", f"email.from: missing; {SENDER_HINT}")])
    if not allow_pending:
        refuse_pending(cfg, period, wh.reconciliation())
    mode = "dry-run" if dry_run else "smtp" if s.smtp else "eml"
    # A real send holds the period's lock from reading the log to its last write: a second
    # run that read the log while this one sends would send the same statements again.
    with lock(cfg, period) if mode == "smtp" else contextlib.nullcontext():
        log = read_log(cfg, period)
        report = prepare(wh, s, period, statements, log, mode, only, resend)
        if mode != "smtp":
            for mail in report.due:
                if mail.bad_address:
                    report.failed.append(Delivery(mail.pi_email, "failed", mail.message_id,
                                                  mail.files, error=mail.bad_address))
            report.written = write_eml(cfg, period, [m for m in report.due if m.message])
            return report
        assert s.smtp is not None
        with smtp.Client(s.smtp, retry_seconds, sleep) as client:
            deliver(cfg, s, period, client, (log, read_alerts(cfg, period)), report)
    return report


def prepare(wh: Warehouse, s: Email, period: str, statements: Sequence[Statement],
            log: Sequence[Delivery], mode: str, only: Sequence[str],
            resend: bool) -> Report:
    """Who is due a message (against ``log``), and every due message rendered."""
    cfg = wh.cfg
    only = [o.strip().lower() for o in only]
    mails = plan(cfg, period, statements, log)
    unknown = sorted(set(only) - {m.pi_email for m in mails})
    if unknown:
        raise UsageError(f"no statement for {', '.join(unknown)} in {period}; "
                         "check the email (`openchargeback show EMAIL`)")
    report = Report(period, mode)
    for mail in mails:
        if only and mail.pi_email not in only:
            continue
        mail.message_id = message_id(s, period, mail)
        if is_due(mail, resend, only):
            report.due.append(mail)
        elif mail.state == "changed":
            report.changed.append(mail)
        elif mail.state == "unconfirmed":
            assert mail.previous is not None
            report.unconfirmed.append(mail.previous)
        else:
            report.current.append(mail)

    compiled = templates(cfg)
    pending = {r["pi_email"]: r for r in wh.query("pi_pending", pi_email=None, period=period)}
    pages = pi_links(wh) if s.site_url else {}  # the PI's private link in links and sso
    now = datetime.now(UTC)
    for mail in report.due:
        attach(mail)
        if not mail.bad_address:
            url = page_url(s.site_url, pages[mail.pi_email]) if s.site_url else None
            mail.message = render(cfg, s, compiled, period, mail,
                                  pending.get(mail.pi_email), url, now)
    return report


def deliver(cfg: Config, s: Email, period: str, client: smtp.Client,
            logs: tuple[list[Delivery], list[Delivery]], report: Report) -> None:
    """Hand each due message to the server, logging before and after each one (``logs``:
    the log's statement entries, and its alerts, kept as they are)."""
    items = [(Delivery(m.pi_email, "sending", m.message_id, m.files, error=m.bad_address),
              m.message, [m.pi_email, *s.bcc]) for m in report.due]
    stopped = deliver_each(cfg, period, client, logs, logs[0], items, report)
    if stopped is not None:
        report.not_attempted = [m.pi_email for m in report.due[stopped:]]


def deliver_each(cfg: Config, period: str, client: smtp.Client,
                 logs: tuple[list[Delivery], list[Delivery]], into: list[Delivery],
                 items: Sequence[tuple[Delivery, EmailMessage | None, list[str]]],
                 report: Any) -> int | None:
    """Hand each (entry, message, recipients) to the server: its entry is added to ``into``
    (one of ``logs``, the log's statement entries and alerts) and the log written before and
    after; a message of None (no address) fails. Each entry ends in the ``report``'s
    ``sent``, ``failed`` or ``unconfirmed``. When the server cannot be reached or logged in
    to, the run stops (``report.aborted``): the index of the item it stopped at."""
    for n, (entry, message, recipients) in enumerate(
            progress(items, "Sending", lambda item: item[0].recipient)):
        into.append(entry)
        if message is None:  # not an address: nothing to hand over
            entry.status = "failed"
        else:
            write_log(cfg, period, *logs)
            try:
                hand_over(client, cfg.email.envelope_sender, message, entry, recipients)
            except smtp.SmtpSetupError as exc:
                into.remove(entry)  # nothing was handed over
                write_log(cfg, period, *logs)
                report.aborted = str(exc)
                return n
        {"sent": report.sent, "failed": report.failed,
         "unconfirmed": report.unconfirmed}[entry.status].append(entry)
        entry.sent_at = datetime.now(UTC).isoformat(timespec="seconds")
        write_log(cfg, period, *logs)
    return None


def hand_over(client: smtp.Client, sender: str, message: EmailMessage, entry: Delivery,
              recipients: Sequence[str]) -> None:
    """Hand ``message`` to the server and record in ``entry`` what became of it: ``sent``
    (and any refused Bcc), ``failed`` or ``unconfirmed``, with the attempts. An
    ``smtp.SmtpSetupError`` (nothing was handed over) is the caller's."""
    try:
        accepted = client.send(message, sender, recipients)
    except smtp.Unconfirmed as exc:
        entry.status, entry.error, entry.attempts = "unconfirmed", str(exc), exc.attempts
    except smtp.Failure as exc:
        entry.status, entry.error, entry.attempts = "failed", str(exc), exc.attempts
    else:
        entry.status, entry.attempts = "sent", accepted.attempts
        entry.bcc_refused = sorted(accepted.refused)


def write_eml(cfg: Config, period: str, mails: Sequence[Mail]) -> list[Path]:
    """Each message as build/emails/YYYY-MM/<pi>.eml (the folder replaced as a whole)."""
    named = []
    for mail in mails:
        assert mail.message is not None
        named.append((eml_name(mail.pi_email), mail.message))
    return write_messages(cfg.build_dir / "emails" / period, named)


def write_messages(final: Path, named: Sequence[tuple[str, EmailMessage]]) -> list[Path]:
    """Each (file name, message) as an .eml file in ``final``, replaced as a whole."""
    staged = staging_dir(final)
    for name, message in named:
        (staged / name).write_bytes(message.as_bytes())
    replace_dir(staged, final)
    return [final / name for name, _ in named]


def lock(cfg: Config, period: str) -> contextlib.AbstractContextManager[None]:
    """One sender per period at a time (two cron runs must not both send, statements or
    alerts)."""
    return exclusive(cfg.build_dir / "emails" / f".{period}.lock",
                     f"another `send` for {period} is running; wait for it to finish")


def refuse_pending(cfg: Config, period: str, reconciliation: Sequence[dict[str, Any]]) -> None:
    """Sending a period with charges pending review is refused (``--allow-pending``)."""
    for r in reconciliation:
        if r["period"] == period and r["pending_rows"]:
            amount = format_money(r["pending"], cfg.currency)
            raise DataError([Problem(
                f"periods/{period}",
                (f"1 charge ({amount}) is" if r["pending_rows"] == 1 else
                 f"{r['pending_rows']} charges ({amount}) are") + " pending review; decide them "
                f"(`openchargeback review list -p {period}`) or send anyway with "
                "--allow-pending (they are then left off the statements)",
            )])
