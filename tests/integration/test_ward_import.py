"""Importing ward boundaries: preview without writing, confirm in one transaction, real data."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from builders import (
    EAST,
    IN_EAST,
    IN_WEST,
    NOW,
    OUTSIDE,
    WEST,
    make_premises,
    make_user,
    make_wards,
    square,
)
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from unit.shared_data import require_shared_data

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.errors import Forbidden, ValidationFailed
from enforcement.models import AuditEvent, Premises, PremisesWard, Ward
from enforcement.register import wards
from enforcement.wards import importing as ward_import
from enforcement.wards.importing import BoundarySource, confirm_import, preview_import
from geo.wards import WardBoundary

# Points checked against the real boundary files (lon, lat).
BROADWAY = (-0.2244, 51.4925)  # Hammersmith Broadway (2022), Hammersmith Broadway (before 2022)
# On the edge shared by Brook Green (E05013735) and Hammersmith Broadway (E05013741): it goes to
# the lower code, whatever order the wards were loaded in.
SHARED_EDGE = (-0.222185, 51.4932)
# In the Thames by Hammersmith Bridge: inside the London Datastore wards, which run out to
# mid-river, but outside the ONS wards, which stop at the bank.
THAMES = (-0.2295, 51.4880)
KENSINGTON = (-0.1700, 51.5000)  # outside the borough


@pytest.fixture
def admin(session: Session) -> Actor:
    return users.actor_for(make_user(session, "admin"))


def geojson_bytes(features: list[tuple[str, str, object]], crs: str | None = None) -> bytes:
    doc: dict[str, object] = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": c, "name": n}, "geometry": mapping(g)}
            for c, n, g in features
        ],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc).encode()


def wards_now(session: Session) -> list[tuple[str, date, date | None]]:
    return [
        (w.code, w.valid_from, w.valid_to)
        for w in session.scalars(select(Ward).order_by(Ward.valid_from, Ward.code))
    ]


def premises_ward(session: Session, premises_id: int) -> str | None:
    return session.scalar(
        select(Ward.code)
        .join(PremisesWard, PremisesWard.ward_id == Ward.id)
        .where(PremisesWard.premises_id == premises_id)
    )


# --- with the two made-up test wards ------------------------------------------------------------


def test_preview_lists_wards_and_moves_without_writing(session: Session, admin: Actor) -> None:
    make_wards(session)
    west = make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    make_premises(session, longitude=IN_EAST[0], latitude=IN_EAST[1])
    make_premises(session, longitude=None, latitude=None)
    # One big ward covering both old ones, under the west ward's code but a new name.
    data = geojson_bytes([("E05999901", "Bothward", square(1.0, 54.0, 0.02))])
    before = wards_now(session)
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))

    preview = preview_import(
        session, admin, NOW, BoundarySource("both.geojson", data=data), date(2026, 1, 1)
    )

    assert preview.ok and preview.problems == [] and preview.repairs == []
    [line] = preview.wards
    assert (line.code, line.name, line.status, line.premises) == (
        "E05999901",
        "Bothward",
        "renamed",
        2,
    )
    # 0.02° of longitude at 54°N is about 1.31 km, 0.02° of latitude about 2.22 km.
    assert line.area_hectares == pytest.approx(291, rel=0.02)
    assert [(m.from_name, m.to_name, m.count) for m in preview.moves] == [
        ("Eastward", "Bothward", 1)
    ]
    assert (preview.located, preview.unlocated, preview.outside) == (2, 1, 0)
    assert preview.retired == [("E05999902", "Eastward")]
    assert preview.current_since == date(2022, 5, 5)
    # Nothing was written.
    assert wards_now(session) == before
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before
    assert premises_ward(session, west.id) == "E05999901"


def test_confirm_replaces_the_set_keeps_history_and_reports_moves(
    session: Session, admin: Actor
) -> None:
    make_wards(session)
    west = make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    east = make_premises(session, longitude=IN_EAST[0], latitude=IN_EAST[1])
    away = make_premises(session, longitude=OUTSIDE[0], latitude=OUTSIDE[1])
    # West shrinks to nothing near the west premises; a new ward takes the east premises' spot.
    data = geojson_bytes(
        [
            ("E05999903", "Northward", square(1.0, 54.01)),
            ("E05999904", "Newward", square(1.01, 54.0)),
        ]
    )
    result = confirm_import(
        session, admin, NOW, BoundarySource("new.geojson", data=data), date(2026, 1, 1)
    )
    assert result.wards == 2 and result.retired == 2
    assert sorted((m.from_name, m.to_name, m.count) for m in result.moves) == [
        ("Eastward", "Newward", 1),
        ("Westward", "Outside every ward", 1),
    ]
    assert result.moved == 2 and result.outside == 2 and result.located == 3
    assert premises_ward(session, west.id) is None
    assert premises_ward(session, east.id) == "E05999904"
    assert premises_ward(session, away.id) is None
    assert wards_now(session) == [
        ("E05999901", date(2022, 5, 5), date(2025, 12, 31)),
        ("E05999902", date(2022, 5, 5), date(2025, 12, 31)),
        ("E05999903", date(2026, 1, 1), None),
        ("E05999904", date(2026, 1, 1), None),
    ]
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "wards.replace")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and "January 2026" in event.summary


def test_same_codes_in_the_same_places_move_nothing(session: Session, admin: Actor) -> None:
    make_wards(session)
    make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    data = geojson_bytes(
        [
            ("E05999901", "Westward", square(1.0, 54.0)),
            ("E05999902", "Eastward", square(1.01, 54.0)),
        ]
    )
    preview = preview_import(
        session, admin, NOW, BoundarySource("same.geojson", data=data), date(2026, 1, 1)
    )
    assert [w.status for w in preview.wards] == ["unchanged", "unchanged"]
    assert preview.moves == []
    result = confirm_import(
        session, admin, NOW, BoundarySource("same.geojson", data=data), date(2026, 1, 1)
    )
    assert result.moves == [] and result.moved == 0


def test_overlapping_wards_are_refused_with_a_report_and_nothing_changes(
    session: Session, admin: Actor
) -> None:
    make_wards(session)
    before = wards_now(session)
    data = geojson_bytes(
        [
            ("E05999901", "Westward", square(1.0, 54.0)),
            ("E05999902", "Eastward", square(1.005, 54.0)),
        ]
    )
    source = BoundarySource("overlap.geojson", data=data)
    preview = preview_import(session, admin, NOW, source, date(2026, 1, 1))
    assert not preview.ok
    assert any("overlap" in p and "E05999901" in p and "E05999902" in p for p in preview.problems)
    assert preview.moves == []
    with pytest.raises(ValidationFailed) as refused:
        confirm_import(session, admin, NOW, source, date(2026, 1, 1))
    assert "overlap" in refused.value.errors["file"]
    assert wards_now(session) == before


def bow_tie() -> dict[str, object]:
    # A square whose last two corners are swapped: it crosses itself in the middle.
    return {
        "type": "Polygon",
        "coordinates": [[[1.0, 54.0], [1.01, 54.0], [1.0, 54.01], [1.01, 54.01], [1.0, 54.0]]],
    }


def test_invalid_shape_is_refused_or_repaired_when_asked_and_said_so(
    session: Session, admin: Actor
) -> None:
    make_wards(session)
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "E05999909", "name": "Knotted"},
                "geometry": bow_tie(),
            }
        ],
    }
    data = json.dumps(doc).encode()
    refused = preview_import(
        session, admin, NOW, BoundarySource("x.geojson", data=data), date(2026, 1, 1)
    )
    assert not refused.ok
    assert any("E05999909" in p and "invalid" in p.lower() for p in refused.problems)
    # make_valid turns the bow tie into two triangles of the same area: a safe repair.
    repaired = preview_import(
        session, admin, NOW, BoundarySource("x.geojson", data=data, repair=True), date(2026, 1, 1)
    )
    assert repaired.ok and len(repaired.repairs) == 1 and "E05999909" in repaired.repairs[0]
    assert repaired.wards[0].area_hectares > 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json at all", "not a JSON document"),
        (b'{"type": "FeatureCollection", "features": []}', "no features"),
        # Past Python's recursion limit its JSON parser raises RecursionError, not a ValueError.
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_files_are_reported_not_raised(
    session: Session, admin: Actor, data: bytes, message: str
) -> None:
    preview = preview_import(
        session, admin, NOW, BoundarySource("x.geojson", data=data), date(2026, 1, 1)
    )
    assert not preview.ok and any(message in p for p in preview.problems)


def test_a_file_of_another_kind_is_refused(session: Session, admin: Actor) -> None:
    preview = preview_import(
        session, admin, NOW, BoundarySource("wards.kml", data=b"<kml/>"), date(2026, 1, 1)
    )
    assert not preview.ok and "choose a .geojson file or a .zip" in preview.problems[0]


@pytest.mark.parametrize(
    ("valid_from", "message"),
    [
        (date(2026, 3, 3), "today or in the past"),
        (date(2022, 5, 5), "after 5 May 2022"),
        (date(2020, 1, 1), "after 5 May 2022"),
    ],
)
def test_the_start_date_must_follow_the_current_set_and_not_be_in_the_future(
    session: Session, admin: Actor, valid_from: date, message: str
) -> None:
    make_wards(session)
    data = geojson_bytes([("E05999901", "Westward", square(1.0, 54.0))])
    with pytest.raises(ValidationFailed) as refused:
        preview_import(session, admin, NOW, BoundarySource("x.geojson", data=data), valid_from)
    assert message in refused.value.errors["valid_from"]


@pytest.mark.parametrize("valid_from", [date(1, 1, 1), date(1899, 12, 31)])
def test_a_first_set_dated_before_1900_is_refused_not_an_overflow(
    session: Session, admin: Actor, valid_from: date
) -> None:
    """With no set in force yet nothing bounded the date: year 1 passed, and ending the sets
    before it (a day earlier) overflowed."""
    data = geojson_bytes([("E05999901", "Westward", square(1.0, 54.0))])
    source = BoundarySource("x.geojson", data=data)
    for step in (preview_import, confirm_import):
        with pytest.raises(ValidationFailed) as refused:
            step(session, admin, NOW, source, valid_from)
        assert refused.value.errors["valid_from"].endswith("must be in 1900 or later")
    assert session.scalar(select(func.count()).select_from(Ward)) == 0


def test_only_administrators_import_wards(session: Session) -> None:
    officer = users.actor_for(make_user(session, "licensing_officer"))
    data = geojson_bytes([("E05999901", "Westward", square(1.0, 54.0))])
    with pytest.raises(Forbidden):
        preview_import(
            session, officer, NOW, BoundarySource("x.geojson", data=data), date(2026, 1, 1)
        )
    with pytest.raises(Forbidden):
        confirm_import(
            session, officer, NOW, BoundarySource("x.geojson", data=data), date(2026, 1, 1)
        )


# --- zipped shapefiles --------------------------------------------------------------------------


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def shapefile_parts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_zip_must_hold_exactly_one_complete_shapefile(session: Session, admin: Actor) -> None:
    shared = require_shared_data()
    parts = shapefile_parts(shared / "wards" / "london_wards_2018_bng")
    no_prj = {k: v for k, v in parts.items() if not k.endswith(".prj")}
    cases = {
        "nothing": (zipped({"readme.txt": b"hello"}), "exactly one shapefile"),
        "no prj": (zipped(no_prj), "no .prj"),
        "not a zip": (b"PK but not really", "not a readable zip"),
    }
    for label, (data, message) in cases.items():
        preview = preview_import(
            session,
            admin,
            NOW,
            BoundarySource("w.zip", data=data, district="E09000013"),
            date(2026, 1, 1),
        )
        assert not preview.ok, label
        assert any(message in p for p in preview.problems), (label, preview.problems)


def test_zip_paths_cannot_escape_the_temporary_folder(
    session: Session, admin: Actor, tmp_path: Path
) -> None:
    shared = require_shared_data()
    parts = shapefile_parts(shared / "wards" / "london_wards_2018_bng")
    sneaky = {f"../../{tmp_path.name}/escape/{k}": v for k, v in parts.items()}
    preview = preview_import(
        session,
        admin,
        NOW,
        BoundarySource("w.zip", data=zipped(sneaky), district="E09000013"),
        date(2026, 1, 1),
    )
    assert preview.ok and len(preview.wards) == 16
    assert not (tmp_path / "escape").exists()


# --- the real boundary files --------------------------------------------------------------------


def real_source(name: str, **options: object) -> BoundarySource:
    shared = require_shared_data()
    return BoundarySource(name, path=shared / "wards" / name, **options)  # type: ignore[arg-type]


def place_real_premises(session: Session) -> dict[str, int]:
    points = {
        "broadway": BROADWAY,
        "shared edge": SHARED_EDGE,
        "thames": THAMES,
        "kensington": KENSINGTON,
    }
    return {
        label: make_premises(session, name=label, longitude=lon, latitude=lat).id
        for label, (lon, lat) in points.items()
    }


def test_real_files_import_in_turn_and_premises_follow(session: Session, admin: Actor) -> None:
    shared = require_shared_data()
    ids = place_real_premises(session)

    # 1. The 16 wards used before 2022 (ONS, WGS84 GeoJSON).
    old = preview_import(
        session, admin, NOW, real_source("hf_wards_2002-2022_wgs84.geojson"), date(2002, 5, 2)
    )
    assert old.ok and len(old.wards) == 16 and all(w.status == "new" for w in old.wards)
    assert all(w.code.startswith("E0500") for w in old.wards)
    assert old.total_hectares == pytest.approx(1639, abs=5)
    confirm_import(
        session, admin, NOW, real_source("hf_wards_2002-2022_wgs84.geojson"), date(2002, 5, 2)
    )
    assert premises_ward(session, ids["broadway"]) == "E05000256"  # Hammersmith Broadway (2002)
    assert premises_ward(session, ids["thames"]) is None
    assert premises_ward(session, ids["kensington"]) is None

    # 2. The London Datastore 2018 wards (British National Grid shapefile, zipped, one borough):
    #    they run out to mid-river, so the premises in the Thames now has a ward.
    zipped_shp = zipped(shapefile_parts(shared / "wards" / "london_wards_2018_bng"))
    source = BoundarySource(
        "London_Ward_CityMerged_2018_bng.zip", data=zipped_shp, district="E09000013"
    )
    london = preview_import(session, admin, NOW, source, date(2018, 5, 3))
    assert london.ok and len(london.wards) == 16
    assert london.total_hectares == pytest.approx(1715, abs=5)  # 75.6 ha of it is river
    assert [(m.from_name, m.count) for m in london.moves] == [("Outside every ward", 1)]
    assert {w.code for w in london.wards} == {w.code for w in old.wards}
    assert all(w.status == "unchanged" for w in london.wards)
    # The start date must follow the current set's (2 May 2002): 3 May 2018 does.
    confirm_import(session, admin, NOW, source, date(2018, 5, 3))
    assert premises_ward(session, ids["thames"]) == "E05000256"  # Hammersmith Broadway, mid-river
    assert premises_ward(session, ids["kensington"]) is None

    # 3. The 21 wards in force since May 2022.
    new = preview_import(
        session, admin, NOW, real_source("hf_wards_2022_wgs84.geojson"), date(2022, 5, 5)
    )
    assert new.ok and len(new.wards) == 21 and len(new.retired) == 16
    assert all(w.code.startswith("E050137") for w in new.wards)
    result = confirm_import(
        session, admin, NOW, real_source("hf_wards_2022_wgs84.geojson"), date(2022, 5, 5)
    )
    assert result.wards == 21 and result.retired == 16
    assert premises_ward(session, ids["broadway"]) == "E05013741"
    assert premises_ward(session, ids["shared edge"]) == "E05013735"  # the lower code of the two
    assert premises_ward(session, ids["thames"]) is None  # the ONS wards stop at the bank
    assert premises_ward(session, ids["kensington"]) is None
    moved_to = {m.to_name for m in result.moves}
    assert "Outside every ward" in moved_to  # the river premises
    in_force = session.scalars(select(Ward.code).where(Ward.valid_to.is_(None))).all()
    assert len(in_force) == 21
    assert session.scalar(select(func.count()).select_from(Ward)) == 16 + 16 + 21


def test_real_bng_geojson_imports(session: Session, admin: Actor, tmp_path: Path) -> None:
    """A GeoJSON in British National Grid (declared or chosen) is transformed with pyproj."""
    require_shared_data()
    from geo.crs import geometry_to_bng
    from geo.wards import load_geojson

    wgs84 = load_geojson(require_shared_data() / "wards" / "hf_wards_2022_wgs84.geojson")
    bng = geojson_bytes([(b.code, b.name, geometry_to_bng(b.geometry)) for b in wgs84])
    declared = geojson_bytes(
        [(b.code, b.name, geometry_to_bng(b.geometry)) for b in wgs84], crs="EPSG:27700"
    )
    undeclared = preview_import(
        session, admin, NOW, BoundarySource("bng.geojson", data=bng), date(2026, 1, 1)
    )
    assert not undeclared.ok and "British National Grid" in undeclared.problems[0]
    chosen = preview_import(
        session,
        admin,
        NOW,
        BoundarySource("bng.geojson", data=bng, crs="EPSG:27700"),
        date(2026, 1, 1),
    )
    said = preview_import(
        session, admin, NOW, BoundarySource("bng.geojson", data=declared), date(2026, 1, 1)
    )
    for preview in (chosen, said):
        assert preview.ok and len(preview.wards) == 21
        assert preview.total_hectares == pytest.approx(1639, abs=5)
    assert ward_import.OUTSIDE == "Outside every ward"


# --- keeping a previewed file for the confirm step ----------------------------------------------


def test_a_staged_file_comes_back_only_to_its_owner_within_the_hour(tmp_path: Path) -> None:
    from datetime import timedelta

    from enforcement.errors import NotFound
    from enforcement.wards.importing import STAGED_FOR, discard, stage, staged

    owner = Actor(user_id=7, label="admin", roles=frozenset({"admin"}))
    other = Actor(user_id=8, label="admin 2", roles=frozenset({"admin"}))
    source = BoundarySource("w.zip", data=b"PK zipped bytes", district="E09000013", repair=True)
    token = stage(tmp_path, owner, NOW, source, date(2026, 1, 1))
    assert len(token) == 32 and sorted(p.suffix for p in tmp_path.iterdir()) == [".data", ".json"]

    back = staged(tmp_path, owner, NOW + timedelta(minutes=5), token)
    assert back.source == source and back.valid_from == date(2026, 1, 1) and back.token == token
    for who, when, name in (
        (other, NOW, token),
        (owner, NOW + STAGED_FOR + timedelta(seconds=1), token),
        (owner, NOW, "../../etc/passwd"),
        (owner, NOW, "A" * 32),
    ):
        with pytest.raises(NotFound):
            staged(tmp_path, who, when, name)

    # A published file is kept by its path; staging again later clears out expired files.
    shared = BoundarySource("hf.geojson", path=tmp_path / "hf.geojson", crs="EPSG:27700")
    later = stage(tmp_path, owner, NOW + STAGED_FOR * 2, shared, date(2026, 2, 1))
    assert not (tmp_path / f"{token}.json").exists()
    assert staged(tmp_path, owner, NOW + STAGED_FOR * 2, later).source == shared
    discard(tmp_path, later)
    discard(tmp_path, "not a token")
    assert list(tmp_path.iterdir()) == []


def test_only_administrators_stage_files(tmp_path: Path) -> None:
    from enforcement.wards.importing import stage

    officer = Actor(user_id=9, label="officer", roles=frozenset({"licensing_officer"}))
    with pytest.raises(Forbidden):
        stage(tmp_path, officer, NOW, BoundarySource("w.geojson", data=b"{}"), date(2026, 1, 1))


def test_replace_wards_counts_only_premises_whose_ward_code_changes(
    session: Session, admin: Actor
) -> None:
    """The CLI's loader: the same boundaries again move nobody; swapped codes move everyone."""
    make_wards(session)
    make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    make_premises(session, longitude=IN_EAST[0], latitude=IN_EAST[1])
    make_premises(session, longitude=OUTSIDE[0], latitude=OUTSIDE[1])
    same = wards.replace_wards(session, admin, NOW, [WEST, EAST], date(2023, 1, 1))
    assert same == {"wards": 2, "moved": 0, "outside": 1}
    # Every premises now points at the new rows, and is still in its ward.
    codes = session.execute(
        select(Ward.code, Ward.valid_to).join(PremisesWard, PremisesWard.ward_id == Ward.id)
    ).all()
    assert sorted(codes) == [("E05999901", None), ("E05999902", None)]
    swapped = [
        WardBoundary(code=WEST.code, name=WEST.name, geometry=EAST.geometry),
        WardBoundary(code=EAST.code, name=EAST.name, geometry=WEST.geometry),
    ]
    moved = wards.replace_wards(session, admin, NOW, swapped, date(2024, 1, 1))
    assert moved == {"wards": 2, "moved": 2, "outside": 1}
    only_west = wards.replace_wards(session, admin, NOW, swapped[:1], date(2025, 1, 1))
    assert only_west == {"wards": 1, "moved": 1, "outside": 2}


def test_unchanged_wards_keep_their_rows_and_their_premises_are_not_rewritten(
    session: Session, admin: Actor
) -> None:
    """A ward identical to the one in force keeps its row id (its old period recorded as a row of
    its own); only the ward assignments of premises whose ward changes are written, and no
    premises row is rewritten (its version stays)."""
    make_wards(session)
    west = make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    east = make_premises(session, longitude=IN_EAST[0], latitude=IN_EAST[1])
    session.flush()

    def state(p: Premises) -> tuple[int | None, int]:
        session.expire_all()  # the import writes below the identity map
        return p.ward_id, p.version

    west_before, east_before = state(west), state(east)
    # West is unchanged; east keeps its code and name but its boundary grows a little.
    grown = WardBoundary(code=EAST.code, name=EAST.name, geometry=square(1.01, 54.0, 0.011))
    result = confirm_import(
        session,
        admin,
        NOW,
        BoundarySource(
            "next.geojson",
            data=geojson_bytes(
                [(WEST.code, WEST.name, WEST.geometry), (EAST.code, EAST.name, grown.geometry)]
            ),
        ),
        date(2026, 1, 1),
    )
    assert result.moves == [] and result.located == 2
    assert state(west) == west_before  # same ward row, row not rewritten
    east_after = state(east)
    assert east_after[0] != east_before[0] and east_after[1] == east_before[1]
    assert premises_ward(session, east.id) == EAST.code
    # The history is what any import leaves: the old set ended, the new one in force.
    assert wards_now(session) == [
        ("E05999901", date(2022, 5, 5), date(2025, 12, 31)),
        ("E05999902", date(2022, 5, 5), date(2025, 12, 31)),
        ("E05999901", date(2026, 1, 1), None),
        ("E05999902", date(2026, 1, 1), None),
    ]
    assert premises_ward(session, west.id) == WEST.code
    # The same boundaries again: history recorded, no premises rewritten.
    wards.replace_wards(
        session,
        admin,
        NOW,
        [WEST, WardBoundary(EAST.code, EAST.name, grown.geometry)],
        date(2026, 6, 1),
    )
    assert state(west) == west_before and state(east) == east_after
    assert len(wards_now(session)) == 6
    in_force = [(code, since) for code, since, until in wards_now(session) if until is None]
    assert in_force == [(WEST.code, date(2026, 6, 1)), (EAST.code, date(2026, 6, 1))]


def test_boundaries_that_place_no_located_premises_are_refused(
    session: Session, admin: Actor
) -> None:
    """A file whose latitude and longitude are swapped (or another borough's) puts every
    located premises outside every ward: refused with a reason, nothing changed."""
    make_wards(session)
    make_premises(session, name="In the west")  # located in Westward
    before = wards_now(session)
    swapped = geojson_bytes(
        [
            ("E05999901", "Westward", square(54.0, 1.0)),
            ("E05999902", "Eastward", square(54.0, 1.01)),
        ]
    )
    source = BoundarySource("swapped.geojson", data=swapped)
    preview = preview_import(session, admin, NOW, source, date(2026, 1, 1))
    assert not preview.ok and preview.moves == []
    assert any(
        "none of the 1 located premises falls in any of these wards" in p for p in preview.problems
    )
    with pytest.raises(ValidationFailed) as refused:
        confirm_import(session, admin, NOW, source, date(2026, 1, 1))
    assert "coordinates are not swapped" in refused.value.errors["file"]
    assert wards_now(session) == before
