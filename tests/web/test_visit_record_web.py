"""The whole welfare visit record through its pages, and a supervisor's decision on an
immigration referral (docs/welfare.md). Both databases."""

from __future__ import annotations

import re
from typing import Any

import pytest
from builders import csrf_token, sign_in
from builders.support import make_service
from builders.welfare import World, make_world
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.clock import london_today, utcnow
from enforcement.models import AuditEvent
from enforcement.models.welfare import WelfareVisit

JUSTIFICATION = "Both adults asked us to refer them so that they could regularise their status."


@pytest.fixture
def world(session: Session) -> World:
    w = make_world(session)
    make_service(session, name="A national helpline", any_language=True)
    make_service(session, name="A withdrawn service", active=False)
    session.commit()
    return w


def _as(client: FlaskClient, who: str) -> FlaskClient:
    resp = sign_in(client, f"{who}@example.gov.uk")
    assert resp.status_code == 302
    return client


def _fields(client: FlaskClient, path: str) -> dict[str, Any]:
    page = client.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page)
    assert key
    return {"idempotency_key": key.group(1), "csrf_token": csrf_token(client, path)}


def _data(**overrides: Any) -> dict[str, Any]:
    today = london_today(utcnow())
    data: dict[str, Any] = {
        "visited_on": [str(today.day), str(today.month), str(today.year)],
        "visited_time": "00:00",
        "trigger": "proactive",
        "property_described": "massage_parlour",
        "people_present": "2",
        "interpreter_used": "yes",
        "interpreter_language": "th",
        "interpreter_professional": "yes",
        "support_info_left": "yes",
        "support_languages": ["th"],
        "referrals_made": "no",
        "return_requested": "no",
        "follow_up_days": "14",
        "dress": "uniform",
        "partner_agency_present": "yes",
        "partner_agency": "A specialist charity",
        "consent_to_talk": "given",
        "away_from_managers": "no",
        "follow_up_offered": "yes",
        "outcomes": ["follow_up_visit", "immigration_referral"],
        "immigration_justification": JUSTIFICATION,
        "handling_code": "C",
        "handling_conditions": "Only the ward team and the safeguarding lead",
        "no_identifiers_confirmed": "y",
    }
    data.update(overrides)
    return data


def _service_id(page: str, name: str) -> str:
    found = re.search(
        r'name="services" type="checkbox" value="(\d+)"[^>]*>\s*<label[^>]*>\s*' + name, page
    )
    assert found, name
    return found.group(1)


def test_a_visit_with_the_whole_record_and_an_immigration_referral_a_supervisor_approves(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "ward_officer")
    path = f"/premises/{world.west_premises.id}/welfare-visits/new"
    page = officer.get(path).get_data(as_text=True)
    for section in ("Attendance and approach", "Outcome", "Handling", "Services signposted"):
        assert section in page
    assert "A national helpline" in page and "A withdrawn service" not in page
    helpline = _service_id(page, "A national helpline")
    # Without a justification the immigration referral is refused, and what was typed is kept.
    refused = officer.post(
        path,
        data={**_fields(officer, path), **_data(immigration_justification="")},
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Explain why an immigration referral is justified" in text
    assert 'value="A specialist charity"' in text
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0
    saved = officer.post(path, data={**_fields(officer, path), **_data(services=[helpline])})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    detail_path = saved.headers["Location"]
    detail = officer.get(detail_path).get_data(as_text=True)
    for shown in (
        "In uniform",
        "Yes, A specialist charity",
        "A national helpline",
        "Immigration referral",
        "Awaiting a supervisor&#39;s decision",
        "C: lawful sharing permitted with conditions",
        JUSTIFICATION,
    ):
        assert shown in detail, shown
    assert "(needs a justification" not in detail  # the form's hint is not part of the outcome
    visit = session.scalars(select(WelfareVisit)).one()
    decide = f"/welfare-visits/{visit.id}/immigration-referral"
    assert decide not in detail  # the officer does not decide
    assert officer.get(decide).status_code == 403
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})

    supervisor = _as(client, "supervisor")
    tasks = supervisor.get("/tasks").get_data(as_text=True)
    assert "Immigration referral from a welfare visit to decide" in tasks
    assert world.west_premises.name not in tasks
    assert decide in supervisor.get(detail_path).get_data(as_text=True)
    form = supervisor.get(decide)
    assert form.status_code == 200 and JUSTIFICATION in form.get_data(as_text=True)
    no_reason = supervisor.post(
        decide, data={"csrf_token": csrf_token(supervisor, decide), "decision": "approve"}
    )
    assert no_reason.status_code == 400
    done = supervisor.post(
        decide,
        data={
            "csrf_token": csrf_token(supervisor, decide),
            "decision": "decline",
            "note": "A welfare route is open to them: no referral.",
        },
    )
    assert done.status_code == 302
    session.expire_all()
    assert session.get(WelfareVisit, visit.id).immigration_status == "declined"  # type: ignore[union-attr]
    assert "Declined by a supervisor" in supervisor.get(detail_path).get_data(as_text=True)
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "welfare_visit.immigration_decline")
        )
        == 1
    )
    again = supervisor.post(
        decide,
        data={
            "csrf_token": csrf_token(supervisor, decide),
            "decision": "approve",
            "note": "Changing the decision now.",
        },
    )
    assert again.status_code == 400
    assert "no immigration referral awaiting" in again.get_data(as_text=True)


def test_the_dashboard_counts_immigration_referrals(
    client: FlaskClient, session: Session, world: World
) -> None:
    from builders.welfare import IMMIGRATION, visit_record

    world.log(
        session,
        record=visit_record(
            outcomes=frozenset({"immigration_referral"}), immigration_justification=IMMIGRATION
        ),
    )
    session.commit()
    page = _as(client, "supervisor").get("/dashboard").get_data(as_text=True)
    assert "Immigration referrals from welfare visits" in page
    assert "Awaiting a decision" in page
