"""Slowing down password and code guessing per account and per address, in the database."""

# Two rules, both counted from ``sign_in_attempts`` so that every web worker sees the same state:
#
# * **Per account.** After ``account_free_failures`` failures since the account's last success
#   (within ``window``), each further attempt must wait a delay that doubles with every failure
#   (1 s, 2 s, 4 s ... up to ``max_delay``). The wait runs from the last failure *from the same
#   address*: a stranger guessing from one address slows themself down, but never shuts the
#   owner out, who signs in from their own address as usual. The account's delay still grows
#   with every failure from any address, so many addresses each guess slowly too.
# * **Per address.** After ``address_free_failures`` failures from one address within
#   ``address_window``, across every account, that address waits the same kind of growing delay
#   before each attempt on any account.
#
# An attempt refused by a delay is recorded (``throttled``) but never counts as a failure, so
# guessing faster than the delay does not lengthen it. The owner is mailed once per episode (a
# run of failures since the last success, inside ``window``) when their account starts to be
# slowed down.

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor
from enforcement.clock import clock_text, to_london
from enforcement.models import OutboxMail, SignInAttempt, User

PASSWORD = "password"  # noqa: S105 - the name of a stage, not a password
SECOND_FACTOR = "second_factor"
THROTTLE_ACTOR = Actor.system("sign-in throttle")
# The outbox's own states and kinds (enforcement.reminders.notify sends every pending mail).
_PENDING = "pending"
_MAIL_KIND = "security"


@dataclass(frozen=True)
class ThrottleRules:
    """How many failures are free, how fast the delay grows, and how long failures count."""

    account_free_failures: int = 5
    address_free_failures: int = 20
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    window: timedelta = timedelta(hours=24)
    address_window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may be checked now; if not, how long to wait and why."""

    wait: timedelta = timedelta(0)
    reason: str | None = None  # "account" or "address"

    @property
    def allowed(self) -> bool:
        return self.wait <= timedelta(0)


def delay_after(failures: int, free: int, rules: ThrottleRules) -> timedelta:
    """Return the wait owed after this many failures: none until ``free``, then doubling."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, 30)  # 2**30 seconds is far past any cap
    delay: timedelta = rules.base_delay * (2**doublings)
    return min(delay, rules.max_delay)


def _failed(stage: str) -> ColumnElement[bool]:
    return and_(
        SignInAttempt.stage == stage,
        SignInAttempt.succeeded.is_(False),
        SignInAttempt.throttled.is_(False),
    )


def _episode_start(
    session: Session, email: str, stage: str, now: datetime, rules: ThrottleRules
) -> datetime:
    """Return when the account's current run of failures may have begun: its last success, or
    the start of the window."""
    since = now - rules.window
    last_ok = session.scalar(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.email == email,
            SignInAttempt.stage == stage,
            SignInAttempt.succeeded.is_(True),
            SignInAttempt.at >= since,
        )
    )
    return max(since, last_ok) if last_ok is not None else since


def account_failures(
    session: Session, email: str, stage: str, now: datetime, rules: ThrottleRules
) -> int:
    """Count the account's failures at a stage since its last success inside the window."""
    start = _episode_start(session, email, stage, now, rules)
    return (
        session.scalar(
            select(func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.email == email, SignInAttempt.at > start, _failed(stage))
        )
        or 0
    )


def check(
    session: Session,
    now: datetime,
    email: str,
    ip_address: str | None,
    rules: ThrottleRules,
    *,
    stage: str = PASSWORD,
) -> Verdict:
    """Say whether an attempt on this account from this address may be checked now."""
    if ip_address is not None:
        since = now - rules.address_window
        count, last = session.execute(
            select(func.count(), func.max(SignInAttempt.at)).where(
                SignInAttempt.ip_address == ip_address,
                SignInAttempt.at >= since,
                SignInAttempt.succeeded.is_(False),
                SignInAttempt.throttled.is_(False),
            )
        ).one()
        wait = delay_after(count or 0, rules.address_free_failures, rules)
        if last is not None and last + wait > now:
            return Verdict(last + wait - now, "address")
    start = _episode_start(session, email, stage, now, rules)
    same_address = (
        SignInAttempt.ip_address.is_(None)
        if ip_address is None
        else SignInAttempt.ip_address == ip_address
    )
    failures, last_here = session.execute(
        select(
            func.count(),
            func.max(SignInAttempt.at).filter(same_address),
        ).where(SignInAttempt.email == email, SignInAttempt.at > start, _failed(stage))
    ).one()
    wait = delay_after(failures or 0, rules.account_free_failures, rules)
    if last_here is not None and last_here + wait > now:
        return Verdict(last_here + wait - now, "account")
    return Verdict()


def record(
    session: Session,
    now: datetime,
    email: str,
    ip_address: str | None,
    *,
    succeeded: bool,
    stage: str = PASSWORD,
    throttled: bool = False,
) -> None:
    """Keep one attempt; failures are what the next attempts are throttled by."""
    session.add(
        SignInAttempt(
            email=email,
            at=now,
            succeeded=succeeded,
            ip_address=ip_address,
            stage=stage,
            throttled=throttled,
        )
    )
    session.flush()


def wait_message(verdict: Verdict) -> str:
    """Say how long to wait, in words, without saying which rule applied."""
    seconds = max(1, int(-(-verdict.wait.total_seconds() // 1)))
    if seconds < 60:
        span = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = -(-seconds // 60)
        span = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Too many failed attempts to sign in. Wait {span} and try again."


@dataclass(frozen=True)
class Episode:
    """The run of failures that started an account's throttling: when, how many, from where."""

    first_at: datetime
    last_at: datetime
    failures: int
    addresses: int


def _episode(
    session: Session, email: str, stage: str, now: datetime, rules: ThrottleRules
) -> Episode | None:
    start = _episode_start(session, email, stage, now, rules)
    first, last, failures, addresses = session.execute(
        select(
            func.min(SignInAttempt.at),
            func.max(SignInAttempt.at),
            func.count(),
            func.count(distinct(SignInAttempt.ip_address)),
        ).where(SignInAttempt.email == email, SignInAttempt.at > start, _failed(stage))
    ).one()
    if first is None:
        return None
    return Episode(first, last, failures, addresses)


def notify_owner_if_throttled(
    session: Session, now: datetime, user: User, rules: ThrottleRules, *, stage: str = PASSWORD
) -> bool:
    """Mail the owner once per episode when failures reach the point where delays begin.

    Returns whether a mail was written. The outbox's unique key (user and the episode's first
    failure) makes two workers deciding at once write one mail.
    """
    episode = _episode(session, user.email, stage, now, rules)
    if episode is None or episode.failures < rules.account_free_failures:
        return False
    key = f"sign-in-throttled-{stage}-u{user.id}-{episode.first_at:%Y%m%dT%H%M%S%f}"
    if session.scalar(select(OutboxMail.id).where(OutboxMail.dedupe_key == key)) is not None:
        return False
    subject, text, body_html = _render(user, episode, stage)
    try:
        with session.begin_nested():
            session.add(
                OutboxMail(
                    dedupe_key=key,
                    kind=_MAIL_KIND,
                    status=_PENDING,
                    recipient_user_id=user.id,
                    recipient=user.email,
                    subject=subject,
                    text_body=text,
                    html_body=body_html,
                    created_at=now,
                    attempts=0,
                    next_attempt_at=now,
                )
            )
    except IntegrityError:
        return False  # another worker wrote this episode's mail first
    audit.record(
        session,
        THROTTLE_ACTOR,
        now,
        action="user.sign_in_throttled",
        entity_type="user",
        entity_id=user.id,
        summary=(
            f"Sign-in to {user.email} slowed down after {episode.failures} failed "
            f"{'codes' if stage == SECOND_FACTOR else 'passwords'} from "
            f"{episode.addresses} address{'es' if episode.addresses != 1 else ''}"
        ),
    )
    return True


def _when(moment: datetime) -> str:
    """A moment in London time, saying which: "2 March 2026 at 10:30 GMT"."""
    return f"{to_london(moment):%-d %B %Y} at {clock_text(moment)}"


def _render(user: User, episode: Episode, stage: str) -> tuple[str, str, str]:
    what = (
        "the right password followed by a wrong security code"
        if stage == SECOND_FACTOR
        else "a wrong password"
    )
    addresses = f"{episode.addresses} internet address{'es' if episode.addresses != 1 else ''}"
    paragraphs = [
        f"Dear {user.display_name},",
        f"Between {_when(episode.first_at)} and {_when(episode.last_at)} there "
        f"were {episode.failures} attempts to sign in to your account with {what}, "
        f"from {addresses}.",
        "Further attempts are now being slowed down. You can still sign in as usual.",
        "If this was not you, tell your system administrator."
        + (
            " Someone may know your password: change it as soon as you can."
            if stage == SECOND_FACTOR
            else ""
        ),
    ]
    text = "\n\n".join(paragraphs) + "\n"
    body_html = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return "Failed attempts to sign in to your account", text, body_html
