"""Builders for test records, with sensible defaults that any test may override."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime
from typing import Any

from flask.testing import FlaskClient
from shapely.geometry import Polygon
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.models import Licence, Organisation, Premises, User
from enforcement.register import licences, premises, wards
from enforcement.vocab import LicenceRegime, LicenceStatus, OrganisationKind, PremisesType
from geo.wards import WardBoundary

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
SYSTEM = Actor.system("tests")
PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def square(lon: float, lat: float, size: float = 0.01) -> Polygon:
    return Polygon([(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)])


# Two made-up wards side by side, somewhere in the North Sea (nowhere real).
WEST = WardBoundary(code="E05999901", name="Westward", geometry=square(1.0, 54.0))
EAST = WardBoundary(code="E05999902", name="Eastward", geometry=square(1.01, 54.0))
IN_WEST = (1.005, 54.005)
IN_EAST = (1.015, 54.005)
OUTSIDE = (1.5, 54.5)


def make_wards(session: Session, boundaries: list[WardBoundary] | None = None) -> None:
    wards.replace_wards(session, SYSTEM, NOW, boundaries or [WEST, EAST], date(2022, 5, 5))


def make_org(
    session: Session, name: str | None = None, kind: str = OrganisationKind.COUNCIL
) -> Organisation:
    return users.create_organisation(
        session, SYSTEM, NOW, name=name or f"Org {next(_seq)}", kind=kind
    )


def make_user(
    session: Session,
    *roles: str,
    email: str | None = None,
    password: str = PASSWORD,
    org: Organisation | None = None,
    wards_: frozenset[str] = frozenset(),
) -> User:
    org = org or make_org(session)
    return users.create_user(
        session,
        SYSTEM,
        NOW,
        users.UserInput(
            email=email or f"user{next(_seq)}@example.gov.uk",
            display_name="Test User",
            organisation_id=org.id,
            roles=frozenset(roles or ("licensing_officer",)),
            ward_codes=wards_,
        ),
        password=password,
    )


def make_premises(session: Session, **overrides: Any) -> Premises:
    data: dict[str, Any] = {
        "name": f"Premises {next(_seq)}",
        "address_line1": "1 High Street",
        "premises_type": PremisesType.RESTAURANT_TAKEAWAY,
        "longitude": IN_WEST[0],
        "latitude": IN_WEST[1],
    }
    data.update(overrides)
    return premises.create_premises(session, SYSTEM, NOW, premises.PremisesInput(**data))


def make_licence(session: Session, premises_id: int, **overrides: Any) -> Licence:
    data: dict[str, Any] = {
        "regime": LicenceRegime.PREMISES_LICENCE,
        "reference": f"PL/{next(_seq):05d}",
        "holder_name": "Holder Ltd",
        "status": LicenceStatus.ACTIVE,
    }
    data.update(overrides)
    return licences.create_licence(session, SYSTEM, NOW, premises_id, licences.LicenceInput(**data))


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    found = CSRF_RE.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def post(client: FlaskClient, path: str, data: dict[str, Any], *, page: str = "/") -> Any:
    """Post a form as a browser would, with the CSRF token from a page of the signed-in session."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


TEST_SECRET_FOR_APPS = "a-test-secret-key-of-more-than-thirty-two-characters"
