"""The support directory: services for victims and survivors, kept by administrators.

Officers choose from it what a welfare visit signposted and through whom a committee
referral's support was offered; a premises' support card lists the services that cover the
languages its record lists (docs/support-directory.md). The directory holds public facts about
services (how to reach them, their hours and languages), never anything about a person, so its
text is not checked for identifiers: a helpline's number is what it is for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.errors import NotFound, StaleEdit, ValidationFailed
from enforcement.models import (
    Base,
    Language,
    Premises,
    SupportService,
    SupportServiceLanguage,
)
from enforcement.register.support_vocab import ServiceKind
from enforcement.text import is_taken

SUBJECT = "support_service"
MAX_NAME = 200
MAX_HOURS = 200
MAX_TEXT = 2_000


@dataclass(frozen=True)
class ServiceInput:
    name: str
    kind: str
    description: str
    how_to_reach: str
    hours: str
    any_language: bool = False
    languages: frozenset[str] = field(default_factory=frozenset)


def _tidy(text: str | None) -> str:
    return (text or "").strip()


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _validate(session: Session, data: ServiceInput, service_id: int | None) -> ServiceInput:
    clean = ServiceInput(
        name=_one_line(data.name),
        kind=data.kind,
        description=_tidy(data.description),
        how_to_reach=_tidy(data.how_to_reach),
        hours=_one_line(data.hours),
        any_language=data.any_language,
        languages=data.languages,
    )
    errors: dict[str, str] = {}
    if not clean.name:
        errors["name"] = "Enter the name of the service"
    elif len(clean.name) > MAX_NAME:
        errors["name"] = f"The name must be {MAX_NAME} characters or fewer"
    elif is_taken(
        clean.name,
        session.scalars(
            select(SupportService.name)
            .where(SupportService.id != (service_id or 0))
            .order_by(SupportService.id)
        ),
    ):
        errors["name"] = f"{clean.name} is already in the directory"
    if clean.kind not in {k.value for k in ServiceKind}:
        errors["kind"] = "Select the kind of service"
    for key, label, text in (
        ("description", "What the service offers", clean.description),
        ("how_to_reach", "How to reach the service", clean.how_to_reach),
    ):
        if not text:
            errors[key] = f"Enter {label[0].lower() + label[1:]}"
        elif len(text) > MAX_TEXT:
            errors[key] = f"{label} must be {MAX_TEXT:,} characters or fewer"
    if not clean.hours:
        errors["hours"] = "Enter when the service is open, for example '24 hours, every day'"
    elif len(clean.hours) > MAX_HOURS:
        errors["hours"] = f"The hours must be {MAX_HOURS} characters or fewer"
    if not clean.languages and not clean.any_language:
        errors["languages"] = "Select the languages the service offers"
    elif clean.languages - set(session.scalars(select(Language.code))):
        errors["languages"] = "Select languages from the list"
    if errors:
        raise ValidationFailed(errors)
    return clean


def _snapshot(s: SupportService) -> dict[str, object]:
    return {
        "name": s.name,
        "kind": s.kind,
        "description": s.description,
        "how_to_reach": s.how_to_reach,
        "hours": s.hours,
        "any_language": s.any_language,
        "languages": sorted(r.language_code for r in s.language_rows),
        "active": s.active,
    }


def _fill(s: SupportService, data: ServiceInput, now: datetime) -> None:
    s.name = data.name
    s.kind = data.kind
    s.description = data.description
    s.how_to_reach = data.how_to_reach
    s.hours = data.hours
    s.any_language = data.any_language
    s.language_rows = [SupportServiceLanguage(language_code=c) for c in sorted(data.languages)]
    s.updated_at = now


def _load(session: Session, service_id: int) -> SupportService:
    s = session.scalar(
        select(SupportService)
        .where(SupportService.id == service_id)
        .options(selectinload(SupportService.language_rows))
    )
    if s is None:
        raise NotFound("There is no such service in the support directory.")
    return s


def create_service(
    session: Session, actor: Actor, now: datetime, data: ServiceInput
) -> SupportService:
    """Add a service to the directory (administrators only; audited)."""
    require(actor, Permission.REFERENCE_MANAGE)
    clean = _validate(session, data, None)
    s = SupportService(active=True, created_at=now, language_rows=[])
    _fill(s, clean, now)
    session.add(s)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="support_service.create",
        entity_type=SUBJECT,
        entity_id=s.id,
        summary=f"Added {s.name} to the support directory",
        after=_snapshot(s),
    )
    return s


def update_service(
    session: Session,
    actor: Actor,
    now: datetime,
    service_id: int,
    version: int,
    data: ServiceInput,
) -> SupportService:
    """Change a service; a version older than the stored one is a StaleEdit (audited)."""
    require(actor, Permission.REFERENCE_MANAGE)
    s = _load(session, service_id)
    if s.version != version:
        raise StaleEdit.changed_meanwhile("service")
    clean = _validate(session, data, s.id)
    before = _snapshot(s)
    _fill(s, clean, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="support_service.update",
        entity_type=SUBJECT,
        entity_id=s.id,
        summary=f"Changed {s.name} in the support directory",
        before=before,
        after=_snapshot(s),
    )
    return s


def set_service_active(
    session: Session, actor: Actor, now: datetime, service_id: int, active: bool
) -> SupportService:
    """Withdraw a service from new choices (records that chose it keep it), or offer it again."""
    require(actor, Permission.REFERENCE_MANAGE)
    s = _load(session, service_id)
    if s.active != active:
        s.active = active
        s.updated_at = now
        session.flush()
        audit.record(
            session,
            actor,
            now,
            action="support_service." + ("reinstate" if active else "withdraw"),
            entity_type=SUBJECT,
            entity_id=s.id,
            summary=(
                f"Offered {s.name} again" if active else f"Withdrew {s.name} from new choices"
            ),
            before={"active": not active},
            after={"active": active},
        )
    return s


def _choices() -> list[Column[Any]]:
    """Every column that records a record's choice of a service: each foreign key to the
    directory but those of the service's own parts (its languages, deleted with it). Read from
    the models, so a record that starts choosing services later is counted without a change
    here (visits, inspections and referrals today)."""
    own = {SupportService.__table__, SupportServiceLanguage.__table__}
    found = [
        fk.parent
        for table in Base.metadata.sorted_tables
        if table not in own
        for fk in table.foreign_keys
        if fk.column.table is SupportService.__table__
    ]
    return sorted(found, key=lambda column: (column.table.name, column.name))


def is_used(session: Session, service_id: int) -> bool:
    """Say whether any record (a visit, an inspection, a referral) has chosen the service."""
    return bool(session.scalar(select(or_(*(exists().where(c == service_id) for c in _choices())))))


def delete_service(session: Session, actor: Actor, now: datetime, service_id: int) -> str:
    """Delete a service no record has chosen (one that has been chosen can only be withdrawn)."""
    require(actor, Permission.REFERENCE_MANAGE)
    s = _load(session, service_id)
    if is_used(session, s.id):
        raise ValidationFailed(
            {
                "service": f"{s.name} has been chosen on a visit, an inspection or a referral, "
                "so it cannot be deleted: withdraw it instead"
            }
        )
    before, name = _snapshot(s), s.name
    session.delete(s)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="support_service.delete",
        entity_type=SUBJECT,
        entity_id=service_id,
        summary=f"Deleted {name} from the support directory",
        before=before,
    )
    return name


# --- Reading the directory -------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceEntry:
    service: SupportService
    languages: list[str]

    @property
    def kind_label(self) -> str:
        return ServiceKind.label_of(self.service.kind)


def _entries(session: Session, services: list[SupportService]) -> list[ServiceEntry]:
    names = {code: name for code, name in session.execute(select(Language.code, Language.name))}
    return [
        ServiceEntry(
            s,
            sorted(names.get(r.language_code, r.language_code) for r in s.language_rows),
        )
        for s in services
    ]


def list_services(session: Session, actor: Actor) -> list[ServiceEntry]:
    """Every service, offered and withdrawn, for the administrators' pages."""
    require(actor, Permission.REFERENCE_MANAGE)
    services = session.scalars(
        select(SupportService)
        .options(selectinload(SupportService.language_rows))
        .order_by(SupportService.active.desc(), SupportService.name, SupportService.id)
    )
    return _entries(session, list(services))


def get_service(session: Session, actor: Actor, service_id: int) -> ServiceEntry:
    require(actor, Permission.REFERENCE_MANAGE)
    return _entries(session, [_load(session, service_id)])[0]


def service_choices(
    session: Session, *, keep: frozenset[int] = frozenset()
) -> list[tuple[int, str]]:
    """The services offered for a choice (and any withdrawn one a record already holds)."""
    rows = session.execute(
        select(SupportService.id, SupportService.name)
        .where(or_(SupportService.active.is_(True), SupportService.id.in_(keep)))
        .order_by(SupportService.name, SupportService.id)
    )
    return [(sid, name) for sid, name in rows]


def check_choice(
    session: Session, chosen: frozenset[int], *, keep: frozenset[int] = frozenset()
) -> str | None:
    """Return a problem when a chosen service is unknown or withdrawn (unless already held)."""
    if not chosen:
        return None
    offered = {sid for sid, _ in service_choices(session, keep=keep)}
    if chosen - offered:
        return "Select services from the support directory"
    return None


def service_names(session: Session, ids: list[int]) -> list[str]:
    """The names of these services, by name."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(SupportService.name)
            .where(SupportService.id.in_(ids))
            .order_by(SupportService.name, SupportService.id)
        )
    )


@dataclass(frozen=True)
class SupportCard:
    """A premises' printable support card: the services for each language its record lists."""

    premises: Premises
    languages: list[tuple[str, list[ServiceEntry]]]  # (language name, services that offer it)
    any_language: list[ServiceEntry]  # services that offer interpreting in any language
    uncovered: list[str]  # the premises' languages no listed service offers by name


def support_card(session: Session, actor: Actor, premises_id: int) -> SupportCard:
    """Return the support card of a premises (anyone who may read the register)."""
    require(actor, Permission.PREMISES_VIEW)
    p = session.scalar(
        select(Premises)
        .where(Premises.id == premises_id)
        .options(selectinload(Premises.language_rows))
    )
    if p is None:
        raise NotFound("There is no such premises.")
    wanted = [r.language_code for r in p.language_rows]
    services = _entries(
        session,
        list(
            session.scalars(
                select(SupportService)
                .where(SupportService.active.is_(True))
                .options(selectinload(SupportService.language_rows))
                .order_by(SupportService.name, SupportService.id)
            )
        ),
    )
    languages = list(
        session.execute(
            select(Language.code, Language.name)
            .where(Language.code.in_(wanted))
            .order_by(Language.name, Language.code)
        )
    )
    by_language: list[tuple[str, list[ServiceEntry]]] = []
    uncovered: list[str] = []
    for code, name in languages:
        offering = [
            e for e in services if code in {r.language_code for r in e.service.language_rows}
        ]
        by_language.append((name, offering))
        if not offering:
            uncovered.append(name)
    return SupportCard(
        premises=p,
        languages=by_language,
        any_language=[e for e in services if e.service.any_language],
        uncovered=uncovered,
    )
