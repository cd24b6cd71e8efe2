"""Enforcement cases: opening, events in order, derived deadlines, next steps, reminders, access."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import (
    BOOK,
    CAL,
    NOW,
    make_inspection,
    make_licence,
    make_org,
    make_premises,
    make_user,
    make_wards,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement import policy, timeline
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.cases import casework as cases
from enforcement.cases.statutory import RuleBook
from enforcement.clock import LONDON
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.models import (
    AuditEvent,
    CaseDeadline,
    CaseEvent,
    EnforcementCase,
    Licence,
    Organisation,
    Reminder,
)
from enforcement.policy import Visibility
from enforcement.reminders import reminders
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import InspectionReason, LicenceStatus, PremisesType
from enforcement.welfare.visits import SUBJECT as WELFARE_VISIT


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LONDON)


# Friday 24 December 2027, a little after the notice was served.
XMAS_EVE = at(2027, 12, 24, 17, 0)
#: An event dated on a day before its case was opened, confirmed as right on purpose.
EARLIER: dict[str, object] = {"confirm_earlier": True}


@dataclass
class World:
    council: int
    police: int
    licensing: Actor
    council_supervisor: Actor
    ward_officer: Actor
    police_supervisor: Actor
    clerk: Actor
    analyst: Actor
    admin: Actor
    pub: int
    flat: int


@pytest.fixture
def w(session: Session) -> World:
    make_wards(session)
    council = make_org(session, "Test Council", "council")
    police = make_org(session, "Test Police", "police")

    def actor(role: str, org: Organisation) -> Actor:
        person = make_user(session, role, org=org, display_name=f"Test {role.replace('_', ' ')}")
        return users.actor_for(person)

    pub = make_premises(session, name="The Crown", premises_type=PremisesType.PUB_BAR)
    make_licence(session, pub.id)
    flat = make_premises(session, name="Flat 2", premises_type=PremisesType.RESIDENTIAL_FLAT)
    return World(
        council=council.id,
        police=police.id,
        licensing=actor("licensing_officer", council),
        council_supervisor=actor("supervisor", council),
        ward_officer=actor("ward_officer", police),
        police_supervisor=actor("supervisor", police),
        clerk=actor("committee_clerk", council),
        analyst=actor("intel_analyst", police),
        admin=actor("admin", council),
        pub=pub.id,
        flat=flat.id,
    )


def _open(
    session: Session,
    who: Actor,
    premises_id: int,
    tool: str = "asbcpa_closure",
    owner: int | None = None,
    now: datetime = XMAS_EVE,
) -> EnforcementCase:
    return cases.open_case(
        session,
        who,
        now,
        cases.CaseInput(
            premises_id=premises_id,
            tool=tool,
            owner_organisation_id=owner if owner is not None else who.organisation_id,
            officer_id=who.user_id,
            summary="Closure after a joint visit",
        ),
    )


def _record(
    session: Session,
    who: Actor,
    case: EnforcementCase,
    kind: str,
    when: datetime,
    now: datetime = XMAS_EVE,
    **extra: object,
) -> cases.Recorded:
    return cases.record_event(
        session,
        who,
        now,
        case.id,
        case.version,
        cases.EventInput(kind=kind, occurred_at=when, **extra),  # type: ignore[arg-type]
        calendar=CAL,
        rulebook=BOOK,
    )


def _served_closure(session: Session, w: World, premises_id: int | None = None) -> EnforcementCase:
    case = _open(session, w.ward_officer, premises_id or w.pub)
    _record(session, w.ward_officer, case, "notice_issued", at(2027, 12, 24, 16, 0))
    _record(
        session,
        w.ward_officer,
        case,
        "notice_served",
        at(2027, 12, 24, 16, 30),
        served_how="in_person",
    )
    return case


def _deadlines(session: Session, case_id: int) -> dict[str, CaseDeadline]:
    return {
        d.rule_id: d
        for d in session.scalars(
            select(CaseDeadline)
            .where(CaseDeadline.case_id == case_id)
            .execution_options(populate_existing=True)
        )
    }


def _reminders(session: Session, case_id: int) -> list[Reminder]:
    return list(
        session.scalars(
            select(Reminder)
            .where(Reminder.subject_type == "enforcement_case", Reminder.subject_id == case_id)
            .order_by(Reminder.due_at)
            .execution_options(populate_existing=True)
        )
    )


# --- opening ----------------------------------------------------------------------------------


def test_open_case_numbers_cases_per_year_and_audits(session: Session, w: World) -> None:
    first = _open(session, w.licensing, w.pub, "premises_review", now=NOW)
    second = _open(session, w.licensing, w.flat, "prosecution", now=NOW)
    later = _open(session, w.licensing, w.pub, "premises_review", now=at(2027, 1, 5, 9))
    assert (first.reference, second.reference, later.reference) == (
        "EC-2026-0001",
        "EC-2026-0002",
        "EC-2027-0001",
    )
    assert first.status == "open" and first.owner_organisation_id == w.council
    assert first.officer_id == w.licensing.user_id and first.opened_by_id == w.licensing.user_id
    actions = session.scalars(
        select(AuditEvent.summary).where(AuditEvent.action == "case.open")
    ).all()
    assert any("EC-2026-0001" in a and "The Crown" in a for a in actions)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tool": "welfare_visit"}, "tool"),
        ({"tool": "no_such_tool"}, "tool"),
        ({"tool": "soa_closure"}, "owner_organisation_id"),  # held by the police only
        ({"owner": "police"}, "owner_organisation_id"),  # not the officer's organisation
        ({"officer": "ward_officer"}, "officer_id"),  # officer of another organisation
        ({"officer": "clerk"}, "officer_id"),  # a clerk is not a case officer
        ({"summary": "   "}, "summary"),
        ({"summary": "x" * 2001}, "summary"),
        ({"summary": "A worker, born 12/03/1998, gave her number"}, "summary"),
        ({"summary": "Call the worker on 07700 900123"}, "summary"),
    ],
)
def test_open_case_refuses_bad_input_and_saves_nothing(
    session: Session, w: World, changes: dict[str, str], field: str
) -> None:
    officer = getattr(w, changes.get("officer", "licensing"))
    data = cases.CaseInput(
        premises_id=w.pub,
        tool=changes.get("tool", "asbcpa_closure"),
        owner_organisation_id=w.police if changes.get("owner") == "police" else w.council,
        officer_id=officer.user_id,
        summary=changes.get("summary", "A summary"),
    )
    with pytest.raises(ValidationFailed) as exc:
        cases.open_case(session, w.licensing, NOW, data)
    assert field in exc.value.errors
    assert session.scalar(select(func.count()).select_from(EnforcementCase)) == 0


def test_open_case_on_unknown_premises_is_not_found(session: Session, w: World) -> None:
    with pytest.raises(NotFound):
        _open(session, w.licensing, 999_999)


def test_a_council_officer_may_note_a_police_prevention_order_but_not_edit_it(
    session: Session, w: World
) -> None:
    case = cases.open_case(
        session,
        w.licensing,
        NOW,
        cases.CaseInput(w.flat, "stpo", w.police, w.ward_officer.user_id, "Noted from police"),
    )
    assert case.owner_organisation_id == w.police
    with pytest.raises(Forbidden):
        _record(session, w.licensing, case, "order_made", NOW - timedelta(days=1), now=NOW)
    _record(
        session,
        w.ward_officer,
        case,
        "order_made",
        NOW - timedelta(days=1),
        now=NOW,
        confirm_earlier=True,
    )


def test_roles_without_case_edit_cannot_open_and_admins_cannot_read(
    session: Session, w: World
) -> None:
    for who in (w.clerk, w.analyst, w.admin):
        with pytest.raises(Forbidden):
            _open(session, who, w.pub, "premises_review")
    case = _open(session, w.licensing, w.pub, "premises_review", now=NOW)
    for reader in (w.clerk, w.analyst, w.ward_officer):
        assert cases.get_case(session, reader, case.id, NOW, BOOK).case.id == case.id
        assert not cases.get_case(session, reader, case.id, NOW, BOOK).may_edit
    with pytest.raises(Forbidden):
        cases.get_case(session, w.admin, case.id, NOW, BOOK)
    with pytest.raises(Forbidden):
        cases.search_cases(session, w.admin, NOW, cases.CaseQuery(), BOOK)


# --- events and deadlines ------------------------------------------------------------------


def test_service_on_christmas_eve_gives_a_hearing_deadline_on_monday(
    session: Session, w: World
) -> None:
    case = _served_closure(session, w)
    stored = _deadlines(session, case.id)
    hearing = stored["asbcpa.s80.hearing"]
    assert hearing.due_at == at(2027, 12, 27, 16, 30).astimezone(UTC)
    assert hearing.status == "pending" and hearing.confirmed
    assert "Christmas Day not counted" in hearing.explanation
    assert stored["asbcpa.s77.notice_24h"].due_at == at(2027, 12, 25, 16, 0).astimezone(UTC)
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    served = next(e for e in events if e.kind == "notice_served")
    assert served.served_how == "in_person" and hearing.anchor_event_id == served.id
    detail = cases.get_case(session, w.licensing, case.id, XMAS_EVE, BOOK)
    view = next(d for d in detail.deadlines if d.rule_id == "asbcpa.s80.hearing")
    assert view.citation.startswith("Anti-social Behaviour, Crime and Policing Act 2014, s80")
    assert view.time_left == at(2027, 12, 27, 16, 30) - XMAS_EVE
    assert [e.kind for e in detail.events] == ["notice_served", "notice_issued"]


def test_deadlines_become_reminders_for_the_officer_in_charge(session: Session, w: World) -> None:
    case = _served_closure(session, w)
    found = _reminders(session, case.id)
    assert [(r.rule_id, r.status) for r in found] == [
        ("asbcpa.s77.notice_24h", "open"),
        ("asbcpa.s80.hearing", "open"),
    ]
    for r in found:
        assert r.kind == ReminderKind.STATUTORY_DEADLINE and r.statutory
        assert r.owner_user_id == w.ward_officer.user_id and r.premises_id == w.pub
        assert r.title.startswith(case.reference)
    assert found[1].due_at == at(2027, 12, 27, 16, 30).astimezone(UTC)


def test_a_hearing_held_in_time_meets_the_deadline_and_closes_its_reminder(
    session: Session, w: World
) -> None:
    case = _served_closure(session, w)
    monday = at(2027, 12, 27, 10, 0)
    _record(session, w.ward_officer, case, "hearing_held", monday, now=monday)
    hearing = _deadlines(session, case.id)["asbcpa.s80.hearing"]
    held = session.scalars(select(CaseEvent).where(CaseEvent.kind == "hearing_held")).one()
    assert hearing.status == "met" and hearing.met_by_event_id == held.id
    by_rule = {r.rule_id: r for r in _reminders(session, case.id)}
    assert by_rule["asbcpa.s80.hearing"].status == "done"
    assert by_rule["asbcpa.s80.hearing"].close_reason == "Deadline met"
    # The 24-hour notice ended on Christmas Day: a period that ended is no longer owed.
    assert by_rule["asbcpa.s77.notice_24h"].status == "done"


def test_missed_deadline_stays_on_the_task_list_until_done(session: Session, w: World) -> None:
    case = _served_closure(session, w)
    tuesday = at(2027, 12, 28, 9, 0)
    result = cases.recompute_open_deadlines(session, tuesday, CAL, BOOK)
    assert result.cases == 1 and result.events == 2 and result.updated == 2
    stored = _deadlines(session, case.id)
    assert stored["asbcpa.s80.hearing"].status == "missed"
    assert stored["asbcpa.s77.notice_24h"].status == "lapsed"
    by_rule = {r.rule_id: r.status for r in _reminders(session, case.id)}
    assert by_rule == {"asbcpa.s77.notice_24h": "done", "asbcpa.s80.hearing": "open"}
    _record(session, w.ward_officer, case, "hearing_held", tuesday, now=tuesday)
    hearing = _deadlines(session, case.id)["asbcpa.s80.hearing"]
    assert hearing.status == "missed" and hearing.met_by_event_id is not None
    assert {r.rule_id: r.status for r in _reminders(session, case.id)} == {
        "asbcpa.s77.notice_24h": "done",
        "asbcpa.s80.hearing": "done",
    }


def test_get_case_shows_a_passed_deadline_as_missed_before_the_clock_runs(
    session: Session, w: World
) -> None:
    case = _served_closure(session, w)
    later = at(2027, 12, 29, 9, 0)
    detail = cases.get_case(session, w.licensing, case.id, later, BOOK)
    status = {d.rule_id: d.status for d in detail.deadlines}
    assert status == {"asbcpa.s80.hearing": "missed", "asbcpa.s77.notice_24h": "lapsed"}
    assert _deadlines(session, case.id)["asbcpa.s80.hearing"].status == "pending"


def test_unconfirmed_rules_are_stored_as_to_confirm(session: Session, w: World) -> None:
    case = _served_closure(session, w)
    made = at(2027, 12, 27, 10, 0)
    _record(session, w.ward_officer, case, "order_made", made, now=made)
    stored = _deadlines(session, case.id)
    assert stored["asbcpa.s82.extension_window"].confirmed is False
    assert stored["asbcpa.s84.appeal"].confirmed is True
    # The order's end and the last moment to apply to extend it fall together: one reminder.
    same = [
        r
        for r in _reminders(session, case.id)
        if r.due_at == stored["asbcpa.s82.extension_window"].due_at
    ]
    assert len(same) == 1 and "Closure order ends" in same[0].title and "extend" in same[0].title


@dataclass(frozen=True)
class Bad:
    name: str
    steps: list[tuple[str, datetime, dict[str, object]]]
    kind: str
    when: datetime
    extra: dict[str, object]
    field: str
    words: str


ISSUED = ("notice_issued", at(2027, 12, 24, 16, 0), {})
SERVED = ("notice_served", at(2027, 12, 24, 16, 30), {"served_how": "post"})
BAD = [
    Bad("an order before its notice", [], "order_made", at(2027, 12, 24, 12), {}, "kind", "needs"),
    Bad(
        "a service before the issue",
        [ISSUED],
        "notice_served",
        at(2027, 12, 24, 15),
        {"served_how": "in_person"},
        "occurred_at",
        "cannot come before",
    ),
    Bad(
        "a time in the future",
        [],
        "notice_issued",
        at(2027, 12, 24, 18),
        {},
        "occurred_at",
        "future",
    ),
    Bad("a duplicate", [ISSUED], *ISSUED, "occurred_at", "already recorded"),
    Bad(
        "a service without how",
        [ISSUED],
        "notice_served",
        at(2027, 12, 24, 16, 30),
        {},
        "served_how",
        "served",
    ),
    Bad(
        "another tool's event",
        [],
        "application_received",
        at(2027, 12, 24, 9),
        {},
        "kind",
        "not an event",
    ),
    Bad(
        "a note too long",
        [],
        "notice_issued",
        at(2027, 12, 24, 9),
        {"note": "x" * 4001},
        "note",
        "4,000",
    ),
]


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_bad_events_are_refused_with_the_field_and_nothing_saved(
    session: Session, w: World, bad: Bad
) -> None:
    case = _open(session, w.ward_officer, w.pub)
    for kind, when, extra in bad.steps:
        _record(session, w.ward_officer, case, kind, when, **extra)
    events_before = session.scalar(select(func.count()).select_from(CaseEvent))
    deadlines_before = session.scalar(select(func.count()).select_from(CaseDeadline))
    version = case.version
    with pytest.raises(ValidationFailed) as exc:
        _record(session, w.ward_officer, case, bad.kind, bad.when, **bad.extra)
    assert bad.field in exc.value.errors and bad.words in exc.value.errors[bad.field]
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == events_before
    assert session.scalar(select(func.count()).select_from(CaseDeadline)) == deadlines_before
    assert case.version == version


def test_an_event_before_the_case_was_opened_needs_confirming(session: Session, w: World) -> None:
    case = _open(session, w.ward_officer, w.pub)  # opened on Christmas Eve 2027
    with pytest.raises(ValidationFailed) as exc:
        _record(session, w.ward_officer, case, "notice_issued", at(2020, 1, 1, 10))
    assert exc.value.errors == {
        "confirm_earlier": "The event is before the case was opened on 24 December 2027."
        " Tick to confirm the earlier date is right"
    }
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0
    _record(session, w.ward_officer, case, "notice_issued", at(2020, 1, 1, 10), **EARLIER)
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 1


def test_a_confirmed_earlier_date_is_recorded_and_audited(session: Session, w: World) -> None:
    case = _open(session, w.ward_officer, w.pub)
    _record(session, w.ward_officer, case, "notice_issued", at(2027, 12, 23, 9), **EARLIER)
    # Earlier on the day the case was opened needs no confirming.
    _record(session, w.ward_officer, case, "notice_served", at(2027, 12, 24, 9), served_how="post")
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 2
    after = session.scalars(
        select(AuditEvent.after_json)
        .where(AuditEvent.action == "case.event")
        .order_by(AuditEvent.id)
    ).all()
    assert [json.loads(a or "{}")["before_opening_confirmed"] for a in after] == [True, False]


@pytest.mark.parametrize("year", [1, 1900, 1989])
def test_a_year_before_1990_is_a_typing_slip_even_when_confirmed(
    session: Session, w: World, year: int
) -> None:
    case = _open(session, w.ward_officer, w.pub)
    with pytest.raises(ValidationFailed) as exc:
        _record(
            session,
            w.ward_officer,
            case,
            "notice_issued",
            datetime(year, 6, 1, 10, tzinfo=UTC),
            **EARLIER,
        )
    assert exc.value.errors["occurred_at"] == (
        f"The year {year:04d} is before 1990: check the year for a typing slip"
    )
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == 0


def test_a_hearing_listed_needs_its_date_and_time(session: Session, w: World) -> None:
    case = _open(session, w.licensing, w.pub, "premises_review")
    _record(session, w.licensing, case, "application_received", at(2027, 11, 1, 10), **EARLIER)
    with pytest.raises(ValidationFailed) as exc:
        _record(session, w.licensing, case, "hearing_listed", at(2027, 12, 1, 10), **EARLIER)
    assert "scheduled_for" in exc.value.errors
    _record(
        session,
        w.licensing,
        case,
        "hearing_listed",
        at(2027, 12, 1, 10),
        scheduled_for=at(2028, 1, 10, 10),
        **EARLIER,
    )
    notice = _deadlines(session, case.id)["la.s52.notice_of_hearing"]
    # At least 10 working days before Monday 10 January 2028, stepping over the substitute
    # bank holidays of 27 and 28 December and 3 January: by the end of 22 December 2027.
    assert notice.due_at == datetime(2027, 12, 22, 23, 59, 59, 999999, tzinfo=LONDON)
    assert notice.confirmed is False


def test_a_stale_version_is_refused(session: Session, w: World) -> None:
    case = _open(session, w.ward_officer, w.pub)
    stale = case.version
    _record(session, w.ward_officer, case, "notice_issued", at(2027, 12, 24, 16, 0))
    with pytest.raises(StaleEdit):
        cases.record_event(
            session,
            w.ward_officer,
            XMAS_EVE,
            case.id,
            stale,
            cases.EventInput("notice_served", at(2027, 12, 24, 16, 30), served_how="other"),
            calendar=CAL,
            rulebook=BOOK,
        )


def test_a_stale_version_says_so_in_one_whole_message(session: Session, w: World) -> None:
    case = _open(session, w.ward_officer, w.pub)
    stale = case.version
    _record(session, w.ward_officer, case, "notice_issued", at(2027, 12, 24, 16, 0))
    with pytest.raises(StaleEdit) as exc:
        cases.close_case(session, w.ward_officer, XMAS_EVE, case.id, stale, "Cancelled")
    assert exc.value.message == (
        "Someone else changed this case while you were editing. Your changes have not been"
        " saved. Check their changes below, then submit again to replace them with yours."
    )


def test_a_case_closed_meanwhile_is_refused_as_closed(session: Session, w: World) -> None:
    case = _open(session, w.ward_officer, w.pub)
    opened_at = case.version
    cases.close_case(session, w.ward_officer, XMAS_EVE, case.id, opened_at, "Notice cancelled")
    # Both the form opened before the closing and one carrying the current version are told
    # the case is closed (409, so the form keeps what was typed), not that access is refused.
    for version in (opened_at, case.version):
        with pytest.raises(StaleEdit) as closing:
            cases.close_case(session, w.police_supervisor, XMAS_EVE, case.id, version, "Again")
        assert closing.value.message == cases.CLOSED_MEANWHILE
        with pytest.raises(StaleEdit) as changing:
            cases.update_case(
                session,
                w.ward_officer,
                XMAS_EVE,
                case.id,
                version,
                officer_id=w.ward_officer.user_id,
                summary="Changed after closing",
                calendar=CAL,
                rulebook=BOOK,
            )
        assert changing.value.message == cases.CLOSED_MEANWHILE
    assert "closed while you were working on it" in cases.CLOSED_MEANWHILE
    assert "have not been saved" in cases.CLOSED_MEANWHILE
    assert case.close_reason == "Notice cancelled" and case.summary != "Changed after closing"
    # Another organisation is still refused for want of access, closed or not.
    with pytest.raises(Forbidden):
        cases.close_case(session, w.licensing, XMAS_EVE, case.id, case.version, "x")


def test_only_the_owning_organisation_edits_a_case(session: Session, w: World) -> None:
    police_case = _open(session, w.ward_officer, w.pub)
    for outsider in (w.licensing, w.council_supervisor):
        with pytest.raises(Forbidden):
            _record(session, outsider, police_case, "notice_issued", at(2027, 12, 24, 16))
        with pytest.raises(Forbidden):
            cases.close_case(session, outsider, XMAS_EVE, police_case.id, police_case.version, "x")
    for reader in (w.clerk, w.analyst):
        with pytest.raises(Forbidden):
            _record(session, reader, police_case, "notice_issued", at(2027, 12, 24, 16))
    # A supervisor of the owning organisation may.
    _record(session, w.police_supervisor, police_case, "notice_issued", at(2027, 12, 24, 16))
    assert cases.get_case(session, w.police_supervisor, police_case.id, XMAS_EVE, BOOK).may_edit
    assert not cases.get_case(
        session, w.council_supervisor, police_case.id, XMAS_EVE, BOOK
    ).may_edit


# --- what the law opens next ----------------------------------------------------------------


def test_a_closure_order_on_a_licensed_premises_opens_the_s167_review(
    session: Session, w: World
) -> None:
    case = _served_closure(session, w)
    made = at(2027, 12, 27, 11, 0)
    recorded = _record(session, w.ward_officer, case, "order_made", made, now=made)
    assert len(recorded.opened) == 1
    review = recorded.opened[0]
    assert review.tool == "closure_review" and review.parent_case_id == case.id
    assert review.owner_organisation_id == w.council and review.premises_id == w.pub
    assert review.officer_id is None  # police recorded it: the licensing team's until assigned
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == review.id)).all()
    assert [(e.kind, e.occurred_at) for e in events] == [
        ("order_notice_received", made.astimezone(UTC))
    ]
    stored = _deadlines(session, review.id)
    # 28 days after the day of receipt (Monday 27 December 2027): the end of 24 January 2028.
    assert stored["la.s167.determination"].due_at == datetime(
        2028, 1, 24, 23, 59, 59, 999999, tzinfo=LONDON
    )
    review_reminders = _reminders(session, review.id)
    assert {r.rule_id for r in review_reminders} == {
        "la.s167.representations",
        "la.s167.determination",
    }
    assert all(r.team == "licensing" and r.owner_user_id is None for r in review_reminders)
    detail = cases.get_case(session, w.licensing, case.id, made, BOOK)
    assert [c.reference for c in detail.children] == [review.reference]
    assert detail.next_steps[0].case is not None
    assert cases.get_case(session, w.licensing, review.id, made, BOOK).parent is not None
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.entity_type == "enforcement_case",
                AuditEvent.entity_id == str(review.id),
                AuditEvent.action == "case.open",
            )
        )
        == 1
    )


def test_a_council_closure_order_review_stays_with_the_council_officer(
    session: Session, w: World
) -> None:
    case = _open(session, w.licensing, w.pub)
    _record(session, w.licensing, case, "notice_issued", at(2027, 12, 24, 16, 0))
    _record(
        session, w.licensing, case, "notice_served", at(2027, 12, 24, 16, 30), served_how="affixed"
    )
    made = at(2027, 12, 27, 11, 0)
    review = _record(session, w.licensing, case, "order_made", made, now=made).opened[0]
    assert review.officer_id == w.licensing.user_id
    assert all(r.owner_user_id == w.licensing.user_id for r in _reminders(session, review.id))


def test_no_review_for_a_sexual_offences_act_closure_order(session: Session, w: World) -> None:
    case = _open(session, w.ward_officer, w.pub, "soa_closure")
    _record(session, w.ward_officer, case, "notice_issued", at(2027, 12, 24, 16, 0))
    _record(
        session,
        w.ward_officer,
        case,
        "notice_served",
        at(2027, 12, 24, 16, 30),
        served_how="in_person",
    )
    made = at(2027, 12, 26, 11, 0)
    assert _record(session, w.ward_officer, case, "order_made", made, now=made).opened == []
    assert session.scalar(select(func.count()).select_from(EnforcementCase)) == 1
    # And the SOA hearing has no Christmas Day disregard: 48 real hours.
    assert _deadlines(session, case.id)["soa.s136d.hearing"].due_at == at(2027, 12, 26, 16, 30)


def test_no_review_when_the_premises_hold_no_premises_licence(session: Session, w: World) -> None:
    case = _served_closure(session, w, premises_id=w.flat)
    made = at(2027, 12, 27, 11, 0)
    assert _record(session, w.ward_officer, case, "order_made", made, now=made).opened == []
    detail = cases.get_case(session, w.licensing, case.id, made, BOOK)
    assert "no premises licence" in detail.next_steps[0].note


def test_a_revoked_licence_opens_no_review(session: Session, w: World) -> None:
    p = make_premises(session, premises_type=PremisesType.PUB_BAR)
    make_licence(session, p.id, status=LicenceStatus.REVOKED)
    case = _served_closure(session, w, premises_id=p.id)
    made = at(2027, 12, 27, 11, 0)
    assert _record(session, w.ward_officer, case, "order_made", made, now=made).opened == []


def test_an_expired_order_ends_its_extension_window(session: Session, w: World) -> None:
    case = _served_closure(session, w)
    made = at(2027, 12, 27, 11, 0)
    _record(session, w.ward_officer, case, "order_made", made, now=made)
    ended = at(2028, 2, 1, 12, 0)
    _record(session, w.ward_officer, case, "order_expired", ended, now=ended)
    window = _deadlines(session, case.id)["asbcpa.s82.extension_window"]
    assert window.due_at == ended.astimezone(UTC)
    assert window.status == "pending"  # due now, and nothing records the period ending until it has
    cases.recompute_open_deadlines(session, ended + timedelta(minutes=1), CAL, BOOK)
    assert _deadlines(session, case.id)["asbcpa.s82.extension_window"].status == "lapsed"


# --- closing, changing, recomputing ---------------------------------------------------------


def test_closing_a_case_closes_its_reminders_and_pending_deadlines(
    session: Session, w: World
) -> None:
    case = _served_closure(session, w)
    with pytest.raises(ValidationFailed) as exc:
        cases.close_case(session, w.ward_officer, XMAS_EVE, case.id, case.version, "  ")
    assert "reason" in exc.value.errors
    cases.close_case(session, w.ward_officer, XMAS_EVE, case.id, case.version, "Notice cancelled")
    assert case.status == "closed" and case.closed_at == XMAS_EVE
    assert {d.status for d in _deadlines(session, case.id).values()} == {"closed"}
    assert {r.status for r in _reminders(session, case.id)} == {"done"}
    with pytest.raises(ValidationFailed) as exc:
        _record(session, w.ward_officer, case, "notice_cancelled", XMAS_EVE)
    assert "closed" in exc.value.errors["case"]
    assert cases.recompute_open_deadlines(session, XMAS_EVE, CAL, BOOK).cases == 0


def test_a_new_officer_in_charge_takes_over_the_reminders(session: Session, w: World) -> None:
    case = _served_closure(session, w)
    # The first officer acknowledged the notice's reminder; that holds only for them.
    notice = next(r for r in _reminders(session, case.id) if r.rule_id == "asbcpa.s77.notice_24h")
    notice.acknowledged_at, notice.escalate_at = XMAS_EVE, None
    session.flush()
    police = session.get(Organisation, w.police)
    assert police is not None
    colleague = users.actor_for(make_user(session, "ward_officer", org=police))
    cases.update_case(
        session,
        w.police_supervisor,
        XMAS_EVE,
        case.id,
        case.version,
        officer_id=colleague.user_id,
        summary="Handed over",
        calendar=CAL,
        rulebook=BOOK,
    )
    assert {r.owner_user_id for r in _reminders(session, case.id)} == {colleague.user_id}
    handed = next(r for r in _reminders(session, case.id) if r.rule_id == "asbcpa.s77.notice_24h")
    # The new officer has acknowledged nothing, and the statutory reminder escalates when due.
    assert handed.acknowledged_at is None and handed.escalate_at == handed.due_at
    # A reminder someone marked done by hand stays done when the case's reminders are redone.
    hearing = next(r for r in _reminders(session, case.id) if r.rule_id == "asbcpa.s80.hearing")
    hearing.status = reminders.DONE
    session.flush()
    cases.update_case(
        session,
        w.police_supervisor,
        XMAS_EVE,
        case.id,
        case.version,
        officer_id=w.ward_officer.user_id,
        summary="Handed back",
        calendar=CAL,
        rulebook=BOOK,
    )
    assert {(r.rule_id, r.status, r.owner_user_id) for r in _reminders(session, case.id)} == {
        ("asbcpa.s77.notice_24h", "open", w.ward_officer.user_id),
        ("asbcpa.s80.hearing", "done", colleague.user_id),
    }
    with pytest.raises(ValidationFailed) as exc:
        cases.update_case(
            session,
            w.police_supervisor,
            XMAS_EVE,
            case.id,
            case.version,
            officer_id=w.licensing.user_id,
            summary="x",
            calendar=CAL,
            rulebook=BOOK,
        )
    assert "officer_id" in exc.value.errors


def test_recompute_writes_nothing_when_nothing_changed(session: Session, w: World) -> None:
    _served_closure(session, w)
    result = cases.recompute_open_deadlines(session, XMAS_EVE, CAL, BOOK)
    assert (result.inserted, result.updated, result.removed) == (0, 0, 0)
    assert result.reminders == reminders.Reconciled()


def test_recompute_derives_only_the_cases_time_has_moved_on(session: Session, w: World) -> None:
    served = _served_closure(session, w)  # first pending: the 24-hour notice, Christmas Day 16:00
    review = _open(session, w.licensing, w.pub, "premises_review")
    _record(session, w.licensing, review, "application_received", at(2027, 12, 20, 10), **EARLIER)
    boxing_day = at(2027, 12, 26, 9, 0)
    result = cases.recompute_open_deadlines(session, boxing_day, CAL, BOOK)
    assert (result.cases, result.derived, result.events) == (2, 1, 2)
    assert _deadlines(session, served.id)["asbcpa.s77.notice_24h"].status == "lapsed"
    assert cases.recompute_open_deadlines(session, boxing_day, CAL, BOOK).derived == 0
    # Whatever the incremental ticks skipped, deriving everything again changes nothing.
    for when in (at(2027, 12, 28, 9), at(2028, 1, 20, 9), at(2028, 3, 1, 9)):
        cases.recompute_open_deadlines(session, when, CAL, BOOK)
        full = cases.recompute_open_deadlines(session, when, CAL, BOOK, full=True)
        assert full.derived == 2
        assert (full.inserted, full.updated, full.removed) == (0, 0, 0)
        assert full.reminders == reminders.Reconciled()


def test_recompute_follows_a_changed_rule_book(session: Session, w: World) -> None:
    case = _served_closure(session, w)
    longer = RuleBook.from_overrides({"asbcpa.s80.hearing": {"amount": 72}})
    result = cases.recompute_open_deadlines(session, XMAS_EVE, CAL, longer)
    assert result.updated == 1
    hearing = _deadlines(session, case.id)["asbcpa.s80.hearing"]
    assert hearing.due_at == at(2027, 12, 28, 16, 30).astimezone(UTC)
    by_due = {r.due_at: r for r in _reminders(session, case.id)}
    # The task for the old time is cancelled, not done: nothing met it, the deadline moved.
    old = by_due[at(2027, 12, 27, 16, 30).astimezone(UTC)]
    assert (old.status, old.close_reason) == (
        "cancelled",
        "The deadline moved: the new time has a task of its own",
    )
    assert by_due[at(2027, 12, 28, 16, 30).astimezone(UTC)].status == "open"


def test_a_missed_deadline_that_moves_is_not_closed_as_done(session: Session, w: World) -> None:
    """Missed at its first time and still missed at its new one, with nothing recorded to meet
    it: its old task says the deadline moved, never "Done, but after the deadline"."""
    case = _served_closure(session, w)
    late = at(2027, 12, 30, 9)
    cases.recompute_open_deadlines(session, late, CAL, BOOK)
    hearing = _deadlines(session, case.id)["asbcpa.s80.hearing"]
    assert hearing.status == "missed" and hearing.met_by_event_id is None
    longer = RuleBook.from_overrides({"asbcpa.s80.hearing": {"amount": 72}})
    cases.recompute_open_deadlines(session, late, CAL, longer)
    by_due = {r.due_at: r for r in _reminders(session, case.id)}
    old = by_due[at(2027, 12, 27, 16, 30).astimezone(UTC)]
    assert old.status == "cancelled" and old.close_reason is not None
    assert old.close_reason.startswith("The deadline moved")
    assert by_due[at(2027, 12, 28, 16, 30).astimezone(UTC)].status == "open"


# --- the list and the premises timeline -----------------------------------------------------


def test_search_filters_by_deadline_owner_tool_ward_and_status(session: Session, w: World) -> None:
    served = _served_closure(session, w)  # hearing due Monday 27 December 16:30
    quiet = _open(session, w.licensing, w.flat, "prosecution")
    elsewhere = make_premises(session, name="East Bar", longitude=1.015, latitude=54.005)
    far = _open(session, w.licensing, elsewhere.id, "premises_review")
    _record(session, w.licensing, far, "application_received", at(2027, 10, 1, 9), **EARLIER)

    def refs(now: datetime = XMAS_EVE, **filters: object) -> list[str]:
        page = cases.search_cases(session, w.clerk, now, cases.CaseQuery(**filters), BOOK)  # type: ignore[arg-type]
        return [r.reference for r in page.rows]

    assert refs(due="due_7_days") == [served.reference]
    # The s52 hearing (20 working days after 29 October) is past by Christmas Eve: missed.
    assert refs(due="missed") == [far.reference]
    assert set(refs(due="missed", now=at(2027, 12, 28))) == {far.reference, served.reference}
    assert set(refs(owner=str(w.council))) == {quiet.reference, far.reference}
    assert refs(tool="prosecution") == [quiet.reference]
    assert refs(ward="E05999902") == [far.reference]
    assert refs(status="closed") == []
    # Soonest deadline first; cases with nothing due last.
    assert refs(sort="deadline")[-1] == quiet.reference
    page = cases.search_cases(session, w.clerk, XMAS_EVE, cases.CaseQuery(), BOOK)
    row = next(r for r in page.rows if r.id == served.id)
    assert row.next_deadline is not None and row.next_deadline.title.startswith("Closure notice")
    assert next(r for r in page.rows if r.id == far.id).missed == 1
    with pytest.raises(ValidationFailed):
        cases.search_cases(session, w.clerk, XMAS_EVE, cases.CaseQuery(due="soon"), BOOK)


def test_search_pages(session: Session, w: World) -> None:
    for _ in range(5):
        _open(session, w.licensing, w.flat, "prosecution")
    page = cases.search_cases(
        session, w.clerk, XMAS_EVE, cases.CaseQuery(sort="reference", page=2, page_size=2), BOOK
    )
    assert page.total == 5 and page.pages == 3
    assert [r.reference for r in page.rows] == ["EC-2027-0003", "EC-2027-0004"]


def test_premises_timeline_reads_every_part_in_two_statements_newest_first(
    session: Session, w: World, count_queries: Any
) -> None:
    case = _served_closure(session, w)
    inspection = make_inspection(
        session,
        w.pub,
        inspected_at=NOW - timedelta(days=3),
        poster_displayed=False,
        poster_visible_public=False,
        poster_visible_workers=False,
    )
    licence_ids = list(session.scalars(select(Licence.id).where(Licence.premises_id == w.pub)))
    session.commit()
    before = count_queries.count
    items = timeline.premises_timeline(session, w.clerk, w.pub, licence_ids=licence_ids)
    # One UNION ALL (changes, inspections, cases, case events, referrals); the welfare visits
    # apart, only for readers who could see any.
    welfare = policy.most_visible(w.clerk, WELFARE_VISIT) is not Visibility.NONE
    assert count_queries.count - before == 1 + welfare
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    shown = next(i for i in items if i.link == ("inspection", inspection.id))
    assert inspection.poster_shortfall == "no poster displayed"
    assert shown.title == f"{InspectionReason.label_of('routine')}: no poster displayed"
    assert shown.at == inspection.inspected_at
    assert (shown.description is not None) is inspection.follow_up_needed
    case_titles = {i.title for i in items if i.link == ("case", case.id)}
    assert f"Enforcement case {case.reference} opened: Closure notice and order (2014 Act)" in (
        case_titles
    )
    assert f"{case.reference}: Notice served" in case_titles
    # A reader without the case permission gets the other parts from the same kind of statement.
    assert not [
        i
        for i in timeline.premises_timeline(session, w.admin, w.pub, licence_ids=licence_ids)
        if i.link and i.link[0] == "case"
    ]


def test_premises_timeline_shows_cases_and_events_to_case_readers_only(
    session: Session, w: World
) -> None:
    case = _served_closure(session, w)
    items = timeline.premises_timeline(session, w.clerk, w.pub)
    case_items = [i for i in items if i.link == ("case", case.id)]
    assert {i.title for i in case_items} >= {
        f"Enforcement case {case.reference} opened: Closure notice and order (2014 Act)",
        f"{case.reference}: Notice served",
        f"{case.reference}: Notice issued",
    }
    assert not [
        i
        for i in timeline.premises_timeline(session, w.admin, w.pub)
        if i.link and i.link[0] == "case"
    ]


def test_a_case_s_free_text_refuses_identifiers_as_every_other_form_does(
    session: Session, w: World
) -> None:
    """The privacy notice says free text that looks like an identifier is refused: a case's
    summary, an event's note and a closing reason as much as a visit's notes."""
    case = _served_closure(session, w)
    said = "Spoke to a worker, born 12/03/1998, on 07700 900123"
    with pytest.raises(ValidationFailed) as exc:
        cases.update_case(
            session,
            w.ward_officer,
            XMAS_EVE,
            case.id,
            case.version,
            officer_id=case.officer_id,
            summary=said,
            calendar=CAL,
            rulebook=BOOK,
        )
    assert exc.value.errors["summary"].startswith(
        "The summary seems to contain a date of birth and a phone number. Remove them"
    )
    with pytest.raises(ValidationFailed) as exc:
        _record(session, w.ward_officer, case, "notice_cancelled", XMAS_EVE, note=said)
    assert exc.value.errors["note"].startswith("The note seems to contain a date of birth")
    with pytest.raises(ValidationFailed) as exc:
        cases.close_case(session, w.ward_officer, XMAS_EVE, case.id, case.version, said)
    assert exc.value.errors["reason"].startswith("The reason seems to contain a date of birth")
    assert case.status == "open" and case.summary != said
