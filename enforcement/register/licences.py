"""Licences and their conditions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.errors import NotFound, StaleEdit, ValidationFailed
from enforcement.models import Licence, LicenceCondition, Premises
from enforcement.vocab import LicenceRegime, LicenceStatus

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
)
MAX_CONDITION_LENGTH = 4000


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


def _validate(session: Session, data: LicenceInput, licence_id: int | None) -> LicenceInput:
    errors: dict[str, str] = {}
    reference = " ".join(data.reference.split())
    holder = " ".join(data.holder_name.split())
    if data.regime not in {r.value for r in LicenceRegime}:
        errors["regime"] = "Select the type of licence"
    if not reference:
        errors["reference"] = "Enter the licence reference"
    elif len(reference) > 60:
        errors["reference"] = "Reference must be 60 characters or fewer"
    elif data.regime:
        clash = session.scalar(
            select(Licence.id).where(Licence.regime == data.regime, Licence.reference == reference)
        )
        if clash is not None and clash != licence_id:
            errors["reference"] = "A licence of this type with this reference already exists"
    if not holder:
        errors["holder_name"] = "Enter the name of the licence holder"
    elif len(holder) > 200:
        errors["holder_name"] = "Holder name must be 200 characters or fewer"
    if data.status not in {s.value for s in LicenceStatus}:
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
    if any(len(c) > MAX_CONDITION_LENGTH for c in conditions):
        errors["conditions"] = (
            f"Each condition must be {MAX_CONDITION_LENGTH:,} characters or fewer"
        )
    if errors:
        raise ValidationFailed(errors)
    return LicenceInput(
        regime=data.regime,
        reference=reference,
        holder_name=holder,
        status=data.status,
        granted_on=data.granted_on,
        starts_on=data.starts_on,
        expires_on=data.expires_on,
        opening_hours=(data.opening_hours or "").strip() or None,
        notes=(data.notes or "").strip() or None,
        conditions=conditions,
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
        raise StaleEdit(
            "Someone else changed this licence while you were editing. "
            "Your changes have not been saved: check the current details and make them again."
        )
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
