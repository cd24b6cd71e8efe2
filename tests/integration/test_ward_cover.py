"""A boundary change keeps ward officers' cover: by code where it survives, else by overlap."""

from __future__ import annotations

import json
from datetime import date

from builders import EAST, IN_EAST, NOW, WEST, make_premises, make_user, make_wards, square
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.models import AuditEvent, UserWard
from enforcement.wards.importing import BoundarySource, confirm_import, preview_import


def geojson(features: list[tuple[str, str, object]]) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": mapping(g)}
                for c, n, g in features
            ],
        }
    ).encode()


def cover(session: Session, user_id: int) -> set[str]:
    return set(session.scalars(select(UserWard.ward_code).where(UserWard.user_id == user_id)))


def test_cover_is_kept_by_code_and_remapped_by_largest_overlap(session: Session) -> None:
    make_wards(session)  # Westward E05999901 and Eastward E05999902
    admin = users.actor_for(make_user(session, "admin"))
    west_officer = make_user(session, "ward_officer", wards_=frozenset({WEST.code}))
    east_officer = make_user(session, "ward_officer", wards_=frozenset({EAST.code}))
    both = make_user(session, "ward_officer", wards_=frozenset({WEST.code, EAST.code}))
    make_premises(session, longitude=IN_EAST[0], latitude=IN_EAST[1])
    # Westward keeps its code; Eastward is split: a new ward takes three quarters of it, another
    # the quarter left (its north strip).
    new = [
        ("E05999901", "Westward", WEST.geometry),
        (
            "E05999910",
            "Riverward",
            square(1.01, 54.0, 0.01).difference(square(1.01, 54.0075, 0.01)),
        ),
        ("E05999911", "Northward", square(1.01, 54.0075, 0.01)),
    ]
    source = BoundarySource("split.geojson", data=geojson(new))

    preview = preview_import(session, admin, NOW, source, date(2026, 1, 1))
    by_old = {c.old_code: c for c in preview.cover}
    assert by_old[WEST.code].how == "code" and by_old[WEST.code].officers == 2
    east = by_old[EAST.code]
    assert (east.how, east.new_code, east.new_name, east.officers) == (
        "overlap",
        "E05999910",
        "Riverward",
        2,
    )
    assert 0.74 < east.share < 0.76
    # The preview changes nobody's cover.
    assert cover(session, east_officer.id) == {EAST.code}

    result = confirm_import(session, admin, NOW, source, date(2026, 1, 1))
    assert [c.old_code for c in result.cover] == [WEST.code, EAST.code]
    assert cover(session, west_officer.id) == {WEST.code}
    assert cover(session, east_officer.id) == {"E05999910"}
    assert cover(session, both.id) == {WEST.code, "E05999910"}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "wards.cover_remap"))
    assert event is not None and "E05999910" in (event.after_json or "")

    # The officer covers the ward the premises is now in, so ward-scoped access follows.
    officer = users.actor_for(east_officer)
    assert "E05999910" in officer.ward_codes


def test_a_ward_nothing_overlaps_is_left_and_listed(session: Session) -> None:
    make_wards(session)
    admin = users.actor_for(make_user(session, "admin"))
    officer = make_user(session, "ward_officer", wards_=frozenset({EAST.code}))
    source = BoundarySource(
        "west.geojson", data=geojson([("E05999901", "Westward", WEST.geometry)])
    )
    [change] = [
        c
        for c in preview_import(session, admin, NOW, source, date(2026, 1, 1)).cover
        if c.old_code == EAST.code
    ]
    assert (change.how, change.new_code) == ("none", None)
    confirm_import(session, admin, NOW, source, date(2026, 1, 1))
    assert cover(session, officer.id) == {EAST.code}


def test_cover_changes_need_the_reference_permission(session: Session) -> None:
    make_wards(session)
    clerk: Actor = users.actor_for(make_user(session, "committee_clerk"))
    source = BoundarySource(
        "west.geojson", data=geojson([("E05999901", "Westward", WEST.geometry)])
    )
    import pytest

    from enforcement.errors import Forbidden

    with pytest.raises(Forbidden):
        preview_import(session, clerk, NOW, source, date(2026, 1, 1))
