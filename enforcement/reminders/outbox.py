"""Delivering the outbox: SMTP with STARTTLS and authentication, back-off, one Message-ID per mail.

Where "sent to the server" and "stamped" meet, and what that guarantees:

1. A batch of pending mails is *claimed* in a short transaction: each gets ``attempts + 1`` and
   ``next_attempt_at = now + lease``, and the claim is committed before any mail goes out. The
   rows are selected ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (under ``BEGIN IMMEDIATE`` on
   SQLite), so two schedulers never claim the same mail; once committed, the lease keeps the
   rows out of every other claim until it runs out.
2. Each mail is handed to the SMTP server, and once the server has answered 250 it is
   *stamped* ``sent`` in its own transaction.
3. If the process dies between 2's 250 and the stamp's commit, the mail stays ``pending``;
   when its lease runs out a later tick sends it again. So delivery is **at least once**: no
   mail is ever lost, and the only duplicate possible is the one mail in flight when the
   process died, re-sent with the *same* Message-ID (derived from the outbox row's unique
   dedupe key), which mail clients and servers use to recognise a copy. Stamping before
   sending would turn that into at-most-once, which can lose a statutory reminder: never.
4. A mail whose reminder has closed by the time it is claimed is cancelled, not sent.
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from html import escape
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from enforcement.models.mail import OutboxMail
from enforcement.models.reminders import Reminder
from enforcement.reminders.notify import (
    CANCELLED,
    FAILED,
    PENDING,
    SENT,
    NotifyConfig,
    message_id,
    retry_delay,
)
from enforcement.reminders.reminders import OPEN

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]


class MailError(Exception):
    """The server did not take a mail.

    ``permanent``: the server refused this mail for good (5xx), so retrying will not help;
    ``connection``: the server cannot be used at all just now, so the rest of the batch waits.
    """

    def __init__(self, message: str, *, permanent: bool = False, connection: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection


@dataclass(frozen=True)
class Outgoing:
    """A mail ready for the wire: envelope sender and recipient, and the message's bytes."""

    sender: str
    recipient: str
    data: bytes
    message_id: str
    subject: str


class Transport(Protocol):
    def send(self, mail: Outgoing) -> None: ...

    def close(self) -> None: ...


class Mailer(Protocol):
    """Something that opens a connection to hand mail over (SMTP, or the log in development)."""

    def open(self) -> Transport: ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    use_ssl: bool = False  # implicit TLS (port 465) instead of STARTTLS
    cafile: str = ""
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpConfig:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
            cafile=settings.smtp_cafile,
            timeout=float(settings.smtp_timeout_seconds),
        )

    def tls_context(self) -> ssl.SSLContext:
        # Certificates and host names are always checked; SMTP_CAFILE adds a private CA.
        return ssl.create_default_context(cafile=self.cafile or None)


def _classify(exc: Exception) -> MailError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return MailError(f"recipient refused: {exc.recipients}", permanent=permanent)
    if isinstance(
        exc,
        smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError | smtplib.SMTPSenderRefused,
    ):
        # Wrong credentials, no STARTTLS, MAIL_FROM refused: every mail would fail the same
        # way until someone fixes the settings, so the batch waits rather than failing mail.
        return MailError(f"SMTP session refused: {exc}", connection=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return MailError(f"SMTP server unavailable: {exc}", connection=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
        )
    if isinstance(exc, OSError):  # refused, unreachable, timed out, TLS failure
        return MailError(f"cannot reach the SMTP server: {exc}", connection=True)
    return MailError(f"SMTP failure: {exc}", connection=True)


class SmtpTransport:
    """One SMTP connection, opened on the first mail and reused for the rest of the batch."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        smtp: smtplib.SMTP
        if c.use_ssl:
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=c.tls_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        try:
            smtp.ehlo()
            if c.starttls and not c.use_ssl:
                smtp.starttls(context=c.tls_context())
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, mail: Outgoing) -> None:
        for _attempt in range(2):
            reused = self._smtp is not None
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.sendmail(mail.sender, [mail.recipient], mail.data)
                return
            except smtplib.SMTPServerDisconnected as exc:
                self._smtp = None
                if not reused:
                    raise _classify(exc) from exc
                # A kept-open connection the server has since closed: connect again, once.
            except (smtplib.SMTPException, OSError) as exc:
                if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException):
                    self._reset()
                else:
                    self._drop()
                raise _classify(exc) from exc

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self._drop()


class SmtpMailer:
    """Send through an SMTP server (STARTTLS or implicit TLS, optional authentication)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def open(self) -> Transport:
        return SmtpTransport(self.config)


class _LogTransport:
    def send(self, mail: Outgoing) -> None:
        log.info("mail (not sent: no SMTP_HOST) to %s: %s", mail.recipient, mail.subject)

    def close(self) -> None:
        return None


class LogMailer:
    """Development stand-in when no SMTP_HOST is set: each mail is written to the log."""

    def open(self) -> Transport:
        return _LogTransport()


def mailer_from_settings(settings: Any) -> Mailer:
    """Return the SMTP mailer the settings describe, or the log mailer without an SMTP_HOST."""
    if not settings.smtp_host:
        return LogMailer()
    return SmtpMailer(SmtpConfig.from_settings(settings))


@dataclass(frozen=True)
class Claimed:
    """A mail claimed for sending: plain values, so nothing is loaded while it is on the wire."""

    id: int
    dedupe_key: str
    recipient: str
    subject: str
    text: str
    html: str
    created_at: datetime
    attempts: int


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def _qp(text: str) -> bytes:
    """Encode a body as quoted-printable UTF-8 with CRLF line ends (SMTP's, sent as they are)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    encoded = binascii.b2a_qp("\n".join(lines).encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


def html_document(body: str, subject: str) -> str:
    """The HTML part as a whole document: its language said (a screen reader reads it in an
    English voice), its character set, and the subject as its title."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(' '.join(subject.split()))}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def unwritable_address(address: str) -> str | None:
    """Say why an address cannot go in a mail's envelope and headers, or None if it can.

    Without the SMTPUTF8 extension, which many council mail servers do not offer, an address
    holds only ASCII: an accented or non-Latin letter in one would stop the message being
    written at all (accounts refuse such addresses: `accounts.users`)."""
    if not address.isascii():
        return (
            f"{address} cannot be written in a mail: an address may hold only plain letters, "
            "digits and signs (no accents or other scripts)"
        )
    return None


def build_message(mail: Claimed, config: NotifyConfig) -> Outgoing:
    """Build the MIME message: plain text and HTML, and a Message-ID that never changes.

    Written out directly rather than through the email package's generator, which spends
    milliseconds folding headers: at ten thousand mails a tick that is most of the time. The
    bodies are quoted-printable, so the boundary (which starts "=_") can never occur in them.
    A recipient the message cannot carry is a permanent failure of that mail alone.
    """
    if problem := unwritable_address(mail.recipient):
        raise MailError(problem, permanent=True)
    subject = " ".join(mail.subject.split())  # never a line break in a header
    if not subject.isascii():
        subject = Header(subject, "utf-8").encode(linesep="\r\n")
    mid = message_id(mail.dedupe_key, config)
    boundary = "=_" + hashlib.sha256(mid.encode()).hexdigest()[:32]
    head = (
        f"From: {_address(config.mail_from)}\r\n"
        f"To: {mail.recipient}\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {format_datetime(mail.created_at)}\r\n"
        f"Message-ID: {mid}\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "X-Auto-Response-Suppress: All\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
        "\r\n"
    ).encode("ascii")
    parts = []
    for body, subtype in ((mail.text, "plain"), (html_document(mail.html, mail.subject), "html")):
        parts.append(
            f"--{boundary}\r\n"
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode("ascii")
            + _qp(body)
            + b"\r\n"
        )
    return Outgoing(
        sender=parseaddr(config.mail_from)[1],
        recipient=mail.recipient,
        data=head + b"".join(parts) + f"--{boundary}--\r\n".encode("ascii"),
        message_id=mid,
        subject=mail.subject,
    )


def claim(
    session: Session, now: datetime, config: NotifyConfig, limit: int
) -> tuple[list[Claimed], int]:
    """Lease a batch of pending mails whose time has come; cancel those whose reminder closed.

    Returns the claimed mails and how many were cancelled.
    """
    rows = session.execute(
        select(OutboxMail, Reminder.status)
        .outerjoin(Reminder, Reminder.id == OutboxMail.reminder_id)
        .where(OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now)
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMail)
    ).all()
    out: list[Claimed] = []
    cancelled = 0
    for mail, reminder_status in rows:
        if reminder_status is not None and reminder_status != OPEN:
            mail.status = CANCELLED
            mail.last_error = "not sent: the reminder was closed first"
            cancelled += 1
            continue
        mail.attempts += 1
        mail.next_attempt_at = now + config.lease
        out.append(
            Claimed(
                mail.id,
                mail.dedupe_key,
                mail.recipient,
                mail.subject,
                mail.text_body,
                mail.html_body,
                mail.created_at,
                mail.attempts,
            )
        )
    session.flush()
    return out, cancelled


@dataclass
class Delivery:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    claimed: int = 0


def _stamp_sent(session: Session, mail_id: int, now: datetime) -> None:
    """Mark one mail sent, in a transaction of its own (committed before the next mail goes)."""
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.status == PENDING)
        .values(status=SENT, sent_at=now, last_error=None)
    )
    session.commit()


def _record_failures(
    session_factory: SessionFactory,
    mails: list[Claimed],
    now: datetime,
    config: NotifyConfig,
    error: MailError,
    report: Delivery,
) -> None:
    with session_factory() as session:
        for mail in mails:
            if error.permanent or mail.attempts >= config.max_attempts:
                values: dict[str, object] = {"status": FAILED}
                report.failed += 1
            else:
                delay = retry_delay(mail.attempts, config.retry_base, config.retry_cap)
                values = {"next_attempt_at": now + delay}
                report.retrying += 1
            session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail.id, OutboxMail.status == PENDING)
                .values(last_error=str(error)[:500], **values)
            )
        session.commit()
    log.warning("mail not delivered (%d in this batch): %s", len(mails), error)


def _batches(
    session_factory: SessionFactory,
    now: datetime,
    config: NotifyConfig,
    batch: int,
    report: Delivery,
) -> Iterator[list[Claimed]]:
    while True:
        with session_factory() as session:
            claimed, cancelled = claim(session, now, config, batch)
            session.commit()
        report.cancelled += cancelled
        if claimed:
            yield claimed
        if len(claimed) + cancelled < batch:
            return


def deliver_outbox(
    session_factory: SessionFactory,
    now: datetime,
    mailer: Mailer,
    config: NotifyConfig,
    *,
    batch: int = 200,
    after_send: Callable[[Claimed], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Delivery:
    """Send every pending mail whose time has come, stamping each as soon as the server takes it.

    `after_send` runs between the server's acceptance and the stamp: tests use it to kill the
    process at the worst moment. Mails left when the server is unreachable wait with back-off.
    """
    report = Delivery()
    transport: Transport | None = None
    lease_seconds = config.lease.total_seconds()
    stamps = session_factory()  # one session for every stamp: each is still its own commit
    try:
        for claimed in _batches(session_factory, now, config, batch, report):
            report.claimed += len(claimed)
            started = clock()
            transport = transport or mailer.open()
            for index, mail in enumerate(claimed):
                if clock() - started > lease_seconds * 0.8:
                    # Past most of the lease another scheduler could take these: stop here and
                    # let the lease run out (they are sent after it, never by two at once).
                    return report
                try:
                    transport.send(build_message(mail, config))
                except MailError as exc:
                    rest = claimed[index:] if exc.connection else [mail]
                    _record_failures(session_factory, rest, now, config, exc, report)
                    if exc.connection:
                        return report
                    continue
                if after_send is not None:
                    after_send(mail)
                _stamp_sent(stamps, mail.id, now)
                report.sent += 1
    finally:
        stamps.close()
        if transport is not None:
            transport.close()
    return report
