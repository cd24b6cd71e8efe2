"""Whole numbers typed by people (record ids, page numbers, versions): ASCII digits, in range.

`str.isdigit()` alone lets through characters such as "²" that `int()` refuses, and `int()` of
thousands of digits raises too; every number read from a form or an address goes through here.
"""

from __future__ import annotations

MAX_DB_ID = 2**31 - 1  # the largest id an integer column holds on both databases
MAX_PAGE = 99_999


def whole_number(raw: object, *, high: int, low: int = 0) -> int | None:
    """`raw` as a whole number from `low` to `high`, or None when it cannot be one."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    if isinstance(raw, int):
        return raw if low <= raw <= high else None
    text = raw.strip()
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


def record_id(raw: object) -> int | None:
    """A record id (1 and up) as typed, or None."""
    return whole_number(raw, low=1, high=MAX_DB_ID)


def page_number(raw: object) -> int:
    """A page number from an address; anything that is not one is the first page."""
    return whole_number(raw, low=1, high=MAX_PAGE) or 1
