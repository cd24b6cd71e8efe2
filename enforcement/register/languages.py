"""Reference lists that administrators keep: the languages premises may need the poster in."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.errors import NotFound, ValidationFailed
from enforcement.models import Language
from enforcement.text import is_taken


def _code_for(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:20] or "language"


def add_language(session: Session, actor: Actor, now: datetime, name: str) -> Language:
    """Add a language to the list offered on premises and poster checks."""
    require(actor, Permission.REFERENCE_MANAGE)
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed({"name": "Enter the name of the language"})
    if len(name) > 80:
        raise ValidationFailed({"name": "The name must be 80 characters or fewer"})
    if is_taken(name, session.scalars(select(Language.name).order_by(Language.code))):
        raise ValidationFailed({"name": f"{name} is already on the list"})
    code, n = _code_for(name), 1
    while session.get(Language, code) is not None:
        n += 1
        suffix = f"-{n}"  # the code, cut to leave room for it in the column's 20 characters
        code = _code_for(name)[: 20 - len(suffix)] + suffix
    last = session.scalar(select(func.max(Language.sort_order))) or 0
    lang = Language(code=code, name=name, active=True, sort_order=last + 1)
    session.add(lang)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="language.add",
        entity_type="language",
        entity_id=code,
        summary=f"Added {name} to the languages",
        after={"code": code, "name": name},
    )
    return lang


def set_language_active(
    session: Session, actor: Actor, now: datetime, code: str, active: bool
) -> Language:
    """Withdraw a language from new choices (records that use it keep it) or offer it again."""
    require(actor, Permission.REFERENCE_MANAGE)
    lang = session.get(Language, code)
    if lang is None:
        raise NotFound("There is no such language.")
    if lang.active != active:
        lang.active = active
        session.flush()
        audit.record(
            session,
            actor,
            now,
            action="language." + ("reinstate" if active else "withdraw"),
            entity_type="language",
            entity_id=code,
            summary=f"{'Offered' if active else 'Withdrew'} {lang.name} {'again' if active else 'from new choices'}",
            before={"active": not active},
            after={"active": active},
        )
    return lang


def list_all_languages(session: Session, actor: Actor) -> list[Language]:
    require(actor, Permission.REFERENCE_MANAGE)
    return list(
        session.scalars(
            select(Language).order_by(Language.sort_order, Language.name, Language.code)
        )
    )
