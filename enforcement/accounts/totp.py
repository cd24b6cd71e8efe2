"""The second factor: time-based one-time codes (RFC 6238) and one-time recovery codes."""

# The secret is stored sealed with AES-GCM under a key the caller passes (from the settings, never
# in the database), bound to its user, so a copy of the database alone cannot make codes.
#
# TOTP is short enough to write with hmac (RFC 4226's dynamic truncation over HMAC-SHA1, 30-second
# steps, 6 digits: what every authenticator app expects), so it needs no dependency. A code is
# accepted for the step before, the current one and the one after (clock drift), and only for a
# step newer than the last one accepted, so a code seen over someone's shoulder cannot be
# replayed. Code attempts are throttled like passwords (throttle.py, stage "second_factor").

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, permissions_of, require
from enforcement.accounts import throttle, users
from enforcement.accounts.throttle import ThrottleRules
from enforcement.errors import AccountLocked, DomainError
from enforcement.models import RecoveryCode, SecondFactor, User
from enforcement.vocab import Role

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread

# Reading any of these exposes restricted records (intelligence, welfare content, exempt papers,
# the audit trail) or lets someone grant them (user management): such accounts need a second
# factor when REQUIRE_SECOND_FACTOR is on. docs/access-and-audit.md names the roles this gives.
SENSITIVE_PERMISSIONS = frozenset(
    {
        Permission.FLAG_LIST,
        Permission.FLAG_GRADE,
        Permission.FLAG_MANAGE,
        Permission.FLAG_EXPORT,
        Permission.WELFARE_VISIT_LIST,
        Permission.WELFARE_VISIT_RELEASE,
        Permission.REFERRAL_PAPERS,
        Permission.AUDIT_READ,
        Permission.USERS_MANAGE,
    }
)


class InvalidCode(DomainError):
    """The code is wrong, already used, or out of its window; deliberately not saying which."""

    status = 401


# ---------------------------------------------------------------------------------------------
# RFC 6238 itself (pure)
# ---------------------------------------------------------------------------------------------


def new_secret() -> str:
    """Return a random 160-bit secret in base32 without padding (RFC 4226's recommended size)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_for_step(secret: str, step: int) -> str:
    """Return the code an authenticator shows for a step (RFC 4226 HOTP over the step count)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def code_at(secret: str, moment: datetime) -> str:
    return code_for_step(secret, step_at(moment))


def matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """Return the step a code is valid for (within the drift, newer than ``after``), or None."""
    # ASCII digits only: "١٢٣٤٥٦" passes isdigit(), and compare_digest refuses non-ASCII text.
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    current = step_at(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """Return the otpauth:// URI authenticator apps read (the Key URI Format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """Return the secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def seal(key: bytes, user_id: int, secret: str) -> str:
    """Encrypt a secret for one user: a random nonce, then AES-GCM over the secret."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode("ascii"), f"user:{user_id}".encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(key: bytes, user_id: int, sealed: str) -> str:
    """Decrypt a user's secret; a wrong key or another user's row fails loudly."""
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    try:
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], f"user:{user_id}".encode())
    except InvalidTag as exc:
        raise DomainError(
            "Your second factor cannot be read. Ask an administrator to reset it."
        ) from exc
    return plain.decode("ascii")


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_hash(code: str) -> str:
    # Recovery codes carry 80 random bits, so a plain SHA-256 is not open to guessing.
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


# ---------------------------------------------------------------------------------------------
# Who needs one, and the use cases
# ---------------------------------------------------------------------------------------------


def role_needs_second_factor(roles: frozenset[str]) -> bool:
    """Say whether these roles together can read restricted records or manage users."""
    return Role.ADMIN.value in roles or bool(permissions_of(roles) & SENSITIVE_PERMISSIONS)


def roles_needing_second_factor() -> list[Role]:
    return [r for r in Role if role_needs_second_factor(frozenset({r.value}))]


def _factor(session: Session, user_id: int) -> SecondFactor | None:
    return session.scalar(select(SecondFactor).where(SecondFactor.user_id == user_id))


def is_enrolled(session: Session, user_id: int) -> bool:
    factor = _factor(session, user_id)
    return factor is not None and factor.confirmed_at is not None


def needs_second_factor(session: Session, user: User, *, required: bool) -> bool:
    """Say whether a sign-in must give a second factor: always once enrolled; otherwise when
    the setting requires one for the user's roles."""
    return is_enrolled(session, user.id) or (required and role_needs_second_factor(user.roles))


def begin_enrolment(session: Session, user: User, now: datetime, *, key: bytes) -> str:
    """Make a fresh secret for a user with no confirmed factor (replacing an unconfirmed one),
    and return it."""
    factor = _factor(session, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise DomainError("You already have a second factor set up.")
    secret = new_secret()
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret=seal(key, user.id, secret), created_at=now)
        session.add(factor)
    else:
        factor.secret = seal(key, user.id, secret)
        factor.created_at = now
        factor.last_step = None
    session.flush()
    return secret


def enrolment_secret(session: Session, user_id: int, *, key: bytes) -> str | None:
    """Return the secret being set up, or None: once confirmed it is never shown again."""
    factor = _factor(session, user_id)
    if factor is None or factor.confirmed_at is not None:
        return None
    return unseal(key, user_id, factor.secret)


def _throttled(
    session: Session, now: datetime, user: User, ip_address: str | None, rules: ThrottleRules
) -> None:
    verdict = throttle.check(
        session, now, user.email, ip_address, rules, stage=throttle.SECOND_FACTOR
    )
    if not verdict.allowed:
        throttle.record(
            session,
            now,
            user.email,
            ip_address,
            succeeded=False,
            stage=throttle.SECOND_FACTOR,
            throttled=True,
        )
        raise AccountLocked(throttle.wait_message(verdict))


def _failed(
    session: Session, now: datetime, user: User, ip_address: str | None, rules: ThrottleRules
) -> InvalidCode:
    throttle.record(
        session, now, user.email, ip_address, succeeded=False, stage=throttle.SECOND_FACTOR
    )
    throttle.notify_owner_if_throttled(session, now, user, rules, stage=throttle.SECOND_FACTOR)
    return InvalidCode("The code is not correct. Enter the newest code from your app.")


def _claim_step(session: Session, factor: SecondFactor, step: int) -> bool:
    """Move the last accepted step forward, only if no one has used this step or a later one:
    the update's condition makes two requests with one code accept it once."""
    done = session.execute(
        update(SecondFactor)
        .where(
            SecondFactor.id == factor.id,
            (SecondFactor.last_step.is_(None)) | (SecondFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.refresh(factor)
    return bool(getattr(done, "rowcount", 0))


def confirm_enrolment(
    session: Session,
    now: datetime,
    user: User,
    code: str,
    *,
    ip_address: str | None,
    rules: ThrottleRules,
    key: bytes,
) -> list[str]:
    """Confirm the secret with a code from the app; return the ten recovery codes to show once."""
    _throttled(session, now, user, ip_address, rules)
    factor = _factor(session, user.id)
    if factor is None or factor.confirmed_at is not None:
        raise DomainError("Start again: sign in to set up your second factor.")
    step = matching_step(
        unseal(key, user.id, factor.secret), _normalise(code), now, factor.last_step
    )
    if step is None or not _claim_step(session, factor, step):
        raise _failed(session, now, user, ip_address, rules)
    throttle.record(
        session, now, user.email, ip_address, succeeded=True, stage=throttle.SECOND_FACTOR
    )
    factor.confirmed_at = now
    codes = _replace_recovery_codes(session, user.id, now)
    audit.record(
        session,
        users.actor_for(user, ip_address),
        now,
        action="second_factor.enrol",
        entity_type="user",
        entity_id=user.id,
        summary=f"Set up a second factor for {user.email}, with {len(codes)} recovery codes",
    )
    return codes


def _replace_recovery_codes(session: Session, user_id: int, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(user_id=user_id, code_hash=_recovery_hash(c), created_at=now) for c in codes
    )
    session.flush()
    return codes


def recovery_codes_left(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class Passed:
    """How the second factor was given: "an authenticator code" or "a recovery code"."""

    how: str
    recovery_codes_left: int | None = None


def verify(
    session: Session,
    now: datetime,
    user: User,
    code: str,
    *,
    ip_address: str | None,
    rules: ThrottleRules,
    key: bytes,
) -> Passed:
    """Check a code from the app, or a recovery code (used up), after the password."""
    _throttled(session, now, user, ip_address, rules)
    factor = _factor(session, user.id)
    if factor is None or factor.confirmed_at is None:
        raise DomainError("You have no second factor set up. Sign in again.")
    typed = _normalise(code)
    if typed.isdigit():
        step = matching_step(unseal(key, user.id, factor.secret), typed, now, factor.last_step)
        if step is None or not _claim_step(session, factor, step):
            raise _failed(session, now, user, ip_address, rules)
        passed = Passed("an authenticator code")
    else:
        used = session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _recovery_hash(typed),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(used, "rowcount", 0):
            raise _failed(session, now, user, ip_address, rules)
        left = recovery_codes_left(session, user.id)
        audit.record(
            session,
            users.actor_for(user, ip_address),
            now,
            action="second_factor.recovery_code_used",
            entity_type="user",
            entity_id=user.id,
            summary=f"Signed in with a recovery code; {left} left",
        )
        passed = Passed("a recovery code", left)
    throttle.record(
        session, now, user.email, ip_address, succeeded=True, stage=throttle.SECOND_FACTOR
    )
    return passed


def reset(session: Session, actor: Actor, now: datetime, user_id: int) -> User:
    """Remove a user's second factor and recovery codes (a lost phone), signing them out.

    They set up a new one at their next sign-in.
    """
    require(actor, Permission.USERS_MANAGE)
    user = users.get_user(session, user_id)
    factor = _factor(session, user.id)
    if factor is None:
        raise DomainError(f"{user.display_name} has no second factor to reset.")
    session.delete(factor)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    users.revoke_sessions(session, user.id, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="second_factor.reset",
        entity_type="user",
        entity_id=user.id,
        summary=f"Reset the second factor of {user.email}",
    )
    return user


@dataclass(frozen=True)
class Status:
    """What an administrator may know of a user's second factor: never the secret."""

    confirmed_at: datetime | None
    recovery_codes_left: int


def status(session: Session, user_id: int) -> Status | None:
    """Return whether a user has set up a second factor, when, and how many recovery codes are
    left; None if they have not started."""
    factor = _factor(session, user_id)
    if factor is None:
        return None
    return Status(factor.confirmed_at, recovery_codes_left(session, user_id))
