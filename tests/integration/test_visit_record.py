"""The whole welfare visit record: approach, support, outcome, handling, and immigration
referrals decided by a supervisor (docs/welfare.md), on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import EAST, NOW, WEST
from builders.support import make_service
from builders.welfare import IMMIGRATION, World, make_world, visit_record
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.measures.catalogue import immigration_referrals
from enforcement.measures.quarters import Quarter
from enforcement.models import AuditEvent, Reminder
from enforcement.models.welfare import WelfareVisit
from enforcement.reminders import tasks
from enforcement.reminders.vocab import ReminderKind
from enforcement.welfare import visits as welfare


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def _visits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(WelfareVisit)) or 0


def _refused(session: Session, world: World, **record: object) -> dict[str, str]:
    before = _visits(session)
    with pytest.raises(ValidationFailed) as refused:
        world.log(session, record=visit_record(**record))
    assert _visits(session) == before
    return refused.value.errors


def test_the_whole_record_round_trips(session: Session, world: World) -> None:
    helpline = make_service(session, name="A national helpline", any_language=True)
    charity = make_service(session, name="A local charity", languages=frozenset({"th"}))
    visit = world.log(
        session,
        record=visit_record(
            dress="uniform",
            partner_agency_present=True,
            partner_agency="  A specialist   charity ",
            interpreter_professional=False,
            consent_to_talk="declined",
            away_from_managers="no_managers",
            services=frozenset({helpline.id, charity.id}),
            follow_up_offered=False,
            outcomes=frozenset({"follow_up_visit", "safeguarding_referral"}),
            handling_code="C",
            handling_conditions="Share only with the ward team and the safeguarding lead.",
        ),
    )
    session.expire_all()
    d = welfare.open_visit(session, world.actors["supervisor"], NOW, visit.id)
    assert isinstance(d, welfare.VisitDetail)
    v = d.visit
    assert (v.dress, v.partner_agency_present, v.partner_agency) == (
        "uniform",
        True,
        "A specialist charity",
    )
    assert v.interpreter_professional is False and v.follow_up_offered is False
    assert (v.consent_to_talk, v.away_from_managers) == ("declined", "no_managers")
    assert d.services == ["A local charity", "A national helpline"]
    assert d.outcomes == ["Follow-up visit", "Safeguarding referral (adults or children)"]
    assert v.handling_code == "C" and v.handling_conditions.startswith("Share only")
    assert v.immigration_status is None and v.immigration_justification is None


def test_a_follow_up_visit_as_the_outcome_schedules_one(session: Session, world: World) -> None:
    visit = world.log(
        session,
        indicators=frozenset(),
        record=visit_record(outcomes=frozenset({"follow_up_visit"})),
    )
    assert visit.follow_up_due_at is not None


def test_each_part_of_the_record_must_be_answered(session: Session, world: World) -> None:
    errors = _refused(
        session,
        world,
        dress=None,
        partner_agency_present=None,
        interpreter_professional=None,
        consent_to_talk=None,
        away_from_managers=None,
        follow_up_offered=None,
        outcomes=frozenset(),
        handling_code="",
    )
    assert {
        "dress",
        "partner_agency_present",
        "interpreter_professional",
        "consent_to_talk",
        "away_from_managers",
        "follow_up_offered",
        "outcomes",
        "handling_code",
    } <= set(errors)
    assert "partner_agency" in _refused(
        session, world, partner_agency_present=True, partner_agency=" "
    )
    assert "handling_conditions" in _refused(session, world, handling_code="C")
    assert (
        "select one or the other"
        in _refused(session, world, outcomes=frozenset({"no_further_action", "nrm_referral"}))[
            "outcomes"
        ]
    )
    assert "outcomes" in _refused(session, world, outcomes=frozenset({"arrest"}))
    with pytest.raises(ValidationFailed) as none:
        world.log(session, record=None)
    assert "record" in none.value.errors


def test_only_offered_services_may_be_signposted(session: Session, world: World) -> None:
    withdrawn = make_service(session, active=False)
    assert "services" in _refused(session, world, services=frozenset({withdrawn.id}))
    assert "services" in _refused(session, world, services=frozenset({2_000_000}))


def test_an_immigration_referral_is_refused_without_a_justification(
    session: Session, world: World
) -> None:
    immigration = frozenset({"immigration_referral"})
    assert "immigration_justification" in _refused(session, world, outcomes=immigration)
    assert "immigration_justification" in _refused(
        session, world, outcomes=immigration, immigration_justification="Overstayer."
    )
    # An identifier in the justification is refused like any free text.
    assert "immigration_justification" in _refused(
        session,
        world,
        outcomes=immigration,
        immigration_justification="Asked us to refer her; her number is 07700 900123.",
    )
    assert session.scalar(select(func.count()).select_from(Reminder)) == 0


def _ask(session: Session, world: World) -> WelfareVisit:
    return world.log(
        session,
        record=visit_record(
            outcomes=frozenset({"immigration_referral", "safeguarding_referral"}),
            immigration_justification=IMMIGRATION,
        ),
    )


def test_a_supervisor_approves_an_immigration_referral(session: Session, world: World) -> None:
    visit = _ask(session, world)
    assert visit.immigration_status == "pending"
    task = session.scalar(
        select(Reminder).where(Reminder.kind == ReminderKind.IMMIGRATION_DECISION)
    )
    assert task is not None and task.team == "supervisors" and task.subject_id == visit.id
    assert world.west_premises.name not in task.title
    supervisor = world.actors["supervisor"]
    listed = tasks.task_list(session, supervisor, NOW)
    assert task.id in {t.reminder.id for t in listed.upcoming + listed.overdue}
    # Nobody but a supervisor decides; a decision needs a choice and a reason.
    for who in ("ward_officer", "intel_analyst", "licensing_officer", "admin"):
        with pytest.raises(Forbidden):
            welfare.decide_immigration_referral(
                session, world.actors[who], NOW, visit.id, approve=True, note="Looks justified."
            )
    with pytest.raises(ValidationFailed) as refused:
        welfare.decide_immigration_referral(
            session, supervisor, NOW, visit.id, approve=None, note=""
        )
    assert {"decision", "note"} <= set(refused.value.errors)
    with pytest.raises(NotFound):
        welfare.decide_immigration_referral(
            session, supervisor, NOW, 2_000_000, approve=True, note="Looks justified."
        )
    later = NOW + timedelta(hours=1)
    welfare.decide_immigration_referral(
        session, supervisor, later, visit.id, approve=True, note="Justified: they asked for it."
    )
    session.expire_all()
    v = session.get(WelfareVisit, visit.id)
    assert v is not None and v.immigration_status == "approved"
    assert v.immigration_decided_by_id == supervisor.user_id and v.immigration_decided_at == later
    assert v.immigration_decision_note == "Justified: they asked for it."
    session.refresh(task)
    assert task.status == "done"
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "welfare_visit.immigration_approve")
    )
    assert event is not None and event.entity_id == str(visit.id)
    # The trail, which administrators read, says what was decided, never why.
    assert "regularise" not in (event.after_json or "") + event.summary
    assert "Justified" not in (event.after_json or "")
    with pytest.raises(ValidationFailed) as again:
        welfare.decide_immigration_referral(
            session, supervisor, later, visit.id, approve=False, note="Changed my mind now."
        )
    assert "no immigration referral awaiting" in again.value.errors["decision"]


def test_a_declined_referral_is_counted_as_declined(session: Session, world: World) -> None:
    approved, declined, pending = _ask(session, world), _ask(session, world), _ask(session, world)
    del pending
    supervisor = world.actors["supervisor"]
    for visit, approve in ((approved, True), (declined, False)):
        welfare.decide_immigration_referral(
            session, supervisor, NOW, visit.id, approve=approve, note="Decided on the record."
        )
    world.log(session)  # no immigration referral: not counted
    quarter = Quarter.containing(NOW)
    result = immigration_referrals(session, supervisor, NOW, quarter, None)
    assert dict(result.total) == {"approved": 1, "declined": 1, "pending": 1, "made": 3}
    # By the visit's ward: all three were at the west premises.
    west = immigration_referrals(session, supervisor, NOW, quarter, WEST.code)
    assert west.total["made"] == 3
    assert immigration_referrals(session, supervisor, NOW, quarter, EAST.code).total == {
        "approved": 0,
        "declined": 0,
        "pending": 0,
        "made": 0,
    }
