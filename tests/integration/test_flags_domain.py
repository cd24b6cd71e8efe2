"""Intelligence flags in the domain: recording, grading, need-to-know reading, reviews, links."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import builders
import pytest
from builders import EAST, IN_EAST, NOW, WEST, make_orgs, make_people, make_premises, make_wards
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit_chain, policy
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import end_of_london_day, to_london
from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.intelligence import flags
from enforcement.models import AuditEvent, IntelFlag, Organisation, Premises, Reminder
from enforcement.policy import Visibility
from enforcement.register import premises
from enforcement.reminders import reminders

REPORT = "Workers seen arriving by minibus at 6am and leaving after midnight."


@dataclass
class World:
    actors: dict[str, Actor]
    west: Premises
    east: Premises
    police_org_id: int


ROLES = {
    # name: (roles, organisation kind, wards)
    "analyst": (("intel_analyst",), "police", frozenset()),
    "council_analyst": (("intel_analyst",), "council", frozenset()),
    "supervisor": (("supervisor",), "council", frozenset()),
    "licensing": (("licensing_officer",), "council", frozenset()),
    "ward_west": (("ward_officer",), "police", frozenset({WEST.code})),
    "ward_east": (("ward_officer",), "police", frozenset({EAST.code})),
    "clerk": (("committee_clerk",), "council", frozenset()),
    "partner": (("partner",), "charity", frozenset()),
    "other_partner": (("partner",), "charity", frozenset()),
    "admin": (("admin",), "council", frozenset()),
}


@pytest.fixture
def world(session: Session) -> World:
    make_wards(session)
    orgs = make_orgs(session)
    actors = {who: users.actor_for(u) for who, u in make_people(session, ROLES, orgs).items()}
    west = make_premises(session, name="West Nails")
    east = make_premises(session, name="East Wash", longitude=IN_EAST[0], latitude=IN_EAST[1])
    return World(actors, west, east, orgs["police"].id)


def flag_input(premises_id: int | None, **overrides: object) -> flags.FlagInput:
    data: dict[str, object] = {"exploitation": frozenset({"forced_labour", "sexual"})}
    data["report_text"] = REPORT
    return builders.flag_input(premises_id, **(data | overrides))


def police_only(world: World) -> flags.GradeInput:
    return flags.GradeInput(
        "3x5x2",
        "B",
        "2",
        "C",
        "Share with police only: an operation is planned.",
        frozenset({world.police_org_id}),
    )


def test_a_partner_submits_without_grading_and_an_analyst_grades(
    session: Session, world: World
) -> None:
    partner, analyst = world.actors["partner"], world.actors["analyst"]
    with pytest.raises(ValidationFailed) as refused:
        flags.raise_flag(session, partner, NOW, flag_input(world.west.id, grade=police_only(world)))
    assert "without grading" in refused.value.errors["grade_scheme"]
    flag = flags.raise_flag(session, partner, NOW, flag_input(world.west.id))
    assert flag.grade_scheme is None and flag.status == "open" and flag.ward_code == WEST.code
    later = NOW + timedelta(hours=3)
    flags.grade_flag(session, analyst, later, flag.id, flag.version, police_only(world))
    detail = flags.open_flag(session, analyst, later, flag.id)
    assert detail.graded_by == "Test User" and detail.flag.graded_at == later
    assert flags.grade_text(detail.flag) == "B2C" and detail.flag.grade_scheme == "3x5x2"
    assert detail.flag.conditional and detail.audience_orgs == ["Police (test)"]
    assert detail.flag.status == "under_assessment"
    assert not detail.disclosable and not flags.disclosable_in_public_paper(detail.flag)


def test_police_and_analysts_grade_as_they_record(session: Session, world: World) -> None:
    grade = flags.GradeInput("3x5x2", "A", "1", "P")
    flag = flags.raise_flag(
        session, world.actors["ward_west"], NOW, flag_input(world.west.id, grade=grade)
    )
    assert flags.grade_text(flag) == "A1P" and not flag.conditional
    assert policy.disclosable_in_public_paper(flag)
    with pytest.raises(ValidationFailed):  # a council licensing officer does not grade on entry
        flags.raise_flag(
            session, world.actors["licensing"], NOW, flag_input(world.west.id, grade=grade)
        )


def test_older_5x5x5_grades_keep_their_scheme(session: Session, world: World) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    old = flags.GradeInput(
        "5x5x5",
        "E",
        "4",
        "5",
        "Refer to the originator.",
        frozenset(),
        frozenset({"intel_analyst"}),
    )
    flags.grade_flag(session, world.actors["analyst"], NOW, flag.id, None, old)
    assert flag.grade_scheme == "5x5x5" and flag.conditional
    assert not policy.disclosable_in_public_paper(flag)
    with pytest.raises(ValidationFailed) as bad:
        flags.grade_flag(
            session,
            world.actors["analyst"],
            NOW,
            flag.id,
            None,
            flags.GradeInput("3x5x2", "E", "1", "P"),
        )
    assert "source_grade" in bad.value.errors


def test_handling_c_needs_conditions_and_an_audience(session: Session, world: World) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    with pytest.raises(ValidationFailed) as bad:
        flags.grade_flag(
            session,
            world.actors["analyst"],
            NOW,
            flag.id,
            None,
            flags.GradeInput("3x5x2", "B", "2", "C"),
        )
    assert {"handling_conditions", "audience_org_ids"} <= set(bad.value.errors)


def test_a_flag_about_a_location_not_in_the_register_is_linked_later(
    session: Session, world: World
) -> None:
    flag = flags.raise_flag(
        session,
        world.actors["ward_west"],
        NOW,
        flag_input(
            None, location_text="Flat 2, 14 Nowhere Road", longitude=IN_EAST[0], latitude=IN_EAST[1]
        ),
    )
    assert flag.premises_id is None and flag.ward_code == EAST.code
    with pytest.raises(ValidationFailed):
        flags.raise_flag(session, world.actors["partner"], NOW, flag_input(None))
    flags.link_to_premises(session, world.actors["analyst"], NOW, flag.id, world.west.id)
    assert flag.premises_id == world.west.id and flag.ward_code == WEST.code


def test_intelligence_received_today_is_accepted_before_noon_and_tomorrow_is_not(
    session: Session, world: World
) -> None:
    # The form gives a day as its noon; recorded at 08:00 that noon is still to come.
    morning = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    noon = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    partner = world.actors["partner"]
    flag = flags.raise_flag(session, partner, morning, flag_input(world.west.id, reported_at=noon))
    assert flag.reported_at == morning  # never a time after it was recorded
    with pytest.raises(ValidationFailed) as refused:
        flags.raise_flag(
            session,
            partner,
            morning,
            flag_input(world.west.id, reported_at=noon + timedelta(days=1)),
        )
    assert "in the past" in refused.value.errors["reported_at"]


def test_identifying_text_is_refused(session: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as bad:
        flags.raise_flag(
            session,
            world.actors["partner"],
            NOW,
            flag_input(world.west.id, report_text="She was born 03/04/2001, phone 07700 900123."),
        )
    assert "report_text" in bad.value.errors


# Who sees what of a flag in the West ward, raised by the partner: (ungraded, graded C police only).
MATRIX = {
    "analyst": (Visibility.CONTENT, Visibility.CONTENT),
    "council_analyst": (Visibility.CONTENT, Visibility.EXISTENCE),
    "supervisor": (Visibility.CONTENT, Visibility.EXISTENCE),
    "licensing": (Visibility.CONTENT, Visibility.EXISTENCE),
    "ward_west": (Visibility.CONTENT, Visibility.CONTENT),
    "ward_east": (Visibility.EXISTENCE, Visibility.EXISTENCE),
    "clerk": (Visibility.EXISTENCE, Visibility.EXISTENCE),
    # The author: no further than the conditions grant (docs/access-and-audit.md).
    "partner": (Visibility.CONTENT, Visibility.EXISTENCE),
    "other_partner": (Visibility.NONE, Visibility.NONE),
    "admin": (Visibility.NONE, Visibility.NONE),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_each_role_sees_exactly_what_the_policy_says(
    session: Session, world: World, who: str
) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    someone = world.actors[who]
    for expected, graded in zip(MATRIX[who], (False, True), strict=True):
        if graded:
            flags.grade_flag(
                session, world.actors["analyst"], NOW, flag.id, None, police_only(world)
            )
        session.expire_all()
        loaded = session.scalar(
            select(IntelFlag)
            .where(IntelFlag.id == flag.id)
            .options(
                selectinload(IntelFlag.audience_org_rows),
                selectinload(IntelFlag.audience_role_rows),
            )
        )
        assert policy.visibility(someone, loaded) is expected
        # The SQL clause agrees with the Python rule, at both levels.
        for level in (Visibility.EXISTENCE, Visibility.CONTENT):
            selected = session.scalar(
                select(func.count())
                .select_from(IntelFlag)
                .where(IntelFlag.id == flag.id, policy.visible_flags_clause(someone, level))
            )
            assert selected == (1 if expected >= level else 0), (who, graded, level)
        events = (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.entity_type == "intel_flag",
                    AuditEvent.action.in_(["intel_flag.view", "intel_flag.refused"]),
                    AuditEvent.actor_id == someone.user_id,
                )
            )
            or 0
        )
        if expected is Visibility.CONTENT:
            assert flags.open_flag(session, someone, NOW, flag.id).flag.report_text == REPORT
            action = "intel_flag.view"
        else:
            error = NotFound if expected is Visibility.NONE else Forbidden
            with pytest.raises(error):
                flags.open_flag(session, someone, NOW, flag.id)
            action = "intel_flag.refused"
        last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.actor_id == someone.user_id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert last is not None and last.action == action and REPORT not in last.summary
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.entity_type == "intel_flag",
                    AuditEvent.action.in_(["intel_flag.view", "intel_flag.refused"]),
                    AuditEvent.actor_id == someone.user_id,
                )
            )
            or 0
        ) == events + 1
        listed = (
            flags.search_flags(session, someone, NOW, flags.FlagQuery()).rows
            if who not in {"clerk", "admin"}
            else []
        )
        assert [r.id for r in listed] == ([flag.id] if expected is Visibility.CONTENT else [])
        counts = flags.open_flag_counts(session, someone, [world.west.id])
        known = counts.get(world.west.id)
        if expected is Visibility.NONE:
            assert known is None
        else:
            assert known is not None and known.known == 1
            assert known.readable == (1 if expected is Visibility.CONTENT else 0)


def council_only(session: Session) -> flags.GradeInput:
    council = session.scalars(select(Organisation).where(Organisation.kind == "council")).one()
    return flags.GradeInput(
        "3x5x2", "A", "2", "C", "Share with the council only.", frozenset({council.id})
    )


def test_an_analyst_does_not_read_a_c_flag_they_recorded_once_its_conditions_leave_them_out(
    session: Session, world: World
) -> None:
    analyst = world.actors["analyst"]  # police
    flag = flags.raise_flag(
        session, analyst, NOW, flag_input(world.west.id, grade=council_only(session))
    )
    session.expire_all()
    with pytest.raises(Forbidden):
        flags.open_flag(session, analyst, NOW, flag.id)
    refused = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert refused is not None and refused.action == "intel_flag.refused"
    assert refused.actor_id == analyst.user_id
    assert flags.search_flags(session, analyst, NOW, flags.FlagQuery()).rows == []
    # The council's analyst, whom the conditions name, reads it.
    seen = flags.open_flag(session, world.actors["council_analyst"], NOW, flag.id)
    assert seen.flag.report_text == REPORT


def test_exports_hold_only_what_the_actor_may_read_and_are_audited(
    session: Session, world: World
) -> None:
    mine = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    restricted = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.east.id))
    flags.grade_flag(session, world.actors["analyst"], NOW, restricted.id, None, police_only(world))
    rows = flags.export_flags(session, world.actors["supervisor"], NOW, flags.FlagQuery())
    assert [r[0] for r in rows[1:]] == [str(mine.id)] and rows[1][-1] == REPORT
    # The London day it was received: the form takes a day, so no time of day is made up.
    received = to_london(mine.reported_at)
    assert rows[0][1] == "Received" and rows[1][1] == f"{received:%d/%m/%Y}"
    rows = flags.export_flags(session, world.actors["analyst"], NOW, flags.FlagQuery())
    assert sorted(r[0] for r in rows[1:]) == sorted([str(mine.id), str(restricted.id)])
    exports = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "intel_flag.export")
    ).all()
    assert len(exports) == 2 and all(REPORT not in (e.after_json or "") for e in exports)
    with pytest.raises(Forbidden):
        flags.export_flags(session, world.actors["licensing"], NOW, flags.FlagQuery())
    assert (
        session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first().action
        == "intel_flag.refused"
    )  # type: ignore[union-attr]


def test_review_dates_follow_grade_and_status_and_become_reminders(
    session: Session, world: World
) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    # Raised on 2 March 2026: reviewed by the end of the 14th day after (16 March).
    assert flag.review_due_at == end_of_london_day(date(2026, 3, 16))
    flags.grade_flag(
        session,
        world.actors["analyst"],
        NOW,
        flag.id,
        None,
        flags.GradeInput("3x5x2", "C", "4", "P"),
    )
    assert flag.review_due_at == end_of_london_day(date(2026, 4, 1))  # under assessment, weak
    flags.set_status(session, world.actors["supervisor"], NOW, flag.id, None, "actioned")
    assert flag.review_due_at == end_of_london_day(date(2026, 8, 29))  # actioned: 180 days
    open_reminders = session.scalars(
        select(Reminder).where(
            Reminder.subject_type == "intel_flag", Reminder.status == reminders.OPEN
        )
    ).all()
    assert [(r.kind, r.due_at, r.title) for r in open_reminders] == [
        ("flag_review", end_of_london_day(date(2026, 8, 29)), flags.REVIEW_TITLE)
    ]
    # The analysts' team owes it: it is on every analyst's task list.
    owed = reminders.open_for(session, world.actors["analyst"])
    assert [r.subject_id for r in owed if r.kind == "flag_review"] == [flag.id]
    assert not [
        r for r in reminders.open_for(session, world.actors["licensing"]) if r.kind == "flag_review"
    ]
    flags.set_status(session, world.actors["supervisor"], NOW, flag.id, None, "closed")
    assert flag.review_due_at is None
    assert not session.scalars(
        select(Reminder).where(
            Reminder.subject_type == "intel_flag", Reminder.status == reminders.OPEN
        )
    ).all()
    with pytest.raises(ValueError):
        flags.ReviewRules(days={"open": {"ungraded": 400}})


def test_a_flag_past_its_review_date_is_marked_in_lists(session: Session, world: World) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    later = NOW + timedelta(days=15)
    rows = flags.search_flags(
        session, world.actors["analyst"], later, flags.FlagQuery(review_overdue=True)
    ).rows
    assert [r.id for r in rows] == [flag.id] and rows[0].review_overdue(later)
    assert not flags.search_flags(
        session, world.actors["analyst"], NOW, flags.FlagQuery(review_overdue=True)
    ).rows


def test_a_flag_links_to_an_enforcement_case_as_evidence(session: Session, world: World) -> None:
    from enforcement.models import IntelFlagLink

    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    with pytest.raises(ValidationFailed) as bad:
        flags.link_to_case(session, world.actors["analyst"], NOW, flag.id, "NO-SUCH-CASE")
    assert "case_reference" in bad.value.errors
    with pytest.raises(Forbidden):  # partners do not link evidence, and the refusal is audited
        flags.link_to_case(session, world.actors["partner"], NOW, flag.id, "NO-SUCH-CASE")
    # A referral can be linked by id once the referrals work exists: the table already allows it.
    session.add(IntelFlagLink(flag_id=flag.id, referral_id=7, linked_at=NOW))
    session.flush()
    assert session.scalars(select(IntelFlagLink.referral_id)).all() == [7]


def test_the_chain_holds_across_everything_flags_record(session: Session, world: World) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    flags.grade_flag(session, world.actors["analyst"], NOW, flag.id, None, police_only(world))
    flags.open_flag(session, world.actors["analyst"], NOW, flag.id)
    with pytest.raises(Forbidden):
        flags.open_flag(session, world.actors["licensing"], NOW, flag.id)
    session.flush()
    assert audit_chain.verify(session).ok


def test_premises_search_is_unchanged_by_flags(session: Session, world: World) -> None:
    flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    page = premises.search_premises(
        session, world.actors["licensing"], premises.PremisesQuery(text="west")
    )
    assert [r.name for r in page.rows] == ["West Nails"]


def test_a_conditional_grade_names_only_roles_the_form_offers(
    session: Session, world: World
) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    grade = dataclasses.replace(police_only(world), audience_roles=frozenset({"admin"}))
    with pytest.raises(ValidationFailed) as bad:
        flags.grade_flag(session, world.actors["analyst"], NOW, flag.id, None, grade)
    assert bad.value.errors["audience_roles"] == "Select roles from the list"
    assert flag.grade_scheme is None
    assert "admin" not in {r.value for r in flags.AUDIENCE_ROLES}
    everyone_else = frozenset(r.value for r in flags.AUDIENCE_ROLES)
    flags.grade_flag(
        session,
        world.actors["analyst"],
        NOW,
        flag.id,
        None,
        dataclasses.replace(grade, audience_roles=everyone_else),
    )
    assert {r.role for r in flag.audience_role_rows} == everyone_else


def test_the_conditions_are_a_plural_subject(session: Session, world: World) -> None:
    flag = flags.raise_flag(session, world.actors["partner"], NOW, flag_input(world.west.id))
    grade = dataclasses.replace(police_only(world), conditions="Ring 07700 900123 first.")
    with pytest.raises(ValidationFailed) as bad:
        flags.grade_flag(session, world.actors["analyst"], NOW, flag.id, None, grade)
    assert bad.value.errors["handling_conditions"].startswith(
        "The conditions seem to contain a phone number."
    )


@pytest.mark.parametrize(
    ("latitude", "longitude", "errors"),
    [
        (99.0, IN_EAST[0], {"latitude": "Latitude must be between -90 and 90"}),
        (IN_EAST[1], 200.0, {"longitude": "Longitude must be between -180 and 180"}),
        (None, IN_EAST[0], {"latitude": "Enter a latitude and a longitude, or neither"}),
        (IN_EAST[1], None, {"longitude": "Enter a latitude and a longitude, or neither"}),
    ],
)
def test_a_point_out_of_range_or_half_typed_is_refused_on_its_field(
    session: Session,
    world: World,
    latitude: float | None,
    longitude: float | None,
    errors: dict[str, str],
) -> None:
    with pytest.raises(ValidationFailed) as bad:
        flags.raise_flag(
            session,
            world.actors["ward_west"],
            NOW,
            flag_input(None, location_text="Flat 2", longitude=longitude, latitude=latitude),
        )
    assert bad.value.errors == errors
