"""Welfare visits: trained officers, a visit's input, and a world with one user per role."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from builders.people import NOW, SYSTEM, make_user
from builders.register import EAST, IN_EAST, WEST, make_premises, make_wards
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import to_london
from enforcement.models import Premises, User
from enforcement.models.welfare import WelfareVisit
from enforcement.safeguarding import records
from enforcement.welfare import training
from enforcement.welfare import visits as welfare

_keys = itertools.count(1)
VISITED_AT = NOW - timedelta(hours=3)  # the same London day as NOW


def train(session: Session, user: User, on: date = date(2026, 1, 15)) -> None:
    training.record_training(
        session, SYSTEM, NOW, training.TrainingInput(user.id, on, training.DEFAULT_COURSE)
    )


def referral_input(**overrides: Any) -> records.ReferralInput:
    """An NRM referral of an adult woman who gave informed consent, made on the visit's day."""
    data: dict[str, Any] = {
        "route": "nrm",
        "age_group": "adult",
        "consent_given": True,
        "submitted_on": to_london(VISITED_AT).date(),
        "gender": "female",
        "exploitation_types": frozenset({"sexual"}),
        "exploitation_place": "uk",
        "first_responder_type": "police",
    }
    data.update(overrides)
    return records.ReferralInput(**data)


def referrals(*pairs: tuple[str, int], on: date | None = None) -> tuple[records.ReferralInput, ...]:
    """Records for counts by route, as visits once recorded them: age not known (Duty to Notify
    reports are of adults who did not consent)."""
    out = []
    for route, n in pairs:
        who: dict[str, Any] = (
            {"age_group": "adult", "consent_given": False}
            if route == "duty_to_notify"
            else {"age_group": "not_known", "consent_given": None}
        )
        extra = {"submitted_on": on} if on else {}
        out += [referral_input(route=route, **who, **extra) for _ in range(n)]
    return tuple(out)


def visit_input(premises_id: int | None = None, **overrides: Any) -> welfare.VisitInput:
    data: dict[str, Any] = {
        "visited_at": VISITED_AT,
        "idempotency_key": f"visit-{next(_keys)}",
        "trigger": "proactive",
        "property_described": "residential_flat",
        "people_present": 2,
        "premises_id": premises_id,
        "indicators": frozenset({"fear_of_authorities", "sleeps_on_premises"}),
        "interpreter_used": True,
        "interpreter_language": "th",
        "support_info_left": True,
        "support_languages": frozenset({"en", "th"}),
        "referrals": None,  # below: made on the day of the visit
        "feedback": "Said the visit was welcome; asked for leaflets in Thai.",
        "crime_reference": "CAD 1234/02MAR26",
        "guidance": frozenset(g.value for g in welfare.GuidanceItem),
        "no_identifiers_confirmed": True,
    }
    data.update(overrides)
    if data["referrals"] is None:
        on = to_london(data["visited_at"]).date() if data["visited_at"] else None
        data["referrals"] = (
            referral_input(submitted_on=on),
            *referrals(("specialist_charity", 2), on=on),
        )
    return welfare.VisitInput(**data)


@dataclass
class World:
    """Two wards, a premises in each, and one user (and actor) per role."""

    west_premises: Premises
    east_premises: Premises
    users: dict[str, User]
    actors: dict[str, Actor]

    def log(self, session: Session, **overrides: Any) -> WelfareVisit:
        visit, _ = welfare.log_welfare_visit(
            session,
            self.actors["ward_officer"],
            NOW,
            visit_input(self.west_premises.id, **overrides),
        )
        return visit


# Who takes part in the role-by-role tests, with the roles and wards each holds.
PEOPLE: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "ward_officer": (("ward_officer",), frozenset({WEST.code})),
    "ward_officer_elsewhere": (("ward_officer",), frozenset({EAST.code})),
    "supervisor": (("supervisor",), frozenset()),
    "intel_analyst": (("intel_analyst",), frozenset()),
    "licensing_officer": (("licensing_officer",), frozenset()),
    "committee_clerk": (("committee_clerk",), frozenset()),
    "partner": (("partner",), frozenset()),
    "admin": (("admin",), frozenset()),
}


def make_world(session: Session) -> World:
    make_wards(session)
    people = {
        who: make_user(session, *roles, email=f"{who}@example.gov.uk", wards_=wards)
        for who, (roles, wards) in PEOPLE.items()
    }
    train(session, people["ward_officer"])
    train(session, people["ward_officer_elsewhere"])
    west = make_premises(session, name="Flat 2, 10 West Street", premises_type="residential_flat")
    east = make_premises(
        session,
        name="Flat 5, 20 East Street",
        premises_type="residential_flat",
        longitude=IN_EAST[0],
        latitude=IN_EAST[1],
    )
    return World(
        west_premises=west,
        east_premises=east,
        users=people,
        actors={who: users.actor_for(u) for who, u in people.items()},
    )
