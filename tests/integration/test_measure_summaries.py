"""Measure summaries of closed quarters give exactly the figures counted from scratch, after any
write, on both databases; they are shown only to people whose figures nothing narrows."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from builders.cases import make_case
from builders.flags import make_flag
from builders.measures import AFTER, Q1, Q4, Borough, _inspect, _relicence, _visit, at, build
from builders.register import IN_EAST, IN_WEST, OUTSIDE
from builders.welfare import referral_input
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.clock import to_london
from enforcement.inspections import inspections
from enforcement.measures import Quarter, get, measures, run, summaries
from enforcement.measures.dashboard import live_dashboard
from enforcement.models import Base, Licence, MeasureSummary, Premises, WelfareVisit
from enforcement.models import summaries as model_summaries
from enforcement.models.summaries import SUMMARISED
from enforcement.register import premises as premises_workflow
from enforcement.safeguarding import records
from enforcement.vocab import LicenceStatus

Figures = dict[str, tuple[dict[str, int], dict[str, dict[str, int]]]]


@pytest.fixture
def borough(session: Session) -> Borough:
    b = build(session)
    session.commit()
    return b


def from_scratch(session: Session, actor: Actor, quarter: Quarter) -> Figures:
    out: Figures = {}
    for spec in measures():
        r = run(spec, session, actor, AFTER, quarter)
        out[spec.key] = (dict(r.total), {w: dict(c) for w, c in r.by_ward.items()})
    return out


def served(session: Session, actor: Actor, quarter: Quarter) -> tuple[Figures, int]:
    """The figures as the dashboard gets them (summaries where kept), and how many were kept."""
    kept = summaries.read(session, actor, AFTER, (quarter,))
    out: Figures = {}
    used = 0
    for spec in measures():
        cells = kept.get(spec.key, quarter)
        used += cells is not None
        r = run(spec, session, actor, AFTER, quarter, None, cells)
        out[spec.key] = (
            dict(r.total),
            {w: dict(c) for w, c in r.by_ward.items() if any(c.values())},
        )
    return out, used


def _nonzero(figures: Figures) -> Figures:
    return {
        k: (t, {w: c for w, c in by.items() if any(c.values())}) for k, (t, by) in figures.items()
    }


def kept_count(session: Session, quarter: Quarter) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(MeasureSummary)
            .where(MeasureSummary.quarter == quarter.code)
        )
        or 0
    )


def assert_exact(session: Session, borough: Borough, label: str) -> None:
    for who in ("supervisor", "analyst"):
        actor = borough.actors[who]
        for quarter in (Q1, Q4):
            got, _used = served(session, actor, quarter)
            assert got == _nonzero(from_scratch(session, actor, quarter)), (
                f"{label}, {who}, {quarter}"
            )


def test_the_tick_summarises_closed_quarters_and_the_dashboard_reads_them(
    session: Session, borough: Borough
) -> None:
    assert summaries.refresh(session, AFTER, [Q1, Q4]) == 2 * len(SUMMARISED)
    assert kept_count(session, Q1) == kept_count(session, Q4) == len(SUMMARISED)
    supervisor = borough.actors["supervisor"]
    figures, used = served(session, supervisor, Q1)
    assert used == len(SUMMARISED)
    assert figures == _nonzero(from_scratch(session, supervisor, Q1))
    # One ward's figures come from the same summary.
    for key in SUMMARISED:
        kept = summaries.read(session, supervisor, AFTER, (Q1,)).get(key, Q1)
        for ward in ("E05999901", "E05999902", ""):
            one = run(get(key), session, supervisor, AFTER, Q1, ward, kept)
            assert dict(one.total) == dict(
                run(get(key), session, supervisor, AFTER, Q1, ward).total
            )
    board = live_dashboard(session, supervisor, AFTER, Q1)
    assert board.summarised_at == AFTER
    # The quarter in progress is never summarised.
    with pytest.raises(ValueError):
        summaries.compute(session, AFTER, Quarter.containing(AFTER))


def test_summaries_stay_exact_through_a_series_of_writes(
    session: Session, borough: Borough
) -> None:
    summaries.refresh(session, AFTER, [Q1, Q4])
    session.commit()
    assert_exact(session, borough, "freshly summarised")
    p = borough.premises
    org = borough.orgs[next(iter(borough.orgs))]
    officer = borough.users["supervisor"].id
    ward_officer = borough.actors["wo1"]

    def licence_of(premises_id: int) -> int:
        found = session.scalar(
            select(Licence.id).where(Licence.premises_id == premises_id).order_by(Licence.id)
        )
        assert found is not None
        return found

    def move_to(key: str, point: tuple[float, float]) -> None:
        row = session.get(Premises, p[key])
        assert row is not None
        data = premises_workflow.PremisesInput(
            name=row.name,
            address_line1=row.address_line1,
            premises_type=row.premises_type,
            longitude=point[0],
            latitude=point[1],
        )
        premises_workflow.update_premises(
            session, borough.actors["licensing"], AFTER, row.id, row.version, data
        )

    def refer_from_a_q1_visit() -> None:
        visit = session.scalars(
            select(WelfareVisit)
            .where(WelfareVisit.visited_at >= at(2026, 1, 1, 0))
            .order_by(WelfareVisit.visited_at, WelfareVisit.id)
        ).first()
        assert visit is not None and visit.visited_at < AFTER
        records.record_referral(
            session,
            borough.actors["supervisor"],
            AFTER,
            records.Source(records.VISIT, visit.id),
            referral_input(submitted_on=to_london(visit.visited_at).date()),
        )

    writes: list[tuple[str, Callable[[], Any]]] = [
        # An anonymous referral record added later to a visit of a closed quarter (first: the
        # visit written below discards the same summary).
        ("referral recorded on a Q1 visit", refer_from_a_q1_visit),
        # Today's licence status decides who is licensed in every quarter.
        (
            "licence revoked today",
            lambda: _relicence(session, licence_of(p["pA"]), AFTER, status=LicenceStatus.REVOKED),
        ),
        # Recorded late: a poster check in the past reaches every quarter ending after it.
        (
            "inspection backdated into Q4",
            lambda: _inspect(session, p["pB"], at(2025, 11, 20, 10), False),
        ),
        (
            "licence suspended, recorded in Q1",
            lambda: _relicence(
                session, licence_of(p["pC"]), at(2026, 3, 20, 9), status=LicenceStatus.SUSPENDED
            ),
        ),
        (
            "flag reported in Q1",
            lambda: make_flag(session, p["pB"], reported_at=at(2026, 2, 3, 10), now=AFTER),
        ),
        (
            "case opened in Q4",
            lambda: make_case(session, p["pB"], org, officer, now=at(2025, 12, 1, 10)),
        ),
        (
            "welfare visit in Q1",
            lambda: _visit(session, ward_officer, p["pA"], at(2026, 3, 30, 11)),
        ),
        ("premises moved to another ward", lambda: move_to("pA", IN_EAST)),
        # Its ward assignment deleted, then inserted again (premises_wards).
        ("premises moved outside every ward", lambda: move_to("pA", OUTSIDE)),
        ("premises moved back into a ward", lambda: move_to("pA", IN_WEST)),
    ]
    for label, write in writes:
        write()
        session.commit()
        # No refresh: whatever is still kept must already be exact.
        assert_exact(session, borough, f"after {label}")
    # The tick fills what was discarded, and the figures are still the same.
    summaries.refresh(session, AFTER, [Q1, Q4])
    session.commit()
    assert kept_count(session, Q1) == kept_count(session, Q4) == len(SUMMARISED)
    assert_exact(session, borough, "refreshed after the writes")


def test_a_write_discards_only_what_it_can_change(session: Session, borough: Borough) -> None:
    summaries.refresh(session, AFTER, [Q1, Q4])
    session.commit()
    make_flag(session, borough.premises["pB"], reported_at=at(2026, 2, 3, 10), now=AFTER)
    session.commit()
    gone = {
        (m, q.code)
        for q in (Q1, Q4)
        for m in SUMMARISED
        if session.get(MeasureSummary, (m, q.code)) is None
    }
    assert gone == {("premises_of_concern", Q1.code), ("flags_by_form", Q1.code)}
    # Editing a premises without moving it discards nothing.
    row = session.get(Premises, borough.premises["pB"])
    assert row is not None
    row.town = "Elsewhere"
    row.updated_at = AFTER + timedelta(minutes=1)
    session.commit()
    assert kept_count(session, Q1) == len(SUMMARISED) - len(gone)
    assert kept_count(session, Q4) == len(SUMMARISED)


def test_a_change_with_thousands_of_moments_discards_just_the_quarters_they_reach(
    session: Session, borough: Borough
) -> None:
    """As when the clock recomputes many cases at once: a condition for each moment made an OR
    that SQLite refuses past about a thousand terms ("Expression tree is too large")."""
    summaries.refresh(session, AFTER, [Q1, Q4])
    session.commit()

    def kept() -> set[tuple[str, str]]:
        rows = session.execute(select(MeasureSummary.measure, MeasureSummary.quarter))
        return {(m, q) for m, q in rows}

    everything = kept()
    in_q1 = [at(2026, 2, 3, 10) + timedelta(seconds=i) for i in range(5_000)]
    later = [AFTER + timedelta(days=400)]  # in no quarter summarised
    model_summaries.discard(session, ("deadlines", "enforcement_actions"), "quarter", in_q1 + later)
    assert everything - kept() == {("deadlines", Q1.code), ("enforcement_actions", Q1.code)}
    # A moment's day counts too; the last day of Q4 reaches Q4 and nothing else.
    model_summaries.discard(session, ("committee_referrals",), "quarter", [date(2025, 12, 31)])
    assert everything - kept() == {
        ("deadlines", Q1.code),
        ("enforcement_actions", Q1.code),
        ("committee_referrals", Q4.code),
    }
    # "after": every quarter ending after the earliest moment, Q1 only for moments in Q1.
    model_summaries.discard(session, ("poster_compliance",), "after", list(reversed(in_q1)))
    assert ("poster_compliance", Q1.code) not in kept()
    assert ("poster_compliance", Q4.code) in kept()


def test_narrowed_figures_are_never_served_from_a_summary() -> None:
    restricted = Actor(
        user_id=7,
        label="ward officer",
        roles=frozenset({"ward_officer"}),
        ward_codes=frozenset({"E05999901"}),
    )
    unrestricted = Actor(user_id=8, label="supervisor", roles=frozenset({"supervisor"}))
    assert summaries.may_use(unrestricted, "premises_of_concern")
    assert summaries.may_use(unrestricted, "welfare_visits")
    assert not summaries.may_use(restricted, "welfare_visits")
    assert not summaries.may_use(unrestricted, "moontwist_training")  # never summarised


def _live_compliance(session: Session, now: datetime) -> inspections.ComplianceReport:
    return inspections._report(
        session,
        inspections._ward_rows(session, inspections.stale_from(now)),
        inspections._missing_counts(session),
        now,
    )


def test_the_kept_compliance_view_equals_the_live_one_through_writes_and_time(
    session: Session, borough: Borough
) -> None:
    supervisor = borough.actors["supervisor"]
    p = borough.premises
    # An inspection a year (less 12 hours) before the view is kept turns stale while it serves.
    _inspect(session, p["pC"], inspections.stale_from(AFTER) + timedelta(hours=12), True)
    session.commit()
    assert inspections.keep_compliance_view(session, AFTER)
    session.commit()
    assert not inspections.keep_compliance_view(session, AFTER + timedelta(hours=1))
    for later in (timedelta(0), timedelta(hours=11), timedelta(hours=13), timedelta(hours=23)):
        now = AFTER + later
        kept = inspections.compliance_report(session, supervisor, now)
        assert kept == _live_compliance(session, now), later
    stale_now = inspections.compliance_report(session, supervisor, AFTER + timedelta(hours=13))
    assert stale_now.overall.stale == _live_compliance(session, AFTER).overall.stale + 1
    # Any write the view reads discards it; the live view is then shown, and the tick keeps it again.
    _inspect(session, p["pA"], AFTER + timedelta(hours=2), False)
    session.commit()
    assert session.get(MeasureSummary, inspections.COMPLIANCE_SUMMARY) is None
    assert inspections.keep_compliance_view(session, AFTER + timedelta(hours=3))
    session.commit()
    _relicence(session, licence_of(session, p["pB"]), AFTER, status=LicenceStatus.REVOKED)
    session.commit()
    assert session.get(MeasureSummary, inspections.COMPLIANCE_SUMMARY) is None
    # A day after it was kept, a view no longer serves: it is counted live until kept again.
    inspections.keep_compliance_view(session, AFTER + timedelta(hours=4))
    session.commit()
    after_a_day = AFTER + timedelta(days=1, hours=5)
    assert inspections.compliance_report(session, supervisor, after_a_day) == _live_compliance(
        session, after_a_day
    )
    assert inspections.keep_compliance_view(session, after_a_day)


def licence_of(session: Session, premises_id: int) -> int:
    found = session.scalar(
        select(Licence.id).where(Licence.premises_id == premises_id).order_by(Licence.id)
    )
    assert found is not None
    return found


def test_summaries_counted_by_other_code_are_not_read_and_are_counted_again(
    session: Session, borough: Borough
) -> None:
    summaries.refresh(session, AFTER, [Q1])
    row = session.get(MeasureSummary, ("deadlines", Q1.code))
    assert row is not None
    row.definition = "an earlier release"
    row.cells_json = '{"": {"met": 999}}'
    session.commit()
    supervisor = borough.actors["supervisor"]
    assert summaries.read(session, supervisor, AFTER, (Q1,)).get("deadlines", Q1) is None
    assert Q1 in summaries.missing(session, AFTER)
    assert summaries.compute(session, AFTER, Q1) == 1
    session.commit()
    again = summaries.read(session, supervisor, AFTER, (Q1,)).get("deadlines", Q1)
    assert again is not None
    assert dict(run(get("deadlines"), session, supervisor, AFTER, Q1, None, again).total) == dict(
        run(get("deadlines"), session, supervisor, AFTER, Q1).total
    )


# Tables the measures read whose writes cannot change what they count: a premises is joined by
# its id only, to reach its ward (premises_wards has its rule).
NOT_COUNTED = frozenset({"premises"})


def _tables_in(statements: list[str]) -> set[str]:
    names = Base.metadata.tables.keys()
    found: set[str] = set()
    for statement in statements:
        found |= {n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", statement)}
    return found


def test_every_table_a_summarised_measure_reads_has_a_rule_that_discards_it(
    session: Session, borough: Borough
) -> None:
    """By construction rather than by example: a measure that reads a table no rule names would
    be served stale figures after a write to it (as the NRM measure once was, its rule naming a
    table that does not exist)."""
    assert {rule.table for rule in model_summaries.RULES} <= Base.metadata.tables.keys()
    system = Actor.system("a test of the rules")
    connection = session.connection()
    unruled: dict[str, set[str]] = {}
    for key in SUMMARISED:
        statements: list[str] = []

        def seen(*args: Any, into: list[str] = statements) -> None:
            into.append(args[2])

        event.listen(connection, "before_cursor_execute", seen)
        try:
            run(get(key), session, system, AFTER, Q1)
        finally:
            event.remove(connection, "before_cursor_execute", seen)
        ruled = {rule.table for rule in model_summaries.RULES if key in rule.measures}
        if left := _tables_in(statements) - ruled - NOT_COUNTED:
            unruled[key] = left
    assert unruled == {}, repr(unruled)
