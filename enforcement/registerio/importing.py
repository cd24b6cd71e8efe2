"""Matching an import file against the register, previewing what it would change, applying it.

Records are matched by licence reference (within its type of licence), then by the premises'
source (FHRS id, Gambling Commission reference), then by UPRN; a record matching nothing is new.
A matched record whose values differ is changed, field by field; one changed in the app since
the last import left it (its fields no longer hash to the fingerprint that import stored) is a
conflict, left as it is unless the person importing chooses the file's version. Applying is one
transaction: the caller commits once, or nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, selectinload

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.clock import london_today
from enforcement.errors import ValidationFailed
from enforcement.models import Licence, LicenceCondition, Premises, PremisesWard, summaries
from enforcement.register import licences, premises, wards
from enforcement.registerio import expiry
from enforcement.registerio.sources import ImportFileError, Incoming, Read, Refused

Progress = Callable[[int, int], None]

PREMISES_KEYS = ("name", "address", "postcode", "longitude", "latitude")
LICENCE_KEYS = (
    "regime",
    "reference",
    "holder_name",
    "status",
    "starts_on",
    "expires_on",
    "opening_hours",
    *licences.ESD_FIELDS,
    "conditions",
)
_DATE_KEYS = {"starts_on", "expires_on", "case_date", "decision_date"}
NEW, CHANGED, UNCHANGED, CONFLICT = "new", "changed", "unchanged", "conflict"
LIST_LIMIT = 1000  # items of each kind a preview keeps in full (the counts are always complete)
FLUSH_EVERY = 500


def _no_progress(_done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class Options:
    """Choices for one import: leave out premises outside the borough's wards; take the file's
    version of conflicting records instead of keeping the app's; import the file although some
    of its rows were refused, leaving those rows out (without it, a file with a refused row
    writes nothing: docs/register.md)."""

    skip_outside: bool = False
    take_conflicts: bool = False
    leave_out_refused: bool = False


def refused_rows(count: int) -> str:
    """ "the refused row", or "the 12 refused rows": how a choice about them names them."""
    return "the refused row" if count == 1 else f"the {count:,} refused rows"


def refused_rows_message(count: int) -> str:
    """Why a file with refused rows was not imported, and the two ways on."""
    rows = "1 row of the file was" if count == 1 else f"{count:,} rows of the file were"
    return (
        f"{rows} refused, each listed with its line and the reason: correct the file and import"
        " it again, or choose to leave the refused rows out and import the rest."
    )


@dataclass
class Item:
    """What the import would do with one record of the file."""

    record: Incoming
    kind: str
    premises_id: int | None
    licence_id: int | None
    premises_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    licence_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    premises_conflict: bool = False
    licence_conflict: bool = False
    # The licence's conditions in the file's order (numbered so when the licence is new).
    conditions_in_order: list[str] = field(default_factory=list)
    # The UPRN the matched premises is given, having none (it never conflicts: nothing is lost).
    fill_uprn: str | None = None

    @property
    def conflicting(self) -> bool:
        """Whether the import would overwrite something changed in the app since the last one:
        a matched record's, or a new licence's premises' (already in the register)."""
        return self.kind == CONFLICT or (self.kind == NEW and self.premises_conflict)


@dataclass(frozen=True)
class Disagreement:
    """A row describing a premises an earlier row of the file described otherwise: the earlier
    row's description is the one imported, so that the same file always imports the same."""

    line: int
    first_line: int
    label: str
    fields: dict[str, tuple[Any, Any]]


@dataclass
class Plan:
    items: list[Item] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)
    outside: int = 0
    no_location: list[str] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)

    def count(self, kind: str) -> int:
        if kind == CONFLICT:
            return sum(1 for item in self.items if item.conflicting)
        return sum(1 for item in self.items if item.kind == kind)

    def counts(self) -> dict[str, int]:
        return {
            NEW: self.count(NEW),
            CHANGED: self.count(CHANGED),
            UNCHANGED: self.count(UNCHANGED),
            CONFLICT: self.count(CONFLICT),
            "refused": len(self.refused),
            "left_out": sum(self.left_out.values()),
            "outside_borough": self.outside,
            "no_location": len(self.no_location),
        }

    def report(self) -> dict[str, Any]:
        """The preview as JSON-ready data: the counts, and each kind's records up to a limit."""

        def entry(item: Item) -> dict[str, Any]:
            changes = [
                {"record": what, "field": name, "before": before, "after": after}
                for what, found in (
                    ("premises", item.premises_changes),
                    ("licence", item.licence_changes),
                )
                for name, (before, after) in found.items()
            ]
            return {"line": item.record.line, "label": item.record.label, "changes": changes}

        return {
            "counts": self.counts(),
            "new": [entry(i) for i in self.items if i.kind == NEW][:LIST_LIMIT],
            "changed": [entry(i) for i in self.items if i.kind == CHANGED][:LIST_LIMIT],
            "conflict": [entry(i) for i in self.items if i.conflicting][:LIST_LIMIT],
            "refused": [{"line": r.line, "reason": r.reason} for r in self.refused],
            "left_out": self.left_out,
            "no_location": self.no_location[:LIST_LIMIT],
            "disagreements": [
                {
                    "line": d.line,
                    "first_line": d.first_line,
                    "label": d.label,
                    "changes": [
                        {"record": "premises", "field": name, "before": first, "after": this}
                        for name, (first, this) in d.fields.items()
                    ],
                }
                for d in self.disagreements[:LIST_LIMIT]
            ],
        }


def fingerprint(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def join_address(*parts: str | None) -> str:
    return ", ".join(p for p in parts if p)


def split_address(address: str) -> tuple[str, str | None]:
    first, _, rest = address.partition(", ")
    return first, rest or None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _premises_values(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "address": join_address(row.address_line1, row.address_line2, row.town),
        "postcode": row.postcode,
        "longitude": _round(row.longitude),
        "latitude": _round(row.latitude),
    }


def normal_condition(text: str) -> str:
    """A condition as a one-line esd field holds it ("|" separates conditions there)."""
    return " ".join(text.replace("|", "/").split())


def _licence_values(row: Any, conditions: list[str]) -> dict[str, Any]:
    values = {k: getattr(row, k) for k in LICENCE_KEYS if k != "conditions"}
    for key in _DATE_KEYS:
        values[key] = values[key].isoformat() if values[key] else None
    values["conditions"] = sorted(normal_condition(c) for c in conditions)
    return values


@dataclass
class _Register:
    """The register as an import sees it: plain values, read in a few queries."""

    premises: dict[int, dict[str, Any]]
    premises_fp: dict[int, str | None]
    premises_uprn: dict[int, str | None]
    by_source: dict[str, int]
    by_uprn: dict[str, int]
    licences: dict[tuple[str, str], tuple[int, int]]
    licence_values: dict[int, dict[str, Any]]
    licence_fp: dict[int, str | None]


def _load(session: Session, regimes: Iterable[str]) -> _Register:
    reg = _Register({}, {}, {}, {}, {}, {}, {}, {})
    columns = (
        Premises.id,
        Premises.source_ref,
        Premises.uprn,
        Premises.name,
        Premises.address_line1,
        Premises.address_line2,
        Premises.town,
        Premises.postcode,
        Premises.longitude,
        Premises.latitude,
        Premises.import_fingerprint,
    )
    for row in session.execute(select(*columns).order_by(Premises.id)):
        reg.premises[row.id] = _premises_values(row)
        reg.premises_fp[row.id] = row.import_fingerprint
        reg.premises_uprn[row.id] = row.uprn
        if row.source_ref:
            reg.by_source[row.source_ref] = row.id
        if row.uprn:
            reg.by_uprn.setdefault(row.uprn, row.id)
    regimes = sorted(set(regimes))
    if not regimes:
        return reg
    conditions: dict[int, list[str]] = {}
    for licence_id, text in session.execute(
        select(LicenceCondition.licence_id, LicenceCondition.text)
        .join(Licence, Licence.id == LicenceCondition.licence_id)
        .where(LicenceCondition.is_active, Licence.regime.in_(regimes))
        .order_by(LicenceCondition.licence_id, LicenceCondition.number, LicenceCondition.id)
    ):
        conditions.setdefault(licence_id, []).append(text)
    licence_columns = [getattr(Licence, k) for k in LICENCE_KEYS if k != "conditions"]
    # A premises is found by the UPRN of a licence it holds too, after the premises' own: one
    # whose UPRN was typed on a licence only is not made again by a file's next licence there.
    for uprn, premises_id in session.execute(
        select(Licence.uprn, Licence.premises_id)
        .where(Licence.uprn.is_not(None))
        .order_by(Licence.id)
    ):
        if uprn:
            reg.by_uprn.setdefault(uprn, premises_id)
    for row in session.execute(
        select(Licence.id, Licence.premises_id, Licence.import_fingerprint, *licence_columns)
        .where(Licence.regime.in_(regimes))
        .order_by(Licence.id)
    ):
        reg.licences[(row.regime, row.reference)] = (row.id, row.premises_id)
        reg.licence_values[row.id] = _licence_values(row, conditions.get(row.id, []))
        reg.licence_fp[row.id] = row.import_fingerprint
    return reg


def _differences(current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (current.get(k), v) for k, v in incoming.items() if current.get(k) != v}


def _compare(
    current: dict[str, Any], incoming: dict[str, Any], stored: str | None
) -> tuple[dict[str, tuple[Any, Any]], bool]:
    """What the file would change in a record, and whether that is a conflict: the record has
    changed in the register since the import last wrote it (`stored` is that fingerprint)."""
    changes = _differences(current, incoming)
    return changes, bool(changes) and stored not in (None, fingerprint(current))


def _tidy_premises(session: Session, record: Incoming) -> dict[str, Any]:
    """The record's premises values in the register's form; raises ValidationFailed."""
    p = record.premises
    address = " ".join(str(p.get("address") or "").split())
    first, second = split_address(address)
    checked = premises.validate_premises(
        session,
        premises.PremisesInput(
            name=str(p.get("name") or ""),
            address_line1=first,
            address_line2=second,
            postcode=p.get("postcode"),
            uprn=record.uprn,
            premises_type=record.premises_type,
            longitude=p.get("longitude"),
            latitude=p.get("latitude"),
        ),
    )
    values: dict[str, Any] = {
        "name": checked.name,
        "address": join_address(checked.address_line1, checked.address_line2),
        "postcode": checked.postcode,
    }
    if "longitude" in p:
        values["longitude"] = _round(checked.longitude)
        values["latitude"] = _round(checked.latitude)
    return values


def _tidy_licence(session: Session, record: Incoming) -> dict[str, Any]:
    assert record.licence is not None
    data = dict(record.licence)
    conditions = tuple(data.pop("conditions", ()))
    for key in _DATE_KEYS & set(data):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    checked = licences.validate_licence(
        session, licences.LicenceInput(**data, conditions=conditions), None, check_clash=False
    )
    values = {k: getattr(checked, k) for k in record.licence if k != "conditions"}
    for key in _DATE_KEYS & set(values):
        values[key] = values[key].isoformat() if values[key] else None
    if "conditions" in record.licence:
        values["conditions"] = sorted(normal_condition(c) for c in checked.conditions)
    return values


def _problems(exc: ValidationFailed, columns: Mapping[str, str]) -> str:
    """A refused record's problems, each under the file's own name for the field."""
    return "; ".join(f"{columns.get(k, k)}: {v}" for k, v in exc.errors.items())


def plan_import(
    session: Session,
    read: Read,
    options: Options,
    *,
    now: datetime,
    progress: Progress = _no_progress,
) -> Plan:
    """Work out what importing the records read would do, changing nothing."""
    regimes = {r.licence["regime"] for r in read.records if r.licence}
    reg = _load(session, regimes)
    locator = wards.locator(session, london_today(now))
    plan = Plan(refused=list(read.refused), left_out=dict(read.left_out))
    pending_source: dict[str, Item] = {}
    pending_uprn: dict[str, Item] = {}
    seen_licences: dict[tuple[str, str], int] = {}
    # Each premises a row has described (by id; a new one by its creating item): line, values.
    claimed: dict[int, tuple[int, dict[str, Any]]] = {}
    total = len(read.records)
    for done, record in enumerate(read.records, start=1):
        if done % 1000 == 0:
            progress(done, total)
        try:
            p_values = _tidy_premises(session, record)
            l_values = _tidy_licence(session, record) if record.licence else None
        except ValidationFailed as exc:
            plan.refused.append(Refused(record.line, _problems(exc, read.columns)))
            continue
        if l_values is not None:
            key = (l_values["regime"], l_values["reference"])
            if key in seen_licences:
                plan.refused.append(
                    Refused(record.line, f"licence {key[1]} repeats line {seen_licences[key]}")
                )
                continue
            seen_licences[key] = record.line
        has_location = p_values.get("longitude") is not None
        if has_location and locator.ward_id(p_values["longitude"], p_values["latitude"]) is None:
            if options.skip_outside:
                plan.left_out["outside the borough's wards"] = (
                    plan.left_out.get("outside the borough's wards", 0) + 1
                )
                continue
            plan.outside += 1
        item = _match(reg, record, l_values, pending_source, pending_uprn)
        record_with = Incoming(
            line=record.line,
            label=record.label,
            premises=p_values,
            premises_type=record.premises_type,
            source_ref=record.source_ref,
            uprn=record.uprn,
            licence=l_values,
        )
        item.record = record_with
        if record.licence:
            item.conditions_in_order = [
                normal_condition(c) for c in record.licence.get("conditions", []) if c.strip()
            ]
        # The first row of the file describing a premises is the one imported; a later row
        # describing it otherwise is reported, so the same file always imports the same (two
        # licences at one UPRN under two names no longer swap the name at every import).
        premises_key = item.premises_id if item.premises_id is not None else -id(item)
        described = claimed.get(premises_key)
        if described is not None:
            first_line, first_values = described
            if differ := _differences(first_values, p_values):
                plan.disagreements.append(
                    Disagreement(record.line, first_line, record.label, differ)
                )
        else:
            claimed[premises_key] = (record.line, p_values)
            if item.premises_id is not None and item.premises_id > 0:
                # Checked whether the licence is new or not: a new licence at a premises the
                # register holds must not overwrite what an officer changed there either.
                item.premises_changes, item.premises_conflict = _compare(
                    reg.premises[item.premises_id], p_values, reg.premises_fp[item.premises_id]
                )
        if item.licence_id is not None and l_values is not None:
            item.licence_changes, item.licence_conflict = _compare(
                reg.licence_values[item.licence_id], l_values, reg.licence_fp[item.licence_id]
            )
        _fill_uprn(reg, item, pending_uprn)
        if item.kind != NEW:
            if item.premises_conflict or item.licence_conflict:
                item.kind = CONFLICT
            elif item.premises_changes or item.licence_changes:
                item.kind = CHANGED
        known = reg.premises.get(item.premises_id or 0)
        if not has_location and (known is None or known["longitude"] is None):
            plan.no_location.append(record.label)
        plan.items.append(item)
    progress(total, total)
    plan.refused.sort(key=lambda r: r.line)
    return plan


def _fill_uprn(reg: _Register, item: Item, pending_uprn: dict[str, Item]) -> None:
    """Give a matched premises that has no UPRN the one the row brings for its licence (a new
    licence, or one the register held without that UPRN), unless another premises (in the
    register, or new in this file) has it: later rows of the file, and later files, then find
    the premises by it instead of making a second one."""
    uprn, premises_id = item.record.uprn, item.premises_id
    if not uprn or premises_id is None or premises_id <= 0:
        return
    if item.licence_id is not None and "uprn" not in item.licence_changes:
        return  # nothing new: the licence held it already, and the file repeats it
    if reg.premises_uprn.get(premises_id) is not None or uprn in pending_uprn:
        return
    if reg.by_uprn.get(uprn, premises_id) != premises_id:
        return
    item.fill_uprn = uprn
    item.premises_changes["uprn"] = (None, uprn)
    reg.premises_uprn[premises_id] = uprn
    reg.by_uprn[uprn] = premises_id


def _match(
    reg: _Register,
    record: Incoming,
    l_values: dict[str, Any] | None,
    pending_source: dict[str, Item],
    pending_uprn: dict[str, Item],
) -> Item:
    licence_id = premises_id = None
    if l_values is not None:
        found = reg.licences.get((l_values["regime"], l_values["reference"]))
        if found is not None:
            licence_id, premises_id = found
    if premises_id is None and record.source_ref:
        premises_id = reg.by_source.get(record.source_ref)
    if premises_id is None and record.uprn:
        premises_id = reg.by_uprn.get(record.uprn)
    new = premises_id is None or (l_values is not None and licence_id is None)
    item = Item(record, NEW if new else UNCHANGED, premises_id, licence_id)
    if premises_id is None:
        # Several records of one file may share a new premises (licences at one address).
        shared = (record.source_ref and pending_source.get(record.source_ref)) or (
            record.uprn and pending_uprn.get(record.uprn)
        )
        if shared:
            # Resolved to the premises the earlier record creates.
            item.premises_id = -id(shared)
        else:
            if record.source_ref:
                pending_source[record.source_ref] = item
            if record.uprn:
                pending_uprn[record.uprn] = item
    return item


# ---------------------------------------------------------------------------------------------
# Applying a plan
# ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    created_premises: int = 0
    created_licences: int = 0
    updated_premises: int = 0
    updated_licences: int = 0
    conflicts_kept: int = 0
    conflicts_taken: int = 0
    unchanged: int = 0
    refused_left_out: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _set_premises(p: Premises, values: dict[str, Any], ward_id: int | None, now: datetime) -> None:
    p.name = values["name"]
    p.name_sort = premises.name_sort_key(values["name"])
    p.address_line1, p.address_line2 = split_address(values["address"])
    p.town = None
    p.postcode = values["postcode"]
    p.postcode_key = premises.postcode_key(values["postcode"])
    if "longitude" in values:
        p.longitude, p.latitude, p.ward_id = values["longitude"], values["latitude"], ward_id
    p.updated_at = now
    p.search_text = premises.search_text_of(p)


def _set_licence(lic: Licence, values: dict[str, Any], now: datetime) -> None:
    for key, value in values.items():
        if key == "conditions":
            continue
        setattr(lic, key, date.fromisoformat(value) if key in _DATE_KEYS and value else value)
    lic.updated_at = now


def _set_conditions(lic: Licence, wanted: list[str], now: datetime) -> None:
    """Withdraw the active conditions the file no longer lists; add the ones it newly lists."""
    active = [c for c in lic.conditions if c.is_active]
    remaining = list(wanted)
    for cond in active:
        if normal_condition(cond.text) in remaining:
            remaining.remove(normal_condition(cond.text))
        else:
            cond.is_active = False
    number = max((c.number for c in lic.conditions), default=0)
    for text in remaining:
        number += 1
        lic.conditions.append(
            LicenceCondition(number=number, text=text, is_active=True, created_at=now)
        )


def apply_plan(
    session: Session,
    actor: Actor,
    now: datetime,
    plan: Plan,
    options: Options,
    *,
    source: str,
    progress: Progress = _no_progress,
) -> Result:
    """Write what the plan says, audited; the caller commits (or rolls back) the whole.

    All or nothing: a plan with refused rows writes nothing (ImportFileError) unless the person
    importing chose to leave those rows out."""
    require(actor, Permission.REGISTER_IMPORT)
    if plan.refused and not options.leave_out_refused:
        raise ImportFileError(refused_rows_message(len(plan.refused)))
    locator = wards.locator(session, london_today(now))
    result = Result(refused_left_out=len(plan.refused))
    todo: list[Item] = []
    # Premises whose conflicting changes are kept as they are but which are given a UPRN.
    uprn_only: list[Item] = []
    for item in plan.items:
        if item.kind == UNCHANGED:
            result.unchanged += 1
            continue
        if item.conflicting:
            if options.take_conflicts:
                result.conflicts_taken += 1
            else:
                result.conflicts_kept += 1
        if item.kind == CONFLICT and not options.take_conflicts:
            if item.fill_uprn:
                uprn_only.append(item)
            continue
        # A new licence is added even when its premises' changes are a conflict kept.
        todo.append(item)
    total = len(todo)
    # First the premises (new ones inserted together), then the licences that need them.
    created = _create_premises(session, todo, locator, now, result)
    stamped: set[int] = set()
    for done, item in enumerate(todo, start=1):
        if done % FLUSH_EVERY == 0:
            session.flush()
            progress(done // 2, total)
        if item.premises_id is not None and item.premises_id > 0 and item.premises_changes:
            if item.premises_conflict and not options.take_conflicts:
                if item.fill_uprn:
                    uprn_only.append(item)
                continue
            _update_premises(session, actor, item, locator, now, source)
            result.updated_premises += 1
            stamped.add(item.premises_id)
    for item in uprn_only:
        _give_uprn(session, actor, item, now, source)
        result.updated_premises += 1
    session.flush()
    touched: list[Licence] = []
    new_licences: list[tuple[Item, int]] = []
    for done, item in enumerate(todo, start=1):
        if done % FLUSH_EVERY == 0:
            session.flush()
            progress(total // 2 + done // 2, total)
        if item.record.licence is None:
            continue
        if item.licence_id is None:
            owner = created.get(id(item)) or created.get(-(item.premises_id or 0))
            new_licences.append((item, owner or item.premises_id or 0))
        elif item.licence_changes:
            touched.append(_update_licence(session, actor, item, now, source))
            result.updated_licences += 1
    session.flush()
    new_ids = _create_licences(session, new_licences, now)
    result.created_licences = len(new_ids)
    _stamp(session, stamped, touched)
    expiry.sync_licences(session, now, [lic.id for lic in touched] + new_ids)
    if result.created_premises or result.created_licences or result.refused_left_out:
        audit.record(
            session,
            actor,
            now,
            action="register.import",
            entity_type="system",
            entity_id=None,
            summary=(
                f"Import from {source}: {result.created_premises} premises and"
                f" {result.created_licences} licences added"
                + (
                    f"; {result.refused_left_out} refused rows left out"
                    if result.refused_left_out
                    else ""
                )
            ),
            after=result.as_dict(),
        )
    progress(total, total)
    return result


def _create_premises(
    session: Session,
    todo: list[Item],
    locator: wards.WardLocator,
    now: datetime,
    result: Result,
) -> dict[int, int]:
    """Insert the new premises in one statement; return their ids by id() of the item that
    brought each. Core inserts: the ORM's bookkeeping for 50,000 new rows costs more than the
    rows themselves."""
    rows: list[dict[str, Any]] = []
    owners: list[int] = []
    ward_ids: list[int | None] = []
    for item in todo:
        if item.premises_id is not None:
            continue
        v = item.record.premises
        first, second = split_address(v["address"])
        lon, lat = v.get("longitude"), v.get("latitude")
        row: dict[str, Any] = {
            "uprn": item.record.uprn,
            "name": v["name"],
            "name_sort": premises.name_sort_key(v["name"]),
            "trading_name": None,
            "address_line1": first,
            "address_line2": second,
            "town": None,
            "postcode": v["postcode"],
            "postcode_key": premises.postcode_key(v["postcode"]),
            "longitude": lon,
            "latitude": lat,
            "premises_type": item.record.premises_type,
            "source_ref": item.record.source_ref,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        row["search_text"] = premises.search_text_of(SimpleNamespace(**row))  # type: ignore[arg-type]
        row["import_fingerprint"] = fingerprint(_premises_values(SimpleNamespace(**row)))
        rows.append(row)
        owners.append(id(item))
        ward_ids.append(locator.ward_id(lon, lat))
    if not rows:
        return {}
    ids = _insert_with_ids(session, cast(Table, Premises.__table__), rows)
    placed = [
        {"premises_id": pid, "ward_id": ward_id}
        for pid, ward_id in zip(ids, ward_ids, strict=True)
        if ward_id is not None
    ]
    if placed:
        # New premises have no records yet: no measure summary can change.
        session.connection().execute(insert(cast(Table, PremisesWard.__table__)), placed)
    created = dict(zip(owners, ids, strict=True))
    result.created_premises = len(created)
    return created


def _insert_with_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows with ids taken beforehand, in one executemany, and return the ids.

    INSERT ... RETURNING over many rows makes one long statement per thousand rows, which
    psycopg parses afresh each time (minutes for 50,000 rows); a plain executemany of one
    statement does not. PostgreSQL hands out the ids from the table's sequence; SQLite, whose
    writer already holds the database's write lock, counts on from the highest id.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = list(
            connection.execute(
                sql_text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": len(rows)},
            ).scalars()
        )
    else:
        top = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        ids = list(range(top + 1, top + 1 + len(rows)))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    connection.execute(insert(table), rows)
    # Written below the ORM: discard the measure summaries new rows of the table could change.
    summaries.discard_table(session, table.name, inserted=True)
    return ids


def _create_licences(session: Session, items: list[tuple[Item, int]], now: datetime) -> list[int]:
    """Insert new licences and their conditions in two statements; return the licences' ids."""
    if not items:
        return []
    rows = []
    for item, premises_id in items:
        values = item.record.licence or {}
        row = {k: values.get(k) for k in LICENCE_KEYS if k != "conditions"}
        fp = fingerprint({**row, "conditions": sorted(item.conditions_in_order)})
        for key in _DATE_KEYS:
            row[key] = date.fromisoformat(str(row[key])) if row[key] else None
        row.update(
            premises_id=premises_id,
            granted_on=None,
            notes=None,
            created_at=now,
            updated_at=now,
            version=1,
            import_fingerprint=fp,
        )
        rows.append(row)
    ids = _insert_with_ids(session, cast(Table, Licence.__table__), rows)
    connection = session.connection()
    conditions = [
        {
            "licence_id": licence_id,
            "number": number,
            "text": text,
            "is_active": True,
            "created_at": now,
            "source_referral_id": None,
        }
        for (item, _pid), licence_id in zip(items, ids, strict=True)
        for number, text in enumerate(item.conditions_in_order, start=1)
    ]
    if conditions:
        connection.execute(insert(cast(Table, LicenceCondition.__table__)), conditions)
    return ids


def _update_premises(
    session: Session,
    actor: Actor,
    item: Item,
    locator: wards.WardLocator,
    now: datetime,
    source: str,
) -> None:
    assert item.premises_id is not None
    values = item.record.premises
    p = session.get_one(Premises, item.premises_id)
    if item.fill_uprn:
        p.uprn = item.fill_uprn
    merged = {**_premises_values(p), **values}
    if "longitude" in values:  # the file places it: its ward follows
        ward_id = locator.ward_id(values["longitude"], values["latitude"])
    else:  # the file says nothing of where it is: its place and its ward stay as they are
        merged.pop("longitude")
        merged.pop("latitude")
        ward_id = None
    _set_premises(p, merged, ward_id, now)
    audit.record(
        session,
        actor,
        now,
        action="premises.import_update",
        entity_type="premises",
        entity_id=p.id,
        summary=f"Premises {p.name} updated by an import from {source}",
        before={k: v[0] for k, v in item.premises_changes.items()},
        after={k: v[1] for k, v in item.premises_changes.items()},
    )


def _give_uprn(session: Session, actor: Actor, item: Item, now: datetime, source: str) -> None:
    """Give a premises whose other changes are a conflict kept its UPRN (it had none)."""
    assert item.premises_id is not None and item.fill_uprn is not None
    p = session.get_one(Premises, item.premises_id)
    p.uprn = item.fill_uprn
    p.updated_at = now
    p.search_text = premises.search_text_of(p)
    audit.record(
        session,
        actor,
        now,
        action="premises.import_update",
        entity_type="premises",
        entity_id=p.id,
        summary=f"Premises {p.name} given UPRN {p.uprn} by an import from {source}",
        before={"uprn": None},
        after={"uprn": p.uprn},
    )


def _update_licence(
    session: Session, actor: Actor, item: Item, now: datetime, source: str
) -> Licence:
    assert item.licence_id is not None and item.record.licence is not None
    lic = session.scalar(
        select(Licence)
        .where(Licence.id == item.licence_id)
        .options(selectinload(Licence.conditions))
    )
    assert lic is not None
    _set_licence(lic, item.record.licence, now)
    if "conditions" in item.licence_changes:
        _set_conditions(lic, item.conditions_in_order, now)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="licence.import_update",
        entity_type="licence",
        entity_id=lic.id,
        summary=f"Licence {lic.reference} updated by an import from {source}",
        before={k: v[0] for k, v in item.licence_changes.items()},
        after={k: v[1] for k, v in item.licence_changes.items()},
    )
    return lic


def _stamp(session: Session, premises_ids: set[int], touched: list[Licence]) -> None:
    """Store the fingerprint of each imported record's fields as this import leaves them."""
    ids = sorted(premises_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for p in session.scalars(
            select(Premises).where(Premises.id.in_(chunk)).order_by(Premises.id)
        ):
            p.import_fingerprint = fingerprint(_premises_values(p))
    for lic in touched:
        texts = [c.text for c in lic.conditions if c.is_active]
        lic.import_fingerprint = fingerprint(_licence_values(lic, texts))
    session.flush()
