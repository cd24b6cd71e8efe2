"""Inspections: recording them, correcting them, and the poster compliance they measure."""

from __future__ import annotations

import csv
import functools
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit, identifiers
from enforcement.access import Actor, Permission, can, require
from enforcement.clock import end_of_days_after, london_today, months_before, to_london
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.inspections.poster import PosterCheck, PosterResult, assess_poster, poster_phrase
from enforcement.models import (
    Language,
    Licence,
    LicenceCondition,
    Premises,
    PremisesLanguage,
    PremisesWard,
    User,
    Ward,
)
from enforcement.models.inspections import (
    ConditionFinding,
    EvidenceFile,
    Inspection,
    InspectionIndicator,
    InspectionLanguage,
    InspectionOfficer,
    InspectionService,
    PremisesCompliance,
)
from enforcement.models.summaries import COMPLIANCE_NOW, MeasureSummary, fingerprint
from enforcement.register import support
from enforcement.register.rules import TRADING_STATUSES
from enforcement.reminders import reminders, routing
from enforcement.reminders.vocab import ReminderKind
from enforcement.safeguarding import records
from enforcement.safeguarding.vocab import INDICATORS, Indicator, IndicatorGroup, in_checklist_order
from enforcement.spreadsheet import safe_cell
from enforcement.vocab import Finding, InspectionReason

CORRECTION_WINDOW = timedelta(hours=24)
STALE_AFTER_MONTHS = 12  # a check older than this is stale: "checked in the last 12 months"


def stale_from(now: datetime) -> datetime:
    """Return the instant before which a poster check is stale at `now`: 12 calendar months
    back, London time (docs/inspections.md)."""
    return months_before(now, STALE_AFTER_MONTHS)


MAX_TEXT = 10_000
MAX_REFERRALS = 50  # anonymous referral records given with one inspection
INSPECTION_FIELDS = (
    "inspected_at",
    "reason",
    "joint_with_police",
    "other_officers",
    "observations",
    "licence_id",
    "poster_displayed",
    "poster_visible_public",
    "poster_visible_workers",
    "poster_compliant",
    "poster_shortfall",
    "poster_photo_id",
    "follow_up_needed",
)


@dataclass(frozen=True)
class FindingInput:
    condition_id: int
    finding: str
    note: str | None = None


@dataclass(frozen=True)
class InspectionInput:
    inspected_at: datetime
    reason: str
    idempotency_key: str
    poster_displayed: bool
    poster_visible_public: bool
    poster_visible_workers: bool
    languages_displayed: frozenset[str] = field(default_factory=frozenset)
    joint_with_police: bool = False
    officer_ids: frozenset[int] = field(default_factory=frozenset)
    other_officers: str | None = None
    licence_id: int | None = None
    findings: tuple[FindingInput, ...] = ()
    observations: str | None = None
    photo_id: int | None = None
    # Indicators of exploitation observed (enforcement.safeguarding.vocab): never a score.
    indicators: frozenset[str] = field(default_factory=frozenset)
    # One anonymous record per referral made (more can be added afterwards); or none. Only a
    # new inspection takes them: a correction leaves the referral records as they are.
    referrals: tuple[records.ReferralInput, ...] = ()
    no_referrals: bool = False
    # The support directory's services the people present were told about (ids).
    services: frozenset[int] = field(default_factory=frozenset)


def _language_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Language.code, Language.name))}


def needed_languages(session: Session, premises_id: int) -> frozenset[str]:
    """Return the languages the premises record says its workers and customers speak."""
    return frozenset(
        session.scalars(
            select(PremisesLanguage.language_code).where(
                PremisesLanguage.premises_id == premises_id
            )
        )
    )


def _validate(
    session: Session,
    premises: Premises,
    data: InspectionInput,
    now: datetime,
    *,
    keep: frozenset[int] = frozenset(),
) -> None:
    """Check an inspection; `keep`: services it already holds, accepted even if withdrawn."""
    errors: dict[str, str] = {}
    if problem := support.check_choice(session, data.services, keep=keep):
        errors["services"] = problem
    if data.inspected_at.tzinfo is None:
        errors["inspected_at"] = "Enter the date and time of the inspection"
    elif data.inspected_at > now + timedelta(minutes=5):
        errors["inspected_at"] = "The inspection date and time must be in the past"
    elif data.inspected_at < now - timedelta(days=366 * 5):
        errors["inspected_at"] = "The inspection date must be within the last 5 years"
    if data.reason not in {r.value for r in InspectionReason}:
        errors["reason"] = "Select why the inspection took place"
    if not data.idempotency_key or len(data.idempotency_key) > 64:
        errors["idempotency_key"] = "The form has expired: reload it and enter the inspection again"
    if data.observations and len(data.observations) > MAX_TEXT:
        errors["observations"] = f"Observations must be {MAX_TEXT:,} characters or fewer"
    if data.other_officers and len(data.other_officers) > 400:
        errors["other_officers"] = "Other officers must be 400 characters or fewer"
    if data.poster_displayed is False and (
        data.poster_visible_public or data.poster_visible_workers or data.languages_displayed
    ):
        errors["poster_displayed"] = (
            "A poster that is not displayed cannot be visible or in any language"
        )
    known_languages = set(session.scalars(select(Language.code)))
    if data.languages_displayed - known_languages:
        errors["languages_displayed"] = "Select languages from the list"
    if data.officer_ids:
        found = set(
            session.scalars(
                select(User.id).where(User.id.in_(data.officer_ids), User.is_active.is_(True))
            )
        )
        if found != set(data.officer_ids):
            errors["officer_ids"] = "Select officers from the list"
    if data.licence_id is not None:
        lic = session.get(Licence, data.licence_id)
        if lic is None or lic.premises_id != premises.id:
            errors["licence_id"] = "Select a licence held for this premises"
    if data.findings:
        if data.licence_id is None:
            errors["findings"] = "Select the licence whose conditions were checked"
        else:
            allowed = set(
                session.scalars(
                    select(LicenceCondition.id).where(
                        LicenceCondition.licence_id == data.licence_id
                    )
                )
            )
            ids = [f.condition_id for f in data.findings]
            if len(ids) != len(set(ids)) or not set(ids) <= allowed:
                errors["findings"] = "Findings must be for conditions of the selected licence"
            for f in data.findings:
                if f.finding not in {x.value for x in Finding}:
                    errors[f"finding_{f.condition_id}"] = "Select a finding for this condition"
                if f.note and len(f.note) > 2000:
                    errors[f"note_{f.condition_id}"] = "A note must be 2,000 characters or fewer"
    if data.photo_id is not None and session.get(EvidenceFile, data.photo_id) is None:
        errors["photo"] = "The photo could not be found: upload it again"
    _check_safeguarding(errors, session, data, now)
    if errors:
        raise ValidationFailed(errors)


def _check_safeguarding(
    errors: dict[str, str], session: Session, data: InspectionInput, now: datetime
) -> None:
    """Indicators, referrals, and no identifying details in the notes (docs/inspections.md)."""
    today = london_today(now)
    if unknown := data.indicators - INDICATORS.keys():
        errors["indicators"] = f"Unknown indicator: {', '.join(sorted(unknown))}"
    if data.no_referrals and data.referrals:
        errors["no_referrals"] = (
            "You selected that no referrals were made, but recorded a referral: change one of them"
        )
    elif child := records.child_route_problem(data.indicators, data.no_referrals):
        errors["no_referrals"] = child
    made = None
    if data.inspected_at.tzinfo is not None:
        made = records.Made.inspection(data.inspected_at)
    if len(data.referrals) > MAX_REFERRALS:
        errors["referrals"] = f"Record at most {MAX_REFERRALS} referrals with one inspection"
    else:
        for n, referral in enumerate(data.referrals, start=1):
            if problems := records.check_referral(session, referral, today, made=made):
                errors["referrals"] = f"Referral {n}: " + next(iter(problems.values()))
                break
    texts = [
        ("observations", identifiers.Plural("General observations"), data.observations),
        ("other_officers", identifiers.Plural("Other officers present"), data.other_officers),
        *((f"note_{f.condition_id}", "A note", f.note) for f in data.findings),
    ]
    for key, label, text in texts:
        if (
            text
            and key not in errors
            and (problem := identifiers.problem(label, text, today=today))
        ):
            errors[key] = problem


def _assess(
    session: Session, premises_id: int, data: InspectionInput
) -> tuple[PosterResult, frozenset[str]]:
    needed = needed_languages(session, premises_id)
    check = PosterCheck(
        data.poster_displayed,
        data.poster_visible_public,
        data.poster_visible_workers,
        data.languages_displayed,
    )
    return assess_poster(check, needed, _language_names(session)), needed


def _fill(
    inspection: Inspection,
    data: InspectionInput,
    result: PosterResult,
    needed: frozenset[str],
    author_id: int | None,
    now: datetime,
) -> None:
    inspection.inspected_at = data.inspected_at
    inspection.reason = data.reason
    inspection.joint_with_police = (
        data.joint_with_police or data.reason == InspectionReason.JOINT_OPERATION
    )
    inspection.other_officers = (data.other_officers or "").strip() or None
    inspection.observations = (data.observations or "").strip() or None
    inspection.licence_id = data.licence_id
    inspection.poster_displayed = data.poster_displayed
    inspection.poster_visible_public = data.poster_visible_public
    inspection.poster_visible_workers = data.poster_visible_workers
    inspection.poster_compliant = result.compliant
    inspection.poster_shortfall = None if result.compliant else result.summary[:400]
    inspection.poster_photo_id = data.photo_id
    # A follow-up as for a welfare visit: indicators observed are a reason to go back.
    inspection.follow_up_needed = (
        (not result.compliant)
        or any(f.finding == Finding.BREACHED for f in data.findings)
        or bool(data.indicators)
    )
    inspection.updated_at = now
    officers = set(data.officer_ids) | ({author_id} if author_id else set())
    inspection.officer_rows = [InspectionOfficer(user_id=u) for u in sorted(officers)]
    inspection.indicator_rows = [InspectionIndicator(code=c) for c in sorted(data.indicators)]
    inspection.service_rows = [InspectionService(service_id=s) for s in sorted(data.services)]
    inspection.language_rows = [
        InspectionLanguage(language_code=c, role="displayed")
        for c in sorted(data.languages_displayed)
    ] + [InspectionLanguage(language_code=c, role="needed") for c in sorted(needed)]
    # A correction keeps the row of each condition it finds again: replacing it with a new row
    # would insert before the old one is deleted and break the one-finding-per-condition rule.
    earlier = {f.condition_id: f for f in inspection.findings}
    kept: list[ConditionFinding] = []
    for f in data.findings:
        row = earlier.get(f.condition_id) or ConditionFinding(condition_id=f.condition_id)
        row.finding = f.finding
        row.note = (f.note or "").strip() or None
        kept.append(row)
    inspection.findings = kept


def _refresh_compliance(session: Session, premises_id: int) -> None:
    """Point the premises' compliance row at its latest inspection (or remove it if none)."""
    latest = session.scalars(
        select(Inspection)
        .where(Inspection.premises_id == premises_id)
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        .limit(1)
    ).first()
    row = session.get(PremisesCompliance, premises_id)
    if latest is None:
        if row is not None:
            session.delete(row)
        return
    missing = (
        sorted(
            set(
                session.scalars(
                    select(InspectionLanguage.language_code).where(
                        InspectionLanguage.inspection_id == latest.id,
                        InspectionLanguage.role == "needed",
                    )
                )
            )
            - set(
                session.scalars(
                    select(InspectionLanguage.language_code).where(
                        InspectionLanguage.inspection_id == latest.id,
                        InspectionLanguage.role == "displayed",
                    )
                )
            )
        )
        if latest.poster_displayed
        else sorted(
            session.scalars(
                select(InspectionLanguage.language_code).where(
                    InspectionLanguage.inspection_id == latest.id,
                    InspectionLanguage.role == "needed",
                )
            )
        )
    )
    if row is None:
        row = PremisesCompliance(premises_id=premises_id)
        session.add(row)
    row.latest_inspection_id = latest.id
    row.last_inspected_at = latest.inspected_at
    row.poster_compliant = latest.poster_compliant
    row.missing_languages = ",".join(missing)[:400] or None


def _follow_up(
    session: Session,
    inspection: Inspection,
    premises: Premises,
    author_id: int | None,
    follow_up_days: int,
    now: datetime,
) -> None:
    if not inspection.follow_up_needed:
        return
    reminders.schedule(
        session,
        reminders.ReminderSpec(
            kind=ReminderKind.FOLLOW_UP_INSPECTION,
            subject_type="inspection",
            subject_id=inspection.id,
            premises_id=premises.id,
            title=f"Follow-up inspection of {premises.name}",
            due_at=end_of_days_after(inspection.inspected_at, follow_up_days),
            owner_user_id=author_id,
            team=routing.route(ReminderKind.FOLLOW_UP_INSPECTION, owner_user_id=author_id).team,
        ),
        now,
    )


def record_inspection(
    session: Session,
    actor: Actor,
    now: datetime,
    premises_id: int,
    data: InspectionInput,
    *,
    follow_up_days: int = 14,
) -> tuple[Inspection, bool]:
    """Record an inspection once; the same form submitted again returns the first (created=False)."""
    require(actor, Permission.INSPECTION_RECORD)
    existing = session.scalar(
        select(Inspection).where(Inspection.idempotency_key == data.idempotency_key)
    )
    if existing is not None:
        if existing.premises_id != premises_id:
            raise ValidationFailed(
                {
                    "idempotency_key": "The form has expired: reload it and enter the inspection again"
                }
            )
        return existing, False
    premises = session.get(Premises, premises_id)
    if premises is None:
        raise NotFound("There is no such premises.")
    _validate(session, premises, data, now)
    result, needed = _assess(session, premises_id, data)
    inspection = Inspection(
        premises_id=premises_id,
        author_id=actor.user_id,
        idempotency_key=data.idempotency_key,
        created_at=now,
    )
    _fill(inspection, data, result, needed, actor.user_id, now)
    session.add(inspection)
    session.flush()
    ward = session.scalar(select(Ward.code).where(Ward.id == premises.ward_id))
    for referral in data.referrals:
        records.new_record(
            session, actor, now, records.Source(records.INSPECTION, inspection.id), ward, referral
        )
    _refresh_compliance(session, premises_id)
    if data.reason == InspectionReason.FOLLOW_UP:
        reminders.close_open(
            session,
            kind=ReminderKind.FOLLOW_UP_INSPECTION,
            premises_id=premises_id,
            now=now,
            actor=actor,
            reason=f"Follow-up inspection {inspection.id} recorded",
        )
    _follow_up(session, inspection, premises, actor.user_id, follow_up_days, now)
    audit.record(
        session,
        actor,
        now,
        action="inspection.create",
        entity_type="inspection",
        entity_id=inspection.id,
        summary=f"Recorded an inspection of {premises.name}: "
        + poster_phrase(result.compliant, result.summary),
        after={
            **audit.snapshot(inspection, INSPECTION_FIELDS),
            "premises_id": premises_id,
            "indicators": sorted(data.indicators),
            "services": sorted(data.services),
            "referrals": len(data.referrals),
        },
    )
    return inspection, True


def may_correct(actor: Actor, inspection: Inspection, now: datetime) -> bool:
    """Say whether the actor may correct the inspection: its author for 24 hours, a supervisor always."""
    if can(actor, Permission.INSPECTION_CORRECT_ANY):
        return True
    return (
        inspection.author_id is not None
        and inspection.author_id == actor.user_id
        and now - inspection.created_at <= CORRECTION_WINDOW
        and can(actor, Permission.INSPECTION_RECORD)
    )


def correct_inspection(
    session: Session,
    actor: Actor,
    now: datetime,
    inspection_id: int,
    expected_version: int,
    data: InspectionInput,
    *,
    follow_up_days: int = 14,
) -> Inspection:
    """Correct an inspection (audited with before and after); follow-ups follow the corrected result."""
    inspection = session.scalar(
        select(Inspection)
        .where(Inspection.id == inspection_id)
        .options(
            selectinload(Inspection.officer_rows),
            selectinload(Inspection.language_rows),
            selectinload(Inspection.indicator_rows),
            selectinload(Inspection.service_rows),
            selectinload(Inspection.findings),
        )
    )
    if inspection is None:
        raise NotFound("There is no such inspection.")
    if not may_correct(actor, inspection, now):
        raise Forbidden(
            "Only the officer who recorded an inspection can correct it, and only within 24 hours. "
            "After that, ask a supervisor."
        )
    if inspection.version != expected_version:
        raise StaleEdit.changed_meanwhile("inspection")
    premises = session.get(Premises, inspection.premises_id)
    assert premises is not None
    held = frozenset(r.service_id for r in inspection.service_rows)
    _validate(session, premises, data, now, keep=held)
    before = audit.snapshot(inspection, INSPECTION_FIELDS)
    before["findings"] = [(f.condition_id, f.finding) for f in inspection.findings]
    before["indicators"] = sorted(r.code for r in inspection.indicator_rows)
    before["services"] = sorted(held)
    result, needed = _assess(session, premises.id, data)
    _fill(inspection, data, result, needed, inspection.author_id, now)
    session.flush()
    _refresh_compliance(session, premises.id)
    if inspection.follow_up_needed:
        _follow_up(session, inspection, premises, inspection.author_id, follow_up_days, now)
    else:
        reminders.close_open(
            session,
            kind=ReminderKind.FOLLOW_UP_INSPECTION,
            subject_type="inspection",
            subject_id=inspection.id,
            now=now,
            actor=actor,
            reason="The corrected inspection needs no follow-up",
        )
    after = audit.snapshot(inspection, INSPECTION_FIELDS)
    after["findings"] = [(f.condition_id, f.finding) for f in inspection.findings]
    after["indicators"] = sorted(r.code for r in inspection.indicator_rows)
    after["services"] = sorted(r.service_id for r in inspection.service_rows)
    audit.record(
        session,
        actor,
        now,
        action="inspection.correct",
        entity_type="inspection",
        entity_id=inspection.id,
        summary=f"Corrected the inspection of {premises.name} on {to_london(inspection.inspected_at):%d %B %Y}",
        before=before,
        after=after,
    )
    return inspection


@dataclass(frozen=True)
class InspectionDetail:
    inspection: Inspection
    premises: Premises
    licence: Licence | None
    officers: list[str]
    displayed: list[str]
    needed: list[str]
    findings: list[tuple[LicenceCondition, ConditionFinding]]
    author: str | None
    photo: EvidenceFile | None
    indicators: list[tuple[IndicatorGroup, list[Indicator]]]
    referrals: list[records.ReferralView]
    may_add_referral: bool
    services: list[str] = field(default_factory=list)  # signposted, by name


def get_inspection(session: Session, actor: Actor, inspection_id: int) -> InspectionDetail:
    """Return an inspection with everything its page shows."""
    require(actor, Permission.INSPECTION_VIEW)
    inspection = session.scalar(
        select(Inspection)
        .where(Inspection.id == inspection_id)
        .options(
            selectinload(Inspection.officer_rows),
            selectinload(Inspection.language_rows),
            selectinload(Inspection.indicator_rows),
            selectinload(Inspection.service_rows),
            selectinload(Inspection.findings),
        )
    )
    if inspection is None:
        raise NotFound("There is no such inspection.")
    premises = session.get(Premises, inspection.premises_id)
    assert premises is not None
    source = records.Source(records.INSPECTION, inspection.id)
    ward = session.scalar(select(Ward.code).where(Ward.id == premises.ward_id))
    names = _language_names(session)
    officer_names = {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.display_name).where(
                User.id.in_([o.user_id for o in inspection.officer_rows])
            )
        )
    }
    conditions = {
        c.id: c
        for c in session.scalars(
            select(LicenceCondition).where(
                LicenceCondition.id.in_([f.condition_id for f in inspection.findings])
            )
        )
    }
    author = session.get(User, inspection.author_id) if inspection.author_id else None
    return InspectionDetail(
        inspection=inspection,
        premises=premises,
        licence=session.get(Licence, inspection.licence_id) if inspection.licence_id else None,
        officers=sorted(officer_names.values()),
        displayed=sorted(
            names.get(r.language_code, r.language_code)
            for r in inspection.language_rows
            if r.role == "displayed"
        ),
        needed=sorted(
            names.get(r.language_code, r.language_code)
            for r in inspection.language_rows
            if r.role == "needed"
        ),
        findings=sorted(
            ((conditions[f.condition_id], f) for f in inspection.findings),
            key=lambda cf: cf[0].number,
        ),
        author=author.display_name if author else None,
        photo=session.get(EvidenceFile, inspection.poster_photo_id)
        if inspection.poster_photo_id
        else None,
        indicators=in_checklist_order({r.code for r in inspection.indicator_rows}),
        referrals=records.referrals_from(session, actor, source, ward),
        may_add_referral=records.may_record(actor, source, ward),
        services=support.service_names(session, [r.service_id for r in inspection.service_rows]),
    )


def inspections_of(session: Session, actor: Actor, premises_id: int) -> list[Inspection]:
    require(actor, Permission.PREMISES_VIEW)
    return list(
        session.scalars(
            select(Inspection)
            .where(Inspection.premises_id == premises_id)
            .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        )
    )


@dataclass(frozen=True)
class WardCompliance:
    code: str | None
    name: str
    licensed: int
    checked: int
    compliant: int
    never_checked: int
    stale: int

    @property
    def compliant_share(self) -> float | None:
        return None if self.licensed == 0 else self.compliant / self.licensed


@dataclass(frozen=True)
class ComplianceReport:
    wards: list[WardCompliance]
    overall: WardCompliance
    missing_languages: list[tuple[str, int]]
    as_of: datetime


#: The compliance view's summary in `measure_summaries` (measure, quarter): the view as it
#: stands, kept by the tick and discarded by any write it reads (enforcement/models/summaries.py).
COMPLIANCE_SUMMARY = (COMPLIANCE_NOW, "now")
#: How long a kept view serves: it holds the checks that turn stale within this time after it.
COMPLIANCE_SUMMARY_SERVES = timedelta(days=1)
_OUTSIDE = "Outside the borough or not located"
_FAR = datetime(9999, 1, 1, tzinfo=UTC)


def _serves(kept: MeasureSummary | None, now: datetime) -> bool:
    """Say whether a kept view serves at `now`: counted by this code, within its day."""
    return (
        kept is not None
        and kept.definition == _definition()
        and kept.computed_at <= now < kept.computed_at + COMPLIANCE_SUMMARY_SERVES
    )


@functools.cache
def _definition() -> str:
    import sys

    return fingerprint(sys.modules[__name__])


def _licensed() -> ColumnElement[bool]:
    return exists().where(Licence.premises_id == Premises.id, Licence.status.in_(TRADING_STATUSES))


def _ward_rows(session: Session, stale_before: datetime) -> list[WardCompliance]:
    rows = session.execute(
        select(
            Ward.code,
            Ward.name,
            func.count(Premises.id),
            func.count(PremisesCompliance.premises_id),
            func.sum(case((PremisesCompliance.poster_compliant.is_(True), 1), else_=0)),
            func.sum(case((PremisesCompliance.premises_id.is_(None), 1), else_=0)),
            func.sum(
                case(
                    (
                        and_(
                            PremisesCompliance.premises_id.is_not(None),
                            PremisesCompliance.last_inspected_at < stale_before,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .select_from(Premises)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .outerjoin(PremisesCompliance, PremisesCompliance.premises_id == Premises.id)
        .where(_licensed())
        .group_by(Ward.code, Ward.name)
        # Wards by name, then the premises outside the borough (NULLs sort first on SQLite and
        # last on PostgreSQL, so the order is said, not left to the database).
        .order_by(Ward.name.is_(None), Ward.name, Ward.code)
    ).all()
    return [
        WardCompliance(
            code, name or _OUTSIDE, int(a), int(b), int(c or 0), int(d or 0), int(e or 0)
        )
        for code, name, a, b, c, d, e in rows
    ]


def _missing_counts(session: Session) -> list[tuple[str, int]]:
    counter: Counter[str] = Counter()
    for text in session.scalars(
        select(PremisesCompliance.missing_languages)
        .join(Premises, Premises.id == PremisesCompliance.premises_id)
        .where(_licensed(), PremisesCompliance.missing_languages.is_not(None))
    ):
        counter.update(c for c in (text or "").split(",") if c)
    return counter.most_common(10)


def _report(
    session: Session, wards: list[WardCompliance], missing: list[tuple[str, int]], now: datetime
) -> ComplianceReport:
    overall = WardCompliance(
        None,
        "All wards",
        *(
            sum(getattr(w, f) for w in wards)
            for f in ("licensed", "checked", "compliant", "never_checked", "stale")
        ),
    )
    names = _language_names(session)
    shown = [(names.get(code, code), n) for code, n in missing]
    return ComplianceReport(wards=wards, overall=overall, missing_languages=shown, as_of=now)


def _from_summary(session: Session, kept: MeasureSummary, now: datetime) -> ComplianceReport:
    data = json.loads(kept.cells_json)
    # The checks that have turned stale since the view was kept (it holds those of the day after).
    stale_before = stale_from(now)
    turned: Counter[str | None] = Counter(
        code for code, at in data["turning"] if datetime.fromisoformat(at) < stale_before
    )
    wards = [
        WardCompliance(code, name, a, b, c, d, e + turned[code])
        for code, name, a, b, c, d, e in data["wards"]
    ]
    return _report(session, wards, [(c, n) for c, n in data["missing"]], now)


def compliance_report(session: Session, actor: Actor, now: datetime) -> ComplianceReport:
    """Per ward and overall: licensed premises, their latest poster checks, what is missing.

    Read from the view the tick keeps when there is one (exact: any write it reads discards it;
    docs/inspections.md), otherwise counted now.
    """
    require(actor, Permission.COMPLIANCE_VIEW)
    kept = session.get(MeasureSummary, COMPLIANCE_SUMMARY)
    if kept is not None and _serves(kept, now):
        return _from_summary(session, kept, now)
    return _report(session, _ward_rows(session, stale_from(now)), _missing_counts(session), now)


def keep_compliance_view(session: Session, now: datetime) -> bool:
    """Keep the compliance view as it stands at `now` unless a kept one still serves; say
    whether one was kept. The caller commits."""
    kept = session.get(MeasureSummary, COMPLIANCE_SUMMARY)
    if _serves(kept, now):
        return False
    if kept is not None:
        session.delete(kept)
        session.flush()
    stale_before = stale_from(now)
    # Monotonic in `now`: what turns stale while the view serves lies between the two.
    until = stale_from(now + COMPLIANCE_SUMMARY_SERVES)
    turning = session.execute(
        select(Ward.code, PremisesCompliance.last_inspected_at)
        .select_from(Premises)
        .join(PremisesCompliance, PremisesCompliance.premises_id == Premises.id)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .where(
            _licensed(),
            PremisesCompliance.last_inspected_at >= stale_before,
            PremisesCompliance.last_inspected_at < until,
        )
        .order_by(PremisesCompliance.premises_id)
    ).all()
    wards = _ward_rows(session, stale_before)
    data = {
        "wards": [
            [w.code, w.name, w.licensed, w.checked, w.compliant, w.never_checked, w.stale]
            for w in wards
        ],
        "turning": [[code, at.isoformat()] for code, at in turning],
        "missing": [[code, n] for code, n in _missing_counts(session)],
    }
    session.add(
        MeasureSummary(
            measure=COMPLIANCE_SUMMARY[0],
            quarter=COMPLIANCE_SUMMARY[1],
            first_day=london_today(now),
            last_day=date.max,
            starts_at=now,
            ends_at=_FAR,
            cells_json=json.dumps(data),
            computed_at=now,
            definition=_definition(),
        )
    )
    session.flush()
    return True


def compliance_csv(session: Session, actor: Actor, now: datetime) -> str:
    """Return the compliance figures as CSV; exporting is audited."""
    report = compliance_report(session, actor, now)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "ward_code",
            "ward",
            "licensed_premises",
            "checked",
            "compliant_at_latest_check",
            "compliant_share",
            "never_checked",
            "not_checked_in_12_months",
        ]
    )
    for row in [*report.wards, report.overall]:
        share = "" if row.compliant_share is None else f"{row.compliant_share:.3f}"
        w.writerow(
            [
                row.code or "",
                safe_cell(row.name),
                row.licensed,
                row.checked,
                row.compliant,
                share,
                row.never_checked,
                row.stale,
            ]
        )
    audit.record(
        session,
        actor,
        now,
        action="compliance.export",
        entity_type="report",
        entity_id=None,
        summary="Exported the poster compliance figures as CSV",
    )
    return out.getvalue()
