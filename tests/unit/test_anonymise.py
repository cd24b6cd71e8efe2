"""Anonymisation: small numbers suppressed, no differencing, nothing outside the schema."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.measures import MeasureResult, Quarter, anonymise, measures
from enforcement.measures.anonymise import (
    FEWER_THAN_5,
    SCHEMA,
    SUPPRESSED,
    Group,
    publish,
    suppress,
)
from enforcement.measures.registry import WARD_UNKNOWN, Measure, get

Q = Quarter(2026, 1)
WARDS = ("E05013730", "E05013731", "E05013732", "E05013733")
NAMES = {code: f"Ward {chr(65 + i)}" for i, code in enumerate(WARDS)}
counts = st.integers(min_value=0, max_value=40)


def test_the_small_number_rule() -> None:
    assert [publish(n) for n in range(7)] == [0, *[FEWER_THAN_5] * 4, 5, 6]
    with pytest.raises(ValueError, match="negative"):
        publish(-1)


def test_a_lone_small_cell_takes_the_smallest_other_part_with_it() -> None:
    # Without the second suppression 3 = 20 - 17 could be read back from the total.
    cells = {"a": 3, "b": 17, "c": 9, "total": 29}
    out = suppress(cells, [Group(("a", "b", "c"), "total")])
    assert out == {"a": FEWER_THAN_5, "b": 17, "c": SUPPRESSED, "total": 29}


def test_zeros_stay_and_two_small_cells_need_nothing_more() -> None:
    cells = {"a": 3, "b": 0, "c": 2, "d": 12, "total": 17}
    out = suppress(cells, [Group(("a", "b", "c", "d"), "total")])
    assert out == {"a": FEWER_THAN_5, "b": 0, "c": FEWER_THAN_5, "d": 12, "total": 17}


def test_when_only_zeros_are_left_the_total_is_withheld() -> None:
    # The second part was withheld by another group; the total is all that could give it away.
    cells = {"a": 8, "b": 0, "total": 8, "x": 2, "y": 8, "xy": 10}
    groups = [Group(("a", "b"), "total"), Group(("x", "a"), "xy")]
    out = suppress(cells, groups)
    assert out["x"] == FEWER_THAN_5 and out["a"] == SUPPRESSED
    assert out["total"] == SUPPRESSED and out["b"] == 0


@st.composite
def two_way_tables(draw: Any) -> tuple[dict[tuple[int, int], int], list[Group[tuple[int, int]]]]:
    """A table of rows x parts with row totals, column totals and a grand total."""
    n_rows = draw(st.integers(1, 6))
    n_parts = draw(st.integers(1, 5))
    cells: dict[tuple[int, int], int] = {}
    for r, p in itertools.product(range(n_rows), range(n_parts)):
        cells[(r, p)] = draw(st.one_of(st.integers(0, 6), counts))
    total_col = n_parts
    total_row = n_rows
    for r in range(n_rows):
        cells[(r, total_col)] = sum(cells[(r, p)] for p in range(n_parts))
    for p in range(n_parts + 1):
        cells[(total_row, p)] = sum(cells[(r, p)] for r in range(n_rows))
    groups: list[Group[tuple[int, int]]] = []
    for r in range(n_rows + 1):
        groups.append(Group(tuple((r, p) for p in range(n_parts)), (r, total_col)))
    for p in range(n_parts + 1):
        groups.append(Group(tuple((r, p) for r in range(n_rows)), (total_row, p)))
    return cells, groups


@settings(deadline=None, max_examples=300)
@given(two_way_tables())
def test_no_small_count_leaves_and_no_group_gives_one_away(
    table: tuple[dict[tuple[int, int], int], list[Group[tuple[int, int]]]],
) -> None:
    cells, groups = table
    out = suppress(cells, groups)
    assert out.keys() == cells.keys()
    for key, value in out.items():
        if isinstance(value, int):
            assert not 0 < value < 5, f"{key} published as {value}"
            assert value == cells[key]  # what is published is true
        elif value == FEWER_THAN_5:
            assert 0 < cells[key] < 5
        else:
            assert value == SUPPRESSED and cells[key] >= 5
    for group in groups:
        hidden = [k for k in (*group.parts, group.total) if isinstance(out[k], str)]
        assert len(hidden) != 1, f"{hidden[0]} could be worked out from {group}"


def _result(spec: Measure, draw: Any) -> MeasureResult:
    wards = draw(st.lists(st.sampled_from([*WARDS, WARD_UNKNOWN]), unique=True, max_size=5))
    by_ward: dict[str, dict[str, int]] = {}
    for w in wards:
        values = {code: draw(counts) for code in spec.codes}
        if spec.total is not None and spec.parts:
            values[spec.total] = sum(values[p] for p in spec.parts)
        by_ward[w] = values
    if spec.wards_add_up:
        total = {c: sum(v[c] for v in by_ward.values()) for c in spec.codes}
    else:
        total = {c: draw(counts) for c in spec.codes}
        if spec.total is not None and spec.parts:
            total[spec.total] = sum(total[p] for p in spec.parts)
    return MeasureResult(spec, Q, None, total, by_ward)


@st.composite
def quarter_results(draw: Any) -> list[MeasureResult]:
    return [_result(spec, draw) for spec in measures()]


@settings(deadline=None, max_examples=100)
@given(quarter_results())
def test_share_rows_carry_only_the_schema_and_no_small_count(results: list[MeasureResult]) -> None:
    rows = anonymise.share_rows(Q, results, NAMES, WARDS[:2])
    anonymise.check_rows(rows)
    for row in rows:
        assert tuple(row) == SCHEMA
        value = row["value"]
        assert value in (FEWER_THAN_5, SUPPRESSED) or (
            isinstance(value, int) and (value == 0 or value >= 5)
        )
        assert row["month_from"] == "2026-01" and row["month_to"] == "2026-03"
    # Every measure, the borough and each ward always present appear.
    assert {r["measure"] for r in rows} == {m.key for m in measures()}
    assert {"ALL", *WARDS[:2]} <= {r["ward_code"] for r in rows}


identifying = st.dictionaries(
    st.sampled_from(
        ["name", "address", "postcode", "date_of_birth", "note", "feedback", "visited_at", "uprn"]
    ),
    st.one_of(st.text(max_size=30), st.integers(), st.dates()),
    max_size=6,
)


@settings(deadline=None)
@given(identifying, st.integers(min_value=0, max_value=1000), st.sampled_from(measures()))
def test_a_row_never_carries_a_field_outside_the_schema(
    extra: dict[str, Any], count: int, spec: Measure
) -> None:
    fields = {
        **extra,
        "quarter": "2026-Q1",
        "month_from": date(2026, 1, 17),
        "month_to": datetime(2026, 3, 31, 14, 5),
        "ward_code": "E05013730",
        "ward_name": "Fulham Town",
        "measure": spec.key,
        "category": spec.codes[0],
        "value": count,
    }
    row = anonymise.to_row(fields)
    assert tuple(row) == SCHEMA
    assert row["month_from"] == "2026-01" and row["month_to"] == "2026-03"  # dates to the month
    assert row["value"] == publish(count)
    assert row["measure_label"] == spec.title and row["target"] == (
        spec.target.text if spec.target else ""
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ward_code", "W6 9JU"),  # a postcode is finer than a ward
        ("ward_code", "10 King Street"),
        ("ward_name", "Flat 2, 10 West Street\nW6"),
        ("ward_name", "W6 9JU"),
        ("quarter", "2026-03-02"),
        ("month_from", "2026-03-02"),
        ("category", "a free text note"),
        ("value", 2.5),
        ("value", "three"),
        ("value", True),
    ],
)
def test_values_the_schema_cannot_hold_are_refused(field: str, value: Any) -> None:
    spec = measures()[0]
    fields = {
        "quarter": "2026-Q1",
        "month_from": "2026-01",
        "month_to": "2026-03",
        "ward_code": "ALL",
        "ward_name": "All wards",
        "measure": spec.key,
        "category": spec.codes[0],
        "value": 7,
        field: value,
    }
    with pytest.raises((ValueError, KeyError)):
        anonymise.to_row(fields)


def test_a_ward_alone_is_not_anonymised_without_its_borough() -> None:
    spec = measures()[1]
    alone = MeasureResult(spec, Q, WARDS[0], {c: 1 for c in spec.codes}, {})
    with pytest.raises(ValueError, match="borough-wide"):
        anonymise.anonymise_result(alone)


def _pair(first: str, second: str, draw: Any) -> list[MeasureResult]:
    """Two measures whose totals count the same records (`Category.same_as`), drawn so: each
    ward's total is one count, split into each measure's parts its own way."""
    specs = [get(first), get(second)]
    wards = draw(st.lists(st.sampled_from(WARDS), unique=True, min_size=1, max_size=4))
    by_ward: list[dict[str, dict[str, int]]] = [{}, {}]
    for w in wards:
        n = draw(counts)
        for i, spec in enumerate(specs):
            assert spec.total is not None
            split = [draw(st.integers(0, n)) for _ in spec.parts[:-1]]
            parts, left = [], n
            for s in split:
                parts.append(min(s, left))
                left -= parts[-1]
            by_ward[i][w] = {**dict(zip(spec.parts, [*parts, left], strict=True)), spec.total: n}
    return [
        MeasureResult(
            spec,
            Q,
            None,
            {c: sum(v[c] for v in by_ward[i].values()) for c in spec.codes},
            by_ward[i],
        )
        for i, spec in enumerate(specs)
    ]


SAME = [
    (m.key, c.code, *c.same_as) for m in measures() for c in m.categories if c.same_as is not None
]


def test_every_shared_count_names_a_measure_and_category_that_exist() -> None:
    assert SAME, "the welfare visits and poster measures share their totals"
    for _key, _code, other, other_code in SAME:
        assert other_code in get(other).codes


@settings(deadline=None, max_examples=200)
@given(st.data())
def test_a_count_two_measures_share_is_published_or_withheld_in_both(data: Any) -> None:
    """Withheld in one and published in the other, it would give back what the first hid (the
    borough's with-indicators count less the other wards' gives a ward's "fewer than 5")."""
    for key, code, other, other_code in SAME:
        results = _pair(other, key, data.draw)
        out = anonymise.anonymise_results(results)
        for place in out[key]:
            if place[1] == code:
                assert out[key][place] == out[other][(place[0], other_code)], place
        for result in results:
            for group in anonymise.groups_of(result):
                cells = out[result.measure.key]
                hidden = [k for k in (*group.parts, group.total) if isinstance(cells[k], str)]
                assert len(hidden) != 1, f"{hidden[0]} could be worked out from {group}"


def test_the_visits_a_ward_made_are_withheld_in_both_measures_or_neither() -> None:
    # Three wards: with and without indicators (0, 7), (9, 0), (1, 9); guidance followed and
    # not (6, 1), (5, 4), (7, 3). The welfare measure withholds the second ward's 9 visits;
    # published by the guidance measure, they gave back the third ward's 1 visit with
    # indicators (10 in the borough, less 0, less 9).
    def result(key: str, split: list[tuple[int, int]]) -> MeasureResult:
        spec = get(key)
        assert spec.total is not None
        by_ward = {
            w: {**dict(zip(spec.parts, s, strict=True)), spec.total: sum(s)}
            for w, s in zip(WARDS, split, strict=False)
        }
        total = {c: sum(v[c] for v in by_ward.values()) for c in spec.codes}
        return MeasureResult(spec, Q, None, total, by_ward)

    visits = result("welfare_visits", [(0, 7), (9, 0), (1, 9)])
    guidance = result("guidance_followed", [(6, 1), (5, 4), (7, 3)])
    out = anonymise.anonymise_results([visits, guidance])
    assert out["welfare_visits"][(WARDS[1], "visits")] == SUPPRESSED
    assert out["guidance_followed"][(WARDS[1], "visits")] == SUPPRESSED
    rows = anonymise.share_rows(Q, [visits, guidance], NAMES, WARDS[:3])
    published = {(r["measure"], r["ward_code"], r["category"]): r["value"] for r in rows}
    assert published[("guidance_followed", WARDS[1], "visits")] == SUPPRESSED
