"""The admin page's ward import lists where the officers covering each ward will be."""

from __future__ import annotations

from builders import EAST, WEST, make_user, square
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from web.test_maps_web import admin, collection, upload

__all__ = ["admin"]  # the fixture, shared with the ward import's other page tests


def test_the_preview_lists_officers_cover_by_code_and_by_overlap(
    admin: FlaskClient, session: Session
) -> None:
    make_user(session, "ward_officer", wards_=frozenset({WEST.code, EAST.code}))
    session.commit()
    resp = upload(
        admin,
        collection(
            ("E05999901", "Westward", WEST.geometry), ("E05999920", "Newward", square(1.01, 54.0))
        ),
    )
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.status_code == 200, page  # type: ignore[attr-defined]
    assert 'id="officer-cover"' in page
    assert "Same code" in page
    assert (
        "Newward (E05999920)" in page and "Largest overlap (100% of the old ward): check it" in page
    )
