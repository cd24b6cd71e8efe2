"""Summaries of the action plan's measures for closed quarters, and what discards them.

A summary holds one measure's counts for one closed quarter, every ward, computed from the
records with no need-to-know restriction (enforcement.measures.summaries computes them and says
who may be shown them). It is only ever a copy of what the measure's query would return now:
every write that could change the figures discards the summaries it touches, in the same
transaction, so a summary that exists is exact. The scheduler's tick computes the missing ones.

What discards what is declared here, beside the table, so that every session of every process
(web, scheduler, command line, tests) applies it: the listeners below are installed when the
models are imported. Each rule names a table, the measures that read it, and how much of
history a change to one of its rows can reach:

- "quarter": the quarters containing the row's moments (old and new values), e.g. a flag
  counts in the quarter it was reported;
- "after": every quarter ending after the earliest of its moments (the poster check counted is
  the latest before a quarter's end, so an inspection changes every quarter ending after it);
- "all": every quarter (a licence's status today, a premises' ward).

An update discards only when one of the rule's `columns` changed. Bulk statements (an UPDATE
or DELETE through the session, e.g. the ward import's reassignment) discard every quarter of
every measure reading the table. Writes made below the session (raw driver SQL) are not seen:
nothing in the application writes these tables that way.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Date, String, Table, Text, delete, event, inspect, or_, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column
from sqlalchemy.orm.base import NO_VALUE

from enforcement.models.base import Base, UTCDateTime


class MeasureSummary(Base):
    """One measure's counts for one closed quarter, all wards (`cells_json`: ward -> counts)."""

    __tablename__ = "measure_summaries"

    measure: Mapped[str] = mapped_column(String(60), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-Q3"
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    cells_json: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A fingerprint of the code that counted it: a release that changes how a figure is
    # counted leaves the old summaries unread, and the tick counts them again.
    definition: Mapped[str] = mapped_column(String(64), default="")


#: The poster compliance view as it stands (enforcement.inspections.inspections keeps it).
COMPLIANCE_NOW = "compliance_now"
POSTER = ("poster_compliance", "premises_checked", COMPLIANCE_NOW)
VISITS = ("welfare_visits", "guidance_followed", "immigration_referrals", "nrm_referrals")
BY_PREMISES_WARD = (
    *POSTER,
    "licences_revoked_suspended",
    "deadlines",
    "enforcement_actions",
    "premises_of_concern",
    "flags_by_form",
    "committee_referrals",
)
#: Every measure kept as a summary (the others are computed live each time).
SUMMARISED = tuple(
    key for key in (*BY_PREMISES_WARD, *VISITS, "follow_ups") if key != COMPLIANCE_NOW
)
LICENCE_STATUS_ACTIONS = ("licence.update", "licence.status")
#: The measures that count intelligence flags (as far as a person may know they exist).
FLAGS = ("premises_of_concern", "flags_by_form")


@dataclass(frozen=True)
class Rule:
    table: str
    measures: tuple[str, ...]
    reach: str  # "quarter", "after" or "all"
    moments: tuple[str, ...] = ()
    # An update discards only if one of these changed (empty: any column).
    columns: tuple[str, ...] = ()
    on_insert: bool = True


RULES: tuple[Rule, ...] = (
    Rule("inspections", POSTER, "after", ("inspected_at",)),
    Rule("premises_compliance", POSTER, "after", ("last_inspected_at",)),
    Rule("licences", (*POSTER, "licences_revoked_suspended"), "all", (), ("status", "premises_id")),
    # A premises placed in a ward or moved; a new premises has no records to count (_relevant).
    Rule("premises_wards", BY_PREMISES_WARD, "all", (), ("ward_id",)),
    Rule("wards", BY_PREMISES_WARD, "all", (), ("code", "name"), on_insert=False),
    Rule("audit_events", ("licences_revoked_suspended",), "quarter", ("at",)),
    Rule(
        "enforcement_cases",
        ("enforcement_actions", "premises_of_concern"),
        "quarter",
        ("opened_at",),
    ),
    Rule("enforcement_cases", ("deadlines",), "all", (), ("premises_id",), on_insert=False),
    Rule("case_deadlines", ("deadlines",), "quarter", ("due_at",)),
    Rule(
        "committee_referrals", ("committee_referrals",), "quarter", ("signed_off_at", "decided_at")
    ),
    Rule("intel_flags", FLAGS, "quarter", ("reported_at",)),
    # A flag's forms are written with it (the flag's own rule discards its quarter); one taken
    # away could be any quarter's.
    Rule("intel_flag_exploitation", ("flags_by_form",), "all", on_insert=False),
    Rule("welfare_visits", VISITS, "quarter", ("visited_at",)),
    # A later visit can make any earlier follow-up late rather than not made.
    Rule("welfare_visits", ("follow_ups",), "all"),
    Rule("welfare_visit_indicators", ("welfare_visits", "nrm_referrals"), "all"),
    Rule("anonymous_referrals", ("nrm_referrals",), "quarter", ("submitted_on",)),
)
_BY_TABLE: dict[str, list[Rule]] = {}
for _rule in RULES:
    _BY_TABLE.setdefault(_rule.table, []).append(_rule)


def _relevant(table: str, obj: Any, new_premises: set[int]) -> bool:
    if table == "premises_wards":
        # Placing a premises added in the same flush: it has no records yet.
        return obj.premises_id not in new_premises
    if table != "audit_events":
        return True
    # Only a licence's status change is read from the trail.
    return obj.entity_type == "licence" and obj.action in LICENCE_STATUS_ACTIONS


def _values(state: Any, names: Iterable[str], dirty: bool) -> list[Any] | None:
    """The row's moments, old and new; None when one is not loaded (nothing is read here: a
    deleted row cannot be), which the caller takes as reaching every quarter."""
    found: list[Any] = []
    for name in names:
        attr = state.attrs[name]
        value = attr.loaded_value
        if value is NO_VALUE:
            return None
        found.append(value)
        if dirty:
            found.extend(attr.history.deleted or ())
    return [v for v in found if v is not None]


def _changed(state: Any, columns: Iterable[str]) -> bool:
    return any(state.attrs[name].history.has_changes() for name in columns)


def discard(
    session: Session, measures: Iterable[str], reach: str, moments: Iterable[Any] = ()
) -> None:
    """Delete the summaries of `measures` a change with these moments can reach.

    "after" needs only the earliest moment. For "quarter", the quarters holding a moment are
    worked out here, from the bounds of the summaries there are (one row a closed quarter and
    measure: a few hundred), and deleted by name. A condition for each moment made one OR of
    as many terms as the change had moments, which SQLite refuses past a thousand or so
    ("Expression tree is too large") when the clock recomputes many cases.
    """
    table = cast(Table, MeasureSummary.__table__)
    chosen = sorted(set(measures))
    where: list[Any] = [table.c.measure.in_(chosen)]
    points = list(moments)
    if reach == "quarter" and not points:
        return  # a row with no moment counts in no quarter
    if reach != "all" and points:  # with no moment at all, "after" reaches everything
        times = sorted(p for p in points if isinstance(p, datetime))
        days = sorted(p for p in points if isinstance(p, date) and not isinstance(p, datetime))
        if reach == "after":
            after = [table.c.ends_at > times[0]] if times else []
            after += [table.c.last_day >= days[0]] if days else []
            if not after:
                return
            where.append(or_(*after))
        else:
            columns = (table.c.quarter, table.c.starts_at, table.c.ends_at)
            bounds = session.connection().execute(
                select(*columns, table.c.first_day, table.c.last_day)
                .where(table.c.measure.in_(chosen))
                .distinct()
                .order_by(*columns, table.c.first_day, table.c.last_day)
            )
            reached = sorted({row[0] for row in bounds.all() if _holds(times, days, *row[1:])})
            if not reached:
                return
            where.append(table.c.quarter.in_(reached))
    session.connection().execute(delete(table).where(*where))


def _holds(
    times: list[datetime],
    days: list[date],
    starts_at: datetime,
    ends_at: datetime,
    first_day: date,
    last_day: date,
) -> bool:
    """Say whether a quarter holds one of the sorted moments (a time or a day)."""
    at = bisect_left(times, starts_at)
    on = bisect_left(days, first_day)
    return (at < len(times) and times[at] < ends_at) or (on < len(days) and days[on] <= last_day)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    pending: dict[tuple[tuple[str, ...], str], list[Any]] = {}
    new_premises = {
        obj.id for obj in session.new if getattr(obj, "__tablename__", None) == "premises"
    }
    for kind, objects in (
        ("new", session.new),
        ("dirty", session.dirty),
        ("deleted", session.deleted),
    ):
        for obj in objects:
            table = getattr(getattr(obj, "__table__", None), "name", None)
            rules = _BY_TABLE.get(table or "")
            if not rules:
                continue
            state = inspect(obj)
            if not _relevant(str(table), obj, new_premises):
                continue
            for rule in rules:
                if kind == "new" and not rule.on_insert:
                    continue
                if kind == "dirty" and rule.columns and not _changed(state, rule.columns):
                    continue
                if kind == "dirty" and not rule.columns and not session.is_modified(obj):
                    continue
                reach = rule.reach
                values = [] if reach == "all" else _values(state, rule.moments, kind == "dirty")
                if values is None:
                    reach, values = "all", []
                pending.setdefault((rule.measures, reach), []).extend(values)
    for (measures, reach), moments in pending.items():
        discard(session, measures, reach, moments)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if not table or (table == "audit_events" and state.is_insert):
        return
    discard_table(state.session, table, inserted=state.is_insert)


def install() -> None:
    """Apply the rules to every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)


def discard_table(session: Session, table: str, *, inserted: bool = False) -> None:
    """Discard what a bulk write to `table` made below the session's ORM could change (every
    quarter of every measure reading it); `inserted`: the write only added rows."""
    rules = _BY_TABLE.get(table, [])
    if inserted:
        rules = [r for r in rules if r.on_insert]
    if rules:
        discard(session, {m for r in rules for m in r.measures}, "all")


def fingerprint(*modules: Any) -> str:
    """Return a SHA-256 of the modules' files (what counted a summary): any change to them,
    a comment included, makes the summaries they counted unread until counted again."""
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()
