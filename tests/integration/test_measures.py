"""Each action plan measure against a borough whose answers were worked out by hand, on both databases."""

from __future__ import annotations

from fractions import Fraction

import pytest
from builders.measures import AFTER, EXPECTED, EXPECTED_Q4, Q1, Q4, Borough, E, W, at, build
from sqlalchemy.orm import Session

from enforcement.errors import Forbidden
from enforcement.measures import Quarter, get, measures, run
from enforcement.measures.catalogue import follow_ups, moontwist_training, poster_compliance


@pytest.fixture
def borough(session: Session) -> Borough:
    b = build(session)
    session.commit()
    return b


def _expected_cells(key: str, ward: str) -> dict[str, int]:
    spec = get(key)
    given = EXPECTED[key].get(ward, {})
    return {code: given.get(code, 0) for code in spec.codes}


def test_every_measure_has_a_hand_worked_answer() -> None:
    assert set(EXPECTED) == {m.key for m in measures()}


def test_each_measure_gives_the_hand_worked_figures(session: Session, borough: Borough) -> None:
    wrong: list[str] = []
    for key in sorted(EXPECTED):
        result = run(get(key), session, borough.actors["supervisor"], AFTER, Q1)
        if dict(result.total) != _expected_cells(key, "total"):
            wrong.append(f"{key} borough: {dict(result.total)}")
        wards = {w for w in EXPECTED[key] if w != "total"}
        shown = {w for w, cells in result.by_ward.items() if any(cells.values())}
        if shown != wards:
            wrong.append(f"{key}: figures in wards {sorted(shown)}, expected {sorted(wards)}")
        for ward in wards:
            if dict(result.by_ward.get(ward, {})) != _expected_cells(key, ward):
                wrong.append(f"{key} {ward!r}: {dict(result.by_ward.get(ward, {}))}")
            # The same function asked for one ward gives that ward's figures as its total.
            one = run(get(key), session, borough.actors["analyst"], AFTER, Q1, ward)
            if dict(one.total) != _expected_cells(key, ward):
                wrong.append(f"{key} asked for {ward!r}: {dict(one.total)}")
    assert not wrong, "\n".join(wrong)


def test_targets_of_an_increase_compare_with_the_previous_quarter(
    session: Session, borough: Borough
) -> None:
    actor = borough.actors["supervisor"]
    for key, expected in EXPECTED_Q4.items():
        now = run(get(key), session, actor, AFTER, Q1)
        before = run(get(key), session, actor, AFTER, Q4)
        assert {code: before.value(code) for code in expected} == expected, key
        assert now.target_met(before) is True, key


def test_shares_and_targets(session: Session, borough: Borough) -> None:
    actor = borough.actors["supervisor"]
    training = moontwist_training(session, actor, AFTER, Q1)
    assert training.share == Fraction(1, 3) and training.target_met() is True  # one third
    poster = poster_compliance(session, actor, AFTER, Q1)
    assert poster.share == Fraction(1, 2) and poster.target_met() is False  # target: all
    assert run(get("follow_ups"), session, actor, AFTER, Q1).share == Fraction(1, 3)
    assert run(get("deadlines"), session, actor, AFTER, Q1).share == Fraction(1, 2)
    partners = run(get("partners_sharing"), session, actor, AFTER, Q1)
    assert partners.value("partners") == 2 and partners.target_met() is False  # target: 5


def test_live_statuses_depend_on_now(session: Session, borough: Borough) -> None:
    actor = borough.actors["supervisor"]
    # In the middle of March the deadline of 20 March was still to come.
    mid_march = at(2026, 3, 15, 12)
    deadlines = run(get("deadlines"), session, actor, mid_march, Q1)
    assert (deadlines.value("missed"), deadlines.value("pending")) == (1, 1)
    # On 5 April the follow-ups of v4 (23:30 on 31 March) and v5 (00:30 on 1 April, London)
    # are due on 14 April: in the second quarter, not yet due.
    q2 = follow_ups(session, actor, at(2026, 4, 5, 12), Quarter(2026, 2))
    assert q2.by_ward[E]["not_yet_due"] == 1 and q2.by_ward[W]["not_yet_due"] == 1
    assert q2.share is None  # none was due yet


def test_no_one_else_gets_live_figures(session: Session, borough: Borough) -> None:
    for who in ("partner", "admin", "licensing", "wo1"):
        for spec in measures():
            with pytest.raises(Forbidden):
                run(spec, session, borough.actors[who], AFTER, Q1)


def test_flags_are_counted_as_far_as_the_policy_lets_the_actor_know_of_them(
    session: Session, borough: Borough
) -> None:
    # The flag at pE is handling code C for the police: the council's supervisor may not read
    # it, but may know it exists, so pE is a premises of concern to them too; the police
    # analyst, in its audience, counts it the same.
    for who in ("supervisor", "analyst"):
        result = run(get("premises_of_concern"), session, borough.actors[who], AFTER, Q1)
        assert result.by_ward[E]["flag_only"] == 1
