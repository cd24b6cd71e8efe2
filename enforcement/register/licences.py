"""Licences and their conditions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit
from enforcement.access import Actor, Permission, can, require
from enforcement.errors import NotFound, StaleEdit, ValidationFailed
from enforcement.models import Licence, LicenceCondition, Premises
from enforcement.vocab import LicenceRegime, LicenceStatus

# The esd schema's fields beyond the core ones (docs/register.md).
ESD_FIELDS = (
    "case_date",
    "service_type",
    "status_label",
    "holder_address",
    "holder_postcode",
    "applicant_type",
    "dps_name",
    "dps_licence_no",
    "dps_address",
    "dps_postcode",
    "alcohol_supply",
    "alcohol_on_sales",
    "alcohol_off_sales",
    "late_night_refreshment",
    "regulated_entertainment",
    "activity_hours",
    "decision_date",
    "decided_by",
    "licence_url",
    "uprn",
    "geo_point_url",
)
LICENCE_FIELDS = (
    "regime",
    "reference",
    "holder_name",
    "status",
    "granted_on",
    "starts_on",
    "expires_on",
    "opening_hours",
    "notes",
    *ESD_FIELDS,
)
#: The fields of a licence holding a person's home address (the holder's, the designated premises
#: supervisor's): only those the access policy lets read them see them, on the premises page, in
#: the register's exports and in an import's preview (`may_read_addresses`).
ADDRESS_FIELDS = ("holder_address", "holder_postcode", "dps_address", "dps_postcode")


def may_read_addresses(actor: Actor) -> bool:
    """Whether the actor may read the home addresses of licence holders and supervisors."""
    return can(actor, Permission.LICENCE_ADDRESSES)


MAX_CONDITION_LENGTH = 4000
# The most conditions a licence may hold: the longest real licences (stadiums, festivals) hold a
# few hundred; a file listing thousands has run columns together, and every inspection form
# would ask about each.
MAX_CONDITIONS = 500
# The longest value of each text field of the esd schema a licence holds.
TEXT_LIMITS = {
    "service_type": 80,
    "status_label": 60,
    "holder_address": 400,
    "holder_postcode": 10,
    "applicant_type": 80,
    "dps_name": 200,
    "dps_licence_no": 60,
    "dps_address": 400,
    "dps_postcode": 10,
    "regulated_entertainment": 400,
    "activity_hours": 4000,
    "decided_by": 200,
    "licence_url": 500,
    "uprn": 12,
    "geo_point_url": 500,
}
# The kinds of regulated entertainment the schema names (Licensing Act 2003, Schedule 1).
ENTERTAINMENT_KINDS = (
    "Plays",
    "Films",
    "Indoor sporting events",
    "Boxing or wrestling",
    "Live music",
    "Recorded music",
    "Performances of dance",
    "Similar to music or dance",
)
_UPRN = re.compile(r"[0-9]{1,12}")
_REGIMES = frozenset(r.value for r in LicenceRegime)
_STATUSES = frozenset(s.value for s in LicenceStatus)


@dataclass(frozen=True)
class LicenceInput:
    regime: str
    reference: str
    holder_name: str
    status: str
    granted_on: date | None = None
    starts_on: date | None = None
    expires_on: date | None = None
    opening_hours: str | None = None
    notes: str | None = None
    conditions: tuple[str, ...] = field(default_factory=tuple)
    case_date: date | None = None
    service_type: str | None = None
    status_label: str | None = None
    holder_address: str | None = None
    holder_postcode: str | None = None
    applicant_type: str | None = None
    dps_name: str | None = None
    dps_licence_no: str | None = None
    dps_address: str | None = None
    dps_postcode: str | None = None
    alcohol_supply: bool | None = None
    alcohol_on_sales: bool | None = None
    alcohol_off_sales: bool | None = None
    late_night_refreshment: bool | None = None
    regulated_entertainment: str | None = None
    activity_hours: str | None = None
    decision_date: date | None = None
    decided_by: str | None = None
    licence_url: str | None = None
    uprn: str | None = None
    geo_point_url: str | None = None


def _tidy(value: str | None, *, lines: bool = False) -> str | None:
    """Trim a text value (runs of spaces collapsed, line breaks kept where `lines`); "" is None."""
    if value is None:
        return None
    if lines:
        text = "\n".join(" ".join(line.split()) for line in value.splitlines() if line.strip())
    else:
        text = " ".join(value.split())
    return text or None


def _validate_esd(data: LicenceInput, errors: dict[str, str]) -> dict[str, object]:
    """Check and tidy the esd schema's fields; return them by name."""
    tidy: dict[str, object] = {}
    for name in ESD_FIELDS:
        value = getattr(data, name)
        if isinstance(value, str):
            value = _tidy(value, lines=name == "activity_hours")
            if value and name in ("holder_postcode", "dps_postcode"):
                value = value.upper()  # before the length check: "ß" becomes "SS"
            limit = TEXT_LIMITS[name]
            if value is not None and len(value) > limit:
                errors[name] = f"Must be {limit:,} characters or fewer"
        tidy[name] = value
    if tidy["uprn"] and not _UPRN.fullmatch(str(tidy["uprn"])):
        errors["uprn"] = "A UPRN is a number of up to 12 digits"
    for name in ("licence_url", "geo_point_url"):
        url = tidy[name]
        if url and not str(url).lower().startswith(("http://", "https://")):
            errors[name] = "Enter a web address starting with http:// or https://"
    if tidy["regulated_entertainment"]:
        kinds = [k.strip() for k in str(tidy["regulated_entertainment"]).split("|") if k.strip()]
        # In the schema's order, so the same kinds always read the same.
        order = {kind.lower(): i for i, kind in enumerate(ENTERTAINMENT_KINDS)}
        kinds.sort(key=lambda k: order.get(k.lower(), len(order)))
        tidy["regulated_entertainment"] = "|".join(kinds) or None
    if (data.dps_licence_no or data.dps_address or data.dps_postcode) and not tidy["dps_name"]:
        errors["dps_name"] = (
            "Enter the designated premises supervisor's name, or clear their details"
        )
    return tidy


def validate_licence(
    session: Session, data: LicenceInput, licence_id: int | None, *, check_clash: bool = True
) -> LicenceInput:
    """Check a licence's details and return them tidied, or raise ValidationFailed.

    An import, which has matched references itself, skips the query for a clashing reference.
    """
    return _validate(session, data, licence_id, check_clash=check_clash)


def _validate(
    session: Session, data: LicenceInput, licence_id: int | None, *, check_clash: bool = True
) -> LicenceInput:
    errors: dict[str, str] = {}
    reference = " ".join(data.reference.split())
    holder = " ".join(data.holder_name.split())
    if data.regime not in _REGIMES:
        errors["regime"] = "Select the type of licence"
    if not reference:
        errors["reference"] = "Enter the licence reference"
    elif len(reference) > 60:
        errors["reference"] = "Reference must be 60 characters or fewer"
    elif data.regime and check_clash:
        clash = session.scalar(
            select(Licence.id).where(Licence.regime == data.regime, Licence.reference == reference)
        )
        if clash is not None and clash != licence_id:
            errors["reference"] = "A licence of this type with this reference already exists"
    if not holder:
        errors["holder_name"] = "Enter the name of the licence holder"
    elif len(holder) > 200:
        errors["holder_name"] = "Holder name must be 200 characters or fewer"
    if data.status not in _STATUSES:
        errors["status"] = "Select the licence status"
    if data.starts_on and data.expires_on and data.expires_on < data.starts_on:
        errors["expires_on"] = "The expiry date must be on or after the start date"
    if data.granted_on and data.starts_on and data.starts_on < data.granted_on:
        errors["starts_on"] = "The start date must be on or after the date it was granted"
    if data.opening_hours and len(data.opening_hours) > 400:
        errors["opening_hours"] = "Opening hours must be 400 characters or fewer"
    if data.notes and len(data.notes) > 10000:
        errors["notes"] = "Notes must be 10,000 characters or fewer"
    conditions = tuple(c.strip() for c in data.conditions if c.strip())
    esd = _validate_esd(data, errors)
    if any(len(c) > MAX_CONDITION_LENGTH for c in conditions):
        errors["conditions"] = (
            f"Each condition must be {MAX_CONDITION_LENGTH:,} characters or fewer"
        )
    elif len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = (
            f"A licence may hold at most {MAX_CONDITIONS} conditions (these are "
            f"{len(conditions):,})"
        )
    if errors:
        raise ValidationFailed(errors)
    return replace(
        data,
        reference=reference,
        holder_name=holder,
        opening_hours=(data.opening_hours or "").strip() or None,
        notes=(data.notes or "").strip() or None,
        conditions=conditions,
        **esd,  # type: ignore[arg-type]
    )


def _apply(lic: Licence, data: LicenceInput, now: datetime) -> None:
    for name in LICENCE_FIELDS:
        setattr(lic, name, getattr(data, name))
    lic.updated_at = now


def create_licence(
    session: Session,
    actor: Actor,
    now: datetime,
    premises_id: int,
    data: LicenceInput,
    *,
    audit_event: bool = True,
) -> Licence:
    """Record a licence for a premises, with its conditions numbered in the order given."""
    require(actor, Permission.LICENCE_EDIT)
    premises = session.get(Premises, premises_id)
    if premises is None:
        raise NotFound("There is no such premises.")
    data = _validate(session, data, None)
    lic = Licence(premises_id=premises.id, created_at=now)
    _apply(lic, data, now)
    lic.conditions = [
        LicenceCondition(number=i, text=text, is_active=True, created_at=now)
        for i, text in enumerate(data.conditions, start=1)
    ]
    session.add(lic)
    session.flush()
    if audit_event:
        after = audit.snapshot(lic, LICENCE_FIELDS)
        after["conditions"] = list(data.conditions)
        audit.record(
            session,
            actor,
            now,
            action="licence.create",
            entity_type="licence",
            entity_id=lic.id,
            summary=f"Added licence {lic.reference} to {premises.name}",
            after=after,
        )
    return lic


def get_licence(session: Session, actor: Actor, licence_id: int) -> Licence:
    require(actor, Permission.PREMISES_VIEW)
    lic = session.scalar(
        select(Licence).where(Licence.id == licence_id).options(selectinload(Licence.conditions))
    )
    if lic is None:
        raise NotFound("There is no such licence.")
    return lic


def update_licence(
    session: Session,
    actor: Actor,
    now: datetime,
    licence_id: int,
    expected_version: int,
    data: LicenceInput,
) -> Licence:
    """Change a licence's details and status (conditions are changed one by one)."""
    require(actor, Permission.LICENCE_EDIT)
    lic = get_licence(session, actor, licence_id)
    if lic.version != expected_version:
        raise StaleEdit.changed_meanwhile("licence")
    data = _validate(session, data, lic.id)
    before = audit.snapshot(lic, LICENCE_FIELDS)
    _apply(lic, data, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="licence.update",
        entity_type="licence",
        entity_id=lic.id,
        summary=f"Changed licence {lic.reference}",
        before=before,
        after=audit.snapshot(lic, LICENCE_FIELDS),
    )
    return lic


def add_condition(
    session: Session,
    actor: Actor,
    now: datetime,
    licence_id: int,
    text: str,
    *,
    source_referral_id: int | None = None,
) -> LicenceCondition:
    """Add a condition to a licence, numbered after the last one.

    `source_referral_id` records that a Licensing Committee decision added it.
    """
    require(actor, Permission.LICENCE_EDIT)
    lic = get_licence(session, actor, licence_id)
    text = text.strip()
    if not text:
        raise ValidationFailed({"text": "Enter the wording of the condition"})
    if len(text) > MAX_CONDITION_LENGTH:
        raise ValidationFailed(
            {"text": f"A condition must be {MAX_CONDITION_LENGTH:,} characters or fewer"}
        )
    if source_referral_id is None:  # a committee's decision takes effect whatever the count
        held = session.scalar(
            select(func.count())
            .select_from(LicenceCondition)
            .where(LicenceCondition.licence_id == lic.id, LicenceCondition.is_active)
        )
        if (held or 0) >= MAX_CONDITIONS:
            raise ValidationFailed(
                {"text": f"This licence already holds {MAX_CONDITIONS} conditions, the most it may"}
            )
    number = (
        session.scalar(
            select(func.max(LicenceCondition.number)).where(LicenceCondition.licence_id == lic.id)
        )
        or 0
    ) + 1
    cond = LicenceCondition(
        licence_id=lic.id,
        number=number,
        text=text,
        is_active=True,
        created_at=now,
        source_referral_id=source_referral_id,
    )
    session.add(cond)
    lic.updated_at = now  # bumps the licence's version: its conditions changed
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="licence.condition_add",
        entity_type="licence",
        entity_id=lic.id,
        summary=f"Added condition {number} to licence {lic.reference}",
        after={"number": number, "text": text}
        | ({"source_referral_id": source_referral_id} if source_referral_id else {}),
    )
    return cond


def change_status(
    session: Session, actor: Actor, now: datetime, licence_id: int, status: str, *, reason: str
) -> Licence:
    """Change a licence's status alone (a committee decision taking effect), audited with why."""
    require(actor, Permission.LICENCE_EDIT)
    if status not in {s.value for s in LicenceStatus}:
        raise ValidationFailed({"status": "Select the licence status"})
    lic = session.get(Licence, licence_id)
    if lic is None:
        raise NotFound("There is no such licence.")
    before = lic.status
    if before != status:
        lic.status = status
        lic.updated_at = now
        session.flush()
        audit.record(
            session,
            actor,
            now,
            action="licence.status",
            entity_type="licence",
            entity_id=lic.id,
            summary=f"Licence {lic.reference} {LicenceStatus.label_of(status).lower()}: {reason}",
            before={"status": before},
            after={"status": status},
        )
    return lic


def set_condition_active(
    session: Session, actor: Actor, now: datetime, condition_id: int, active: bool
) -> LicenceCondition:
    """Withdraw a condition (it stays on record for past inspections) or reinstate it."""
    require(actor, Permission.LICENCE_EDIT)
    cond = session.get(LicenceCondition, condition_id)
    if cond is None:
        raise NotFound("There is no such condition.")
    if cond.is_active != active:
        cond.is_active = active
        lic = session.get(Licence, cond.licence_id)
        assert lic is not None
        lic.updated_at = now
        session.flush()
        audit.record(
            session,
            actor,
            now,
            action="licence.condition_" + ("reinstate" if active else "withdraw"),
            entity_type="licence",
            entity_id=cond.licence_id,
            summary=f"{'Reinstated' if active else 'Withdrew'} condition {cond.number} of licence {lic.reference}",
            before={"number": cond.number, "is_active": not active},
            after={"number": cond.number, "is_active": active},
        )
    return cond


DPS_FIELDS = ("dps_name", "dps_licence_no", "dps_address", "dps_postcode")


def remove_dps(
    session: Session, actor: Actor, now: datetime, licence_id: int, *, reason: str
) -> Licence:
    """Clear a premises licence's designated premises supervisor (a committee's decision)."""
    require(actor, Permission.LICENCE_EDIT)
    lic = session.get(Licence, licence_id)
    if lic is None:
        raise NotFound("There is no such licence.")
    before = audit.snapshot(lic, DPS_FIELDS)
    for name in DPS_FIELDS:
        setattr(lic, name, None)
    lic.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="licence.dps_removed",
        entity_type="licence",
        entity_id=lic.id,
        summary=f"Designated premises supervisor removed from licence {lic.reference}: {reason}",
        before=before,
        after=audit.snapshot(lic, DPS_FIELDS),
    )
    return lic


class HasActivities(Protocol):
    """A licence or its public view: the fields naming its licensable activities."""

    @property
    def alcohol_supply(self) -> bool | None: ...
    @property
    def alcohol_on_sales(self) -> bool | None: ...
    @property
    def alcohol_off_sales(self) -> bool | None: ...
    @property
    def late_night_refreshment(self) -> bool | None: ...
    @property
    def regulated_entertainment(self) -> str | None: ...


def activities(lic: HasActivities) -> list[str]:
    """The licensable activities a licence permits, in words, for its page and the public one."""
    found = []
    if lic.alcohol_on_sales and lic.alcohol_off_sales:
        found.append("Sale of alcohol on and off the premises")
    elif lic.alcohol_on_sales:
        found.append("Sale of alcohol on the premises")
    elif lic.alcohol_off_sales:
        found.append("Sale of alcohol off the premises")
    elif lic.alcohol_supply:
        found.append("Supply of alcohol")
    if lic.late_night_refreshment:
        found.append("Late-night refreshment")
    if lic.regulated_entertainment:
        kinds = lic.regulated_entertainment.split("|")
        found.append("Regulated entertainment: " + ", ".join(k.lower() for k in kinds))
    return found
