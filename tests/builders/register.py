"""The register: two made-up wards, premises and licences."""

from __future__ import annotations

from datetime import date
from typing import Any

from shapely.geometry import Polygon
from sqlalchemy.orm import Session

from builders.people import NOW, SYSTEM, next_number
from enforcement.models import Licence, Premises
from enforcement.register import licences, premises, wards
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType
from geo.wards import WardBoundary


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


def make_premises(session: Session, **overrides: Any) -> Premises:
    data: dict[str, Any] = {
        "name": f"Premises {next_number()}",
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
        "reference": f"PL/{next_number():05d}",
        "holder_name": "Holder Ltd",
        "status": LicenceStatus.ACTIVE,
    }
    data.update(overrides)
    return licences.create_licence(session, SYSTEM, NOW, premises_id, licences.LicenceInput(**data))
