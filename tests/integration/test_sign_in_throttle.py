"""Sign-in throttling per account and per address, and the owner's mail, on both databases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from builders import NOW, PASSWORD, make_user
from conftest import savepoint_session
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from enforcement.accounts import throttle, users
from enforcement.accounts.throttle import ThrottleRules
from enforcement.errors import AccountLocked
from enforcement.models import AuditEvent, OutboxMail, User
from enforcement.reminders.notify import NotifyConfig
from enforcement.reminders.outbox import Outgoing, deliver_outbox

RULES = ThrottleRules(
    account_free_failures=3,
    address_free_failures=6,
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=60),
)
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.20"


def attempt(session: Session, email: str, password: str, at: object, ip: str) -> User:
    return users.authenticate(session, at, email, password, ip_address=ip, rules=RULES)  # type: ignore[arg-type]


def when_allowed(session: Session, at: datetime, email: str, ip: str) -> datetime:
    """The first moment from `at` when an attempt from this address is checked, not refused."""
    while not (verdict := throttle.check(session, at, email, ip, RULES)).allowed:
        at += verdict.wait
    return at


def test_the_delay_doubles_after_the_free_failures_and_stops_at_the_cap() -> None:
    delays = [throttle.delay_after(n, 3, RULES).total_seconds() for n in range(2, 12)]
    assert delays == [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_guessing_faster_than_the_delay_does_not_lengthen_it(session: Session) -> None:
    make_user(session, email="owner@example.gov.uk")
    for i in range(3):
        with pytest.raises(users.InvalidCredentials):
            attempt(session, "owner@example.gov.uk", "guess", NOW + timedelta(seconds=i), ATTACKER)
    last = NOW + timedelta(seconds=2)
    for k in range(20):  # hammering inside the one-second delay is refused unchecked
        with pytest.raises(AccountLocked):
            attempt(
                session,
                "owner@example.gov.uk",
                PASSWORD,
                last + timedelta(milliseconds=40 * k),
                ATTACKER,
            )
    # The refused attempts were not counted: one second after the last real failure, it works.
    assert attempt(session, "owner@example.gov.uk", PASSWORD, last + timedelta(seconds=1), ATTACKER)


def test_a_stranger_guessing_does_not_stop_the_owner_after_the_delay(session: Session) -> None:
    owner = make_user(session, email="target@example.gov.uk")
    at = NOW
    # The stranger guesses as fast as the growing delay lets them, for a long while.
    for _ in range(12):
        at = when_allowed(session, at, owner.email, ATTACKER)
        with pytest.raises(users.InvalidCredentials):
            attempt(session, owner.email, "guess", at, ATTACKER)
    assert throttle.check(session, at, owner.email, ATTACKER, RULES).wait == timedelta(seconds=60)
    # The stranger is still held back, but the owner, from their own address, signs in at once.
    with pytest.raises(AccountLocked):
        attempt(session, owner.email, PASSWORD, at + timedelta(seconds=1), ATTACKER)
    assert attempt(session, owner.email, PASSWORD, at + timedelta(seconds=1), OWNER).id == owner.id


def test_many_failures_from_one_address_are_throttled_across_accounts(session: Session) -> None:
    for n in range(7):
        make_user(session, email=f"user{n}@example.gov.uk")
    for n in range(6):  # a different account each time: no account reaches its own limit
        with pytest.raises(users.InvalidCredentials):
            attempt(
                session, f"user{n}@example.gov.uk", "guess", NOW + timedelta(seconds=n), ATTACKER
            )
    later = NOW + timedelta(seconds=5.5)
    with pytest.raises(AccountLocked):
        attempt(session, "user6@example.gov.uk", PASSWORD, later, ATTACKER)
    # Another address is not held back, and the address itself waits only the delay.
    assert attempt(session, "user6@example.gov.uk", PASSWORD, later, OWNER)
    assert attempt(session, "user5@example.gov.uk", PASSWORD, NOW + timedelta(seconds=6), ATTACKER)


def mails(session: Session) -> list[OutboxMail]:
    return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_the_owner_is_mailed_once_per_episode(session: Session) -> None:
    owner = make_user(session, email="mailed@example.gov.uk")
    at = NOW
    for n in range(8):
        ip = ATTACKER if n % 2 else OWNER
        at = when_allowed(session, at, owner.email, ip)
        with pytest.raises(users.InvalidCredentials):
            attempt(session, owner.email, f"guess number {n}", at, ip)
        at += timedelta(milliseconds=10)
    sent = mails(session)
    assert len(sent) == 1
    mail = sent[0]
    assert mail.recipient == owner.email and mail.status == "pending" and mail.reminder_id is None
    assert "3 attempts" in mail.text_body and "from 2 internet addresses" in mail.text_body
    assert "at 10:30 GMT" in mail.text_body  # when, in London time, saying which (March)
    assert "guess number" not in mail.text_body + mail.html_body + mail.subject
    assert session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "user.sign_in_throttled")
    ).all() == ["user.sign_in_throttled"]
    # A success ends the episode; the next run of failures is a new episode and a new mail.
    at += timedelta(minutes=5)
    attempt(session, owner.email, PASSWORD, at, OWNER)
    for _ in range(3):
        at += timedelta(seconds=1)
        with pytest.raises(users.InvalidCredentials):
            attempt(session, owner.email, "guess", at, ATTACKER)
    assert len(mails(session)) == 2


def test_no_mail_for_an_address_that_is_not_an_account(session: Session) -> None:
    for i in range(5):
        with pytest.raises((users.InvalidCredentials, AccountLocked)):
            attempt(
                session, "nobody@example.gov.uk", "guess", NOW + timedelta(seconds=9 * i), ATTACKER
            )
    assert mails(session) == []


@dataclass
class Recorder:
    """A mailer that keeps what it is handed."""

    sent: list[Outgoing] = field(default_factory=list)

    def open(self) -> Recorder:
        return self

    def send(self, mail: Outgoing) -> None:
        self.sent.append(mail)

    def close(self) -> None:
        return None


def test_the_owners_mail_goes_out_through_the_outbox(
    session: Session, connection: Connection
) -> None:
    owner = make_user(session, email="outbox@example.gov.uk")
    for i in range(3):
        with pytest.raises(users.InvalidCredentials):
            attempt(session, owner.email, "guess", NOW + timedelta(seconds=i), ATTACKER)
    session.commit()
    config = NotifyConfig(
        base_url="https://tracker.example.gov.uk",
        mail_from="Licensing tracker <no-reply@tracker.example.gov.uk>",
        service_name="Licensing and premises enforcement",
        council_name="Test Council",
    )
    recorder = Recorder()
    report = deliver_outbox(
        lambda: savepoint_session(connection), NOW + timedelta(minutes=1), recorder, config
    )
    assert report.sent == 1 and recorder.sent[0].recipient == owner.email
    assert recorder.sent[0].subject == "Failed attempts to sign in to your account"
    assert session.scalars(select(OutboxMail.status)).all() == ["sent"]


def test_a_sign_in_succeeds_when_the_account_changed_since_it_was_read(
    session: Session, connection: Connection
) -> None:
    """Recording a sign-in is bookkeeping: another request's write to the account (another
    sign-in at the same moment, say) never turns it into a conflict."""
    user = make_user(session, email="twice@example.gov.uk")
    session.commit()
    read_version = user.version  # this request has read the account...
    # ...and another request changes it before this one writes.
    connection.execute(
        text("UPDATE users SET version = version + 1 WHERE id = :id"), {"id": user.id}
    )
    attempt(session, user.email, PASSWORD, NOW, "192.0.2.1")
    session.commit()
    session.expire_all()
    again = session.get(User, user.id)
    assert again is not None
    assert again.last_sign_in_at == NOW
    assert again.version == read_version + 1  # the sign-in itself moved no version
