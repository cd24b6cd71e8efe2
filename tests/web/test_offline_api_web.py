"""The offline API through the test client: keys, packages per role, records sent back once."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from builders import NOW, csrf_token, make_flag, make_inspection, make_licence, post, sign_in
from builders.welfare import World, make_world
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import london_today, utcnow
from enforcement.inspections import inspections
from enforcement.models import (
    AuditEvent,
    ConditionFinding,
    Inspection,
    Licence,
    OfflineGrant,
    Premises,
    Reminder,
)
from enforcement.models.welfare import WelfareVisit
from enforcement.register import licences

RECORDS = "/offline/api/records"
FLAG_TEXT = "Flag text: a man collects the women's wages every Friday night"
OBSERVATIONS = "Observation: three mattresses in the back room"
FINDING_NOTE = "Finding note: the door was bolted from outside"
VISIT_FEEDBACK = "Visit feedback: said the visit was welcome; asked for leaflets in Thai."
CRIME_REFERENCE = "CAD 9876/01MAR26"


@pytest.fixture
def world(session: Session) -> World:
    w = make_world(session)
    west = w.west_premises
    lic = make_licence(
        session,
        west.id,
        regime="special_treatment",
        reference="ST/2026/0042",
        conditions=("Doors never locked from outside", "A register of staff is kept"),
    )
    session.flush()
    first = session.scalars(select(Licence).where(Licence.id == lic.id)).one()
    cond = licences.get_licence(session, w.actors["licensing_officer"], first.id).conditions[0]
    make_inspection(
        session,
        west.id,
        actor=w.actors["licensing_officer"],
        licence_id=lic.id,
        observations=OBSERVATIONS,
        poster_displayed=False,
        poster_visible_public=False,
        poster_visible_workers=False,
        findings=(inspections.FindingInput(cond.id, "breached", FINDING_NOTE),),
    )
    make_flag(session, west.id, report_text=FLAG_TEXT)
    w.log(session, feedback=VISIT_FEEDBACK, crime_reference=CRIME_REFERENCE)
    session.commit()
    return w


def _as(client: FlaskClient, who: str) -> FlaskClient:
    resp = sign_in(client, f"{who}@example.gov.uk")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return client


def _key(client: FlaskClient) -> dict[str, Any]:
    resp = client.get("/offline/api/session")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = resp.get_json()
    return body


def _package(client: FlaskClient, premises_id: int) -> dict[str, Any]:
    resp = client.get(f"/offline/api/premises/{premises_id}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = resp.get_json()
    return body


def _send(client: FlaskClient, body: object, token: str | None = "") -> TestResponse:
    headers = {} if token is None else {"X-CSRFToken": token or _key(client)["csrf_token"]}
    return client.post(RECORDS, json=body, headers=headers)


def _today() -> list[str]:
    today = london_today(utcnow())
    return [str(today.day), str(today.month), str(today.year)]


def _inspection(pkg: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "kind": "inspection",
        "premises_id": pkg["premises_id"],
        "idempotency_key": str(uuid.uuid4()),
        "taken_version": pkg["version"],
        "acknowledge_conflict": False,
        "fields": {
            "inspected_on": _today(),
            "inspected_time": "00:05",
            "reason": "routine",
            "poster_displayed": "no",
            "referrals_made": "no",
            **fields,
        },
    }


def _visit(pkg: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "kind": "welfare_visit",
        "premises_id": pkg["premises_id"],
        "idempotency_key": str(uuid.uuid4()),
        "taken_version": pkg["version"],
        "fields": {
            "visited_on": _today(),
            "visited_time": "00:05",
            "trigger": "proactive",
            "property_described": "massage_parlour",
            "people_present": "2",
            "indicators_general": ["fear_of_authorities"],
            "interpreter_used": "no",
            "support_info_left": "no",
            "referrals_made": "no",
            "return_requested": "no",
            "follow_up_days": "10",
            "guidance": ["introduced", "not_enforcement", "recorded_same_day"],
            "no_identifiers_confirmed": "y",
            "handling_code": "P",
            "dress": "plain_clothes",
            "partner_agency_present": "no",
            "consent_to_talk": "given",
            "away_from_managers": "yes",
            "follow_up_offered": "yes",
            "outcomes": ["follow_up_visit"],
            **fields,
        },
    }


def _count(session: Session, model: type[Any]) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- the session key ----------------------------------------------------------------------


def test_the_key_is_the_users_until_their_grant_ends_and_then_never_handed_out_again(
    client: FlaskClient, session: Session, world: World, app: Any
) -> None:
    officer = _as(client, "licensing_officer")
    first = _key(officer)
    assert first == {**_key(officer), "csrf_token": first["csrf_token"]}
    assert len(first["key"]) == 43 and "=" not in first["key"]  # 32 bytes, base64url
    assert first["user_id"] == world.users["licensing_officer"].id
    assert first["sync_url"] == RECORDS and first["expires_at"].endswith("Z")
    grant = session.scalars(select(OfflineGrant)).one()
    assert grant.expires_at - grant.created_at == timedelta(hours=12)
    assert first["expires_at"] == grant.expires_at.isoformat().replace("+00:00", "Z")
    # The web session idles out while the officer has no signal: 401, and after signing in
    # again the same key, so what the tablet saved can still be read and sent.
    with officer.session_transaction() as cookie:
        cookie["seen"] = 0.0
    idle = officer.get("/offline/api/session")
    assert (idle.status_code, idle.get_json()) == (401, {"status": "signed_out"})
    assert "Location" not in idle.headers
    _as(client, "licensing_officer")
    assert _key(officer)["key"] == first["key"]
    # Another session of the same user (another sign-in) gets the same key too.
    assert _key(_as(app.test_client(), "licensing_officer"))["key"] == first["key"]
    # Signing out on one device does not end the grant: another tablet of the same officer
    # still reads and sends what it saved (the device signing out clears its own copy).
    post(officer, "/sign-out", {})
    gone = officer.get("/offline/api/session")
    assert (gone.status_code, gone.get_json()) == (401, {"status": "signed_out"})
    assert _count(session, OfflineGrant) == 1
    _as(client, "licensing_officer")
    assert _key(officer)["key"] == first["key"]
    # Revoking every session of the account (deactivation, a password reset) ends it: the key is
    # never handed out again, a new sign-in gets another.
    users.revoke_sessions(session, world.users["licensing_officer"].id, utcnow())
    session.commit()
    assert _count(session, OfflineGrant) == 0
    _as(client, "licensing_officer")
    assert _key(officer)["key"] != first["key"]


def test_an_expired_grant_gives_a_new_key(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    first = _key(officer)["key"]
    grant = session.scalars(select(OfflineGrant)).one()
    grant.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert _key(officer)["key"] != first
    assert _count(session, OfflineGrant) == 1


def test_the_keys_of_two_people_differ(client: FlaskClient, world: World, app: Any) -> None:
    one = _key(_as(client, "licensing_officer"))["key"]
    other = _key(_as(app.test_client(), "ward_officer"))["key"]
    assert one != other


def test_a_deactivated_account_gets_401_from_every_api_route(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    token = _key(officer)["csrf_token"]
    pkg = _package(officer, world.west_premises.id)
    users.set_active(
        session, Actor.system("tests"), NOW, world.users["licensing_officer"].id, False
    )
    session.commit()
    assert _count(session, OfflineGrant) == 0  # the grant ended with the account
    for resp in (
        officer.get("/offline/api/session"),
        officer.get(f"/offline/api/premises/{world.west_premises.id}"),
        _send(officer, _inspection(pkg), token),
    ):
        assert (resp.status_code, resp.get_json()) == (401, {"status": "signed_out"})
    assert _count(session, Inspection) == 1


def test_signed_out_api_calls_get_401_json_not_the_sign_in_page(
    client: FlaskClient, world: World
) -> None:
    for resp in (
        client.get("/offline/api/session"),
        client.get(f"/offline/api/premises/{world.west_premises.id}"),
        client.post(RECORDS, json={"kind": "inspection"}),
        client.post(RECORDS, data="not json"),
    ):
        assert (resp.status_code, resp.get_json()) == (401, {"status": "signed_out"})


# -- packages, per role ---------------------------------------------------------------------


def _text(pkg: dict[str, Any]) -> str:
    return json.dumps(pkg)


def _no_restricted_content(pkg: dict[str, Any]) -> None:
    text = _text(pkg)
    for secret in (FLAG_TEXT, OBSERVATIONS, FINDING_NOTE, VISIT_FEEDBACK, CRIME_REFERENCE):
        assert secret not in text


def test_a_licensing_officer_takes_a_premises_offline_with_the_inspection_form(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    pid = world.west_premises.id
    pkg = _package(officer, pid)
    s = pkg["summary"]
    assert pkg["premises_id"] == pid and pkg["can_inspect"] and not pkg["can_visit"]
    assert s["address"]["line1"] == world.west_premises.address_line1
    assert s["ward"] == "West Ward" or s["ward"]
    [lic] = s["licences"]
    assert lic["number"] == "ST/2026/0042" and lic["status"] == "Active"
    assert [c["text"] for c in lic["conditions"]] == [
        "Doors never locked from outside",
        "A register of staff is kept",
    ]
    latest = s["latest_inspection"]
    assert latest["poster_displayed"] is False and latest["follow_up_needed"] is True
    assert latest["findings"] == [
        {
            "condition_number": 1,
            "condition_text": "Doors never locked from outside",
            "finding": "Breached",
        }
    ]
    assert [f["what"] for f in s["open_follow_ups"]] == ["Follow-up inspection"]
    assert s["welfare_visits"] == []  # a licensing officer is not told of visits
    form = pkg["forms"]["inspection"]
    assert form.startswith('<form method="post"') and form.endswith("</form>")
    assert 'name="finding_' in form and "Doors never locked from outside" in form
    assert "csrf_token" not in form and pkg["forms"]["welfare_visit"] is None
    _no_restricted_content(pkg)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "premises.offline")).one()
    assert event.entity_type == "premises" and event.entity_id == str(pid)
    assert event.actor_id == world.users["licensing_officer"].id
    # Audited, but not on the premises' timeline, where every reader would see who is going.
    page = officer.get(f"/premises/{pid}").get_data(as_text=True)
    assert event.summary not in page and "offline to work on site" not in page


def test_a_ward_officer_in_their_ward_gets_the_visit_form_and_only_dates_of_visits(
    client: FlaskClient, world: World
) -> None:
    pkg = _package(_as(client, "ward_officer"), world.west_premises.id)
    assert pkg["can_visit"] and not pkg["can_inspect"]
    assert pkg["forms"]["inspection"] is None
    form = pkg["forms"]["welfare_visit"]
    assert form.startswith('<form method="post"') and "csrf_token" not in form
    assert 'name="indicators_general"' in form
    [visit] = pkg["summary"]["welfare_visits"]
    assert set(visit) == {"date", "date_text"}
    assert pkg["summary"]["latest_inspection"] is not None  # ward officers see inspections
    _no_restricted_content(pkg)


def test_a_ward_officer_outside_their_wards_gets_no_form_and_no_visits(
    client: FlaskClient, world: World
) -> None:
    pkg = _package(_as(client, "ward_officer_elsewhere"), world.west_premises.id)
    assert not pkg["can_visit"] and not pkg["can_inspect"]
    assert pkg["forms"] == {"inspection": None, "welfare_visit": None}
    assert pkg["summary"]["welfare_visits"] == []
    _no_restricted_content(pkg)


@pytest.mark.parametrize(
    ("who", "status"),
    [("partner", 404), ("intel_analyst", 403), ("committee_clerk", 403), ("admin", 403)],
)
def test_roles_that_record_nothing_on_site_take_nothing_offline(
    client: FlaskClient, session: Session, world: World, who: str, status: int
) -> None:
    resp = _as(client, who).get(f"/offline/api/premises/{world.west_premises.id}")
    assert resp.status_code == status
    assert resp.get_json()["status"] == {404: "not_found", 403: "forbidden"}[status]
    assert not session.scalars(
        select(AuditEvent).where(AuditEvent.action == "premises.offline")
    ).all()


def test_a_premises_that_does_not_exist_is_404(client: FlaskClient, world: World) -> None:
    officer = _as(client, "licensing_officer")
    for path in ("/offline/api/premises/999999", "/offline/api/premises/99999999999999"):
        resp = officer.get(path)
        assert resp.status_code == 404
    assert officer.get("/offline/api/premises/999999").get_json() == {"status": "not_found"}


# -- records sent back -----------------------------------------------------------------------


def test_an_inspection_with_a_failed_poster_check_is_accepted_once_with_its_follow_up(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    pkg = _package(officer, world.west_premises.id)
    cond = pkg["summary"]["licences"][0]["conditions"][0]["id"]
    reminders_before = _count(session, Reminder)
    body = _inspection(pkg, **{f"finding_{cond}": "breached"})
    resp = _send(officer, body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    made = session.scalars(select(Inspection).order_by(Inspection.id.desc())).first()
    assert made is not None and made.idempotency_key == body["idempotency_key"]
    assert resp.get_json() == {"status": "accepted", "url": f"/inspections/{made.id}"}
    assert made.follow_up_needed and not made.poster_displayed
    assert session.scalars(
        select(ConditionFinding.finding).where(ConditionFinding.inspection_id == made.id)
    ).all() == ["breached"]
    assert _count(session, Reminder) == reminders_before + 1
    reminder = session.scalars(
        select(Reminder).where(
            Reminder.subject_type == "inspection", Reminder.subject_id == made.id
        )
    ).one()
    assert reminder.title == f"Follow-up inspection of {world.west_premises.name}"
    assert session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "inspection.create", AuditEvent.entity_id == str(made.id)
        )
    ).one()
    # Sent again (the answer was lost on the way back): accepted, nothing new written.
    again = _send(officer, body)
    assert again.status_code == 200
    assert again.get_json() == {
        "status": "accepted",
        "url": f"/inspections/{made.id}",
        "duplicate": True,
    }
    assert _count(session, Inspection) == 2 and _count(session, Reminder) == reminders_before + 1
    # A second inspection made against the same package is no conflict: recording one does not
    # change what the package was made from.
    assert _send(officer, _inspection(pkg, poster_displayed="yes")).status_code == 201


def test_the_same_inspection_made_online_makes_the_same_reminder(
    client: FlaskClient, session: Session, world: World
) -> None:
    """The online form and the API agree: one reminder each, titled and due alike."""
    officer = _as(client, "licensing_officer")
    pkg = _package(officer, world.west_premises.id)
    assert _send(officer, _inspection(pkg)).status_code == 201
    path = f"/premises/{world.west_premises.id}/inspections/new"
    online = post(
        officer,
        path,
        {**_inspection(pkg)["fields"], "idempotency_key": uuid.uuid4().hex},
        page=path,
    )
    assert online.status_code == 302
    rows = session.scalars(
        select(Reminder)
        .where(Reminder.kind == "follow_up_inspection", Reminder.status == "open")
        .order_by(Reminder.id)
    ).all()
    offline_one, online_one = rows[-2], rows[-1]
    assert offline_one.title == online_one.title
    assert offline_one.due_at == online_one.due_at


def test_a_refused_inspection_gets_the_forms_own_messages_and_nothing_is_written(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    pkg = _package(officer, world.west_premises.id)
    before = (_count(session, Inspection), _count(session, Reminder))
    body = _inspection(pkg, inspected_time="25:99", reason="", poster_displayed="")
    body["fields"].pop("inspected_on")
    resp = _send(officer, body)
    assert resp.status_code == 422
    answer = resp.get_json()
    assert answer["status"] == "refused"
    assert answer["errors"] == {
        "inspected_on": ["Enter the date of the inspection"],
        "inspected_time": ["Enter a time like 14:30"],
        "reason": ["Select why the inspection took place"],
        "poster_displayed": ["Say whether the poster was displayed"],
    }
    assert (_count(session, Inspection), _count(session, Reminder)) == before
    # A refusal by the use case (a date in the future) is answered in the same way.
    future = london_today(utcnow()) + timedelta(days=30)
    body = _inspection(pkg, inspected_on=[str(future.day), str(future.month), str(future.year)])
    resp = _send(officer, body)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert list(resp.get_json()["errors"]) == ["inspected_on"]
    assert (_count(session, Inspection), _count(session, Reminder)) == before


def test_a_change_to_the_conditions_is_a_conflict_until_acknowledged(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    pkg = _package(officer, world.west_premises.id)
    lic_id = pkg["summary"]["licences"][0]["id"]
    changed_at = NOW.replace(month=12, day=6, hour=9, minute=12)
    licences.add_condition(
        session, world.actors["licensing_officer"], changed_at, lic_id, "No one sleeps on site"
    )
    session.commit()
    version_before = session.get(Licence, lic_id).version  # type: ignore[union-attr]
    body = _inspection(pkg)
    resp = _send(officer, body)
    assert resp.status_code == 409
    answer = resp.get_json()
    assert answer["status"] == "conflict"
    assert answer["changes"] == ["The licence conditions changed on 6 Dec 2026 at 09:12 GMT"]
    assert answer["version"] != pkg["version"]
    assert _count(session, Inspection) == 1
    session.expire_all()
    assert session.get(Licence, lic_id).version == version_before  # type: ignore[union-attr]
    # The officer has looked and sends it again beside what changed.
    resp = _send(officer, {**body, "acknowledge_conflict": True})
    assert resp.status_code == 201
    assert _count(session, Inspection) == 2
    # The premises edited (summer time): said with BST.
    p = session.get(Premises, world.west_premises.id)
    assert p is not None
    p.town = "Westfield"
    p.updated_at = NOW.replace(month=7, day=1, hour=8, minute=0)
    session.commit()
    resp = _send(officer, _inspection(pkg))
    assert (
        resp.get_json()["changes"][0] == "The premises details changed on 1 Jul 2026 at 09:00 BST"
    )


def test_a_ward_officer_sends_a_visit_and_only_in_their_wards(
    client: FlaskClient, session: Session, world: World, app: Any
) -> None:
    officer = _as(client, "ward_officer")
    pkg = _package(officer, world.west_premises.id)
    before = _count(session, WelfareVisit)
    resp = _send(officer, _visit(pkg))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["url"].startswith("/welfare-visits/")
    assert _count(session, WelfareVisit) == before + 1
    # An inspection is not theirs to record.
    assert _send(officer, _inspection(pkg)).status_code == 403
    # Nor a visit outside their wards.
    elsewhere = _as(app.test_client(), "ward_officer_elsewhere")
    resp = _send(elsewhere, _visit(pkg))
    assert (resp.status_code, resp.get_json()) == (403, {"status": "forbidden"})
    assert _count(session, WelfareVisit) == before + 1


def test_a_refused_visit_gets_the_forms_own_messages(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "ward_officer")
    pkg = _package(officer, world.west_premises.id)
    before = _count(session, WelfareVisit)
    resp = _send(officer, _visit(pkg, feedback="Spoke to Jane Smith, born 02/03/1990"))
    assert resp.status_code == 422
    assert "feedback" in resp.get_json()["errors"]
    assert _count(session, WelfareVisit) == before


def test_a_record_without_a_valid_csrf_token_is_400_json(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    pkg = _package(officer, world.west_premises.id)
    for token in (None, "not-a-token"):
        resp = _send(officer, _inspection(pkg), token)
        assert resp.status_code == 400 and resp.mimetype == "application/json"
        assert resp.get_json()["status"] == "bad_request"
    # A token from a form page of the same session is a valid one.
    token = csrf_token(officer, f"/premises/{world.west_premises.id}/inspections/new")
    assert _send(officer, _inspection(pkg), token).status_code == 201


JUNK: list[tuple[object, set[int]]] = [
    ([], {400}),
    ("inspection", {400}),
    ({}, {400}),
    ({"kind": "photo", "premises_id": 1}, {400}),
    ({"kind": "inspection", "premises_id": "1"}, {400}),
    ({"kind": "inspection", "premises_id": True}, {400}),
    ({"kind": "inspection", "premises_id": 1.5}, {400}),
    ({"kind": "inspection", "premises_id": -1}, {404}),
    ({"kind": "inspection", "premises_id": 0}, {404}),
    ({"kind": "inspection", "premises_id": 2**63}, {404}),
    ({"kind": "inspection", "premises_id": 999999}, {400}),  # no key yet: the shape is wrong
]


@pytest.mark.parametrize(("body", "statuses"), JUNK)
def test_junk_envelopes_are_refused_never_5xx(
    client: FlaskClient, session: Session, world: World, body: object, statuses: set[int]
) -> None:
    officer = _as(client, "licensing_officer")
    before = _count(session, Inspection)
    resp = _send(officer, body)
    assert resp.status_code in statuses and resp.mimetype == "application/json"
    assert _count(session, Inspection) == before


def test_junk_inside_a_well_formed_envelope_is_refused_never_5xx(
    client: FlaskClient, session: Session, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    token = _key(officer)["csrf_token"]
    pkg = _package(officer, world.west_premises.id)
    before = _count(session, Inspection)
    cases: list[tuple[dict[str, Any], set[int]]] = [
        ({**_inspection(pkg), "premises_id": 999999}, {404}),
        ({**_inspection(pkg), "idempotency_key": "x" * 65}, {400}),
        ({**_inspection(pkg), "idempotency_key": "bad key!"}, {400}),
        ({**_inspection(pkg), "taken_version": "v" * 10_000}, {400}),
        ({**_inspection(pkg), "taken_version": 3}, {400}),
        ({**_inspection(pkg), "acknowledge_conflict": "yes"}, {400}),
        ({**_inspection(pkg), "fields": ["a"]}, {400}),
        ({**_inspection(pkg), "fields": {"reason": 5}}, {400}),
        ({**_inspection(pkg), "fields": {"reason": [1, 2]}}, {400}),
        ({**_inspection(pkg), "taken_version": "nonsense"}, {409}),
        (_inspection(pkg, observations="x" * 100_000), {422}),
        (_inspection(pkg, other_officers="a\x00b"), {422}),
        # half of a character, as JSON may escape it ("\ud800"): no text can hold it
        (_inspection(pkg, observations="a\ud800b"), {400}),
        (_inspection(pkg, services=["\udfff"]), {400}),
        (_inspection(pkg, officer_ids=["-1", "abc", str(2**40)]), {201, 422}),
        (_inspection(pkg, licence_id="-5"), {201, 404, 422}),
        (_inspection(pkg, licence_id="\u00b2"), {201, 422}),  # a digit int() refuses
        (_inspection(pkg, inspected_on=["1", "2"]), {422}),
        (_inspection(pkg, **{"finding_999999": "breached"}), {201, 422}),
        (_inspection(pkg, **{"finding_1": "nonsense"}), {201, 422}),
    ]
    for body, statuses in cases:
        resp = _send(officer, body, token)
        assert resp.status_code in statuses, (body, resp.get_data(as_text=True)[:500])
        assert resp.mimetype == "application/json"
    accepted = _count(session, Inspection) - before
    assert accepted <= 5
    not_json = officer.post(RECORDS, data="{not json", headers={"X-CSRFToken": token})
    assert not_json.status_code == 400 and not_json.get_json() == {"status": "bad_request"}


def test_a_premises_with_no_licence_and_no_inspection_is_a_small_package(
    client: FlaskClient, world: World
) -> None:
    officer = _as(client, "licensing_officer")
    pkg = _package(officer, world.east_premises.id)
    s = pkg["summary"]
    assert s["licences"] == [] and s["latest_inspection"] is None
    assert s["open_follow_ups"] == [] and s["welfare_visits"] == []
    assert "This premises holds no licence" in pkg["forms"]["inspection"]
    resp = _send(officer, _inspection(pkg))
    assert resp.status_code == 201, resp.get_data(as_text=True)
