"""What the inspection form offers: the officers, the licences held and their conditions in force."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor, Permission, require
from enforcement.models import Licence, LicenceCondition, User, UserRole
from enforcement.numbers import record_id
from enforcement.vocab import LicenceStatus, Role

#: Roles whose people may be recorded as present at an inspection.
INSPECTING_ROLES = (Role.LICENSING_OFFICER, Role.SUPERVISOR)


def officer_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Other active officers who may have been present, by name (the actor is present anyway)."""
    require(actor, Permission.INSPECTION_RECORD)
    rows = session.execute(
        select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role.in_([role.value for role in INSPECTING_ROLES]),
            User.is_active.is_(True),
        )
        .distinct()
        .order_by(User.display_name, User.id)
    ).all()
    return [(uid, name) for uid, name in rows if uid != actor.user_id]


@dataclass(frozen=True)
class LicenceChoice:
    """The licence whose conditions are checked, the others held, and its conditions in force."""

    licence: Licence | None
    held: list[Licence]
    conditions: list[LicenceCondition]


def choose_licence(
    session: Session, actor: Actor, premises_id: int, requested: str | None
) -> LicenceChoice:
    """The licence asked for if the premises holds it, else its first (active ones first)."""
    require(actor, Permission.PREMISES_VIEW)
    held = list(
        session.scalars(
            select(Licence)
            .where(Licence.premises_id == premises_id)
            .order_by(Licence.status != LicenceStatus.ACTIVE, Licence.id)
        )
    )
    wanted = record_id(requested)
    chosen = next((lic for lic in held if lic.id == wanted), held[0] if held else None)
    return LicenceChoice(chosen, held, _conditions_in_force(session, chosen))


def _conditions_in_force(session: Session, licence: Licence | None) -> list[LicenceCondition]:
    if licence is None:
        return []
    return list(
        session.scalars(
            select(LicenceCondition)
            .where(LicenceCondition.licence_id == licence.id, LicenceCondition.is_active.is_(True))
            .order_by(LicenceCondition.number, LicenceCondition.id)
        )
    )
