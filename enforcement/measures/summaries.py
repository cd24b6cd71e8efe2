"""Summaries of the measures for closed quarters: computed by the tick, read by the dashboard.

At a borough's full size some measures take hundreds of milliseconds a quarter (the poster
check reads every licensed premises' latest inspection before the quarter's end). A closed
quarter's figures change only when a record behind them is written, so each summarised measure's
counts for each closed quarter are kept in `measure_summaries` (every ward), and:

- every write that could change them discards them in the same transaction
  (enforcement.models.summaries declares what reaches what), so a summary that exists is exactly
  what the query would count now;
- the scheduler's tick computes the missing ones, newest quarter first, a few quarters a tick;
- the dashboard reads a summary where one exists and the person may be shown it, and runs the
  measure's query otherwise (the quarter in progress is always counted live).

Need-to-know: summaries are counted with no restriction (as the system). A measure whose query
narrows what it counts by the person (welfare visits by whose content they may read, flags by
whose existence they may know, referrals from inspections by who reads inspections) is served
from its summary only to someone whose narrowing is none; anyone else gets the live query.
Small-number suppression is not a concern here: it applies to the anonymised and signed-off
forms, which are built from the same counts either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Delete, delete, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import AsBoolean, True_

from enforcement import policy
from enforcement.access import Actor, Permission, can
from enforcement.inspections import inspections
from enforcement.measures import catalogue, registry
from enforcement.measures.quarters import FIRST_YEAR, Quarter
from enforcement.measures.registry import Cells
from enforcement.models import MeasureSummary
from enforcement.models import summaries as rules
from enforcement.models.summaries import FLAGS, SUMMARISED, VISITS
from enforcement.policy import Visibility

#: Closed quarters the tick summarises at most in one tick (newest first).
QUARTERS_PER_TICK = 4
#: The code that counts the summaries: summaries counted by other code are not read.
DEFINITION = rules.fingerprint(catalogue, registry, rules)


def _unrestricted(clause: object) -> bool:
    """Say whether a policy clause is the constant TRUE (possibly wrapped as "IS TRUE")."""
    while isinstance(clause, AsBoolean) and clause.operator is operators.is_true:
        clause = clause.element
    return isinstance(clause, True_)


def may_use(actor: Actor, key: str) -> bool:
    """Say whether the actor may be shown the measure's summary (its query narrows nothing)."""
    if key not in SUMMARISED:
        return False
    visits = _unrestricted(policy.visible_visits_clause(actor, Visibility.CONTENT))
    if key == "nrm_referrals":
        return visits and can(actor, Permission.INSPECTION_VIEW)
    if key in VISITS or key == "follow_ups":
        return visits
    if key in FLAGS:
        return _unrestricted(policy.visible_flags_clause(actor, Visibility.EXISTENCE))
    return True


@dataclass
class Found:
    """Summaries read for a dashboard: cells by (measure key, quarter code)."""

    cells: dict[tuple[str, str], Cells] = field(default_factory=dict)
    oldest: datetime | None = None

    def get(self, key: str, quarter: Quarter) -> Cells | None:
        return self.cells.get((key, quarter.code))


def read(session: Session, actor: Actor, now: datetime, quarters: Iterable[Quarter]) -> Found:
    """Return the summaries of the closed quarters given that the actor may be shown."""
    codes = sorted({q.code for q in quarters if q.has_ended(now)})
    found = Found()
    keys = [key for key in SUMMARISED if may_use(actor, key)]
    if not codes or not keys:
        return found
    for key, quarter, cells_json, computed_at in session.execute(
        select(
            MeasureSummary.measure,
            MeasureSummary.quarter,
            MeasureSummary.cells_json,
            MeasureSummary.computed_at,
        )
        .where(
            MeasureSummary.quarter.in_(codes),
            MeasureSummary.measure.in_(keys),
            MeasureSummary.definition == DEFINITION,
        )
        .order_by(MeasureSummary.measure, MeasureSummary.quarter)
    ):
        found.cells[(key, quarter)] = Cells(by_ward=json.loads(cells_json))
        if found.oldest is None or computed_at < found.oldest:
            found.oldest = computed_at
    return found


def closed_quarters(now: datetime) -> list[Quarter]:
    """Every quarter the strategy covers that has ended, newest first."""
    out: list[Quarter] = []
    q = Quarter.last_complete(now)
    while q.year >= FIRST_YEAR:
        out.append(q)
        q = q.previous
    return out


def missing(session: Session, now: datetime) -> list[Quarter]:
    """The closed quarters lacking a summary of some summarised measure, newest first."""
    have: dict[str, int] = {}
    for (quarter,) in session.execute(
        select(MeasureSummary.quarter).where(MeasureSummary.definition == DEFINITION)
    ):
        have[quarter] = have.get(quarter, 0) + 1
    return [q for q in closed_quarters(now) if have.get(q.code, 0) < len(SUMMARISED)]


def compute(session: Session, now: datetime, quarter: Quarter) -> int:
    """Count the quarter's summarised measures afresh and keep them; return how many were kept.

    On PostgreSQL the summaries table is locked against writers' discards while counting: a
    write that commits meanwhile waits, then discards what was counted without it. The lock
    also keeps a second scheduler out until this one commits (it then finds the summaries
    there). SQLite's writers are one at a time, and the scheduler's session holds the write lock.
    """
    if not quarter.has_ended(now):
        raise ValueError(f"{quarter.code} has not ended: only closed quarters are summarised")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE measure_summaries IN SHARE ROW EXCLUSIVE MODE"))
    system = Actor.system("measure summaries")
    # Summaries counted by other code (an earlier release) are counted again.
    session.execute(
        delete(MeasureSummary).where(
            MeasureSummary.quarter == quarter.code, MeasureSummary.definition != DEFINITION
        )
    )
    have = set(
        session.scalars(
            select(MeasureSummary.measure).where(MeasureSummary.quarter == quarter.code)
        )
    )
    kept = 0
    with registry.sharing(session):
        for spec in registry.measures():
            if spec.key not in SUMMARISED or spec.key in have:
                continue
            result = registry.run(spec, session, system, now, quarter)
            session.add(
                MeasureSummary(
                    measure=spec.key,
                    quarter=quarter.code,
                    first_day=quarter.first_day,
                    last_day=quarter.last_day,
                    starts_at=quarter.start_utc,
                    ends_at=quarter.end_utc,
                    cells_json=json.dumps(
                        {ward: dict(values) for ward, values in result.by_ward.items()},
                        sort_keys=True,
                    ),
                    computed_at=now,
                    definition=DEFINITION,
                )
            )
            kept += 1
    session.flush()
    return kept


def refresh(session: Session, now: datetime, quarters: Sequence[Quarter] | None = None) -> int:
    """Compute the missing summaries of the given closed quarters (default: all), committing
    each quarter; return how many summaries were kept."""
    kept = 0
    for quarter in missing(session, now) if quarters is None else quarters:
        kept += compute(session, now, quarter)
        session.commit()
    return kept


def refresh_all(session: Session, now: datetime) -> tuple[bool, int]:
    """Everything the tick keeps, at once (the command line, the benchmarks): the poster
    compliance view as it stands (whether it was kept anew), then every missing summary of a
    closed quarter (how many)."""
    compliance = inspections.keep_compliance_view(session, now)
    session.commit()
    return compliance, refresh(session, now)


def delete_all_statement() -> Delete:
    """The statement discarding every summary (the next ticks compute them again)."""
    return delete(MeasureSummary)
