"""Intelligence flags: recording, grading (3x5x2), need-to-know reading, review dates, links.

Every read goes through `enforcement.policy` (the `intel_flag` record type): lists and
exports select only what the actor may see, opening a flag's content is audited, and so is
every refused attempt. Audit summaries carry no content: administrators read the trail.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit, identifiers, paging, policy
from enforcement.access import Actor, Permission, can, require
from enforcement.clock import end_of_days_after, london_today, to_london
from enforcement.db import ids_in, read_columns
from enforcement.errors import DomainError, Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.intelligence.vocab import (
    CONDITIONAL_CODES,
    HANDLING_CODES,
    INTELLIGENCE_GRADES,
    OPEN_STATUSES,
    SOURCE_GRADES,
    ExploitationForm,
    FlagStatus,
    SourceType,
)
from enforcement.models import (
    EnforcementCase,
    IntelFlag,
    IntelFlagExploitation,
    IntelFlagLink,
    IntelFlagOrganisation,
    IntelFlagRole,
    Organisation,
    Premises,
    User,
    Ward,
)
from enforcement.paging import CappedPage, QueryProblems
from enforcement.policy import Visibility
from enforcement.register import premises, wards
from enforcement.reminders import reminders, routing
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import OrganisationKind, Role

SUBJECT = policy.INTEL_FLAG.record_type
REVIEW_TITLE = "Intelligence flag review due"  # says nothing of the flag (policy)
MAX_TEXT = 10_000
MAX_CONDITIONS = 2_000
#: The roles a handling code C grade may show its content to: every role but the system
#: administrator, who has no right to read intelligence (docs/access-and-audit.md). The grade
#: form offers exactly these.
AUDIENCE_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.ADMIN)
MAX_REVIEW_DAYS = 365  # docs/grading.md: reviewed within 12 months at the latest


def grade_text(flag: Any) -> str:
    """Return a flag's grade as analysts write it (e.g. 'B2C'), or '' when ungraded."""
    if flag.grade_scheme is None:
        return ""
    return f"{flag.source_grade}{flag.intelligence_grade}{flag.handling_code}"


# --- Review dates (configurable data) --------------------------------------------------------


@dataclass(frozen=True)
class ReviewRules:
    """Days from a flag's last grading or status change to its review, by status and grade band.

    Bands: "ungraded"; "strong" (source A or B with intelligence 1 or 2); "weak" (intelligence
    4 or 5, or an unreliable source); "moderate" otherwise. Closed flags have no review date.
    No value may exceed 365 days (docs/grading.md).
    """

    days: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            FlagStatus.OPEN.value: {"ungraded": 14, "strong": 30, "moderate": 60, "weak": 90},
            FlagStatus.UNDER_ASSESSMENT.value: {
                "ungraded": 14,
                "strong": 14,
                "moderate": 30,
                "weak": 30,
            },
            FlagStatus.ACTIONED.value: {
                "ungraded": 90,
                "strong": 90,
                "moderate": 180,
                "weak": 180,
            },
        }
    )

    def __post_init__(self) -> None:
        for status, bands in self.days.items():
            for band, days in bands.items():
                if not 1 <= days <= MAX_REVIEW_DAYS:
                    raise ValueError(
                        f"review after {days} days ({status}, {band}): must be 1 to 365"
                    )


DEFAULT_RULES = ReviewRules()


def review_rule_id(status: str, band: str) -> str:
    """Return the id of the rule-table period for a status and grade band (the rule table is
    enforcement/cases/rules.py; docs/statutory-clock.md)."""
    return f"local.intel.review.{status}.{band}"


def review_rules_from(days_by_rule: Mapping[str, int]) -> ReviewRules:
    """Return the review periods given by the rule book in force, as amounts by rule id.

    The caller (the web layer, which sees both packages) passes the amounts; a period the
    mapping lacks keeps its default.
    """
    return ReviewRules(
        {
            status: {
                band: days_by_rule.get(review_rule_id(status, band), days)
                for band, days in bands.items()
            }
            for status, bands in DEFAULT_RULES.days.items()
        }
    )


def grade_band(scheme: str | None, source: str | None, intelligence: str | None) -> str:
    """Return the review band of a grade (see ReviewRules)."""
    if scheme is None or source is None or intelligence is None:
        return "ungraded"
    unreliable = {"3x5x2": {"C"}, "5x5x5": {"D"}}.get(scheme, set())
    if intelligence in {"4", "5"} or source in unreliable:
        return "weak"
    if source in {"A", "B"} and intelligence in {"1", "2"}:
        return "strong"
    return "moderate"


def review_due(
    status: str,
    scheme: str | None,
    source: str | None,
    intelligence: str | None,
    since: datetime,
    rules: ReviewRules = DEFAULT_RULES,
) -> datetime | None:
    """Return when a flag must next be reviewed, or None for a closed flag."""
    bands = rules.days.get(status)
    if bands is None:
        return None
    days = min(bands[grade_band(scheme, source, intelligence)], MAX_REVIEW_DAYS)
    # Counted as the rule table counts local.intel.review.*: days starting the day after.
    return end_of_days_after(since, days)


# --- Inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeInput:
    scheme: str
    source: str
    intelligence: str
    handling: str
    conditions: str | None = None
    audience_org_ids: frozenset[int] = field(default_factory=frozenset)
    audience_roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class FlagInput:
    reported_at: datetime | None
    source_type: str
    exploitation: frozenset[str]
    report_text: str
    premises_id: int | None = None
    location_text: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    grade: GradeInput | None = None


def _tidy(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


def _org_kind(session: Session, actor: Actor) -> str | None:
    if actor.organisation_id is None:
        return None
    return session.scalar(select(Organisation.kind).where(Organisation.id == actor.organisation_id))


def may_grade_on_entry(session: Session, actor: Actor) -> bool:
    """Say whether the actor grades as they record: analysts and police officers (not partners)."""
    if actor.is_system or can(actor, Permission.FLAG_GRADE):
        return True
    if actor.has_role(Role.PARTNER):
        return False
    return _org_kind(session, actor) == OrganisationKind.POLICE.value


def _validate_grade(session: Session, g: GradeInput, errors: dict[str, str], today: Any) -> None:
    if g.scheme not in SOURCE_GRADES:
        errors["grade_scheme"] = "Select the grading scheme"
        return
    if g.source not in SOURCE_GRADES[g.scheme]:
        errors["source_grade"] = "Select the source evaluation"
    if g.intelligence not in INTELLIGENCE_GRADES[g.scheme]:
        errors["intelligence_grade"] = "Select the intelligence assessment"
    if g.handling not in HANDLING_CODES[g.scheme]:
        errors["handling_code"] = "Select the handling code"
        return
    conditions = _tidy(g.conditions)
    if g.handling in CONDITIONAL_CODES[g.scheme]:
        if not conditions:
            errors["handling_conditions"] = "Enter the conditions for sharing this intelligence"
        if not g.audience_org_ids and not g.audience_roles:
            errors["audience_org_ids"] = (
                "Select the organisations or roles this intelligence may be shown to"
            )
    if conditions and len(conditions) > MAX_CONDITIONS:
        errors["handling_conditions"] = (
            f"The conditions must be {MAX_CONDITIONS:,} characters or fewer"
        )
    elif conditions and (
        p := identifiers.problem(identifiers.Plural("The conditions"), conditions, today=today)
    ):
        errors["handling_conditions"] = p
    if g.audience_org_ids:
        found = set(
            session.scalars(select(Organisation.id).where(Organisation.id.in_(g.audience_org_ids)))
        )
        if found != set(g.audience_org_ids):
            errors["audience_org_ids"] = "Select organisations from the list"
    if g.audience_roles - {r.value for r in AUDIENCE_ROLES}:
        errors["audience_roles"] = "Select roles from the list"


def _apply_grade(flag: IntelFlag, g: GradeInput, actor: Actor, now: datetime) -> None:
    conditional = g.handling in CONDITIONAL_CODES[g.scheme]
    flag.grade_scheme = g.scheme
    flag.source_grade = g.source
    flag.intelligence_grade = g.intelligence
    flag.handling_code = g.handling
    flag.handling_conditions = _tidy(g.conditions)
    flag.conditional = conditional
    flag.graded_by_id = actor.user_id
    flag.graded_at = now
    flag.audience_org_rows = (
        [IntelFlagOrganisation(organisation_id=o) for o in sorted(g.audience_org_ids)]
        if conditional
        else []
    )
    flag.audience_role_rows = (
        [IntelFlagRole(role=r) for r in sorted(g.audience_roles)] if conditional else []
    )


def _grade_snapshot(flag: IntelFlag) -> dict[str, Any]:
    # Codes only: the conditions' text and the report stay out of the audit trail.
    return {
        "status": flag.status,
        "grade_scheme": flag.grade_scheme,
        "grade": grade_text(flag) or None,
        "audience_organisations": sorted(r.organisation_id for r in flag.audience_org_rows),
        "audience_roles": sorted(r.role for r in flag.audience_role_rows),
    }


def _ward_code_of_premises(session: Session, premises_id: int) -> tuple[Premises, str | None]:
    target = session.get(Premises, premises_id)
    if target is None:
        raise ValidationFailed({"premises_id": "Choose a premises from the register"})
    code = (
        None
        if target.ward_id is None
        else session.scalar(select(Ward.code).where(Ward.id == target.ward_id))
    )
    return target, code


def _schedule_review(session: Session, actor: Actor, now: datetime, flag: IntelFlag) -> None:
    due = flag.review_due_at
    reminders.reconcile(
        session,
        kind=ReminderKind.FLAG_REVIEW,
        subject_type=SUBJECT,
        wanted={
            flag.id: []
            if due is None
            else [
                reminders.ReminderSpec(
                    kind=ReminderKind.FLAG_REVIEW,
                    subject_type=SUBJECT,
                    subject_id=flag.id,
                    title=REVIEW_TITLE,
                    due_at=due,
                    team=routing.route(ReminderKind.FLAG_REVIEW).team,
                )
            ]
        },
        now=now,
        actor=actor,
        default_reason="Review date changed",
    )


def _set_review(flag: IntelFlag, now: datetime, rules: ReviewRules) -> None:
    flag.review_due_at = review_due(
        flag.status,
        flag.grade_scheme,
        flag.source_grade,
        flag.intelligence_grade,
        now,
        rules,
    )


# --- Recording -------------------------------------------------------------------------------


def _check_report(
    errors: dict[str, str], data: FlagInput, now: datetime, today: date
) -> str | None:
    """Check when the intelligence came, from what source, about what; return the tidied text."""
    if data.reported_at is None or data.reported_at.tzinfo is None:
        errors["reported_at"] = "Enter when the intelligence was received"
    elif to_london(data.reported_at).date() > today:
        errors["reported_at"] = "The date the intelligence was received must be in the past"
    if data.source_type not in {s.value for s in SourceType}:
        errors["source_type"] = "Select the type of source"
    if not data.exploitation:
        errors["exploitation"] = "Select at least one form of exploitation"
    elif data.exploitation - {e.value for e in ExploitationForm}:
        errors["exploitation"] = "Select forms of exploitation from the list"
    text = _tidy(data.report_text)
    if not text:
        errors["report_text"] = "Enter the report"
    elif len(text) > MAX_TEXT:
        errors["report_text"] = f"The report must be {MAX_TEXT:,} characters or fewer"
    elif p := identifiers.problem("The report", text, today=today):
        errors["report_text"] = p
    return text


def _check_place(errors: dict[str, str], data: FlagInput) -> str | None:
    """Check the flag names a premises, an address or a point; return the tidied address."""
    location = _tidy(data.location_text)
    has_point = data.longitude is not None or data.latitude is not None
    if data.premises_id is None and not location and not has_point:
        errors["premises_id"] = "Choose a premises, or enter an address or a point on the map"
    if has_point and (data.longitude is None or data.latitude is None):
        missing = "latitude" if data.latitude is None else "longitude"
        errors[missing] = "Enter a latitude and a longitude, or neither"
    errors.update(premises.degree_problems(data.latitude, data.longitude))
    if location and len(location) > 300:
        errors["location_text"] = "The address must be 300 characters or fewer"
    return location


def raise_flag(
    session: Session,
    actor: Actor,
    now: datetime,
    data: FlagInput,
    rules: ReviewRules = DEFAULT_RULES,
) -> IntelFlag:
    """Record an intelligence flag about a premises or a location not yet in the register.

    Police officers and analysts may grade it as they record it; partners submit without a
    grade (ValidationFailed if they send one) and an analyst grades it later. Schedules the
    review reminder. Raises Forbidden without the permission to raise intelligence.
    """
    require(actor, Permission.FLAG_RAISE)
    errors: dict[str, str] = {}
    today = london_today(now)
    text = _check_report(errors, data, now, today)
    location = _check_place(errors, data)
    if data.grade is not None:
        if not may_grade_on_entry(session, actor):
            errors["grade_scheme"] = (
                "Partners submit intelligence without grading it: an analyst will grade it"
            )
        else:
            _validate_grade(session, data.grade, errors, today)
    ward_code: str | None = None
    if data.premises_id is not None and "premises_id" not in errors:
        try:
            _target, ward_code = _ward_code_of_premises(session, data.premises_id)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    if data.premises_id is None and data.longitude is not None and data.latitude is not None:
        ward_code = wards.locator(session, today).index.locate(data.longitude, data.latitude)
    assert data.reported_at is not None and text is not None
    flag = IntelFlag(
        premises_id=data.premises_id,
        location_text=None if data.premises_id is not None else location,
        longitude=None if data.premises_id is not None else data.longitude,
        latitude=None if data.premises_id is not None else data.latitude,
        ward_code=ward_code,
        # A day given as its noon may be later today than now: never store a time to come.
        reported_at=min(data.reported_at, now),
        source_type=data.source_type,
        report_text=text,
        status=FlagStatus.OPEN.value,
        conditional=False,
        submitted_by_id=actor.user_id,
        submitted_org_id=actor.organisation_id,
        created_at=now,
        updated_at=now,
    )
    flag.exploitation_rows = [IntelFlagExploitation(form=f) for f in sorted(data.exploitation)]
    flag.audience_org_rows = []
    flag.audience_role_rows = []
    if data.grade is not None:
        _apply_grade(flag, data.grade, actor, now)
    _set_review(flag, now, rules)
    session.add(flag)
    session.flush()
    _schedule_review(session, actor, now, flag)
    audit.record(
        session,
        actor,
        now,
        action="intel_flag.create",
        entity_type=SUBJECT,
        entity_id=flag.id,
        summary=f"Recorded intelligence flag {flag.id}",
        after=_grade_snapshot(flag),
    )
    return flag


def _load(session: Session, flag_id: int) -> IntelFlag | None:
    return session.scalar(
        select(IntelFlag)
        .where(IntelFlag.id == flag_id)
        .options(
            selectinload(IntelFlag.exploitation_rows),
            selectinload(IntelFlag.audience_org_rows),
            selectinload(IntelFlag.audience_role_rows),
        )
    )


def refuse(
    session: Session, actor: Actor, now: datetime, flag_id: int, error: DomainError, what: str
) -> DomainError:
    """Audit a refused attempt on a flag and return the error to raise.

    The caller commits the refusal before answering, so the attempt stays in the trail.
    """
    audit.record_refusal(
        session,
        actor,
        now,
        entity_type=SUBJECT,
        entity_id=flag_id,
        what=f"{what} intelligence flag {flag_id}",
    )
    session.flush()
    error.audited = True  # type: ignore[attr-defined]
    return error


def _content_or_refuse(
    session: Session, actor: Actor, now: datetime, flag_id: int, what: str
) -> IntelFlag:
    flag = _load(session, flag_id)
    level = Visibility.NONE if flag is None else policy.visibility(actor, flag)
    if flag is None or level is Visibility.NONE:
        raise refuse(
            session, actor, now, flag_id, NotFound("There is no such intelligence flag."), what
        )
    if level < Visibility.CONTENT:
        raise refuse(
            session,
            actor,
            now,
            flag_id,
            Forbidden(
                "The handling conditions of this intelligence flag do not include you, so "
                "you cannot see what it says."
            ),
            what,
        )
    return flag


def _check_version(flag: IntelFlag, version: int | None) -> None:
    if version is not None and version != flag.version:
        raise StaleEdit.changed_meanwhile("intelligence flag")


def grade_flag(
    session: Session,
    actor: Actor,
    now: datetime,
    flag_id: int,
    version: int | None,
    data: GradeInput,
    rules: ReviewRules = DEFAULT_RULES,
) -> IntelFlag:
    """Grade (or regrade) a flag; only analysts may, and only flags whose content they see.

    Records who graded it and when, resets the review date and reminder, and is audited.
    """
    if not can(actor, Permission.FLAG_GRADE):
        raise refuse(
            session, actor, now, flag_id, Forbidden("Only intelligence analysts grade."), "grade"
        )
    flag = _content_or_refuse(session, actor, now, flag_id, "grade")
    _check_version(flag, version)
    errors: dict[str, str] = {}
    _validate_grade(session, data, errors, london_today(now))
    if errors:
        raise ValidationFailed(errors)
    before = _grade_snapshot(flag)
    _apply_grade(flag, data, actor, now)
    if flag.status == FlagStatus.OPEN.value:
        flag.status = FlagStatus.UNDER_ASSESSMENT.value
    flag.updated_at = now
    _set_review(flag, now, rules)
    session.flush()
    _schedule_review(session, actor, now, flag)
    audit.record(
        session,
        actor,
        now,
        action="intel_flag.grade",
        entity_type=SUBJECT,
        entity_id=flag.id,
        summary=f"Graded intelligence flag {flag.id}",
        before=before,
        after=_grade_snapshot(flag),
    )
    return flag


def set_status(
    session: Session,
    actor: Actor,
    now: datetime,
    flag_id: int,
    version: int | None,
    status: str,
    rules: ReviewRules = DEFAULT_RULES,
) -> IntelFlag:
    """Change a flag's status (analysts and supervisors); the review date follows it."""
    if not can(actor, Permission.FLAG_MANAGE):
        raise refuse(
            session,
            actor,
            now,
            flag_id,
            Forbidden("You do not have permission to do that."),
            "change the status of",
        )
    flag = _content_or_refuse(session, actor, now, flag_id, "change the status of")
    _check_version(flag, version)
    if status not in {s.value for s in FlagStatus}:
        raise ValidationFailed({"status": "Select a status"})
    before = {"status": flag.status}
    flag.status = status
    flag.updated_at = now
    _set_review(flag, now, rules)
    session.flush()
    _schedule_review(session, actor, now, flag)
    audit.record(
        session,
        actor,
        now,
        action="intel_flag.status",
        entity_type=SUBJECT,
        entity_id=flag.id,
        summary=f"Changed the status of intelligence flag {flag.id}",
        before=before,
        after={"status": status},
    )
    return flag


def link_to_premises(
    session: Session, actor: Actor, now: datetime, flag_id: int, premises_id: int
) -> IntelFlag:
    """Link a flag about a location to a premises in the register (its ward follows)."""
    if not can(actor, Permission.FLAG_MANAGE):
        raise refuse(
            session,
            actor,
            now,
            flag_id,
            Forbidden("You do not have permission to do that."),
            "link",
        )
    flag = _content_or_refuse(session, actor, now, flag_id, "link")
    _target, code = _ward_code_of_premises(session, premises_id)
    before = {"premises_id": flag.premises_id}
    flag.premises_id = premises_id
    flag.ward_code = code
    flag.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="intel_flag.link_premises",
        entity_type=SUBJECT,
        entity_id=flag.id,
        summary=f"Linked intelligence flag {flag.id} to premises {premises_id}",
        before=before,
        after={"premises_id": premises_id},
    )
    return flag


def link_to_case(
    session: Session, actor: Actor, now: datetime, flag_id: int, case_reference: str
) -> IntelFlagLink:
    """Use a flag as evidence in an enforcement case (found by its reference); audited."""
    if not can(actor, Permission.FLAG_MANAGE) or not can(actor, Permission.CASE_VIEW):
        raise refuse(
            session,
            actor,
            now,
            flag_id,
            Forbidden("You do not have permission to do that."),
            "link",
        )
    flag = _content_or_refuse(session, actor, now, flag_id, "link")
    found = session.scalar(
        select(EnforcementCase).where(EnforcementCase.reference == case_reference.strip().upper())
    )
    if found is None:
        raise ValidationFailed({"case_reference": "Enter the reference of an enforcement case"})
    already = session.scalar(
        select(IntelFlagLink).where(
            IntelFlagLink.flag_id == flag.id, IntelFlagLink.case_id == found.id
        )
    )
    if already is not None:
        raise ValidationFailed({"case_reference": "This flag is already linked to that case"})
    row = IntelFlagLink(
        flag_id=flag.id, case_id=found.id, linked_by_id=actor.user_id, linked_at=now
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="intel_flag.link_case",
        entity_type=SUBJECT,
        entity_id=flag.id,
        summary=f"Linked intelligence flag {flag.id} to enforcement case {found.reference}",
        after={"case_id": found.id},
    )
    return row


def disclosable_in_public_paper(flag: IntelFlag) -> bool:
    """Say whether a flag may be disclosed in a public committee paper (never handling C)."""
    return policy.disclosable_in_public_paper(flag)


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagDetail:
    flag: IntelFlag
    premises: Premises | None
    ward_name: str | None
    submitted_by: str | None
    submitted_org: str | None
    graded_by: str | None
    audience_orgs: list[str]
    audience_roles: list[str]
    exploitation: list[str]
    cases: list[tuple[int, str]]
    disclosable: bool

    def review_overdue(self, now: datetime) -> bool:
        due = self.flag.review_due_at
        return due is not None and due < now and self.flag.status != FlagStatus.CLOSED.value


def open_flag(session: Session, actor: Actor, now: datetime, flag_id: int) -> FlagDetail:
    """Return a flag's content for the actor; the view is audited, and so is a refusal.

    Raises NotFound when the actor may not know it exists, Forbidden when they may know only
    that (handling conditions that do not name them); both refusals are audited first.
    """
    flag = _content_or_refuse(session, actor, now, flag_id, "open")
    target = session.get(Premises, flag.premises_id) if flag.premises_id else None
    people = [u for u in (flag.submitted_by_id, flag.graded_by_id) if u]
    names: dict[int, str] = {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.display_name).where(User.id.in_(people))
        )
    }
    org_ids = [r.organisation_id for r in flag.audience_org_rows]
    if flag.submitted_org_id:
        org_ids.append(flag.submitted_org_id)
    orgs: dict[int, str] = {
        oid: name
        for oid, name in session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        )
    }
    ward_name = (
        session.scalar(
            select(Ward.name).where(Ward.code == flag.ward_code).order_by(Ward.valid_from.desc())
        )
        if flag.ward_code
        else None
    )
    linked = [
        (cid, ref)
        for cid, ref in session.execute(
            select(EnforcementCase.id, EnforcementCase.reference)
            .join(IntelFlagLink, IntelFlagLink.case_id == EnforcementCase.id)
            .where(IntelFlagLink.flag_id == flag.id)
            .order_by(EnforcementCase.reference, EnforcementCase.id)
        )
    ]
    policy.record_view(session, actor, now, flag, summary=f"Opened intelligence flag {flag.id}")
    return FlagDetail(
        flag=flag,
        premises=target,
        ward_name=ward_name,
        submitted_by=names.get(flag.submitted_by_id) if flag.submitted_by_id else None,
        submitted_org=orgs.get(flag.submitted_org_id) if flag.submitted_org_id else None,
        graded_by=names.get(flag.graded_by_id) if flag.graded_by_id else None,
        audience_orgs=sorted(orgs[r.organisation_id] for r in flag.audience_org_rows),
        audience_roles=sorted(Role.label_of(r.role) for r in flag.audience_role_rows),
        exploitation=[ExploitationForm.label_of(r.form) for r in flag.exploitation_rows],
        cases=linked,
        disclosable=policy.disclosable_in_public_paper(flag),
    )


@dataclass(frozen=True)
class FlagQuery:
    status: str = ""
    source_type: str = ""
    exploitation: str = ""
    ward: str = ""
    premises_id: int | None = None
    review_overdue: bool = False
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class FlagRow:
    id: int
    reported_at: datetime
    source_type: str
    status: str
    grade: str
    conditional: bool
    place: str
    premises_id: int | None
    review_due_at: datetime | None
    exploitation: tuple[str, ...]

    def review_overdue(self, now: datetime) -> bool:
        return (
            self.review_due_at is not None
            and self.review_due_at < now
            and self.status != FlagStatus.CLOSED.value
        )


FlagPage = CappedPage[FlagRow]
#: How far the list counts ("more than 1,000 flags"); see paging.CappedPage.
COUNT_CAP = paging.COUNT_CAP


def query_problems(q: FlagQuery) -> dict[str, str]:
    """Return what is wrong with list parameters (unknown codes), keyed by parameter."""
    return (
        QueryProblems()
        .choice("status", q.status, (s.value for s in FlagStatus), "Unknown status")
        .choice("source_type", q.source_type, (s.value for s in SourceType), "Unknown source type")
        .choice(
            "exploitation",
            q.exploitation,
            (e.value for e in ExploitationForm),
            "Unknown form of exploitation",
        )
        .page(q.page, q.page_size)
        .found
    )


def _filters(actor: Actor, now: datetime, q: FlagQuery) -> list[ColumnElement[bool]]:
    where = [policy.visible_flags_clause(actor, Visibility.CONTENT)]
    if q.status:
        where.append(IntelFlag.status == q.status)
    if q.source_type:
        where.append(IntelFlag.source_type == q.source_type)
    if q.exploitation:
        where.append(
            exists().where(
                IntelFlagExploitation.flag_id == IntelFlag.id,
                IntelFlagExploitation.form == q.exploitation,
            )
        )
    if q.ward:
        where.append(IntelFlag.ward_code == q.ward)
    if q.premises_id is not None:
        where.append(IntelFlag.premises_id == q.premises_id)
    if q.review_overdue:
        where += [
            IntelFlag.review_due_at < now,
            IntelFlag.status != FlagStatus.CLOSED.value,
        ]
    return where


def _rows(
    session: Session,
    actor: Actor,
    now: datetime,
    q: FlagQuery,
    *,
    limit: int | None,
    offset: int = 0,
) -> list[FlagRow]:
    stmt = (
        select(
            IntelFlag.id,
            IntelFlag.reported_at,
            IntelFlag.source_type,
            IntelFlag.status,
            IntelFlag.source_grade,
            IntelFlag.intelligence_grade,
            IntelFlag.handling_code,
            IntelFlag.conditional,
            IntelFlag.location_text,
            IntelFlag.premises_id,
            Premises.name,
            IntelFlag.review_due_at,
        )
        .outerjoin(Premises, Premises.id == IntelFlag.premises_id)
        .where(*_filters(actor, now, q))
        .order_by(IntelFlag.reported_at.desc(), IntelFlag.id.desc())
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    raw = session.execute(stmt).all()
    ids = [r[0] for r in raw]
    forms: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        for fid, form in session.execute(
            select(IntelFlagExploitation.flag_id, IntelFlagExploitation.form)
            .where(IntelFlagExploitation.flag_id.in_(ids[start : start + 500]))
            .order_by(IntelFlagExploitation.flag_id, IntelFlagExploitation.form)
        ):
            forms[fid].append(form)
    return [
        FlagRow(
            id=r[0],
            reported_at=r[1],
            source_type=r[2],
            status=r[3],
            grade=f"{r[4]}{r[5]}{r[6]}" if r[4] else "",
            conditional=bool(r[7]),
            place=r[10] or r[8] or "A point on the map",
            premises_id=r[9],
            review_due_at=r[11],
            exploitation=tuple(forms[r[0]]),
        )
        for r in raw
    ]


def search_flags(session: Session, actor: Actor, now: datetime, q: FlagQuery) -> FlagPage:
    """Return a page of the flags whose content the actor may see, newest first (audited).

    The count stops past `COUNT_CAP` ("more than 1,000 flags"), and the pages end there
    (paging.CappedPage): counting every flag an analyst may read meant reading all of them.
    """
    require(actor, Permission.FLAG_LIST)
    if problems := query_problems(q):
        raise ValidationFailed(problems)
    matching = select(IntelFlag.id).where(*_filters(actor, now, q)).limit(COUNT_CAP + 1)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    page = q.page
    start = paging.offset(page, q.page_size)
    listed = min(q.page_size, COUNT_CAP - start, total - start)
    rows = _rows(session, actor, now, q, limit=listed, offset=start) if listed > 0 else []
    if rows:
        audit.record(
            session,
            actor,
            now,
            action="intel_flag.list",
            entity_type=SUBJECT,
            entity_id=None,
            summary=f"Listed {len(rows)} intelligence flags",
            after={"shown": [r.id for r in rows]},
        )
    return FlagPage(rows=rows, total=total, page=page, page_size=q.page_size, cap=COUNT_CAP)


EXPORT_HEADER = (
    "Flag",
    "Received",
    "Source type",
    "Forms of exploitation",
    "Status",
    "Grade",
    "Handling conditions",
    "Premises or location",
    "Review due",
    "Report",
)
MAX_EXPORT = 50_000


def export_flags(session: Session, actor: Actor, now: datetime, q: FlagQuery) -> list[list[str]]:
    """Return the flags the actor may see, as CSV rows with a header; the export is audited."""
    if not can(actor, Permission.FLAG_EXPORT):
        audit.record_refusal(
            session,
            actor,
            now,
            entity_type=SUBJECT,
            entity_id=None,
            what="export intelligence flags",
        )
        session.flush()
        error = Forbidden("You do not have permission to export intelligence flags.")
        error.audited = True  # type: ignore[attr-defined]
        raise error
    if problems := query_problems(q):
        raise ValidationFailed(problems)
    rows = _rows(session, actor, now, q, limit=MAX_EXPORT)
    texts = _texts(session, [r.id for r in rows])
    out = [list(EXPORT_HEADER)]
    for r in rows:
        due = r.review_due_at
        out.append(
            [
                str(r.id),
                # The day it was received, as the form takes it and the pages show it: the time
                # kept with it (noon, or the moment it was recorded) is not a time anyone gave.
                f"{to_london(r.reported_at):%d/%m/%Y}",
                SourceType.label_of(r.source_type),
                "|".join(ExploitationForm.label_of(f) for f in r.exploitation),
                FlagStatus.label_of(r.status),
                r.grade,
                texts[r.id][1] or "",
                r.place,
                "" if due is None else to_london(due).strftime("%d/%m/%Y"),
                texts[r.id][0],
            ]
        )
    audit.record(
        session,
        actor,
        now,
        action="intel_flag.export",
        entity_type=SUBJECT,
        entity_id=None,
        summary=f"Exported {len(rows)} intelligence flags",
        after={"exported": [r.id for r in rows]},
    )
    return out


def _texts(session: Session, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Return each flag's report and handling conditions, in chunks of ids."""
    found: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(ids), 900):
        for fid, report, conditions in session.execute(
            select(IntelFlag.id, IntelFlag.report_text, IntelFlag.handling_conditions).where(
                IntelFlag.id.in_(ids[start : start + 900])
            )
        ):
            found[fid] = (report, conditions)
    return found


# --- What the register shows -----------------------------------------------------------------


@dataclass(frozen=True)
class FlagCount:
    """Open flags at a premises that the actor may know of, and how many they may read."""

    known: int
    readable: int


def open_flag_counts(
    session: Session, actor: Actor, premises_ids: list[int]
) -> dict[int, FlagCount]:
    """Return the open flags per premises as the actor may know of them, in one grouped query.

    Nothing (and no query) for anyone who may see no flag at all, not even their own.
    """
    if not premises_ids or (
        policy.most_visible(actor, SUBJECT) is Visibility.NONE
        and not can(actor, Permission.FLAG_RAISE)
    ):
        return {}
    # Columns only, read below the ORM (read_columns): a list page asks this for every page.
    statement = _open_flag_counts_statement(_reader(actor), session.get_bind().dialect.name)
    rows = read_columns(session, statement, {"premises_ids": premises_ids}).all()
    return {pid: FlagCount(int(n), int(r or 0)) for pid, n, r in rows if pid is not None}


def _reader(actor: Actor) -> Actor:
    """The actor as what decides which flags they may see: without the label and address that
    the audit trail records, so one statement serves every request of the same person."""
    return dataclasses.replace(actor, label="", ip_address=None)


@functools.lru_cache(maxsize=256)
def _open_flag_counts_statement(reader: Actor, dialect: str) -> Select[int | None, int, Any]:
    """The open flag counts for one reader, built once (building the access policy's clauses
    cost more than running the statement); the premises are a bound parameter."""
    readable = case((policy.visible_flags_clause(reader, Visibility.CONTENT), 1), else_=0)
    return (
        select(IntelFlag.premises_id, func.count(), func.sum(readable))
        .where(
            ids_in(IntelFlag.premises_id, "premises_ids", dialect),
            IntelFlag.status.in_(OPEN_STATUSES),
            policy.visible_flags_clause(reader, Visibility.EXISTENCE),
        )
        .group_by(IntelFlag.premises_id)
    )


def organisation_choices(session: Session) -> list[tuple[int, str]]:
    """Return the organisations a conditionally handled flag may be shown to, by name."""
    return [
        (oid, name)
        for oid, name in session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.name)
        )
    ]
