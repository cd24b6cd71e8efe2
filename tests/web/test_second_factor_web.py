"""The second factor through the real pages, with REQUIRE_SECOND_FACTOR on."""

from __future__ import annotations

import re

import pytest
from builders import PASSWORD, csrf_token, make_user, post, sign_in
from conftest import savepoint_session
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from enforcement.accounts import totp
from enforcement.clock import utcnow
from enforcement.models import AuditEvent, SecondFactor, UserSession

SECRET_RE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
CODES_RE = re.compile(r"<code>([a-z2-9-]{19})</code>")


@pytest.fixture
def strict(settings: Settings, connection: Connection) -> FlaskClient:
    """A client of the app with the second factor required, as in production."""
    app = create_app(
        # A long first delay, so a slow machine cannot let a throttled attempt through.
        settings.with_overrides(require_second_factor=True, login_delay_base_seconds=60),
        session_maker=lambda _for_write: savepoint_session(connection),
    )
    return app.test_client()


def send_code(client: FlaskClient, path: str, code: str) -> object:
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def enrol(client: FlaskClient, email: str) -> tuple[str, str, list[str]]:
    """Sign in for the first time and set up the app; return its key, the code used, and the
    recovery codes shown."""
    resp = sign_in(client, email)
    assert resp.status_code == 302 and resp.headers["Location"] == "/sign-in/set-up-code"
    page = client.get("/sign-in/set-up-code").get_data(as_text=True)
    found = SECRET_RE.search(page)
    assert found, "the key is shown as text"
    secret = found.group(1).replace(" ", "")
    assert "otpauth://totp/" in page and f"secret={secret}" in page
    assert '<img src="data:image/svg+xml' in page  # the QR code, drawn on the server
    code = totp.code_at(secret, utcnow())
    done = send_code(client, "/sign-in/set-up-code", code)
    assert done.status_code == 200  # type: ignore[attr-defined]
    codes = CODES_RE.findall(done.get_data(as_text=True))  # type: ignore[attr-defined]
    return secret, code, codes


def test_a_user_who_needs_a_second_factor_enrols_after_the_password(
    strict: FlaskClient, session: Session
) -> None:
    user = make_user(session, "intel_analyst", email="analyst@example.gov.uk")
    session.commit()
    sign_in(strict, user.email)
    # Between password and code nothing else opens.
    assert strict.get("/premises").headers["Location"].startswith("/sign-in")
    wrong = send_code(strict, "/sign-in/set-up-code", "000000")
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    assert "The code is not correct" in wrong.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'value="000000"' in wrong.get_data(as_text=True)  # type: ignore[attr-defined]


def test_enrolment_then_a_full_session_and_ten_recovery_codes(
    strict: FlaskClient, session: Session
) -> None:
    user = make_user(session, "supervisor", email="lead@example.gov.uk")
    session.commit()
    _, _, codes = enrol(strict, user.email)
    assert len(codes) == 10
    assert strict.get("/premises").status_code == 200
    row = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert not row.awaiting_second_factor and row.second_factor_at is not None
    # The key is never shown again, and is stored only for checking codes.
    assert strict.get("/sign-in/set-up-code").status_code == 302
    assert all(c not in str(session.scalars(select(SecondFactor.secret)).all()) for c in codes)
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"second_factor.enrol", "session.sign_in"} <= actions


def test_a_user_with_a_factor_gives_a_code_and_a_code_cannot_be_replayed(
    strict: FlaskClient, session: Session
) -> None:
    user = make_user(session, "committee_clerk", email="clerk@example.gov.uk")
    session.commit()
    _, used, codes = enrol(strict, user.email)
    post(strict, "/sign-out", {})
    resp = sign_in(strict, user.email)
    assert resp.status_code == 302 and resp.headers["Location"] == "/sign-in/code"
    assert strict.get("/premises").status_code == 302
    # The code used at enrolment, still inside its window, is refused: it was used already.
    replay = send_code(strict, "/sign-in/code", used)
    assert replay.status_code == 401  # type: ignore[attr-defined]
    ok = send_code(strict, "/sign-in/code", codes[0])
    assert ok.status_code == 302  # type: ignore[attr-defined]
    assert strict.get("/premises").status_code == 200
    assert "second_factor.recovery_code_used" in set(session.scalars(select(AuditEvent.action)))
    post(strict, "/sign-out", {})
    sign_in(strict, user.email)
    again = send_code(strict, "/sign-in/code", codes[0])
    assert again.status_code == 401  # type: ignore[attr-defined]


def test_an_enrolled_user_is_asked_for_a_code_even_with_the_setting_off(
    strict: FlaskClient, client: FlaskClient, session: Session
) -> None:
    user = make_user(session, "admin", email="admin2@example.gov.uk")
    session.commit()
    enrol(strict, user.email)
    resp = sign_in(client, user.email)
    assert resp.headers["Location"] == "/sign-in/code"


def test_wrong_codes_are_throttled(strict: FlaskClient, session: Session) -> None:
    user = make_user(session, "ward_officer", email="dwo@example.gov.uk")
    session.commit()
    enrol(strict, user.email)
    post(strict, "/sign-out", {})
    sign_in(strict, user.email)
    for _ in range(5):
        assert send_code(strict, "/sign-in/code", "999999").status_code == 401  # type: ignore[attr-defined]
    slowed = send_code(strict, "/sign-in/code", "999999")
    assert slowed.status_code == 429  # type: ignore[attr-defined]
    assert "Too many failed attempts" in slowed.get_data(as_text=True)  # type: ignore[attr-defined]


def test_an_admin_resets_a_second_factor(strict: FlaskClient, session: Session) -> None:
    admin = make_user(session, "admin", email="root@example.gov.uk")
    user = make_user(session, "intel_analyst", email="lost-phone@example.gov.uk")
    admin_id, user_id = admin.id, user.id
    session.commit()
    enrol(strict, user.email)
    post(strict, "/sign-out", {})
    enrol(strict, admin.email)
    page = strict.get(f"/admin/users/{user_id}/second-factor").get_data(as_text=True)
    assert "Set up on" in page and "10 of 10" in page
    done = post(
        strict,
        f"/admin/users/{user_id}/second-factor",
        {},
        page=f"/admin/users/{user_id}/second-factor",
    )
    assert done.status_code == 302
    assert session.scalar(select(SecondFactor).where(SecondFactor.user_id == user_id)) is None
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "second_factor.reset")
    ).one()
    assert event.entity_id == str(user_id) and event.actor_id == admin_id
    # The user's next sign-in sets up a new app.
    post(strict, "/sign-out", {})
    assert sign_in(strict, user.email).headers["Location"] == "/sign-in/set-up-code"


def test_second_factor_pages_without_a_password_go_to_sign_in(strict: FlaskClient) -> None:
    for path in ("/sign-in/code", "/sign-in/set-up-code"):
        assert strict.get(path).headers["Location"] == "/sign-in"
        resp = strict.post(path, data={"code": "123456"})
        assert resp.status_code in (302, 400)


def test_the_password_still_comes_first(strict: FlaskClient, session: Session) -> None:
    make_user(session, "intel_analyst", email="first@example.gov.uk")
    session.commit()
    assert sign_in(strict, "first@example.gov.uk", "not the password").status_code == 401
    assert sign_in(strict, "first@example.gov.uk", PASSWORD).status_code == 302
