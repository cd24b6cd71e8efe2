"""Anonymisation of the action plan figures before they leave for partners: one module, one rule set.

The rules (docs/data-share.md says the same for the people receiving the files):

1. **Counts only.** Nothing leaves as a record: a record-level row is a count of one. Every row
   is a count of records for one quarter, one ward (or all wards, or "ward not known") and one
   category of one registered measure.
2. **Small-number suppression.** A count of 1, 2, 3 or 4 is published as "fewer than 5"; 0 is
   published as 0 (it identifies no one) and 5 or more as the number. The threshold is the one
   set for the NRM data (nationality suppressed in every report below a count of 5; see
   docs/data-share.md); the strategy itself sets none.
3. **No differencing.** Where published cells add up to a published total (the wards to the
   borough, the parts of a measure to its total), a single suppressed cell could be worked out
   by subtracting the others from the total. So in every such group either no cell is withheld
   or at least two are: when exactly one is, the smallest non-zero published part of the group
   (or, failing one, its total) is withheld too and published as "suppressed" (it is 5 or
   more, so "fewer than 5" would be untrue). This runs until every group is safe. Two
   measures that publish the same count (the visits made, in the welfare visits measure and in
   the guidance measure; the licensed premises, in both poster measures: `Category.same_as`)
   are anonymised together, that count one cell of both: withheld in one, it is withheld in
   the other, so neither publishes what the other hides.
4. **A fixed schema.** Output rows carry exactly the fields of `SCHEMA` and nothing else; names,
   addresses, free text and exact dates cannot be expressed in it: places are ward codes (or
   "ALL", "UNKNOWN"), dates are months, labels come from the measure registry, never from input.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from enforcement.measures import registry
from enforcement.measures.quarters import Quarter
from enforcement.measures.registry import WARD_UNKNOWN, MeasureResult

THRESHOLD = 5
FEWER_THAN_5 = "fewer than 5"
SUPPRESSED = "suppressed"
Value = int | str

ALL_WARDS = "ALL"
UNKNOWN_WARD = "UNKNOWN"
ALL_WARDS_NAME = "All wards"
UNKNOWN_WARD_NAME = "Outside the borough, not located, or ward not known"

#: Every field an output row carries, in file order; nothing else ever does.
SCHEMA: tuple[str, ...] = (
    "quarter",
    "month_from",
    "month_to",
    "ward_code",
    "ward_name",
    "action",
    "measure",
    "measure_label",
    "category",
    "category_label",
    "value",
    "target",
)

_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# ONS (GSS) ward codes are a letter and eight digits; the fictional demo borough uses X05.
_WARD_CODE = re.compile(r"^[A-Z]\d{8}$")
# A name as boundary files give them (letters of any script, no digits): never a postcode, a
# house number, a line of an address or a note.
_WARD_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ &'\u2019.,()\-\u2013]){0,119}$")

K = TypeVar("K", bound=Hashable)


def publish(count: int) -> Value:
    """Apply the small-number rule to one count: 1 to 4 become "fewer than 5"."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    return FEWER_THAN_5 if 0 < count < THRESHOLD else count


@dataclass(frozen=True)
class Group(Generic[K]):
    """Cells that add up to a total cell, both published: the differencing risk."""

    parts: tuple[K, ...]
    total: K


def suppress(cells: Mapping[K, int], groups: Iterable[Group[K]]) -> dict[K, Value]:
    """Return every cell as it may be published: small numbers and their complements withheld.

    Primary: each count 1 to 4 is "fewer than 5". Secondary: in each group with exactly one
    withheld cell, the smallest non-zero published part (or the total) is "suppressed", until
    no group has exactly one. Groups whose cells are missing from `cells` are ignored.
    """
    out: dict[K, Value] = {key: publish(n) for key, n in cells.items()}
    usable = [g for g in groups if g.total in cells and all(p in cells for p in g.parts)]
    changed = True
    while changed:
        changed = False
        for group in usable:
            members = (*group.parts, group.total)
            hidden = [k for k in members if isinstance(out[k], str)]
            if len(hidden) != 1:
                continue
            candidates = sorted(
                (cells[p], i)
                for i, p in enumerate(group.parts)
                if out[p] != 0 and not isinstance(out[p], str)
            )
            if candidates:
                out[group.parts[candidates[0][1]]] = SUPPRESSED
            elif out[group.total] != 0 and not isinstance(out[group.total], str):
                out[group.total] = SUPPRESSED
            else:
                continue
            changed = True
    return out


def month_of(value: Any) -> str:
    """Return a month as "YYYY-MM" from a date, a datetime or such a string; refuse anything else."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value)
    if not _MONTH.match(text):
        raise ValueError(f"not a month: {text!r}")
    return text


def to_row(fields: Mapping[str, Any]) -> dict[str, Value]:
    """Build one output row from the given fields, keeping only the schema's.

    Takes quarter, month_from, month_to, ward_code, ward_name, measure, category and value;
    the action, labels and target are the registry's, never the caller's. Anything else in
    `fields` (a name, an address, a note) is not copied. A count 1 to 4 is published as "fewer
    than 5" even if the caller forgot. Raises ValueError for a value the schema cannot hold.
    """
    quarter = str(fields["quarter"])
    if not _QUARTER.match(quarter):
        raise ValueError(f"not a quarter: {quarter!r}")
    ward_code = str(fields["ward_code"])
    if ward_code not in (ALL_WARDS, UNKNOWN_WARD) and not _WARD_CODE.match(ward_code):
        raise ValueError(f"not a ward code: {ward_code!r}")
    ward_name = str(fields["ward_name"])
    if not _WARD_NAME.match(ward_name):
        raise ValueError(f"not a ward name: {ward_name!r}")
    spec = registry.get(str(fields["measure"]))
    category = str(fields["category"])
    category_label = spec.label_of(category)
    raw = fields["value"]
    value: Value
    if isinstance(raw, bool):
        raise ValueError("a value is a count")
    if isinstance(raw, int):
        value = publish(raw)
    elif raw in (FEWER_THAN_5, SUPPRESSED):
        value = str(raw)
    else:
        raise ValueError(f"not a publishable value: {raw!r}")
    row: dict[str, Value] = {
        "quarter": quarter,
        "month_from": month_of(fields["month_from"]),
        "month_to": month_of(fields["month_to"]),
        "ward_code": ward_code,
        "ward_name": ward_name,
        "action": spec.action,
        "measure": spec.key,
        "measure_label": spec.title,
        "category": category,
        "category_label": category_label,
        "value": value,
        "target": spec.target.text if spec.target is not None else "",
    }
    assert tuple(row) == SCHEMA
    return row


def _ward(key: str) -> str:
    return UNKNOWN_WARD if key == WARD_UNKNOWN else key


def groups_of(result: MeasureResult) -> list[Group[tuple[str, str]]]:
    """Return the additive groups of a measure's cells, keyed (ward code or ALL, category)."""
    spec = result.measure
    wards = [_ward(w) for w in result.by_ward]
    groups: list[Group[tuple[str, str]]] = []
    if spec.total is not None and spec.parts:
        for w in (*wards, ALL_WARDS):
            groups.append(Group(tuple((w, p) for p in spec.parts), (w, spec.total)))
    if spec.wards_add_up and wards:
        for code in spec.codes:
            groups.append(Group(tuple((w, code) for w in wards), (ALL_WARDS, code)))
    return groups


def anonymise_result(result: MeasureResult) -> dict[tuple[str, str], Value]:
    """Return a borough-wide result's cells (ward code or ALL, category) as they may be published."""
    return anonymise_results([result])[result.measure.key]


Cell = tuple[str, str, str]  # (measure key, ward code or ALL, category)


def anonymise_results(
    results: Sequence[MeasureResult],
) -> dict[str, dict[tuple[str, str], Value]]:
    """Return borough-wide results' cells as they may be published, by measure key.

    The measures are anonymised together: a category that holds the same counts as another
    measure's (`Category.same_as`, both among `results`) is one cell with it, so each group of
    either measure sees it withheld when the other's groups withhold it.
    """
    keys = {r.measure.key for r in results}
    cells: dict[Cell, int] = {}
    groups: list[Group[Cell]] = []
    shown: dict[str, dict[tuple[str, str], Cell]] = {}
    for result in results:
        if result.ward is not None:
            raise ValueError(
                "anonymise the borough-wide result: a ward's alone hides its differences"
            )
        spec = result.measure
        same = {c.code: c.same_as for c in spec.categories if c.same_as and c.same_as[0] in keys}

        def cell(ward: str, code: str, spec_key: str = spec.key, same: Any = same) -> Cell:
            other = same.get(code)
            return (other[0], ward, other[1]) if other else (spec_key, ward, code)

        own: dict[tuple[str, str], Cell] = {}
        for w, values in result.by_ward.items():
            for code in spec.codes:
                own[(_ward(w), code)] = key = cell(_ward(w), code)
                cells.setdefault(key, values.get(code, 0))
        for code in spec.codes:
            own[(ALL_WARDS, code)] = key = cell(ALL_WARDS, code)
            cells.setdefault(key, result.total.get(code, 0))
        shown[spec.key] = own
        groups.extend(
            Group(tuple(own[p] for p in g.parts), own[g.total]) for g in groups_of(result)
        )
    published = suppress(cells, groups)
    return {
        measure: {place: published[key] for place, key in own.items()}
        for measure, own in shown.items()
    }


def share_rows(
    quarter: Quarter,
    results: Sequence[MeasureResult],
    ward_names: Mapping[str, str],
    ward_codes: Iterable[str] = (),
) -> list[dict[str, Value]]:
    """Return the data share's rows for a quarter's borough-wide results, anonymised.

    One row per measure, ward (each of `ward_codes`, every other ward with a figure, all wards,
    ward not known) and category; the borough first, then wards in code order.
    """
    month_from, month_to = quarter.months
    codes = list(ward_codes)
    rows: list[dict[str, Value]] = []
    if any(result.quarter != quarter for result in results):
        raise ValueError("every result must be for the share's quarter")
    together = anonymise_results([result.padded(codes) for result in results])
    for result in results:
        published = together[result.measure.key]
        wards = sorted(
            {w for w, _ in published} - {ALL_WARDS}, key=lambda w: (w == UNKNOWN_WARD, w)
        )
        for w in (ALL_WARDS, *wards):
            name = (
                ALL_WARDS_NAME
                if w == ALL_WARDS
                else UNKNOWN_WARD_NAME
                if w == UNKNOWN_WARD
                else ward_names.get(w, w)
            )
            for code in result.measure.codes:
                rows.append(
                    to_row(
                        {
                            "quarter": quarter.code,
                            "month_from": month_from,
                            "month_to": month_to,
                            "ward_code": w,
                            "ward_name": name,
                            "measure": result.measure.key,
                            "category": code,
                            "value": published[(w, code)],
                        }
                    )
                )
    return rows


def check_rows(rows: Iterable[Mapping[str, Any]]) -> None:
    """Raise ValueError unless every row has exactly the schema's fields and no count 1 to 4."""
    for n, row in enumerate(rows, start=1):
        if tuple(row) != SCHEMA:
            raise ValueError(f"row {n} does not have the schema's fields")
        value = row["value"]
        if isinstance(value, int) and 0 < value < THRESHOLD:
            raise ValueError(f"row {n} carries a count below {THRESHOLD}")
