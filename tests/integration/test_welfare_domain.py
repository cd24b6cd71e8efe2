"""Welfare visits in the domain: who may log them, what is stored, follow-ups, release, scoping."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from builders import EAST, NOW, SYSTEM, WEST, make_user
from builders.welfare import (
    VISITED_AT,
    World,
    make_world,
    referral_input,
    train,
    visit_input,
    visit_record,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement import policy, timeline
from enforcement.accounts import users
from enforcement.clock import end_of_london_day
from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.models import AuditEvent, Premises, ReferralRecord, Reminder
from enforcement.models.welfare import WelfareVisit
from enforcement.policy import Visibility
from enforcement.register import premises
from enforcement.reminders import reminders
from enforcement.reminders.vocab import ReminderKind
from enforcement.safeguarding import records
from enforcement.welfare import reports as welfare_reports
from enforcement.welfare import visits as welfare


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def test_a_trained_ward_officer_logs_a_visit_with_counts_and_indicators(
    session: Session, world: World
) -> None:
    visit = world.log(session)
    assert visit.ward_code == WEST.code and visit.people_present == 2
    assert visit.guidance_met and visit.support_info_left and visit.interpreter_language == "th"
    d = welfare.open_visit(session, world.actors["ward_officer"], NOW, visit.id)
    assert isinstance(d, welfare.VisitDetail)
    assert {i.code for i in d.indicators} == {"fear_of_authorities", "sleeps_on_premises"}
    assert [(r.record.route, r.record.age_group) for r in d.referrals] == [
        ("nrm", "adult"),
        ("specialist_charity", "not_known"),
        ("specialist_charity", "not_known"),
    ]
    assert d.may_add_referral
    assert d.support_languages == ["English", "Thai"] and d.interpreter_language == "Thai"
    assert d.officers == ["Test User"] and all(met for _g, met in d.guidance)
    created = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "welfare_visit.create")
    ).one()
    # The audit trail (read by administrators) says a visit was logged, never what it says.
    assert created.summary == "Logged a welfare visit" and created.after_json is None


def test_an_officer_who_is_not_trained_is_told_why(session: Session, world: World) -> None:
    untrained = users.actor_for(make_user(session, "ward_officer", wards_=frozenset({WEST.code})))
    assert welfare.logging_refusal(session, untrained) == welfare.NOT_TRAINED
    with pytest.raises(Forbidden, match="Operation Moontwist training"):
        welfare.log_welfare_visit(session, untrained, NOW, visit_input(world.west_premises.id))
    supervisor = world.actors["supervisor"]
    train(session, world.users["supervisor"])
    with pytest.raises(Forbidden):
        welfare.log_welfare_visit(session, supervisor, NOW, visit_input(world.west_premises.id))
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0


def test_only_premises_in_a_covered_ward(session: Session, world: World) -> None:
    with pytest.raises(Forbidden, match="wards you cover"):
        welfare.log_welfare_visit(
            session, world.actors["ward_officer"], NOW, visit_input(world.east_premises.id)
        )
    assert not welfare.may_log_at(session, world.actors["ward_officer"], EAST.code)
    assert welfare.may_log_at(session, world.actors["ward_officer"], WEST.code)


def test_a_new_location_adds_a_premises_with_its_ward_from_the_point(
    session: Session, world: World
) -> None:
    officer = world.actors["ward_officer"]
    loc = welfare.NewLocation(
        "Walk-up flat above the shop", "12 West Street", "w6 0rx", 1.004, 54.004
    )
    visit, created = welfare.log_welfare_visit(
        session,
        officer,
        NOW,
        visit_input(None, new_location=loc, property_described="walk_up_flat"),
    )
    added = session.get(Premises, visit.premises_id)
    assert created and added is not None and added.premises_type == "walk_up_flat"
    assert added.postcode == "W6 0RX" and visit.ward_code == WEST.code
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "premises.create", AuditEvent.entity_id == str(added.id)
        )
    ).one()
    assert event.actor_id == officer.user_id  # added on the officer's behalf, in their name
    # Ward officers cannot add premises any other way.
    with pytest.raises(Forbidden):
        premises.create_premises(
            session, officer, NOW, premises.PremisesInput("X", "1 Road", "other")
        )


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ((1.015, 54.005), "Eastward ward, which you do not cover"),
        ((1.5, 54.5), "outside every ward"),
    ],
)
def test_a_new_location_outside_the_officers_wards_is_refused(
    session: Session, world: World, point: tuple[float, float], message: str
) -> None:
    before = session.scalar(select(func.count()).select_from(Premises))
    loc = welfare.NewLocation("First-floor flat", "1 Somewhere Road", None, *point)
    with pytest.raises(ValidationFailed) as err:
        welfare.log_welfare_visit(
            session, world.actors["ward_officer"], NOW, visit_input(None, new_location=loc)
        )
    assert message in err.value.errors["latitude"]
    assert session.scalar(select(func.count()).select_from(Premises)) == before


def test_identifiers_in_free_text_are_refused_field_by_field(
    session: Session, world: World
) -> None:
    bad = visit_input(
        world.west_premises.id,
        feedback="Call her on 07700 900123",
        other_indicators="Manager gave his email, boss@example.com",
        property_described="other",
        property_other="Flat of the woman born 12/03/1990",
    )
    with pytest.raises(ValidationFailed) as err:
        welfare.log_welfare_visit(session, world.actors["ward_officer"], NOW, bad)
    assert err.value.errors["feedback"].startswith("Feedback seems to contain a phone number.")
    assert "an email address" in err.value.errors["other_indicators"]
    assert "a date of birth" in err.value.errors["property_other"]
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0


@pytest.mark.parametrize(
    ("field", "typed", "kind"),
    [
        ("other_officers", "PC 123; DOB 12/03/1990", "a date of birth"),
        ("other_officers", "Outreach worker 07700 900123", "a phone number"),
        ("other_officers", "maria@example.com", "an email address"),
        ("crime_reference", "07700 900123", "a phone number"),
        ("crime_reference", "DOB 12/03/1990", "a date of birth"),
    ],
)
def test_the_officers_present_and_the_crime_reference_hold_no_identifiers(
    session: Session, world: World, field: str, typed: str, kind: str
) -> None:
    """The reference's own shape (letters, digits, slashes) lets a phone number or a date of
    birth through, and the officers present are free text: both are checked like the rest."""
    with pytest.raises(ValidationFailed) as err:
        welfare.log_welfare_visit(
            session,
            world.actors["ward_officer"],
            NOW,
            visit_input(world.west_premises.id, **{field: typed}),
        )
    assert set(err.value.errors) == {field} and kind in err.value.errors[field]
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0
    # A real reference, and officers named by their shoulder numbers, are kept.
    kept, created = welfare.log_welfare_visit(
        session,
        world.actors["ward_officer"],
        NOW,
        visit_input(
            world.west_premises.id,
            crime_reference="CAD 1234/02MAR26",
            other_officers="PC 123, PC 456 and an outreach worker",
        ),
    )
    assert created and kept.crime_reference == "CAD 1234/02MAR26"


def test_every_rule_is_checked_at_once(session: Session, world: World) -> None:
    bad = visit_input(
        world.west_premises.id,
        visited_at=NOW - timedelta(days=2),
        trigger="raid",
        people_present=-1,
        interpreter_language=None,
        support_languages=frozenset(),
        referrals=(referral_input(),),
        no_referrals=True,
        crime_reference="<script>",
        follow_up_days=0,
        no_identifiers_confirmed=False,
        indicators=frozenset({"made_up"}),
    )
    with pytest.raises(ValidationFailed) as err:
        welfare.log_welfare_visit(session, world.actors["ward_officer"], NOW, bad)
    assert set(err.value.errors) == {
        "trigger",
        "people_present",
        "interpreter_language",
        "support_languages",
        "no_referrals",
        "crime_reference",
        "follow_up_days",
        "no_identifiers_confirmed",
        "indicators",
        "guidance",  # "recorded on the day" ticked for a visit two days ago
    }


def test_referrals_given_with_a_visit_become_anonymous_records(
    session: Session, world: World
) -> None:
    visit = world.log(session)  # an adult's NRM referral and two to a specialist charity
    rows = session.scalars(
        select(ReferralRecord).order_by(ReferralRecord.route, ReferralRecord.id)
    ).all()
    assert [(r.route, r.welfare_visit_id, r.ward_code) for r in rows] == [
        ("nrm", visit.id, WEST.code),
        ("specialist_charity", visit.id, WEST.code),
        ("specialist_charity", visit.id, WEST.code),
    ]
    assert rows[0].age_group == "adult" and rows[0].consent_given is True


def test_a_referral_given_with_a_visit_is_checked_and_nothing_is_kept(
    session: Session, world: World
) -> None:
    with pytest.raises(ValidationFailed) as err:
        world.log(session, referrals=(referral_input(route="nrm", consent_given=False),))
    assert err.value.errors["referrals"].startswith("Referral 1: An adult enters the NRM only")
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0
    assert session.scalar(select(func.count()).select_from(ReferralRecord)) == 0


def test_a_visit_may_declare_no_referrals_or_leave_them_to_be_recorded_next(
    session: Session, world: World
) -> None:
    world.log(
        session,
        referrals=(),
        no_referrals=True,
        record=visit_record(outcomes=frozenset({"no_further_action"})),
    )
    world.log(session, referrals=())  # referrals made, each to be recorded on its own page
    assert session.scalar(select(func.count()).select_from(ReferralRecord)) == 0


def refusal(session: Session, world: World, **overrides: object) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as refused:
        world.log(session, **overrides)
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0
    return refused.value.errors


@pytest.mark.parametrize("outcome", ["nrm_referral", "duty_to_notify", "safeguarding_referral"])
def test_an_outcome_that_is_a_referral_needs_the_answer_that_referrals_were_made(
    session: Session, world: World, outcome: str
) -> None:
    """Otherwise the referral the outcome names is never recorded, and never counted."""
    errors = refusal(
        session,
        world,
        indicators=frozenset(),
        referrals=(),
        no_referrals=True,
        record=visit_record(outcomes=frozenset({outcome})),
    )
    assert errors["no_referrals"].startswith("You selected the outcome '")
    assert errors["no_referrals"].endswith(
        "', but answered that no referrals were made: change one of them"
    )


def test_referrals_made_and_no_further_action_contradict_each_other(
    session: Session, world: World
) -> None:
    errors = refusal(session, world, record=visit_record(outcomes=frozenset({"no_further_action"})))
    assert errors == {
        "no_referrals": "You answered that the visit led to referrals, but selected 'No further "
        "action' as its outcome: change one of them"
    }


def test_someone_appearing_under_18_is_always_referred_on_the_child_route(
    session: Session, world: World
) -> None:
    child = frozenset({"appears_under_18"})
    errors = refusal(
        session,
        world,
        indicators=child,
        referrals=(),
        no_referrals=True,
        record=visit_record(outcomes=frozenset({"no_further_action"})),
    )
    assert errors == {
        "no_referrals": "Someone appeared to be under 18, and a child is always referred (to the "
        "NRM, or to children's social services): answer that referrals were made, and record "
        "each one"
    }
    errors = refusal(
        session,
        world,
        indicators=child,
        record=visit_record(outcomes=frozenset({"duty_to_notify"})),
    )
    assert errors == {
        "outcomes": "Someone appeared to be under 18, and a child is always referred (to the "
        "NRM, or to children's social services): select the referral into the NRM or the "
        "safeguarding referral as an outcome"
    }
    for outcome in ("nrm_referral", "safeguarding_referral"):
        world.log(session, indicators=child, record=visit_record(outcomes=frozenset({outcome})))


def test_a_referral_cannot_be_dated_before_the_visit_it_came_from(
    session: Session, world: World
) -> None:
    """It would be counted in an earlier quarter than the visit that led to it."""
    day_before = (VISITED_AT - timedelta(days=1)).date()
    errors = refusal(session, world, referrals=(referral_input(submitted_on=day_before),))
    assert errors == {
        "referrals": "Referral 1: The date of the referral cannot be before the visit, on "
        "Monday 2 March 2026"
    }
    visit = world.log(session)
    source = records.Source(records.VISIT, visit.id)
    with pytest.raises(ValidationFailed) as refused:
        records.record_referral(
            session,
            world.actors["ward_officer"],
            NOW,
            source,
            referral_input(submitted_on=day_before),
        )
    assert refused.value.errors == {
        "submitted_on": "The date of the referral cannot be before the visit, on Monday 2 March "
        "2026"
    }
    records.record_referral(
        session,
        world.actors["ward_officer"],
        NOW,
        source,
        referral_input(submitted_on=VISITED_AT.date()),
    )


def test_indicators_schedule_a_generic_follow_up_for_the_officer_and_the_ward(
    session: Session, world: World
) -> None:
    visit = world.log(session, follow_up_days=10)
    r = session.scalars(select(Reminder)).one()
    assert r.kind == ReminderKind.FOLLOW_UP_VISIT and r.subject_id == visit.id
    assert r.title == "Follow-up visit due"  # nothing about the premises or what was seen
    assert r.owner_user_id == world.users["ward_officer"].id and r.team == f"ward:{WEST.code}"
    # 10 days starting the day after the visit (2 March): by the end of 12 March, London time.
    assert r.due_at == end_of_london_day(date(2026, 3, 12)) == visit.follow_up_due_at
    assert [t.id for t in reminders.open_for(session, world.actors["ward_officer"])] == [r.id]
    assert reminders.open_for(session, world.actors["ward_officer_elsewhere"]) == []
    # The next visit to the premises meets the follow-up.
    world.log(session, indicators=frozenset(), return_requested=False)
    assert session.scalar(select(Reminder.status).where(Reminder.id == r.id)) == "done"
    assert session.scalar(select(func.count()).select_from(Reminder)) == 1


def test_a_return_asked_for_schedules_a_follow_up_without_indicators(
    session: Session, world: World
) -> None:
    visit = world.log(session, indicators=frozenset(), return_requested=True)
    assert visit.follow_up_due_at == end_of_london_day(date(2026, 3, 16))
    quiet = world.log(session, indicators=frozenset(), return_requested=False)
    assert quiet.follow_up_due_at is None


def test_the_same_form_sent_twice_logs_one_visit(session: Session, world: World) -> None:
    data = visit_input(world.west_premises.id, idempotency_key="same")
    first, c1 = welfare.log_welfare_visit(session, world.actors["ward_officer"], NOW, data)
    second, c2 = welfare.log_welfare_visit(session, world.actors["ward_officer"], NOW, data)
    assert c1 and not c2 and first.id == second.id
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 1


def test_a_supervisor_releases_a_visit_with_a_reason_and_it_is_audited(
    session: Session, world: World
) -> None:
    visit = world.log(session)
    assert (
        session.scalars(
            select(WelfareVisit.id).where(policy.released_clause("welfare_visit"))
        ).all()
        == []
    )
    with pytest.raises(Forbidden):
        welfare.release_visit(
            session, world.actors["intel_analyst"], NOW, visit.id, "Needed for the review"
        )
    with pytest.raises(ValidationFailed) as err:
        welfare.release_visit(session, world.actors["supervisor"], NOW, visit.id, "  ")
    assert "Explain why" in err.value.errors["reason"]
    with pytest.raises(NotFound):
        welfare.release_visit(
            session, world.actors["supervisor"], NOW, 999_999, "A good reason here"
        )
    welfare.release_visit(
        session, world.actors["supervisor"], NOW, visit.id, "The premises licence review needs it"
    )
    assert visit.released and visit.released_by_id == world.users["supervisor"].id
    assert policy.may_use_as_evidence(visit)
    assert session.scalars(
        select(WelfareVisit.id).where(policy.released_clause("welfare_visit"))
    ).all() == [visit.id]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "welfare_visit.release")
    ).one()
    assert "The premises licence review needs it" in (event.after_json or "")
    with pytest.raises(ValidationFailed, match="already been released"):
        welfare.release_visit(
            session, world.actors["supervisor"], NOW, visit.id, "Once more, please"
        )


# --- Role by role, through the domain functions ----------------------------------------------

CONTENT, EXISTENCE, NONE = Visibility.CONTENT, Visibility.EXISTENCE, Visibility.NONE
# who: (what they see of a visit in the West ward, may they list visits)
EXPECTED: dict[str, tuple[Visibility, bool]] = {
    "ward_officer": (CONTENT, True),
    "ward_officer_elsewhere": (EXISTENCE, True),
    "supervisor": (CONTENT, True),
    "intel_analyst": (CONTENT, True),
    "licensing_officer": (EXISTENCE, False),
    "committee_clerk": (EXISTENCE, False),
    "partner": (NONE, False),
    "admin": (NONE, False),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_exactly_its_share_through_the_domain(
    session: Session, world: World, who: str
) -> None:
    visit = world.log(session, feedback="Asked for a return visit next week")
    level, lists = EXPECTED[who]
    someone = world.actors[who]
    views_before = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "welfare_visit.view")
    )

    # The policy itself, and the query clause agreeing with it at each level.
    assert policy.visibility(someone, visit) is level
    for at_least in (EXISTENCE, CONTENT):
        found = session.scalars(
            policy.scoped_visits(someone, at_least).with_only_columns(WelfareVisit.id)
        ).all()
        assert found == ([visit.id] if level >= at_least else [])

    # Opening the visit.
    if who == "partner":
        with pytest.raises(Forbidden):  # partners do not even see the register
            welfare.open_visit(session, someone, NOW, visit.id)
    elif level is NONE:
        with pytest.raises(NotFound):
            welfare.open_visit(session, someone, NOW, visit.id)
    else:
        seen = welfare.open_visit(session, someone, NOW, visit.id)
        if level is CONTENT:
            assert isinstance(seen, welfare.VisitDetail) and seen.visit.feedback
        else:
            assert seen == welfare.VisitExistence(
                visit.id, world.west_premises.id, world.west_premises.name, date(2026, 3, 2)
            )
    views = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "welfare_visit.view")
    )
    assert views == views_before + (1 if level is CONTENT else 0)

    # The list and the adherence view.
    if lists:
        page = welfare_reports.search_visits(session, someone, NOW, welfare_reports.VisitQuery())
        assert [r.id for r in page.rows] == ([visit.id] if level is CONTENT else [])
        report = welfare_reports.adherence_report(session, someone)
        assert report.overall.total.visits == (1 if level is CONTENT else 0)
    else:
        with pytest.raises(Forbidden):
            welfare_reports.search_visits(session, someone, NOW, welfare_reports.VisitQuery())
        with pytest.raises(Forbidden):
            welfare_reports.adherence_report(session, someone)

    # The premises timeline.
    if who == "partner":
        with pytest.raises(Forbidden):
            timeline.premises_timeline(session, someone, world.west_premises.id)
        return
    items = [
        i
        for i in timeline.premises_timeline(session, someone, world.west_premises.id)
        if i.title.startswith("Welfare visit")
    ]
    if level is CONTENT:
        assert [(i.title, i.link, i.date_only) for i in items] == [
            ("Welfare visit (Operation Moontwist)", ("welfare_visit", visit.id), False)
        ]
    elif level is EXISTENCE:
        assert [(i.title, i.link, i.by, i.date_only) for i in items] == [
            ("Welfare visit", None, "", True)
        ]
        assert items[0].at.date() == date(2026, 3, 2) and items[0].at.hour == 0
    else:
        assert items == []


def test_lists_filter_by_ward_dates_indicators_and_follow_ups(
    session: Session, world: World
) -> None:
    officer = world.users["ward_officer"]
    both = users.actor_for(officer)
    # Give the officer both wards for this test, so one list can hold both.
    officer_both = both.__class__(
        **{**both.__dict__, "ward_codes": frozenset({WEST.code, EAST.code})}
    )
    with_indicators = world.log(session)
    quiet = world.log(session, indicators=frozenset(), visited_at=NOW - timedelta(hours=1))
    east, _ = welfare.log_welfare_visit(
        session,
        officer_both,
        NOW,
        visit_input(
            world.east_premises.id,
            indicators=frozenset({"many_phones"}),
            visited_at=NOW - timedelta(days=20),
            guidance=frozenset({"introduced"}),
        ),
    )
    supervisor = world.actors["supervisor"]

    def ids(**q: object) -> list[int]:
        query = welfare_reports.VisitQuery(**q)  # type: ignore[arg-type]
        return [r.id for r in welfare_reports.search_visits(session, supervisor, NOW, query).rows]

    assert ids() == [quiet.id, with_indicators.id, east.id]
    assert ids(ward=EAST.code) == [east.id]
    assert ids(date_from=date(2026, 3, 1), date_to=date(2026, 3, 2)) == [
        quiet.id,
        with_indicators.id,
    ]
    assert ids(indicator="any") == [with_indicators.id, east.id]
    assert ids(indicator="many_phones") == [east.id]
    # The quiet visit met the follow-up of the first one; the East one is 6 days overdue.
    assert ids(follow_up="open") == [east.id]
    assert ids(follow_up="overdue") == [east.id]
    page = welfare_reports.search_visits(
        session, supervisor, NOW, welfare_reports.VisitQuery(page=2, page_size=2)
    )
    assert [r.id for r in page.rows] == [east.id] and page.total == 3 and page.pages == 2
    assert page.rows[0].follow_up_due_at == east.follow_up_due_at
    with pytest.raises(ValidationFailed):
        welfare_reports.search_visits(
            session, supervisor, NOW, welfare_reports.VisitQuery(indicator="nonsense")
        )

    report = welfare_reports.adherence_report(session, supervisor)
    assert report.quarters == [(2026, 1)]
    by_ward = {w.code: w for w in report.wards}
    assert by_ward[WEST.code].total.visits == 2 and by_ward[WEST.code].total.met == 2
    assert by_ward[EAST.code].total.share == 0.0
    assert report.overall.total.visits == 3 and report.overall.total.met == 2
    assert dict((g.value, t.met) for g, t in report.items)["introduced"] == 3
    assert welfare_reports.quarter_label((2026, 1)) == "January to March 2026"


def test_the_system_actor_sees_everything_and_logs_nothing(session: Session, world: World) -> None:
    visit = world.log(session)
    assert policy.visibility(SYSTEM, visit) is CONTENT
    assert welfare.logging_refusal(session, SYSTEM) == welfare.NOT_A_WARD_OFFICER
