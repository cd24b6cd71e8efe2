"""The map, nearby, ward profile and hotspot pages, the location inputs, and importing wards."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import pytest
from builders import (
    IN_EAST,
    IN_WEST,
    OUTSIDE,
    csrf_token,
    make_licence,
    make_premises,
    make_user,
    make_wards,
    post,
    sign_in,
    square,
)
from flask import Flask
from flask.testing import FlaskClient
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.models import Premises, Ward
from enforcement.vocab import PremisesType
from enforcement.wards import maps
from geo.crs import to_bng


def signed_in(client: FlaskClient, session: Session, *roles: str, **kw: object) -> FlaskClient:
    email = f"{'-'.join(roles)}@example.gov.uk"
    make_user(session, *roles, email=email, **kw)  # type: ignore[arg-type]
    session.commit()
    sign_in(client, email)
    return client


@pytest.fixture
def officer(session: Session, client: FlaskClient) -> FlaskClient:
    make_wards(session)
    return signed_in(client, session, "licensing_officer")


def geojson(resp: object) -> dict[str, object]:
    assert resp.status_code == 200, resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.mimetype == "application/geo+json"  # type: ignore[attr-defined]
    data: dict[str, object] = json.loads(resp.get_data(as_text=True))  # type: ignore[attr-defined]
    return data


# --- the map page and its layers ----------------------------------------------------------------


def test_map_page_points_its_layers_at_the_filtered_geojson(officer: FlaskClient) -> None:
    resp = officer.get("/map?ward=E05999901&premises_type=pub_bar&colour=poster")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-app-map="premises"' in page
    assert 'data-wards-url="/map/wards.geojson"' in page
    url = re.search(r'data-premises-url="([^"]+)"', page)
    assert url is not None
    assert url.group(1).startswith("/map/premises.geojson?")
    assert "ward=E05999901" in url.group(1) and "colour=poster" in url.group(1)
    assert 'data-premises-link="/premises/0"' in page
    assert "Poster compliance at the latest check" in page and "Never checked" in page
    assert "/vendor/leaflet/leaflet.css" in page and "/static/map.js" in page
    list_link = re.search(r'href="(/premises\?[^"]+)">View these premises as a list', page)
    assert list_link is not None and "colour" not in list_link.group(1)
    assert 'href="/map"' in page  # the navigation item


def test_map_page_refuses_unknown_filters_and_colourings(officer: FlaskClient) -> None:
    resp = officer.get("/map?ward=E05000000&colour=astrology")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Unknown ward" in page and "Choose what the points are coloured by" in page


def test_premises_geojson_filters_and_colours(officer: FlaskClient, session: Session) -> None:
    pub = make_premises(session, name="Red Lion", premises_type=PremisesType.PUB_BAR)
    make_premises(session, name="Cafe", longitude=IN_EAST[0], latitude=IN_EAST[1])
    make_premises(session, name="Away", longitude=OUTSIDE[0], latitude=OUTSIDE[1])
    session.commit()
    doc = geojson(officer.get("/map/premises.geojson"))
    assert doc["type"] == "FeatureCollection" and doc["shown"] == 3
    doc = geojson(officer.get("/map/premises.geojson?ward=E05999901"))
    [feature] = doc["features"]  # type: ignore[misc]
    assert feature["id"] == pub.id
    assert feature["properties"]["category"] == "unlicensed"
    assert feature["geometry"]["coordinates"] == [IN_WEST[0], IN_WEST[1]]
    bad = officer.get("/map/premises.geojson?premises_type=castle")
    assert bad.status_code == 400 and "premises_type" in bad.get_json()["errors"]


def test_ward_officers_map_opens_on_their_wards_without_poster_colours(
    session: Session, client: FlaskClient
) -> None:
    make_wards(session)
    police = signed_in(client, session, "ward_officer", wards_=frozenset({"E05999902"}))
    page = police.get("/map").get_data(as_text=True)
    assert 'data-focus-wards="E05999902"' in page
    assert "Poster compliance" not in page
    assert police.get("/map/premises.geojson?colour=poster").status_code == 403


def test_wards_geojson_has_the_wards_in_force(officer: FlaskClient, session: Session) -> None:
    make_premises(session)
    session.commit()
    doc = geojson(officer.get("/map/wards.geojson"))
    props = sorted((f["properties"]["code"], f["properties"]["premises"]) for f in doc["features"])  # type: ignore[index,union-attr]
    assert props == [("E05999901", 1), ("E05999902", 0)]


def test_partners_cannot_open_the_map(session: Session, client: FlaskClient) -> None:
    make_wards(session)
    partner = signed_in(client, session, "partner")
    for path in (
        "/map",
        "/map/premises.geojson",
        "/map/wards.geojson",
        "/map/nearby",
        "/map/wards",
        "/map/wards/E05999901",
        "/map/hotspots",
        "/map/hotspots.geojson",
    ):
        assert partner.get(path).status_code == 403, path


def test_premises_geojson_runs_the_same_queries_for_few_or_many(
    officer: FlaskClient, session: Session, count_queries: object
) -> None:
    def queries() -> int:
        before = count_queries.count  # type: ignore[attr-defined]
        geojson(officer.get("/map/premises.geojson?licence_status=active"))
        return count_queries.count - before  # type: ignore[attr-defined,no-any-return]

    for i in range(3):
        make_licence(session, make_premises(session, name=f"A{i}").id)
    session.commit()
    few = queries()
    for i in range(40):
        make_licence(session, make_premises(session, name=f"B{i}").id)
    session.commit()
    assert queries() == few


# --- nearby -------------------------------------------------------------------------------------


def test_nearby_from_a_premises_lists_neighbours_with_licences(
    officer: FlaskClient, session: Session
) -> None:
    origin = make_premises(session, name="Origin Bar")
    neighbour = make_premises(session, name="Next Door Nails", premises_type=PremisesType.NAIL_BAR)
    make_licence(
        session,
        neighbour.id,
        regime="special_treatment",
        reference="STL/1",
        holder_name="Nails Ltd",
    )
    make_premises(session, name="Far Cafe", longitude=IN_EAST[0], latitude=IN_EAST[1])
    session.commit()
    detail = officer.get(f"/premises/{origin.id}").get_data(as_text=True)
    assert f'href="/map/nearby?premises={origin.id}"' in detail

    resp = officer.get(f"/map/nearby?premises={origin.id}&distance=100")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Premises near Origin Bar" in page
    assert "Next Door Nails" in page and "STL/1, Nails Ltd" in page and "0 m" in page
    assert "Far Cafe" not in page
    assert 'data-app-map="nearby"' in page
    points = re.search(r'data-points="([^"]+)"', page)
    assert points is not None and "Next Door Nails" in points.group(1).replace("&#34;", '"')


def test_nearby_from_typed_coordinates_in_either_system(
    officer: FlaskClient, session: Session
) -> None:
    make_premises(session, name="Only One")
    session.commit()
    by_degrees = officer.get(
        f"/map/nearby?latitude={IN_WEST[1]}&longitude={IN_WEST[0]}&distance=50"
    )
    assert by_degrees.status_code == 200 and "Only One" in by_degrees.get_data(as_text=True)
    east, north = to_bng(*IN_WEST)
    by_grid = officer.get(f"/map/nearby?easting={east + 30:.1f}&northing={north:.1f}&distance=50")
    page = by_grid.get_data(as_text=True)
    assert by_grid.status_code == 200 and "Only One" in page and "30 m" in page


def test_nearby_says_how_many_within_the_distance_up_to_the_cap(
    officer: FlaskClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(4):
        make_premises(session, name=f"Close {i}")
    session.commit()
    query = f"/map/nearby?latitude={IN_WEST[1]}&longitude={IN_WEST[0]}&distance=50"
    assert "4 premises within 50 metres." in officer.get(query).get_data(as_text=True)
    # Past the cap the count stops and says so; all that are near enough are still listed.
    monkeypatch.setattr(maps, "NEARBY_COUNT_CAP", 2)
    page = officer.get(query).get_data(as_text=True)
    assert "More than 2 premises within 50 metres." in page
    assert all(f"Close {i}" in page for i in range(4))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("latitude=54.0&longitude=1.0&easting=500000&northing=400000", "not both"),
        ("latitude=54.0", "Enter both latitude and longitude"),
        ("easting=500000", "Enter both easting and northing"),
        ("easting=9000000&northing=1", "British National Grid metres"),
        ("latitude=54.0&longitude=1.0&distance=5000", "between 50 and 2,000 metres"),
        ("latitude=north&longitude=1.0", "Latitude must be a number"),
        ("premises=abc", "Choose a premises"),
    ],
)
def test_nearby_explains_what_is_wrong(officer: FlaskClient, query: str, message: str) -> None:
    resp = officer.get(f"/map/nearby?{query}")
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_nearby_form_alone_and_unknown_premises(officer: FlaskClient) -> None:
    assert officer.get("/map/nearby").status_code == 200
    assert officer.get("/map/nearby?premises=999999").status_code == 404


# --- ward profiles and hotspots -----------------------------------------------------------------


def test_ward_list_profile_and_period(officer: FlaskClient, session: Session) -> None:
    make_premises(session, name="Pub", premises_type=PremisesType.PUB_BAR)
    session.commit()
    listing = officer.get("/map/wards").get_data(as_text=True)
    assert 'href="/map/wards/E05999901"' in listing and "Westward" in listing
    resp = officer.get("/map/wards/E05999901")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Westward" in page and "Pub or bar" in page and "Poster compliance" in page
    assert "1 premises trading without a licence they need" in page
    assert officer.get("/map/wards/E05000000").status_code == 404
    backwards = officer.get("/map/wards/E05999901?start=2&start=3&start=2026&end=1&end=1&end=2026")
    assert backwards.status_code == 400
    assert "must not be before its start" in backwards.get_data(as_text=True)


def test_hotspot_page_and_cells(officer: FlaskClient, session: Session) -> None:
    for i in range(3):
        make_premises(session, name=f"P{i}")
    session.commit()
    resp = officer.get("/map/hotspots?kind=premises")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "3 premises as they stand today" in page
    assert 'data-cells-url="/map/hotspots.geojson?kind=premises"' in page
    doc = geojson(officer.get("/map/hotspots.geojson?kind=premises"))
    [cell] = doc["features"]  # type: ignore[misc]
    assert cell["properties"]["count"] == 3 and cell["properties"]["shade"] == 5
    assert officer.get("/map/hotspots?kind=horoscopes").status_code == 400
    assert officer.get("/map/hotspots.geojson?kind=horoscopes").status_code == 400


# --- the premises form's location ---------------------------------------------------------------


def premises_form(**location: str) -> dict[str, str]:
    return {
        "name": "Grid Ref Cafe",
        "premises_type": "restaurant_takeaway",
        "address_line1": "1 Grid Road",
        **location,
    }


def test_premises_location_can_be_typed_as_easting_and_northing(
    officer: FlaskClient, session: Session
) -> None:
    east, north = to_bng(*IN_EAST)
    resp = post(
        officer,
        "/premises/new",
        premises_form(easting=f"{east:.2f}", northing=f"{north:.2f}"),
        page="/premises/new",
    )
    assert resp.status_code == 302
    p = session.scalars(select(Premises).where(Premises.name == "Grid Ref Cafe")).one()
    assert p.longitude == pytest.approx(IN_EAST[0], abs=1e-6)
    assert p.latitude == pytest.approx(IN_EAST[1], abs=1e-6)
    ward = session.get(Ward, p.ward_id)
    assert ward is not None and ward.code == "E05999902"


def test_premises_form_refuses_both_systems_and_keeps_the_input(officer: FlaskClient) -> None:
    resp = post(
        officer,
        "/premises/new",
        premises_form(latitude="54.005", longitude="1.005", easting="597000", northing="460700"),
        page="/premises/new",
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "not both" in page and 'value="597000"' in page and 'value="54.005"' in page


def test_a_location_outside_the_borough_is_saved_with_a_warning(
    officer: FlaskClient, session: Session
) -> None:
    resp = post(
        officer,
        "/premises/new",
        premises_form(latitude=str(OUTSIDE[1]), longitude=str(OUTSIDE[0])),
        page="/premises/new",
    )
    assert resp.status_code == 302
    page = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "has been added to the register" in page
    assert "outside every ward of the borough" in page
    p = session.scalars(select(Premises).where(Premises.name == "Grid Ref Cafe")).one()
    assert p.ward_id is None and p.latitude == OUTSIDE[1]


def test_premises_form_has_a_map_to_click_on(officer: FlaskClient) -> None:
    page = officer.get("/premises/new").get_data(as_text=True)
    assert 'data-app-map="picker"' in page
    assert 'data-latitude="latitude"' in page and 'data-easting="easting"' in page
    assert "Easting (optional)" in page


# --- administrators import wards ----------------------------------------------------------------


@pytest.fixture
def admin(app: Flask, session: Session, client: FlaskClient, tmp_path: Path) -> FlaskClient:
    app.config["WARD_IMPORT_DIR"] = str(tmp_path / "staged")
    make_wards(session)
    return signed_in(client, session, "admin")


def collection(*wards: tuple[str, str, object]) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": mapping(g)}
                for c, n, g in wards
            ],
        }
    ).encode()


def upload(client: FlaskClient, data: bytes, name: str = "wards.geojson", **fields: str) -> object:
    form = {
        "csrf_token": csrf_token(client, "/admin/wards"),
        "boundary_file": (io.BytesIO(data), name),
        "crs": "file",
        "valid_from": ["1", "1", "2026"],
        **fields,
    }
    return client.post("/admin/wards/preview", data=form, content_type="multipart/form-data")


def test_admin_previews_then_confirms_a_ward_import(
    admin: FlaskClient, session: Session, tmp_path: Path
) -> None:
    west = make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    session.commit()
    index = admin.get("/admin/wards").get_data(as_text=True)
    assert "Westward" in index and "Import new boundaries" in index

    resp = upload(admin, collection(("E05999903", "Bigward", square(1.0, 54.0, 0.02))))
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.status_code == 200, page  # type: ignore[attr-defined]
    assert "E05999903" in page and "Bigward" in page and "291" in page
    assert "Westward" in page and "Bigward" in page  # the move
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    assert list((tmp_path / "staged").glob("*.json"))
    # Nothing has changed yet.
    assert session.get(Premises, west.id).ward_id is not None  # type: ignore[union-attr]
    assert session.scalars(
        select(Ward.code).where(Ward.valid_to.is_(None)).order_by(Ward.code, Ward.id)
    ).all() == [
        "E05999901",
        "E05999902",
    ]

    done = admin.post(
        "/admin/wards/confirm",
        data={
            "csrf_token": csrf_token(admin, "/admin/wards"),
            "token": token.group(1),
            "valid_from": ["1", "1", "2026"],
        },
    )
    result = done.get_data(as_text=True)
    assert done.status_code == 200, result
    assert "Ward boundaries replaced" in result and "1 of 1 located premises moved ward" in result
    session.expire_all()
    assert session.scalars(
        select(Ward.code).where(Ward.valid_to.is_(None)).order_by(Ward.code, Ward.id)
    ).all() == ["E05999903"]
    assert not list((tmp_path / "staged").glob("*"))
    # The same token cannot be used twice.
    again = admin.post(
        "/admin/wards/confirm",
        data={
            "csrf_token": csrf_token(admin, "/admin/wards"),
            "token": token.group(1),
            "valid_from": ["1", "1", "2026"],
        },
    )
    assert again.status_code == 404


def test_a_first_ward_set_dated_year_1_is_a_message_not_a_500(
    app: Flask, session: Session, client: FlaskClient, tmp_path: Path
) -> None:
    """A new install has no wards, so no set in force bounds the start date from below."""
    app.config["WARD_IMPORT_DIR"] = str(tmp_path / "staged")
    admin = signed_in(client, session, "admin")
    resp = upload(
        admin,
        collection(("E05999903", "Bigward", square(1.0, 54.0, 0.02))),
        valid_from=["1", "1", "0001"],  # type: ignore[arg-type]
    )
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.status_code == 400, page  # type: ignore[attr-defined]
    assert "must be in 1900 or later" in page and 'name="token"' not in page
    assert session.scalar(select(func.count()).select_from(Ward)) == 0


def test_a_ward_file_over_the_general_upload_limit_is_taken_up_to_the_import_limit(
    admin: FlaskClient,
) -> None:
    """A file of many boroughs, kept to one by its code, is often larger than MAX_UPLOAD_MB (a
    photo's limit): the ward page takes files up to IMPORT_MAX_MB, as the register's does."""
    app = admin.application
    app.config["MAX_CONTENT_LENGTH"] = 1024
    data = collection(("E05999903", "Bigward", square(1.0, 54.0, 0.02))) + b" " * 4096
    resp = upload(admin, data)
    assert resp.status_code == 200, resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Bigward" in resp.get_data(as_text=True)  # type: ignore[attr-defined]
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(settings, import_max_mb=0)
    try:
        refused = upload(admin, data)
        assert refused.status_code == 413  # type: ignore[attr-defined]
        assert "(flask --app app wards import)" in refused.get_data(as_text=True)  # type: ignore[attr-defined]
    finally:
        app.config["SETTINGS"] = settings


def test_admin_sees_a_report_of_refused_boundaries(admin: FlaskClient) -> None:
    overlapping = collection(
        ("E05999903", "One", square(1.0, 54.0)), ("E05999904", "Two", square(1.005, 54.0))
    )
    resp = upload(admin, overlapping)
    page = resp.get_data(as_text=True)  # type: ignore[attr-defined]
    assert resp.status_code == 400  # type: ignore[attr-defined]
    assert "cannot be imported" in page and "overlap" in page
    assert 'name="token"' not in page


def test_admin_upload_form_checks_its_fields(admin: FlaskClient) -> None:
    resp = admin.post(
        "/admin/wards/preview",
        data={"csrf_token": csrf_token(admin, "/admin/wards"), "crs": "file", "district": "H&F"},
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Enter the date the boundaries came into force" in page
    assert "A borough code is a letter and 8 digits" in page
    future = upload(
        admin, collection(("E05999903", "One", square(1.0, 54.0))), valid_from=["1", "1", "2099"]
    )  # type: ignore[arg-type]
    assert future.status_code == 400  # type: ignore[attr-defined]
    assert "today or in the past" in future.get_data(as_text=True)  # type: ignore[attr-defined]


def test_admin_can_choose_a_published_file(admin: FlaskClient, app: Flask) -> None:
    from unit.shared_data import require_shared_data

    shared = require_shared_data()
    app.config["SETTINGS"] = app.config["SETTINGS"].with_overrides(shared_data_dir=shared)
    index = admin.get("/admin/wards").get_data(as_text=True)
    assert "hf_wards_2022_wgs84.geojson" in index
    assert "london_wards_2018_bng/London_Ward_CityMerged_2018_bng.shp" in index
    resp = admin.post(
        "/admin/wards/preview",
        data={
            "csrf_token": csrf_token(admin, "/admin/wards"),
            "shared_file": "london_wards_2018_bng/London_Ward_CityMerged_2018_bng.shp",
            "district": "E09000013",
            "crs": "file",
            "valid_from": ["1", "1", "2026"],
        },
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page
    assert "16 wards found" in page and "Hammersmith Broadway" in page
    sneaky = admin.post(
        "/admin/wards/preview",
        data={
            "csrf_token": csrf_token(admin, "/admin/wards"),
            "shared_file": "../../etc/passwd",
            "crs": "file",
            "valid_from": ["1", "1", "2026"],
        },
        content_type="multipart/form-data",
    )
    assert sneaky.status_code == 400
    assert "Choose one of the published files" in sneaky.get_data(as_text=True)


def test_only_administrators_import_wards(officer: FlaskClient) -> None:
    assert officer.get("/admin/wards").status_code == 403
    assert officer.post("/admin/wards/preview", data={}).status_code in (400, 403)


def test_nearby_from_a_flag_shows_its_neighbours_and_audits_the_reading(
    officer: FlaskClient, session: Session
) -> None:
    from datetime import timedelta

    from builders import NOW, SYSTEM

    from enforcement.intelligence import flags
    from enforcement.models import AuditEvent

    make_premises(session, name="Beside the flag")
    flag = flags.raise_flag(
        session,
        SYSTEM,
        NOW,
        flags.FlagInput(
            reported_at=NOW - timedelta(days=1),
            source_type="police",
            exploitation=frozenset({"sexual"}),
            report_text="Concern at a flat above the shop.",
            location_text="Flat above 1 High Street",
            longitude=IN_WEST[0],
            latitude=IN_WEST[1],
        ),
    )
    session.commit()
    resp = officer.get(f"/map/nearby?flag={flag.id}&distance=50")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page
    assert f"Premises near intelligence flag {flag.id}" in page and "Beside the flag" in page
    assert f'href="/flags/{flag.id}"' in page
    assert "Concern at a flat" not in page  # the report's words stay on the flag
    assert session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "intel_flag.view", AuditEvent.entity_id == str(flag.id)
        )
    ).first()
    assert officer.get("/map/nearby?flag=abc").status_code == 400
