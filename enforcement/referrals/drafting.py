"""Licensing Committee referrals: drafting and sign-off (the clerk's steps are in referral_process).

A licensing officer drafts a referral of a premises and one of its licences (grounds, breached
conditions with the inspections that found them, evidence, a recommendation and the offer of
support to victims and survivors, without which it cannot be submitted). A supervisor signs it
off or returns it with comments; every submitted draft and comment is kept in its history.
enforcement.referrals.process runs the statutory process and applies the decision;
enforcement.referrals.queries reads referrals for their page and the clerks' lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from enforcement import audit, identifiers, policy
from enforcement.access import Actor, Permission, can, require
from enforcement.cases.vocab import ToolCode
from enforcement.clock import london_today, to_london
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.models import (
    CaseEvent,
    EnforcementCase,
    Inspection,
    InspectionOfficer,
    IntelFlag,
    IntelFlagLink,
    Licence,
    LicenceCondition,
    Premises,
    Referral,
    ReferralBreach,
    ReferralEvidence,
    ReferralHistory,
    ReferralSupportProvider,
    ReferralSupportService,
    User,
    Ward,
)
from enforcement.referrals import tasks
from enforcement.referrals.evidence import (
    Captured,
    breached_findings,
    capture,
)
from enforcement.referrals.vocab import (
    DECISIONS_FOR_TOOL,
    EDITABLE,
    MAX_SUSPENSION_MONTHS,
    PROCESS_RULES,
    TOOL_FOR_REGIME,
    Disclosure,
    EvidenceKind,
    ProcessRules,
    Recommendation,
    ReferralStatus,
    SupportService,
    TakenUp,
)
from enforcement.register import support as support_directory
from enforcement.reminders.vocab import ReminderKind
from enforcement.text import CONTROL_CHARACTER_MESSAGE, has_control_characters
from enforcement.vocab import LicenceStatus, Role

SUBJECT = "committee_referral"
MAX_NARRATIVE = 20_000
MAX_TEXT = 4_000
MAX_PROVIDER = 300
MAX_COMMENT = 4_000
MAX_REPRESENTATIONS = 10_000
IN_FORCE = frozenset({LicenceStatus.ACTIVE.value, LicenceStatus.SUSPENDED.value})
_S = ReferralStatus
DRAFT_FIELDS = (
    "licence_id",
    "unlicensed_trading",
    "breach_of_conditions",
    "narrative",
    "public_summary",
    "dps_name",
    "recommendation",
    "suspension_months",
    "recommended_conditions",
    "support_provider",
    "support_taken_up",
    "support_offered_on",
    "support_note",
)
MAX_PUBLIC_SUMMARY = 4_000
NO_PUBLIC_SUMMARY = (
    "Write the public summary: it is the only account of the referral the public paper prints"
)
# A licence holder named like this is an organisation, not a person: its name may be published.
ORGANISATION_WORDS = re.compile(
    r"\b(ltd|limited|llp|plc|inc|incorporated|company|co|corporation|group|holdings|trust"
    r"|partnership|association|society|club|council|cic|enterprises|trading|services)\b\.?",
    re.IGNORECASE,
)
# Titles and particles that are not themselves a person's name.
NOT_NAMES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "de", "van", "von"})
NO_SUPPORT = (
    "Record the offer of support to victims and survivors: a referral cannot be submitted"
    " without it"
)


def is_organisation(name: str) -> bool:
    """Say whether a licence holder's name is an organisation's (so not a personal detail)."""
    return bool(ORGANISATION_WORDS.search(name))


def names_in(text: str, names: Iterable[str]) -> list[str]:
    """Return the known names a text mentions: whole (any case), or a part of one (3 letters or
    more, capitalised, so "Mr Nguyen" is found), sorted."""
    found: set[str] = set()
    for name in {n.strip() for n in names if n and n.strip()}:
        if re.search(r"\b" + re.escape(name) + r"\b", text, re.IGNORECASE):
            found.add(name)
            continue
        for part in re.split(r"[\s,.'\u2019-]+", name):
            if (
                len(part) >= 3
                and part.lower() not in NOT_NAMES
                and re.search(r"\b" + re.escape(part) + r"\b", text)
            ):
                found.add(name)
                break
    return sorted(found)


def known_names(
    session: Session,
    premises_id: int,
    *,
    dps_name: str | None,
    user_ids: Iterable[int | None] = (),
    inspection_ids: Iterable[int] = (),
    case_ids: Iterable[int] = (),
) -> set[str]:
    """Return every person's name a referral knows: holders of the premises' licences who are
    people, the designated premises supervisor, and every officer (the author, the signer, those
    at the inspections and on the cases used as evidence, and officers named at an inspection)."""
    names: set[str] = {
        h
        for h in session.scalars(
            select(Licence.holder_name).where(Licence.premises_id == premises_id)
        )
        if h and not is_organisation(h)
    }
    if dps_name:
        names.add(dps_name)
    people = {u for u in user_ids if u}
    inspections = sorted(set(inspection_ids))
    cases = sorted(set(case_ids))
    if inspections:
        people |= set(
            session.scalars(
                select(InspectionOfficer.user_id).where(
                    InspectionOfficer.inspection_id.in_(inspections)
                )
            )
        )
        names |= {
            n.strip()
            for other in session.scalars(
                select(Inspection.other_officers).where(Inspection.id.in_(inspections))
            )
            if other
            for n in re.split(r"[;,\n]| and ", other)
            if n.strip()
        }
    if cases:
        people |= {
            u
            for u in session.scalars(
                select(EnforcementCase.officer_id).where(EnforcementCase.id.in_(cases))
            )
            if u
        }
        people |= {
            u
            for u in session.scalars(
                select(CaseEvent.recorded_by_id).where(CaseEvent.case_id.in_(cases))
            )
            if u
        }
    if people:
        names |= {
            n for n in session.scalars(select(User.display_name).where(User.id.in_(people))) if n
        }
    return names


def names_of_referral(session: Session, referral: Referral, *also: int | None) -> set[str]:
    """Return every person's name a written referral knows (see known_names)."""
    return known_names(
        session,
        referral.premises_id,
        dps_name=referral.dps_name,
        user_ids=(referral.author_id, referral.signed_off_by_id, *also),
        inspection_ids=[
            e.source_id
            for e in referral.evidence
            if e.kind in (EvidenceKind.INSPECTION, EvidenceKind.POSTER_CHECK)
        ],
        case_ids=[e.source_id for e in referral.evidence if e.kind == EvidenceKind.CASE],
    )


def check_public_text(
    errors: dict[str, str],
    key: str,
    label: str,
    text: str | None,
    limit: int,
    today: date,
    names: Iterable[str],
) -> None:
    """Check text written for publication: length, identifiers, and no name the referral knows."""
    check_text(errors, key, label, text, limit, today)
    if text and key not in errors and (named := names_in(text, names)):
        errors[key] = (
            f"{label} names {', '.join(named)}: text for publication never names a person."
            " Say who they are by their role (the licence holder, a licensing officer)"
        )


def tool_for(licence: Licence) -> ToolCode | None:
    """Return the statutory tool a licence is referred through, or None if it cannot be."""
    return TOOL_FOR_REGIME.get(licence.regime)


def rules_for(tool: str) -> ProcessRules:
    return PROCESS_RULES[tool]


def decisions_for(tool: str | None) -> tuple[Recommendation, ...]:
    """Return what may be recommended and decided for a tool (every option before one is known)."""
    return DECISIONS_FOR_TOOL.get(tool or "", tuple(Recommendation))


# ---------------------------------------------------------------------------------------------
# Drafting


@dataclass(frozen=True)
class DraftInput:
    """Everything the officer's draft form says. Incomplete drafts may be saved; not submitted."""

    licence_id: int | None
    unlicensed_trading: bool = False
    breach_of_conditions: bool = False
    condition_ids: frozenset[int] = frozenset()
    narrative: str = ""
    public_summary: str | None = None
    evidence: frozenset[tuple[str, int]] = frozenset()
    recommendation: str | None = None
    suspension_months: int | None = None
    recommended_conditions: str | None = None
    dps_name: str | None = None
    support_services: frozenset[str] = frozenset()
    support_provider: str | None = None
    support_taken_up: str | None = None
    support_offered_on: date | None = None
    support_note: str | None = None
    # Through whom, chosen from the support directory (support_provider is then an optional note).
    support_providers: frozenset[int] = frozenset()


def tidy(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _next_reference(session: Session, now: datetime) -> str:
    prefix = f"CR-{to_london(now).year}-"
    last = session.scalar(
        select(Referral.reference)
        .where(Referral.reference.like(f"{prefix}%"))
        .order_by(func.length(Referral.reference).desc(), Referral.reference.desc())
        .limit(1)
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


@dataclass(frozen=True)
class _Checked:
    licence: Licence
    tool: ToolCode
    breaches: list[tuple[LicenceCondition, int, datetime]]
    evidence: list[Captured]
    data: DraftInput


def check_text(
    errors: dict[str, str], key: str, label: str, text: str | None, limit: int, today: date
) -> None:
    if text is None:
        return
    if len(text) > limit:
        errors[key] = f"{label} must be {limit:,} characters or fewer"
    elif has_control_characters(text):
        # Checked here too, not only by the forms' fields: a sign-off's sanitised summaries are
        # read from the request by name, and a paper's Word file cannot hold such characters.
        errors[key] = CONTROL_CHARACTER_MESSAGE.format(label=label)
    elif problem := identifiers.problem(label, text, today=today):
        errors[key] = problem


def _breaches_named(
    session: Session,
    errors: dict[str, str],
    licence: Licence,
    premises: Premises,
    data: DraftInput,
) -> list[tuple[LicenceCondition, int, datetime]]:
    """Return each named condition with the inspections that found it breached, or say why not."""
    breaches: list[tuple[LicenceCondition, int, datetime]] = []
    if data.condition_ids and not data.breach_of_conditions:
        errors["condition_ids"] = (
            "Tick breach of conditions as a ground, or clear the conditions chosen"
        )
    conditions = {
        c.id: c
        for c in session.scalars(
            select(LicenceCondition).where(LicenceCondition.licence_id == licence.id)
        )
    }
    found = breached_findings(session, licence.id, premises.id)
    for condition_id in sorted(data.condition_ids):
        condition = conditions.get(condition_id)
        if condition is None:
            errors["condition_ids"] = "Choose conditions of the licence being referred"
            break
        if not found.get(condition_id):
            errors["condition_ids"] = (
                f"No inspection found condition {condition.number} breached: name only"
                " conditions an inspection found breached"
            )
            break
        breaches += [(condition, iid, at) for iid, at in found[condition_id]]
    return breaches


def _check_recommendation(
    errors: dict[str, str], tool: ToolCode | None, recommendation: str | None, data: DraftInput
) -> None:
    """Check the recommendation is one the sub-committee can make for this licence."""
    if recommendation is not None:
        allowed = decisions_for(tool)
        if recommendation not in {r.value for r in allowed}:
            errors["recommendation"] = (
                "Select a recommendation the sub-committee can make for this licence"
            )
        elif recommendation == Recommendation.SUSPEND and not (
            data.suspension_months is not None
            and 1 <= data.suspension_months <= MAX_SUSPENSION_MONTHS
        ):
            errors["suspension_months"] = "A suspension is for 1, 2 or 3 months"


def _licence_referred(
    session: Session, errors: dict[str, str], premises: Premises, data: DraftInput
) -> tuple[Licence | None, ToolCode | None]:
    """Return the licence a draft refers and the review tool it takes, noting what is wrong."""
    licence = session.get(Licence, data.licence_id) if data.licence_id is not None else None
    tool: ToolCode | None = None
    if licence is None or licence.premises_id != premises.id:
        errors["licence_id"] = "Select the licence to refer"
    elif (tool := tool_for(licence)) is None:
        errors["licence_id"] = (
            "Only premises licences (Licensing Act 2003) and special treatment licences"
            " (London Local Authorities Act 1991) are referred to the Licensing Committee here"
        )
    elif licence.status not in IN_FORCE:
        errors["licence_id"] = (
            f"This licence is {LicenceStatus.label_of(licence.status).lower()}: only an active or"
            " suspended licence can be reviewed"
        )
    return licence, tool


def _check_summary(
    session: Session,
    errors: dict[str, str],
    actor: Actor,
    premises: Premises,
    data: DraftInput,
    author_id: int | None,
    evidence: list[Captured],
    summary: str,
    today: date,
) -> None:
    """Refuse a public summary naming anyone the referral knows, or holding an identifier."""
    names = known_names(
        session,
        premises.id,
        dps_name=tidy(data.dps_name),
        user_ids=(actor.user_id, author_id),
        inspection_ids=[
            e.source_id
            for e in evidence
            if e.kind in (EvidenceKind.INSPECTION, EvidenceKind.POSTER_CHECK)
        ],
        case_ids=[e.source_id for e in evidence if e.kind is EvidenceKind.CASE],
    )
    check_public_text(
        errors, "public_summary", "The public summary", summary, MAX_PUBLIC_SUMMARY, today, names
    )


def _check_draft(
    session: Session,
    actor: Actor,
    now: datetime,
    premises: Premises,
    data: DraftInput,
    author_id: int | None = None,
    held_providers: frozenset[int] = frozenset(),
) -> _Checked:
    """Check a draft's shape (not its completeness) and capture its evidence; raise on any fault.

    `held_providers`: the directory services the draft already names, which may stay even if
    withdrawn since."""
    errors: dict[str, str] = {}
    today = london_today(now)
    licence, tool = _licence_referred(session, errors, premises, data)
    breaches: list[tuple[LicenceCondition, int, datetime]] = []
    if licence is not None and "licence_id" not in errors:
        breaches = _breaches_named(session, errors, licence, premises, data)
    elif data.condition_ids:
        errors.setdefault("condition_ids", "Select the licence first")
    recommendation = data.recommendation or None
    _check_recommendation(errors, tool, recommendation, data)
    narrative = (data.narrative or "").strip()
    check_text(errors, "narrative", "The narrative", narrative, MAX_NARRATIVE, today)
    for key, label, text, limit in (
        (
            "recommended_conditions",
            identifiers.Plural("The conditions proposed"),
            data.recommended_conditions,
            MAX_TEXT,
        ),
        ("dps_name", "The designated premises supervisor's name", data.dps_name, 200),
        (
            "support_provider",
            "The note on who offered the support",
            data.support_provider,
            MAX_PROVIDER,
        ),
        ("support_note", "The note on support", data.support_note, MAX_TEXT),
    ):
        check_text(errors, key, label, tidy(text), limit, today)
    if unknown := data.support_services - {s.value for s in SupportService}:
        errors["support_services"] = f"Unknown service: {sorted(unknown)[0]}"
    if problem := support_directory.check_choice(
        session, data.support_providers, keep=held_providers
    ):
        errors["support_providers"] = problem
    if data.support_taken_up and data.support_taken_up not in {t.value for t in TakenUp}:
        errors["support_taken_up"] = "Say whether the support was taken up"
    if data.support_offered_on is not None and data.support_offered_on > today:
        errors["support_offered_on"] = "The date support was offered cannot be in the future"
    if data.dps_name and tool is ToolCode.SPECIAL_TREATMENT:
        errors["dps_name"] = "A special treatment licence has no designated premises supervisor"
    evidence: list[Captured] = []
    try:
        evidence = capture(session, actor, premises.id, data.evidence)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    summary = tidy(data.public_summary)
    if summary is not None and "evidence" not in errors:
        _check_summary(session, errors, actor, premises, data, author_id, evidence, summary, today)
    if errors:
        raise ValidationFailed(errors)
    assert licence is not None and tool is not None
    clean = replace(
        data,
        narrative=narrative,
        public_summary=summary,
        recommendation=recommendation,
        suspension_months=data.suspension_months
        if recommendation == Recommendation.SUSPEND
        else None,
        recommended_conditions=tidy(data.recommended_conditions)
        if recommendation == Recommendation.MODIFY_CONDITIONS
        else None,
        dps_name=tidy(data.dps_name),
        support_provider=tidy(data.support_provider),
        support_taken_up=data.support_taken_up or None,
        support_note=tidy(data.support_note),
    )
    return _Checked(licence, tool, breaches, evidence, clean)


def _write_draft(
    session: Session, actor: Actor, now: datetime, referral: Referral, checked: _Checked
) -> None:
    """Write a checked draft's fields and replace its grounds, evidence and support services."""
    data = checked.data
    for name in DRAFT_FIELDS:
        setattr(referral, name, getattr(data, name))
    # Approval is of the words approved: any change waits for the next sign-off.
    referral.public_summary_approved_by_id = None
    referral.public_summary_approved_at = None
    referral.tool = checked.tool.value
    referral.updated_at = now
    flag_modified(referral, "updated_at")
    session.flush()
    for model in (
        ReferralBreach,
        ReferralEvidence,
        ReferralSupportService,
        ReferralSupportProvider,
    ):
        session.execute(delete(model).where(model.referral_id == referral.id))
    session.execute(delete(IntelFlagLink).where(IntelFlagLink.referral_id == referral.id))
    session.add_all(
        ReferralBreach(
            referral_id=referral.id,
            condition_id=condition.id,
            inspection_id=inspection_id,
            condition_number=condition.number,
            condition_text=condition.text,
            inspected_at=at,
        )
        for condition, inspection_id, at in checked.breaches
    )
    session.add_all(
        ReferralEvidence(
            referral_id=referral.id,
            kind=item.kind.value,
            source_id=item.source_id,
            occurred_at=item.occurred_at,
            title=item.title,
            public_text=item.public_text,
            exempt_text=item.exempt_text,
            classification=item.classification.value,
            captured_at=now,
        )
        for item in checked.evidence
    )
    # A flag used as evidence is linked to the referral, so the flag's record shows where.
    session.add_all(
        IntelFlagLink(
            flag_id=item.source_id,
            referral_id=referral.id,
            linked_by_id=actor.user_id,
            linked_at=now,
        )
        for item in checked.evidence
        if item.kind is EvidenceKind.FLAG
    )
    session.add_all(
        ReferralSupportService(referral_id=referral.id, service=service)
        for service in sorted(data.support_services)
    )
    session.add_all(
        ReferralSupportProvider(referral_id=referral.id, service_id=service_id)
        for service_id in sorted(data.support_providers)
    )
    session.flush()


def _draft_audit(referral: Referral, checked: _Checked) -> dict[str, Any]:
    after = audit.snapshot(referral, DRAFT_FIELDS)
    after["condition_ids"] = sorted({c.id for c, _, _ in checked.breaches})
    after["evidence"] = sorted(f"{e.kind.value}:{e.source_id}" for e in checked.evidence)
    after["support_services"] = sorted(checked.data.support_services)
    after["support_providers"] = sorted(checked.data.support_providers)
    return after


def may_draft(actor: Actor, referral: Referral) -> bool:
    """The author, or a supervisor of the author's organisation, may change a draft."""
    if not can(actor, Permission.REFERRAL_DRAFT):
        return False
    if actor.user_id is not None and actor.user_id == referral.author_id:
        return True
    return actor.has_role(Role.SUPERVISOR) and actor.organisation_id == referral.organisation_id


#: What a new-draft form sent twice, or kept too long, is told.
EXPIRED_FORM = "This form has already been used: open the referral from the premises page"


def create_draft(
    session: Session,
    actor: Actor,
    now: datetime,
    premises_id: int,
    data: DraftInput,
    *,
    idempotency_key: str | None = None,
) -> Referral:
    """Start a referral of a premises and one of its licences; audited.

    `idempotency_key` is the new-draft form's one-off key: the same form sent again by its
    author returns the draft it saved the first time, and saves nothing more. Raises NotFound
    for an unknown premises and ValidationFailed (keyed by the draft's fields) for anything
    wrong, with nothing saved.
    """
    require(actor, Permission.REFERRAL_DRAFT)
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > 64:
            raise ValidationFailed({"idempotency_key": EXPIRED_FORM})
        earlier = session.scalar(
            select(Referral).where(Referral.idempotency_key == idempotency_key)
        )
        if earlier is not None:
            if earlier.author_id != actor.user_id or earlier.premises_id != premises_id:
                raise ValidationFailed({"idempotency_key": EXPIRED_FORM})
            return earlier
    premises = session.get(Premises, premises_id)
    if premises is None:
        raise NotFound("There is no such premises.")
    checked = _check_draft(session, actor, now, premises, data)
    referral = Referral(
        idempotency_key=idempotency_key,
        reference=_next_reference(session, now),
        premises_id=premises.id,
        licence_id=checked.licence.id,
        tool=checked.tool.value,
        status=_S.DRAFT.value,
        author_id=actor.user_id,
        organisation_id=actor.organisation_id,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # The same form sent twice at once: the first wins, the second is told so.
        raise ValidationFailed({"idempotency_key": EXPIRED_FORM}) from None
    _write_draft(session, actor, now, referral, checked)
    audit.record(
        session,
        actor,
        now,
        action="referral.create",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Drafted committee referral {referral.reference} for {premises.name}",
        after=_draft_audit(referral, checked),
    )
    return referral


def load(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("There is no such committee referral.")
    return referral


def check_version(referral: Referral, expected_version: int, *, resubmit: bool = True) -> None:
    """Refuse a stale version; `resubmit` is False for a button, with nothing typed to keep."""
    if referral.version != expected_version:
        raise StaleEdit.changed_meanwhile("referral", resubmit=resubmit)


def update_draft(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    data: DraftInput,
) -> Referral:
    """Change a draft (or a returned referral); its evidence is captured again as it stands now."""
    require(actor, Permission.REFERRAL_DRAFT)
    referral = load(session, referral_id)
    if not may_draft(actor, referral):
        raise Forbidden(
            "Only the officer who drafted this referral, or a supervisor, can change it."
        )
    check_version(referral, expected_version)
    if referral.status not in EDITABLE:
        raise ValidationFailed(
            {
                "status": f"This referral is {ReferralStatus.label_of(referral.status).lower()}: it can no longer be changed"
            }
        )
    premises = session.get(Premises, referral.premises_id)
    assert premises is not None
    before = _draft_audit_stored(session, referral)
    checked = _check_draft(
        session,
        actor,
        now,
        premises,
        data,
        referral.author_id,
        held_providers=frozenset(before["support_providers"]),
    )
    referral.licence_id = checked.licence.id
    _write_draft(session, actor, now, referral, checked)
    audit.record(
        session,
        actor,
        now,
        action="referral.update",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Changed the draft of committee referral {referral.reference}",
        before=before,
        after=_draft_audit(referral, checked),
    )
    return referral


def _draft_audit_stored(session: Session, referral: Referral) -> dict[str, Any]:
    before = audit.snapshot(referral, DRAFT_FIELDS)
    before["condition_ids"] = sorted(
        set(
            session.scalars(
                select(ReferralBreach.condition_id).where(ReferralBreach.referral_id == referral.id)
            )
        )
    )
    before["evidence"] = sorted(
        f"{k}:{s}"
        for k, s in session.execute(
            select(ReferralEvidence.kind, ReferralEvidence.source_id).where(
                ReferralEvidence.referral_id == referral.id
            )
        )
    )
    before["support_services"] = sorted(
        session.scalars(
            select(ReferralSupportService.service).where(
                ReferralSupportService.referral_id == referral.id
            )
        )
    )
    before["support_providers"] = sorted(
        session.scalars(
            select(ReferralSupportProvider.service_id).where(
                ReferralSupportProvider.referral_id == referral.id
            )
        )
    )
    return before


# ---------------------------------------------------------------------------------------------
# Submission, return and sign-off


def load_with_children(session: Session, referral_id: int) -> Referral:
    referral = session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .options(
            selectinload(Referral.breaches),
            selectinload(Referral.evidence),
            selectinload(Referral.support_services),
            selectinload(Referral.support_providers),
            selectinload(Referral.representations),
        )
        .execution_options(populate_existing=True)
    )
    if referral is None:
        raise NotFound("There is no such committee referral.")
    return referral


@dataclass(frozen=True)
class Referred:
    """A referral with its children, the premises and licence it is about, and their ward's name."""

    referral: Referral
    premises: Premises
    licence: Licence
    ward_name: str | None


def load_referred(session: Session, referral_id: int) -> Referred:
    """Read a referral with its children, its premises, its licence and conditions, and the ward."""
    referral = load_with_children(session, referral_id)
    premises = session.get(Premises, referral.premises_id)
    licence = session.scalar(
        select(Licence)
        .where(Licence.id == referral.licence_id)
        .options(selectinload(Licence.conditions))
    )
    if premises is None or licence is None:  # the foreign keys make this impossible
        raise NotFound("The referral's premises or licence is missing.")
    ward_name = (
        session.scalar(select(Ward.name).where(Ward.id == premises.ward_id))
        if premises.ward_id is not None
        else None
    )
    return Referred(referral, premises, licence, ward_name)


def completeness_problems(referral: Referral) -> dict[str, str]:
    """Return what a referral still lacks before it can be submitted (empty when complete)."""
    problems: dict[str, str] = {}
    if not (referral.unlicensed_trading or referral.breach_of_conditions):
        problems["grounds"] = "Choose the grounds of the referral"
    if referral.breach_of_conditions and not referral.breaches:
        problems["condition_ids"] = "Name each condition breached, as an inspection found it"
    if not referral.narrative.strip():
        problems["narrative"] = "Write the narrative: what happened and why it is referred"
    if not (referral.public_summary or "").strip():
        problems["public_summary"] = NO_PUBLIC_SUMMARY
    if not referral.recommendation:
        problems["recommendation"] = "Select the recommendation"
    elif (
        referral.recommendation == Recommendation.MODIFY_CONDITIONS
        and not referral.recommended_conditions
    ):
        problems["recommended_conditions"] = "Set out the conditions you propose"
    if not referral.evidence:
        problems["evidence"] = "Select the evidence the sub-committee should see"
    if not referral.support_services:
        problems["support_services"] = NO_SUPPORT
    if not referral.support_provider and not referral.support_providers:
        problems["support_providers"] = (
            "Choose through whom the support was offered from the support directory, or "
            "name the provider"
        )
    if not referral.support_taken_up:
        problems["support_taken_up"] = "Say whether the support was taken up"
    if referral.support_offered_on is None:
        problems["support_offered_on"] = "Enter the date the support was offered"
    return problems


def draft_snapshot(referral: Referral) -> dict[str, Any]:
    """Return the draft as it stands, for the history (no restricted evidence content)."""
    return {
        "licence_id": referral.licence_id,
        "grounds": {
            "unlicensed_trading": referral.unlicensed_trading,
            "breach_of_conditions": referral.breach_of_conditions,
        },
        "conditions_breached": sorted({b.condition_number for b in referral.breaches}),
        "narrative": referral.narrative,
        "public_summary": referral.public_summary,
        "recommendation": referral.recommendation,
        "suspension_months": referral.suspension_months,
        "recommended_conditions": referral.recommended_conditions,
        "evidence": [
            {
                "kind": e.kind,
                "source_id": e.source_id,
                "date": to_london(e.occurred_at).date().isoformat(),
                "title": e.title,
                "classification": e.classification,
            }
            for e in referral.evidence
        ],
        "support": {
            "services": [s.service for s in referral.support_services],
            "through": referral.support_provider,
            "taken_up": referral.support_taken_up,
            "offered_on": referral.support_offered_on.isoformat()
            if referral.support_offered_on
            else None,
        },
    }


def _history(
    session: Session,
    actor: Actor,
    now: datetime,
    referral: Referral,
    action: str,
    comment: str | None,
    snapshot: dict[str, Any] | None,
) -> None:
    session.add(
        ReferralHistory(
            referral_id=referral.id,
            action=action,
            status_after=referral.status,
            comment=comment,
            snapshot=json.dumps(snapshot, sort_keys=True) if snapshot is not None else None,
            actor_id=actor.user_id,
            at=now,
        )
    )


def set_status(referral: Referral, status: ReferralStatus, now: datetime) -> str:
    before = referral.status
    referral.status = status.value
    referral.updated_at = now
    return before


def submit(
    session: Session, actor: Actor, now: datetime, referral_id: int, expected_version: int
) -> Referral:
    """Submit a draft for a supervisor's sign-off; refused while anything is missing.

    Above all, a referral cannot be submitted without the offer of support to victims and
    survivors. The draft as submitted is kept in the history.
    """
    require(actor, Permission.REFERRAL_DRAFT)
    referral = load_with_children(session, referral_id)
    if not may_draft(actor, referral):
        raise Forbidden(
            "Only the officer who drafted this referral, or a supervisor, can submit it."
        )
    check_version(referral, expected_version, resubmit=False)
    if referral.status not in EDITABLE:
        raise ValidationFailed({"status": "This referral has already been submitted"})
    if problems := completeness_problems(referral):
        raise ValidationFailed(problems)
    before = set_status(referral, _S.SUBMITTED, now)
    referral.submitted_at = now
    snapshot = draft_snapshot(referral)
    _history(session, actor, now, referral, "submitted", None, snapshot)
    session.flush()
    tasks.close_task(
        session, actor, now, referral, ReminderKind.REFERRAL_RETURNED, "Submitted again"
    )
    tasks.hand_on(session, now, referral, ReminderKind.REFERRAL_SIGN_OFF)
    audit.record(
        session,
        actor,
        now,
        action="referral.submit",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Submitted committee referral {referral.reference} for sign-off",
        before={"status": before},
        after={"status": referral.status},
    )
    return referral


def _for_supervisor(
    session: Session, actor: Actor, referral_id: int, expected_version: int
) -> Referral:
    require(actor, Permission.REFERRAL_SIGN_OFF)
    referral = load_with_children(session, referral_id)
    check_version(referral, expected_version)
    if referral.status != _S.SUBMITTED:
        raise ValidationFailed(
            {"comment": "Only a referral awaiting sign-off can be signed off or returned"}
        )
    if actor.user_id is not None and actor.user_id == referral.author_id:
        raise Forbidden("You drafted this referral: another supervisor must sign it off.")
    return referral


def return_referral(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    comment: str,
) -> Referral:
    """Return a submitted referral to its officer with comments (kept in the history)."""
    referral = _for_supervisor(session, actor, referral_id, expected_version)
    text = tidy(comment)
    errors: dict[str, str] = {}
    if not text:
        errors["comment"] = "Say what needs to change before you can sign it off"
    else:
        check_text(
            errors,
            "comment",
            identifiers.Plural("The comments"),
            text,
            MAX_COMMENT,
            london_today(now),
        )
    if errors:
        raise ValidationFailed(errors)
    before = set_status(referral, _S.RETURNED, now)
    _history(session, actor, now, referral, "returned", text, None)
    session.flush()
    tasks.close_task(session, actor, now, referral, ReminderKind.REFERRAL_SIGN_OFF, "Returned")
    tasks.hand_on(session, now, referral, ReminderKind.REFERRAL_RETURNED)
    audit.record(
        session,
        actor,
        now,
        action="referral.return",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Returned committee referral {referral.reference} to its officer",
        before={"status": before},
        after={"status": referral.status, "comment": text},
    )
    return referral


def sign_off(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    comment: str | None = None,
    *,
    sanitised: Mapping[int, str] | None = None,
) -> Referral:
    """Sign off a submitted referral: it goes to the committee clerks. A supervisor cannot sign
    off a referral they drafted. Signing off is also the decision that the evidence chosen may
    go to the sub-committee in the exempt paper, and the approval of the public summary (checked
    again here against every name the referral knows, the signer's included).

    `sanitised` maps handling code C evidence items (ReferralEvidence ids) to what the papers
    may say of them: only a signer the flag's conditions name may approve one. An item left
    without one appears in the papers only as restricted intelligence considered and withheld.
    """
    referral = _for_supervisor(session, actor, referral_id, expected_version)
    text = tidy(comment)
    errors: dict[str, str] = {}
    today = london_today(now)
    check_text(errors, "comment", identifiers.Plural("The comments"), text, MAX_COMMENT, today)
    if problems := completeness_problems(referral):
        errors.setdefault("comment", "The referral is incomplete: " + "; ".join(problems.values()))
    check_public_text(
        errors,
        "public_summary",
        "The public summary",
        referral.public_summary,
        MAX_PUBLIC_SUMMARY,
        today,
        names_of_referral(session, referral, actor.user_id),
    )
    approved = _sanitised(session, actor, referral, sanitised or {}, today, errors)
    if errors:
        raise ValidationFailed(errors)
    before = set_status(referral, _S.SIGNED_OFF, now)
    referral.signed_off_at = now
    referral.signed_off_by_id = actor.user_id
    referral.public_summary_approved_by_id = actor.user_id
    referral.public_summary_approved_at = now
    for item, words in approved:
        item.sanitised_summary = words
        item.sanitised_approved_by_id = actor.user_id
        item.sanitised_approved_at = now
    _history(session, actor, now, referral, "signed_off", text, draft_snapshot(referral))
    session.flush()
    tasks.close_task(session, actor, now, referral, ReminderKind.REFERRAL_SIGN_OFF, "Signed off")
    tasks.hand_on(session, now, referral, ReminderKind.REFERRAL_SIGNED_OFF)
    audit.record(
        session,
        actor,
        now,
        action="referral.sign_off",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Signed off committee referral {referral.reference}",
        before={"status": before},
        after={
            "status": referral.status,
            "comment": text,
            "public_summary_approved": referral.public_summary,
            "sanitised_evidence": sorted(item.id for item, _ in approved),
        },
    )
    return referral


def sanitised_key(evidence_id: int) -> str:
    """Return the error key (and form field name) of a C-coded item's sanitised summary."""
    return f"sanitised_{evidence_id}"


def may_sanitise(actor: Actor, flag: IntelFlag) -> bool:
    """Say whether the actor may approve what a paper says of a flag: its conditions name them."""
    return policy.visibility(actor, flag) is policy.Visibility.CONTENT


def _sanitised(
    session: Session,
    actor: Actor,
    referral: Referral,
    given: Mapping[int, str],
    today: date,
    errors: dict[str, str],
) -> list[tuple[ReferralEvidence, str]]:
    restricted = {e.id: e for e in referral.evidence if e.classification == Disclosure.RESTRICTED}
    wanted = {i: w for i, raw in given.items() if (w := tidy(raw)) is not None}
    found = {
        f.id: f
        for f in session.scalars(
            select(IntelFlag)
            .where(IntelFlag.id.in_({e.source_id for e in restricted.values()}))
            .options(
                selectinload(IntelFlag.audience_org_rows),
                selectinload(IntelFlag.audience_role_rows),
            )
        )
    }
    out = []
    for evidence_id, words in sorted(wanted.items()):
        key = sanitised_key(evidence_id)
        item = restricted.get(evidence_id)
        if item is None:
            errors[key] = "Only handling code C evidence of this referral takes a sanitised summary"
            continue
        flag = found.get(item.source_id)
        if flag is None or not may_sanitise(actor, flag):
            errors[key] = (
                "Only someone the flag's handling conditions name can approve what the papers"
                " say of it"
            )
            continue
        check_text(errors, key, "The sanitised summary", words, MAX_TEXT, today)
        if key not in errors:
            out.append((item, words))
    return out


def approve_public_summary(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    expected_version: int,
    text: str,
) -> Referral:
    """Write and approve the public summary of a signed-off referral that has none approved.

    For referrals signed off before public summaries existed: until then their public paper
    says the summary is awaited. A supervisor other than the author writes it; it is checked
    as at sign-off (identifiers, every name the referral knows). Audited.
    """
    require(actor, Permission.REFERRAL_SIGN_OFF)
    referral = load_with_children(session, referral_id)
    check_version(referral, expected_version)
    if referral.status in EDITABLE or referral.status == _S.SUBMITTED:
        raise ValidationFailed(
            {"public_summary": "Approve the public summary when you sign the referral off"}
        )
    if referral.public_summary_approved_at is not None:
        raise ValidationFailed({"public_summary": "The public summary is already approved"})
    if actor.user_id is not None and actor.user_id == referral.author_id:
        raise Forbidden("You drafted this referral: another supervisor must approve its summary.")
    words = tidy(text)
    errors: dict[str, str] = {}
    if words is None:
        errors["public_summary"] = NO_PUBLIC_SUMMARY
    check_public_text(
        errors,
        "public_summary",
        "The public summary",
        words,
        MAX_PUBLIC_SUMMARY,
        london_today(now),
        names_of_referral(session, referral, actor.user_id),
    )
    if errors:
        raise ValidationFailed(errors)
    before = referral.public_summary
    referral.public_summary = words
    referral.public_summary_approved_by_id = actor.user_id
    referral.public_summary_approved_at = now
    referral.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="referral.public_summary",
        entity_type=SUBJECT,
        entity_id=referral.id,
        summary=f"Approved the public summary of committee referral {referral.reference}",
        before={"public_summary": before},
        after={"public_summary": words},
    )
    return referral
