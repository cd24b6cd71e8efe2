"""Build a SQLite database of a realistic borough at scale: premises, licences, users, audit."""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, Table, event, insert, select
from sqlalchemy.orm import Session

from enforcement import audit_chain
from enforcement.access import Actor
from enforcement.accounts.users import USER_FIELDS, hash_password
from enforcement.clock import london_today
from enforcement.db import make_engine
from enforcement.models import (
    AuditEvent,
    Base,
    Language,
    Licence,
    LicenceCondition,
    Organisation,
    Premises,
    PremisesLanguage,
    PremisesWard,
    User,
    UserRole,
    UserWard,
)
from enforcement.register import premises as premises_domain
from enforcement.register import wards
from enforcement.register.licences import LICENCE_FIELDS
from enforcement.vocab import LicenceRegime, LicenceStatus, OrganisationKind, PremisesType, Role
from geo.fictional import fictional_borough, random_points_in
from geo.wards import WardBoundary, load_geojson

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "benchmarks" / "results" / "bench.db"
WARDS_FILE = ROOT.parent / "shared" / "data" / "wards" / "hf_wards_2022_wgs84.geojson"
WARD_VALID_FROM = date(2022, 5, 5)

# The account benchmarks/run.py signs in with; the database is throwaway, so the password is too.
BENCH_EMAIL = "bench.licensing@bench.invalid"
BENCH_PASSWORD = "bench-licensing-officer-2026"  # noqa: S105 - a throwaway benchmark account

# A fixed "now" keeps the output identical for a given seed whatever day it is run.
END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
START = END - timedelta(days=3 * 365)
BATCH = 10_000
SYSTEM = Actor.system("benchmark generator")

# --- vocabularies of a West London borough ------------------------------------------------------

STREETS = (
    "King Street",
    "Fulham Palace Road",
    "Uxbridge Road",
    "North End Road",
    "Askew Road",
    "Goldhawk Road",
    "Shepherd's Bush Road",
    "New King's Road",
    "Munster Road",
    "Fulham Road",
    "Hammersmith Road",
    "Dawes Road",
    "Lillie Road",
    "Wandsworth Bridge Road",
    "Shepherd's Bush Green",
    "Blythe Road",
    "Talgarth Road",
    "Fulham Broadway",
    "Wood Lane",
    "Du Cane Road",
    "Old Oak Road",
    "Bloemfontein Road",
    "Dalling Road",
    "Glenthorne Road",
    "Beadon Road",
    "Hammersmith Broadway",
    "Queen Caroline Street",
    "Great West Road",
    "Stamford Brook Road",
    "Paddenswick Road",
    "Brackenbury Road",
    "Fulham High Street",
    "Parsons Green Lane",
    "Harwood Road",
    "Townmead Road",
    "Imperial Road",
    "Rylston Road",
    "Greyhound Road",
    "Margravine Road",
    "Lots Road",
    "Scrubs Lane",
    "Latimer Road",
    "Bulwer Street",
    "Coningham Road",
    "Loftus Road",
    "Becklow Road",
    "Bathurst Gardens",
    "Charing Cross Road",
    "Vanston Place",
    "Jerdan Place",
    "Effie Road",
    "Walham Grove",
    "Crabtree Lane",
    "Bishop's Road",
    "Star Road",
    "Greyhound Mews",
    "Devonport Road",
    "Cathnor Road",
    "Westville Road",
    "Ellerslie Road",
)
PLACES = (
    "Hammersmith",
    "Fulham",
    "Shepherd's Bush",
    "Brook Green",
    "Parsons Green",
    "Ravenscourt",
    "Olympia",
    "White City",
    "Sands End",
    "Walham",
    "Stamford Brook",
    "West Kensington",
    "Barons Court",
    "College Park",
    "Wormholt",
    "Eel Brook",
    "Bishops Park",
    "Riverside",
)
ADDRESS_LINE2 = ("Ground Floor", "First Floor", "Basement", "Unit 2", "Unit 5", "Rear of")
OUTWARD_CODES = ("W6", "W12", "W14", "SW6", "NW10")
# Inward codes never use C, I, K, M, O or V in their last two letters.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

TRADES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    PremisesType.RESTAURANT_TAKEAWAY: (
        (
            "Golden",
            "Royal",
            "Lucky",
            "Little",
            "Bombay",
            "Istanbul",
            "Napoli",
            "Saigon",
            "Beirut",
            "Bengal",
            "Sichuan",
            "Tokyo",
            "Athens",
            "Lisbon",
            "Kerala",
            "Lagos",
            "Tbilisi",
            "Havana",
        ),
        (
            "Kitchen",
            "Grill",
            "Pizza",
            "Kebab House",
            "Fried Chicken",
            "Noodle Bar",
            "Cafe",
            "Curry House",
            "Diner",
            "Sushi",
            "Bakery",
            "Canteen",
            "Dim Sum",
            "Burger Bar",
            "Fish Bar",
        ),
    ),
    PremisesType.LATE_NIGHT_REFRESHMENT: (
        ("Late Night", "24 Hour", "Midnight", "Star", "Express", "Chicken Cottage", "Moonlight"),
        ("Chicken & Pizza", "Kebabs", "Food Bar", "Grill", "Peri Peri", "Burgers"),
    ),
    PremisesType.PUB_BAR: (
        (
            "The Red",
            "The White",
            "The Black",
            "The Golden",
            "The Old",
            "The Royal",
            "The Blue",
            "The Green",
            "The Three",
            "The Crown &",
        ),
        (
            "Lion",
            "Horse",
            "Swan",
            "Anchor",
            "Hart",
            "Bell",
            "Crown",
            "Plough",
            "Rose",
            "Eagle",
            "Stag",
            "Ship",
            "Sceptre",
            "Tap",
        ),
    ),
    PremisesType.OFF_LICENCE: (
        ("Best", "Premier", "Costcutter", "Londis", "Family", "Super", "Corner", "Village"),
        ("Wines", "Food & Wine", "Off Licence", "Convenience Store", "Mini Market", "Express"),
    ),
    PremisesType.NAIL_BAR: (
        (
            "Polished",
            "Glamour",
            "Luxe",
            "Diamond",
            "Crystal",
            "Pearl",
            "Lily",
            "Queen",
            "Perfect",
            "Bella",
            "Angel",
            "Gloss",
        ),
        ("Nails", "Nail Bar", "Nail Studio", "Nails & Spa", "Nail Lounge"),
    ),
    PremisesType.MASSAGE: (
        ("Serenity", "Lotus", "Bamboo", "Jasmine", "Orchid", "Zen", "Harmony", "Thai", "Calm"),
        ("Massage", "Therapy", "Wellness", "Spa", "Health Centre", "Treatment Rooms"),
    ),
    PremisesType.HAIR_BEAUTY: (
        ("Fresh", "Style", "Top", "Smart", "Classic", "Urban", "Elite", "Sharp", "Velvet"),
        ("Cuts", "Barbers", "Hair & Beauty", "Hair Salon", "Brows & Lashes", "Beauty Rooms"),
    ),
    PremisesType.CAR_WASH: (
        ("Sparkle", "Premier", "Supa", "Shine", "Ace", "Crystal"),
        ("Hand Car Wash", "Valet Centre", "Auto Spa", "Car Wash"),
    ),
    PremisesType.HOTEL: (
        PLACES,
        ("Hotel", "Lodge", "Guest House", "Inn", "Court Hotel", "Apartments"),
    ),
    PremisesType.SEXUAL_ENTERTAINMENT: (
        ("Club", "Velvet", "Scarlet", "Platinum", "Silk"),
        ("Lounge", "Rooms", "Club", "Cabaret"),
    ),
    PremisesType.OTHER: (
        PLACES,
        (
            "Launderette",
            "Dry Cleaners",
            "Phone Repairs",
            "Tattoo Studio",
            "Gym",
            "Snooker Club",
            "Community Centre",
            "Dental Practice",
            "Pharmacy",
            "Print Shop",
            "Tailors",
            "Minicabs",
        ),
    ),
}
FLAT_NAMES = ("First-floor flat", "Basement flat", "Flat above shop", "Second-floor flat")

# How common each type is in the register; residential and walk-up flats are there on concern.
TYPE_WEIGHTS: dict[str, float] = {
    PremisesType.RESTAURANT_TAKEAWAY: 30,
    PremisesType.HAIR_BEAUTY: 14,
    PremisesType.OTHER: 12.7,
    PremisesType.PUB_BAR: 8,
    PremisesType.OFF_LICENCE: 7,
    PremisesType.NAIL_BAR: 7,
    PremisesType.LATE_NIGHT_REFRESHMENT: 6,
    PremisesType.RESIDENTIAL_FLAT: 5,
    PremisesType.MASSAGE: 4,
    PremisesType.CAR_WASH: 2,
    PremisesType.HOTEL: 2,
    PremisesType.WALK_UP_FLAT: 2,
    PremisesType.SEXUAL_ENTERTAINMENT: 0.3,
}
# The licence a premises of each type usually holds, and how likely it is to hold one now.
MAIN_REGIME: dict[str, tuple[str, float]] = {
    PremisesType.PUB_BAR: (LicenceRegime.PREMISES_LICENCE, 0.95),
    PremisesType.OFF_LICENCE: (LicenceRegime.PREMISES_LICENCE, 0.92),
    PremisesType.LATE_NIGHT_REFRESHMENT: (LicenceRegime.PREMISES_LICENCE, 0.9),
    PremisesType.RESTAURANT_TAKEAWAY: (LicenceRegime.PREMISES_LICENCE, 0.7),
    PremisesType.HOTEL: (LicenceRegime.PREMISES_LICENCE, 0.9),
    PremisesType.NAIL_BAR: (LicenceRegime.SPECIAL_TREATMENT, 0.85),
    PremisesType.MASSAGE: (LicenceRegime.SPECIAL_TREATMENT, 0.8),
    PremisesType.HAIR_BEAUTY: (LicenceRegime.SPECIAL_TREATMENT, 0.35),
    PremisesType.SEXUAL_ENTERTAINMENT: (LicenceRegime.SEV, 1.0),
    PremisesType.CAR_WASH: (LicenceRegime.OTHER, 0.2),
    PremisesType.OTHER: (LicenceRegime.OTHER, 0.25),
    PremisesType.WALK_UP_FLAT: (LicenceRegime.OTHER, 0.02),
}
REFERENCE_PREFIX: dict[str, str] = {
    LicenceRegime.PREMISES_LICENCE: "PL",
    LicenceRegime.SPECIAL_TREATMENT: "STL",
    LicenceRegime.SEV: "SEV",
    LicenceRegime.OTHER: "OTH",
}
# A second licence held alongside the main one: mostly an alcohol licence or a local one.
SECOND_REGIME: dict[str, float] = {
    LicenceRegime.PREMISES_LICENCE: 3,
    LicenceRegime.SPECIAL_TREATMENT: 2,
    LicenceRegime.SEV: 0.1,
    LicenceRegime.OTHER: 4,
}
# Licensing Act 2003 premises licences run until surrendered or revoked; the others are annual.
ANNUAL = frozenset({LicenceRegime.SPECIAL_TREATMENT, LicenceRegime.SEV, LicenceRegime.OTHER})
CURRENT_STATUSES = (
    (LicenceStatus.ACTIVE, 85),
    (LicenceStatus.APPLIED, 4),
    (LicenceStatus.EXPIRED, 4),
    (LicenceStatus.SUSPENDED, 2),
    (LicenceStatus.LAPSED, 2),
    (LicenceStatus.REVOKED, 1.5),
    (LicenceStatus.SURRENDERED, 1.5),
)
PAST_STATUSES = (
    (LicenceStatus.EXPIRED, 45),
    (LicenceStatus.SURRENDERED, 25),
    (LicenceStatus.LAPSED, 15),
    (LicenceStatus.REVOKED, 15),
)
CONDITIONS: dict[str, tuple[str, ...]] = {
    LicenceRegime.PREMISES_LICENCE: (
        "CCTV covering every entrance shall be kept working and recordings kept for 31 days.",
        "A personal licence holder shall be on the premises whenever alcohol is sold.",
        "A Challenge 25 policy shall operate, with signs displayed at the point of sale.",
        "An incident log shall be kept and shown to police or council officers on request.",
        "No more than 60 people shall be in the outside area after 21:00.",
        "Deliveries and bottle disposal shall not take place between 22:00 and 08:00.",
        "The anti-trafficking poster shall be displayed where staff and the public can see it.",
    ),
    LicenceRegime.SPECIAL_TREATMENT: (
        "Every treatment room shall have a door that cannot be locked from the outside.",
        "A register of therapists, with their qualifications, shall be kept on the premises.",
        "No person under 18 shall be employed to give treatments.",
        "Treatments shall be given only between 09:00 and 21:00.",
        "The anti-trafficking poster shall be displayed where staff and the public can see it.",
    ),
    LicenceRegime.SEV: (
        "No performer shall be under 18.",
        "Performers shall have a dressing room that the public cannot enter.",
        "There shall be no physical contact between performers and customers.",
        "Door supervisors registered with the SIA shall be on duty whenever the venue is open.",
        "The anti-trafficking poster shall be displayed where staff and the public can see it.",
    ),
    LicenceRegime.OTHER: (
        "The licence shall be displayed where customers can see it.",
        "Staff records, including right to work checks, shall be shown to officers on request.",
        "Waste water shall drain only to the foul sewer.",
        "The anti-trafficking poster shall be displayed where staff and the public can see it.",
    ),
}
OPENING_HOURS = (
    "Monday to Saturday 10:00 to 22:00; Sunday 12:00 to 20:00",
    "Every day 11:00 to 23:00",
    "Monday to Thursday 11:00 to 23:00; Friday and Saturday 11:00 to 01:00",
    "Every day 09:00 to 21:00",
    "Every day 17:00 to 03:00",
)
FIRST_NAMES = (
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ewa",
    "Femi",
    "Grace",
    "Hiro",
    "Imran",
    "Jess",
    "Kofi",
    "Lena",
    "Marek",
    "Nadia",
    "Owen",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tomasz",
    "Uma",
    "Viktor",
    "Wen",
    "Yusuf",
    "Zara",
)
SURNAMES = (
    "Adeyemi",
    "Brennan",
    "Chowdhury",
    "Dimitrov",
    "Evans",
    "Fernandes",
    "Gallagher",
    "Hassan",
    "Ivanova",
    "Jones",
    "Kowalski",
    "Li",
    "Mensah",
    "Nguyen",
    "O'Connor",
    "Patel",
    "Rahman",
    "Silva",
    "Taylor",
    "Usman",
    "Varga",
    "Walsh",
    "Yilmaz",
    "Zhang",
)
ORGANISATIONS = (
    ("Hammersmith & Fulham Council (bench)", OrganisationKind.COUNCIL, "lbhf.bench.invalid"),
    ("Metropolitan Police, Central West (bench)", OrganisationKind.POLICE, "met.bench.invalid"),
    ("Immigration Enforcement (bench)", OrganisationKind.OTHER_AGENCY, "ie.bench.invalid"),
    ("Unseen Futures (bench)", OrganisationKind.CHARITY, "unseen.bench.invalid"),
    ("Safe Harbour Trust (bench)", OrganisationKind.CHARITY, "harbour.bench.invalid"),
    ("London Fire Brigade (bench)", OrganisationKind.OTHER_AGENCY, "lfb.bench.invalid"),
)
# (role, share of generated users, organisations they may belong to, by index above)
ROLE_MIX: tuple[tuple[Role, float, tuple[int, ...]], ...] = (
    (Role.LICENSING_OFFICER, 0.14, (0,)),
    (Role.WARD_OFFICER, 0.40, (1,)),
    (Role.INTEL_ANALYST, 0.10, (1, 2)),
    (Role.COMMITTEE_CLERK, 0.04, (0,)),
    (Role.SUPERVISOR, 0.06, (0, 1)),
    (Role.PARTNER, 0.24, (3, 4, 5)),
    (Role.ADMIN, 0.02, (0,)),
)
EDITORS = frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR})


def log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)


def moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


# --- the plan: every row decided in memory, then written in bulk -------------------------------


@dataclass
class PersonPlan:
    id: int
    email: str
    display_name: str
    organisation_id: int
    roles: tuple[str, ...]
    ward_codes: tuple[str, ...]
    is_active: bool
    created_at: datetime
    last_sign_in_at: datetime | None = None


@dataclass
class LicencePlan:
    id: int
    premises_index: int
    regime: str
    reference: str
    holder_name: str
    statuses: list[str]  # the status at creation, then after each update
    granted_on: date | None
    starts_on: date | None
    expires_on: date | None
    opening_hours: str | None
    conditions: list[str]
    created_ts: float
    update_ts: list[float] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "premises_id": self.premises_index + 1,
            "regime": self.regime,
            "reference": self.reference,
            "holder_name": self.holder_name,
            "status": self.statuses[-1],
            "granted_on": self.granted_on,
            "starts_on": self.starts_on,
            "expires_on": self.expires_on,
            "opening_hours": self.opening_hours,
            "notes": None,
            "created_at": moment(self.created_ts),
            "updated_at": moment(self.update_ts[-1] if self.update_ts else self.created_ts),
            # The version counts the updates, as version_id_col does for each UPDATE.
            "version": 1 + len(self.update_ts),
        }

    def snapshot(self, status: str) -> dict[str, Any]:
        values = {
            "regime": self.regime,
            "reference": self.reference,
            "holder_name": self.holder_name,
            "status": status,
            "granted_on": self.granted_on.isoformat() if self.granted_on else None,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "opening_hours": self.opening_hours,
            "notes": None,
        }
        # The esd fields the generator leaves empty are None, as in the app's own snapshots.
        return {name: values.get(name) for name in LICENCE_FIELDS}


@dataclass
class Plan:
    people: list[PersonPlan]
    editors: list[int]  # indexes into people of those who may change the register
    premises_rows: list[dict[str, Any]] = field(default_factory=list)
    # Each premises' names, oldest first, for its update trail.
    premises_names: list[list[str]] = field(default_factory=list)
    premises_update_ts: list[list[float]] = field(default_factory=list)
    languages: list[tuple[int, str]] = field(default_factory=list)
    # (premises id, ward id) of each premises inside a ward (premises_wards).
    placed: list[tuple[int, int]] = field(default_factory=list)
    licences: list[LicencePlan] = field(default_factory=list)


def _postcode(rng: random.Random) -> str:
    raw = (
        f"{rng.choice(OUTWARD_CODES)}{rng.randint(0, 9)}"
        f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    )
    formatted = premises_domain.format_postcode(raw)
    assert formatted is not None
    return formatted


def _premises_name(rng: random.Random, ptype: str) -> str:
    if ptype == PremisesType.RESIDENTIAL_FLAT:
        return f"Flat {rng.choice('ABCDEF')}{rng.randint(1, 9)}"
    if ptype == PremisesType.WALK_UP_FLAT:
        return rng.choice(FLAT_NAMES)
    first, second = TRADES[ptype]
    name = f"{rng.choice(first)} {rng.choice(second)}"
    # Some traders name themselves after the street or the area instead.
    if rng.random() < 0.15:
        name = f"{rng.choice(PLACES)} {rng.choice(second)}"
    return name


def _points(
    rng: random.Random,
    boundaries: list[WardBoundary],
    locate: Callable[..., list[str | None]],
    n: int,
) -> list[tuple[float, float] | None]:
    """Return n locations: about 2% just outside the borough, 1% unrecorded, the rest inside."""
    nprng = np.random.default_rng(rng.randrange(2**32))
    outside_n = round(n * 0.02)
    missing_n = round(n * 0.01)
    inside = random_points_in(boundaries, n - outside_n - missing_n, nprng)
    minx, miny, maxx, maxy = (
        min(b.geometry.bounds[0] for b in boundaries),
        min(b.geometry.bounds[1] for b in boundaries),
        max(b.geometry.bounds[2] for b in boundaries),
        max(b.geometry.bounds[3] for b in boundaries),
    )
    margin = 0.01  # about a kilometre: neighbouring boroughs' premises that were misfiled
    outside: list[tuple[float, float]] = []
    while len(outside) < outside_n:
        xs = nprng.uniform(minx - margin, maxx + margin, 4 * outside_n)
        ys = nprng.uniform(miny - margin, maxy + margin, 4 * outside_n)
        codes = locate(list(zip(xs.tolist(), ys.tolist(), strict=True)))
        outside += [
            (x, y) for x, y, c in zip(xs.tolist(), ys.tolist(), codes, strict=True) if c is None
        ]
    points: list[tuple[float, float] | None] = [
        (round(x, 6), round(y, 6)) for x, y in inside + outside[:outside_n]
    ]
    points += [None] * missing_n
    rng.shuffle(points)
    return points


def plan_people(rng: random.Random, n_users: int, ward_codes: list[str]) -> Plan:
    """Plan the users (the benchmark's licensing officer first), their roles and wards."""
    people: list[PersonPlan] = []
    # The benchmark's own account comes first, so its id is 1.
    people.append(
        PersonPlan(
            id=1,
            email=BENCH_EMAIL,
            display_name="Bench Licensing Officer",
            organisation_id=1,
            roles=(Role.LICENSING_OFFICER.value,),
            ward_codes=(),
            is_active=True,
            created_at=START - timedelta(days=60),
        )
    )
    # Accounts were opened one after another before the period begins, so ids follow time.
    step = timedelta(days=60) / max(1, n_users)
    roles = [r for r, _, _ in ROLE_MIX]
    weights = [w for _, w, _ in ROLE_MIX]
    orgs = {r: o for r, _, o in ROLE_MIX}
    for i in range(n_users - 1):
        role = rng.choices(roles, weights=weights)[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        org_index = rng.choice(orgs[role])
        domain = ORGANISATIONS[org_index][2]
        local = f"{first}.{last}".lower().replace("'", "")
        wards_covered: tuple[str, ...] = ()
        if role in (Role.WARD_OFFICER, Role.SUPERVISOR):
            wards_covered = tuple(sorted(rng.sample(ward_codes, k=min(len(ward_codes), 3))))
        people.append(
            PersonPlan(
                id=i + 2,
                email=f"{local}.{i + 2}@{domain}",
                display_name=f"{first} {last}",
                organisation_id=org_index + 1,
                roles=(role.value,),
                ward_codes=wards_covered,
                is_active=rng.random() > 0.05,
                created_at=START - timedelta(days=60) + step * (i + 1),
            )
        )
    editors = [i for i, p in enumerate(people) if p.roles[0] in {r.value for r in EDITORS}]
    return Plan(people=people, editors=editors)


def plan_premises(
    plan: Plan,
    rng: random.Random,
    session: Session,
    boundaries: list[WardBoundary],
    loc: wards.WardLocator,
    n: int,
    language_codes: list[str],
) -> None:
    """Plan n premises: names, addresses, types, locations and wards, as the domain stores them."""
    # Plain strings, as a submitted form gives them, rather than the enum members.
    types = [str(t) for t in TYPE_WEIGHTS]
    type_weights = list(TYPE_WEIGHTS.values())
    points = _points(rng, boundaries, loc.index.locate_many, n)
    located = [p for p in points if p is not None]
    codes = iter(loc.index.locate_many(located))
    uprns = rng.sample(range(34_000_000, 34_999_999), n)
    for i in range(n):
        ptype = rng.choices(types, weights=type_weights)[0]
        point = points[i]
        code = next(codes) if point is not None else None
        ward_id = None if code is None else loc.ids_by_code[code]
        updates = rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0]
        names = [_premises_name(rng, ptype) for _ in range(updates + 1)]
        created_ts = rng.uniform(START.timestamp(), END.timestamp() - 86400)
        update_ts = sorted(rng.uniform(created_ts, END.timestamp()) for _ in range(updates))
        langs = (
            frozenset(rng.sample(language_codes, k=rng.choice((1, 1, 2))))
            if rng.random() < 0.4
            else frozenset()
        )
        data = premises_domain.PremisesInput(
            name=names[-1],
            trading_name=(
                _premises_name(rng, ptype)
                if ptype not in (PremisesType.RESIDENTIAL_FLAT, PremisesType.WALK_UP_FLAT)
                and rng.random() < 0.12
                else None
            ),
            address_line1=f"{rng.randint(1, 420)} {rng.choice(STREETS)}",
            address_line2=rng.choice(ADDRESS_LINE2) if rng.random() < 0.18 else None,
            town="London",
            postcode=_postcode(rng) if rng.random() < 0.97 else None,
            uprn=str(uprns[i]) if rng.random() < 0.85 else None,
            premises_type=ptype,
            longitude=None if point is None else point[0],
            latitude=None if point is None else point[1],
        )
        # The domain's own validation and _apply give the stored values (search_text,
        # name_sort, postcode_key) exactly as create_premises would; no language codes are
        # passed to validation, since checking them would cost a query per premises.
        clean = premises_domain.validate_premises(session, data)
        p = Premises(created_at=moment(created_ts), source_ref=None)
        premises_domain._apply(
            p, clean, ward_id, moment(update_ts[-1] if update_ts else created_ts)
        )
        row = {c.key: getattr(p, c.key) for c in Premises.__table__.columns if c.key != "id"}
        row["id"] = i + 1
        row["version"] = 1 + updates
        plan.premises_rows.append(row)
        if ward_id is not None:
            plan.placed.append((i + 1, ward_id))
        plan.premises_names.append(names)
        plan.premises_update_ts.append(update_ts)
        plan.languages.extend((i + 1, lang) for lang in sorted(langs))


def _holder(rng: random.Random, premises_name: str) -> str:
    if rng.random() < 0.6:
        return f"{premises_name} {rng.choice(('Ltd', 'Limited', 'Trading Ltd', 'Group Ltd'))}"
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _status_history(final: str) -> list[str]:
    if final == LicenceStatus.APPLIED:
        return [final]
    if final == LicenceStatus.ACTIVE:
        return [LicenceStatus.APPLIED.value, final]
    return [LicenceStatus.APPLIED.value, LicenceStatus.ACTIVE.value, final]


def _dates(rng: random.Random, regime: str, status: str) -> tuple[date | None, ...]:
    today = END.date()
    if status == LicenceStatus.APPLIED:
        return None, None, None
    annual = regime in ANNUAL
    if status in (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED):
        starts = today - timedelta(days=rng.randint(0, 360 if annual else 6000))
    else:
        # A licence that has ended started long enough ago to have run for a while.
        starts = today - timedelta(days=rng.randint(400, 3000))
    granted = starts - timedelta(days=rng.randint(0, 28))
    if annual:
        expires: date | None = starts + timedelta(days=365)
    elif status == LicenceStatus.EXPIRED:
        expires = starts + timedelta(days=rng.randint(365, 2000))
    else:
        expires = None
    if expires is not None and status == LicenceStatus.EXPIRED and expires >= today:
        expires = today - timedelta(days=rng.randint(1, 30))
        starts = min(starts, expires)
        granted = min(granted, starts)
    return granted, starts, expires


def plan_licences(plan: Plan, rng: random.Random, n: int) -> None:
    """Plan n licences: most premises that need one hold one, some hold a second or held others."""
    counters = dict.fromkeys(REFERENCE_PREFIX, 0)
    main: list[tuple[int, str]] = []
    for i, row in enumerate(plan.premises_rows):
        regime, chance = MAIN_REGIME.get(row["premises_type"], (LicenceRegime.OTHER, 0.0))
        if rng.random() < chance:
            main.append((i, str(regime)))
    if len(main) > n:
        main = sorted(rng.sample(main, n))
    # The rest are earlier licences the premises held, or a second licence it holds alongside.
    holders = [i for i, _ in main]
    regime_of = dict(main)
    extra: list[tuple[int, str, bool]] = []
    for i in rng.choices(holders, k=n - len(main)) if holders else []:
        if rng.random() < 0.5:
            extra.append((i, regime_of[i], True))
        else:
            others = [(r, w) for r, w in SECOND_REGIME.items() if r != regime_of[i]]
            extra.append((i, str(weighted(rng, others)), False))
    wanted = [(i, r, False) for i, r in main] + extra
    wanted.sort(key=lambda w: w[0])
    for index, regime, past in wanted:
        row = plan.premises_rows[index]
        status = str(weighted(rng, PAST_STATUSES if past else CURRENT_STATUSES))
        counters[regime] += 1
        created_ts = rng.uniform(row["created_at"].timestamp(), END.timestamp())
        statuses = _status_history(status)
        granted, starts, expires = _dates(rng, regime, status)
        texts = CONDITIONS[regime]
        conditions = rng.sample(texts, k=rng.randint(1, min(5, len(texts))))
        lic = LicencePlan(
            id=len(plan.licences) + 1,
            premises_index=index,
            regime=regime,
            reference=f"{REFERENCE_PREFIX[regime]}/{(granted or moment(created_ts)).year}/{counters[regime]:06d}",
            holder_name=_holder(rng, row["name"]),
            statuses=statuses,
            granted_on=granted,
            starts_on=starts,
            expires_on=expires,
            opening_hours=rng.choice(OPENING_HOURS) if rng.random() < 0.6 else None,
            conditions=conditions,
            created_ts=created_ts,
            update_ts=sorted(
                rng.uniform(created_ts, END.timestamp()) for _ in range(len(statuses) - 1)
            ),
        )
        plan.licences.append(lic)


# --- audit events: planned compactly, sorted by time, expanded while writing ------------------

PREMISES_CREATE, PREMISES_UPDATE, LICENCE_CREATE, LICENCE_UPDATE, SIGN_IN, SIGN_OUT = range(6)


def plan_events(plan: Plan, rng: random.Random, n: int) -> list[tuple[float, int, int, int, int]]:
    """Return (at, kind, subject index, step, actor index) tuples, oldest first."""
    editors = plan.editors
    events: list[tuple[float, int, int, int, int]] = []
    for i, row in enumerate(plan.premises_rows):
        events.append((row["created_at"].timestamp(), PREMISES_CREATE, i, 0, rng.choice(editors)))
        for step, ts in enumerate(plan.premises_update_ts[i]):
            events.append((ts, PREMISES_UPDATE, i, step, rng.choice(editors)))
    for j, lic in enumerate(plan.licences):
        events.append((lic.created_ts, LICENCE_CREATE, j, 0, rng.choice(editors)))
        for step, ts in enumerate(lic.update_ts):
            events.append((ts, LICENCE_UPDATE, j, step, rng.choice(editors)))
    if len(events) > n:
        # A small database cannot hold the whole trail: keep a random part of it.
        events = rng.sample(events, n)
    active = [i for i, p in enumerate(plan.people) if p.is_active]
    while len(events) < n:
        who = rng.choice(active)
        ts = rng.uniform(START.timestamp(), END.timestamp())
        events.append((ts, SIGN_IN, who, 0, who))
        if len(events) < n and rng.random() < 0.3:
            events.append((ts + rng.uniform(600, 28_800), SIGN_OUT, who, 0, who))
    events.sort()
    last_sign_in: dict[int, float] = {}
    for ts, kind, who, _, _ in events:
        if kind == SIGN_IN:
            last_sign_in[who] = ts
    for who, ts in last_sign_in.items():
        plan.people[who].last_sign_in_at = moment(ts)
    return events


def _premises_snapshot(
    row: dict[str, Any], name: str, langs: list[str], ward_id: int | None
) -> dict[str, Any]:
    snap = {f: row.get(f) for f in premises_domain.PREMISES_FIELDS}
    snap["ward_id"] = ward_id
    snap["name"] = name
    snap["languages"] = langs
    return snap


def expand_events(
    plan: Plan, events: Iterable[tuple[float, int, int, int, int]]
) -> Iterator[dict[str, Any]]:
    """Turn the compact plan into audit rows shaped as enforcement.audit.record writes them."""
    languages: dict[int, list[str]] = {}
    for pid, code in plan.languages:
        languages.setdefault(pid, []).append(code)
    ward_of = dict(plan.placed)
    rng = random.Random(len(plan.premises_rows))
    for ts, kind, subject, step, actor_index in events:
        actor = plan.people[actor_index]
        before: dict[str, Any] | None = None
        after: dict[str, Any] | None = None
        if kind == PREMISES_CREATE:
            row = plan.premises_rows[subject]
            name = plan.premises_names[subject][0]
            action, entity, entity_id = "premises.create", "premises", row["id"]
            summary = f"Added premises {name}"
            after = _premises_snapshot(
                row, name, languages.get(row["id"], []), ward_of.get(row["id"])
            )
        elif kind == PREMISES_UPDATE:
            row = plan.premises_rows[subject]
            names = plan.premises_names[subject]
            action, entity, entity_id = "premises.update", "premises", row["id"]
            summary = f"Changed premises {names[step + 1]}"
            before, after = {"name": names[step]}, {"name": names[step + 1]}
        elif kind == LICENCE_CREATE:
            lic = plan.licences[subject]
            premises_name = plan.premises_rows[lic.premises_index]["name"]
            action, entity, entity_id = "licence.create", "licence", lic.id
            summary = f"Added licence {lic.reference} to {premises_name}"
            after = lic.snapshot(lic.statuses[0]) | {"conditions": lic.conditions}
        elif kind == LICENCE_UPDATE:
            lic = plan.licences[subject]
            action, entity, entity_id = "licence.update", "licence", lic.id
            summary = f"Changed licence {lic.reference}"
            before, after = {"status": lic.statuses[step]}, {"status": lic.statuses[step + 1]}
        elif kind == SIGN_IN:
            action, entity, entity_id = "session.sign_in", "user", actor.id
            summary = f"Signed in as {actor.email}"
        else:
            action, entity, entity_id = "session.sign_out", "user", actor.id
            summary = "Signed out"
        yield {
            "at": moment(ts),
            "actor_id": actor.id,
            "actor_label": actor.email,
            "action": action,
            "entity_type": entity,
            "entity_id": str(entity_id),
            "summary": summary[:400],
            "before_json": None if before is None else json.dumps(before, sort_keys=True),
            "after_json": None if after is None else json.dumps(after, sort_keys=True),
            "ip_address": f"10.{20 + actor.organisation_id}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        }


# --- writing -----------------------------------------------------------------------------------


def migrate(engine: Engine) -> None:
    """Build the schema with the real migrations, as the tests and `make db` do."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        if conn.in_transaction():
            conn.commit()


def chain_audit_rows(conn: Connection, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Give audit rows the trail's hash chain, continuing from the last stored event."""
    table = cast(Table, AuditEvent.__table__)
    prev = (
        conn.scalar(select(table.c.hash).order_by(table.c.id.desc()).limit(1))
        or audit_chain.GENESIS
    )
    for row in rows:
        if row.get("hash") is None:
            row = {**row, "prev_hash": prev}
            row["hash"] = audit_chain.event_hash(prev, SimpleNamespace(**row))
        prev = row["hash"]
        yield row


def write(
    conn: Connection,
    model: type[Base],
    rows: Iterable[dict[str, Any]],
    label: str,
    started: float,
) -> int:
    """Insert rows into the model's table in executemany batches, reporting progress."""
    batch: list[dict[str, Any]] = []
    total = 0
    # Core, not the ORM: an executemany of plain dicts, with no unit of work per row.
    stmt = insert(cast(Table, model.__table__))
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(stmt, batch)
            total += len(batch)
            batch = []
            if total % (BATCH * 10) == 0:
                log(f"  {label}: {total:,}", started)
    if batch:
        conn.execute(stmt, batch)
        total += len(batch)
    log(f"{label}: {total:,} rows", started)
    return total


def _boundaries() -> tuple[list[WardBoundary], str]:
    if WARDS_FILE.is_file():
        return load_geojson(WARDS_FILE), f"the {WARD_VALID_FROM.year} wards in {WARDS_FILE.name}"
    return fictional_borough(seed=7), "a fictional borough (shared ward data not found)"


def _remove(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


def _fast_sqlite(engine: Engine) -> None:
    # A throwaway database rebuilt from scratch: durability on every commit buys nothing here.
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA synchronous=OFF")
        dbapi_conn.execute("PRAGMA cache_size=-262144")
        dbapi_conn.execute("PRAGMA temp_store=MEMORY")


def generate(
    db_path: Path,
    *,
    n_premises: int = 50_000,
    n_licences: int = 60_000,
    n_audit: int = 500_000,
    n_users: int = 300,
    seed: int = 1,
) -> dict[str, int]:
    """Build the database at db_path from nothing; return the number of rows written per table."""
    started = time.perf_counter()
    rng = random.Random(seed)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove(db_path)
    engine = make_engine(f"sqlite:///{db_path}")
    _fast_sqlite(engine)
    migrate(engine)
    log(f"schema migrated into {db_path}", started)

    boundaries, source = _boundaries()
    with Session(engine) as session:
        wards.replace_wards(
            session, SYSTEM, START - timedelta(days=100), boundaries, WARD_VALID_FROM
        )
        session.commit()
        loc = wards.locator(session, london_today(END))
        language_codes = sorted(session.scalars(select(Language.code)))
        log(f"{len(boundaries)} wards from {source}", started)

        # One argon2 hash each, reused: hashing per user would dominate the run. Only the
        # benchmark's account has a known password; the others' is random and thrown away.
        bench_hash = hash_password(BENCH_PASSWORD)
        other_hash = hash_password(secrets.token_urlsafe(24))
        plan = plan_people(rng, n_users, sorted(loc.ids_by_code))
        plan_premises(plan, rng, session, boundaries, loc, n_premises, language_codes)
        log(f"planned {len(plan.premises_rows):,} premises", started)
        plan_licences(plan, rng, n_licences)
        log(f"planned {len(plan.licences):,} licences", started)
        # The ward load and the setting up of organisations and users are part of the trail too.
        setup_events = 1 + len(ORGANISATIONS) + len(plan.people)
        events = plan_events(plan, rng, max(0, n_audit - setup_events))
        log(f"planned {len(events):,} audit events", started)

    counts: dict[str, int] = {}
    created = START - timedelta(days=90)
    with engine.begin() as conn:
        counts["organisations"] = write(
            conn,
            Organisation,
            (
                {"id": i + 1, "name": name, "kind": kind.value, "created_at": created}
                for i, (name, kind, _) in enumerate(ORGANISATIONS)
            ),
            "organisations",
            started,
        )
        counts["users"] = write(
            conn,
            User,
            (
                {
                    "id": p.id,
                    "email": p.email,
                    "display_name": p.display_name,
                    "password_hash": bench_hash if p.email == BENCH_EMAIL else other_hash,
                    "organisation_id": p.organisation_id,
                    "is_active": p.is_active,
                    "must_change_password": False,
                    "created_at": p.created_at,
                    "last_sign_in_at": p.last_sign_in_at,
                    "version": 1,
                }
                for p in plan.people
            ),
            "users",
            started,
        )
        write(
            conn,
            UserRole,
            ({"user_id": p.id, "role": r} for p in plan.people for r in p.roles),
            "user roles",
            started,
        )
        write(
            conn,
            UserWard,
            ({"user_id": p.id, "ward_code": w} for p in plan.people for w in p.ward_codes),
            "user wards",
            started,
        )
        counts["premises"] = write(conn, Premises, plan.premises_rows, "premises", started)
        write(
            conn,
            PremisesWard,
            ({"premises_id": pid, "ward_id": wid} for pid, wid in plan.placed),
            "premises wards",
            started,
        )
        write(
            conn,
            PremisesLanguage,
            ({"premises_id": pid, "language_code": c} for pid, c in plan.languages),
            "premises languages",
            started,
        )
        counts["licences"] = write(
            conn, Licence, (lic.row() for lic in plan.licences), "licences", started
        )
        counts["licence_conditions"] = write(
            conn,
            LicenceCondition,
            (
                {
                    "licence_id": lic.id,
                    "number": number,
                    "text": body,
                    "is_active": True,
                    "created_at": moment(lic.created_ts),
                }
                for lic in plan.licences
                for number, body in enumerate(lic.conditions, start=1)
            ),
            "licence conditions",
            started,
        )
        counts["audit_events"] = write(
            conn,
            AuditEvent,
            chain_audit_rows(conn, _with_people_events(plan, expand_events(plan, events))),
            "audit events",
            started,
        )
    with engine.connect() as conn:
        # Statistics for the query planner; a fresh database has none, a live one gathers them.
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    log(f"done: {db_path} ({db_path.stat().st_size / 1e6:.0f} MB)", started)
    return counts


def _with_people_events(plan: Plan, rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Prefix the trail with the setting up of organisations and users, before anything else."""
    at = START - timedelta(days=90)
    for i, (name, kind, _) in enumerate(ORGANISATIONS):
        yield _system_event(
            at,
            "organisation.create",
            "organisation",
            i + 1,
            f"Created organisation {name}",
            {"name": name, "kind": kind.value},
        )
    for p in plan.people:
        after = {
            "email": p.email,
            "display_name": p.display_name,
            "organisation_id": p.organisation_id,
            "is_active": True,
            "roles": sorted(p.roles),
            "ward_codes": sorted(p.ward_codes),
        }
        yield _system_event(
            p.created_at,
            "user.create",
            "user",
            p.id,
            f"Created user {p.email}",
            {k: after[k] for k in USER_FIELDS},
        )
    yield from rest


def _system_event(
    at: datetime, action: str, entity: str, entity_id: int, summary: str, after: dict[str, Any]
) -> dict[str, Any]:
    return {
        "at": at,
        "actor_id": None,
        "actor_label": SYSTEM.label,
        "action": action,
        "entity_type": entity,
        "entity_id": str(entity_id),
        "summary": summary,
        "before_json": None,
        "after_json": json.dumps(after, sort_keys=True),
        "ip_address": None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite file to (re)build")
    parser.add_argument("--premises", type=int, default=50_000)
    parser.add_argument("--licences", type=int, default=60_000)
    parser.add_argument("--audit", type=int, default=500_000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    generate(
        args.db.resolve(),
        n_premises=args.premises,
        n_licences=args.licences,
        n_audit=args.audit,
        n_users=args.users,
        seed=args.seed,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
