"""Users, organisations, passwords, sign-in throttling and server-side sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, delete, exists, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.accounts import throttle
from enforcement.accounts.throttle import ThrottleRules
from enforcement.clock import london_today
from enforcement.db import read_columns
from enforcement.errors import AccountLocked, DomainError, NotFound, StaleEdit, ValidationFailed
from enforcement.models import (
    OfflineGrant,
    Organisation,
    User,
    UserRole,
    UserSession,
    UserWard,
    Ward,
)
from enforcement.text import CONTROL_CHARACTER_MESSAGE, has_control_characters
from enforcement.vocab import OrganisationKind, Role


@dataclass(frozen=True)
class HashingCost:
    """argon2id's work factors: passes over memory, memory in KiB, and lanes."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=self.parallelism
        )


# argon2-cffi's defaults (RFC 9106's low-memory choice), above OWASP's minimum of
# 19 MiB and 2 passes; the process's hasher until configure_password_hashing says otherwise.
PRODUCTION_COST = HashingCost()
_hasher = PRODUCTION_COST.hasher()
# A hash of a random password, verified against when the account does not exist, so that a
# wrong e-mail address takes as long to refuse as a wrong password. Made when first needed,
# with the configured cost, so that both take the same time.
_dummy_hash: str | None = None


def configure_password_hashing(cost: HashingCost) -> None:
    """Hash and re-hash passwords at this cost from now on (set once, from the settings)."""
    global _hasher, _dummy_hash
    _hasher = cost.hasher()
    _dummy_hash = None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


MIN_PASSWORD_LENGTH = 12
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USER_FIELDS = ("email", "display_name", "organisation_id", "is_active", "roles", "ward_codes")


class InvalidCredentials(DomainError):
    """The e-mail address or the password is wrong; deliberately not saying which."""

    status = 401


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


#: Words that, with digits and signs around them, make the passwords tried first in any guessing
#: attack ("Password2026!", "welcome12345"). Length alone does not stop them.
GUESSED_FIRST = frozenset(
    {
        "password",
        "passwd",
        "passw",
        "pass",
        "qwerty",
        "letmein",
        "welcome",
        "iloveyou",
        "changeme",
        "secret",
        "default",
        "monkey",
        "dragon",
        "football",
        "sunshine",
        "master",
        "login",
    }
)
_STAND_INS = str.maketrans(
    {"@": "a", "4": "a", "3": "e", "1": "i", "0": "o", "$": "s", "5": "s", "7": "t"}
)
#: Rows of a UK keyboard and the alphabet: a run along one (either way) is a pattern, not a secret.
_RUNS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz", "01234567890")


def _repeated(text: str) -> bool:
    """Whether the text is one shorter unit said over and over ("abcabcabc", "aaaa")."""
    return any(
        (text[:size] * (len(text) // size + 1))[: len(text)] == text
        for size in range(1, len(text) // 2 + 1)
    )


def _guessable(password: str) -> bool:
    """Whether a password long enough is still among the first an attacker tries: one short
    unit repeated ("abcabcabcabc"), a run along the keyboard or the alphabet ("123456789012",
    "qwertyuiop12"), or a common word dressed with digits and signs ("Password2026!")."""
    lowered = password.lower()
    # Its letters alone, as typed and with the usual stand-ins read back ("P@ssw0rd" is
    # "password"): a common word and little else, or one word said again.
    letters = {re.sub(r"[^a-z]", "", text) for text in (lowered, lowered.translate(_STAND_INS))}
    if _repeated(lowered) or any(len(bare) >= 6 and _repeated(bare) for bare in letters):
        return True
    if any(
        word in bare and len(bare) - len(word) <= 2 for bare in letters for word in GUESSED_FIRST
    ):
        return True
    # What is left once the runs of four or more along a row are taken out.
    rest = lowered
    for row in _RUNS:
        for line in (row, row[::-1]):
            for length in range(len(line), 3, -1):
                for start in range(len(line) - length + 1):
                    rest = rest.replace(line[start : start + length], "")
    return len(set(rest)) < 4


#: Name parts shorter than this are too common inside other words to count ("al", "jo").
NAME_PART_MIN = 3


def name_parts(*texts: str) -> set[str]:
    """The parts of a person's names an attacker tries first against their account: each run of
    letters of the display name and of the e-mail address before its @ ("jane.smith@..." gives
    "jane" and "smith"), and each of those run together ("janesmith")."""
    parts: set[str] = set()
    for raw in texts:
        own = raw.lower().split("@", 1)[0]
        parts.update(re.findall(r"[a-z]+", own))
        parts.add(re.sub(r"[^a-z]", "", own))
    return {part for part in parts if len(part) >= NAME_PART_MIN}


def _mostly_names(password: str, names: set[str]) -> bool:
    """Whether the password's letters are the person's own names and little else (at most two
    other letters): "JaneSmith1985!", "smith-jane-2026", "J@ne.5mith#42" for Jane Smith."""
    lowered = password.lower()
    for bare in {re.sub(r"[^a-z]", "", text) for text in (lowered, lowered.translate(_STAND_INS))}:
        rest = bare
        for part in sorted(names, key=len, reverse=True):
            rest = rest.replace(part, "")
        if len(rest) < len(bare) and len(rest) <= 2:
            return True
    return False


def password_problem(password: str, *, about: Iterable[str] = ()) -> str | None:
    """Return why a new password is not acceptable, or None if it is.

    `about` is what identifies its owner (e-mail address, display name): a password made of
    those with digits and signs around them is among the first tried against that account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 200:
        return "Password must be 200 characters or fewer"
    if password.strip() != password:
        return "Password must not start or end with a space"
    if _guessable(password):
        return (
            "Choose a password that is harder to guess: not a common word with numbers added, "
            "a pattern or a run of keys. Three or four random words together work well"
        )
    if _mostly_names(password, name_parts(*about)):
        return (
            "Choose a password not made of the account holder's name or email address: "
            "three or four random words together work well"
        )
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """An address the service's mail could not reach: mail servers without SMTPUTF8 (many
    councils') take only plain addresses, so every reminder to it would fail
    (`reminders.outbox.unwritable_address`)."""
    if not email.isascii():
        return (
            "Enter the email address without accented or non-Latin letters, like "
            "name@example.gov.uk: the service's mail cannot reach an address with them"
        )
    return None


#: An ONS ward code (E05013733) or the demo's own (X000001): what a user's ward column holds.
WARD_CODE_SHAPE = re.compile(r"[A-Za-z0-9]{1,12}")
#: The longest organisation name its column holds (PostgreSQL refuses a longer one).
ORGANISATION_NAME_MAX = 200


@dataclass(frozen=True)
class UserInput:
    email: str
    display_name: str
    organisation_id: int
    roles: frozenset[str]
    ward_codes: frozenset[str]


def validate_user(
    session: Session, data: UserInput, *, user_id: int | None, today: date | None = None
) -> None:
    """Check a user's details; `today` (London) also checks their wards against the wards in
    force that day, once any are imported (a typed or retired code would leave them covering
    no ward, and unable to do what a ward is needed for)."""
    errors: dict[str, str] = {}
    email = normalise_email(data.email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        errors["email"] = "Enter an email address in the correct format, like name@example.gov.uk"
    elif problem := email_problem(email):
        errors["email"] = problem
    else:
        clash = session.scalar(select(User.id).where(User.email == email))
        if clash is not None and clash != user_id:
            errors["email"] = "Another user already has this email address"
    if not data.display_name.strip():
        errors["display_name"] = "Enter the user's name"
    elif len(data.display_name) > 200:
        errors["display_name"] = "Name must be 200 characters or fewer"
    elif has_control_characters(data.display_name):
        errors["display_name"] = CONTROL_CHARACTER_MESSAGE.format(label="Name")
    if session.get(Organisation, data.organisation_id) is None:
        errors["organisation_id"] = "Select an organisation"
    unknown = data.roles - {r.value for r in Role}
    if not data.roles:
        errors["roles"] = "Select at least one role"
    elif unknown:
        errors["roles"] = f"Unknown role: {', '.join(sorted(unknown))}"
    # A command takes any code, and may come before the wards are imported: a code is checked
    # for its shape (what its column can hold), and once wards are in force, against them.
    malformed = sorted(c for c in data.ward_codes if not WARD_CODE_SHAPE.fullmatch(c))
    if malformed:
        errors["ward_codes"] = (
            f"A ward code is up to 12 letters and digits, like E05013733, not {malformed[0]!r}"
        )
    elif (
        today is not None
        and data.ward_codes
        and session.scalar(select(exists().where(Ward.in_force_on(today))))
        and (absent := unknown_ward_codes(session, data.ward_codes, on=today))
    ):
        errors["ward_codes"] = (
            f"No ward in force has the code {', '.join(absent)}: check it against the wards "
            "page (a retired ward's code is not used after its boundary changed)"
        )
    if errors:
        raise ValidationFailed(errors)


def _user_snapshot(user: User) -> dict[str, object]:
    return audit.snapshot(user, USER_FIELDS)


def create_organisation(
    session: Session, actor: Actor, now: datetime, *, name: str, kind: str
) -> Organisation:
    """Create an organisation (council, police force, charity, other agency)."""
    require(actor, Permission.USERS_MANAGE)
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": "Enter the organisation's name"})
    if len(name) > ORGANISATION_NAME_MAX:
        raise ValidationFailed(
            {"name": f"The organisation's name must be {ORGANISATION_NAME_MAX} characters or fewer"}
        )
    if has_control_characters(name):
        raise ValidationFailed(
            {"name": CONTROL_CHARACTER_MESSAGE.format(label="The organisation's name")}
        )
    if kind not in {k.value for k in OrganisationKind}:
        raise ValidationFailed({"kind": "Select the kind of organisation"})
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise ValidationFailed({"name": "An organisation with this name already exists"})
    org = Organisation(name=name, kind=kind, created_at=now)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="organisation.create",
        entity_type="organisation",
        entity_id=org.id,
        summary=f"Created organisation {name}",
        after={"name": name, "kind": kind},
    )
    return org


def unknown_ward_codes(
    session: Session, codes: Iterable[str], *, on: date | None = None
) -> list[str]:
    """The codes among these that no ward imported so far has (with `on`, no ward in force
    that day: a retired ward's code is unknown too), in order."""
    wanted = sorted(set(codes))
    statement = select(Ward.code).where(Ward.code.in_(wanted))
    if on is not None:
        statement = statement.where(Ward.in_force_on(on))
    known = set(session.scalars(statement.distinct().order_by(Ward.code)))
    return [c for c in wanted if c not in known]


def get_or_create_organisation(
    session: Session, actor: Actor, now: datetime, *, name: str, kind: str
) -> Organisation:
    """Return the organisation with this name, creating it if it does not exist."""
    existing = session.scalar(select(Organisation).where(Organisation.name == name.strip()))
    return existing or create_organisation(session, actor, now, name=name, kind=kind)


def create_user(
    session: Session, actor: Actor, now: datetime, data: UserInput, *, password: str
) -> User:
    """Create a user with roles and wards; the password is hashed and never stored in clear."""
    require(actor, Permission.USERS_MANAGE)
    validate_user(session, data, user_id=None, today=london_today(now))
    problem = password_problem(password, about=(data.email, data.display_name))
    if problem:
        raise ValidationFailed({"password": problem})
    user = User(
        email=normalise_email(data.email),
        display_name=data.display_name.strip(),
        password_hash=hash_password(password),
        organisation_id=data.organisation_id,
        is_active=True,
        must_change_password=not actor.is_system,
        created_at=now,
        role_rows=[UserRole(role=r) for r in sorted(data.roles)],
        ward_rows=[UserWard(ward_code=w) for w in sorted(data.ward_codes)],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        summary=f"Created user {user.email}",
        after=_user_snapshot(user),
    )
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    return user


def update_user(
    session: Session,
    actor: Actor,
    now: datetime,
    user_id: int,
    expected_version: int,
    data: UserInput,
) -> User:
    """Change a user's details, roles and wards, refusing a stale edit."""
    require(actor, Permission.USERS_MANAGE)
    user = get_user(session, user_id)
    if user.version != expected_version:
        raise StaleEdit.changed_meanwhile("user")
    validate_user(session, data, user_id=user.id, today=london_today(now))
    before = _user_snapshot(user)
    if (
        user.id == actor.user_id
        and Role.ADMIN.value in user.roles
        and Role.ADMIN.value not in data.roles
    ):
        raise ValidationFailed({"roles": "You cannot remove your own administrator role"})
    user.email = normalise_email(data.email)
    user.display_name = data.display_name.strip()
    user.organisation_id = data.organisation_id
    _sync_rows(user, data.roles, data.ward_codes)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="user.update",
        entity_type="user",
        entity_id=user.id,
        summary=f"Changed user {user.email}",
        before=before,
        after=_user_snapshot(user),
    )
    return user


def _sync_rows(user: User, roles: Iterable[str], wards: Iterable[str]) -> None:
    wanted_roles, wanted_wards = set(roles), set(wards)
    user.role_rows = [r for r in user.role_rows if r.role in wanted_roles] + [
        UserRole(role=r) for r in sorted(wanted_roles - user.roles)
    ]
    user.ward_rows = [w for w in user.ward_rows if w.ward_code in wanted_wards] + [
        UserWard(ward_code=w) for w in sorted(wanted_wards - user.ward_codes)
    ]
    # Row changes alone do not bump the user's version; flagging a column does.
    flag_modified(user, "display_name")


def set_active(session: Session, actor: Actor, now: datetime, user_id: int, active: bool) -> User:
    """Deactivate (revoking every session) or reactivate a user."""
    require(actor, Permission.USERS_MANAGE)
    user = get_user(session, user_id)
    if not active and user.id == actor.user_id:
        raise DomainError("You cannot deactivate your own account.")
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        revoke_sessions(session, user.id, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="user.activate" if active else "user.deactivate",
        entity_type="user",
        entity_id=user.id,
        summary=f"{'Reactivated' if active else 'Deactivated'} user {user.email}",
        before={"is_active": not active},
        after={"is_active": active},
    )
    return user


def reset_password(
    session: Session, actor: Actor, now: datetime, user_id: int, new_password: str
) -> User:
    """Set a temporary password that the user must change, and sign them out everywhere."""
    require(actor, Permission.USERS_MANAGE)
    user = get_user(session, user_id)
    problem = password_problem(new_password, about=(user.email, user.display_name))
    if problem:
        raise ValidationFailed({"password": problem})
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    revoke_sessions(session, user.id, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="user.reset_password",
        entity_type="user",
        entity_id=user.id,
        summary=f"Reset the password of {user.email}",
    )
    return user


def change_own_password(
    session: Session,
    actor: Actor,
    now: datetime,
    current: str,
    new_password: str,
    *,
    keep_session: str | None = None,
) -> User:
    """Let a signed-in user replace their password after proving the current one.

    Every other session of theirs is signed out (whoever else held one, on another device or
    with a copied cookie, held it with the old password); `keep_session` is the token of the
    session making the change, which stays signed in."""
    if actor.user_id is None:
        raise InvalidCredentials("Sign in first.")
    user = get_user(session, actor.user_id)
    if not _verify(user.password_hash, current):
        raise ValidationFailed({"current_password": "Your current password is not correct"})
    problem = password_problem(new_password, about=(user.email, user.display_name))
    if problem:
        raise ValidationFailed({"new_password": problem})
    if current == new_password:
        raise ValidationFailed({"new_password": "Choose a password different from the current one"})
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    others = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep_session is not None:
        others = others.where(UserSession.token_hash != _token_hash(keep_session))
    ended = len(session.execute(others.values(revoked_at=now).returning(UserSession.id)).all())
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="user.change_password",
        entity_type="user",
        entity_id=user.id,
        summary="Changed own password"
        + (f" and signed out {ended} other session{'s' if ended != 1 else ''}" if ended else ""),
    )
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session,
    now: datetime,
    email: str,
    password: str,
    *,
    ip_address: str | None,
    rules: ThrottleRules,
) -> User:
    """Check an e-mail address and password, slowing down repeated failures (throttle.py).

    Raises AccountLocked while this account or address must wait (recorded, but not counted as
    a failure) and InvalidCredentials for any wrong address or password, without saying which.
    The owner is mailed when their account starts to be slowed down.
    """
    address = normalise_email(email)[:254]
    verdict = throttle.check(session, now, address, ip_address, rules)
    if not verdict.allowed:
        throttle.record(session, now, address, ip_address, succeeded=False, throttled=True)
        raise AccountLocked(throttle.wait_message(verdict))
    user = session.scalar(select(User).where(User.email == address))
    ok = _verify(user.password_hash if user else _dummy(), password)
    if user is None or not ok or not user.is_active:
        throttle.record(session, now, address, ip_address, succeeded=False)
        if user is not None:
            throttle.notify_owner_if_throttled(session, now, user, rules)
        raise InvalidCredentials("The email address or password is not correct.")
    throttle.record(session, now, address, ip_address, succeeded=True)
    # Bookkeeping, not an edit of the account: written without the version check, so two
    # sign-ins to one account at once both succeed (the version guards administrators' edits).
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(last_sign_in_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(user, "last_sign_in_at", now)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    now: datetime,
    ip_address: str | None,
    *,
    awaiting_second_factor: bool = False,
) -> str:
    """Open a server-side session and return its secret token (kept in the signed cookie).

    A session awaiting the second factor is not a sign-in yet: live_session refuses it until
    complete_session records the factor.
    """
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip_address=ip_address,
            awaiting_second_factor=awaiting_second_factor,
        )
    )
    if awaiting_second_factor:
        session.flush()
        return token
    audit.record(
        session,
        actor_for(user, ip_address),
        now,
        action="session.sign_in",
        entity_type="user",
        entity_id=user.id,
        summary=f"Signed in as {user.email}",
    )
    return token


@dataclass(frozen=True)
class SignedIn:
    """Whom a live sign-in session belongs to: what every signed-in request needs of its user."""

    user_id: int
    email: str
    display_name: str
    organisation_id: int
    must_change_password: bool
    roles: frozenset[str]
    ward_codes: frozenset[str]

    @classmethod
    def of(cls, user: User) -> SignedIn:
        """Return the same for a user row (at sign-in, before any request has read it)."""
        return cls(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            organisation_id=user.organisation_id,
            must_change_password=bool(user.must_change_password),
            roles=user.roles,
            ward_codes=user.ward_codes,
        )

    def actor(self, ip_address: str | None = None) -> Actor:
        """Return the actor the user acts as."""
        return Actor(
            user_id=self.user_id,
            label=self.email,
            roles=self.roles,
            organisation_id=self.organisation_id,
            ward_codes=self.ward_codes,
            ip_address=ip_address,
        )


#: The statement every signed-in request runs (see live_session), built once: the session with
#: its user's columns, one row for each (role, ward) pair of the user (a handful), read below
#: the ORM. Loading the session, user, organisation, roles and wards as ORM objects was a
#: seventh of a list page's CPU.
_SIGNED_IN = (
    select(
        UserSession.revoked_at,
        UserSession.created_at,
        UserSession.awaiting_second_factor,
        User.id,
        User.email,
        User.display_name,
        User.organisation_id,
        User.is_active,
        User.must_change_password,
        UserRole.role,
        UserWard.ward_code,
    )
    .join(User, User.id == UserSession.user_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(UserWard, UserWard.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"))
    .order_by(UserRole.role, UserWard.ward_code)
)


def live_session(
    session: Session, token: str, now: datetime, *, max_age: timedelta
) -> SignedIn | None:
    """Return whom a token's session signs in, or None if it is revoked, older than `max_age`,
    still owed its second factor (pending_session), or its user is deactivated."""
    rows = read_columns(session, _SIGNED_IN, {"token_hash": _token_hash(token)}).all()
    if not rows:
        return None
    first = rows[0]  # the session's and user's columns are the same in every row
    revoked_at, created_at, awaiting, active = first[0], first[1], first[2], first[7]
    if revoked_at is not None or now - created_at > max_age or not active or awaiting:
        return None
    return SignedIn(
        user_id=first[3],
        email=first[4],
        display_name=first[5],
        organisation_id=first[6],
        must_change_password=bool(first[8]),
        roles=frozenset(r[9] for r in rows if r[9] is not None),
        ward_codes=frozenset(r[10] for r in rows if r[10] is not None),
    )


def pending_session(
    session: Session, token: str, now: datetime, *, max_age: timedelta
) -> tuple[UserSession, User] | None:
    """Return a session whose password was accepted but whose second factor is still owed, with
    its user, as the ORM objects complete_session records the second factor on."""
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _token_hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if (
        row.revoked_at is not None
        or now - row.created_at > max_age
        or not user.is_active
        or not row.awaiting_second_factor
    ):
        return None
    return row, user


def complete_session(
    session: Session, row: UserSession, user: User, now: datetime, how: str
) -> None:
    """Record on the server-side session that the second factor was given: it is now a sign-in."""
    row.awaiting_second_factor = False
    row.second_factor_at = now
    row.last_seen_at = now
    audit.record(
        session,
        actor_for(user, row.ip_address),
        now,
        action="session.sign_in",
        entity_type="user",
        entity_id=user.id,
        summary=f"Signed in as {user.email} with {how}",
    )


def end_session(session: Session, token: str, now: datetime, actor: Actor) -> None:
    """Revoke a session at sign-out, so a copied cookie no longer works."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        audit.record(
            session,
            actor,
            now,
            action="session.sign_out",
            entity_type="user",
            entity_id=row.user_id,
            summary="Signed out",
        )


def revoke_sessions(session: Session, user_id: int, now: datetime) -> None:
    """Revoke every open session of a user, and end their offline grant (docs/offline.md)."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(delete(OfflineGrant).where(OfflineGrant.user_id == user_id))


def actor_for(user: User, ip_address: str | None = None) -> Actor:
    """Return the actor a signed-in user acts as."""
    return SignedIn.of(user).actor(ip_address)


def list_users(session: Session, actor: Actor) -> list[User]:
    """Return every user, for the administrators' screen."""
    require(actor, Permission.USERS_MANAGE)
    return list(session.scalars(select(User).order_by(User.display_name, User.id)))


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name, Organisation.id)))


def supervisor_choices(session: Session) -> list[tuple[int, str]]:
    """Return the active supervisors, by name: whom a person's reminders may escalate to."""
    return [
        (u.id, u.display_name)
        for u in session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.is_active.is_(True), UserRole.role == Role.SUPERVISOR.value)
            .order_by(User.display_name, User.id)
        )
    ]
