"""Welfare visits through their pages: logging, the role-by-role matrix, release, training."""

from __future__ import annotations

import re
from typing import Any

import pytest
from builders import WEST, csrf_token, make_user, post, sign_in
from builders.welfare import PEOPLE, World, make_world
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.clock import london_today, utcnow
from enforcement.models import AuditEvent, Premises, ReferralRecord, Reminder
from enforcement.models.welfare import MoontwistTraining, WelfareVisit

FEEDBACK = "Said the visit was welcome and asked for leaflets in Thai"


@pytest.fixture
def world(session: Session) -> World:
    w = make_world(session)
    session.commit()
    return w


def _as(client: FlaskClient, who: str) -> FlaskClient:
    resp = sign_in(client, f"{who}@example.gov.uk")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client


def _form_fields(client: FlaskClient, path: str) -> dict[str, Any]:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    key = re.search(
        r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page.get_data(as_text=True)
    )
    assert key
    return {"idempotency_key": key.group(1), "csrf_token": csrf_token(client, path)}


def _today_parts() -> tuple[int, int, int]:
    today = london_today(utcnow())
    return today.day, today.month, today.year


def _visit_data(**overrides: Any) -> dict[str, Any]:
    today = london_today(utcnow())
    data: dict[str, Any] = {
        "visited_on": [str(today.day), str(today.month), str(today.year)],
        "visited_time": "00:00",
        "trigger": "proactive",
        "property_described": "massage_parlour",
        "people_present": "3",
        "indicators_general": ["fear_of_authorities", "controller_present"],
        "indicators_premises": ["external_locks"],
        "interpreter_used": "yes",
        "interpreter_language": "th",
        "support_info_left": "yes",
        "support_languages": ["en", "th"],
        "referrals_made": "no",
        "return_requested": "no",
        "follow_up_days": "10",
        "feedback": FEEDBACK,
        "crime_reference": "CAD 1234/02MAR26",
        "guidance": [
            "introduced",
            "spoke_separately",
            "qualified_interpreter",
            "support_info_left",
            "not_enforcement",
            "recorded_same_day",
        ],
        "no_identifiers_confirmed": "y",
        "dress": "plain_clothes",
        "partner_agency_present": "no",
        "consent_to_talk": "given",
        "away_from_managers": "yes",
        "interpreter_professional": "yes",
        "follow_up_offered": "yes",
        "outcomes": ["follow_up_visit"],
        "handling_code": "P",
    }
    data.update(overrides)
    return data


def test_a_trained_ward_officer_logs_a_visit_and_the_follow_up_is_on_the_task_list(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "ward_officer")
    pid = world.west_premises.id
    premises_page = officer.get(f"/premises/{pid}").get_data(as_text=True)
    assert f'href="/premises/{pid}/welfare-visits/new"' in premises_page
    path = f"/premises/{pid}/welfare-visits/new"
    form_page = officer.get(path).get_data(as_text=True)
    for section in (
        "When and who",
        "Indicators of exploitation observed",
        "Referrals made",
        "Moontwist guidance",
    ):
        assert section in form_page
    assert "Needs a conversation" in form_page and "Can be seen" in form_page
    assert "Do not record names, dates of birth" in form_page
    resp = officer.post(
        path,
        data={
            **_form_fields(officer, path),
            **_visit_data(referrals_made="yes", outcomes=["nrm_referral"]),
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    # Referrals made: each is recorded next, as an anonymous record.
    visit = session.scalars(select(WelfareVisit)).one()
    add = f"/welfare-visits/{visit.id}/referrals/new"
    assert resp.headers["Location"] == add
    resp = officer.post(
        add,
        data={
            "csrf_token": csrf_token(officer, add),
            "route": "nrm",
            "age_group": "child",
            "gender": "female",
            "exploitation_types": ["sexual"],
            "exploitation_place": "uk",
            "first_responder_type": "police",
            "submitted_on": [str(d) for d in _today_parts()],
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    assert session.scalars(select(ReferralRecord)).one().age_group == "child"
    detail = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert FEEDBACK in detail and "Doors that lock from the outside" in detail
    assert "Massage parlour" in detail and "National Referral Mechanism (NRM)" in detail
    assert "A follow-up visit is due by" in detail and "Guidance followed" in detail
    assert "Child (under 18)" in detail and "Add an anonymous referral record" in detail
    home = officer.get("/").get_data(as_text=True)
    assert "Follow-up visit due" in home and f'href="/welfare-visits/{visit.id}"' in home
    assert world.west_premises.name not in home  # the task says nothing of the premises
    # Sent again (a retry on a poor connection): still one visit.
    again = officer.post(
        path,
        data={
            **_form_fields(officer, path),
            **_visit_data(),
            "idempotency_key": visit.idempotency_key,
        },
    )
    assert again.status_code == 302
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 1


def test_identifiers_are_refused_per_field_and_what_was_typed_is_kept(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "ward_officer")
    path = f"/premises/{world.west_premises.id}/welfare-visits/new"
    typed = "Her number is 07700 900123, email her at someone@example.com"
    resp = officer.post(
        path,
        data={
            **_form_fields(officer, path),
            **_visit_data(
                feedback=typed, other_indicators="Born 04/05/1999", people_present="three"
            ),
        },
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "The number of people present must be a whole number, like 2" in body
    # Shape errors first; fix the count and the identifiers are refused field by field.
    resp = officer.post(
        path,
        data={
            **_form_fields(officer, path),
            **_visit_data(feedback=typed, other_indicators="Born 04/05/1999"),
        },
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Feedback seems to contain a phone number and an email address." in body
    assert "Other indicators seem to contain a date of birth." in body
    assert 'href="#feedback"' in body and 'href="#other_indicators"' in body
    assert typed in body  # kept for correcting, never saved
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0


def test_an_officer_without_training_is_told_why_they_cannot_log(
    client: FlaskClient, session: Session, world: World
) -> None:
    make_user(session, "ward_officer", email="new@example.gov.uk", wards_=frozenset({WEST.code}))
    session.commit()
    sign_in(client, "new@example.gov.uk")
    pid = world.west_premises.id
    assert "Log a welfare visit" not in client.get(f"/premises/{pid}").get_data(as_text=True)
    for path in (f"/premises/{pid}/welfare-visits/new", "/welfare-visits/new"):
        resp = client.get(path)
        assert resp.status_code == 403
        assert (
            "Only officers recorded as having completed Operation Moontwist training"
            in resp.get_data(as_text=True)
        )
        assert client.post(path, data={"csrf_token": csrf_token(client, "/")}).status_code == 403


def test_premises_outside_the_officers_wards_are_refused(client: FlaskClient, world: World) -> None:
    officer = _as(client, "ward_officer")
    pid = world.east_premises.id
    assert "Log a welfare visit" not in officer.get(f"/premises/{pid}").get_data(as_text=True)
    resp = officer.get(f"/premises/{pid}/welfare-visits/new")
    assert resp.status_code == 403 and "only at premises in the wards you cover" in resp.get_data(
        as_text=True
    )


def test_a_visit_to_a_new_location_adds_the_premises(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "ward_officer")
    path = "/welfare-visits/new"
    location = {
        "location_name": "Second-floor flat",
        "address_line1": "7 West Street",
        "latitude": "54.006",
        "longitude": "1.006",
    }
    missing = officer.post(path, data={**_form_fields(officer, path), **_visit_data()})
    assert missing.status_code == 400
    assert "Enter the latitude, so the ward can be worked out" in missing.get_data(as_text=True)
    resp = officer.post(path, data={**_form_fields(officer, path), **_visit_data(), **location})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    added = session.scalars(select(Premises).where(Premises.name == "Second-floor flat")).one()
    assert added.premises_type == "massage"
    assert session.scalars(select(WelfareVisit.premises_id)).one() == added.id


# --- The role-by-role matrix, through the pages ----------------------------------------------

# who: (visit page status, sees content, premises page shows, list page status)
#   premises page shows: "content" (a link to the visit), "existence" (date only), "nothing",
#   or a status code when the premises page itself is refused.
MATRIX: dict[str, tuple[int, bool, str | int, int]] = {
    "ward_officer": (200, True, "content", 200),
    "ward_officer_elsewhere": (200, False, "existence", 200),
    "supervisor": (200, True, "content", 200),
    "intel_analyst": (200, True, "content", 200),
    "licensing_officer": (200, False, "existence", 403),
    "committee_clerk": (200, False, "existence", 403),
    "partner": (403, False, 403, 403),
    "admin": (404, False, "nothing", 403),
}


def test_the_matrix_covers_every_person() -> None:
    assert set(MATRIX) == set(PEOPLE)


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_each_role_sees_exactly_its_share_through_the_pages(
    client: FlaskClient, session: Session, world: World, who: str
) -> None:
    visit = world.log(session, feedback=FEEDBACK, crime_reference="CAD 9876/02MAR26")
    session.commit()
    visit_status, content, on_premises, list_status = MATRIX[who]
    someone = _as(client, who)

    def views() -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "welfare_visit.view")
            )
            or 0
        )

    before = views()
    page = someone.get(f"/welfare-visits/{visit.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == visit_status
    assert (FEEDBACK in body) is content and ("CAD 9876/02MAR26" in body) is content
    assert ("Fear" in body or "frightened" in body) is content
    if visit_status == 200 and not content:
        assert "A welfare visit took place on 2 March 2026." in body
    assert views() == before + (1 if content else 0)

    premises_page = someone.get(f"/premises/{world.west_premises.id}")
    text = premises_page.get_data(as_text=True)
    if isinstance(on_premises, int):
        assert premises_page.status_code == on_premises
    else:
        assert premises_page.status_code == 200
        link = f'href="/welfare-visits/{visit.id}"'
        assert (link in text) is (on_premises == "content")
        assert ("Welfare visit" in text) is (on_premises != "nothing")
        if on_premises == "existence":
            assert '<time datetime="2026-03-02">2 March 2026</time>' in text
            assert "Welfare visit (Operation Moontwist)" not in text and "7:30am" not in text
        assert FEEDBACK not in text

    listing = someone.get("/welfare-visits")
    assert listing.status_code == list_status
    if list_status == 200:
        listed = f'href="/welfare-visits/{visit.id}"' in listing.get_data(as_text=True)
        assert listed is content
    adherence = someone.get("/welfare-visits/adherence")
    assert adherence.status_code == list_status


def test_the_list_filters_and_bad_filters_are_explained(
    client: FlaskClient, session: Session, world: World
) -> None:
    flagged = world.log(session)
    quiet = world.log(session, indicators=frozenset(), feedback=None)
    session.commit()
    supervisor = _as(client, "supervisor")
    page = supervisor.get("/welfare-visits?indicator=any").get_data(as_text=True)
    assert f"/welfare-visits/{flagged.id}" in page and f"/welfare-visits/{quiet.id}" not in page
    page = supervisor.get(
        f"/welfare-visits?ward={WEST.code}&date_from=1&date_from=3&date_from=2026"
    ).get_data(as_text=True)
    assert "Showing 1 to 2 of 2 visits" in page
    bad = supervisor.get("/welfare-visits?indicator=made-up&ward=nowhere")
    assert bad.status_code == 400
    assert "Unknown indicator" in bad.get_data(as_text=True) and "Unknown ward" in bad.get_data(
        as_text=True
    )


def test_the_list_runs_a_fixed_number_of_queries(
    client: FlaskClient, session: Session, world: World, count_queries: Any
) -> None:
    supervisor = _as(client, "supervisor")

    def queries() -> int:
        before = count_queries.count
        assert supervisor.get("/welfare-visits").status_code == 200
        return count_queries.count - before  # type: ignore[no-any-return]

    world.log(session)
    session.commit()
    one = queries()
    for _ in range(12):
        world.log(session)
    session.commit()
    assert queries() == one


def test_a_supervisor_releases_a_visit_with_a_reason(
    client: FlaskClient, session: Session, world: World
) -> None:
    visit = world.log(session)
    session.commit()
    supervisor = _as(client, "supervisor")
    assert "Release for use as evidence" in supervisor.get(f"/welfare-visits/{visit.id}").get_data(
        as_text=True
    )
    path = f"/welfare-visits/{visit.id}/release"
    empty = post(supervisor, path, {"reason": ""}, page=path)
    assert (
        empty.status_code == 400
        and "Explain why this visit may be used as evidence" in empty.get_data(as_text=True)
    )
    ok = post(
        supervisor,
        path,
        {"reason": "Needed for the summary review of the premises licence"},
        page=path,
    )
    assert ok.status_code == 302
    session.refresh(visit)
    assert visit.released and "Needed for the summary review" in (
        supervisor.get(f"/welfare-visits/{visit.id}").get_data(as_text=True)
    )


def test_only_supervisors_release(client: FlaskClient, session: Session, world: World) -> None:
    visit = world.log(session)
    session.commit()
    analyst = _as(client, "intel_analyst")
    assert "Release for use as evidence" not in analyst.get(f"/welfare-visits/{visit.id}").get_data(
        as_text=True
    )
    assert analyst.get(f"/welfare-visits/{visit.id}/release").status_code == 403


def test_supervisors_record_training_and_see_coverage(
    client: FlaskClient, session: Session, world: World
) -> None:
    supervisor = _as(client, "supervisor")
    page = supervisor.get("/moontwist-training").get_data(as_text=True)
    assert "Operation Moontwist training" in page and "Target met" in page
    target = world.users["supervisor"]
    bad = post(
        supervisor,
        "/moontwist-training/new",
        {"user_id": "", "course": "x"},
        page="/moontwist-training/new",
    )
    assert bad.status_code == 400 and "Select the officer who completed the course" in bad.get_data(
        as_text=True
    )
    ok = post(
        supervisor,
        "/moontwist-training/new",
        {
            "user_id": str(target.id),
            "completed_on": ["1", "2", "2026"],
            "course": "Moontwist refresher",
        },
        page="/moontwist-training/new",
    )
    assert ok.status_code == 302
    assert (
        session.scalar(
            select(func.count())
            .select_from(MoontwistTraining)
            .where(MoontwistTraining.user_id == target.id)
        )
        == 1
    )
    assert "Moontwist refresher" in supervisor.get("/moontwist-training").get_data(as_text=True)


@pytest.mark.parametrize("who", ["ward_officer", "licensing_officer", "admin", "intel_analyst"])
def test_training_pages_are_for_supervisors(client: FlaskClient, world: World, who: str) -> None:
    someone = _as(client, who)
    assert someone.get("/moontwist-training").status_code == 403
    assert someone.get("/moontwist-training/new").status_code == 403


def test_the_follow_up_reminder_links_to_the_visit_not_the_premises(
    client: FlaskClient, session: Session, world: World
) -> None:
    visit = world.log(session)
    session.commit()
    reminder = session.scalars(select(Reminder)).one()
    officer = _as(client, "ward_officer")
    home = officer.get("/").get_data(as_text=True)
    assert reminder.title in home and f'href="/welfare-visits/{visit.id}"' in home


def test_the_visit_form_asks_whether_referrals_were_made(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "ward_officer")
    path = f"/premises/{world.west_premises.id}/welfare-visits/new"
    data = {**_form_fields(officer, path), **_visit_data()}
    del data["referrals_made"]
    resp = officer.post(path, data=data)
    assert resp.status_code == 400
    assert "Say whether the visit led to any referrals" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0
    # "No referrals were made": saved, straight to the visit, no record.
    resp = officer.post(path, data={**_form_fields(officer, path), **_visit_data()})
    assert resp.status_code == 302 and "/referrals/new" not in resp.headers["Location"]
    assert session.scalar(select(func.count()).select_from(ReferralRecord)) == 0


def test_a_child_seen_with_no_referral_is_refused_on_the_referrals_question(
    client: FlaskClient, session: Session, world: World
) -> None:
    """Under 18 always means the child route: the message sits on the question it is about,
    and what was typed is kept."""
    officer = _as(client, "ward_officer")
    path = f"/premises/{world.west_premises.id}/welfare-visits/new"
    data = {
        **_form_fields(officer, path),
        **_visit_data(indicators_sexual_exploitation=["appears_under_18"]),
    }
    resp = officer.post(path, data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert session.scalar(select(func.count()).select_from(WelfareVisit)) == 0
    message = "a child is always referred (to the NRM, or to children&#39;s social services)"
    assert page.count(message) == 2  # the summary at the top, and on the question
    assert re.search(r'id="referrals_made-error"[^>]*>.*?' + re.escape(message), page, re.S)
    assert FEEDBACK in page and 'value="appears_under_18" checked' in page
