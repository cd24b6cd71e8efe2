"""Intelligence flag pages: each role sees exactly its share, and every look is audited."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import (
    EAST,
    IN_EAST,
    NOW,
    SYSTEM,
    WEST,
    make_orgs,
    make_people,
    make_premises,
    make_wards,
    post,
    sign_in,
)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.accounts import users
from enforcement.cases import overrides
from enforcement.cases.statutory import RuleBook
from enforcement.clock import end_of_london_day, london_today
from enforcement.intelligence import flags
from enforcement.models import AuditEvent, IntelFlag, IntelFlagRole

REPORT = "Workers seen sleeping in the back room after closing."

PEOPLE = {
    "analyst": (("intel_analyst",), "police", frozenset()),
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
def world(session: Session) -> dict[str, Any]:
    make_wards(session)
    orgs = make_orgs(session)
    people = make_people(session, PEOPLE, orgs)
    west = make_premises(session, name="West Nails")
    east = make_premises(session, name="East Wash", longitude=IN_EAST[0], latitude=IN_EAST[1])
    session.commit()
    return {"people": people, "orgs": orgs, "west": west, "east": east}


def _as(client: FlaskClient, who: str) -> FlaskClient:
    sign_in(client, f"{who}@example.gov.uk")
    return client


def _raise(session: Session, world: dict[str, Any], graded_c: bool) -> IntelFlag:
    partner = users.actor_for(world["people"]["partner"])
    flag = flags.raise_flag(
        session,
        partner,
        NOW,
        flags.FlagInput(
            NOW - timedelta(days=1), "charity", frozenset({"sexual"}), REPORT, world["west"].id
        ),
    )
    if graded_c:
        flags.grade_flag(
            session,
            users.actor_for(world["people"]["analyst"]),
            NOW,
            flag.id,
            None,
            flags.GradeInput(
                "3x5x2", "B", "2", "C", "Police only.", frozenset({world["orgs"]["police"].id})
            ),
        )
    session.commit()
    return flag


# who: (detail status ungraded, detail status graded C, premises page status, flag count shown)
MATRIX = {
    "analyst": (200, 200, 200, True),
    "supervisor": (200, 403, 200, True),
    "licensing": (200, 403, 200, True),
    "ward_west": (200, 200, 200, True),
    "ward_east": (403, 403, 200, True),
    "clerk": (403, 403, 200, True),
    # The author, no further than the conditions grant (docs/access-and-audit.md).
    "partner": (200, 403, 403, False),
    "other_partner": (404, 404, 403, False),
    "admin": (404, 404, 200, False),
}


@pytest.mark.parametrize("graded_c", [False, True], ids=["ungraded", "handling-C-police-only"])
@pytest.mark.parametrize("who", sorted(MATRIX))
def test_each_role_sees_exactly_its_share_through_the_pages(
    client: FlaskClient, session: Session, world: dict[str, Any], who: str, graded_c: bool
) -> None:
    flag = _raise(session, world, graded_c)
    someone = _as(client, who)
    expected = MATRIX[who][1 if graded_c else 0]

    def audited(action: str) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.actor_id == world["people"][who].id)
            )
            or 0
        )

    views, refusals = audited("intel_flag.view"), audited("intel_flag.refused")
    page = someone.get(f"/flags/{flag.id}")
    assert page.status_code == expected
    text = page.get_data(as_text=True)
    assert (REPORT in text) is (expected == 200)
    if expected == 200:
        assert audited("intel_flag.view") == views + 1
    else:
        assert audited("intel_flag.refused") == refusals + 1
    # The list holds exactly the flags whose content the role may read.
    listing = someone.get("/flags")
    if who in {"clerk", "admin"}:
        assert listing.status_code == 403
    else:
        assert (f"/flags/{flag.id}" in listing.get_data(as_text=True)) is (expected == 200)
    # The premises page says a flag is open, to those who may know, and links only if readable.
    premises_page = someone.get(f"/premises/{world['west'].id}")
    assert premises_page.status_code == MATRIX[who][2]
    body = premises_page.get_data(as_text=True)
    if premises_page.status_code == 200:
        assert ("1 open intelligence flag" in body) is MATRIX[who][3]
        assert (f"/flags?premises={world['west'].id}" in body) is (expected == 200)
        assert REPORT not in body
        listing = someone.get("/premises").get_data(as_text=True)
        assert ("1 open flag" in listing) is MATRIX[who][3]
    # Exports: only analysts and supervisors, and only what they may read.
    export = someone.get("/flags/export.csv")
    if who in {"analyst", "supervisor"}:
        assert export.status_code == 200
        assert (REPORT in export.get_data(as_text=True)) is (expected == 200)
    else:
        assert export.status_code == 403


def test_a_partner_records_a_flag_about_an_address_without_a_grade(
    client: FlaskClient, session: Session, world: dict[str, Any]
) -> None:
    partner = _as(client, "partner")
    form = partner.get("/flags/new").get_data(as_text=True)
    assert (
        "An intelligence analyst will grade what you submit" in form
        and "Source evaluation" not in form
    )
    data = {
        "received_on": ["1", "3", "2026"],
        "source_type": "helpline",
        "exploitation": ["cuckooing", "county_lines"],
        "report_text": REPORT,
        "location_text": "Flat 3, 20 Nowhere Road",
    }
    empty = post(
        partner, "/flags/new", {**data, "exploitation": [], "report_text": ""}, page="/flags/new"
    )
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    assert "Select at least one form of exploitation" in text and "Enter the report" in text
    saved = post(partner, "/flags/new", data, page="/flags/new")
    assert saved.status_code == 302
    flag = session.scalars(select(IntelFlag)).one()
    assert flag.location_text == "Flat 3, 20 Nowhere Road" and flag.grade_scheme is None
    assert partner.get(saved.headers["Location"]).status_code == 200


def test_an_analyst_grades_and_the_page_shows_who_and_when(
    client: FlaskClient, session: Session, world: dict[str, Any]
) -> None:
    flag = _raise(session, world, graded_c=False)
    analyst = _as(client, "analyst")
    path = f"/flags/{flag.id}"
    missing = post(
        analyst,
        f"{path}/grade",
        {
            "grade_scheme": "3x5x2",
            "source_grade": "B",
            "intelligence_grade": "2",
            "handling_code": "C",
            "version": str(flag.version),
        },
        page=path,
    )
    assert missing.status_code == 400 and "Enter the conditions" in missing.get_data(as_text=True)
    ok = post(
        analyst,
        f"{path}/grade",
        {
            "grade_scheme": "3x5x2",
            "source_grade": "B",
            "intelligence_grade": "2",
            "handling_code": "C",
            "handling_conditions": "Police only until the operation.",
            "audience_org_ids": [str(world["orgs"]["police"].id)],
            "version": str(flag.version),
        },
        page=path,
    )
    assert ok.status_code == 302
    page = analyst.get(path).get_data(as_text=True)
    assert "B2C" in page and "Police only until the operation." in page and "Police (test)" in page
    assert 'id="graded-by"' in page and "Must not be disclosed in a public paper" in page
    stale = post(analyst, f"{path}/status", {"status": "closed", "version": "1"}, page=path)
    assert stale.status_code == 409


def test_the_audit_page_filters_by_date_and_exports_audited(
    client: FlaskClient, session: Session, world: dict[str, Any]
) -> None:
    _raise(session, world, graded_c=True)
    admin = _as(client, "admin")
    page = admin.get("/admin/audit?entity_type=intel_flag")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Graded intelligence flag" in text and REPORT not in text
    assert admin.get("/admin/audit?date_from=2026-13-01").status_code == 400
    empty = admin.get("/admin/audit?entity_type=intel_flag&date_from=2030-01-01").get_data(
        as_text=True
    )
    assert "0 events" in empty
    csv_text = admin.get("/admin/audit.csv?entity_type=intel_flag").get_data(as_text=True)
    assert "Recorded intelligence flag" in csv_text and REPORT not in csv_text
    assert (
        session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()
        == "audit.export"
    )
    supervisor = _as(client.application.test_client(), "supervisor")
    assert supervisor.get("/admin/audit").status_code == 200
    analyst = _as(client.application.test_client(), "analyst")
    assert analyst.get("/admin/audit").status_code == 403


def test_the_premises_list_adds_one_grouped_query_for_flags(
    client: FlaskClient, session: Session, world: dict[str, Any], count_queries: Any
) -> None:
    licensing = _as(client, "licensing")

    def queries() -> int:
        before = count_queries.count
        assert licensing.get("/premises").status_code == 200
        return count_queries.count - before  # type: ignore[no-any-return]

    none_yet = queries()
    for _ in range(5):
        _raise(session, world, graded_c=False)
    assert queries() == none_yet
    flag_queries = [s for s in count_queries.statements if "intel_flags" in s]
    assert flag_queries and all("GROUP BY" in s for s in flag_queries[-1:])


def test_a_review_period_changed_on_the_local_rules_page_sets_the_review_date(
    client: FlaskClient, session: Session, world: dict[str, Any]
) -> None:
    now = datetime.now(UTC)
    overrides.add_override(
        session,
        SYSTEM,
        now,
        overrides.OverrideInput(
            # Grading an open flag puts it under assessment: that band's period applies.
            "local.intel.review.under_assessment.strong",
            10,
            "starting_day_after",
            london_today(now),
            "Pilot",
        ),
        RuleBook(),
    )
    flag = _raise(session, world, graded_c=False)
    session.commit()
    analyst = _as(client, "analyst")
    path = f"/flags/{flag.id}"
    graded = post(
        analyst,
        f"{path}/grade",
        {
            "grade_scheme": "3x5x2",
            "source_grade": "A",
            "intelligence_grade": "1",
            "handling_code": "P",
            "version": str(flag.version),
        },
        page=path,
    )
    assert graded.status_code == 302, graded.get_data(as_text=True)[:2000]
    session.expire_all()
    due = session.get(IntelFlag, flag.id).review_due_at  # type: ignore[union-attr]
    graded_on = london_today(session.get(IntelFlag, flag.id).graded_at)  # type: ignore[union-attr,arg-type]
    assert due == end_of_london_day(graded_on + timedelta(days=10))


def test_the_flag_list_counts_to_the_cap_and_its_pages_stop_there(
    app: Flask,
    client: FlaskClient,
    session: Session,
    world: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The list counts only up to COUNT_CAP (1,000): here 3, with 2 flags a page.
    monkeypatch.setattr(flags, "COUNT_CAP", 3)
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], page_size=2)
    raised = [_raise(session, world, graded_c=False).id for _ in range(5)]
    newest_first = sorted(raised, reverse=True)  # all reported at the same time: by id
    analyst = _as(client, "analyst")

    def count_line(page: str) -> str:
        found = re.search(r'id="result-count"[^>]*>(.*?)</p>', page, re.S)
        assert found is not None
        return " ".join(found.group(1).split())

    def shown(page: str) -> list[int]:
        return [int(i) for i in re.findall(r'href="/flags/(\d+)">Flag', page)]

    first = analyst.get("/flags").get_data(as_text=True)
    assert count_line(first) == (
        "Showing 1 to 2 of more than 3 flags: choose filters to narrow it down"
    )
    assert shown(first) == newest_first[:2]
    second = analyst.get("/flags?page=2").get_data(as_text=True)
    assert count_line(second).startswith("Showing 3 to 3 of more than 3 flags")
    assert shown(second) == newest_first[2:3]  # the page ends at the cap
    assert "page=3" not in second
    listed = session.scalars(
        select(AuditEvent.after_json)
        .where(AuditEvent.action == "intel_flag.list")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert listed is not None and json.loads(listed)["shown"] == newest_first[2:3]

    past = analyst.get("/flags?page=3")
    assert past.status_code == 200
    body = past.get_data(as_text=True)
    assert "Only the first 3 flags are listed" in body and shown(body) == []
    # Under the cap the count is exact.
    exact = analyst.get("/flags?status=closed").get_data(as_text=True)
    assert "No flags to show" in exact and "Only the first" not in exact


def test_the_pages_name_the_field_in_their_messages(
    client: FlaskClient, session: Session, world: dict[str, Any]
) -> None:
    flag = _raise(session, world, graded_c=False)
    analyst = _as(client, "analyst")
    path = f"/flags/{flag.id}"
    status = post(analyst, f"{path}/status", {"status": "bogus", "version": "1"}, page=path)
    text = status.get_data(as_text=True)
    assert status.status_code == 400 and "Select the status from the list" in text
    assert "Not a valid choice" not in text
    grade = {
        "grade_scheme": "3x5x2",
        "source_grade": "B",
        "intelligence_grade": "2",
        "handling_code": "C",
        "handling_conditions": "Police only until the operation.",
        "audience_roles": ["admin"],
        "version": str(flag.version),
    }
    admin_role = post(analyst, f"{path}/grade", grade, page=path)
    assert admin_role.status_code == 400
    assert "Select roles from the list" in admin_role.get_data(as_text=True)
    session.refresh(flag)
    assert flag.grade_scheme is None
    assert session.scalar(select(func.count()).select_from(IntelFlagRole)) == 0
    new = {
        "received_on": ["1", "3", "26"],
        "source_type": "helpline",
        "exploitation": ["sexual"],
        "report_text": REPORT,
        "location_text": "Flat 3, 20 Nowhere Road",
        "latitude": "99",
        "longitude": "-0.2",
    }
    refused = post(analyst, "/flags/new", new, page="/flags/new")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert (
        "The date the intelligence was received must include a year with 4 numbers, like 2025"
        in text
    )
    new["received_on"] = ["1", "3", "2026"]
    refused = post(analyst, "/flags/new", new, page="/flags/new")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'href="#latitude"' in text
    assert "Latitude must be between -90 and 90" in text and "or neither" not in text
    new["latitude"] = "north"
    text = post(analyst, "/flags/new", new, page="/flags/new").get_data(as_text=True)
    assert "Latitude must be a number, like 51.4927" in text and "(optional) must" not in text
