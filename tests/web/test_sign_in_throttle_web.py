"""Sign-in throttling through the real page: per address, the owner's way in, the owner's mail."""

from __future__ import annotations

import pytest
from builders import PASSWORD, csrf_token, make_user
from conftest import savepoint_session
from flask.testing import FlaskClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from enforcement.models import OutboxMail, SignInAttempt

ATTACKER = "203.0.113.50"
OWNER = "198.51.100.7"


@pytest.fixture
def clients(settings: Settings, connection: Connection) -> tuple[FlaskClient, FlaskClient]:
    """Two browsers at two addresses: a stranger's and the account owner's."""
    app = create_app(
        # A minute's first delay, so a slow machine cannot let a throttled attempt through.
        settings.with_overrides(
            login_max_failures=3, login_ip_max_failures=4, login_delay_base_seconds=60
        ),
        session_maker=lambda _for_write: savepoint_session(connection),
    )
    stranger, owner = app.test_client(), app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = ATTACKER
    owner.environ_base["REMOTE_ADDR"] = OWNER
    return stranger, owner


def attempt(client: FlaskClient, email: str, password: str) -> object:
    token = csrf_token(client)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def test_many_failures_from_one_address_are_throttled_across_accounts(
    clients: tuple[FlaskClient, FlaskClient], session: Session
) -> None:
    stranger, owner = clients
    for n in range(5):
        make_user(session, email=f"person{n}@example.gov.uk")
    session.commit()
    for n in range(4):  # one guess at each of four accounts: no account reaches its limit
        assert attempt(stranger, f"person{n}@example.gov.uk", "guess").status_code == 401  # type: ignore[attr-defined]
    held = attempt(stranger, "person4@example.gov.uk", PASSWORD)
    assert held.status_code == 429  # type: ignore[attr-defined]
    assert "Wait 1 minute" in held.get_data(as_text=True)  # type: ignore[attr-defined]
    # The same account from another address is not held back.
    assert attempt(owner, "person4@example.gov.uk", PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_a_stranger_guessing_does_not_stop_the_owner(
    clients: tuple[FlaskClient, FlaskClient], session: Session
) -> None:
    stranger, owner = clients
    user = make_user(session, email="owner@example.gov.uk")
    session.commit()
    for _ in range(3):
        assert attempt(stranger, user.email, "guess").status_code == 401  # type: ignore[attr-defined]
    for _ in range(5):  # the stranger keeps trying: every attempt is refused unchecked
        assert attempt(stranger, user.email, PASSWORD).status_code == 429  # type: ignore[attr-defined]
    throttled = session.scalars(
        select(SignInAttempt).where(SignInAttempt.throttled.is_(True))
    ).all()
    assert len(throttled) == 5
    # The owner, from their own address, signs in as usual.
    resp = attempt(owner, user.email, PASSWORD)
    assert resp.status_code == 302 and owner.get("/premises").status_code == 200  # type: ignore[attr-defined]


def test_the_owner_gets_one_mail_per_episode(
    clients: tuple[FlaskClient, FlaskClient], session: Session
) -> None:
    stranger, _owner = clients
    user = make_user(session, email="told@example.gov.uk")
    session.commit()
    for _ in range(3):
        attempt(stranger, user.email, "Tr0ub4dor&3-guess")
    for _ in range(3):
        attempt(stranger, user.email, "Tr0ub4dor&3-guess")  # refused while it waits
    sent = session.scalars(select(OutboxMail).where(OutboxMail.recipient == user.email)).all()
    assert len(sent) == 1
    assert "3 attempts" in sent[0].text_body and "from 1 internet address" in sent[0].text_body
    assert "Tr0ub4dor&3-guess" not in sent[0].text_body + sent[0].html_body


def test_behind_a_proxy_each_client_is_its_own_address(
    settings: Settings, connection: Connection, session: Session
) -> None:
    app = create_app(
        settings.with_overrides(proxy_hops=1),
        session_maker=lambda _for_write: savepoint_session(connection),
    )
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the proxy
    client.environ_base["HTTP_X_FORWARDED_FOR"] = ATTACKER
    attempt(client, "nobody@example.gov.uk", "guess")
    recorded = session.scalars(select(SignInAttempt.ip_address)).all()
    assert recorded == [ATTACKER]
