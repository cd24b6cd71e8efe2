"""The shared page of results and the list-query checks."""

from __future__ import annotations

from datetime import date

import pytest

from enforcement.paging import Page, QueryProblems, offset


@pytest.mark.parametrize(
    ("total", "page_size", "pages"),
    [(0, 50, 1), (1, 50, 1), (50, 50, 1), (51, 50, 2), (100, 50, 2), (101, 50, 3)],
)
def test_pages_round_up_and_never_fall_below_one(total: int, page_size: int, pages: int) -> None:
    assert Page[int](rows=[], total=total, page=1, page_size=page_size).pages == pages


def test_previous_and_next_are_offered_only_inside_the_list() -> None:
    first = Page(rows=[1, 2], total=5, page=1, page_size=2)
    middle = Page(rows=[3, 4], total=5, page=2, page_size=2)
    last = Page(rows=[5], total=5, page=3, page_size=2)
    assert (first.has_prev, first.has_next) == (False, True)
    assert (middle.has_prev, middle.has_next) == (True, True)
    assert (last.has_prev, last.has_next) == (True, False)


def test_row_numbers_say_where_the_page_sits_in_the_whole_list() -> None:
    last = Page(rows=["e"], total=5, page=3, page_size=2)
    assert (last.first_number, last.last_number) == (5, 5)
    empty = Page[str].empty(50)
    assert (empty.first_number, empty.last_number, empty.page, empty.total) == (0, 0, 1, 0)
    # A page past the last one holds no rows: no positions, whatever its number.
    past = Page[str](rows=[], total=5, page=8, page_size=2)
    assert (past.first_number, past.last_number) == (0, 0)


def test_offset_counts_the_rows_before_a_page() -> None:
    assert [offset(p, 50) for p in (1, 2, 3)] == [0, 50, 100]
    assert offset(0, 50) == 0


def test_a_clean_query_has_no_problems() -> None:
    found = (
        QueryProblems()
        .choice("status", "", ["open"], "Unknown status")
        .choice("status", "open", ["open"], "Unknown status")
        .sort("name", {"name": "Name"})
        .sort("", {"name": "Name"}, required=False)
        .page(1, 50)
        .date_range(date(2026, 1, 1), date(2026, 1, 1))
        .date_range(None, date(2026, 1, 1))
        .record_id("owner", "12", "Unknown organisation")
        .max_length("text", "x" * 200, 200, "Too long")
        .found
    )
    assert found == {}


def test_each_check_names_the_field_with_a_clear_message() -> None:
    found = (
        QueryProblems()
        .choice("status", "shut", ["open"], "Unknown status")
        .choice("view", "", ["all"], "Unknown list", required=True)
        .sort("", {"name": "Name"})
        .page(0, 0)
        .date_range(date(2026, 2, 1), date(2026, 1, 31))
        .record_id("owner", "1x", "Unknown organisation")
        .max_length("text", "x" * 201, 200, "Search must be 200 characters or fewer")
        .found
    )
    assert found == {
        "status": "Unknown status",
        "view": "Unknown list",
        "sort": "Unknown sort order",
        "page": "Page number must be 1 or more",
        "page_size": "Page size must be 1 or more",
        "date_to": "The end date must be the same as or after the start date",
        "owner": "Unknown organisation",
        "text": "Search must be 200 characters or fewer",
    }


def test_an_id_must_be_plain_ascii_digits() -> None:
    # "²" and "٣" pass str.isdigit() but int() refuses the first: the filter must refuse both.
    for junk in ("²", "٣", "-1", "1.5", " 1"):
        assert QueryProblems().record_id("owner", junk, "Unknown").found == {"owner": "Unknown"}


def test_the_first_message_for_a_field_is_kept() -> None:
    found = QueryProblems().choice("sort", "x", [], "First").sort("x", {}).found
    assert found == {"sort": "First"}
