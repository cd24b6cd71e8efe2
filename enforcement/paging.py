"""A page of list results, and the checks every list query makes of its parameters."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: its rows, how many match in all, and where this page sits."""

    rows: list[T]
    total: int
    page: int
    page_size: int

    @classmethod
    def empty(cls, page_size: int) -> Page[T]:
        """Return the first page of nothing, for a list redrawn with errors in its filters."""
        return cls(rows=[], total=0, page=1, page_size=page_size)

    @property
    def pages(self) -> int:
        """Return how many pages the total fills (at least one, so "page 1 of 1" reads right)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """Return the position in the whole list of this page's first row (0 when empty)."""
        return offset(self.page, self.page_size) + 1 if self.rows else 0

    @property
    def last_number(self) -> int:
        """Return the position in the whole list of this page's last row (0 when empty)."""
        return offset(self.page, self.page_size) + len(self.rows) if self.rows else 0


#: How far a long list counts its matches: past it the list says "more than 1,000" and offers
#: only the first 1,000 (twenty pages of fifty), as the public register counts.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class CappedPage(Page[T]):
    """A page of a list that counts its matches only up to `cap` and pages only through those.

    Counting every match of a broad search reads every row of a large table; counting to just
    past the cap stops early, and nobody pages through more than a thousand rows to find one.
    `total` is the count up to `cap` + 1, so `capped` says "more than `cap`".
    """

    cap: int = COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.total > self.cap

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, self.cap) // self.page_size))

    @property
    def past_cap(self) -> bool:
        """Return whether this page lies beyond the matches the list offers."""
        return self.capped and offset(self.page, self.page_size) >= self.cap


def offset(page: int, page_size: int) -> int:
    """Return how many rows come before `page` (page numbers start at 1; below 1 reads as 1)."""
    return (max(1, page) - 1) * page_size


@dataclass
class QueryProblems:
    """What is wrong with a list query, collected field by field with messages people can act on.

    Each check adds at most one message for its field and ignores an empty value (an unset
    filter); `found` is the mapping a form shows beside its fields.
    """

    found: dict[str, str] = field(default_factory=dict)

    def _add(self, name: str, message: str) -> QueryProblems:
        self.found.setdefault(name, message)
        return self

    def choice(
        self,
        name: str,
        value: str,
        allowed: Iterable[str],
        message: str,
        *,
        required: bool = False,
    ) -> QueryProblems:
        """Refuse a code that is not one of `allowed`; an empty one too when `required`."""
        if (value or required) and value not in set(allowed):
            self._add(name, message)
        return self

    def sort(
        self,
        value: str,
        sorts: Collection[str],
        *,
        message: str = "Unknown sort order",
        required: bool = True,
    ) -> QueryProblems:
        """Refuse a sort key that is not offered (an empty key too, unless a default applies)."""
        return self.choice("sort", value, sorts, message, required=required)

    def page(self, page: int, page_size: int, *, name: str = "page") -> QueryProblems:
        """Refuse a page number below 1 or a page size that is not a positive number."""
        if page < 1:
            self._add(name, "Page number must be 1 or more")
        if page_size < 1:
            self._add("page_size", "Page size must be 1 or more")
        return self

    def date_range(
        self, start: date | None, end: date | None, *, name: str = "date_to"
    ) -> QueryProblems:
        """Refuse a range that ends before it starts (either end may be open)."""
        if start is not None and end is not None and start > end:
            self._add(name, "The end date must be the same as or after the start date")
        return self

    def record_id(self, name: str, value: str, message: str) -> QueryProblems:
        """Refuse an id in a filter that is set but not a whole number."""
        if value and not (value.isascii() and value.isdigit()):
            self._add(name, message)
        return self

    def max_length(self, name: str, value: str, limit: int, message: str) -> QueryProblems:
        """Refuse free text longer than `limit` characters."""
        if len(value) > limit:
            self._add(name, message)
        return self
