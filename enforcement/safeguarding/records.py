"""Anonymous referral records: one per referral made from a welfare visit or an inspection.

A record says how a person was referred, as the Home Office's NRM statistics count referrals,
and nothing that could identify them (docs/welfare.md). Who may read and write a record is
whoever may read and record the visit or inspection it was made from: a visit's records are
welfare content, read through `enforcement.policy`. Changes are audited against that visit or
inspection, so the audit trail's need-to-know rule for it applies to them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit, policy
from enforcement.access import Actor, Permission, can, require
from enforcement.clock import day_text, london_today, to_london
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.models import Inspection, Organisation, Premises, PremisesWard, Ward, WelfareVisit
from enforcement.models.safeguarding import ReferralRecord, ReferralRecordType
from enforcement.policy import Visibility
from enforcement.safeguarding.vocab import (
    RESPONDER_TYPE_OF_KIND,
    AgeGroup,
    Decision,
    ExploitationPlace,
    ExploitationType,
    FirstResponderType,
    Gender,
    ReferralRoute,
)

VISIT = "welfare_visit"
INSPECTION = "inspection"
EARLIEST = timedelta(days=366 * 5)
_TYPE_ORDER = {t.value: n for n, t in enumerate(ExploitationType)}
OUTCOME_FIELDS = ("rg_decided_on", "rg_outcome", "cg_decided_on", "cg_outcome")


@dataclass(frozen=True)
class ReferralInput:
    """One referral, as typed: the route, the person's age group and the rest, never a name."""

    route: str
    age_group: str
    submitted_on: date | None
    age_disputed: bool = False
    consent_given: bool | None = None
    gender: str = Gender.NOT_RECORDED.value
    exploitation_types: frozenset[str] = field(
        default_factory=lambda: frozenset({ExploitationType.NOT_KNOWN.value})
    )
    exploitation_place: str = ExploitationPlace.NOT_KNOWN.value
    first_responder_org_id: int | None = None
    first_responder_type: str = FirstResponderType.NOT_KNOWN.value


@dataclass(frozen=True)
class OutcomesInput:
    """The NRM's later decisions: reasonable grounds, then conclusive grounds."""

    rg_decided_on: date | None = None
    rg_outcome: str | None = None
    cg_decided_on: date | None = None
    cg_outcome: str | None = None


@dataclass(frozen=True)
class Source:
    """The visit or the inspection a referral was made from."""

    kind: str  # VISIT or INSPECTION
    id: int


# --- Checking what was typed ---------------------------------------------------------------------


def _codes(vocab: type[ReferralRoute] | type[AgeGroup] | type[Gender]) -> set[str]:
    return {m.value for m in vocab}


#: The routes that ask an adult's informed consent to enter the NRM (Duty to Notify is the route
#: of an adult who did not give it).
NRM_ROUTES = frozenset({ReferralRoute.NRM.value, ReferralRoute.DUTY_TO_NOTIFY.value})


def _check_who(errors: dict[str, str], data: ReferralInput, key: str) -> None:
    """The route against the age group and consent: children always go to the NRM."""
    if data.route not in _codes(ReferralRoute):
        errors[f"{key}route"] = "Select how the person was referred"
    if data.age_group not in _codes(AgeGroup):
        errors[f"{key}age_group"] = "Select the person's age group"
        return
    dtn = data.route == ReferralRoute.DUTY_TO_NOTIFY
    if data.age_group != AgeGroup.ADULT:
        if dtn:
            errors[f"{key}route"] = (
                "Duty to Notify is for adults only: refer a child, or anyone whose age is not "
                "known, to the NRM (no consent is needed)"
            )
        return
    if data.route not in NRM_ROUTES:
        return  # consent to enter the NRM is not asked of a referral elsewhere
    if data.consent_given is None:
        errors[f"{key}consent_given"] = (
            "Say whether the adult gave informed consent to enter the NRM"
        )
    elif data.route == ReferralRoute.NRM and not data.consent_given:
        errors[f"{key}route"] = (
            "An adult enters the NRM only with their informed consent: without it, "
            "choose Duty to Notify"
        )
    elif dtn and data.consent_given:
        errors[f"{key}route"] = (
            "An adult who gave informed consent is referred to the NRM, not through Duty to Notify"
        )


def _check_what(errors: dict[str, str], session: Session, data: ReferralInput, key: str) -> None:
    if data.gender not in _codes(Gender):
        errors[f"{key}gender"] = "Select the gender as recorded"
    types = data.exploitation_types
    if not types:
        errors[f"{key}exploitation_types"] = "Select the forms of exploitation, or 'Not known'"
    elif types - {t.value for t in ExploitationType}:
        errors[f"{key}exploitation_types"] = "Select forms of exploitation from the list"
    elif ExploitationType.NOT_KNOWN in types and len(types) > 1:
        errors[f"{key}exploitation_types"] = (
            "Select 'Not known' only when no form of exploitation is known"
        )
    if data.exploitation_place not in {p.value for p in ExploitationPlace}:
        errors[f"{key}exploitation_place"] = "Select where the exploitation happened"
    if data.first_responder_type not in {t.value for t in FirstResponderType}:
        errors[f"{key}first_responder_type"] = "Select the kind of first responder organisation"
    if (
        data.first_responder_org_id is not None
        and session.get(Organisation, data.first_responder_org_id) is None
    ):
        errors[f"{key}first_responder_org_id"] = "Select an organisation from the list"


def _check_date(
    errors: dict[str, str], key: str, label: str, day: date | None, today: date
) -> None:
    if day is None:
        return
    if day > today:
        errors[key] = f"{label} must be today or in the past"
    elif day < today - EARLIEST:
        errors[key] = f"{label} must be within the last 5 years"


@dataclass(frozen=True)
class Made:
    """What a referral was made from, for checking its date: "the visit", on its London day."""

    noun: str
    day: date

    @classmethod
    def visit(cls, visited_at: datetime) -> Made:
        return cls("the visit", to_london(visited_at).date())

    @classmethod
    def inspection(cls, inspected_at: datetime) -> Made:
        return cls("the inspection", to_london(inspected_at).date())


def made_from(source: object) -> Made:
    """The visit or inspection a referral comes from, as `check_referral` takes it."""
    if isinstance(source, WelfareVisit):
        return Made.visit(source.visited_at)
    assert isinstance(source, Inspection)
    return Made.inspection(source.inspected_at)


def check_referral(
    session: Session,
    data: ReferralInput,
    today: date,
    key: str = "",
    made: Made | None = None,
) -> dict[str, str]:
    """Return a message per problem with one referral (field names prefixed with `key`); with
    `made`, a referral dated before the visit or inspection it came from is refused (it would
    count in the wrong quarter)."""
    errors: dict[str, str] = {}
    _check_who(errors, data, key)
    _check_what(errors, session, data, key)
    if data.submitted_on is None:
        errors[f"{key}submitted_on"] = "Enter the date the referral was made"
    _check_date(errors, f"{key}submitted_on", "The date of the referral", data.submitted_on, today)
    if (
        made is not None
        and data.submitted_on is not None
        and f"{key}submitted_on" not in errors
        and data.submitted_on < made.day
    ):
        errors[f"{key}submitted_on"] = (
            f"The date of the referral cannot be before {made.noun}, on {day_text(made.day)}"
        )
    return errors


#: The indicator that always means the child route (docs/welfare.md).
APPEARS_UNDER_18 = "appears_under_18"
CHILD_ROUTE = (
    "Someone appeared to be under 18, and a child is always referred (to the NRM, or to "
    "children's social services)"
)


def child_route_problem(indicators: frozenset[str], no_referrals: bool) -> str | None:
    """Say what is wrong when someone appeared to be under 18 and no referral was made."""
    if APPEARS_UNDER_18 in indicators and no_referrals:
        return f"{CHILD_ROUTE}: answer that referrals were made, and record each one"
    return None


def _check_outcomes(
    errors: dict[str, str], record: ReferralRecord, data: OutcomesInput, today: date
) -> None:
    outcomes = {d.value for d in Decision}
    for prefix, name in (("rg", "reasonable grounds"), ("cg", "conclusive grounds")):
        outcome = getattr(data, f"{prefix}_outcome")
        day = getattr(data, f"{prefix}_decided_on")
        if outcome is not None and outcome not in outcomes:
            errors[f"{prefix}_outcome"] = f"Select the {name} decision"
        elif outcome is not None and day is None:
            errors[f"{prefix}_decided_on"] = f"Enter the date of the {name} decision"
        elif outcome is None and day is not None:
            errors[f"{prefix}_outcome"] = f"Select the {name} decision, or clear its date"
        _check_date(errors, f"{prefix}_decided_on", f"The {name} date", day, today)
        if day is not None and day < record.submitted_on and f"{prefix}_decided_on" not in errors:
            errors[f"{prefix}_decided_on"] = (
                f"The {name} decision cannot come before the referral was made"
            )
    if record.route != ReferralRoute.NRM and (data.rg_outcome or data.cg_outcome):
        errors["rg_outcome"] = (
            "Only NRM referrals receive reasonable and conclusive grounds decisions"
        )
    if data.cg_outcome and data.rg_outcome != Decision.POSITIVE and "cg_outcome" not in errors:
        errors["cg_outcome"] = (
            "A conclusive grounds decision follows a positive reasonable grounds decision"
        )
    if (
        data.cg_decided_on
        and data.rg_decided_on
        and data.cg_decided_on < data.rg_decided_on
        and "cg_decided_on" not in errors
    ):
        errors["cg_decided_on"] = (
            "The conclusive grounds decision cannot come before the reasonable grounds decision"
        )


# --- Who may read and write ----------------------------------------------------------------------


def _source_ward(session: Session, source: Source) -> tuple[object, str | None]:
    """Return the visit or inspection (NotFound if none) and its ward."""
    if source.kind == VISIT:
        visit = session.get(WelfareVisit, source.id)
        if visit is None:
            raise NotFound("There is no such welfare visit.")
        return visit, visit.ward_code or None
    if source.kind == INSPECTION:
        inspection = session.get(Inspection, source.id)
        if inspection is None:
            raise NotFound("There is no such inspection.")
        ward = session.scalar(
            select(Ward.code)
            .join(PremisesWard, PremisesWard.ward_id == Ward.id)
            .join(Premises, Premises.id == PremisesWard.premises_id)
            .where(Premises.id == inspection.premises_id)
        )
        return inspection, ward
    raise NotFound("There is no such record.")


def _require_read(actor: Actor, source: Source, record: object) -> None:
    if source.kind == VISIT:
        level = policy.visibility(actor, record)
        if level is Visibility.NONE:
            raise NotFound("There is no such welfare visit.")
        policy.require_visibility(actor, record, Visibility.CONTENT)
    else:
        require(actor, Permission.INSPECTION_VIEW)


def may_record(actor: Actor, source: Source, ward_code: str | None) -> bool:
    """Say whether the actor may add referral records to, or update those of, this source.

    A visit's: the ward officers covering its ward, and supervisors. An inspection's: those who
    record inspections.
    """
    if source.kind == VISIT:
        return can(actor, Permission.WELFARE_VISIT_RELEASE) or (
            can(actor, Permission.WELFARE_VISIT_LOG) and ward_code in actor.ward_codes
        )
    return can(actor, Permission.INSPECTION_RECORD)


def require_may_record(session: Session, actor: Actor, source: Source) -> None:
    """Refuse (NotFound or Forbidden) unless the actor may add referral records to the source."""
    _require_write(session, actor, source)


def _require_write(session: Session, actor: Actor, source: Source) -> tuple[object, str | None]:
    record, ward = _source_ward(session, source)
    _require_read(actor, source, record)
    if not may_record(actor, source, ward):
        raise Forbidden("You cannot record referrals for this " + _noun(source) + ".")
    return record, ward


def _noun(source: Source) -> str:
    return "welfare visit" if source.kind == VISIT else "inspection"


def source_of(record: ReferralRecord) -> Source:
    if record.welfare_visit_id is not None:
        return Source(VISIT, record.welfare_visit_id)
    assert record.inspection_id is not None
    return Source(INSPECTION, record.inspection_id)


# --- Writing -------------------------------------------------------------------------------------


def _responder_type(session: Session, data: ReferralInput) -> str:
    if data.first_responder_type != FirstResponderType.NOT_KNOWN or not data.first_responder_org_id:
        return data.first_responder_type
    kind = session.scalar(
        select(Organisation.kind).where(Organisation.id == data.first_responder_org_id)
    )
    return RESPONDER_TYPE_OF_KIND.get(kind or "", FirstResponderType.NOT_KNOWN).value


def new_record(
    session: Session,
    actor: Actor,
    now: datetime,
    source: Source,
    ward_code: str | None,
    data: ReferralInput,
) -> ReferralRecord:
    """Add a checked referral to the session (the caller has checked access and the input)."""
    assert data.submitted_on is not None
    adult = data.age_group == AgeGroup.ADULT and data.route in NRM_ROUTES
    record = ReferralRecord(
        welfare_visit_id=source.id if source.kind == VISIT else None,
        inspection_id=source.id if source.kind == INSPECTION else None,
        ward_code=ward_code,
        route=data.route,
        age_group=data.age_group,
        age_disputed=data.age_disputed,
        consent_given=data.consent_given if adult else None,
        gender=data.gender,
        exploitation_place=data.exploitation_place,
        first_responder_org_id=data.first_responder_org_id,
        first_responder_type=_responder_type(session, data),
        submitted_on=data.submitted_on,
        recorded_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
        type_rows=[
            ReferralRecordType(exploitation_type=t) for t in sorted(data.exploitation_types)
        ],
    )
    session.add(record)
    return record


def _audit(
    session: Session,
    actor: Actor,
    now: datetime,
    source: Source,
    action: str,
    summary: str,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> None:
    # A visit's events name the visit and never what the referral says (administrators read the
    # trail and see nothing of visits); an inspection's carry the change.
    plain = source.kind == VISIT
    audit.record(
        session,
        actor,
        now,
        action=action,
        entity_type=source.kind,
        entity_id=source.id,
        summary=summary,
        before=None if plain else before,
        after=None if plain else after,
    )


def record_referral(
    session: Session, actor: Actor, now: datetime, source: Source, data: ReferralInput
) -> ReferralRecord:
    """Add one anonymous referral record to a visit or an inspection (audited)."""
    made, ward = _require_write(session, actor, source)
    errors = check_referral(session, data, london_today(now), made=made_from(made))
    if errors:
        raise ValidationFailed(errors)
    record = new_record(session, actor, now, source, ward, data)
    session.flush()
    _audit(
        session,
        actor,
        now,
        source,
        "anonymous_referral.create",
        f"Recorded anonymous referral {record.id} from {_noun(source)} {source.id}",
        after={"route": record.route, "age_group": record.age_group},
    )
    return record


def record_outcomes(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    data: OutcomesInput,
) -> ReferralRecord:
    """Record the NRM's reasonable and conclusive grounds decisions on a referral (audited)."""
    record = session.get(ReferralRecord, referral_id)
    if record is None:
        raise NotFound("There is no such referral record.")
    source = source_of(record)
    _require_write(session, actor, source)
    if record.version != expected_version:
        raise StaleEdit.changed_meanwhile("referral")
    errors: dict[str, str] = {}
    _check_outcomes(errors, record, data, london_today(now))
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(record, OUTCOME_FIELDS)
    for name in OUTCOME_FIELDS:
        setattr(record, name, getattr(data, name))
    record.updated_at = now
    session.flush()
    _audit(
        session,
        actor,
        now,
        source,
        "anonymous_referral.outcomes",
        f"Updated the NRM decisions on anonymous referral {record.id}",
        before=before,
        after=audit.snapshot(record, OUTCOME_FIELDS),
    )
    return record


# --- Reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralView:
    """A record with its labels, for a page."""

    record: ReferralRecord
    exploitation_types: list[str]
    first_responder: str | None
    may_update: bool

    @property
    def source(self) -> Source:
        return source_of(self.record)


def _views(
    session: Session, actor: Actor, records: list[ReferralRecord], may_update: bool
) -> list[ReferralView]:
    orgs = {
        oid: name
        for oid, name in session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({r.first_responder_org_id for r in records} - {None})
            )
        )
    }
    return [
        ReferralView(
            record=r,
            exploitation_types=[
                ExploitationType.label_of(t.exploitation_type)
                for t in sorted(
                    r.type_rows,
                    key=lambda t: _TYPE_ORDER.get(t.exploitation_type, 99),
                )
            ],
            first_responder=orgs.get(r.first_responder_org_id or 0),
            may_update=may_update,
        )
        for r in records
    ]


def referrals_from(
    session: Session, actor: Actor, source: Source, ward_code: str | None
) -> list[ReferralView]:
    """The referral records of a visit or inspection the caller has already let the actor read."""
    records = list(
        session.scalars(
            select(ReferralRecord)
            .where(
                ReferralRecord.welfare_visit_id == source.id
                if source.kind == VISIT
                else ReferralRecord.inspection_id == source.id
            )
            .options(selectinload(ReferralRecord.type_rows))
            .order_by(ReferralRecord.submitted_on, ReferralRecord.id)
        )
    )
    return _views(session, actor, records, may_record(actor, source, ward_code))


def open_referral(session: Session, actor: Actor, now: datetime, referral_id: int) -> ReferralView:
    """Return a referral record the actor may update (reading a visit's is audited)."""
    record = session.scalar(
        select(ReferralRecord)
        .where(ReferralRecord.id == referral_id)
        .options(selectinload(ReferralRecord.type_rows))
    )
    if record is None:
        raise NotFound("There is no such referral record.")
    source = source_of(record)
    found, _ = _require_write(session, actor, source)
    if source.kind == VISIT:
        policy.record_view(
            session, actor, now, found, summary=f"Opened anonymous referral {record.id}"
        )
    return _views(session, actor, [record], True)[0]


def organisation_choices(session: Session) -> list[tuple[int, str]]:
    """Organisations that may have made the referral, by name."""
    return [
        (oid, name)
        for oid, name in session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.name, Organisation.id)
        )
    ]


def may_record_for(session: Session, actor: Actor, source: Source) -> bool:
    """Say whether the actor may add referral records to this visit or inspection."""
    try:
        _, ward = _source_ward(session, source)
    except NotFound:
        return False
    return may_record(actor, source, ward)


def route_counts_of_visits(
    session: Session, visit_ids: set[int]
) -> dict[int, list[tuple[str, int]]]:
    """How many referrals of each route each visit led to (routes in their usual order)."""
    order = {r.value: n for n, r in enumerate(ReferralRoute)}
    out: dict[int, list[tuple[str, int]]] = {}
    for visit_id, route, n in session.execute(
        select(ReferralRecord.welfare_visit_id, ReferralRecord.route, func.count(ReferralRecord.id))
        .where(ReferralRecord.welfare_visit_id.in_(visit_ids))
        .group_by(ReferralRecord.welfare_visit_id, ReferralRecord.route)
        .order_by(ReferralRecord.welfare_visit_id, ReferralRecord.route)
    ):
        if visit_id is not None:
            out.setdefault(visit_id, []).append((route, int(n)))
    for routes in out.values():
        routes.sort(key=lambda rn: order.get(rn[0], 99))
    return out
