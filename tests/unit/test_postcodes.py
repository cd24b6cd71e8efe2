"""Postcodes as people and files write them, in the one usual form; anything else is none."""

from __future__ import annotations

import pytest

from enforcement.register.premises import format_postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("w60qa", "W6 0QA"),
        (" W6  0QA ", "W6 0QA"),
        ("W6\xa00QA", "W6 0QA"),  # a spreadsheet's non-breaking space
        ("\u200bW6 0QA", "W6 0QA"),  # a zero-width space pasted from a web page
        ("\ufeffSW1A2AA", "SW1A 2AA"),  # a byte order mark left on the first cell
        ("\uff37\uff33\uff11 \uff10\uff31\uff21", "WS1 0QA"),  # full-width letters and digits
        ("EC1A 1BB", "EC1A 1BB"),
        ("W6 OQA", None),  # a letter O where the inward code needs a digit: not guessed
        ("W6-0QA", None),
        ("", None),
        (None, None),
    ],
)
def test_a_postcode_is_read_in_its_usual_form_or_not_at_all(
    raw: str | None, expected: str | None
) -> None:
    assert format_postcode(raw) == expected
