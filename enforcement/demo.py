"""Demo data: real wards and food premises when the shared data is present, a fictional borough when not."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import london_today
from enforcement.models import Language, Organisation, Premises, PremisesLanguage
from enforcement.register import licences, premises, wards
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
    DemoUser(Role.PARTNER, "partner@demo.invalid", "Pat Partner", "partner-demo-2026", CHARITY),
    DemoUser(Role.ADMIN, "admin@demo.invalid", "Ari Admin", "admin-demo-2026!", COUNCIL),
)

# The demo ward officer and supervisor have done the Operation Moontwist course, so the ward
# officer can log welfare visits in the demo.
MOONTWIST_TRAINED = (Role.WARD_OFFICER, Role.SUPERVISOR)

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
)
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
)


def already_loaded(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(Organisation)) or 0) > 0


def _boundaries(shared: Path | None) -> tuple[list[WardBoundary], bool]:
    if shared is not None:
        path = shared / "wards" / "hf_wards_2022_wgs84.geojson"
        if path.is_file():
            return load_geojson(path), True
    return fictional_borough(seed=7), False


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
    _load_people(session, actor, now, sorted(b.code for b in boundaries))
    languages = [lang.code for lang in session.scalars(select(Language))]
    loc = wards.locator(session, london_today(now))
    created: list[tuple[int, str, str]] = []
    fhrs = shared / "premises" / "FHRS513en-GB.xml" if real and shared is not None else None
    if fhrs is not None and fhrs.is_file():
        created += _load_fhrs_premises(session, actor, now, fhrs, languages, loc, rng)
    points = random_points_in(boundaries, 60 if real else 400, rng)
    created += _load_fictional_premises(session, actor, now, points, languages, loc, rng)
    counts = {
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


def _load_people(session: Session, actor: Actor, now: datetime, codes: list[str]) -> None:
    """Create the three organisations and one user per role (Moontwist training where due)."""
    orgs = {
        name: users.create_organisation(session, actor, now, name=name, kind=kind)
        for name, kind in (
            (COUNCIL, OrganisationKind.COUNCIL),
            (POLICE, OrganisationKind.POLICE),
            (CHARITY, OrganisationKind.CHARITY),
        )
    }
    made: dict[Role, int] = {}
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
        made[du.role] = user.id
        if du.role in MOONTWIST_TRAINED:
            training.record_training(
                session,
                actor,
                now,
                training.TrainingInput(
                    user.id, london_today(now) - timedelta(days=30), training.DEFAULT_COURSE
                ),
            )
    # Case workers' statutory reminders escalate to the demo supervisor.
    for role in (Role.LICENSING_OFFICER, Role.WARD_OFFICER, Role.COMMITTEE_CLERK):
        tasks.set_supervisor(session, actor, now, made[role], made[Role.SUPERVISOR])


def _load_fhrs_premises(
    session: Session,
    actor: Actor,
    now: datetime,
    path: Path,
    languages: list[str],
    loc: wards.WardLocator,
    rng: random.Random,
) -> list[tuple[int, str, str]]:
    """Import the FHRS extract through the register import (as `flask register import` does),
    then give each premises a language or two; return (id, name, type) of each."""
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
    created = [
        (pid, name, ptype)
        for pid, name, ptype in session.execute(
            select(Premises.id, Premises.name, Premises.premises_type)
            .where(Premises.source_ref.like("fhrs:%"))
            .order_by(Premises.id)
        )
    ]
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
) -> list[tuple[int, str, str]]:
    """Create an invented business at each point, trades in turn; return (id, name, type)."""
    created: list[tuple[int, str, str]] = []
    for i, (lon, lat) in enumerate(points):
        ptype, names = FICTIONAL_TRADES[i % len(FICTIONAL_TRADES)]
        name = f"{rng.choice(names)}" if ptype != PremisesType.WALK_UP_FLAT else f"Flat {i % 9 + 1}"
        number = rng.randint(1, 400)
        p = premises.create_premises(
            session,
            actor,
            now,
            premises.PremisesInput(
                name=name,
                address_line1=f"{number} {rng.choice(STREETS)}",
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
