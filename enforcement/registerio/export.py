"""Exporting the register: the esd premises licence CSV (which imports back unchanged) and JSON.

The CSV holds every licence, one row per licence, in the esd schema's 36 columns (the schema was
written for premises licences; its ServiceTypeLabel names the kind of any other, as councils
export their other registers in it and as the esd import reads it back); the JSON holds every
licence of every kind with its premises and its conditions. Both are for licensing officers,
supervisors and administrators, and each export is audited. The home addresses of holders and
supervisors are in them only for someone the access policy lets read them
(`licences.may_read_addresses`); for anyone else each such cell says it is withheld
(`licence_csv.WITHHELD`), and an import of the file leaves the addresses the register holds as
they are. A cell that a spreadsheet would run as a formula starts with an apostrophe, which the
import takes off again (docs/register.md).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.clock import london_today
from enforcement.models import Licence, LicenceCondition, Premises
from enforcement.register.importers.licence_csv import (
    KNOWN_COLUMNS,
    WITHHELD,
    WITHHOLDABLE_COLUMNS,
)
from enforcement.register.licences import ADDRESS_FIELDS, LICENCE_FIELDS, may_read_addresses
from enforcement.registerio.importing import join_address, normal_condition
from enforcement.registerio.sources import ESD_STATUS, HOLDER_NOT_RECORDED, regime_of_service
from enforcement.spreadsheet import safe_cell
from enforcement.vocab import LicenceRegime, LicenceStatus

#: What the JSON export says of the fields it leaves empty for someone who may not read them.
WITHHELD_NOTE = (
    "The home addresses of licence holders and designated premises supervisors are withheld:"
    " your role may not read them. Importing this file leaves the addresses the register holds"
    " as they are."
)


def _day(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _status_label(lic: Licence) -> str:
    label = lic.status_label
    if label and ESD_STATUS.get(label.lower()) == lic.status:
        return label
    return LicenceStatus.label_of(lic.status)


def _rows(session: Session) -> Iterator[tuple[Licence, Premises, list[str]]]:
    stmt = select(Licence, Premises).join(Premises, Premises.id == Licence.premises_id)
    pairs = list(session.execute(stmt.order_by(Licence.reference, Licence.id)))
    conditions: dict[int, list[str]] = {}
    for licence_id, text in session.execute(
        select(LicenceCondition.licence_id, LicenceCondition.text)
        .where(LicenceCondition.is_active)
        .order_by(LicenceCondition.licence_id, LicenceCondition.number, LicenceCondition.id)
    ):
        conditions.setdefault(licence_id, []).append(text)
    for lic, p in pairs:
        yield lic, p, conditions.get(lic.id, [])


def _service_label(lic: Licence) -> str:
    """The licence's ServiceTypeLabel: the service as published when the esd import reads it
    back as the licence's kind; the kind's own label when there is none; else both ("Other
    licence: Massage"), so that a licence keeps its kind and its service through an export and
    an import (`sources.regime_of_service`)."""
    kind = LicenceRegime.label_of(lic.regime)
    if not lic.service_type:
        return kind
    if regime_of_service(lic.service_type) == lic.regime:
        return lic.service_type
    return f"{kind}: {lic.service_type}"


def _esd_row(
    lic: Licence,
    p: Premises,
    conditions: list[str],
    extract: str,
    council: str,
    *,
    addresses: bool,
) -> list[str]:
    values: dict[str, str] = {
        "ExtractDate": extract,
        "OrganisationLabel": council,
        "CaseReference": lic.reference,
        "CaseDate": _day(lic.case_date),
        "ServiceTypeLabel": _service_label(lic),
        "PremisesName": p.name,
        "LocationText": join_address(p.address_line1, p.address_line2, p.town),
        "Postcode": p.postcode or "",
        "EntertainmentTypeLabel": lic.regulated_entertainment or "",
        "LateNightRefreshment": _yes_no(lic.late_night_refreshment),
        "AlcoholSupply": _yes_no(lic.alcohol_supply),
        "OpeningHours": lic.opening_hours or "",
        "StatusLabel": _status_label(lic),
        "LicenceStartDate": _day(lic.starts_on),
        "LicenceEndDate": _day(lic.expires_on),
        "OnPremisesAlcoholSale": _yes_no(lic.alcohol_on_sales),
        "OffPremisesAlcoholSale": _yes_no(lic.alcohol_off_sales),
        "LicenceHolder": "" if lic.holder_name == HOLDER_NOT_RECORDED else lic.holder_name,
        "LicenceHolderAddress": lic.holder_address or "",
        "LicenceHolderPostcode": lic.holder_postcode or "",
        "ApplicantTypeLabel": lic.applicant_type or "",
        "DesignatedPremisesSupervisor": lic.dps_name or "",
        "SupervisorLicenceNo": lic.dps_licence_no or "",
        "SupervisorAddress": lic.dps_address or "",
        "SupervisorPostcode": lic.dps_postcode or "",
        "Conditions": "|".join(normal_condition(c) for c in conditions),
        "DecisionDate": _day(lic.decision_date),
        "DecidedBy": lic.decided_by or "",
        "LicenceURL": lic.licence_url or "",
        "UPRN": lic.uprn or "",
        "GeoPointLicensingURL": lic.geo_point_url or "",
    }
    if not addresses:
        values.update(dict.fromkeys(WITHHOLDABLE_COLUMNS, WITHHELD))
    return [safe_cell(values.get(column, "")) for column in KNOWN_COLUMNS]


def _audit(
    session: Session, actor: Actor, now: datetime, kind: str, count: int, *, addresses: bool
) -> None:
    audit.record(
        session,
        actor,
        now,
        action="register.export",
        entity_type="register",
        entity_id=None,
        summary=f"Exported the licence register as {kind} ({count} licences"
        + ("" if addresses else ", home addresses withheld")
        + ")",
        after={"format": kind, "licences": count, "addresses": addresses},
    )


def export_esd_csv(session: Session, actor: Actor, now: datetime, council: str) -> str:
    """Every licence in the esd CSV schema, with a byte order mark for spreadsheets."""
    require(actor, Permission.REGISTER_EXPORT)
    addresses = may_read_addresses(actor)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(KNOWN_COLUMNS)
    extract = _day(london_today(now))
    count = 0
    for lic, p, conditions in _rows(session):
        writer.writerow(_esd_row(lic, p, conditions, extract, council, addresses=addresses))
        count += 1
    _audit(session, actor, now, "esd CSV", count, addresses=addresses)
    return out.getvalue()


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def export_json(session: Session, actor: Actor, now: datetime, council: str) -> str:
    """Every licence with its premises and conditions, as JSON."""
    require(actor, Permission.REGISTER_EXPORT)
    addresses = may_read_addresses(actor)
    licences = []
    for lic, p, conditions in _rows(session):
        entry = {name: _json_value(getattr(lic, name)) for name in LICENCE_FIELDS}
        if not addresses:
            entry.update(dict.fromkeys(ADDRESS_FIELDS))
        entry["conditions"] = conditions
        entry["premises"] = {
            "name": p.name,
            "trading_name": p.trading_name,
            "address": join_address(p.address_line1, p.address_line2, p.town),
            "postcode": p.postcode,
            "uprn": p.uprn,
            "longitude": p.longitude,
            "latitude": p.latitude,
            "premises_type": p.premises_type,
        }
        licences.append(entry)
    _audit(session, actor, now, "JSON", len(licences), addresses=addresses)
    withheld = {} if addresses else {"withheld": list(ADDRESS_FIELDS), "note": WITHHELD_NOTE}
    return json.dumps(
        {
            "council": council,
            "extracted": london_today(now).isoformat(),
            **withheld,
            "licences": licences,
        },
        indent=1,
        ensure_ascii=False,
    )
