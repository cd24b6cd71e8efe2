"""Enforcement cases: the default calendar and rule book, and opening a case."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from builders.people import NOW, SYSTEM
from enforcement.access import Actor
from enforcement.cases import casework as cases
from enforcement.models import EnforcementCase

CAL = cases.default_calendar(None)
BOOK = cases.default_rulebook()


def make_case(
    session: Session,
    premises_id: int,
    organisation_id: int,
    officer_id: int,
    *,
    actor: Actor = SYSTEM,
    **overrides: Any,
) -> EnforcementCase:
    """Open a case through the casework workflow (a closure case unless `tool` says otherwise)."""
    data: dict[str, Any] = {
        "premises_id": premises_id,
        "tool": "asbcpa_closure",
        "owner_organisation_id": organisation_id,
        "officer_id": officer_id,
        "summary": "Concerns at the premises",
    }
    data.update(overrides)
    when = data.pop("now", NOW)
    return cases.open_case(session, actor, when, cases.CaseInput(**data))
