"""Handing messages to an SMTP server, and what each way of failing means.

``Client.send`` runs MAIL, RCPT and DATA itself (rather than ``smtplib.sendmail``) so it
knows whether the whole message had reached the server when something broke:

- ``Temporary``: a 4xx reply, or a connection that failed or dropped *before* the end of the
  message was sent. Retried on a fresh connection after exponential backoff.
- ``Permanent``: a 5xx reply, e.g. ``550 no such mailbox``. Not retried.
- ``Unconfirmed``: the connection dropped *after* the whole message was sent, before the
  server replied. The server may have accepted it, so it is never retried automatically.
- ``SmtpSetupError`` (a ``ChargebackError``): the server cannot be used at all (no login,
  no TLS, unreachable after every retry). The caller stops the run.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from generator.common.errors import ChargebackError
from generator.read.config import Smtp

# Waits between attempts: exponential, capped small so a cron run cannot hang for long.
RETRY_SECONDS = (2.0, 4.0, 8.0, 16.0)


class Failure(Exception):
    """A message that the server did not (knowingly) accept."""

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class Temporary(Failure):
    pass


class Permanent(Failure):
    pass


class Unreachable(Temporary):
    """No session could be opened (refused, timed out, dropped during the greeting)."""


class Unconfirmed(Failure):
    pass


class SmtpSetupError(ChargebackError):
    """The server cannot be used: fix the email.smtp settings or the server, then rerun."""


def credentials(server: Smtp) -> tuple[str, str] | None:
    """User and password from the environment variables the config names."""
    if not server.user_env:
        return None
    missing = [name for name in (server.user_env, server.password_env) if name
               and name not in os.environ]
    if missing:
        raise SmtpSetupError(
            f"environment variable {missing[0]} is not set; email.smtp names it for the "
            "SMTP login (export it in the cron job's environment, never in the repo)"
        )
    password = os.environ[server.password_env] if server.password_env else ""
    return os.environ[server.user_env], password


def tls_context(server: Smtp) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if server.ca_file:
        context.load_verify_locations(cafile=str(server.ca_file))
    return context


@dataclass(frozen=True)
class Accepted:
    attempts: int
    refused: set[str]  # Bcc addresses the server refused (the PI's was accepted)


class Client:
    """One connection, reused across messages and reopened after a failure."""

    def __init__(
        self,
        server: Smtp,
        retry_seconds: Sequence[float] = RETRY_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.server = server
        self.retry_seconds = tuple(retry_seconds)
        self.sleep = sleep
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.quit()
        except (smtplib.SMTPException, OSError):
            self._conn.close()
        self._conn = None

    def send(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> Accepted:
        """Deliver ``message`` to ``recipients`` (the first one must accept), retrying."""
        waits = [*self.retry_seconds, None]
        for attempt, wait in enumerate(waits, 1):
            try:
                refused = self._attempt(message, sender, recipients)
                return Accepted(attempt, refused)
            except Temporary as exc:
                self._drop()
                if wait is None:
                    exc.attempts = attempt
                    if isinstance(exc, Unreachable):
                        raise SmtpSetupError(
                            f"gave up on the SMTP server after {attempt} attempts: {exc}"
                        ) from exc
                    raise
                self.sleep(wait)
            except Failure as exc:  # refused or unconfirmed, perhaps after retries
                exc.attempts = attempt
                raise
        raise AssertionError("unreachable")  # the loop returns or raises

    def _attempt(
        self, message: EmailMessage, sender: str, recipients: Sequence[str]
    ) -> set[str]:
        conn = self._connection()
        committed = False
        try:
            self._expect(conn, conn.mail(sender), "MAIL FROM")
            self._expect(conn, conn.rcpt(recipients[0]), f"RCPT TO {recipients[0]}")
            refused: set[str] = set()
            for address in recipients[1:]:
                code, _ = conn.rcpt(address)
                if code not in (250, 251):
                    refused.add(address)
            self._expect(conn, conn.docmd("data"), "DATA", ok=(354,))
            conn.send(_dot_stuffed(message.as_bytes(policy=message.policy.clone(linesep="\r\n"))))
            committed = True
            code, text = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            if committed:
                raise Unconfirmed(
                    f"the connection dropped after the message was sent, before the server "
                    f"replied ({exc}); it may have been delivered"
                ) from exc
            raise Temporary(f"connection lost: {exc or type(exc).__name__}") from exc
        if code != 250:
            raise _failure(code, text, "end of DATA")
        return refused

    def _expect(
        self, conn: smtplib.SMTP, reply: tuple[int, bytes], step: str,
        ok: tuple[int, ...] = (250, 251),
    ) -> None:
        code, text = reply
        if code in ok:
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        raise _failure(code, text, step)

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        s = self.server
        try:
            self._conn = self._open()
        except ssl.SSLError as exc:
            raise SmtpSetupError(
                f"TLS with the SMTP server {s} failed: {exc}; check email.smtp.security and "
                "port, or set email.smtp.ca_file to the CA that signed the server's certificate"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise SmtpSetupError(
                f"the SMTP server {s} does not offer STARTTLS; set email.smtp.security to ssl "
                "(port 465) if it uses implicit TLS"
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpSetupError(
                f"the SMTP server {s} refused the login: {exc.smtp_code} "
                f"{_text(exc.smtp_error)}; check the user and password environment variables"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            reply = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                raise Unreachable(f"{s} is not taking mail now: {reply}") from exc
            raise SmtpSetupError(f"the SMTP server {s} refused the session: {reply}") from exc
        except OSError as exc:  # refused, timed out, dropped, unknown host
            raise Unreachable(f"cannot connect to {s}: {exc or type(exc).__name__}") from exc
        return self._conn

    def _open(self) -> smtplib.SMTP:
        """A session ready for MAIL: greeted, encrypted as configured, logged in."""
        s = self.server
        login = credentials(s)
        if s.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout_seconds, context=tls_context(s)
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=tls_context(s))
                conn.ehlo()
            if login:
                conn.login(*login)
        except BaseException:
            conn.close()
            raise
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None


def _failure(code: int, text: bytes | str, step: str) -> Failure:
    message = f"{step}: {code} {_text(text)}"
    if 400 <= code < 500 or code == -1:
        return Temporary(message)
    return Permanent(message)


def _text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload: lines starting with a dot doubled, ended by ``CRLF.CRLF``."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"
