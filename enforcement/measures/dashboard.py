"""The action plan dashboard: every measure for a quarter, live, anonymised, or as signed off.

Three forms of the same figures, one shape (`Dashboard`), so one page shows them all:

- live (supervisors, analysts): the measures' own numbers, the previous quarter beside those
  whose target is an increase, and links to the records behind each figure, only those the
  person's roles open;
- anonymised preview (the same people): the whole borough's figures anonymised exactly as the
  data share will be, then the chosen ward's cells taken from that (never a ward anonymised
  alone, which would hide nothing from differencing);
- signed off (partners, and everyone who may see the share): the rows of the quarter's
  signed-off data share. No links, no live query of any record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlalchemy.orm import Session

from enforcement.access import Actor, Permission, can, require
from enforcement.clock import london_today
from enforcement.errors import ValidationFailed
from enforcement.measures import anonymise, data_share, registry, summaries
from enforcement.measures.anonymise import ALL_WARDS, FEWER_THAN_5, UNKNOWN_WARD, Value
from enforcement.measures.quarters import Quarter
from enforcement.measures.registry import WARD_UNKNOWN, Measure, MeasureResult, RecordLink
from enforcement.register.wards import wards_in_force
from enforcement.welfare.visits import ward_names

LIVE = "live"
PREVIEW = "preview"
SIGNED_OFF = "signed_off"


@dataclass(frozen=True)
class WardLine:
    """One ward's figures in a measure's ward table ("" is the unknown ward)."""

    key: str
    name: str
    values: Mapping[str, Value]
    share: Fraction | None
    links: Sequence[RecordLink] = ()


@dataclass(frozen=True)
class FigureView:
    measure: Measure
    values: Mapping[str, Value]
    share: Fraction | None
    target_met: bool | None
    previous: Mapping[str, Value] | None = None
    links: Sequence[RecordLink] = ()
    wards: Sequence[WardLine] = ()

    def label(self, code: str) -> str:
        return self.measure.label_of(code)


@dataclass(frozen=True)
class Dashboard:
    quarter: Quarter
    ward: str | None
    ward_name: str | None
    form: str  # LIVE, PREVIEW or SIGNED_OFF
    figures: Sequence[FigureView]
    share: data_share.ShareSummary | None = None
    ward_choices: Sequence[tuple[str, str]] = field(default_factory=list)
    # When the oldest summary read was computed (None: every figure was counted just now).
    summarised_at: datetime | None = None

    @property
    def anonymised(self) -> bool:
        return self.form != LIVE


def ward_choices(session: Session, now: datetime, quarter: Quarter) -> list[tuple[str, str]]:
    """Return (code, name) of the wards in force at the quarter's end (or today), by name."""
    as_of = min(quarter.last_day, london_today(now))
    return [(w.code, w.name) for w in wards_in_force(session, as_of)]


def _check_ward(choices: Sequence[tuple[str, str]], ward: str | None) -> str | None:
    if ward is None:
        return None
    for code, name in choices:
        if code == ward:
            return name
    raise ValidationFailed({"ward": "Choose a ward from the list"})


def share_of(measure: Measure, cells: Mapping[str, Value]) -> Fraction | None:
    """Return the measure's share of the cells, or None if a cell it needs is withheld or zero."""
    if measure.share is None:
        return None
    needed = (*measure.share.numerator, *measure.share.denominator)
    if any(not isinstance(cells.get(c, 0), int) for c in needed):
        return None
    denominator = sum(int(cells.get(c, 0)) for c in measure.share.denominator)
    if denominator == 0:
        return None
    return Fraction(sum(int(cells.get(c, 0)) for c in measure.share.numerator), denominator)


def target_met(
    measure: Measure, cells: Mapping[str, Value], previous: Mapping[str, Value] | None
) -> bool | None:
    """Say whether the cells meet the strategy's target (None: no numeric target, or unknown)."""
    target = measure.target
    if target is None:
        return None
    if target.share is not None:
        share = share_of(measure, cells)
        return None if share is None else share >= target.share
    if target.count is not None and target.count_of is not None:
        value = cells.get(target.count_of, 0)
        if isinstance(value, int):
            return value >= target.count
        if value == FEWER_THAN_5 and target.count >= anonymise.THRESHOLD:
            return False  # fewer than 5 is below any target of 5 or more
        return None
    if target.increase_of is not None and previous is not None:
        now_, before = cells.get(target.increase_of, 0), previous.get(target.increase_of, 0)
        if isinstance(now_, int) and isinstance(before, int):
            return now_ > before
    return None


def _allowed(actor: Actor, links: Sequence[RecordLink]) -> list[RecordLink]:
    return [link for link in links if can(actor, link.permission)]


def _ward_name(names: Mapping[str, str], key: str) -> str:
    if key == WARD_UNKNOWN:
        return anonymise.UNKNOWN_WARD_NAME
    return names.get(key, key)


def _ward_order(names: Mapping[str, str], key: str) -> tuple[bool, str]:
    return key == WARD_UNKNOWN, _ward_name(names, key)


def _live_view(
    actor: Actor,
    result: MeasureResult,
    previous: MeasureResult | None,
    names: Mapping[str, str],
) -> FigureView:
    spec = result.measure
    wards: list[WardLine] = []
    if result.ward is None:
        wards = [
            WardLine(
                key,
                _ward_name(names, key),
                values,
                result.share_of(values),
                _allowed(actor, list(spec.links(result.quarter, key))),
            )
            for key, values in sorted(
                result.by_ward.items(), key=lambda kv: _ward_order(names, kv[0])
            )
        ]
    return FigureView(
        measure=spec,
        values=result.total,
        share=result.share,
        target_met=result.target_met(previous),
        previous=None if previous is None else previous.total,
        links=_allowed(actor, list(spec.links(result.quarter, result.ward))),
        wards=wards,
    )


def _frame(
    session: Session, actor: Actor, now: datetime, quarter: Quarter, ward: str | None
) -> tuple[list[tuple[str, str]], str | None, dict[str, str], list[str]]:
    """Check the actor may see live figures and the ward is one of the quarter's; return the
    ward choices, the chosen ward's name, every ward's name and the ward codes to pad with."""
    require(actor, Permission.DASHBOARD_VIEW)
    choices = ward_choices(session, now, quarter)
    ward_name = _check_ward(choices, ward)
    return choices, ward_name, dict(ward_names(session)), [code for code, _ in choices]


def live_dashboard(
    session: Session, actor: Actor, now: datetime, quarter: Quarter, ward: str | None = None
) -> Dashboard:
    """Return every measure for the quarter (and ward), with links the actor may follow."""
    choices, ward_name, names, codes = _frame(session, actor, now, quarter, ward)
    kept = summaries.read(session, actor, now, (quarter, quarter.previous))
    figures = []
    with registry.sharing(session):
        for spec in registry.measures():
            result = registry.run(
                spec, session, actor, now, quarter, ward, kept.get(spec.key, quarter)
            ).padded(codes)
            previous = None
            if spec.target is not None and spec.target.increase_of is not None:
                previous = registry.run(
                    spec,
                    session,
                    actor,
                    now,
                    quarter.previous,
                    ward,
                    kept.get(spec.key, quarter.previous),
                )
            figures.append(_live_view(actor, result, previous, names))
    return Dashboard(
        quarter, ward, ward_name, LIVE, figures, ward_choices=choices, summarised_at=kept.oldest
    )


def _published_view(
    spec: Measure,
    cells: Mapping[tuple[str, str], Value],
    ward: str | None,
    names: Mapping[str, str],
) -> FigureView:
    scope = ALL_WARDS if ward is None else (UNKNOWN_WARD if ward == WARD_UNKNOWN else ward)
    values = {code: cells.get((scope, code), 0) for code in spec.codes}
    wards: list[WardLine] = []
    if ward is None:
        keys = sorted({w for w, _ in cells} - {ALL_WARDS})
        for key in keys:
            domain_key = WARD_UNKNOWN if key == UNKNOWN_WARD else key
            line = {code: cells.get((key, code), 0) for code in spec.codes}
            wards.append(
                WardLine(domain_key, _ward_name(names, domain_key), line, share_of(spec, line))
            )
        wards.sort(key=lambda w: _ward_order(names, w.key))
    return FigureView(
        measure=spec,
        values=values,
        share=share_of(spec, values),
        target_met=target_met(spec, values, None),
        wards=wards,
    )


def anonymised_preview(
    session: Session, actor: Actor, now: datetime, quarter: Quarter, ward: str | None = None
) -> Dashboard:
    """Return the live figures as partners would see them once shared (not signed off)."""
    choices, ward_name, names, codes = _frame(session, actor, now, quarter, ward)
    kept = summaries.read(session, actor, now, (quarter,))
    with registry.sharing(session):
        boroughs = [
            registry.run(
                spec, session, actor, now, quarter, None, kept.get(spec.key, quarter)
            ).padded(codes)
            for spec in registry.measures()
        ]
    # Anonymised together, as the data share is (anonymise.anonymise_results).
    published = anonymise.anonymise_results(boroughs)
    figures = [_published_view(b.measure, published[b.measure.key], ward, names) for b in boroughs]
    return Dashboard(
        quarter, ward, ward_name, PREVIEW, figures, ward_choices=choices, summarised_at=kept.oldest
    )


def signed_off_dashboard(
    session: Session, actor: Actor, now: datetime, quarter: Quarter, ward: str | None = None
) -> Dashboard:
    """Return the quarter's signed-off data share as dashboard figures (empty if there is none).

    Reads only the frozen, anonymised rows a supervisor signed off: no record is queried.
    """
    require(actor, Permission.DASHBOARD_SHARED)
    choices = ward_choices(session, now, quarter)
    ward_name = _check_ward(choices, ward)
    found = data_share.signed_off_rows(session, actor, quarter)
    if found is None:
        return Dashboard(quarter, ward, ward_name, SIGNED_OFF, [], None, choices)
    summary, rows = found
    names = {str(r["ward_code"]): str(r["ward_name"]) for r in rows}
    by_measure: dict[str, dict[tuple[str, str], Value]] = {}
    for row in rows:
        by_measure.setdefault(str(row["measure"]), {})[
            (str(row["ward_code"]), str(row["category"]))
        ] = row["value"]
    figures = []
    for spec in registry.measures():
        cells = by_measure.get(spec.key)
        if cells is None:
            continue  # a measure added after this share was produced
        figures.append(_published_view(spec, cells, ward, names))
    return Dashboard(quarter, ward, ward_name, SIGNED_OFF, figures, summary, choices)
