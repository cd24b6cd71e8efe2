"""Intelligence flags: a flag's input, a grade that limits it to named organisations, raising one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from builders.people import NOW, SYSTEM
from enforcement.access import Actor
from enforcement.intelligence import flags
from enforcement.models import IntelFlag


def flag_input(premises_id: int | None, **overrides: Any) -> flags.FlagInput:
    """A charity's ungraded report of sexual exploitation, made a day before NOW."""
    data: dict[str, Any] = {
        "reported_at": NOW - timedelta(days=1),
        "source_type": "charity",
        "exploitation": frozenset({"sexual"}),
        "report_text": "Concern about the premises",
        "premises_id": premises_id,
    }
    data.update(overrides)
    return flags.FlagInput(**data)


def grade_c(
    org_ids: Iterable[int], conditions: str = "Police only: an operation is planned."
) -> flags.GradeInput:
    """A 3x5x2 grade B2 with handling code C: only the named organisations may read it."""
    return flags.GradeInput("3x5x2", "B", "2", "C", conditions, frozenset(org_ids))


def make_flag(
    session: Session,
    premises_id: int | None,
    *,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
    **overrides: Any,
) -> IntelFlag:
    """Raise a flag through the workflow; by default recorded an hour after it was reported."""
    data = flag_input(premises_id, **overrides)
    when = now or (data.reported_at or NOW) + timedelta(hours=1)
    return flags.raise_flag(session, actor, when, data)
