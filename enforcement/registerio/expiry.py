"""Licence expiry reminders: one for the licensing team for each licence in force with an end date.

The reminder falls due at the start of the licence's last day (London); the scheduler mails
it at the lead times configured for licence expiries (REMINDER_LEADS, by default 60 and 14
days before: docs/reminders.md). It is made or moved when a licence is saved or imported, and
every scheduler tick brings all of them up to date, so a licence changed by any route gets its
reminder; one that no longer expires, or is no longer in force, has its reminder closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.clock import day_text, london_midnight_utc, london_today
from enforcement.models import Licence, Premises
from enforcement.models.reminders import Reminder
from enforcement.register import licences
from enforcement.reminders import routing
from enforcement.reminders.reminders import Reconciled, ReminderSpec, reconcile
from enforcement.reminders.vocab import ReminderKind, ReminderStatus
from enforcement.vocab import LicenceStatus

KIND = ReminderKind.LICENCE_EXPIRY
SUBJECT = "licence"
TEAM = routing.route(KIND).team  # whoever can change the licence (docs/reminders.md)
# A licence that has ended another way needs no reminder of its expiry.
IN_FORCE = (LicenceStatus.ACTIVE.value, LicenceStatus.SUSPENDED.value, LicenceStatus.APPLIED.value)
_CHUNK = 500


def title(reference: str, name: str, status: str, expires_on: date, today: date) -> str:
    """What the reminder says: when the licence expires or, once that day has passed while the
    register still holds it in force, that it did and what to put right."""
    if expires_on >= today:
        return f"Licence {reference} at {name} expires on {day_text(expires_on)}"
    recorded = LicenceStatus(status).label.lower()
    return (
        f"Licence {reference} at {name} expired on {day_text(expires_on)} but is still "
        f"recorded as {recorded}: renew it or record that it has ended"
    )


def _wanted(
    rows: Iterable[tuple[int, int, str, str, date | None, str]], today: date
) -> dict[int, list[ReminderSpec]]:
    wanted: dict[int, list[ReminderSpec]] = {}
    for licence_id, premises_id, reference, status, expires_on, name in rows:
        specs: list[ReminderSpec] = []
        if expires_on is not None and status in IN_FORCE:
            specs.append(
                ReminderSpec(
                    kind=KIND,
                    subject_type=SUBJECT,
                    subject_id=licence_id,
                    premises_id=premises_id,
                    title=title(reference, name, status, expires_on, today),
                    due_at=london_midnight_utc(expires_on),
                    team=TEAM,
                )
            )
        wanted[licence_id] = specs
    return wanted


def sync_licences(session: Session, now: datetime, licence_ids: Sequence[int]) -> Reconciled:
    """Bring the expiry reminders of these licences in line with their end dates and status."""
    created = updated = closed = 0
    ids = sorted(set(licence_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(
                Licence.id,
                Licence.premises_id,
                Licence.reference,
                Licence.status,
                Licence.expires_on,
                Premises.name,
            )
            .join(Premises, Premises.id == Licence.premises_id)
            .where(Licence.id.in_(ids[start : start + _CHUNK]))
            .order_by(Licence.id)
        )
        done = reconcile(
            session,
            kind=KIND,
            subject_type=SUBJECT,
            wanted=_wanted(rows, london_today(now)),
            now=now,
            actor=Actor.system("licence expiry reminders"),
            default_reason="The licence's end date or status changed",
        )
        created, updated, closed = (
            created + done.created,
            updated + done.updated,
            closed + done.closed,
        )
    return Reconciled(created=created, updated=updated, closed=closed)


def sync_all(session: Session, now: datetime) -> Reconciled:
    """Bring every licence's expiry reminder up to date (the scheduler's tick)."""
    ids = session.scalars(
        select(Licence.id)
        .where(
            or_(
                Licence.expires_on.is_not(None),
                Licence.id.in_(
                    select(Reminder.subject_id).where(
                        Reminder.kind == KIND,
                        Reminder.subject_type == SUBJECT,
                        Reminder.status == ReminderStatus.OPEN,
                    )
                ),
            )
        )
        .order_by(Licence.id)
    )
    return sync_licences(session, now, list(ids))


def create_licence(
    session: Session, actor: Actor, now: datetime, premises_id: int, data: licences.LicenceInput
) -> Licence:
    """Record a licence typed by an officer, with its expiry reminder."""
    lic = licences.create_licence(session, actor, now, premises_id, data)
    sync_licences(session, now, [lic.id])
    return lic


def update_licence(
    session: Session,
    actor: Actor,
    now: datetime,
    licence_id: int,
    expected_version: int,
    data: licences.LicenceInput,
) -> Licence:
    """Change a licence's details, moving or closing its expiry reminder to match."""
    lic = licences.update_licence(session, actor, now, licence_id, expected_version, data)
    sync_licences(session, now, [lic.id])
    return lic
