"""Users, passwords, throttling and server-side sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from builders import NOW, PASSWORD, SYSTEM, make_org, make_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import CHEAP_HASHING

from enforcement.accounts import users
from enforcement.accounts.throttle import ThrottleRules
from enforcement.errors import AccountLocked, Forbidden, StaleEdit, ValidationFailed
from enforcement.models import AuditEvent, User

RULES = ThrottleRules(account_free_failures=3, address_free_failures=50)


def auth(
    session: Session, email: str, password: str, at: object = NOW, ip: str = "127.0.0.1"
) -> User:
    return users.authenticate(session, at, email, password, ip_address=ip, rules=RULES)  # type: ignore[arg-type]


@pytest.fixture
def production_hashing() -> Iterator[None]:
    """Hash at the production cost for one test, then back to the suite's cheap cost."""
    users.configure_password_hashing(users.PRODUCTION_COST)
    yield
    users.configure_password_hashing(CHEAP_HASHING)


def test_password_is_hashed_with_argon2_and_verifies(
    session: Session, production_hashing: None
) -> None:
    user = make_user(session, email="a@example.gov.uk")
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in user.password_hash
    assert auth(session, "A@Example.gov.uk ", PASSWORD).id == user.id


def test_a_cheaper_hash_is_upgraded_to_the_configured_cost_at_sign_in(
    session: Session, production_hashing: None
) -> None:
    user = make_user(session, email="cheap@example.gov.uk")
    user.password_hash = CHEAP_HASHING.hasher().hash(PASSWORD)
    assert "m=1024,t=1,p=1" in user.password_hash
    auth(session, "cheap@example.gov.uk", PASSWORD)
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_the_suite_hashes_cheaply_outside_the_hashing_tests(session: Session) -> None:
    assert "m=1024,t=1,p=1" in users.hash_password(PASSWORD)


def test_wrong_password_and_unknown_address_get_the_same_message(session: Session) -> None:
    make_user(session, email="b@example.gov.uk")
    with pytest.raises(users.InvalidCredentials) as wrong_pw:
        auth(session, "b@example.gov.uk", "not the password")
    with pytest.raises(users.InvalidCredentials) as no_user:
        auth(session, "nobody@example.gov.uk", PASSWORD)
    assert wrong_pw.value.message == no_user.value.message


def test_throttled_after_repeated_failures_even_with_the_right_password(session: Session) -> None:
    make_user(session, email="c@example.gov.uk")
    for i in range(3):
        with pytest.raises(users.InvalidCredentials):
            auth(session, "c@example.gov.uk", "guess", NOW + timedelta(seconds=i))
    # Three failures are free; the next attempt waits a second after the last failure.
    with pytest.raises(AccountLocked) as locked:
        auth(session, "c@example.gov.uk", PASSWORD, NOW + timedelta(seconds=2.5))
    assert "Wait 1 second" in locked.value.message
    # Once the delay has passed the right password works: nobody is shut out for minutes.
    assert (
        auth(session, "c@example.gov.uk", PASSWORD, NOW + timedelta(seconds=3)).email
        == "c@example.gov.uk"
    )


def test_deactivated_user_cannot_sign_in_and_sessions_are_revoked(session: Session) -> None:
    admin = users.actor_for(make_user(session, "admin"))
    user = make_user(session, email="d@example.gov.uk")
    token = users.start_session(session, user, NOW, None)
    assert users.live_session(session, token, NOW, max_age=timedelta(hours=12)) is not None
    users.set_active(session, admin, NOW, user.id, False)
    assert users.live_session(session, token, NOW, max_age=timedelta(hours=12)) is None
    with pytest.raises(users.InvalidCredentials):
        auth(session, "d@example.gov.uk", PASSWORD)


def test_a_live_session_brings_the_users_roles_wards_and_organisation(session: Session) -> None:
    org = make_org(session)
    user = make_user(
        session,
        "ward_officer",
        "intel_analyst",
        email="e@example.gov.uk",
        org=org,
        wards_=frozenset({"E05013733", "E05013734", "E05013735"}),
        display_name="Eve Example",
    )
    token = users.start_session(session, user, NOW, "10.0.0.9")
    found = users.live_session(session, token, NOW, max_age=timedelta(hours=12))
    # One row per (role, ward) pair comes back: two roles and three wards are still two and three.
    assert found == users.SignedIn(
        user_id=user.id,
        email="e@example.gov.uk",
        display_name="Eve Example",
        organisation_id=org.id,
        must_change_password=False,
        roles=frozenset({"ward_officer", "intel_analyst"}),
        ward_codes=frozenset({"E05013733", "E05013734", "E05013735"}),
    )
    assert found.actor("10.0.0.9") == users.actor_for(user, "10.0.0.9")
    # Too old, and owed a second factor: neither is a live session.
    assert (
        users.live_session(session, token, NOW + timedelta(hours=13), max_age=timedelta(hours=12))
        is None
    )
    pending = users.start_session(session, user, NOW, None, awaiting_second_factor=True)
    assert users.live_session(session, pending, NOW, max_age=timedelta(hours=12)) is None


def test_sign_out_revokes_the_session(session: Session) -> None:
    user = make_user(session)
    token = users.start_session(session, user, NOW, None)
    users.end_session(session, token, NOW, users.actor_for(user))
    assert users.live_session(session, token, NOW, max_age=timedelta(hours=12)) is None


def test_reset_password_forces_a_change_and_audits_without_the_password(session: Session) -> None:
    admin = users.actor_for(make_user(session, "admin"))
    user = make_user(session, email="e@example.gov.uk")
    users.reset_password(session, admin, NOW, user.id, "temporary-password-1")
    assert user.must_change_password
    assert auth(session, "e@example.gov.uk", "temporary-password-1").id == user.id
    trail = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.reset_password")
    ).one()
    assert "temporary-password-1" not in (trail.after_json or "") + (trail.before_json or "")


def test_new_reset_and_changed_passwords_may_not_be_the_owners_own_names(
    session: Session,
) -> None:
    admin = users.actor_for(make_user(session, "admin"))
    org = make_org(session)
    data = users.UserInput(
        "robin.okafor@example.gov.uk", "Robin Okafor", org.id, frozenset({"admin"}), frozenset()
    )
    with pytest.raises(ValidationFailed) as refused:
        users.create_user(session, admin, NOW, data, password="RobinOkafor2026!")
    assert "account holder's name or email address" in refused.value.errors["password"]
    assert (
        session.scalar(select(func.count()).select_from(User).where(User.email == data.email)) == 0
    )
    robin = users.create_user(session, admin, NOW, data, password=PASSWORD)
    with pytest.raises(ValidationFailed) as refused:
        users.reset_password(session, admin, NOW, robin.id, "okafor-robin-7788")
    assert "account holder's name or email address" in refused.value.errors["password"]
    with pytest.raises(ValidationFailed) as refused:
        users.change_own_password(session, users.actor_for(robin), NOW, PASSWORD, "R0bin#0kafor99")
    assert "account holder's name or email address" in refused.value.errors["new_password"]
    assert auth(session, data.email, PASSWORD).id == robin.id  # still the first password


def test_only_admins_manage_users(session: Session) -> None:
    officer = users.actor_for(make_user(session, "licensing_officer", "supervisor"))
    org = make_org(session)
    with pytest.raises(Forbidden):
        users.create_user(
            session,
            officer,
            NOW,
            users.UserInput("x@example.gov.uk", "X", org.id, frozenset({"admin"}), frozenset()),
            password=PASSWORD,
        )


def test_roles_combine_and_update_bumps_version(session: Session) -> None:
    admin = users.actor_for(make_user(session, "admin"))
    user = make_user(session, "ward_officer", wards_=frozenset({"E05999901"}))
    v = user.version
    users.update_user(
        session,
        admin,
        NOW,
        user.id,
        v,
        users.UserInput(
            user.email,
            "Renamed",
            user.organisation_id,
            frozenset({"ward_officer", "intel_analyst"}),
            frozenset({"E05999901", "E05999902"}),
        ),
    )
    assert user.roles == {"ward_officer", "intel_analyst"}
    assert user.ward_codes == {"E05999901", "E05999902"}
    assert user.version > v
    with pytest.raises(StaleEdit):
        users.update_user(
            session,
            admin,
            NOW,
            user.id,
            v,
            users.UserInput(
                user.email, "Again", user.organisation_id, frozenset({"ward_officer"}), frozenset()
            ),
        )


def test_user_validation_reports_each_field(session: Session) -> None:
    make_user(session, email="taken@example.gov.uk")
    with pytest.raises(ValidationFailed) as err:
        users.create_user(
            session,
            SYSTEM,
            NOW,
            users.UserInput("taken@example.gov.uk", "", 999999, frozenset({"wizard"}), frozenset()),
            password="short",
        )
    assert set(err.value.errors) == {"email", "display_name", "organisation_id", "roles"}
    assert session.scalar(select(func.count()).select_from(User)) == 1
