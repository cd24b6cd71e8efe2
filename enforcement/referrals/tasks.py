"""The tasks a referral hands on between its author, the supervisors and the committee clerks.

A referral submitted waits on the supervisors' task list for sign-off; one signed off waits on
the committee clerks' list until they open the statutory process; one returned with comments
waits on its author's list until it is submitted again. Each goes to whoever holds the control
that closes it (`enforcement.reminders.routing`), is mailed as any reminder is, and closes when
that control is used (docs/referrals.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor, Permission, permissions_of
from enforcement.clock import add_london_days
from enforcement.models import Referral, User, UserRole
from enforcement.reminders import reminders, routing
from enforcement.reminders.vocab import ReminderKind

SUBJECT = "committee_referral"

#: The service's own targets (no statute sets them): days until each task falls due.
DUE_IN_DAYS: dict[ReminderKind, int] = {
    ReminderKind.REFERRAL_SIGN_OFF: 5,
    ReminderKind.REFERRAL_SIGNED_OFF: 5,
    ReminderKind.REFERRAL_RETURNED: 10,
}

_TITLES: dict[ReminderKind, str] = {
    ReminderKind.REFERRAL_SIGN_OFF: "Sign off or return committee referral {ref}",
    ReminderKind.REFERRAL_SIGNED_OFF: "Open the statutory process of committee referral {ref}",
    ReminderKind.REFERRAL_RETURNED: "Committee referral {ref} was returned with comments:"
    " change it and submit it again",
}


def _holds(session: Session, user_id: int, permission: Permission) -> bool:
    roles = session.scalars(select(UserRole.role).where(UserRole.user_id == user_id))
    return permission in permissions_of(roles)


def _signer_for(session: Session, referral: Referral) -> int | None:
    """Return who must sign off a referral a supervisor drafted: their own supervisor, if any.

    A supervisor cannot sign off their own referral, so the supervisors' team (the author among
    them) is not asked; the author's supervisor is, when one who may sign off is recorded.
    """
    author = session.get(User, referral.author_id) if referral.author_id else None
    if author is None or not _holds(session, author.id, Permission.REFERRAL_SIGN_OFF):
        return None
    boss = session.get(User, author.supervisor_id) if author.supervisor_id else None
    if (
        boss is None
        or not boss.is_active
        or boss.id == author.id
        or not _holds(session, boss.id, Permission.REFERRAL_SIGN_OFF)
    ):
        return None
    return boss.id


def hand_on(session: Session, now: datetime, referral: Referral, kind: ReminderKind) -> None:
    """Put a referral's next step on the task list of whoever can take it."""
    owner = referral.author_id if kind is ReminderKind.REFERRAL_RETURNED else None
    to = routing.route(kind, owner_user_id=owner)
    if kind is ReminderKind.REFERRAL_SIGN_OFF and (signer := _signer_for(session, referral)):
        to = routing.Recipients(signer, None)
    reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=kind,
            subject_type=SUBJECT,
            subject_id=referral.id,
            title=_TITLES[kind].format(ref=referral.reference),
            due_at=add_london_days(now, DUE_IN_DAYS[kind]),
            premises_id=referral.premises_id,
            owner_user_id=to.owner_user_id,
            team=to.team,
        ),
        now,
    )


def close_task(
    session: Session,
    actor: Actor,
    now: datetime,
    referral: Referral,
    kind: ReminderKind,
    reason: str,
) -> None:
    """Close a referral's open task of this kind: the step it asked for was taken."""
    reminders.close_open(
        session,
        kind=kind,
        subject_type=SUBJECT,
        subject_id=referral.id,
        now=now,
        actor=actor,
        reason=reason,
    )
