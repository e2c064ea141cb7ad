"""Delivery: statements emailed to every PI exactly once, against a real SMTP server.

Each test starts aiosmtpd on 127.0.0.1 (a free port) with a ``Mailbox`` handler that keeps
what it accepts and can misbehave on request: refuse a recipient, defer one (4xx), go down
after some messages, or take a message and drop the connection before replying.
"""

from __future__ import annotations

import dataclasses
import fcntl
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import CONFIG, commit_all, csv_file, row, tags

from generator.common.errors import DataError, UsageError
from generator.deliver import email as delivery
from generator.read.config import load_config
from generator.render.statements import Statement, write_statements
from generator.warehouse import load as loader

PERIOD = "2026-10"
PEOPLE = """\
ada@test.edu: {name: Ada Lovelace}
bob@test.edu: {name: Bob Noyce}
cy@test.edu: {name: Cy Young}
dee@test.edu: {name: Dee Hock}
"""
# ada has two projects; one charge of cy's is pending review (no fund/org).
AWS = csv_file(
    row(cost="10.00", list_cost="12.00", contracted="11.00", tag=tags("ada@test.edu", "p1")),
    row(cost="5.00", list_cost="5.00", contracted="5.00", tag=tags("ada@test.edu", "p2")),
    row(cost="20.00", list_cost="30.00", contracted="25.00", tag=tags("bob@test.edu", "p3")),
    row(cost="7.50", list_cost="7.50", contracted="7.50", tag=tags("cy@test.edu", "p4")),
    row(cost="3.00", list_cost="3.00", contracted="3.00", tag=tags("cy@test.edu", "p4", None),
        resource="i-2"),
    row(cost="1.25", list_cost="1.25", contracted="1.25", tag=tags("dee@test.edu", "p5")),
)


# --- an SMTP server that keeps what it accepts -----------------------------------------


@dataclass
class Mailbox:
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address → 5xx reply
    defer: dict[str, int] = field(default_factory=dict)  # address → 451 replies left
    down_after: int | None = None  # after this many messages, drop every MAIL
    lose_reply: set[str] = field(default_factory=set)  # keep the message, drop the reply

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.down_after is not None and len(self.messages) >= self.down_after:
            server.transport.close()
            return "421 going down"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.defer.get(address):
            self.defer[address] -= 1
            return "451 4.7.1 try again later"
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.lose_reply & set(envelope.rcpt_tos):
            server.transport.close()
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[EmailMessage]:
        """Every message delivered to ``address``, parsed."""
        return [BytesParser(policy=default).parsebytes(content)  # type: ignore[misc]
                for _, rcpts, content in self.messages if address in rcpts]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Mailbox, int]]]:
    """``start(**controller_options)`` → (mailbox, port); stopped after the test."""
    controllers: list[Controller] = []

    def start(mailbox: Mailbox | None = None, **options: Any) -> tuple[Mailbox, int]:
        mailbox = mailbox or Mailbox()
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return mailbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem)."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


# --- a billing repo with statements ----------------------------------------------------


def email_config(port: int | None, **smtp: Any) -> str:
    section: dict[str, Any] = {
        "from": "Research Computing Billing <billing@test.edu>",
        "reply_to": "help@test.edu",
        "subject": "{{ organization.name }}: statement for {{ period | period_name }}",
        "site_url": "https://billing.test.edu/",
    }
    if port is not None:
        section["smtp"] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5,
                           **smtp}
    # The open site: the link is the PI's public page (links mode: test_site_access.py).
    return CONFIG + yaml.safe_dump({"email": section, "site": {"access": "open"}})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Statement]]:
    """The test repo's statements, rendered once per module (rendering takes a second)."""
    root = tmp_path_factory.mktemp("built") / "repo"
    for name, text in (("data/config.yaml", email_config(None)), ("data/people.yaml", PEOPLE),
                       ("periods/2026-10/aws.csv", AWS)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root, write_statements(loader.load(load_config(root)), [PERIOD])


@pytest.fixture
def repo(make_repo: Callable[..., Path],
         built: tuple[Path, list[Statement]]) -> Callable[..., tuple[Path, list[Statement]]]:
    """``repo(port, **smtp)`` → (root, its statements): the built ones, copied in."""

    def make(port: int | None, **smtp: Any) -> tuple[Path, list[Statement]]:
        root = make_repo({"periods/2026-10/aws.csv": AWS, "data/people.yaml": PEOPLE},
                         config=email_config(port, **smtp))
        source, statements = built
        shutil.copytree(source / "build", root / "build")
        moved = [dataclasses.replace(
            st, **{k: root / getattr(st, k).relative_to(source)
                   for k in ("md_path", "pdf_path", "csv_path")}) for st in statements]
        return root, moved

    return make


def run(root: Path, statements: list[Statement] | None = None,
        **options: Any) -> tuple[delivery.Report, list[Statement]]:
    """Load the repo and send; statements rebuilt unless given; no waiting between retries."""
    wh = loader.load(load_config(root))
    assert not wh.problems
    if statements is None:
        statements = write_statements(wh, [PERIOD])
    options.setdefault("allow_pending", True)
    options.setdefault("retry_seconds", (0, 0))
    return delivery.send(wh, PERIOD, statements, **options), statements


def attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def log(root: Path) -> list[dict[str, Any]]:
    return yaml.safe_load((root / "periods" / PERIOD / "deliveries.yaml").read_text())[
        "deliveries"]


# --- what arrives --------------------------------------------------------------------------


def test_each_pi_gets_one_message_with_bodies_and_every_statement_attached(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    report, statements = run(root, statements)

    assert report.ok and [d.recipient for d in report.sent] == [
        "ada@test.edu", "bob@test.edu", "cy@test.edu", "dee@test.edu"]
    assert [rcpts for _, rcpts, _ in box.messages] == [[d.recipient] for d in report.sent]
    assert {sender for sender, _, _ in box.messages} == {"billing@test.edu"}

    (ada,) = box.to("ada@test.edu")
    assert ada["To"] == "Ada Lovelace <ada@test.edu>"
    assert ada["From"] == "Research Computing Billing <billing@test.edu>"
    assert ada["Reply-To"] == "help@test.edu"
    assert ada["Subject"] == "Test University Research Computing: statement for October 2026"
    assert ada["Message-ID"] == report.sent[0].message_id
    text = ada.get_body(("plain",)).get_content()
    html = ada.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Dear Ada Lovelace," in body
        assert "p1" in body and "p2" in body
        assert "$10.00" in body and "$5.00" in body  # each project's amount due
        assert "$1.00" in body  # p1's subsidy delivered: contracted 11.00 − charged 10.00
        assert "$15.00" in body  # the total of both
        assert "https://billing.test.edu/billing/pis/ada@test.edu/" in body
        assert "pending review" not in body.lower()
    ada_pdfs = {st.project_id: st.pdf_path.read_bytes() for st in statements
                if st.pi_email == "ada@test.edu"}
    assert attachments(ada) == {
        "statement-2026-10-p1.pdf": ada_pdfs["p1"],
        "statement-2026-10-p2.pdf": ada_pdfs["p2"],
    }
    assert all(part.get_content_type() == "application/pdf" for part in ada.iter_attachments())

    (cy,) = box.to("cy@test.edu")
    assert "Pending review: 1 charge ($3.00) is still being reviewed" in \
        cy.get_body(("plain",)).get_content()
    assert "<strong>Pending review:</strong> 1 charge ($3.00)" in \
        cy.get_body(("html",)).get_content()


def test_the_log_records_each_message_with_the_hash_of_each_statement(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    import hashlib

    _, port = smtp_server()
    root, statements = repo(port)
    report, statements = run(root, statements)
    entries = log(root)
    assert [e["recipient"] for e in entries] == [d.recipient for d in report.sent]
    ada = entries[0]
    assert ada["status"] == "sent" and ada["attempts"] == 1
    assert ada["message_id"].startswith("<2026-10.") and ada["message_id"].endswith(
        "@test.edu>")
    assert ada["sent_at"].endswith("+00:00")
    assert ada["statements"] == [
        {"file": f"build/statements/2026-10/ada@test.edu/{p}.pdf",
         "sha256": hashlib.sha256(st.pdf_path.read_bytes()).hexdigest(),
         "charges_sha256": hashlib.sha256(st.csv_path.read_bytes()).hexdigest()}
        for p, st in (("p1", statements[0]), ("p2", statements[1]))
    ]
    assert delivery.latest(delivery.read_log(load_config(root), PERIOD))[
        "bob@test.edu"].status == "sent"


def test_a_rerun_sends_nothing_already_sent(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    _, statements = run(root, statements)
    for st in statements:  # deciding reads only the CSVs; PDFs are read for due PIs
        st.pdf_path.unlink()
    report, _ = run(root, statements)
    assert report.ok and not report.due and not report.sent
    assert [m.pi_email for m in report.current] == [
        "ada@test.edu", "bob@test.edu", "cy@test.edu", "dee@test.edu"]
    assert len(box.messages) == 4 and len(log(root)) == 4


# --- failures -------------------------------------------------------------------------------


def test_a_refused_recipient_and_a_server_going_down_then_a_rerun_delivers_the_rest_once(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server(Mailbox(refuse={"bob@test.edu": "550 5.1.1 no such user"},
                                    down_after=2))
    root, statements = repo(port)
    first, statements = run(root, statements)
    # ada accepted; bob refused for good; cy accepted; then the server drops every MAIL.
    assert [d.recipient for d in first.sent] == ["ada@test.edu", "cy@test.edu"]
    assert {d.recipient: d.error for d in first.failed} == {
        "bob@test.edu": "RCPT TO bob@test.edu: 550 5.1.1 no such user",
        "dee@test.edu": "connection lost: Connection unexpectedly closed",
    }
    assert [d.attempts for d in first.failed] == [1, 3]  # 5xx not retried; drops retried
    assert not first.ok
    assert [e["status"] for e in log(root)] == ["sent", "failed", "sent", "failed"]

    box.down_after = None  # the server is back; bob's mailbox still does not exist
    second, _ = run(root, statements)
    assert [d.recipient for d in second.sent] == ["dee@test.edu"]
    assert [d.recipient for d in second.failed] == ["bob@test.edu"]
    assert {len(box.to(pi)) for pi in ("ada@test.edu", "cy@test.edu", "dee@test.edu")} == {1}
    assert box.to("bob@test.edu") == []
    assert [(e["recipient"], e["status"]) for e in log(root)][4:] == [
        ("bob@test.edu", "failed"), ("dee@test.edu", "sent")]


def test_a_temporary_failure_is_retried_with_exponential_backoff(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server(Mailbox(defer={"bob@test.edu": 2}))
    root, statements = repo(port)
    waits: list[float] = []
    report, _ = run(root, statements, retry_seconds=(2, 4, 8), sleep=waits.append)
    assert report.ok and waits == [2, 4]
    assert len(box.to("bob@test.edu")) == 1
    assert {e["recipient"]: e["attempts"] for e in log(root)}["bob@test.edu"] == 3


def test_a_refusal_after_a_retry_logs_every_attempt(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    _, port = smtp_server(Mailbox(defer={"bob@test.edu": 1},
                                  refuse={"bob@test.edu": "550 5.1.1 no such user"}))
    root, statements = repo(port)
    report, _ = run(root, statements, retry_seconds=(0, 0, 0))
    assert [(d.recipient, d.attempts) for d in report.failed] == [("bob@test.edu", 2)]
    assert {e["recipient"]: e["attempts"] for e in log(root)}["bob@test.edu"] == 2


def test_giving_up_after_the_last_retry_logs_a_failure_and_goes_on(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server(Mailbox(defer={"ada@test.edu": 99}))
    root, statements = repo(port)
    report, _ = run(root, statements, retry_seconds=(0, 0, 0))
    assert [(d.recipient, d.attempts, d.error) for d in report.failed] == [
        ("ada@test.edu", 4, "RCPT TO ada@test.edu: 451 4.7.1 try again later")]
    assert len(report.sent) == 3 and len(box.messages) == 3


def test_a_message_whose_acceptance_was_not_heard_is_never_resent_automatically(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server(Mailbox(lose_reply={"bob@test.edu"}))
    root, statements = repo(port)
    first, statements = run(root, statements)
    (bob,) = first.unconfirmed
    assert bob.recipient == "bob@test.edu" and "may have been delivered" in (bob.error or "")
    assert not first.ok and len(first.sent) == 3
    assert len(box.to("bob@test.edu")) == 1  # it did arrive

    second, _ = run(root, statements)
    assert not second.sent and [d.recipient for d in second.unconfirmed] == ["bob@test.edu"]
    assert len(box.to("bob@test.edu")) == 1

    box.lose_reply = set()
    third, _ = run(root, statements, only=["bob@test.edu"], resend=True)
    assert [d.recipient for d in third.sent] == ["bob@test.edu"]
    copies = box.to("bob@test.edu")
    assert len(copies) == 2 and copies[0]["Message-ID"] == copies[1]["Message-ID"]


def test_a_crash_between_handing_over_and_logging_leaves_a_sending_entry_that_holds(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    run(root, statements)
    entries = log(root)
    entries[2]["status"] = "sending"  # what the log says if the program died mid-message
    del entries[2]["sent_at"]
    (root / "periods" / PERIOD / "deliveries.yaml").write_text(
        yaml.safe_dump({"deliveries": entries}))
    report, _ = run(root, statements)
    assert not report.sent and [d.recipient for d in report.unconfirmed] == ["cy@test.edu"]
    assert not report.ok and len(box.messages) == 4


def test_an_unreachable_server_stops_the_run_and_logs_nothing(
    repo: Callable[..., Path]
) -> None:
    root, statements = repo(free_port())  # nobody listens there
    report, _ = run(root, statements)
    assert report.aborted and "cannot connect to 127.0.0.1" in report.aborted
    assert report.not_attempted == ["ada@test.edu", "bob@test.edu", "cy@test.edu",
                                    "dee@test.edu"]
    assert log(root) == []


def test_a_pi_email_that_is_not_an_address_gets_no_statement_and_no_message(
    smtp_server: Callable[..., tuple[Mailbox, int]], make_repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    hostile = ("grace", "ada.okafor(@test.edu)@evil.com", "../../etc/passwd")
    aws = AWS + "".join(row(cost="2.00", tag=tags(pi, "p9"), resource=f"i-{n}") + "\n"
                        for n, pi in enumerate(hostile))
    root = make_repo({"periods/2026-10/aws.csv": aws, "data/people.yaml": PEOPLE},
                     config=email_config(port))
    report, statements = run(root)
    # Flagged invalid_pi_email, pending: no statement, no envelope, no file named after it.
    assert {s.pi_email for s in statements} == {"ada@test.edu", "bob@test.edu",
                                                "cy@test.edu", "dee@test.edu"}
    assert not report.failed and len(report.sent) == 4 and len(box.messages) == 4
    recipients = {r for _, tos, _ in box.messages for r in tos}
    assert not any("evil" in r or "grace" in r or "etc" in r for r in recipients)
    assert not [p for p in (root / "build").rglob("*") if "etc" in p.name or "evil" in p.name]
    wh = loader.load(load_config(root))
    assert [r["flag"] for r in wh.query("pending_by_flag") if r["flag"] == "invalid_pi_email"]


# --- changed statements ------------------------------------------------------------------


def test_a_statement_changed_since_it_was_sent_is_reported_and_resent_only_with_resend(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    run(root, statements)
    aws = root / "periods" / PERIOD / "aws.csv"  # a late charge for bob's project
    aws.write_text(aws.read_text() + row(cost="4.00", tag=tags("bob@test.edu", "p3"),
                                         resource="i-late") + "\n")

    report, statements = run(root)  # statements rebuilt from the new data
    assert [m.pi_email for m in report.changed] == ["bob@test.edu"]
    assert report.ok and not report.sent and len(box.messages) == 4

    report, _ = run(root, statements, resend=True)
    assert [d.recipient for d in report.sent] == ["bob@test.edu"]
    first, second = box.to("bob@test.edu")
    bob = next(st for st in statements if st.pi_email == "bob@test.edu")
    assert bob.total_due == Decimal("24.00")
    assert attachments(second) == {"statement-2026-10-p3.pdf": bob.pdf_path.read_bytes()}
    assert "$24.00" in second.get_body(("plain",)).get_content()
    assert first["Message-ID"] != second["Message-ID"]
    assert [e["recipient"] for e in log(root)].count("bob@test.edu") == 2


def test_committing_the_log_changes_every_pdf_but_no_statement_counts_as_changed(
    smtp_server: Callable[..., tuple[Mailbox, int]], make_repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root = make_repo({"periods/2026-10/aws.csv": AWS, "data/people.yaml": PEOPLE,
                      ".gitignore": "build/\n"}, config=email_config(port))
    commit_all(root, "October")
    _, statements = run(root)
    before = {st.pdf_path: st.pdf_path.read_bytes() for st in statements}

    report, rebuilt = run(root)  # the log is not committed yet: no "uncommitted changes"
    assert "uncommitted" not in rebuilt[0].md_path.read_text()
    assert not report.due and not report.changed

    commit = commit_all(root, "Statements for October emailed")[:12]
    report, rebuilt = run(root)
    assert all(st.pdf_path.read_bytes() != before[st.pdf_path] for st in rebuilt)
    assert f"data commit {commit}" in rebuilt[0].md_path.read_text()
    assert len(report.current) == 4 and not report.changed and not report.due
    assert len(box.messages) == 4


def test_only_sends_to_the_named_pis_and_resend_with_only_sends_again(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    report, statements = run(root, statements, only=["Dee@test.edu"])
    assert [d.recipient for d in report.sent] == ["dee@test.edu"]
    report, _ = run(root, statements, resend=True)  # --resend alone: only what is missing
    assert [d.recipient for d in report.sent] == ["ada@test.edu", "bob@test.edu",
                                                 "cy@test.edu"]
    report, _ = run(root, statements, only=["dee@test.edu"], resend=True)
    assert [d.recipient for d in report.sent] == ["dee@test.edu"]
    assert len(box.to("dee@test.edu")) == 2 and len(box.messages) == 5
    with pytest.raises(UsageError, match="no statement for zed@test.edu in 2026-10"):
        run(root, statements, only=["zed@test.edu"])


def test_a_send_holds_the_period_lock_from_reading_the_log_and_a_second_one_stops(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    lock = root / "build" / "emails" / f".{PERIOD}.lock"
    held_while_reading: list[bool] = []
    read_log = delivery.read_log

    def reading(cfg: Any, period: str) -> list[delivery.Delivery]:
        lock.parent.mkdir(parents=True, exist_ok=True)
        with lock.open("w") as fh:  # another open file: flock conflicts if the send holds it
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held_while_reading.append(False)
            except BlockingIOError:
                held_while_reading.append(True)
        return read_log(cfg, period)

    monkeypatch.setattr(delivery, "read_log", reading)
    run(root, statements)
    assert held_while_reading == [True] and len(box.messages) == 4

    with lock.open("w") as fh:  # a send that is still running
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(UsageError, match="another `send` for 2026-10 is running"):
            run(root, statements, resend=True, only=["ada@test.edu"])
    assert len(box.messages) == 4


def test_pending_charges_refuse_the_send_unless_allowed(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    with pytest.raises(DataError, match=r"1 charge \(\$3.00\) is pending review.*"
                                        r"--allow-pending"):
        run(root, statements, allow_pending=False)
    assert box.messages == [] and not (root / "periods" / PERIOD / "deliveries.yaml").exists()


# --- TLS and login -------------------------------------------------------------------------


def tls_server(smtp_server: Callable[..., tuple[Mailbox, int]], certificate: tuple[Path, Path],
               **options: Any) -> tuple[Mailbox, int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return smtp_server(tls_context=context, require_starttls=True, **options)


def test_starttls_with_a_self_signed_certificate_trusted_by_ca_file(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path],
    certificate: tuple[Path, Path],
) -> None:
    box, port = tls_server(smtp_server, certificate)
    root, statements = repo(port, security="starttls", ca_file=str(certificate[0]))
    report, _ = run(root, statements)
    assert report.ok and len(box.messages) == 4


def test_starttls_refuses_a_certificate_it_cannot_verify(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path],
    certificate: tuple[Path, Path],
) -> None:
    box, port = tls_server(smtp_server, certificate)
    root, statements = repo(port, security="starttls")
    report, _ = run(root, statements)
    assert report.aborted and "certificate verify failed" in report.aborted
    assert "email.smtp.ca_file" in report.aborted
    assert box.messages == [] and len(report.not_attempted) == 4


def test_login_with_credentials_from_the_environment(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path],
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    box, port = tls_server(smtp_server, certificate, auth_required=True,
                           authenticator=authenticator)
    root, statements = repo(port, security="starttls", ca_file=str(certificate[0]),
                user_env="TEST_SMTP_USER", password_env="TEST_SMTP_PASSWORD")
    monkeypatch.setenv("TEST_SMTP_USER", "billing")
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    report, statements = run(root, statements)
    assert "environment variable TEST_SMTP_PASSWORD is not set" in (report.aborted or "")

    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    report, _ = run(root, statements)
    assert "refused the login: 535" in (report.aborted or "")

    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    report, _ = run(root, statements)
    assert report.ok and len(box.messages) == 4
    assert logins[-1] == (b"billing", b"s3cret")


# --- .eml files ---------------------------------------------------------------------------


def test_dry_run_writes_eml_files_a_mail_client_can_open_and_sends_nothing(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    report, statements = run(root, statements, dry_run=True)
    folder = root / "build" / "emails" / PERIOD
    assert report.written == [folder / f"{pi}.eml" for pi in
                              ("ada@test.edu", "bob@test.edu", "cy@test.edu", "dee@test.edu")]
    assert box.messages == [] and not (root / "periods" / PERIOD / "deliveries.yaml").exists()

    raw = (folder / "ada@test.edu.eml").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # RFC 5322 line ends
    msg = BytesParser(policy=default).parsebytes(raw)
    for header in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version"):
        assert msg[header], header
    assert msg.get_content_type() == "multipart/mixed"
    assert msg.get_body(("plain",)).get_content().startswith("Dear Ada Lovelace,")
    assert set(attachments(msg).values()) == {st.pdf_path.read_bytes() for st in statements
                                              if st.pi_email == "ada@test.edu"}
    legacy = message_from_bytes(raw)  # the compat32 parser, as older tools read mail
    assert not legacy.defects and [p.get_content_type() for p in legacy.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html",
        "application/pdf", "application/pdf"]


def test_without_an_smtp_host_messages_are_written_as_eml_and_nothing_is_logged(
    repo: Callable[..., Path]
) -> None:
    root, statements = repo(None)
    report, _ = run(root, statements)
    assert report.mode == "eml" and len(report.written) == 4 and report.ok
    assert not (root / "periods" / PERIOD / "deliveries.yaml").exists()
    report, _ = run(root, statements, only=["bob@test.edu"])
    assert [p.name for p in (root / "build" / "emails" / PERIOD).iterdir()] == [
        "bob@test.edu.eml"]  # the folder holds this run's messages only


def test_a_broken_template_in_the_repo_is_reported_with_its_line_and_nothing_is_sent(
    smtp_server: Callable[..., tuple[Mailbox, int]], repo: Callable[..., Path]
) -> None:
    box, port = smtp_server()
    root, statements = repo(port)
    (root / "site_templates").mkdir()
    (root / "site_templates" / "email.txt.j2").write_text("Dear {{ pi_name }},\n{% if %}\n")
    with pytest.raises(DataError) as exc:
        run(root, statements)
    assert [str(p) for p in exc.value.problems] == [
        "site_templates/email.txt.j2:2: template error: Expected an expression, got 'end of "
        "statement block'; fix the template"]
    assert box.messages == [] and not (root / "periods" / PERIOD / "deliveries.yaml").exists()

    (root / "site_templates" / "email.txt.j2").write_text("Dear {{ pi_name }},\n{{ pi_nmae }}\n")
    with pytest.raises(DataError) as exc:
        run(root, statements)
    assert [str(p) for p in exc.value.problems] == [
        "site_templates/email.txt.j2:2: template error: 'pi_nmae' is undefined; fix the "
        "template"]
    (root / "site_templates" / "email.txt.j2").unlink()
    config = root / "data" / "config.yaml"
    config.write_text(config.read_text().replace("{{ period | period_name }}", "{{ perod }}"))
    with pytest.raises(DataError, match=r"data/config.yaml: email.subject: 'perod' is undefined"):
        run(root, statements)
    assert box.messages == []


def test_the_link_to_the_pi_page_is_the_page_the_site_writes(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    from generator.render.site import generate_pages

    # Two PIs whose emails slug alike: the site gives each page a hashed name.
    aws = AWS + "".join(row(cost="1.00", tag=tags(pi, "p7"), resource=f"i-{n}") + "\n"
                        for n, pi in enumerate(("a!b@test.edu", "a-b@test.edu")))
    root = make_repo({"periods/2026-10/aws.csv": aws}, config=email_config(None))
    report, statements = run(root, only=["a!b@test.edu", "ada@test.edu"])
    generate_pages(loader.load(load_config(root)), tmp_path / "billing", statements)
    pages = []
    for eml in report.written:
        body = BytesParser(policy=default).parsebytes(eml.read_bytes())
        link = next(line for line in body.get_body(("plain",)).get_content().splitlines()
                    if line.startswith("Your costs by month and project: "))
        pages.append(link.rsplit("/billing/pis/", 1)[1].rstrip("/"))
        assert (tmp_path / "billing" / "pis" / f"{pages[-1]}.md").is_file(), link
    assert pages[0].startswith("a-b@test.edu-") and pages[1] == "ada@test.edu"  # hashed, bare


def test_an_organization_without_contact_renders_without_it(
    make_repo: Callable[..., Path]
) -> None:
    config = email_config(None).replace("  contact: billing@test.edu\n", "")
    root = make_repo({"periods/2026-10/aws.csv": AWS}, config=config)
    report, _ = run(root, only=["bob@test.edu"])
    msg = BytesParser(policy=default).parsebytes(report.written[0].read_bytes())
    text = msg.get_body(("plain",)).get_content()
    assert "Dear bob@test.edu," in text  # no name in people.yaml: the email
    assert "Questions? Reply to this email.\r\n" in text


def test_a_long_subject_stays_on_one_line_and_reads_back_exactly(
    make_repo: Callable[..., Path]
) -> None:
    subject = ("{{ organization.name }}: your research computing statement for "
               "{{ period | period_name }}")
    config = email_config(None).replace(
        "subject: '{{ organization.name }}: statement for {{ period | period_name }}'",
        f"subject: '{subject}'")
    root = make_repo({"periods/2026-10/aws.csv": AWS}, config=config)
    report, _ = run(root, only=["bob@test.edu"])
    raw = report.written[0].read_bytes()
    expected = ("Test University Research Computing: your research computing statement for "
                "October 2026")
    assert f"\r\nSubject: {expected}\r\n".encode() in raw  # 96 characters, not folded
    assert BytesParser(policy=default).parsebytes(raw)["Subject"] == expected


def test_html_body_escapes_names_from_the_data(
    repo: Callable[..., Path], tmp_path: Path
) -> None:
    root, statements = repo(None)
    people = root / "data" / "people.yaml"
    people.write_text(people.read_text().replace("Ada Lovelace", "Ada <b>Lovelace</b>"))
    report, _ = run(root, statements, only=["ada@test.edu"])
    msg = BytesParser(policy=default).parsebytes(report.written[0].read_bytes())
    assert "Dear Ada &lt;b&gt;Lovelace&lt;/b&gt;," in msg.get_body(("html",)).get_content()
    assert "Dear Ada <b>Lovelace</b>," in msg.get_body(("plain",)).get_content()


def test_the_log_is_rewritten_after_each_message_dumping_only_the_entry_that_changed(
    repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(repo(None)[0])
    dumps: list[int] = []
    real = yaml.safe_dump
    monkeypatch.setattr(yaml, "safe_dump",
                        lambda *a, **k: dumps.append(1) or real(*a, **k))  # type: ignore[func-returns-value]
    entries: list[delivery.Delivery] = []
    for i in range(200):  # as `deliver` does: `sending`, written; then the outcome, written
        entry = delivery.Delivery(f"pi{i}@test.edu", "sending", f"<m{i}@test.edu>",
                                  [{"file": f"f{i}.pdf", "sha256": "a", "charges_sha256": "b"}])
        entries.append(entry)
        delivery.write_log(cfg, PERIOD, entries)
        entry.status, entry.sent_at, entry.attempts = "sent", "2026-11-03T09:00:00+00:00", 1
        delivery.write_log(cfg, PERIOD, entries)
    assert len(dumps) == 400  # two per entry, not one per entry per write (40,200)
    assert [(e.recipient, e.status) for e in delivery.read_log(cfg, PERIOD)] == [
        (f"pi{i}@test.edu", "sent") for i in range(200)]


# --- settings and log errors -----------------------------------------------------------------


def test_bad_email_settings_are_reported_together(make_repo: Callable[..., Path]) -> None:
    section = {"from": "billing", "reply_to": "nobody", "subject": "{{ period",
               "smtp": {"host": "mail.test.edu", "security": "tls"}}
    root = make_repo(config=CONFIG + yaml.safe_dump({"email": section}))
    with pytest.raises(DataError) as exc:
        load_config(root)
    assert [p.message.split(":")[0] for p in exc.value.problems] == [
        "email.from", "email.reply_to", "email.subject", "email.smtp.security"]


def test_smtp_port_defaults_follow_security(make_repo: Callable[..., Path]) -> None:
    ports = {}
    for security in ("starttls", "ssl", "none"):
        section = {"from": "b@test.edu", "smtp": {"host": "mail.test.edu", "security": security}}
        root = make_repo(config=CONFIG + yaml.safe_dump({"email": section}))
        server = load_config(root).email.smtp
        assert server is not None
        ports[security] = server.port
    assert ports == {"starttls": 587, "ssl": 465, "none": 25}


def test_a_damaged_log_is_reported_with_its_file_and_key(
    repo: Callable[..., Path]
) -> None:
    root, statements = repo(None)
    (root / "periods" / PERIOD / "deliveries.yaml").write_text(
        "deliveries:\n  - recipient: ada@test.edu\n    status: delivered\n"
        "    sent_at: 'yesterday'\n")
    with pytest.raises(DataError) as exc:
        delivery.read_log(load_config(root), PERIOD)
    assert [str(p) for p in exc.value.problems] == [
        "periods/2026-10/deliveries.yaml: deliveries[0].message_id: required",
        "periods/2026-10/deliveries.yaml: deliveries[0].status: 'delivered'; use one of "
        "sending, sent, failed, unconfirmed",
        "periods/2026-10/deliveries.yaml: deliveries[0].sent_at: 'yesterday' is not a time "
        "like 2026-11-03T09:12:44+00:00",
    ]


# --- the command line, end to end -----------------------------------------------------------


def test_generate_send_builds_and_sends_and_a_second_run_sends_nothing(
    smtp_server: Callable[..., tuple[Mailbox, int]], make_repo: Callable[..., Path]
) -> None:
    from typer.testing import CliRunner

    from generator.cli import app

    box, port = smtp_server(Mailbox(refuse={"dee@test.edu": "550 5.1.1 no such user"}))
    root = make_repo({"periods/2026-10/aws.csv": AWS, "data/people.yaml": PEOPLE},
                     config=email_config(port))
    cli = CliRunner()
    refused = cli.invoke(app, ["generate", "-p", PERIOD, "--send", "--repo", str(root)])
    assert refused.exit_code == 1 and "1 charge ($3.00) is pending review" in refused.output
    assert box.messages == []

    first = cli.invoke(app, ["generate", "-p", PERIOD, "--send", "--allow-pending",
                             "--repo", str(root)])
    assert first.exit_code == 1, first.output  # dee's mailbox does not exist
    assert "wrote build/statements/2026-10/ada@test.edu/p1.{md,pdf,csv}" in first.output
    assert "sent ada@test.edu: 2 statements, <2026-10." in first.output
    assert "failed dee@test.edu: RCPT TO dee@test.edu: 550 5.1.1 no such user" in first.output
    assert "2026-10: 3 sent, 1 failed, 0 unconfirmed, 0 changed, 0 already sent" in first.output

    box.refuse = {}
    second = cli.invoke(app, ["send", "-p", PERIOD, "--allow-pending", "--repo", str(root)])
    assert second.exit_code == 0, second.output
    assert "2026-10: 1 sent, 0 failed, 0 unconfirmed, 0 changed, 3 already sent" in second.output
    assert sorted(r for _, rcpts, _ in box.messages for r in rcpts) == [
        "ada@test.edu", "bob@test.edu", "cy@test.edu", "dee@test.edu"]

