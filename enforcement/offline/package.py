"""What a device may keep of one premises taken offline: read through the access policy, audited.

The package holds only what the acting user may see on the premises page, and less: the
address and ward; the licences (type, number, status, expiry) and their conditions in force;
the languages the poster is needed in; for a user who may see inspections, the latest
inspection's findings (no observations, no notes) and the open follow-up inspections; for a
user who may log a welfare visit here (a trained ward officer in their own wards), the London
date of each earlier visit the welfare visit policy lets them know of, and nothing else (other
roles may see on the premises page that visits happened, but a device does not carry it). No visit details, no flag text, no names of
potential victims: those are never read here at all.

`version` says what the record sent back was made against (docs/offline.md): three short
hashes, of the premises (its version column, which every edit bumps), of its licences (id,
type, number, status, expiry) and of their conditions (id, number, text, in force). A record
whose taken version differs from the current one is a conflict (`enforcement.offline.sync`),
and comparing the three parts says which of them changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit, policy
from enforcement.access import Actor, Permission, can
from enforcement.clock import to_london, zone_name
from enforcement.errors import Forbidden, NotFound
from enforcement.models import (
    ConditionFinding,
    Inspection,
    Language,
    Licence,
    LicenceCondition,
    Premises,
    PremisesLanguage,
    Reminder,
)
from enforcement.models.welfare import WelfareVisit
from enforcement.policy import Visibility
from enforcement.register.premises import premises_and_licences
from enforcement.reminders.vocab import ReminderKind, ReminderStatus
from enforcement.vocab import (
    Finding,
    InspectionReason,
    LicenceRegime,
    LicenceStatus,
    PremisesType,
)
from enforcement.welfare import visits as welfare
from enforcement.welfare.visits import SUBJECT as VISIT

#: The audit action of taking a premises offline (a view of what the package holds).
TAKEN_OFFLINE = "premises.offline"
#: How many earlier welfare visits' dates a package lists at most (newest first).
VISIT_DATES = 20
#: The version format's tag: a version without it is from an older format (always a conflict).
VERSION_TAG = "v1"

NOT_FOR_OFFLINE = (
    "Only officers who record inspections or welfare visits can take premises offline."
)


@dataclass(frozen=True)
class Parts:
    """The three parts of a version: premises, licences, conditions."""

    premises: str
    licences: str
    conditions: str

    def text(self) -> str:
        return ".".join((VERSION_TAG, self.premises, self.licences, self.conditions))

    @classmethod
    def parse(cls, version: str) -> Parts | None:
        pieces = version.split(".")
        if len(pieces) != 4 or pieces[0] != VERSION_TAG:
            return None
        return cls(*pieces[1:])


@dataclass(frozen=True)
class Package:
    premises_id: int
    version: str
    taken_at: datetime
    summary: dict[str, Any]
    can_inspect: bool
    can_visit: bool


@dataclass(frozen=True)
class Current:
    """A premises and its licences as they stand: what versions and conflicts are made from."""

    premises: Premises
    licences: list[Licence]
    parts: Parts


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parts_of(p: Premises, licences: Sequence[Licence]) -> Parts:
    ordered = sorted(licences, key=lambda lic: lic.id)
    return Parts(
        premises=_digest([p.id, p.version]),
        licences=_digest(
            [[lic.id, lic.regime, lic.reference, lic.status, lic.expires_on] for lic in ordered]
        ),
        conditions=_digest(
            [
                [c.id, c.licence_id, c.number, c.text, bool(c.is_active)]
                for lic in ordered
                for c in sorted(lic.conditions, key=lambda c: c.id)
            ]
        ),
    )


def read_current(session: Session, premises_id: int) -> Current:
    """Read a premises and its licences with their conditions (NotFound if there is none)."""
    p, licences = premises_and_licences(session, premises_id)
    return Current(p, licences, parts_of(p, licences))


def may_take_offline(actor: Actor) -> bool:
    """Say whether the actor records anything on site (the only reason to take premises offline)."""
    return can(actor, Permission.PREMISES_VIEW) and (
        can(actor, Permission.INSPECTION_RECORD) or can(actor, Permission.WELFARE_VISIT_LOG)
    )


def short_time(moment: datetime) -> str:
    """Write an instant as London time, e.g. '6 Dec 2026 at 09:12 GMT'."""
    return f"{to_london(moment):%-d %b %Y at %H:%M} {zone_name(moment)}"


def take_offline(session: Session, actor: Actor, now: datetime, premises_id: int) -> Package:
    """Read one premises for keeping on a device, as the actor may see it; audited.

    NotFound when the premises does not exist or the actor may not see the register (the same
    answer for both); Forbidden when they may see it but record nothing on site.
    """
    if not can(actor, Permission.PREMISES_VIEW):
        raise NotFound("There is no such premises.")
    current = read_current(session, premises_id)
    if not may_take_offline(actor):
        raise Forbidden(NOT_FOR_OFFLINE)
    p = current.premises
    ward_code = p.ward.code if p.ward else None
    can_inspect = can(actor, Permission.INSPECTION_RECORD)
    can_visit = welfare.may_log_at(session, actor, ward_code)
    summary: dict[str, Any] = {
        "name": p.name,
        "premises_type": PremisesType.label_of(p.premises_type),
        "address": {
            "line1": p.address_line1,
            "line2": p.address_line2,
            "town": p.town,
            "postcode": p.postcode,
        },
        "ward": p.ward.name if p.ward else None,
        "licences": [_licence(lic) for lic in current.licences],
        "poster_languages": _languages(session, p.id),
        "latest_inspection": None,
        "open_follow_ups": [],
        # Only an officer who may visit here is told of earlier visits on the device: others
        # may see on the premises page that visits happened, but need not carry that out.
        "welfare_visits": _visit_dates(session, actor, p.id) if can_visit else [],
    }
    if can(actor, Permission.INSPECTION_VIEW):
        summary["latest_inspection"] = _latest_inspection(session, p.id)
        summary["open_follow_ups"] = _follow_ups(session, p.id)
    version = current.parts.text()
    audit.record(
        session,
        actor,
        now,
        action=TAKEN_OFFLINE,
        entity_type="premises",
        entity_id=p.id,
        summary=f"Took {p.name} offline to work on site",
        after={"version": version, "can_inspect": can_inspect, "can_visit": can_visit},
    )
    session.flush()
    return Package(
        premises_id=p.id,
        version=version,
        taken_at=now,
        summary=summary,
        can_inspect=can_inspect,
        can_visit=can_visit,
    )


def _licence(lic: Licence) -> dict[str, Any]:
    return {
        "id": lic.id,
        "type": LicenceRegime.label_of(lic.regime),
        "number": lic.reference,
        "status": LicenceStatus.label_of(lic.status),
        "expires_on": lic.expires_on.isoformat() if lic.expires_on else None,
        "conditions": [
            {"id": c.id, "number": c.number, "text": c.text}
            for c in sorted(lic.conditions, key=lambda c: (c.number, c.id))
            if c.is_active
        ],
    }


def _languages(session: Session, premises_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Language.name)
            .join(PremisesLanguage, PremisesLanguage.language_code == Language.code)
            .where(PremisesLanguage.premises_id == premises_id)
            .order_by(Language.name, Language.code)
        )
    )


def _latest_inspection(session: Session, premises_id: int) -> dict[str, Any] | None:
    i = session.scalar(
        select(Inspection)
        .where(Inspection.premises_id == premises_id)
        .options(selectinload(Inspection.language_rows))
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        .limit(1)
    )
    if i is None:
        return None
    names = {code: name for code, name in session.execute(select(Language.code, Language.name))}
    findings = session.execute(
        select(LicenceCondition.number, LicenceCondition.text, ConditionFinding.finding)
        .join(LicenceCondition, LicenceCondition.id == ConditionFinding.condition_id)
        .where(ConditionFinding.inspection_id == i.id)
        .order_by(LicenceCondition.number, LicenceCondition.id)
    ).all()
    return {
        "inspected_at": i.inspected_at.isoformat(),
        "inspected_at_text": short_time(i.inspected_at),
        "reason": InspectionReason.label_of(i.reason),
        "outcome": "Poster compliant"
        if i.poster_compliant
        else f"Poster not compliant: {i.poster_shortfall or 'see the inspection'}",
        "poster_compliant": bool(i.poster_compliant),
        "poster_displayed": bool(i.poster_displayed),
        "poster_visible_public": bool(i.poster_visible_public),
        "poster_visible_workers": bool(i.poster_visible_workers),
        "languages_displayed": sorted(
            names.get(r.language_code, r.language_code)
            for r in i.language_rows
            if r.role == "displayed"
        ),
        "follow_up_needed": bool(i.follow_up_needed),
        "findings": [
            {"condition_number": number, "condition_text": text, "finding": Finding.label_of(f)}
            for number, text, f in findings
        ],
    }


def _follow_ups(session: Session, premises_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Reminder)
        .where(
            Reminder.premises_id == premises_id,
            Reminder.kind == ReminderKind.FOLLOW_UP_INSPECTION,
            Reminder.status == ReminderStatus.OPEN,
        )
        .order_by(Reminder.due_at, Reminder.id)
    )
    return [
        {
            "what": ReminderKind.FOLLOW_UP_INSPECTION.label,
            "due_at": r.due_at.isoformat(),
            "due_on": f"{to_london(r.due_at):%-d %B %Y}",
        }
        for r in rows
    ]


def _visit_dates(session: Session, actor: Actor, premises_id: int) -> list[dict[str, str]]:
    """The London date of each earlier visit the policy lets the actor know of, and only that."""
    if policy.most_visible(actor, VISIT) is Visibility.NONE:
        return []
    visited = session.scalars(
        select(WelfareVisit.visited_at)
        .where(
            WelfareVisit.premises_id == premises_id,
            policy.visible_visits_clause(actor, Visibility.EXISTENCE),
        )
        .order_by(WelfareVisit.visited_at.desc(), WelfareVisit.id.desc())
        .limit(VISIT_DATES)
    )
    return [
        {"date": day.isoformat(), "date_text": f"{day:%-d %B %Y}"}
        for day in (to_london(at).date() for at in visited)
    ]
