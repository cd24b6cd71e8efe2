"""Demo data: real wards and food premises when the shared data is present, a fictional borough when not."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import london_today
from enforcement.models import (
    Language,
    Organisation,
    Premises,
    PremisesLanguage,
    PremisesWard,
    User,
)
from enforcement.register import licences, premises, support, wards
from enforcement.registerio import expiry, importing, runs
from enforcement.reminders import tasks
from enforcement.vocab import LicenceRegime, LicenceStatus, OrganisationKind, PremisesType, Role
from enforcement.welfare import training
from geo.fictional import fictional_borough, random_points_in
from geo.wards import WardBoundary, load_geojson

WARD_VALID_FROM = date(2022, 5, 5)


@dataclass(frozen=True)
class DemoUser:
    role: Role
    email: str
    name: str
    password: str
    organisation: str


COUNCIL = "Hammersmith & Fulham Council (demo)"
FICTIONAL_COUNCIL = "Brackenmere Council (demo)"
POLICE = "Metropolitan Police, Central West (demo)"
CHARITY = "Anti-trafficking charity (demo)"

DEMO_USERS = (
    DemoUser(
        Role.LICENSING_OFFICER,
        "licensing@demo.invalid",
        "Lee Licensing",
        "licensing-demo-2026",
        COUNCIL,
    ),
    DemoUser(Role.WARD_OFFICER, "ward@demo.invalid", "Wren Ward", "wardofficer-demo-2026", POLICE),
    DemoUser(
        Role.INTEL_ANALYST, "analyst@demo.invalid", "Ash Analyst", "analyst-demo-2026", POLICE
    ),
    DemoUser(Role.COMMITTEE_CLERK, "clerk@demo.invalid", "Cam Clerk", "clerk-demo-2026", COUNCIL),
    DemoUser(
        Role.SUPERVISOR,
        "supervisor@demo.invalid",
        "Sol Supervisor",
        "supervisor-demo-2026",
        COUNCIL,
    ),
    DemoUser(
        Role.SUPERVISOR, "sergeant@demo.invalid", "Sam Sergeant", "sergeant-demo-2026", POLICE
    ),
    DemoUser(Role.PARTNER, "partner@demo.invalid", "Pat Partner", "partner-demo-2026", CHARITY),
    DemoUser(Role.ADMIN, "admin@demo.invalid", "Ari Admin", "admin-demo-2026!", COUNCIL),
)

# The demo ward officer and supervisors have done the Operation Moontwist course, so the ward
# officer can log welfare visits in the demo.
MOONTWIST_TRAINED = (Role.WARD_OFFICER, Role.SUPERVISOR)

# Who reports to whom: the council's officers and clerk to the council's supervisor, the police
# ward officer and analyst to the police supervisor.
REPORTS_TO = {
    "licensing@demo.invalid": "supervisor@demo.invalid",
    "clerk@demo.invalid": "supervisor@demo.invalid",
    "ward@demo.invalid": "sergeant@demo.invalid",
    "analyst@demo.invalid": "sergeant@demo.invalid",
}

CONDITIONS = {
    LicenceRegime.PREMISES_LICENCE: (
        "CCTV covering every entrance shall be kept working and recordings kept for 31 days.",
        "A personal licence holder shall be on the premises whenever alcohol is sold.",
        "A Challenge 25 policy shall operate, with signs displayed at the point of sale.",
        "An incident log shall be kept and shown to police or council officers on request.",
        "The anti-trafficking poster shall be displayed where staff and the public can see it.",
    ),
    LicenceRegime.SPECIAL_TREATMENT: (
        "Every treatment room shall have a door that cannot be locked from the outside.",
        "A register of therapists, with their qualifications, shall be kept on the premises.",
        "No person under 18 shall be employed to give treatments.",
        "The anti-trafficking poster shall be displayed where staff and the public can see it.",
        "Treatments shall be given only between 09:00 and 21:00.",
    ),
}

FICTIONAL_TRADES = (
    (PremisesType.NAIL_BAR, ("Polished", "Gloss", "Lacquer Lounge", "Nail Studio", "Tips & Toes")),
    (
        PremisesType.MASSAGE,
        ("Serenity Therapy", "Lotus Massage", "Calm Hands", "Oriental Wellness"),
    ),
    (PremisesType.CAR_WASH, ("Hand Car Wash", "Sparkle Valet", "Shine Auto Wash")),
    (PremisesType.HAIR_BEAUTY, ("Hair & Beauty", "Brows and Lashes", "Fresh Cuts")),
    (PremisesType.WALK_UP_FLAT, ("First-floor flat",)),
    # Premises licences (Licensing Act 2003): a borough's demo needs them for its cases and its
    # committee referrals, with or without the shared data.
    (PremisesType.PUB_BAR, ("The Crown", "Kings Arms", "The Anchor", "The Bell")),
    (PremisesType.RESTAURANT_TAKEAWAY, ("Golden Wok", "Pizza Corner", "Spice Garden")),
    (PremisesType.LATE_NIGHT_REFRESHMENT, ("Night Grill", "Late Bites")),
)
# The invented premises' streets: in the fictional borough each ward has streets named after
# it; with the real wards, the street of the nearest food business in the same ward (so an
# invented address always lies in the ward its premises is in).
FICTIONAL_STREET_KINDS = ("Road", "High Street", "Parade", "Lane")
# "155 Fulham Palace Road", "142 - 144 King Street", "56A Erconwald Street": a number, a street.
_NUMBERED_ADDRESS = re.compile(
    r"^\d+[A-Za-z]?(?:\s*-\s*\d+[A-Za-z]?)?,?\s+(?P<street>[A-Z][A-Za-z' .&-]*[a-z])$"
)
_STREET_ENDINGS = frozenset(
    {
        "Road", "Street", "Lane", "Avenue", "Place", "Way", "Crescent", "Grove", "Gardens",
        "Terrace", "Square", "Walk", "Parade", "Broadway", "Green", "Hill", "Row", "Mews",
        "Close", "Vale", "Bridge", "Westway",
    }
)  # fmt: skip


def fictional_streets(ward_name: str) -> tuple[str, ...]:
    """Return the invented streets of a fictional ward, each named after the ward."""
    return tuple(f"{ward_name} {kind}" for kind in FICTIONAL_STREET_KINDS)


def street_of(address_line: str) -> str | None:
    """Return the street of a numbered address line ("155 Fulham Palace Road"), else None."""
    found = _NUMBERED_ADDRESS.match(address_line.strip())
    if found is None:
        return None
    street = found["street"].strip()
    return street if street.split()[-1] in _STREET_ENDINGS else None


@dataclass
class _Streets:
    """The streets an invented address may use, by ward id.

    Real wards: (longitude, latitude, street) of the food businesses' numbered addresses, and the
    nearest one's street is used. Fictional wards: the ward's invented streets, one at random.
    """

    by_ward: dict[int | None, list[tuple[float, float, str]]]
    nearest: bool = True

    def pick(self, ward_id: int | None, lon: float, lat: float, rng: random.Random) -> str:
        known = self.by_ward.get(ward_id) or [k for ks in self.by_ward.values() for k in ks]
        if not known:
            return "High Street"
        if not self.nearest:
            return rng.choice(known)[2]
        # Degrees of longitude are shorter than degrees of latitude in London: scale them.
        squeeze = math.cos(math.radians(lat)) ** 2
        return min(known, key=lambda k: squeeze * (k[0] - lon) ** 2 + (k[1] - lat) ** 2)[2]


def already_loaded(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(Organisation)) or 0) > 0


def _boundaries(shared: Path | None) -> tuple[list[WardBoundary], bool]:
    if shared is not None:
        path = shared / "wards" / "hf_wards_2022_wgs84.geojson"
        if path.is_file():
            return load_geojson(path), True
    return fictional_borough(seed=7), False


def active_demo_accounts(session: Session) -> list[str]:
    """The demo's accounts still active here: in a database gone live they are a way in, since
    their passwords are published (the scheduler says so at start in production)."""
    emails = sorted(du.email for du in DEMO_USERS)
    return list(
        session.scalars(
            select(User.email)
            .where(User.email.in_(emails), User.is_active.is_(True))
            .order_by(User.email)
        )
    )


def load_demo(session: Session, now: datetime, shared: Path | None) -> dict[str, int]:
    """Load wards, premises, licences, organisations and one user per role; once only.

    Uses the real Hammersmith & Fulham wards and food premises when ``shared`` holds them,
    otherwise a fictional borough. Returns counts of what was loaded (empty if already loaded).
    """
    if already_loaded(session):
        return {}
    actor = Actor.system("demo data loader")
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    boundaries, real = _boundaries(shared)
    wards.replace_wards(session, actor, now, boundaries, WARD_VALID_FROM)
    _load_people(session, actor, now, sorted(b.code for b in boundaries), real=real)
    languages = [lang.code for lang in session.scalars(select(Language))]
    loc = wards.locator(session, london_today(now))
    created: list[tuple[int, str, str]] = []
    streets = _Streets(by_ward={})
    fhrs = shared / "premises" / "FHRS513en-GB.xml" if real and shared is not None else None
    if fhrs is not None and fhrs.is_file():
        created += _load_fhrs_premises(session, actor, now, fhrs, languages, loc, rng, streets)
    if not real:
        ids = loc.ids_by_code
        streets = _Streets(
            by_ward={
                ids[b.code]: [(0.0, 0.0, street) for street in fictional_streets(b.name)]
                for b in boundaries
            },
            nearest=False,
        )
    points = random_points_in(boundaries, 60 if real else 400, rng)
    created += _load_fictional_premises(session, actor, now, points, languages, loc, rng, streets)
    counts = {
        "support_services": _load_support_services(session, actor, now),
        "wards": len(boundaries),
        "premises": len(created),
        "licences": _load_licences(session, actor, now, created, rng),
        "users": len(DEMO_USERS),
    }
    expiry.sync_all(session, now)  # the licences' expiry reminders, as the scheduler keeps them
    audit.record(
        session,
        actor,
        now,
        action="demo.load",
        entity_type="system",
        entity_id=None,
        summary=f"Loaded demo data ({'real' if real else 'fictional'} borough)",
        after=counts,
    )
    return counts


# Real public services, described in our own words from their own public information
# (docs/support-directory.md); administrators keep the list up to date.
DEMO_SUPPORT_SERVICES = (
    support.ServiceInput(
        name="Modern Slavery & Exploitation Helpline",
        kind="national_helpline",
        description="Free, confidential advice for anyone who may be exploited, or who is "
        "worried about someone, and a place to report concerns. Run by the charity Unseen.",
        how_to_reach="Call 08000 121 700, or report online at modernslaveryhelpline.org",
        hours="24 hours, every day",
        any_language=True,
        languages=frozenset({"en"}),
    ),
    support.ServiceInput(
        name="The Salvation Army: Modern Slavery Victim Care Contract",
        kind="victim_care",
        description="Support for adult potential victims in England and Wales who enter the "
        "National Referral Mechanism: safe accommodation, help with health, legal advice and "
        "a support worker.",
        how_to_reach="First responders call the referral line on 0800 808 3733",
        hours="24 hours, every day",
        any_language=True,
        languages=frozenset({"en"}),
    ),
    support.ServiceInput(
        name="Childline",
        kind="national_helpline",
        description="Free, confidential help for children and young people under 19, run by "
        "the NSPCC.",
        how_to_reach="Call 0800 1111, or chat online at childline.org.uk",
        hours="24 hours, every day",
        languages=frozenset({"en"}),
    ),
    support.ServiceInput(
        name="Council safeguarding (adults and children)",
        kind="safeguarding",
        description="The council's social care teams, for a child or an adult at risk of "
        "abuse or exploitation. Every child is referred.",
        how_to_reach="Through the council's website or contact centre; in an emergency, 999",
        hours="Office hours; an emergency duty team out of hours",
        languages=frozenset({"en"}),
    ),
)


def _load_support_services(session: Session, actor: Actor, now: datetime) -> int:
    known = {lang.code for lang in session.scalars(select(Language))}
    for data in DEMO_SUPPORT_SERVICES:
        support.create_service(session, actor, now, replace(data, languages=data.languages & known))
    return len(DEMO_SUPPORT_SERVICES)


def _load_people(
    session: Session, actor: Actor, now: datetime, codes: list[str], *, real: bool
) -> None:
    """Create the three organisations and one user per role (Moontwist training where due)."""
    council = COUNCIL if real else FICTIONAL_COUNCIL
    orgs = {
        name: users.create_organisation(session, actor, now, name=shown, kind=kind)
        for name, shown, kind in (
            (COUNCIL, council, OrganisationKind.COUNCIL),
            (POLICE, POLICE, OrganisationKind.POLICE),
            (CHARITY, CHARITY, OrganisationKind.CHARITY),
        )
    }
    made: dict[str, int] = {}
    for du in DEMO_USERS:
        ward_codes = (
            frozenset(codes[:4]) if du.role in (Role.WARD_OFFICER, Role.SUPERVISOR) else frozenset()
        )
        user = users.create_user(
            session,
            actor,
            now,
            users.UserInput(
                du.email, du.name, orgs[du.organisation].id, frozenset({du.role.value}), ward_codes
            ),
            password=du.password,
        )
        made[du.email] = user.id
        if du.role in MOONTWIST_TRAINED:
            training.record_training(
                session,
                actor,
                now,
                training.TrainingInput(
                    user.id, london_today(now) - timedelta(days=30), training.DEFAULT_COURSE
                ),
            )
    # Each organisation's case workers report to its supervisor: their statutory reminders
    # escalate there.
    for worker, supervisor in REPORTS_TO.items():
        tasks.set_supervisor(session, actor, now, made[worker], made[supervisor])


def _load_fhrs_premises(
    session: Session,
    actor: Actor,
    now: datetime,
    path: Path,
    languages: list[str],
    loc: wards.WardLocator,
    rng: random.Random,
    streets: _Streets,
) -> list[tuple[int, str, str]]:
    """Import the FHRS extract through the register import (as `flask register import` does),
    then give each premises a language or two; return (id, name, type) of each.

    Notes in `streets` the street of each one with a numbered address and a location.
    """
    del loc  # the import locates each premises in its ward itself
    runs.import_now(
        session,
        actor,
        now,
        "fhrs",
        path.read_bytes(),
        importing.Options(),
        runs.Area(council_name=""),
        source=path.name,
    )
    created: list[tuple[int, str, str]] = []
    for pid, name, ptype, line1, ward_id, lon, lat in session.execute(
        select(
            Premises.id,
            Premises.name,
            Premises.premises_type,
            Premises.address_line1,
            PremisesWard.ward_id,
            Premises.longitude,
            Premises.latitude,
        )
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .where(Premises.source_ref.like("fhrs:%"))
        .order_by(Premises.id)
    ):
        created.append((pid, name, ptype))
        street = street_of(line1)
        if street and lon is not None and lat is not None:
            streets.by_ward.setdefault(ward_id, []).append((lon, lat, street))
    if languages:
        session.add_all(
            PremisesLanguage(premises_id=pid, language_code=code)
            for pid, _name, _type in created
            for code in sorted(rng.sample(languages, k=rng.choice((1, 1, 2))))
        )
        session.flush()
    return created


def _load_fictional_premises(
    session: Session,
    actor: Actor,
    now: datetime,
    points: list[tuple[float, float]],
    languages: list[str],
    loc: wards.WardLocator,
    rng: random.Random,
    streets: _Streets,
) -> list[tuple[int, str, str]]:
    """Create an invented business at each point, trades in turn; return (id, name, type).

    Its address is on a street of the ward the point is in (`streets`); a point in a ward with
    no known street (or in none) gets a street from anywhere in the borough.
    """
    created: list[tuple[int, str, str]] = []
    for i, (lon, lat) in enumerate(points):
        ptype, names = FICTIONAL_TRADES[i % len(FICTIONAL_TRADES)]
        name = f"{rng.choice(names)}" if ptype != PremisesType.WALK_UP_FLAT else f"Flat {i % 9 + 1}"
        number = rng.randint(1, 400)
        street = streets.pick(loc.ward_id(lon, lat), lon, lat, rng)
        p = premises.create_premises(
            session,
            actor,
            now,
            premises.PremisesInput(
                name=name,
                address_line1=f"{number} {street}",
                town="London",
                premises_type=ptype,
                longitude=round(lon, 6),
                latitude=round(lat, 6),
                language_codes=frozenset(rng.sample(languages, k=2)) if languages else frozenset(),
                source_ref=f"demo:{i}",
            ),
            locator=loc,
            audit_event=False,
        )
        created.append((p.id, p.name, ptype))
    return created


# The licence a demo premises of each type holds (a few restaurants hold one too).
_DEMO_REGIMES = {
    PremisesType.PUB_BAR: LicenceRegime.PREMISES_LICENCE,
    PremisesType.OFF_LICENCE: LicenceRegime.PREMISES_LICENCE,
    PremisesType.LATE_NIGHT_REFRESHMENT: LicenceRegime.PREMISES_LICENCE,
    PremisesType.NAIL_BAR: LicenceRegime.SPECIAL_TREATMENT,
    PremisesType.MASSAGE: LicenceRegime.SPECIAL_TREATMENT,
    PremisesType.HAIR_BEAUTY: LicenceRegime.SPECIAL_TREATMENT,
}


def _load_licences(
    session: Session,
    actor: Actor,
    now: datetime,
    created: list[tuple[int, str, str]],
    rng: random.Random,
) -> int:
    """Give most premises the licence their type needs, in a mix of states; return how many."""
    licence_count = 0
    today = london_today(now)
    for pid, _name, ptype in created:
        regime = _DEMO_REGIMES.get(PremisesType(ptype))
        if ptype == PremisesType.RESTAURANT_TAKEAWAY and rng.random() < 0.15:
            regime = LicenceRegime.PREMISES_LICENCE
        if regime is None or rng.random() < 0.12:  # some trade without the licence they need
            continue
        status = rng.choices(
            [
                LicenceStatus.ACTIVE,
                LicenceStatus.SUSPENDED,
                LicenceStatus.EXPIRED,
                LicenceStatus.APPLIED,
            ],
            weights=[85, 3, 7, 5],
        )[0]
        starts = today - timedelta(days=rng.randint(30, 3000))
        expires = (
            starts + timedelta(days=365) if regime == LicenceRegime.SPECIAL_TREATMENT else None
        )
        if expires and status == LicenceStatus.ACTIVE and expires < today:
            expires = today + timedelta(days=rng.randint(10, 300))
        prefix = "PL" if regime == LicenceRegime.PREMISES_LICENCE else "ST"
        pool = CONDITIONS[regime]
        licences.create_licence(
            session,
            actor,
            now,
            pid,
            licences.LicenceInput(
                regime=regime,
                reference=f"{prefix}/{starts.year}/{pid:05d}",
                holder_name=f"{rng.choice(('Sunrise', 'Riverside', 'Broadway', 'Westway', 'Parkside'))} Trading Ltd",
                status=status,
                granted_on=starts,
                starts_on=starts,
                expires_on=expires,
                conditions=tuple(rng.sample(pool, k=rng.randint(2, len(pool)))),
            ),
            audit_event=False,
        )
        licence_count += 1
    return licence_count
