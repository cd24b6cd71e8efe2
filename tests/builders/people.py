"""People: the fixed clock, the system actor, organisations and users with real (cheap) passwords."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.models import Organisation, User
from enforcement.vocab import OrganisationKind

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
SYSTEM = Actor.system("tests")
PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def next_number() -> int:
    """A number no other builder call in this run has used (for unique names and references)."""
    return next(_seq)


def make_org(
    session: Session, name: str | None = None, kind: str = OrganisationKind.COUNCIL
) -> Organisation:
    return users.create_organisation(
        session, SYSTEM, NOW, name=name or f"Org {next_number()}", kind=kind
    )


def make_user(
    session: Session,
    *roles: str,
    email: str | None = None,
    password: str = PASSWORD,
    org: Organisation | None = None,
    wards_: frozenset[str] = frozenset(),
    display_name: str = "Test User",
) -> User:
    """A user through the accounts workflow; the password is hashed by `users.hash_password`
    at the suite's cheap argon2 cost (tests/conftest.py), so signing in works."""
    org = org or make_org(session)
    return users.create_user(
        session,
        SYSTEM,
        NOW,
        users.UserInput(
            email=email or f"user{next_number()}@example.gov.uk",
            display_name=display_name,
            organisation_id=org.id,
            roles=frozenset(roles or ("licensing_officer",)),
            ward_codes=wards_,
        ),
        password=password,
    )


#: The three kinds of organisation most role-by-role tests need.
ORG_KINDS = {
    "police": ("Police (test)", OrganisationKind.POLICE),
    "council": ("Council (test)", OrganisationKind.COUNCIL),
    "charity": ("Charity (test)", OrganisationKind.CHARITY),
}


def make_orgs(session: Session) -> dict[str, Organisation]:
    """One police force, one council and one charity, keyed "police", "council", "charity"."""
    return {key: make_org(session, name, kind) for key, (name, kind) in ORG_KINDS.items()}


def make_people(
    session: Session,
    spec: Mapping[str, tuple[tuple[str, ...], str, frozenset[str]]],
    orgs: Mapping[str, Organisation],
) -> dict[str, User]:
    """One user per entry of `spec` (key: (roles, organisation key, ward codes)), signed in
    as `<key>@example.gov.uk` with PASSWORD."""
    return {
        who: make_user(session, *roles, email=f"{who}@example.gov.uk", org=orgs[org], wards_=wards)
        for who, (roles, org, wards) in spec.items()
    }
