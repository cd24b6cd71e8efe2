"""Signing in and out through the real pages: messages, throttling, idle expiry, revocation."""

from __future__ import annotations

import io
import time

import pytest
from builders import PASSWORD, csrf_token, make_user, post, sign_in
from conftest import savepoint_session
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app import PUBLIC_ENDPOINTS, create_app
from app.offline import is_api_endpoint
from config import Settings
from enforcement.models import AuditEvent, UserSession


@pytest.fixture
def officer_email(session: Session) -> str:
    user = make_user(session, "licensing_officer", email="officer@example.gov.uk")
    session.commit()
    return user.email


def test_every_route_needs_sign_in_unless_listed_public(app: Flask, client: FlaskClient) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = (
                url.replace(f"<id:{arg}>", "1")
                .replace(f"<int:{arg}>", "1")
                .replace(f"<path:{arg}>", "x")
                .replace(f"<{arg}>", "x")
            )
        url = url.replace("<any(withdraw, reinstate):action>", "withdraw").replace(
            "<any(deactivate, reactivate):action>", "deactivate"
        )
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            resp = client.open(url, method=method)
            if is_api_endpoint(rule.endpoint):
                # The offline API answers a device in JSON: 401, never a redirect to a page.
                assert (resp.status_code, resp.get_json()) == (401, {"status": "signed_out"})
                checked += 1
                continue
            assert resp.status_code in (302, 400), f"{method} {url} answered {resp.status_code}"
            if resp.status_code == 302:
                assert "/sign-in" in resp.headers["Location"], (
                    f"{method} {url} did not go to sign-in"
                )
            checked += 1
    assert checked >= 15


def test_wrong_password_message_does_not_say_which_part(
    client: FlaskClient, officer_email: str
) -> None:
    wrong_pw = sign_in(client, officer_email, "wrong password here")
    no_user = sign_in(client, "nobody@example.gov.uk", PASSWORD)
    assert wrong_pw.status_code == no_user.status_code == 401
    message = "The email address or password is not correct."
    assert message in wrong_pw.get_data(as_text=True) and message in no_user.get_data(as_text=True)
    assert 'value="officer@example.gov.uk"' in wrong_pw.get_data(
        as_text=True
    )  # what was typed is kept


def test_sign_in_then_out_and_a_copied_cookie_stops_working(
    app: Flask, client: FlaskClient, officer_email: str, session: Session
) -> None:
    resp = sign_in(client, officer_email)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get("/premises").status_code == 200
    cookie = client.get_cookie("tracker_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    copy = app.test_client()
    copy.set_cookie("tracker_session", cookie.value)
    assert copy.get("/premises").status_code == 200
    out = post(client, "/sign-out", {})
    assert out.status_code == 302 and out.headers["Location"] == "/sign-in"
    assert copy.get("/premises").status_code == 302  # the server-side session is revoked
    assert session.scalars(select(UserSession)).one().revoked_at is not None
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"session.sign_in", "session.sign_out"} <= actions


def test_throttled_after_five_failures(
    settings: Settings, connection: Connection, officer_email: str
) -> None:
    # A minute's first delay, so a slow machine cannot let the sixth attempt through.
    client = create_app(
        settings.with_overrides(login_delay_base_seconds=60),
        session_maker=lambda _for_write: savepoint_session(connection),
    ).test_client()
    for _ in range(5):
        assert sign_in(client, officer_email, "not it at all").status_code == 401
    locked = sign_in(client, officer_email)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert "Wait 1 minute" in locked.get_data(as_text=True)


def test_idle_session_expires(app: Flask, client: FlaskClient, officer_email: str) -> None:
    sign_in(client, officer_email)
    with client.session_transaction() as s:
        s["seen"] = time.time() - 31 * 60
    resp = client.get("/premises")
    assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not used the service for a while" in page


def test_last_seen_is_renewed_once_a_minute_not_with_every_page(
    client: FlaskClient, officer_email: str
) -> None:
    sign_in(client, officer_email)
    client.get("/premises")  # the first page after signing in keeps its form token in the cookie
    with client.session_transaction() as s:
        s["seen"] = time.time() - 10
    quiet = client.get("/premises")
    assert quiet.status_code == 200 and "Set-Cookie" not in quiet.headers
    long_ago = time.time() - 29 * 60  # still within the 30 idle minutes
    with client.session_transaction() as s:
        s["seen"] = long_ago
    renewed = client.get("/premises")
    assert renewed.status_code == 200 and "Set-Cookie" in renewed.headers
    with client.session_transaction() as s:
        assert s["seen"] > long_ago + 28 * 60


def test_forms_without_csrf_token_are_refused(client: FlaskClient, officer_email: str) -> None:
    resp = client.post("/sign-in", data={"email": officer_email, "password": PASSWORD})
    assert resp.status_code == 400
    assert "nothing was saved" in resp.get_data(as_text=True)


def test_next_parameter_cannot_send_people_off_site(
    client: FlaskClient, officer_email: str
) -> None:
    token = csrf_token(client)
    resp = client.post(
        "/sign-in?next=https://evil.example/",
        data={"email": officer_email, "password": PASSWORD, "csrf_token": token},
    )
    assert resp.headers["Location"] == "/"


def test_temporary_password_must_be_changed_first(client: FlaskClient, session: Session) -> None:
    from builders import NOW, SYSTEM

    from enforcement.accounts import users

    admin = users.actor_for(make_user(session, "admin"))
    user = make_user(session, email="temp@example.gov.uk")
    users.reset_password(session, admin, NOW, user.id, "temporary-pass-123")
    del SYSTEM
    session.commit()
    sign_in(client, "temp@example.gov.uk", "temporary-pass-123")
    resp = client.get("/premises")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"
    bad = post(
        client,
        "/account/password",
        {"current_password": "temporary-pass-123", "new_password": "short"},
        page="/account/password",
    )
    assert bad.status_code == 400 and "at least 12 characters" in bad.get_data(as_text=True)
    ok = post(
        client,
        "/account/password",
        {"current_password": "temporary-pass-123", "new_password": "a much better passphrase"},
        page="/account/password",
    )
    assert ok.status_code == 302
    assert client.get("/premises").status_code == 200


def test_changing_your_own_password_signs_out_your_other_sessions(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    """Another device, or a copied cookie, held its session with the old password."""
    make_user(session, email="two@example.gov.uk")
    session.commit()
    other = app.test_client()
    for each in (client, other):
        assert sign_in(each, "two@example.gov.uk").status_code == 302
        assert each.get("/premises").status_code == 200
    changed = post(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "a much better passphrase"},
        page="/account/password",
    )
    assert changed.status_code == 302
    assert client.get("/premises").status_code == 200  # the session that changed it stays
    gone = other.get("/premises")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/sign-in")
    trail = session.scalars(
        select(AuditEvent.summary).where(AuditEvent.action == "user.change_password")
    ).one()
    assert trail == "Changed own password and signed out 1 other session"


def test_a_form_field_sent_as_a_file_or_as_json_is_refused_with_a_message(
    client: FlaskClient, session: Session
) -> None:
    """Flask-WTF reads uploaded files and JSON bodies into a form's data: a text field given
    either is refused (400) before anything reads it, on the sign-in page as on any other."""
    make_user(session, email="three@example.gov.uk")
    session.commit()
    token = csrf_token(client, "/sign-in")
    as_file = client.post(
        "/sign-in",
        data={
            "csrf_token": token,
            "email": (io.BytesIO(b"three@example.gov.uk"), "a.txt"),
            "password": PASSWORD,
        },
    )
    # Refused on the field: its own "Enter ..." message, as a required field left empty has.
    assert as_file.status_code == 400
    assert '<a href="#email">Enter your email address</a>' in as_file.get_data(as_text=True)
    for junk in (5, True, 1.5, {"a": 1}):
        as_json = client.post(
            "/sign-in",
            json={"csrf_token": token, "email": junk, "password": PASSWORD},
            headers={"X-CSRFToken": token},
        )
        assert as_json.status_code == 400, junk
    assert client.get("/premises").status_code == 302  # still signed out
