"""A borough whose action plan figures for January to March 2026 were worked out by hand.

Two wards (Westward, Eastward) and a place outside both. Every record is made through the
domain's own workflows at the time it happened, except the statutory deadlines, which are
derived data and are written as rows. The expected figures are in `EXPECTED` (quarter Q1,
"now" 15 April 2026), each with the records that make it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from builders.cases import make_case
from builders.flags import grade_c, make_flag
from builders.inspections import make_inspection
from builders.people import SYSTEM, make_org, make_user
from builders.register import (
    EAST,
    IN_EAST,
    IN_WEST,
    OUTSIDE,
    WEST,
    make_licence,
    make_premises,
    make_wards,
)
from builders.welfare import IMMIGRATION, referral_input, visit_input, visit_record
from builders.welfare import referrals as counted_referrals
from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import to_london
from enforcement.measures import Quarter, data_share
from enforcement.models import CaseDeadline, CaseEvent, Referral, User
from enforcement.referrals import drafting as referrals
from enforcement.register import licences
from enforcement.safeguarding import records
from enforcement.vocab import LicenceStatus, OrganisationKind
from enforcement.welfare import training
from enforcement.welfare import visits as welfare

Q1 = Quarter(2026, 1)
Q4 = Quarter(2025, 4)
AFTER = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)  # "now" for the Q1 figures
W, E = WEST.code, EAST.code


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


ALL_GUIDANCE = frozenset(g.value for g in welfare.GuidanceItem)
PARTIAL_GUIDANCE = ALL_GUIDANCE - {welfare.GuidanceItem.RECORDED_SAME_DAY.value}

# Quarter Q1 2026, by measure: ward code ("" outside every ward) -> category -> count; the
# borough's figures under "total". Zeros are left out.
EXPECTED: dict[str, dict[str, dict[str, int]]] = {
    # wo1 (West and East, trained in November); wo2 (West, trained on 2 April, after the
    # quarter); wo3 (East, never); wo4 (East, deactivated); wo5 (trained, covers no ward).
    "moontwist_training": {
        W: {"trained": 1, "not_trained": 1, "officers": 2},
        E: {"trained": 1, "not_trained": 1, "officers": 2},
        "total": {"trained": 1, "not_trained": 2, "officers": 3},
    },
    # v1 (West, indicators), v2 (West, none), v3 (East, under 18), v4 (East, 23:30 on 31 March
    # in London, none); v5 at 00:30 on 1 April and v6 in December are other quarters.
    "welfare_visits": {
        W: {"with_indicators": 1, "without_indicators": 1, "visits": 2},
        E: {"with_indicators": 1, "without_indicators": 1, "visits": 2},
        "total": {"with_indicators": 2, "without_indicators": 2, "visits": 4},
    },
    "guidance_followed": {
        W: {"followed": 1, "not_followed": 1, "visits": 2},
        E: {"followed": 1, "not_followed": 1, "visits": 2},
        "total": {"followed": 2, "not_followed": 2, "visits": 4},
    },
    # Due in Q1: v6 (due 3 January, next visit 10 January: late), v1 (due 24 January, next
    # visit 20 January: on time), v3 (due 15 February, no later visit: not made).
    "follow_ups": {
        W: {"on_time": 1, "late": 1, "due": 2},
        E: {"not_made": 1, "due": 1},
        "total": {"on_time": 1, "late": 1, "not_made": 1, "due": 3},
    },
    # Active licences: pA (West, compliant in February), pB (West, not compliant in 2024, its
    # compliant check is in April), pC (East, never checked), pOut (outside, compliant).
    "poster_compliance": {
        W: {"compliant": 1, "not_compliant": 1, "licensed": 2},
        E: {"never_checked": 1, "licensed": 1},
        "": {"compliant": 1, "licensed": 1},
        "total": {"compliant": 2, "not_compliant": 1, "never_checked": 1, "licensed": 4},
    },
    "premises_checked": {
        W: {"checked": 1, "not_checked": 1, "licensed": 2},
        E: {"not_checked": 1, "licensed": 1},
        "": {"checked": 1, "licensed": 1},
        "total": {"checked": 2, "not_checked": 2, "licensed": 4},
    },
    # pA: two flags and a case; pE: a police-only (handling code C) flag; pC: a case; and a
    # flag about a place in East not in the register.
    "premises_of_concern": {
        W: {"flag_and_case": 1, "premises": 1},
        E: {"flag_only": 1, "case_only": 1, "premises": 2, "places_not_in_register": 1},
        "total": {
            "flag_only": 1,
            "case_only": 1,
            "flag_and_case": 1,
            "premises": 3,
            "places_not_in_register": 1,
        },
    },
    # The same flags by the forms they report: pA's second reports forced labour as well as
    # sexual exploitation (counted under both, once among the flags); the place's, cuckooing.
    "flags_by_form": {
        W: {"sexual": 2, "forced_labour": 1, "flags": 2},
        E: {"sexual": 1, "cuckooing": 1, "flags": 2},
        "total": {"sexual": 3, "forced_labour": 1, "cuckooing": 1, "flags": 4},
    },
    # cW (closure, pA, February), cE (review, pC, 23:30 on 31 March London); cX is April.
    "enforcement_actions": {
        W: {"asbcpa_closure": 1, "cases": 1},
        E: {"premises_review": 1, "cases": 1},
        "total": {"asbcpa_closure": 1, "premises_review": 1, "cases": 2},
    },
    # pA (revoke, signed off in February, decided in March); pC (suspend, 23:45 on 31 March in
    # London); pB's is April.
    "committee_referrals": {
        W: {"revoke": 1, "referrals": 1, "decisions": 1},
        E: {"suspend": 1, "referrals": 1},
        "total": {"revoke": 1, "suspend": 1, "referrals": 2, "decisions": 1},
    },
    # L1 (West) suspended; L3 (West) suspended then revoked; L2 (East) revoked; L4 revoked in
    # December. L1's notes later quote '"status": "revoked"': no change of status.
    "licences_revoked_suspended": {
        W: {"revoked": 1, "suspended": 2, "changes": 3},
        E: {"revoked": 1, "changes": 1},
        "total": {"revoked": 2, "suspended": 2, "changes": 4},
    },
    # v1: an adult's and a child's NRM referral, 1 Duty to Notify (and 2 to a charity, counted
    # apart from the NRM's total); pA's inspection: an adult's NRM referral; v3: a child's NRM
    # referral, under 18; v4: 2 Duty to Notify (and 1 to social services). v5's five are
    # April's.
    "nrm_referrals": {
        W: {
            "nrm_adult": 2,
            "nrm_child": 1,
            "duty_to_notify": 1,
            "referrals": 4,
            "specialist_charity": 2,
        },
        E: {
            "nrm_child": 1,
            "duty_to_notify": 2,
            "referrals": 3,
            "social_services": 1,
            "child_visits": 1,
        },
        "total": {
            "nrm_adult": 2,
            "nrm_child": 2,
            "duty_to_notify": 3,
            "referrals": 7,
            "specialist_charity": 2,
            "social_services": 1,
            "child_visits": 1,
        },
    },
    # v1 approved, v2 awaiting a decision (West); v4 declined (East).
    "immigration_referrals": {
        W: {"approved": 1, "pending": 1, "made": 2},
        E: {"declined": 1, "made": 1},
        "total": {"approved": 1, "declined": 1, "pending": 1, "made": 3},
    },
    # cW: met, missed, pending but past (missed), a window (not owed), one in April, one
    # closed; cE: met.
    "deadlines": {
        W: {"met": 1, "missed": 2, "due": 3},
        E: {"met": 1, "due": 1},
        "total": {"met": 2, "missed": 2, "due": 4},
    },
    # Charity A (re-imported: its first file superseded) and Charity B.
    "partners_sharing": {
        W: {"partners": 1},
        E: {"partners": 2},
        "": {"partners": 2},
        "total": {"partners": 2},
    },
    "partner_figures": {
        W: {"nrm_referrals": 4},
        E: {"nrm_referrals": 4, "engaging_in_support": 2},
        "": {"potential_victims": 7, "contacts_signposted": 40},
        "total": {
            "nrm_referrals": 8,
            "engaging_in_support": 2,
            "potential_victims": 7,
            "contacts_signposted": 40,
        },
    },
    "partner_nrm_by_age": {
        W: {"adult": 3, "child": 1, "referrals": 4},
        E: {"adult": 4, "referrals": 4},
        "total": {"adult": 7, "child": 1, "referrals": 8},
    },
}
# The previous quarter (October to December 2025), for the measures whose target is an increase.
EXPECTED_Q4 = {
    "premises_of_concern": {"premises": 1},
    "enforcement_actions": {"cases": 1},
    "licences_revoked_suspended": {"revoked": 1},
    "nrm_referrals": {"nrm_age_not_known": 1, "referrals": 1},
}


@dataclass
class Borough:
    actors: dict[str, Actor]
    users: dict[str, User]
    premises: dict[str, int]
    orgs: dict[str, int]


def _visit(
    session: Session,
    officer: Actor,
    premises_id: int,
    when: datetime,
    immigration: tuple[Actor, bool | None] | None = None,
    **kw: Any,
) -> None:
    day = to_london(when).date()
    if "referrals" in kw:  # made on the day of the visit
        kw["referrals"] = tuple(dataclasses.replace(r, submitted_on=day) for r in kw["referrals"])
    if immigration is not None:
        kw["record"] = visit_record(
            outcomes=frozenset({"immigration_referral"}), immigration_justification=IMMIGRATION
        )
    data = visit_input(premises_id, visited_at=when, **kw)
    visit, _ = welfare.log_welfare_visit(session, officer, when + timedelta(minutes=30), data)
    if immigration is not None and immigration[1] is not None:
        welfare.decide_immigration_referral(
            session,
            immigration[0],
            when + timedelta(hours=2),
            visit.id,
            approve=immigration[1],
            note="Decided on the justification recorded.",
        )


def _inspect(session: Session, premises_id: int, when: datetime, compliant: bool) -> int:
    return make_inspection(
        session, premises_id, inspected_at=when, poster_visible_workers=compliant
    ).id


def _relicence(session: Session, licence_id: int, when: datetime, **changes: Any) -> None:
    lic = licences.get_licence(session, SYSTEM, licence_id)
    fields = {name: getattr(lic, name) for name in licences.LICENCE_FIELDS} | changes
    licences.update_licence(
        session, SYSTEM, when, licence_id, lic.version, licences.LicenceInput(**fields)
    )


def _deadline(
    session: Session,
    case_id: int,
    event_id: int,
    rule: str,
    due: datetime,
    status: str,
    direction: str = "by",
) -> None:
    session.add(
        CaseDeadline(
            case_id=case_id,
            rule_id=rule,
            due_at=due,
            status=status,
            direction=direction,
            anchor_event_id=event_id,
            explanation="Written by the test",
            confirmed=True,
            computed_at=due,
        )
    )


def make_borough(session: Session) -> Borough:
    """Make the borough; the caller commits."""
    make_wards(session)
    council = make_org(session, "Council (measures)")
    police = make_org(session, "Police (measures)", kind=OrganisationKind.POLICE)
    charity_a = make_org(session, "Charity A (measures)", kind=OrganisationKind.CHARITY)
    charity_b = make_org(session, "Charity B (measures)", kind=OrganisationKind.CHARITY)
    people = {
        "wo1": make_user(session, "ward_officer", org=police, wards_=frozenset({W, E})),
        "wo2": make_user(session, "ward_officer", org=police, wards_=frozenset({W})),
        "wo3": make_user(session, "ward_officer", org=police, wards_=frozenset({E})),
        "wo4": make_user(session, "ward_officer", org=police, wards_=frozenset({E})),
        "wo5": make_user(session, "ward_officer", org=police),
        "supervisor": make_user(session, "supervisor", org=council, email="sup@m.test"),
        "supervisor2": make_user(session, "supervisor", org=council, email="sup2@m.test"),
        "analyst": make_user(session, "intel_analyst", org=police, email="analyst@m.test"),
        "licensing": make_user(session, "licensing_officer", org=council, email="lic@m.test"),
        "partner": make_user(session, "partner", org=charity_a, email="partner@m.test"),
        "partner_b": make_user(session, "partner", org=charity_b, email="partner-b@m.test"),
        "admin": make_user(session, "admin", org=council, email="admin@m.test"),
    }
    users.set_active(session, SYSTEM, at(2026, 1, 2), people["wo4"].id, False)
    for who, day in (
        ("wo1", date(2025, 11, 1)),
        ("wo2", date(2026, 4, 2)),
        ("wo5", date(2026, 1, 5)),
        ("supervisor", date(2026, 1, 5)),
    ):
        training.record_training(
            session,
            SYSTEM,
            AFTER,
            training.TrainingInput(people[who].id, day, training.DEFAULT_COURSE),
        )
    actors = {k: users.actor_for(u) for k, u in people.items()}

    def place(name: str, where: tuple[float, float] = IN_WEST, kind: str = "pub_bar") -> int:
        return make_premises(
            session, name=name, premises_type=kind, longitude=where[0], latitude=where[1]
        ).id

    p = {
        "pW": place("Flat 1 West", kind="residential_flat"),
        "pE": place("Flat 1 East", IN_EAST, "residential_flat"),
        "pE2": place("Flat 2 East", IN_EAST, "residential_flat"),
        "pA": place("Nails West", kind="nail_bar"),
        "pB": place("Pub West"),
        "pC": place("Pub East", IN_EAST),
        "pD": place("Revoked East", IN_EAST),
        "pOut": place("Over the border", OUTSIDE),
        "pL1": place("Licence one West"),
        "pL2": place("Licence two East", IN_EAST),
        "pL3": place("Licence three West"),
        "pL4": place("Licence four West"),
    }

    # Welfare visits, each logged half an hour after it took place by wo1 (covering both wards).
    wo1 = actors["wo1"]
    quiet = {"indicators": frozenset(), "referrals": (), "no_referrals": True}
    _visit(
        session, wo1, p["pW"], at(2025, 12, 20, 10), referrals=counted_referrals(("nrm", 1))
    )  # v6
    _visit(  # v1: an adult and a child referred to the NRM
        session,
        wo1,
        p["pW"],
        at(2026, 1, 10, 10),
        referrals=(
            referral_input(),
            referral_input(age_group="child", consent_given=None),
            *counted_referrals(("duty_to_notify", 1), ("specialist_charity", 2)),
        ),
        immigration=(actors["supervisor"], True),
    )
    _visit(  # v2
        session,
        wo1,
        p["pW"],
        at(2026, 1, 20, 10),
        guidance=PARTIAL_GUIDANCE,
        immigration=(actors["supervisor"], None),
        **quiet,
    )
    _visit(  # v3
        session,
        wo1,
        p["pE"],
        at(2026, 2, 1, 10),
        indicators=frozenset({"appears_under_18"}),
        referrals=(referral_input(age_group="child", consent_given=None, age_disputed=True),),
    )
    _visit(  # v4: 23:30 on 31 March in London (BST), a return asked for
        session,
        wo1,
        p["pE2"],
        at(2026, 3, 31, 22, 30),
        guidance=PARTIAL_GUIDANCE,
        indicators=frozenset(),
        referrals=counted_referrals(("duty_to_notify", 2), ("social_services", 1)),
        return_requested=True,
        immigration=(actors["supervisor"], False),
    )
    _visit(
        session, wo1, p["pW"], at(2026, 3, 31, 23, 30), referrals=counted_referrals(("nrm", 5))
    )  # v5

    # Licensed premises and their poster checks.
    licence_of = {key: make_licence(session, p[key]).id for key in ("pA", "pB", "pC", "pOut")}
    make_licence(session, p["pD"], status=LicenceStatus.REVOKED)
    _inspect(session, p["pA"], at(2025, 6, 1, 10), compliant=False)
    checked_a = _inspect(session, p["pA"], at(2026, 2, 10, 10), compliant=True)
    # The nail bar's inspection led to an adult's NRM referral for labour exploitation.
    records.record_referral(
        session,
        SYSTEM,
        at(2026, 2, 10, 12),
        records.Source(records.INSPECTION, checked_a),
        referral_input(
            submitted_on=date(2026, 2, 10),
            gender="male",
            exploitation_types=frozenset({"labour"}),
            first_responder_type="local_authority",
        ),
    )
    checked_b = _inspect(session, p["pB"], at(2024, 11, 1, 10), compliant=False)
    _inspect(session, p["pB"], at(2026, 4, 5, 10), compliant=True)
    _inspect(session, p["pD"], at(2026, 2, 1, 10), compliant=True)
    _inspect(session, p["pOut"], at(2026, 1, 5, 10), compliant=True)

    # Licences revoked and suspended (their premises hold no other licence).
    l1 = make_licence(session, p["pL1"]).id
    l2 = make_licence(session, p["pL2"]).id
    l3 = make_licence(session, p["pL3"]).id
    l4 = make_licence(session, p["pL4"]).id
    _relicence(session, l4, at(2025, 12, 15, 10), status=LicenceStatus.REVOKED)
    _relicence(session, l3, at(2026, 1, 10, 10), status=LicenceStatus.SUSPENDED)
    _relicence(session, l1, at(2026, 2, 1, 10), status=LicenceStatus.SUSPENDED)
    _relicence(session, l2, at(2026, 3, 1, 10), status=LicenceStatus.REVOKED)
    _relicence(session, l3, at(2026, 3, 10, 10), status=LicenceStatus.REVOKED)
    _relicence(session, l1, at(2026, 3, 12, 10), notes='Appeal says "status": "revoked" soon')

    # Intelligence flags: two at pA, a police-only one at pE, one about a place not yet in the
    # register (in East), and one at pB in December.
    def flag(when: datetime, premises_id: int | None = None, **kw: Any) -> None:
        make_flag(session, premises_id, reported_at=when, **kw)

    flag(at(2026, 1, 15, 9), p["pA"])
    flag(at(2026, 2, 15, 9), p["pA"], exploitation=frozenset({"sexual", "forced_labour"}))
    flag(
        at(2026, 2, 20, 9),
        p["pE"],
        grade=grade_c({police.id}),
    )
    flag(
        at(2026, 3, 1, 9),
        None,
        location_text="Above the shop",
        longitude=IN_EAST[0],
        latitude=IN_EAST[1],
        exploitation=frozenset({"cuckooing"}),
    )
    flag(at(2025, 12, 1, 9), p["pB"])

    # Enforcement cases, opened by a licensing officer of the council.
    officer = people["licensing"].id

    def open_case(premises_id: int, tool: str, when: datetime) -> int:
        return make_case(session, premises_id, council.id, officer, tool=tool, now=when).id

    c_w = open_case(p["pA"], "asbcpa_closure", at(2026, 2, 1, 10))
    c_e = open_case(p["pC"], "premises_review", at(2026, 3, 31, 22, 30))
    open_case(p["pA"], "asbcpa_closure", at(2026, 3, 31, 23, 30))  # April in London
    open_case(p["pB"], "prosecution", at(2025, 11, 1, 10))
    # Deadlines are the statutory clock's; here they are written as rows with known statuses.
    session.execute(delete(CaseDeadline).where(CaseDeadline.case_id.in_([c_w, c_e])))
    for case_id in (c_w, c_e):
        session.add(
            CaseEvent(
                case_id=case_id,
                kind="notice_issued",
                occurred_at=at(2026, 1, 2),
                recorded_at=at(2026, 1, 2),
            )
        )
    session.flush()
    event = {
        cid: session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == cid))
        for cid in (c_w, c_e)
    }
    _deadline(session, c_w, event[c_w], "t.met", at(2026, 2, 1), "met")
    _deadline(session, c_w, event[c_w], "t.missed", at(2026, 2, 10), "missed")
    _deadline(session, c_w, event[c_w], "t.past", at(2026, 3, 20), "pending")
    _deadline(session, c_w, event[c_w], "t.window", at(2026, 3, 25), "pending", "window")
    _deadline(session, c_w, event[c_w], "t.april", at(2026, 4, 20), "pending")
    _deadline(session, c_w, event[c_w], "t.closed", at(2026, 3, 30), "closed")
    _deadline(session, c_e, event[c_e], "t.met", at(2026, 1, 15), "met", "before")

    # Referrals to the Licensing Committee, through the referrals workflow: pA (revoke) signed
    # off in February and decided in March, pC (suspend) signed off at 23:45 on 31 March in
    # London, pB (revoke) signed off in April.
    def refer(premises: str, evidence: tuple[str, int], drafted: datetime, **kw: Any) -> int:
        draft = referrals.DraftInput(
            licence_id=licence_of[premises],
            unlicensed_trading=True,
            narrative="The poster was missing and people appeared to be living on site.",
            public_summary="The poster was missing and people appeared to be living on site.",
            evidence=frozenset({evidence}),
            support_services=frozenset({"specialist_charity"}),
            support_provider="A specialist anti-trafficking charity",
            support_taken_up="not_known",
            support_offered_on=drafted.date(),
            **kw,
        )
        officer, supervisor = actors["licensing"], actors["supervisor"]
        r = referrals.create_draft(session, officer, drafted, p[premises], draft)
        referrals.submit(session, officer, drafted + timedelta(minutes=5), r.id, r.version)
        referrals.sign_off(session, supervisor, drafted + timedelta(minutes=10), r.id, r.version)
        return r.id

    decided = refer("pA", ("inspection", checked_a), at(2026, 2, 20, 10), recommendation="revoke")
    refer(
        "pC",
        ("case", c_e),
        at(2026, 3, 31, 22, 35),
        recommendation="suspend",
        suspension_months=2,
    )
    refer("pB", ("inspection", checked_b), at(2026, 4, 2, 10), recommendation="revoke")
    # The decision itself is the clerk's workflow (enforcement.referrals.process, tested there);
    # here only its date matters, so it is written on the row.
    session.execute(
        update(Referral).where(Referral.id == decided).values(decided_at=at(2026, 3, 25, 15))
    )

    # Partners' submissions for Q1: Charity A's first file is superseded by its second.
    def submit(org: int, lines: list[str], when: datetime) -> None:
        body = "quarter,ward_code,measure,age_group,count\n" + "\n".join(lines) + "\n"
        data_share.import_submission(session, actors["analyst"], when, org, Q1, body.encode())

    submit(charity_a.id, [f"2026-Q1,{W},nrm_referrals,adult,9"], at(2026, 4, 2, 9))
    submit(
        charity_a.id,
        [
            f"2026-Q1,{W},nrm_referrals,adult,3",
            f"2026-Q1,{W},nrm_referrals,child,1",
            "2026-Q1,,potential_victims,adult,7",
            f"2026-Q1,{E},engaging_in_support,not_known,2",
        ],
        at(2026, 4, 3, 9),
    )
    submit(
        charity_b.id,
        [f"2026-Q1,{E},nrm_referrals,adult,4", "2026-Q1,,contacts_signposted,all,40"],
        at(2026, 4, 4, 9),
    )
    session.flush()
    return Borough(
        actors,
        people,
        p,
        {"council": council.id, "police": police.id, "a": charity_a.id, "b": charity_b.id},
    )


# The name the measures tests have always used.
build = make_borough
