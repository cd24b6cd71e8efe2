"""Indicators on inspections and anonymous referral records, in the domain, on both databases."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from builders import NOW, WEST, inspection_input, make_inspection
from builders.welfare import World, make_world, referral_input
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from enforcement.clock import day_text
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.inspections import inspections
from enforcement.models import AuditEvent, Inspection, ReferralRecord, Reminder
from enforcement.safeguarding import records
from enforcement.safeguarding.records import INSPECTION, VISIT, Source

# Every column an anonymous referral record may have: none of them can identify the person.
# A new column must be added here deliberately, after asking whether it could.
ALLOWED_COLUMNS = {
    "anonymous_referrals": {
        "id",
        "welfare_visit_id",
        "inspection_id",
        "ward_code",
        "route",
        "age_group",
        "age_disputed",
        "consent_given",
        "gender",
        "exploitation_place",
        "first_responder_org_id",
        "first_responder_type",
        "submitted_on",
        "rg_decided_on",
        "rg_outcome",
        "cg_decided_on",
        "cg_outcome",
        "recorded_by_id",
        "created_at",
        "updated_at",
        "version",
    },
    "anonymous_referral_types": {"referral_id", "exploitation_type"},
}


@pytest.fixture
def world(session: Session) -> World:
    w = make_world(session)
    session.commit()
    return w


def _inspection(session: Session, world: World, **overrides: object) -> Inspection:
    return make_inspection(
        session, world.west_premises.id, actor=world.actors["licensing_officer"], **overrides
    )


def test_the_record_holds_no_field_that_could_identify_anyone(session: Session) -> None:
    found = inspect(session.get_bind())
    for table, allowed in ALLOWED_COLUMNS.items():
        assert {c["name"] for c in found.get_columns(table)} == allowed


def test_an_inspection_records_indicators_and_a_referral_and_a_follow_up_is_due(
    session: Session, world: World
) -> None:
    today = NOW.date()
    i = _inspection(
        session,
        world,
        indicators=frozenset({"wages_withheld", "workers_live_on_site", "cannabis_grow"}),
        referrals=(
            referral_input(
                submitted_on=today, gender="male", exploitation_types=frozenset({"labour"})
            ),
        ),
    )
    assert i.follow_up_needed  # the poster complied: the indicators alone make it due
    assert session.scalar(
        select(func.count()).select_from(Reminder).where(Reminder.subject_id == i.id)
    )
    d = inspections.get_inspection(session, world.actors["licensing_officer"], i.id)
    assert [(g.code, [x.code for x in found]) for g, found in d.indicators] == [
        ("labour", ["workers_live_on_site", "wages_withheld"]),
        ("criminal", ["cannabis_grow"]),
    ]
    (view,) = d.referrals
    assert view.record.inspection_id == i.id and view.record.welfare_visit_id is None
    assert view.record.ward_code == WEST.code and view.exploitation_types == ["Labour exploitation"]
    assert d.may_add_referral
    # A committee clerk reads the inspection but records no referral.
    clerk = inspections.get_inspection(session, world.actors["committee_clerk"], i.id)
    assert not clerk.may_add_referral


def test_identifiers_in_inspection_notes_are_refused_as_on_a_visit(
    session: Session, world: World
) -> None:
    with pytest.raises(ValidationFailed) as err:
        _inspection(
            session,
            world,
            observations="The manager gave her mobile as 07700 900123",
            other_officers="PC 123 and someone@example.com",
        )
    assert "phone number" in err.value.errors["observations"]
    assert "email address" in err.value.errors["other_officers"]
    with pytest.raises(ValidationFailed) as err:
        _inspection(session, world, indicators=frozenset({"made_up"}))
    assert "made_up" in err.value.errors["indicators"]
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_an_inspection_where_someone_appeared_under_18_always_leads_to_a_referral(
    session: Session, world: World
) -> None:
    with pytest.raises(ValidationFailed) as err:
        _inspection(session, world, indicators=frozenset({"appears_under_18"}), no_referrals=True)
    assert err.value.errors == {
        "no_referrals": "Someone appeared to be under 18, and a child is always referred (to the "
        "NRM, or to children's social services): answer that referrals were made, and record "
        "each one"
    }
    assert session.scalar(select(func.count()).select_from(Inspection)) == 0
    _inspection(session, world, indicators=frozenset({"appears_under_18"}))  # recorded next
    _inspection(session, world, no_referrals=True)


def test_an_inspection_s_referral_cannot_be_dated_before_the_inspection(
    session: Session, world: World
) -> None:
    inspected = NOW - timedelta(days=3)
    early = referral_input(submitted_on=(inspected - timedelta(days=1)).date())
    with pytest.raises(ValidationFailed) as err:
        _inspection(session, world, inspected_at=inspected, referrals=(early,))
    assert err.value.errors == {
        "referrals": "Referral 1: The date of the referral cannot be before the inspection, on "
        + day_text(inspected.date())
    }
    i = _inspection(session, world, inspected_at=inspected)
    with pytest.raises(ValidationFailed) as err:
        records.record_referral(
            session, world.actors["licensing_officer"], NOW, Source(INSPECTION, i.id), early
        )
    assert err.value.errors == {
        "submitted_on": "The date of the referral cannot be before the inspection, on "
        + day_text(inspected.date())
    }


@pytest.mark.parametrize("route", ["specialist_charity", "social_services"])
def test_consent_to_enter_the_nrm_is_not_asked_of_a_referral_elsewhere(
    session: Session, world: World, route: str
) -> None:
    i = _inspection(session, world)
    source = Source(INSPECTION, i.id)
    officer = world.actors["licensing_officer"]
    for answer in (None, True, False):
        made = records.record_referral(
            session, officer, NOW, source, referral_input(route=route, consent_given=answer)
        )
        assert made.consent_given is None  # a question that was not asked has no answer
    with pytest.raises(ValidationFailed) as err:
        records.record_referral(
            session, officer, NOW, source, referral_input(route="nrm", consent_given=None)
        )
    assert err.value.errors == {
        "consent_given": "Say whether the adult gave informed consent to enter the NRM"
    }


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"route": "duty_to_notify", "age_group": "child"},
            "route",
            "Duty to Notify is for adults",
        ),
        ({"route": "duty_to_notify", "age_group": "not_known"}, "route", "adults only"),
        ({"consent_given": False}, "route", "only with their informed consent"),
        ({"route": "duty_to_notify", "consent_given": True}, "route", "referred to the NRM"),
        ({"consent_given": None}, "consent_given", "informed consent"),
        ({"exploitation_types": frozenset({"labour", "not_known"})}, "exploitation_types", ""),
        ({"exploitation_types": frozenset()}, "exploitation_types", ""),
        ({"gender": "unknown"}, "gender", ""),
        ({"submitted_on": NOW.date() + timedelta(days=2)}, "submitted_on", "past"),
        ({"submitted_on": None}, "submitted_on", ""),
        ({"first_responder_org_id": 999_999}, "first_responder_org_id", ""),
    ],
)
def test_a_referral_follows_the_rules_of_age_and_consent(
    session: Session, world: World, change: dict[str, object], field: str, words: str
) -> None:
    visit = world.log(session, referrals=())
    with pytest.raises(ValidationFailed) as err:
        records.record_referral(
            session,
            world.actors["ward_officer"],
            NOW,
            Source(VISIT, visit.id),
            referral_input(**change),
        )
    assert words in err.value.errors[field]
    assert session.scalar(select(func.count()).select_from(ReferralRecord)) == 0


def test_a_child_is_referred_without_consent_being_asked(session: Session, world: World) -> None:
    visit = world.log(session, referrals=())
    record = records.record_referral(
        session,
        world.actors["ward_officer"],
        NOW,
        Source(VISIT, visit.id),
        referral_input(age_group="child", consent_given=True, age_disputed=True),
    )
    assert record.consent_given is None and record.age_disputed
    # The audit event names the visit, never what the referral says.
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "anonymous_referral.create")
    ).one()
    assert (event.entity_type, event.entity_id) == ("welfare_visit", str(visit.id))
    assert event.after_json is None and "child" not in event.summary


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("ward_officer_elsewhere", Forbidden),  # knows the visit exists, not what it says
        ("licensing_officer", Forbidden),
        ("intel_analyst", Forbidden),  # reads visits, records nothing on them
        ("partner", NotFound),
        ("admin", NotFound),
    ],
)
def test_only_those_who_record_the_visit_add_its_referrals(
    session: Session, world: World, who: str, refusal: type[Exception]
) -> None:
    visit = world.log(session, referrals=())
    with pytest.raises(refusal):
        records.record_referral(
            session, world.actors[who], NOW, Source(VISIT, visit.id), referral_input()
        )
    records.record_referral(
        session, world.actors["supervisor"], NOW, Source(VISIT, visit.id), referral_input()
    )


def test_an_inspection_s_referrals_are_for_those_who_record_inspections(
    session: Session, world: World
) -> None:
    i = _inspection(session, world)
    for who in ("committee_clerk", "ward_officer"):
        with pytest.raises(Forbidden):
            records.record_referral(
                session, world.actors[who], NOW, Source(INSPECTION, i.id), referral_input()
            )
    with pytest.raises(NotFound):
        records.record_referral(
            session,
            world.actors["licensing_officer"],
            NOW,
            Source(INSPECTION, 999_999),
            referral_input(),
        )


def test_the_nrm_decisions_are_recorded_later_in_order(session: Session, world: World) -> None:
    i = _inspection(session, world, referrals=(referral_input(submitted_on=NOW.date()),))
    record = session.scalars(select(ReferralRecord)).one()
    officer = world.actors["licensing_officer"]
    later = NOW + timedelta(days=40)
    rg_day, cg_day = NOW.date() + timedelta(days=5), NOW.date() + timedelta(days=35)
    with pytest.raises(ValidationFailed) as err:
        records.record_outcomes(
            session,
            officer,
            later,
            record.id,
            record.version,
            records.OutcomesInput(cg_decided_on=cg_day, cg_outcome="positive"),
        )
    assert "follows a positive reasonable grounds decision" in err.value.errors["cg_outcome"]
    with pytest.raises(ValidationFailed) as err:
        records.record_outcomes(
            session,
            officer,
            later,
            record.id,
            record.version,
            records.OutcomesInput(
                rg_decided_on=NOW.date() - timedelta(days=1), rg_outcome="positive"
            ),
        )
    assert "before the referral was made" in err.value.errors["rg_decided_on"]
    saved = records.record_outcomes(
        session,
        officer,
        later,
        record.id,
        record.version,
        records.OutcomesInput(rg_day, "positive", cg_day, "positive"),
    )
    assert (saved.rg_outcome, saved.cg_decided_on) == ("positive", cg_day)
    with pytest.raises(StaleEdit):
        records.record_outcomes(
            session, officer, later, record.id, 1, records.OutcomesInput(rg_day, "negative")
        )
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "anonymous_referral.outcomes")
    ).one()
    assert (event.entity_type, event.entity_id) == ("inspection", str(i.id))
    assert json.loads(event.after_json or "") == {
        "rg_decided_on": rg_day.isoformat(),
        "rg_outcome": "positive",
        "cg_decided_on": cg_day.isoformat(),
        "cg_outcome": "positive",
    }


def test_only_nrm_referrals_receive_decisions(session: Session, world: World) -> None:
    _inspection(
        session,
        world,
        referrals=(referral_input(route="specialist_charity", submitted_on=NOW.date()),),
    )
    record = session.scalars(select(ReferralRecord)).one()
    with pytest.raises(ValidationFailed) as err:
        records.record_outcomes(
            session,
            world.actors["supervisor"],
            NOW,
            record.id,
            record.version,
            records.OutcomesInput(NOW.date(), "positive"),
        )
    assert "Only NRM referrals" in err.value.errors["rg_outcome"]


def test_a_correction_changes_the_indicators_and_the_follow_up_follows_them(
    session: Session, world: World
) -> None:
    officer = world.actors["licensing_officer"]
    i = _inspection(session, world, indicators=frozenset({"wages_withheld", "cuckooing"}))
    assert i.follow_up_needed
    data = inspection_input(
        inspected_at=i.inspected_at,
        idempotency_key=i.idempotency_key,
        indicators=frozenset({"wages_withheld", "no_contract"}),
    )
    i = inspections.correct_inspection(session, officer, NOW, i.id, i.version, data)
    session.flush()
    assert {r.code for r in i.indicator_rows} == {"wages_withheld", "no_contract"}
    i = inspections.correct_inspection(
        session, officer, NOW, i.id, i.version, dataclasses.replace(data, indicators=frozenset())
    )
    assert i.indicator_rows == [] and not i.follow_up_needed
    assert (
        session.scalar(select(func.count()).select_from(Reminder).where(Reminder.status == "open"))
        == 0
    )
