"""A referral handed on becomes a task, and mail, for whoever takes the next step (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import BOOK, CAL, NOW, SYSTEM, make_user
from builders.referrals import World, at, full_draft, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.accounts import users
from enforcement.errors import Forbidden, ValidationFailed
from enforcement.models import EnforcementCase, OutboxMail, Referral, Reminder, User
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process
from enforcement.reminders import notify, tasks
from enforcement.reminders.notify import NotifyConfig
from enforcement.reminders.tasks import task_list
from enforcement.reminders.vocab import ReminderKind

CONFIG = NotifyConfig(
    base_url="https://tracker.example.gov.uk",
    mail_from="Licensing tracker <reminders@tracker.example.gov.uk>",
    service_name="Licensing and premises enforcement",
    council_name="Test Council",
)


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def _tasks(session: Session, r: Referral, kind: ReminderKind) -> list[Reminder]:
    session.expire_all()
    return list(
        session.scalars(
            select(Reminder)
            .where(
                Reminder.subject_type == "committee_referral",
                Reminder.subject_id == r.id,
                Reminder.kind == kind,
            )
            .order_by(Reminder.id)
        )
    )


def _mailed(session: Session, reminder: Reminder, when: object) -> set[str]:
    notify.enqueue_due(session, when, CONFIG)  # type: ignore[arg-type]
    return set(
        session.scalars(select(OutboxMail.recipient).where(OutboxMail.reminder_id == reminder.id))
    )


def _titles(session: Session, world: World, who: str, when: object) -> list[str]:
    listed = task_list(session, world.actors[who], when)  # type: ignore[arg-type]
    return [t.reminder.title for t in [*listed.overdue, *listed.upcoming]]


def test_sign_off_return_and_hand_to_the_clerks_are_tasks_that_close_themselves(
    session: Session, world: World
) -> None:
    officer, supervisor, clerk = (world.actors[k] for k in ("officer", "supervisor", "clerk"))
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    submitted = NOW + timedelta(hours=1)
    referrals.submit(session, officer, submitted, r.id, r.version)
    (waiting,) = _tasks(session, r, ReminderKind.REFERRAL_SIGN_OFF)
    assert waiting.status == "open" and waiting.team == "supervisors"
    assert waiting.owner_user_id is None and r.reference in waiting.title
    # Told at once, both supervisors; nobody else.
    assert _mailed(session, waiting, submitted) == {
        "supervisor@example.gov.uk",
        "supervisor2@example.gov.uk",
    }
    assert any(r.reference in t for t in _titles(session, world, "supervisor2", submitted))
    assert not any(r.reference in t for t in _titles(session, world, "clerk", submitted))

    returned = NOW + timedelta(hours=2)
    referrals.return_referral(session, supervisor, returned, r.id, r.version, "Add the dates")
    assert [t.status for t in _tasks(session, r, ReminderKind.REFERRAL_SIGN_OFF)] == ["done"]
    (back,) = _tasks(session, r, ReminderKind.REFERRAL_RETURNED)
    assert back.status == "open" and back.owner_user_id == officer.user_id and back.team is None
    assert _mailed(session, back, returned) == {"officer@example.gov.uk"}
    assert not any(r.reference in t for t in _titles(session, world, "officer2", returned))

    again = NOW + timedelta(hours=3)
    referrals.submit(session, officer, again, r.id, r.version)
    assert [t.status for t in _tasks(session, r, ReminderKind.REFERRAL_RETURNED)] == ["done"]
    assert [t.status for t in _tasks(session, r, ReminderKind.REFERRAL_SIGN_OFF)] == [
        "done",
        "open",
    ]
    signed = NOW + timedelta(hours=4)
    referrals.sign_off(session, supervisor, signed, r.id, r.version, "Agreed")
    assert {t.status for t in _tasks(session, r, ReminderKind.REFERRAL_SIGN_OFF)} == {"done"}
    (clerks,) = _tasks(session, r, ReminderKind.REFERRAL_SIGNED_OFF)
    assert clerks.status == "open" and clerks.team == "clerks"
    assert _mailed(session, clerks, signed) == {"clerk@example.gov.uk"}
    assert any(r.reference in t for t in _titles(session, world, "clerk", signed))

    referral_process.open_process(
        session,
        clerk,
        NOW + timedelta(days=1),
        r.id,
        r.version,
        received_at=at("2026-03-03", "09:00"),
        calendar=CAL,
        rulebook=BOOK,
    )
    (clerks,) = _tasks(session, r, ReminderKind.REFERRAL_SIGNED_OFF)
    assert clerks.status == "done"
    # The officer in charge of the case cannot record its steps past the referral.
    case = session.get(EnforcementCase, r.case_id)
    assert case is not None
    with pytest.raises(ValidationFailed, match="the committee clerks record its steps"):
        referral_process.cases.record_event(
            session,
            officer,
            NOW + timedelta(days=2),
            case.id,
            case.version,
            referral_process.cases.EventInput(
                kind="hearing_listed",
                occurred_at=NOW + timedelta(days=2),
                scheduled_for=at("2026-04-20", "10:00"),
            ),
            calendar=CAL,
            rulebook=BOOK,
        )


def test_a_referral_a_supervisor_drafted_waits_for_their_own_supervisor(
    session: Session, world: World
) -> None:
    author, boss = world.actors["supervisor2"], world.actors["supervisor"]
    author_user = session.get(User, author.user_id)
    assert author_user is not None
    r = referrals.create_draft(session, author, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, author, NOW + timedelta(hours=1), r.id, r.version)
    # No supervisor recorded: the supervisors' team is asked.
    (first,) = _tasks(session, r, ReminderKind.REFERRAL_SIGN_OFF)
    assert (first.owner_user_id, first.team) == (None, "supervisors")
    referrals.return_referral(session, boss, NOW + timedelta(hours=2), r.id, r.version, "Dates")
    author_user.supervisor_id = boss.user_id
    session.flush()
    referrals.submit(session, author, NOW + timedelta(hours=3), r.id, r.version)
    waiting = [t for t in _tasks(session, r, ReminderKind.REFERRAL_SIGN_OFF) if t.status == "open"]
    assert [(t.owner_user_id, t.team) for t in waiting] == [(boss.user_id, None)]
    assert _mailed(session, waiting[0], NOW + timedelta(hours=3)) == {"supervisor@example.gov.uk"}
    assert not any(
        r.reference in t for t in _titles(session, world, "supervisor2", NOW + timedelta(hours=3))
    )


def test_a_linked_case_already_running_passes_its_reminders_to_the_clerks(
    session: Session, world: World
) -> None:
    """A review case the officer opened, then linked to the referral: its reminders move."""
    from builders import make_case

    officer, supervisor, clerk = (world.actors[k] for k in ("officer", "supervisor", "clerk"))
    case = make_case(
        session,
        world.premises.id,
        world.council_id,
        officer.user_id or 0,
        tool="premises_review",
        now=NOW,
    )
    referral_process.cases.record_event(
        session,
        officer,
        NOW,
        case.id,
        case.version,
        referral_process.cases.EventInput(kind="application_received", occurred_at=NOW),
        calendar=CAL,
        rulebook=BOOK,
    )
    held = session.scalars(
        select(Reminder).where(
            Reminder.subject_type == "enforcement_case",
            Reminder.subject_id == case.id,
            Reminder.status == "open",
        )
    ).all()
    assert held and all(x.owner_user_id == officer.user_id for x in held)
    held[0].acknowledged_at = NOW
    session.flush()
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW + timedelta(hours=1), r.id, r.version)
    referrals.sign_off(session, supervisor, NOW + timedelta(hours=2), r.id, r.version, "Agreed")
    referral_process.open_process(
        session,
        clerk,
        NOW + timedelta(days=1),
        r.id,
        r.version,
        received_at=NOW,
        existing_case_id=case.id,
        calendar=CAL,
        rulebook=BOOK,
    )
    session.expire_all()
    moved = session.scalars(
        select(Reminder).where(
            Reminder.subject_type == "enforcement_case",
            Reminder.subject_id == case.id,
            Reminder.status == "open",
        )
    ).all()
    assert {x.id for x in moved} == {x.id for x in held}
    for x in moved:
        # The clerks have acknowledged nothing yet; the mail is planned again for them.
        assert (x.owner_user_id, x.team, x.acknowledged_at) == (None, "clerks", None)
        assert x.next_send_at == NOW + timedelta(days=1)


def test_a_ward_team_is_named_by_its_ward(session: Session, world: World) -> None:
    from builders.register import WEST

    names = notify.ward_names_of(session, [f"ward:{WEST.code}", "clerks", None])
    assert names == {WEST.code: WEST.name}
    assert notify.team_label(f"ward:{WEST.code}", names) == f"{WEST.name} ward team"
    assert notify.team_label("ward:E05999999", names) == "ward team (E05999999)"
    assert notify.team_label("supervisors") == "Supervisors"


def test_a_ward_teams_mail_names_the_ward(session: Session, world: World) -> None:
    from builders import make_user, train
    from builders.register import WEST

    colleague = make_user(
        session, "ward_officer", email="colleague@example.gov.uk", wards_=frozenset({WEST.code})
    )
    train(session, colleague)  # the ward's team: those who can log a visit there
    visit_task = session.scalars(
        select(Reminder).where(Reminder.kind == ReminderKind.FOLLOW_UP_VISIT)
    ).one()
    assert visit_task.team == f"ward:{WEST.code}"
    notify.enqueue_due(session, visit_task.due_at, CONFIG)
    mail = session.scalars(
        select(OutboxMail).where(
            OutboxMail.reminder_id == visit_task.id,
            OutboxMail.recipient_user_id == colleague.id,
        )
    ).first()
    assert mail is not None
    assert "member of the Westward ward team" in mail.text_body
    assert WEST.code not in mail.text_body


def test_a_returned_referral_whose_author_leaves_goes_to_the_supervisors(
    session: Session, world: World
) -> None:
    """Only its author, or a supervisor of their organisation, can submit a returned referral
    again: when the author is deactivated its task goes to the supervisors (not to the licensing
    team, who cannot submit it), and a supervisor of another organisation, who sees the
    supervisors' tasks, may not acknowledge it or mark it done."""
    officer, supervisor = world.actors["officer"], world.actors["supervisor"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW + timedelta(hours=1), r.id, r.version)
    referrals.return_referral(
        session, supervisor, NOW + timedelta(hours=2), r.id, r.version, "Dates"
    )
    users.set_active(session, SYSTEM, NOW + timedelta(hours=3), officer.user_id or 0, False)
    assert tasks.hand_on_tasks_of(session, SYSTEM, NOW + timedelta(hours=3), officer.user_id or 0)
    (back,) = _tasks(session, r, ReminderKind.REFERRAL_RETURNED)
    assert (back.owner_user_id, back.team) == (None, "supervisors")
    police = session.get_one(User, world.actors["analyst"].user_id).organisation
    elsewhere = users.actor_for(make_user(session, "supervisor", org=police))
    with pytest.raises(Forbidden, match="drafted this referral"):
        tasks.mark_done(session, elsewhere, NOW + timedelta(hours=4), back.id)
    tasks.acknowledge(session, supervisor, NOW + timedelta(hours=4), back.id)
    assert _tasks(session, r, ReminderKind.REFERRAL_RETURNED)[0].acknowledged_at is not None
