"""The measure registry: each action plan measure is one decorated query function.

A measure declares what it counts (its categories, which of them add up to which, whether the
wards add up to the borough), the strategy's target where one is set, and the record lists
behind it; its function returns the numbers for a quarter, per ward and for the borough. The
dashboard, its charts and tables, the anonymised data share and the tests all call the same
function, so a figure can never mean two things.

    @measure(key="welfare_visits", title="Welfare visits made", action="1.3",
             categories=(Category("visits", "Visits made"),), ...)
    def welfare_visits(session, actor, now, quarter, ward=None) -> Cells:
        ...

The decorated name is the measure's public query: `welfare_visits(session, actor, now,
quarter, ward)` checks the actor may see live figures and returns a `MeasureResult`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from enforcement.access import Actor, Permission, require
from enforcement.measures.quarters import Quarter

T = TypeVar("T")
#: The ward key of records outside every ward, not located, or whose ward is not known.
WARD_UNKNOWN = ""


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    #: Another measure's category that always holds the same counts (measure key, code): the
    #: two are published, or withheld, together (enforcement.measures.anonymise).
    same_as: tuple[str, str] | None = None


@dataclass(frozen=True)
class Share:
    """A proportion shown beside the counts: the sum of some categories over others."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Target:
    """The strategy's measure of success, in its words, and how to test it where it is a number.

    `share`: the measure's share must reach this. `count`: the category `count_of` must reach
    this. `increase_of`: the category should be higher than in the previous quarter.
    """

    text: str
    share: Fraction | None = None
    count: int | None = None
    count_of: str | None = None
    increase_of: str | None = None


@dataclass(frozen=True)
class RecordLink:
    """A list of the records behind a figure, filtered; shown only to holders of `permission`.

    `page` names an existing list page (the web layer maps it to a URL); `params` are its
    query-string filters, in order, repeated keys allowed (a date is day, month, year).
    """

    page: str
    label: str
    permission: Permission
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Cells:
    """What a measure's function returns: counts per ward key and category.

    `total` is given only where the wards do not add up to the borough (an officer covering
    three wards counts once overall); otherwise it is the sum of the wards.
    """

    by_ward: Mapping[str, Mapping[str, int]]
    total: Mapping[str, int] | None = None


#: A measure's query: (session, actor, now, quarter, ward or None for every ward) -> Cells.
QueryFunction = Callable[[Session, Actor, datetime, Quarter, str | None], Cells]


LinkFunction = Callable[[Quarter, str | None], Iterable[RecordLink]]


def _no_links(_quarter: Quarter, _ward: str | None) -> Iterable[RecordLink]:
    return ()


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    action: str  # the strategy's action plan number, "1.3"
    description: str
    categories: tuple[Category, ...]
    # The categories that add up to `total` (for the anonymisation's differencing check).
    parts: tuple[str, ...] = ()
    total: str | None = None
    wards_add_up: bool = True
    share: Share | None = None
    target: Target | None = None
    note: str | None = None
    links: LinkFunction = _no_links
    # The categories drawn as bars (all of them unless given).
    chart: tuple[str, ...] = ()

    def label_of(self, code: str) -> str:
        for c in self.categories:
            if c.code == code:
                return c.label
        raise KeyError(f"{self.key} has no category {code}")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @property
    def chart_codes(self) -> tuple[str, ...]:
        return self.chart or self.codes


@dataclass(frozen=True)
class MeasureResult:
    """A measure's numbers for one quarter: the borough's (or one ward's), and per ward."""

    measure: Measure
    quarter: Quarter
    ward: str | None
    total: Mapping[str, int]
    by_ward: Mapping[str, Mapping[str, int]]

    def padded(self, ward_codes: Iterable[str]) -> MeasureResult:
        """Return the result with every given ward present (zeros where it had no records)."""
        if self.ward is not None:
            return self
        zeros = {code: 0 for code in self.measure.codes}
        by_ward = {code: self.by_ward.get(code, zeros) for code in ward_codes}
        by_ward.update(self.by_ward)
        return MeasureResult(self.measure, self.quarter, self.ward, self.total, by_ward)

    def value(self, code: str, ward: str | None = None) -> int:
        cells = self.total if ward is None else self.by_ward.get(ward, {})
        return int(cells.get(code, 0))

    def share_of(self, cells: Mapping[str, int]) -> Fraction | None:
        share = self.measure.share
        if share is None:
            return None
        denominator = sum(cells.get(c, 0) for c in share.denominator)
        if denominator == 0:
            return None
        return Fraction(sum(cells.get(c, 0) for c in share.numerator), denominator)

    @property
    def share(self) -> Fraction | None:
        return self.share_of(self.total)

    @property
    def target(self) -> Target | None:
        return self.measure.target

    def target_met(self, previous: MeasureResult | None = None) -> bool | None:
        """Say whether the strategy's target is met (None: no numeric target, or no data)."""
        target = self.measure.target
        if target is None:
            return None
        if target.share is not None:
            share = self.share
            return None if share is None else share >= target.share
        if target.count is not None and target.count_of is not None:
            return self.value(target.count_of) >= target.count
        if target.increase_of is not None and previous is not None:
            return self.value(target.increase_of) > previous.value(target.increase_of)
        return None


_MEMO = "enforcement.measures.shared"


@contextmanager
def sharing(session: Session) -> Iterator[None]:
    """Let the measures run inside share work between them (one read-only batch: a dashboard,
    a data share). Outside it every measure computes afresh, so no figure is ever stale."""
    if _MEMO in session.info:
        yield
        return
    session.info[_MEMO] = {}
    try:
        yield
    finally:
        session.info.pop(_MEMO, None)


def shared(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """Return `compute()`, computed once per key within `sharing(session)`."""
    memo: dict[Hashable, Any] | None = session.info.get(_MEMO)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


_MEASURES: dict[str, Measure] = {}
_RUNNERS: dict[str, Callable[..., MeasureResult]] = {}


def measures() -> list[Measure]:
    """Return every registered measure, in the order the dashboard shows them."""
    return list(_MEASURES.values())


def get(key: str) -> Measure:
    return _MEASURES[key]


def _complete(measure: Measure, cells: Mapping[str, int]) -> dict[str, int]:
    return {code: int(cells.get(code, 0)) for code in measure.codes}


def measure(
    *,
    key: str,
    title: str,
    action: str,
    description: str,
    categories: tuple[Category, ...],
    parts: tuple[str, ...] = (),
    total: str | None = None,
    wards_add_up: bool = True,
    share: Share | None = None,
    target: Target | None = None,
    note: str | None = None,
    links: LinkFunction = _no_links,
    chart: tuple[str, ...] = (),
) -> Callable[[QueryFunction], Callable[..., MeasureResult]]:
    """Register a measure whose query is the decorated function (see the module docstring)."""

    def decorate(fn: QueryFunction) -> Callable[..., MeasureResult]:
        if key in _MEASURES:
            raise ValueError(f"measure {key} is already registered")
        spec = Measure(
            key=key,
            title=title,
            action=action,
            description=description,
            categories=categories,
            parts=parts,
            total=total,
            wards_add_up=wards_add_up,
            share=share,
            target=target,
            note=note,
            links=links,
            chart=chart,
        )
        known = set(spec.codes)
        for code in (*parts, *(() if total is None else (total,)), *chart):
            if code not in known:
                raise ValueError(f"measure {key}: unknown category {code}")

        @functools.wraps(fn)
        def run(
            session: Session,
            actor: Actor,
            now: datetime,
            quarter: Quarter,
            ward: str | None = None,
            cells: Cells | None = None,
        ) -> MeasureResult:
            require(actor, Permission.DASHBOARD_VIEW)
            if cells is None:
                cells = fn(session, actor, now, quarter, ward)
            elif ward is not None:
                # Every ward's counts, kept for the quarter (enforcement.measures.summaries):
                # the ward's are the same numbers its own query would count.
                cells = Cells(by_ward={ward: cells.by_ward.get(ward, {})})
            by_ward = {w: _complete(spec, c) for w, c in cells.by_ward.items()}
            if ward is not None:
                only = by_ward.get(ward, _complete(spec, {}))
                return MeasureResult(spec, quarter, ward, only, {ward: only})
            if cells.total is not None:
                overall = _complete(spec, cells.total)
            else:
                overall = {c: sum(w[c] for w in by_ward.values()) for c in spec.codes}
            return MeasureResult(spec, quarter, None, overall, by_ward)

        run.measure = spec  # type: ignore[attr-defined]
        _MEASURES[key] = spec
        _RUNNERS[key] = run
        return run

    return decorate


def run(
    measure_: Measure,
    session: Session,
    actor: Actor,
    now: datetime,
    quarter: Quarter,
    ward: str | None = None,
    cells: Cells | None = None,
) -> MeasureResult:
    """Run a registered measure's query (the same function its decorated name calls).

    `cells`: the quarter's counts for every ward, already known (a summary kept for a closed
    quarter); the query is then not run, and the ward's figures are taken from them.
    """
    return _RUNNERS[measure_.key](session, actor, now, quarter, ward, cells)
