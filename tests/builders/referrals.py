"""A world for Licensing Committee referral tests: people, a pub with a breached licence, evidence.

The fixture carries restricted strings of every kind the public paper must withhold: the
licence holder's and the designated premises supervisor's names, officers' names, a handling
code C flag's report and conditions, a graded P flag's report, and a released welfare visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from builders.inspections import make_inspection
from builders.people import NOW, make_org, make_user
from builders.register import WEST, make_licence, make_premises, make_wards
from builders.welfare import train, visit_input
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import LONDON
from enforcement.inspections import inspections
from enforcement.intelligence import flags
from enforcement.models import Inspection, IntelFlag, Licence, Premises, WelfareVisit
from enforcement.referrals import drafting as referrals
from enforcement.vocab import OrganisationKind, PremisesType
from enforcement.welfare import visits as welfare

HOLDER = "Thanh Nguyen"
DPS = "Kimberley Tranter"
OFFICER = "Olive Oakley"
SUPERVISOR = "Sam Sutherland"
CLERK = "Clara Clerkwell"
OTHER_OFFICER = "PC Dunstan Drummond"
BREACH_NOTE = "Fire door chained shut; Mr Nguyen said it was for security."
OBSERVATIONS = "Eight mattresses in the cellar. Mr Nguyen answered for every worker."
P_REPORT = "Workers collected by a minibus registered to a man known to the police."
C_REPORT = "Covert source reports passports held in the office safe."
C_CONDITIONS = "Share with the council licensing team only: a police operation is planned."
RELEASE_REASON = "Indicators corroborate the breaches found at inspection; needed as evidence."
CONDITIONS = (
    "CCTV covering every entrance shall be kept working and recordings kept for 31 days.",
    "Fire exits shall be kept unobstructed and unlocked while the premises are open.",
    "The anti-trafficking poster shall be displayed where staff and the public can see it.",
)
PUBLIC_SUMMARY = (
    "Two inspections found a fire exit locked and signs that people were living in the cellar."
    " The licence holder refused to let officers speak to staff alone."
)
NARRATIVE = (
    "Two inspections found fire exits locked and evidence of people living in the cellar.\n\n"
    "Mr Nguyen, the holder, refused to let officers speak to staff alone."
)
# Every string the public paper must not contain, and the exempt paper must.
RESTRICTED = (
    HOLDER,
    "Nguyen",
    DPS,
    OFFICER,
    OTHER_OFFICER,
    BREACH_NOTE,
    OBSERVATIONS.split(".")[0],
    P_REPORT,
    C_REPORT,
    C_CONDITIONS,
    RELEASE_REASON,
    "welfare visit to a",
    "Moontwist",
)


@dataclass
class World:
    actors: dict[str, Actor]
    premises: Premises
    licence: Licence
    inspections: list[Inspection]
    p_flag: IntelFlag
    c_flag: IntelFlag
    visit: WelfareVisit
    council_id: int
    police_id: int
    licence_conditions: list[Any]

    def condition_id(self, number: int) -> int:
        return next(c.id for c in self.licence_conditions if c.number == number)


PEOPLE = {
    # name: (roles, organisation, display name, wards)
    "officer": (("licensing_officer",), "council", OFFICER),
    "officer2": (("licensing_officer",), "council", "Oscar Other"),
    "supervisor": (("supervisor",), "council", SUPERVISOR),
    "supervisor2": (("supervisor",), "council", "Sue Second"),
    "clerk": (("committee_clerk",), "council", CLERK),
    "analyst": (("intel_analyst",), "police", "Ash Analyst"),
    "ward": (("ward_officer",), "police", "Wren Ward"),
    "admin": (("admin",), "council", "Ari Admin"),
}


def make_world(session: Session, now: datetime = NOW) -> World:
    """Build the referral world; everything is recorded before `now`."""
    make_wards(session)
    council = make_org(session, "Borough Council", OrganisationKind.COUNCIL)
    police = make_org(session, "Met Police", OrganisationKind.POLICE)
    orgs = {"council": council, "police": police}
    people = {}
    for key, (roles, org, name) in PEOPLE.items():
        people[key] = make_user(
            session,
            *roles,
            email=f"{key}@example.gov.uk",
            org=orgs[org],
            wards_=frozenset({WEST.code}) if key == "ward" else frozenset(),
            display_name=name,
        )
    actors = {k: users.actor_for(u) for k, u in people.items()}
    pub = make_premises(session, name="The Crown", premises_type=PremisesType.PUB_BAR)
    licence = make_licence(
        session, pub.id, reference="PL/2026/0042", holder_name=HOLDER, conditions=CONDITIONS
    )
    conds = sorted(licence.conditions, key=lambda c: c.number)
    found: list[Inspection] = []
    for days, key in ((40, "first"), (20, "second")):
        ins = make_inspection(
            session,
            pub.id,
            actor=actors["officer"],
            now=now - timedelta(days=days),
            inspected_at=now - timedelta(days=days, hours=1),
            reason="routine" if key == "first" else "follow_up",
            idempotency_key=f"ref-{key}",
            poster_visible_workers=False,
            officer_ids=frozenset({people["officer"].id}),
            other_officers=OTHER_OFFICER,
            licence_id=licence.id,
            findings=(
                inspections.FindingInput(conds[0].id, "complied"),
                inspections.FindingInput(conds[1].id, "breached", BREACH_NOTE),
            ),
            observations=OBSERVATIONS,
        )
        found.append(ins)
    analyst = actors["analyst"]
    p_flag = flags.raise_flag(
        session,
        analyst,
        now - timedelta(days=30),
        flags.FlagInput(
            reported_at=now - timedelta(days=31),
            source_type="police",
            exploitation=frozenset({"forced_labour"}),
            report_text=P_REPORT,
            premises_id=pub.id,
            grade=flags.GradeInput("3x5x2", "B", "2", "P"),
        ),
    )
    c_flag = flags.raise_flag(
        session,
        analyst,
        now - timedelta(days=10),
        flags.FlagInput(
            reported_at=now - timedelta(days=11),
            source_type="police",
            exploitation=frozenset({"sexual"}),
            report_text=C_REPORT,
            premises_id=pub.id,
            grade=flags.GradeInput(
                "3x5x2", "A", "1", "C", C_CONDITIONS, frozenset({council.id, police.id})
            ),
        ),
    )
    train(session, people["ward"])
    visit, _ = welfare.log_welfare_visit(
        session,
        actors["ward"],
        now - timedelta(days=5),
        visit_input(pub.id, visited_at=now - timedelta(days=5, hours=2), idempotency_key="ref-v"),
    )
    welfare.release_visit(
        session, actors["supervisor"], now - timedelta(days=4), visit.id, RELEASE_REASON
    )
    session.flush()
    return World(
        actors=actors,
        premises=pub,
        licence=licence,
        inspections=found,
        p_flag=p_flag,
        c_flag=c_flag,
        visit=visit,
        council_id=council.id,
        police_id=police.id,
        licence_conditions=conds,
    )


def full_draft(world: World, **overrides: Any) -> referrals.DraftInput:
    """A complete draft: both grounds, condition 2 breached, every kind of evidence, support."""
    data: dict[str, Any] = {
        "licence_id": world.licence.id,
        "unlicensed_trading": True,
        "breach_of_conditions": True,
        "condition_ids": frozenset({world.condition_id(2)}),
        "narrative": NARRATIVE,
        "public_summary": PUBLIC_SUMMARY,
        "evidence": frozenset(
            {
                ("inspection", world.inspections[0].id),
                ("inspection", world.inspections[1].id),
                ("poster_check", world.inspections[1].id),
                ("flag", world.p_flag.id),
                ("flag", world.c_flag.id),
                ("welfare_visit", world.visit.id),
            }
        ),
        "recommendation": "revoke",
        "dps_name": DPS,
        "support_services": frozenset({"nrm", "specialist_charity"}),
        "support_provider": "A specialist anti-trafficking charity and the council's safeguarding team",
        "support_taken_up": "yes",
        "support_offered_on": (NOW - timedelta(days=3)).date(),
    }
    data.update(overrides)
    return referrals.DraftInput(**data)


def at(day: str, clock: str = "10:00") -> datetime:
    """A London wall-clock moment as an aware UTC datetime ('2026-04-20', '16:00')."""
    local = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LONDON)
    return local.astimezone(UTC)
