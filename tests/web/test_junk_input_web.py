"""Junk a user can send, case by case: dates, control characters, huge ids, crossing edits, HSTS."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from builders import make_premises, make_user, make_wards, post, sign_in
from conftest import savepoint_session
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from app import PROXY_NOT_COUNTED, create_app
from app.database import db, writes_on_read
from app.forms import db_id, parse_id
from config import Settings
from enforcement.models import AuditEvent, Premises, SignInAttempt, User
from enforcement.numbers import MAX_DB_ID
from enforcement.reminders import reminders
from enforcement.reminders.vocab import ReminderKind
from enforcement.text import has_control_characters


@pytest.fixture
def officer(session: Session, client: FlaskClient) -> FlaskClient:
    make_wards(session)
    make_user(session, "licensing_officer", email="lo@example.gov.uk")
    session.commit()
    sign_in(client, "lo@example.gov.uk")
    return client


def _audits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


# Item 1: a date with fewer or more than its three parts.


@pytest.mark.parametrize("parts", [["9"], ["9", "3"], ["9", "3", "2026", "1"]])
def test_a_date_with_missing_or_extra_parts_is_a_field_error_that_keeps_the_input(
    officer: FlaskClient, session: Session, parts: list[str]
) -> None:
    user_id = session.scalar(select(User.id).where(User.email == "lo@example.gov.uk"))
    r = reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.FOLLOW_UP_INSPECTION,
            subject_type="inspection",
            subject_id=1,
            title="Follow up",
            due_at=datetime.now(UTC) + timedelta(days=3),
            owner_user_id=user_id,
        ),
        datetime.now(UTC) - timedelta(days=1),
    )
    session.commit()
    path = f"/tasks/{r.id}/snooze"
    resp = post(officer, path, {"until": parts, "reason": "Waiting for a reply"}, page=path)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "must include a day, month and year" in page
    assert 'value="9"' in page and "Waiting for a reply" in page


@pytest.mark.parametrize("query", ["date_from=1", "date_from=1&date_from=2", "date_to=1"])
def test_a_filter_date_with_missing_parts_is_not_a_server_error(
    session: Session, client: FlaskClient, query: str
) -> None:
    make_wards(session)
    make_user(session, "supervisor", email="sup@example.gov.uk")
    session.commit()
    sign_in(client, "sup@example.gov.uk")
    resp = client.get(f"/welfare-visits?{query}")
    assert resp.status_code in {200, 400}
    assert "must include a day, month and year" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["start=1", "start=1&start=2&start=3&start=4"])
def test_a_map_period_with_missing_parts_is_not_a_server_error(
    officer: FlaskClient, query: str
) -> None:
    for path in ("/map/hotspots", "/map/wards/E05999901"):
        assert officer.get(f"{path}?{query}").status_code < 500


# Item 2: control characters, refused alike on both databases.


# U+FFFE and U+FFFF: not characters at all, and XML cannot hold them, so a Word committee paper
# built from text holding one could not be written.
@pytest.mark.parametrize("junk", ["\x00", "\x1b", "\x7f", "\x0b", "\ufffe", "\uffff"])
def test_control_characters_in_a_form_are_a_field_error_and_save_nothing(
    officer: FlaskClient, session: Session, junk: str
) -> None:
    p = make_premises(session, name="Lotus Massage")
    session.commit()
    path = f"/premises/{p.id}/edit"
    page = officer.get(path).get_data(as_text=True)
    assert "Lotus Massage" in page
    before = _audits(session)
    resp = post(
        officer,
        path,
        {
            "version": str(p.version),
            "name": f"Lotus{junk}Massage",
            "premises_type": "massage",
            "address_line1": "1 High Street",
            "latitude": "54.005",
            "longitude": "1.005",
        },
        page=path,
    )
    assert resp.status_code == 400
    assert "must not contain hidden control characters" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Premises, p.id).name == "Lotus Massage"  # type: ignore[union-attr]
    assert _audits(session) == before


def test_tab_newline_and_carriage_return_are_still_allowed() -> None:
    assert not has_control_characters("line one\r\nline two\tend")
    assert all(has_control_characters(chr(c)) for c in [*range(9), 11, 12, *range(14, 32), 127])
    # The C1 controls too (what text decoded with the wrong code page leaves), not the letters
    # after them.
    assert all(has_control_characters(chr(c)) for c in range(0x80, 0xA0))
    assert not has_control_characters("\u00a0café Łódź 北京 — “quoted”")
    assert has_control_characters("\ufffe") and has_control_characters("\uffff")
    assert not has_control_characters("\ufffd\ufeff\U0001f600")  # the replacement sign, emoji


@pytest.mark.parametrize("query", ["q=a%00b", "q=%1b", "status=%00", "x%00=1"])
def test_control_characters_in_a_query_are_refused_with_a_message(
    officer: FlaskClient, query: str
) -> None:
    resp = officer.get(f"/premises?{query}")
    assert resp.status_code == 400
    assert "hidden control characters" in resp.get_data(as_text=True)


# Item 3: ids past the database's integer range.


@pytest.mark.parametrize(
    "path",
    [
        "/premises/2147483648",
        "/premises/99999999999999999999",
        "/premises/0",
        "/flags/9223372036854775808",
        "/welfare-visits/99999999999999999999",
        "/evidence/99999999999999999999",
        "/tasks/99999999999999999999",
        "/premises/" + "9" * 5000,
    ],
)
def test_ids_past_the_database_range_are_not_found(officer: FlaskClient, path: str) -> None:
    assert officer.get(path).status_code == 404


def test_an_officer_id_past_the_range_is_a_form_error(
    officer: FlaskClient, session: Session
) -> None:
    p = make_premises(session)
    session.commit()
    path = f"/premises/{p.id}/inspections/new"
    page = officer.get(path).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page)
    assert key is not None
    before = _audits(session)
    valid = {
        "idempotency_key": key.group(1),
        "inspected_on": ["2", "3", "2026"],
        "inspected_time": "14:30",
        "reason": "routine",
        "poster_displayed": "yes",
        "poster_visible": ["public", "workers"],
        "languages_displayed": ["en"],
    }
    resp = post(officer, path, {**valid, "officer_ids": "99999999999999999999999"}, page=path)
    assert resp.status_code == 400
    assert _audits(session) == before
    assert post(officer, path, valid, page=path).status_code == 302  # the rest was valid


def test_record_ids_are_ascii_digits_within_the_range() -> None:
    assert parse_id("1") == 1 and parse_id(" 42 ") == 42 and parse_id(MAX_DB_ID) == MAX_DB_ID
    for junk in ["0", "-1", str(MAX_DB_ID + 1), "²", "١٢", "1.5", "", "abc", None, True]:
        assert parse_id(junk) is None
    with pytest.raises(ValueError):
        db_id("99999999999999999999999")


# Item 4: a crossing edit whose UPDATE finds the row changed is a 409, page header and all.


@pytest.mark.own_app  # it adds a route
def test_a_crossing_edit_is_a_conflict_page_not_a_server_error(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    make_wards(session)
    make_user(session, "licensing_officer", email="lo@example.gov.uk")
    p = make_premises(session, name="Crossing")
    session.commit()

    @app.route("/_test/crossing-edit")
    @writes_on_read
    def crossing_edit() -> str:
        s = db()
        mine = s.get(Premises, p.id)
        assert mine is not None
        # Another worker saves between our read and our UPDATE.
        table = Premises.__table__
        s.execute(update(table).where(table.c.id == p.id).values(version=table.c.version + 1))
        mine.name = "Mine"
        s.flush()  # StaleDataError: our UPDATE matched no row at the version we read
        return "saved"

    sign_in(client, "lo@example.gov.uk")
    resp = client.get("/_test/crossing-edit")
    assert resp.status_code == 409
    assert "Someone else changed this record" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Premises, p.id).name == "Crossing"  # type: ignore[union-attr]


# Item 11: HSTS in production.


@pytest.mark.parametrize(
    ("env", "secure", "sent"),
    [("production", True, True), ("production", False, False), ("development", False, False)],
)
def test_strict_transport_security_only_in_production_over_secure_cookies(
    settings: Settings, connection: Connection, env: str, secure: bool, sent: bool
) -> None:
    app = create_app(
        settings.with_overrides(env=env, session_cookie_secure=secure),
        session_maker=lambda _w: savepoint_session(connection),
    )
    resp = app.test_client().get("/sign-in", base_url="https://localhost")
    assert resp.status_code == 200
    header = resp.headers.get("Strict-Transport-Security")
    assert (header == "max-age=31536000; includeSubDomains") if sent else header is None


def test_a_proxy_not_counted_in_proxy_hops_is_reported_once_in_the_log(
    settings: Settings, connection: Connection, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind a proxy with PROXY_HOPS left at 0, every person signs in from the proxy's address:
    one person's failures throttle everyone. Nothing said so."""

    def app_with(hops: int) -> Flask:
        return create_app(
            settings.with_overrides(proxy_hops=hops),
            session_maker=lambda _w: savepoint_session(connection),
        )

    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    unread = app_with(0).test_client()
    with caplog.at_level("WARNING"):
        unread.get("/sign-in")  # no proxy in front: nothing to say
        assert caplog.records == []
        for _ in range(3):
            unread.get("/sign-in", headers=forwarded)
        assert [r.getMessage() for r in caplog.records] == [PROXY_NOT_COUNTED]
        caplog.clear()
        app_with(1).test_client().get("/sign-in", headers=forwarded)
        assert caplog.records == []


@pytest.mark.parametrize(
    "forwarded", ["x" * 100, "not an address", "fe80::1%" + "e" * 80, "203.0.113.7"]
)
def test_a_forwarded_address_that_is_not_one_is_kept_as_none(
    settings: Settings, connection: Connection, session: Session, forwarded: str
) -> None:
    """Behind a trusted proxy the client's address is read from X-Forwarded-For, which a client
    may write more of: 100 characters there stopped a sign-in on PostgreSQL (its column holds
    64). Only an IP address short enough to keep is kept."""
    make_user(session, "licensing_officer", email="lo@example.gov.uk")
    session.commit()
    client = create_app(
        settings.with_overrides(proxy_hops=1),
        session_maker=lambda _w: savepoint_session(connection),
    ).test_client()
    headers = {"X-Forwarded-For": forwarded}
    page = client.get("/sign-in", headers=headers)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    assert token is not None
    answer = client.post(
        "/sign-in",
        data={
            "csrf_token": token.group(1),
            "email": "lo@example.gov.uk",
            "password": "wrong-one-1",
        },
        headers=headers,
    )
    assert answer.status_code == 401 and "The email address or password" in answer.get_data(
        as_text=True
    )
    kept = session.scalars(select(SignInAttempt.ip_address).order_by(SignInAttempt.id)).all()
    assert kept == ([forwarded] if forwarded == "203.0.113.7" else [None])
