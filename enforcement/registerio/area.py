"""The council's area, for filtering a national file (the Gambling Commission's register)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.models import Premises
from enforcement.register import wards
from enforcement.registerio.sources import AreaFilter, district_of


def council_area(
    session: Session,
    council_name: str,
    extra_names: Iterable[str] = (),
    districts: Iterable[str] = (),
) -> AreaFilter:
    """The council's names and its postcode districts: those given, else the districts of the
    premises the register places in the borough's wards (the districts a ward boundary cuts
    through count as the council's: a premises there without a location is for an officer to
    place on the map)."""
    given = {d.strip().upper() for d in districts if d.strip()}
    if not given:
        rows = session.execute(
            select(Premises.postcode, func.count())
            .where(wards.in_some_ward(), Premises.postcode.is_not(None))
            .group_by(Premises.postcode)
            .order_by(Premises.postcode)
        )
        given = {d for postcode, _count in rows if (d := district_of(postcode))}
    return AreaFilter(
        authority_names=(council_name, *extra_names), postcode_districts=frozenset(given)
    )
