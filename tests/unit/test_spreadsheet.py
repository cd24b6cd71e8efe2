"""CSV cells a spreadsheet opens: a formula's first sign is guarded, and the import unguards it."""

from __future__ import annotations

import pytest

from enforcement.spreadsheet import FORMULA_STARTS, safe_cell, unguarded


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_starting_a_formula_is_guarded_and_reads_back_as_it_was(start: str) -> None:
    value = f"{start}HYPERLINK(1)"
    assert safe_cell(value) == "'" + value
    assert unguarded(safe_cell(value)) == value


@pytest.mark.parametrize("value", ["", "The Arms", "'quoted'", "1-2 High Street", "a=b"])
def test_any_other_cell_is_left_as_it_is_both_ways(value: str) -> None:
    assert safe_cell(value) == value
    assert unguarded(value) == value
