"""The second factor: RFC 6238 codes, enrolment, replay, recovery codes, throttling, reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import NOW, make_user
from conftest import TEST_SECRET, upgrade
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from enforcement.accounts import totp, users
from enforcement.accounts.throttle import ThrottleRules
from enforcement.db import make_engine
from enforcement.errors import AccountLocked, DomainError, Forbidden
from enforcement.models import AuditEvent, RecoveryCode, SecondFactor, SignInAttempt, User
from enforcement.vocab import Role

RULES = ThrottleRules(account_free_failures=3, address_free_failures=50)
IP = "192.0.2.7"
# RFC 6238 appendix B's SHA-1 key, "12345678901234567890", in base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
KEY = bytes(range(32))


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_codes_match_the_rfc_6238_test_vectors(unix_time: int, eight_digits: str) -> None:
    # The RFC prints 8 digits; apps show the last 6 of the same number.
    moment = datetime.fromtimestamp(unix_time, UTC)
    assert totp.code_at(RFC_SECRET, moment) == eight_digits[-6:]


def test_the_provisioning_uri_is_what_authenticator_apps_read() -> None:
    uri = totp.provisioning_uri("ABCDEF", "a.b@example.gov.uk", "Licensing enforcement")
    assert uri.startswith("otpauth://totp/Licensing%20enforcement:a.b@example.gov.uk?")
    assert "secret=ABCDEF" in uri and "issuer=Licensing%20enforcement" in uri
    assert "digits=6" in uri and "period=30" in uri


def test_which_roles_need_a_second_factor() -> None:
    needing = set(totp.roles_needing_second_factor())
    # Intelligence, welfare content, exempt papers, the audit trail, and administrators.
    assert {Role.INTEL_ANALYST, Role.WARD_OFFICER, Role.COMMITTEE_CLERK, Role.SUPERVISOR} <= needing
    assert Role.ADMIN in needing


def enrolled(session: Session, at: datetime = NOW) -> tuple[User, str, list[str]]:
    user = make_user(session, "intel_analyst", email=f"analyst{at.timestamp()}@example.gov.uk")
    secret = totp.begin_enrolment(session, user, at, key=KEY)
    codes = totp.confirm_enrolment(
        session, at, user, totp.code_at(secret, at), ip_address=IP, rules=RULES, key=KEY
    )
    return user, secret, codes


def test_enrolment_confirms_with_a_code_and_gives_ten_hashed_recovery_codes(
    session: Session,
) -> None:
    user = make_user(session, "intel_analyst")
    assert totp.needs_second_factor(session, user, required=True)
    assert not totp.needs_second_factor(session, user, required=False)
    secret = totp.begin_enrolment(session, user, NOW, key=KEY)
    assert totp.enrolment_secret(session, user.id, key=KEY) == secret
    # Stored sealed: the row does not hold the secret, and another key cannot open it.
    stored = session.scalars(select(SecondFactor.secret)).one()
    assert secret not in stored
    with pytest.raises(DomainError):
        totp.enrolment_secret(session, user.id, key=bytes(32))
    with pytest.raises(totp.InvalidCode):
        totp.confirm_enrolment(session, NOW, user, "000000", ip_address=IP, rules=RULES, key=KEY)
    codes = totp.confirm_enrolment(
        session, NOW, user, totp.code_at(secret, NOW), ip_address=IP, rules=RULES, key=KEY
    )
    assert len(codes) == len(set(codes)) == 10
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    # Once confirmed the secret is never shown again, and the factor is asked for even when
    # the setting is off.
    assert totp.enrolment_secret(session, user.id, key=KEY) is None
    assert totp.needs_second_factor(session, user, required=False)
    assert (
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_id == str(user.id))
            .order_by(AuditEvent.id)
        ).all()[-1]
        == "second_factor.enrol"
    )


def test_a_code_is_accepted_once_within_its_window(session: Session) -> None:
    user, secret, _ = enrolled(session)
    later = NOW + timedelta(minutes=2)
    code = totp.code_at(secret, later)
    assert totp.verify(session, later, user, code, ip_address=IP, rules=RULES, key=KEY).how
    with pytest.raises(totp.InvalidCode):  # the same code again: a replay
        totp.verify(
            session, later + timedelta(seconds=5), user, code, ip_address=IP, rules=RULES, key=KEY
        )
    # A code from the previous step is still fine (clock drift) if newer than the last used.
    fresh = later + timedelta(seconds=60)
    previous = totp.code_at(secret, fresh - timedelta(seconds=30))
    assert totp.verify(session, fresh, user, previous, ip_address=IP, rules=RULES, key=KEY)
    too_old = totp.code_at(secret, fresh - timedelta(minutes=5))
    with pytest.raises(totp.InvalidCode):
        totp.verify(
            session,
            fresh + timedelta(seconds=1),
            user,
            too_old,
            ip_address=IP,
            rules=RULES,
            key=KEY,
        )


@pytest.mark.parametrize(
    "digits", ["\u0661\u0662\u0663\u0664\u0665\u0666", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_a_code_in_other_scripts_digits_is_a_wrong_code_and_counts_as_one(
    session: Session, digits: str
) -> None:
    """Arabic-Indic or full-width digits pass str.isdigit() but are never a code: the attempt
    fails as a wrong code does, and is counted towards throttling."""
    user, _, _ = enrolled(session)
    later = NOW + timedelta(minutes=1)
    with pytest.raises(totp.InvalidCode):
        totp.verify(session, later, user, digits, ip_address=IP, rules=RULES, key=KEY)
    assert totp.matching_step("JBSWY3DPEHPK3PXP", digits, later, None) is None
    failed = session.scalars(
        select(SignInAttempt.stage).where(
            SignInAttempt.email == user.email, SignInAttempt.succeeded.is_(False)
        )
    ).all()
    assert len(failed) == 1


def test_a_recovery_code_works_once_and_its_use_is_audited(session: Session) -> None:
    user, _, codes = enrolled(session)
    later = NOW + timedelta(minutes=1)
    passed = totp.verify(
        session, later, user, codes[3].upper(), ip_address=IP, rules=RULES, key=KEY
    )
    assert passed.how == "a recovery code" and passed.recovery_codes_left == 9
    with pytest.raises(totp.InvalidCode):
        totp.verify(
            session,
            later + timedelta(seconds=9),
            user,
            codes[3],
            ip_address=IP,
            rules=RULES,
            key=KEY,
        )
    trail = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "second_factor.recovery_code_used")
    ).one()
    assert trail.entity_id == str(user.id) and codes[3] not in (trail.summary or "")


def test_wrong_codes_are_throttled_like_passwords(session: Session) -> None:
    user, _, _ = enrolled(session)
    later = NOW + timedelta(minutes=1)
    for i in range(3):
        with pytest.raises(totp.InvalidCode):
            totp.verify(
                session,
                later + timedelta(seconds=i),
                user,
                "123456",
                ip_address=IP,
                rules=RULES,
                key=KEY,
            )
    with pytest.raises(AccountLocked):
        totp.verify(
            session,
            later + timedelta(seconds=2.5),
            user,
            "123456",
            ip_address=IP,
            rules=RULES,
            key=KEY,
        )


def test_an_admin_resets_a_second_factor_signing_the_user_out(session: Session) -> None:
    admin = users.actor_for(make_user(session, "admin"))
    user, _, _ = enrolled(session)
    token = users.start_session(session, user, NOW, IP)
    with pytest.raises(Forbidden):
        totp.reset(session, users.actor_for(user), NOW, user.id)
    totp.reset(session, admin, NOW, user.id)
    assert session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id)) is None
    assert session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    assert users.live_session(session, token, NOW, max_age=timedelta(hours=1)) is None
    assert session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "second_factor.reset")
    ).one()


def test_a_session_awaiting_the_second_factor_is_not_a_sign_in(session: Session) -> None:
    user, _, _ = enrolled(session)
    token = users.start_session(session, user, NOW, IP, awaiting_second_factor=True)
    assert users.live_session(session, token, NOW, max_age=timedelta(hours=1)) is None
    found = users.pending_session(session, token, NOW, max_age=timedelta(minutes=10))
    assert found is not None
    users.complete_session(session, found[0], user, NOW, "an authenticator code")
    assert users.live_session(session, token, NOW, max_age=timedelta(hours=1)) is not None
    assert found[0].second_factor_at == NOW


def test_the_command_line_resets_a_second_factor(tmp_path: Path) -> None:
    """The last administrator who lost their phone and codes has a way back, audited."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    eng = make_engine(url)
    upgrade(eng)
    app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, testing=True))
    with Session(eng) as s:
        user = make_user(s, "admin", email="only-admin@example.gov.uk")
        totp.begin_enrolment(s, user, NOW, key=KEY)
        s.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-second-factor", "Only-Admin@example.gov.uk"])
    assert result.exit_code == 0, result.output
    assert "will set up a new authenticator app" in result.output
    with Session(eng) as s:
        assert s.scalars(select(SecondFactor)).all() == []
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "second_factor.reset")
        ).one()
        assert event.actor_label == "command line"
    missing = runner.invoke(args=["users", "reset-second-factor", "nobody@example.gov.uk"])
    assert missing.exit_code != 0 and "There is no user" in missing.output
    eng.dispose()


def test_a_sealed_secret_opens_only_for_its_own_user() -> None:
    sealed = totp.seal(KEY, 1, RFC_SECRET)
    assert totp.unseal(KEY, 1, sealed) == RFC_SECRET
    with pytest.raises(DomainError):
        totp.unseal(KEY, 2, sealed)  # copied onto another user's row
