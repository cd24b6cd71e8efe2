"""Operation Moontwist welfare visits: logging them, reading them on a need-to-know basis, releasing them.

Welfare is not enforcement (docs/welfare.md). Every read of a visit goes through
`enforcement.policy`; content views are audited; nothing from a visit may be used as evidence
until a supervisor releases it with a recorded reason.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from enforcement import audit, identifiers, policy
from enforcement.access import Actor, Permission, can, require
from enforcement.clock import add_london_days, end_of_days_after, london_today, to_london
from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.models import Language, Premises, Reminder, User, UserRole, Ward
from enforcement.models.welfare import (
    WelfareVisit,
    WelfareVisitGuidance,
    WelfareVisitIndicator,
    WelfareVisitLanguage,
    WelfareVisitOfficer,
    WelfareVisitOutcome,
    WelfareVisitService,
)
from enforcement.policy import Visibility
from enforcement.register import premises, support, wards
from enforcement.reminders import reminders, routing
from enforcement.reminders.vocab import ReminderKind
from enforcement.safeguarding import records
from enforcement.vocab import Role
from enforcement.welfare import follow_up, training
from enforcement.welfare.vocab import (
    INDICATORS,
    PREMISES_TYPE_FOR,
    AwayFromManagers,
    ConsentToTalk,
    Dress,
    GuidanceItem,
    ImmigrationStatus,
    Indicator,
    PropertyDescribed,
    VisitHandling,
    VisitOutcome,
    VisitTrigger,
)

SUBJECT = policy.WELFARE_VISIT.record_type
FOLLOW_UP_DAYS = 14
MAX_FOLLOW_UP_DAYS = 90
MAX_PEOPLE = 100
MAX_REFERRALS = 50  # anonymous referral records given with one visit
MAX_TEXT = 5_000
CRIME_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/ .\-]{0,39}$")
#: What a reference's shape lets through but no reference is: a phone number or a date of
#: birth (its letters and digits could also pass for a document number, so that is not asked).
NOT_A_REFERENCE = frozenset(
    {identifiers.IdentifierKind.PHONE, identifiers.IdentifierKind.DATE_OF_BIRTH}
)
FOLLOW_UP_TITLE = "Follow-up visit due"  # says nothing of the premises or the visit (policy)
_OUTCOME_ORDER = {o.value: n for n, o in enumerate(VisitOutcome)}
MIN_JUSTIFICATION = 20
IMMIGRATION_TASK_TITLE = "Immigration referral from a welfare visit to decide"  # no premises
EXPIRED_FORM = "The form has expired: reload it and enter the visit again"

NOT_A_WARD_OFFICER = (
    "Only ward officers (Dedicated Ward Officers and Safer Neighbourhood Team officers) "
    "log welfare visits."
)
NOT_TRAINED = (
    "You cannot log a welfare visit yet. Only officers recorded as having completed "
    "Operation Moontwist training can log welfare visits, so that every visit follows the "
    "guidance. Ask your supervisor to record your training."
)
NOT_YOUR_WARD = "You can log welfare visits only at premises in the wards you cover."


@dataclass(frozen=True)
class NewLocation:
    """A place not yet in the register: it is added, with its ward derived from the point."""

    name: str
    address_line1: str
    postcode: str | None = None
    longitude: float | None = None
    latitude: float | None = None


@dataclass(frozen=True)
class VisitInput:
    visited_at: datetime | None
    idempotency_key: str
    trigger: str
    property_described: str
    people_present: int | None
    premises_id: int | None = None
    new_location: NewLocation | None = None
    property_other: str | None = None
    officer_ids: frozenset[int] = field(default_factory=frozenset)
    other_officers: str | None = None
    indicators: frozenset[str] = field(default_factory=frozenset)
    other_indicators: str | None = None
    interpreter_used: bool = False
    interpreter_language: str | None = None
    support_info_left: bool = False
    support_languages: frozenset[str] = field(default_factory=frozenset)
    # One anonymous record per referral (more can be added to the visit afterwards); or none.
    referrals: tuple[records.ReferralInput, ...] = ()
    no_referrals: bool = False
    feedback: str | None = None
    crime_reference: str | None = None
    guidance: frozenset[str] = field(default_factory=frozenset)
    return_requested: bool = False
    follow_up_days: int | None = FOLLOW_UP_DAYS
    no_identifiers_confirmed: bool = False
    record: VisitRecord | None = None

    @property
    def follow_up_needed(self) -> bool:
        """A follow-up is owed when indicators were observed, a return was asked for, or the
        outcome is a follow-up visit."""
        return bool(
            self.indicators
            or _tidy(self.other_indicators)
            or self.return_requested
            or (self.record and VisitOutcome.FOLLOW_UP_VISIT in self.record.outcomes)
        )


@dataclass(frozen=True)
class VisitRecord:
    """The rest of the whole visit record (docs/welfare.md): attendance and approach, support,
    outcome and handling. A visit logged without it (None) keeps them all "not recorded"."""

    dress: str | None = None
    partner_agency_present: bool | None = None
    partner_agency: str | None = None
    interpreter_professional: bool | None = None
    consent_to_talk: str | None = None
    away_from_managers: str | None = None
    services: frozenset[int] = field(default_factory=frozenset)
    follow_up_offered: bool | None = None
    outcomes: frozenset[str] = field(default_factory=frozenset)
    immigration_justification: str | None = None
    handling_code: str = VisitHandling.P.value
    handling_conditions: str | None = None


def _tidy(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


def _one_line(text: str | None) -> str | None:
    return None if text is None else (" ".join(text.split()) or None)


# --- Who may log -----------------------------------------------------------------------------


def logging_refusal(session: Session, actor: Actor) -> str | None:
    """Return why the actor may not log welfare visits at all, or None if they may."""
    if not can(actor, Permission.WELFARE_VISIT_LOG) or actor.is_system:
        return NOT_A_WARD_OFFICER
    if not training.is_trained(session, actor.user_id):
        return NOT_TRAINED
    return None


def may_log_at(session: Session, actor: Actor, ward_code: str | None) -> bool:
    """Say whether the actor may log a welfare visit at a premises in the given ward."""
    return (
        ward_code is not None
        and ward_code in actor.ward_codes
        and logging_refusal(session, actor) is None
    )


def _require_may_log(session: Session, actor: Actor) -> None:
    require(actor, Permission.WELFARE_VISIT_LOG)
    refusal = logging_refusal(session, actor)
    if refusal is not None:
        raise Forbidden(refusal)


# --- Logging a visit -------------------------------------------------------------------------


def _text_problems(
    errors: dict[str, str], today: date, checks: list[tuple[str, str, str | None, int]]
) -> None:
    """Check free text for length and for identifiers; `checks` is (key, label, text, limit)."""
    for key, label, text, limit in checks:
        if text is None:
            continue
        if len(text) > limit:
            errors[key] = f"{label} must be {limit:,} characters or fewer"
        elif problem := identifiers.problem(label, text, today=today):
            errors[key] = problem


def _check_when_and_where(errors: dict[str, str], now: datetime, data: VisitInput) -> None:
    """Check when the visit was, why, the property, how many were present and where."""
    if data.visited_at is None or data.visited_at.tzinfo is None:
        errors["visited_at"] = "Enter the date and time of the visit"
    elif data.visited_at > now + timedelta(minutes=5):
        errors["visited_at"] = "The date and time of the visit must be in the past"
    elif data.visited_at < now - timedelta(days=366):
        errors["visited_at"] = "The visit must have taken place within the last year"
    if not data.idempotency_key or len(data.idempotency_key) > 64:
        errors["idempotency_key"] = EXPIRED_FORM
    if data.trigger not in {t.value for t in VisitTrigger}:
        errors["trigger"] = "Select why the visit took place"
    if data.property_described not in {p.value for p in PropertyDescribed}:
        errors["property_described"] = "Select how the property is described"
    elif data.property_described == PropertyDescribed.OTHER and not _one_line(data.property_other):
        errors["property_other"] = "Describe the property"
    if data.people_present is None:
        errors["people_present"] = "Enter how many people were present, as a number"
    elif not 0 <= data.people_present <= MAX_PEOPLE:
        errors["people_present"] = (
            f"The number of people present must be between 0 and {MAX_PEOPLE}"
        )
    if (data.premises_id is None) == (data.new_location is None):
        errors["premises_id"] = "Choose the premises visited, or describe a new location"


def _check_officers(errors: dict[str, str], session: Session, data: VisitInput) -> None:
    if data.officer_ids:
        found = set(
            session.scalars(
                select(User.id).where(User.id.in_(data.officer_ids), User.is_active.is_(True))
            )
        )
        if found != set(data.officer_ids):
            errors["officer_ids"] = "Select officers from the list"


def _check_languages(errors: dict[str, str], session: Session, data: VisitInput) -> None:
    """Check the interpreter's language and those of the support information left."""
    known_languages = set(session.scalars(select(Language.code)))
    if data.interpreter_used and not data.interpreter_language:
        errors["interpreter_language"] = "Select the language the interpreter spoke"
    elif data.interpreter_used and data.interpreter_language not in known_languages:
        errors["interpreter_language"] = "Select a language from the list"
    if data.support_info_left and not data.support_languages:
        errors["support_languages"] = "Select the languages of the support information left"
    elif data.support_info_left and data.support_languages - known_languages:
        errors["support_languages"] = "Select languages from the list"


def _check_referrals(
    errors: dict[str, str], session: Session, today: date, data: VisitInput
) -> None:
    """Check the anonymous referral records given with the visit, or that none were made."""
    if data.no_referrals and data.referrals:
        errors["no_referrals"] = (
            "You selected that no referrals were made, but recorded a referral: change one of them"
        )
    if len(data.referrals) > MAX_REFERRALS:
        errors["referrals"] = f"Record at most {MAX_REFERRALS} referrals with one visit"
        return
    made = None
    if data.visited_at is not None and data.visited_at.tzinfo is not None:
        made = records.Made.visit(data.visited_at)
    for n, referral in enumerate(data.referrals, start=1):
        problems = records.check_referral(session, referral, today, made=made)
        if problems:
            errors["referrals"] = f"Referral {n}: " + next(iter(problems.values()))
            return


#: The outcomes that are referrals: a visit with one of them led to referrals.
REFERRAL_OUTCOMES = (
    VisitOutcome.NRM_REFERRAL,
    VisitOutcome.DUTY_TO_NOTIFY,
    VisitOutcome.SAFEGUARDING_REFERRAL,
)
CHILD_OUTCOMES = (VisitOutcome.NRM_REFERRAL, VisitOutcome.SAFEGUARDING_REFERRAL)


def _check_referrals_fit(errors: dict[str, str], data: VisitInput) -> None:
    """The answer on referrals against the outcome and the indicators, so that no referral an
    outcome names goes uncounted, and a child is always referred (docs/welfare.md)."""
    if "no_referrals" in errors:
        return
    outcomes = data.record.outcomes if data.record else frozenset()
    named = [o for o in REFERRAL_OUTCOMES if o in outcomes]
    if child := records.child_route_problem(data.indicators, data.no_referrals):
        errors["no_referrals"] = child
    elif data.no_referrals and named:
        errors["no_referrals"] = (
            f"You selected the outcome '{named[0].label}', but answered that no referrals were "
            "made: change one of them"
        )
    elif not data.no_referrals and VisitOutcome.NO_FURTHER_ACTION in outcomes:
        errors["no_referrals"] = (
            "You answered that the visit led to referrals, but selected 'No further action' "
            "as its outcome: change one of them"
        )
    if (
        data.record is not None
        and "outcomes" not in errors
        and records.APPEARS_UNDER_18 in data.indicators
        and not data.no_referrals
        and not any(o in outcomes for o in CHILD_OUTCOMES)
    ):
        errors["outcomes"] = (
            f"{records.CHILD_ROUTE}: select the referral into the NRM or the safeguarding "
            "referral as an outcome"
        )


def _check_guidance(errors: dict[str, str], today: date, data: VisitInput) -> None:
    """Check the Moontwist checklist against the rest of the record."""
    if data.guidance - {g.value for g in GuidanceItem}:
        errors["guidance"] = "Select items from the checklist"
    elif GuidanceItem.SUPPORT_INFO_LEFT in data.guidance and not data.support_info_left:
        errors["guidance"] = (
            "You ticked that support information was left, but answered that none was left"
        )
    elif (
        GuidanceItem.RECORDED_SAME_DAY in data.guidance
        and data.visited_at is not None
        and data.visited_at.tzinfo is not None
        and to_london(data.visited_at).date() != today
    ):
        errors["guidance"] = (
            "You are recording this visit on a later day than it took place: "
            "untick 'recorded on the day'"
        )


def _check_approach(errors: dict[str, str], data: VisitInput, rec: VisitRecord) -> None:
    """Check attendance and approach: dress, partner agency, interpreter, consent, managers."""
    if rec.dress not in {d.value for d in Dress}:
        errors["dress"] = "Select whether the officers were in uniform or plain clothes"
    if rec.partner_agency_present is None:
        errors["partner_agency_present"] = "Say whether a partner agency was present"
    elif rec.partner_agency_present and not _one_line(rec.partner_agency):
        errors["partner_agency"] = "Enter which partner agency was present"
    if data.interpreter_used and rec.interpreter_professional is None:
        errors["interpreter_professional"] = "Say whether the interpreter was a professional"
    if rec.consent_to_talk not in {c.value for c in ConsentToTalk}:
        errors["consent_to_talk"] = "Say whether the people present agreed to talk with you"
    if rec.away_from_managers not in {a.value for a in AwayFromManagers}:
        errors["away_from_managers"] = (
            "Say whether people were spoken to away from managers or controllers"
        )


def _check_support(
    errors: dict[str, str], session: Session, rec: VisitRecord, keep: frozenset[int]
) -> None:
    if problem := support.check_choice(session, rec.services, keep=keep):
        errors["services"] = problem
    if rec.follow_up_offered is None:
        errors["follow_up_offered"] = "Say whether further support or a follow-up was offered"


def _check_outcome(errors: dict[str, str], today: date, rec: VisitRecord) -> None:
    """Check the outcomes, the immigration referral's justification and the handling code."""
    outcomes = rec.outcomes
    if not outcomes:
        errors["outcomes"] = "Select the outcome of the visit"
    elif outcomes - {o.value for o in VisitOutcome}:
        errors["outcomes"] = "Select outcomes from the list"
    elif VisitOutcome.NO_FURTHER_ACTION in outcomes and len(outcomes) > 1:
        errors["outcomes"] = (
            "You selected 'No further action' and another outcome: select one or the other"
        )
    justification = _tidy(rec.immigration_justification)
    if VisitOutcome.IMMIGRATION_REFERRAL in outcomes:
        if not justification or len(justification) < MIN_JUSTIFICATION:
            errors["immigration_justification"] = (
                "Explain why an immigration referral is justified after a welfare visit "
                f"(at least {MIN_JUSTIFICATION} characters): a supervisor decides on it"
            )
        else:
            _text_problems(
                errors,
                today,
                [("immigration_justification", "The justification", justification, MAX_TEXT)],
            )
    if rec.handling_code not in {h.value for h in VisitHandling}:
        errors["handling_code"] = "Select the handling code"
    elif rec.handling_code == VisitHandling.C and not _tidy(rec.handling_conditions):
        errors["handling_conditions"] = "Enter the conditions for sharing this record"
    elif rec.handling_code == VisitHandling.C:
        _text_problems(
            errors,
            today,
            [
                (
                    "handling_conditions",
                    identifiers.Plural("The conditions"),
                    _tidy(rec.handling_conditions),
                    2_000,
                )
            ],
        )
    _text_problems(
        errors,
        today,
        [("partner_agency", "The partner agency", _one_line(rec.partner_agency), 200)],
    )


def _check_record(
    errors: dict[str, str],
    session: Session,
    today: date,
    data: VisitInput,
    keep: frozenset[int] = frozenset(),
) -> None:
    rec = data.record
    if rec is None:
        errors["record"] = "Answer the questions on attendance, support and the outcome"
        return
    _check_approach(errors, data, rec)
    _check_support(errors, session, rec, keep)
    _check_outcome(errors, today, rec)


def _validate(session: Session, actor: Actor, now: datetime, data: VisitInput) -> None:
    errors: dict[str, str] = {}
    today = london_today(now)
    _check_record(errors, session, today, data)
    _check_when_and_where(errors, now, data)
    _check_officers(errors, session, data)
    if unknown := data.indicators - INDICATORS.keys():
        errors["indicators"] = f"Unknown indicator: {', '.join(sorted(unknown))}"
    _check_languages(errors, session, data)
    _check_referrals(errors, session, today, data)
    _check_referrals_fit(errors, data)
    if data.crime_reference and not CRIME_REFERENCE_RE.match(data.crime_reference.strip()):
        errors["crime_reference"] = (
            "A crime or incident reference is up to 40 letters, numbers, spaces, slashes, "
            "full stops or hyphens"
        )
    elif data.crime_reference and (
        found := set(identifiers.kinds_in(data.crime_reference, today=today)) & NOT_A_REFERENCE
    ):
        what = " and ".join(k.label for k in identifiers.IdentifierKind if k in found)
        errors["crime_reference"] = (
            f"The crime or incident reference seems to contain {what}. Enter the reference "
            "only: do not record details that could identify the people present"
        )
    _check_guidance(errors, today, data)
    if data.follow_up_needed and (
        data.follow_up_days is None or not 1 <= data.follow_up_days <= MAX_FOLLOW_UP_DAYS
    ):
        errors["follow_up_days"] = (
            f"Enter in how many days to return, a number between 1 and {MAX_FOLLOW_UP_DAYS}"
        )
    if not data.no_identifiers_confirmed:
        errors["no_identifiers_confirmed"] = (
            "Confirm that you have not recorded names, dates of birth, photos or other "
            "identifying details of the people present"
        )
    _text_problems(
        errors,
        today,
        [
            (
                "property_other",
                "The description of the property",
                _one_line(data.property_other),
                200,
            ),
            (
                "other_indicators",
                identifiers.Plural("Other indicators"),
                _tidy(data.other_indicators),
                MAX_TEXT,
            ),
            ("feedback", "Feedback", _tidy(data.feedback), MAX_TEXT),
            (
                "other_officers",
                identifiers.Plural("Other officers or agencies present"),
                _one_line(data.other_officers),
                400,
            ),
        ],
    )
    if data.new_location is not None:
        _validate_location(errors, today, data.new_location)
    if errors:
        raise ValidationFailed(errors)


def _validate_location(errors: dict[str, str], today: date, loc: NewLocation) -> None:
    name, address = _one_line(loc.name), _one_line(loc.address_line1)
    if not name:
        errors["location_name"] = "Describe the location, for example 'First-floor flat'"
    if not address:
        errors["address_line1"] = "Enter the first line of the address"
    _text_problems(
        errors,
        today,
        [
            ("location_name", "The description of the location", name, 200),
            ("address_line1", "Address line 1", address, 200),
        ],
    )
    if _one_line(loc.postcode) and premises.format_postcode(loc.postcode) is None:
        errors["postcode"] = "Enter a real postcode, like W6 9JU"
    if loc.latitude is None:
        errors["latitude"] = "Enter the latitude, so the ward can be worked out"
    if loc.longitude is None:
        errors["longitude"] = "Enter the longitude, so the ward can be worked out"
    errors.update(premises.degree_problems(loc.latitude, loc.longitude))


def _ward_code_of(session: Session, p: Premises) -> str | None:
    if p.ward_id is None:
        return None
    return session.scalar(select(Ward.code).where(Ward.id == p.ward_id))


def _premises_for_new_location(
    session: Session, actor: Actor, now: datetime, loc: NewLocation, property_described: str
) -> tuple[Premises, str]:
    """Add the visited location to the register, in a ward the officer covers."""
    assert loc.longitude is not None and loc.latitude is not None
    locator = wards.locator(session, london_today(now))
    code = locator.index.locate(loc.longitude, loc.latitude)
    if code is None:
        raise ValidationFailed(
            {"latitude": "This location is outside every ward of the borough: check the point"}
        )
    if code not in actor.ward_codes:
        name = session.scalar(
            select(Ward.name)
            .where(Ward.code == code)
            .order_by(Ward.valid_to.is_(None).desc(), Ward.valid_from.desc(), Ward.id.desc())
            .limit(1)
        )
        raise ValidationFailed(
            {"latitude": f"This location is in {name or code} ward, which you do not cover"}
        )
    # The one way a ward officer adds a premises: having checked above that they may log this
    # visit here, the register's own function adds it on their behalf (audited as them).
    on_behalf = dataclasses.replace(actor, is_system=True)
    p = premises.create_premises(
        session,
        on_behalf,
        now,
        premises.PremisesInput(
            name=_one_line(loc.name) or "",
            address_line1=_one_line(loc.address_line1) or "",
            postcode=_one_line(loc.postcode),
            premises_type=PREMISES_TYPE_FOR[property_described],
            longitude=loc.longitude,
            latitude=loc.latitude,
        ),
        locator=locator,
    )
    return p, code


def _fill(visit: WelfareVisit, data: VisitInput, author_id: int | None, now: datetime) -> None:
    assert data.visited_at is not None and data.people_present is not None
    visit.visited_at = data.visited_at
    visit.trigger = data.trigger
    visit.property_described = data.property_described
    visit.property_other = (
        _one_line(data.property_other)
        if data.property_described == PropertyDescribed.OTHER
        else None
    )
    visit.people_present = data.people_present
    visit.other_officers = _one_line(data.other_officers)
    visit.other_indicators = _tidy(data.other_indicators)
    visit.interpreter_used = data.interpreter_used
    visit.interpreter_language = data.interpreter_language if data.interpreter_used else None
    visit.support_info_left = data.support_info_left
    visit.feedback = _tidy(data.feedback)
    visit.crime_reference = _one_line(data.crime_reference)
    visit.guidance_met = data.guidance >= {g.value for g in GuidanceItem}
    visit.return_requested = data.return_requested
    days = data.follow_up_days
    visit.follow_up_days = (
        days if days is not None and 1 <= days <= MAX_FOLLOW_UP_DAYS else FOLLOW_UP_DAYS
    )
    visit.follow_up_due_at = (
        end_of_days_after(data.visited_at, visit.follow_up_days) if data.follow_up_needed else None
    )
    visit.no_identifiers_confirmed = data.no_identifiers_confirmed
    visit.updated_at = now
    officers = set(data.officer_ids) | ({author_id} if author_id else set())
    visit.officer_rows = [WelfareVisitOfficer(user_id=u) for u in sorted(officers)]
    visit.indicator_rows = [WelfareVisitIndicator(code=c) for c in sorted(data.indicators)]
    visit.language_rows = (
        [WelfareVisitLanguage(language_code=c) for c in sorted(data.support_languages)]
        if data.support_info_left
        else []
    )
    visit.guidance_rows = [WelfareVisitGuidance(item=i) for i in sorted(data.guidance)]
    _fill_record(visit, data)


def _fill_record(visit: WelfareVisit, data: VisitInput) -> None:
    rec = data.record or VisitRecord()
    visit.dress = rec.dress
    visit.partner_agency_present = rec.partner_agency_present
    visit.partner_agency = _one_line(rec.partner_agency) if rec.partner_agency_present else None
    visit.interpreter_professional = rec.interpreter_professional if data.interpreter_used else None
    visit.consent_to_talk = rec.consent_to_talk
    visit.away_from_managers = rec.away_from_managers
    visit.follow_up_offered = rec.follow_up_offered
    visit.service_rows = [WelfareVisitService(service_id=s) for s in sorted(rec.services)]
    visit.outcome_rows = [WelfareVisitOutcome(outcome=o) for o in sorted(rec.outcomes)]
    immigration = VisitOutcome.IMMIGRATION_REFERRAL in rec.outcomes
    visit.immigration_justification = _tidy(rec.immigration_justification) if immigration else None
    visit.immigration_status = ImmigrationStatus.PENDING.value if immigration else None
    visit.handling_code = rec.handling_code
    visit.handling_conditions = (
        _tidy(rec.handling_conditions) if rec.handling_code == VisitHandling.C else None
    )


def _already_logged(session: Session, actor: Actor, data: VisitInput) -> WelfareVisit | None:
    """Return the visit this form already logged, refusing a key reused for another visit."""
    existing = session.scalar(
        select(WelfareVisit).where(WelfareVisit.idempotency_key == data.idempotency_key)
    )
    if existing is not None and (
        existing.author_id != actor.user_id
        or (data.premises_id is not None and existing.premises_id != data.premises_id)
    ):
        raise ValidationFailed({"idempotency_key": EXPIRED_FORM})
    return existing


def log_welfare_visit(
    session: Session, actor: Actor, now: datetime, data: VisitInput
) -> tuple[WelfareVisit, bool]:
    """Log a welfare visit once; the same form sent again returns the first (created=False).

    Only a Moontwist-trained ward officer may log one (Forbidden otherwise), at a premises in a
    ward they cover, or at a new location in one, which adds it to the register. Indicators
    observed, or a return asked for, schedule a follow-up visit for the officer and the ward.
    """
    _require_may_log(session, actor)
    if (existing := _already_logged(session, actor, data)) is not None:
        return existing, False
    target: Premises | None = None
    if data.premises_id is not None:
        target = session.get(Premises, data.premises_id)
        if target is None:
            raise NotFound("There is no such premises.")
        if _ward_code_of(session, target) not in actor.ward_codes:
            raise Forbidden(NOT_YOUR_WARD)
    _validate(session, actor, now, data)
    if target is None:
        assert data.new_location is not None
        target, ward_code = _premises_for_new_location(
            session, actor, now, data.new_location, data.property_described
        )
    else:
        ward_code = _ward_code_of(session, target) or ""
    visit = WelfareVisit(
        premises_id=target.id,
        ward_code=ward_code,
        author_id=actor.user_id,
        idempotency_key=data.idempotency_key,
        released=False,
        created_at=now,
    )
    _fill(visit, data, actor.user_id, now)
    session.add(visit)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # The same form sent twice at once: the first wins, the second is told to reload.
        raise ValidationFailed({"idempotency_key": EXPIRED_FORM}) from None
    for referral in data.referrals:
        records.new_record(
            session, actor, now, records.Source(SUBJECT, visit.id), ward_code or None, referral
        )
    # Any follow-up owed at this premises is met by this visit.
    reminders.close_open(
        session,
        kind=ReminderKind.FOLLOW_UP_VISIT,
        premises_id=target.id,
        now=now,
        actor=actor,
        reason=follow_up.logged_reason(visit.id),
    )
    if visit.follow_up_due_at is not None:
        reminders.schedule(
            session,
            reminders.ReminderSpec(
                kind=ReminderKind.FOLLOW_UP_VISIT,
                subject_type=SUBJECT,
                subject_id=visit.id,
                premises_id=target.id,
                title=FOLLOW_UP_TITLE,
                due_at=visit.follow_up_due_at,
                owner_user_id=actor.user_id,
                team=routing.route(ReminderKind.FOLLOW_UP_VISIT, ward_code=ward_code).team,
            ),
            now,
        )
    if visit.immigration_status == ImmigrationStatus.PENDING:
        reminders.schedule(
            session,
            reminders.ReminderSpec(
                kind=ReminderKind.IMMIGRATION_DECISION,
                subject_type=SUBJECT,
                subject_id=visit.id,
                title=IMMIGRATION_TASK_TITLE,
                due_at=add_london_days(now, 2),
                team=routing.route(ReminderKind.IMMIGRATION_DECISION).team,
            ),
            now,
        )
    # The audit trail is readable by administrators, who see nothing of visits: no content here.
    audit.record(
        session,
        actor,
        now,
        action="welfare_visit.create",
        entity_type=SUBJECT,
        entity_id=visit.id,
        summary="Logged a welfare visit",
    )
    return visit, True


# --- Reading a visit -------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitExistence:
    """All that someone without access to a visit's content may know: it happened, and when."""

    id: int
    premises_id: int
    premises_name: str
    visited_on: date


@dataclass(frozen=True)
class VisitDetail:
    visit: WelfareVisit
    premises: Premises
    ward_name: str | None
    officers: list[str]
    author: str | None
    indicators: list[Indicator]
    interpreter_language: str | None
    support_languages: list[str]
    referrals: list[records.ReferralView]
    may_add_referral: bool
    guidance: list[tuple[GuidanceItem, bool]]
    follow_up_open: Reminder | None
    released_by: str | None
    services: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    immigration_decided_by: str | None = None

    @property
    def visited_on(self) -> date:
        return to_london(self.visit.visited_at).date()


def _language_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Language.code, Language.name))}


def ward_names(session: Session) -> dict[str, str]:
    """Return each ward code's name, from the latest boundary set that has it."""
    return {
        code: name
        for code, name in session.execute(
            select(Ward.code, Ward.name).order_by(Ward.valid_from, Ward.id)
        )
    }


def open_visit(
    session: Session, actor: Actor, now: datetime, visit_id: int
) -> VisitDetail | VisitExistence:
    """Return what the actor may see of a visit; seeing its content is audited.

    Raises NotFound when the actor may not even know the visit exists.
    """
    require(actor, Permission.PREMISES_VIEW)
    visit = session.scalar(
        select(WelfareVisit)
        .where(WelfareVisit.id == visit_id)
        .options(
            selectinload(WelfareVisit.officer_rows),
            selectinload(WelfareVisit.indicator_rows),
            selectinload(WelfareVisit.language_rows),
            selectinload(WelfareVisit.guidance_rows),
            selectinload(WelfareVisit.outcome_rows),
            selectinload(WelfareVisit.service_rows),
        )
    )
    if visit is None:
        raise NotFound("There is no such welfare visit.")
    level = policy.visibility(actor, visit)
    if level is Visibility.NONE:
        raise NotFound("There is no such welfare visit.")
    target = session.get(Premises, visit.premises_id)
    assert target is not None
    if level is Visibility.EXISTENCE:
        return VisitExistence(visit.id, target.id, target.name, to_london(visit.visited_at).date())
    names = {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.display_name).where(
                User.id.in_(
                    [o.user_id for o in visit.officer_rows]
                    + [
                        u
                        for u in (
                            visit.author_id,
                            visit.released_by_id,
                            visit.immigration_decided_by_id,
                        )
                        if u
                    ]
                )
            )
        )
    }
    languages = _language_names(session)
    met = {g.item for g in visit.guidance_rows}
    follow_up = session.scalar(
        select(Reminder)
        .where(
            Reminder.subject_type == SUBJECT,
            Reminder.subject_id == visit.id,
            Reminder.kind == ReminderKind.FOLLOW_UP_VISIT,
            Reminder.status == reminders.OPEN,
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(1)
    )
    detail = VisitDetail(
        visit=visit,
        premises=target,
        ward_name=ward_names(session).get(visit.ward_code),
        officers=sorted(names[o.user_id] for o in visit.officer_rows if o.user_id in names),
        author=names.get(visit.author_id) if visit.author_id else None,
        indicators=[INDICATORS[r.code] for r in visit.indicator_rows if r.code in INDICATORS],
        interpreter_language=languages.get(visit.interpreter_language or "")
        if visit.interpreter_language
        else None,
        support_languages=sorted(
            languages.get(r.language_code, r.language_code) for r in visit.language_rows
        ),
        referrals=records.referrals_from(
            session, actor, records.Source(SUBJECT, visit.id), visit.ward_code
        ),
        may_add_referral=records.may_record(
            actor, records.Source(SUBJECT, visit.id), visit.ward_code
        ),
        guidance=[(g, g.value in met) for g in GuidanceItem],
        follow_up_open=follow_up,
        released_by=names.get(visit.released_by_id) if visit.released_by_id else None,
        services=support.service_names(session, [r.service_id for r in visit.service_rows]),
        outcomes=[
            VisitOutcome.label_of(r.outcome)
            for r in sorted(visit.outcome_rows, key=lambda r: _OUTCOME_ORDER.get(r.outcome, 99))
        ],
        immigration_decided_by=names.get(visit.immigration_decided_by_id)
        if visit.immigration_decided_by_id
        else None,
    )
    policy.record_view(session, actor, now, visit, summary=f"Opened welfare visit {visit.id}")
    return detail


# --- Release for use as evidence (docs/welfare.md) --------------------------------------------


def release_visit(
    session: Session, supervisor: Actor, now: datetime, visit_id: int, reason: str
) -> WelfareVisit:
    """Release a visit so it may be used in a committee paper or an enforcement case.

    Only a supervisor may, with a recorded reason; the decision is audited. Raises NotFound,
    Forbidden, or ValidationFailed (no reason, or already released).
    """
    require(supervisor, Permission.WELFARE_VISIT_RELEASE)
    visit = session.get(WelfareVisit, visit_id)
    if visit is None or policy.visibility(supervisor, visit) is Visibility.NONE:
        raise NotFound("There is no such welfare visit.")
    policy.require_visibility(supervisor, visit, Visibility.CONTENT)
    text = _tidy(reason)
    errors: dict[str, str] = {}
    if visit.released:
        errors["reason"] = "This visit has already been released"
    elif not text or len(text) < 10:
        errors["reason"] = "Explain why this visit may be used as evidence (at least 10 characters)"
    else:
        _text_problems(errors, london_today(now), [("reason", "The reason", text, 2000)])
    if errors:
        raise ValidationFailed(errors)
    visit.released = True
    visit.released_at = now
    visit.released_by_id = supervisor.user_id
    visit.release_reason = text
    visit.updated_at = now
    session.flush()
    audit.record(
        session,
        supervisor,
        now,
        action="welfare_visit.release",
        entity_type=SUBJECT,
        entity_id=visit.id,
        summary=f"Released welfare visit {visit.id} for use as evidence",
        before={"released": False},
        after={"released": True, "reason": text},
    )
    return visit


# --- An immigration referral from a welfare visit: a supervisor decides (docs/welfare.md) ----


def decide_immigration_referral(
    session: Session,
    supervisor: Actor,
    now: datetime,
    visit_id: int,
    *,
    approve: bool | None,
    note: str,
) -> WelfareVisit:
    """Approve or decline the immigration referral a visit asks for, with a recorded reason.

    Only a supervisor may (Forbidden otherwise); the decision is audited without the visit's
    content and closes the supervisors' task. Raises ValidationFailed when there is no
    referral awaiting a decision, no decision, or no reason.
    """
    require(supervisor, Permission.WELFARE_IMMIGRATION_DECIDE)
    visit = session.get(WelfareVisit, visit_id)
    if visit is None or policy.visibility(supervisor, visit) is Visibility.NONE:
        raise NotFound("There is no such welfare visit.")
    policy.require_visibility(supervisor, visit, Visibility.CONTENT)
    text = _tidy(note)
    errors: dict[str, str] = {}
    if visit.immigration_status != ImmigrationStatus.PENDING:
        errors["decision"] = "There is no immigration referral awaiting a decision on this visit"
    elif approve is None:
        errors["decision"] = "Select whether you approve or decline the immigration referral"
    if not text or len(text) < 10:
        errors["note"] = "Give the reason for your decision (at least 10 characters)"
    else:
        _text_problems(errors, london_today(now), [("note", "The reason", text, 2000)])
    if errors:
        raise ValidationFailed(errors)
    status = ImmigrationStatus.APPROVED if approve else ImmigrationStatus.DECLINED
    visit.immigration_status = status.value
    visit.immigration_decided_by_id = supervisor.user_id
    visit.immigration_decided_at = now
    visit.immigration_decision_note = text
    visit.updated_at = now
    session.flush()
    reminders.close_open(
        session,
        kind=ReminderKind.IMMIGRATION_DECISION,
        subject_type=SUBJECT,
        subject_id=visit.id,
        now=now,
        actor=supervisor,
        reason=f"Immigration referral {status.value}",
    )
    # Administrators read the trail and see nothing of visits: the decision, not the reason.
    audit.record(
        session,
        supervisor,
        now,
        action=f"welfare_visit.immigration_{'approve' if approve else 'decline'}",
        entity_type=SUBJECT,
        entity_id=visit.id,
        summary=f"{'Approved' if approve else 'Declined'} the immigration referral from "
        f"welfare visit {visit.id}",
        before={"immigration_status": ImmigrationStatus.PENDING.value},
        after={"immigration_status": status.value},
    )
    return visit


def officer_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Return the other active ward officers, by name, for "officers present"."""
    rows = session.execute(
        select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.WARD_OFFICER.value, User.is_active.is_(True))
        .distinct()
        .order_by(User.display_name, User.id)
    ).all()
    return [(uid, name) for uid, name in rows if uid != actor.user_id]
