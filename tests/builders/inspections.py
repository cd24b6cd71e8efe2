"""Inspections: an inspection's input and recording one through the workflow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from builders.people import NOW, SYSTEM, next_number
from enforcement.access import Actor
from enforcement.inspections import inspections
from enforcement.models import Inspection


def inspection_input(**overrides: Any) -> inspections.InspectionInput:
    """A routine inspection an hour before NOW that found the poster fully compliant."""
    data: dict[str, Any] = {
        "inspected_at": NOW - timedelta(hours=1),
        "reason": "routine",
        "idempotency_key": f"inspection-{next_number()}",
        "poster_displayed": True,
        "poster_visible_public": True,
        "poster_visible_workers": True,
    }
    data.update(overrides)
    return inspections.InspectionInput(**data)


def make_inspection(
    session: Session,
    premises_id: int,
    *,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
    **overrides: Any,
) -> Inspection:
    """Record an inspection; it is recorded at `now` (by default an hour after it took place)."""
    data = inspection_input(**overrides)
    found, _ = inspections.record_inspection(
        session, actor, now or data.inspected_at + timedelta(hours=1), premises_id, data
    )
    return found
