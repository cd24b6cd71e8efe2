"""`flask wards import`: the admin page's checks, shapefile folders and zips, one district only.

The command once accepted a 2002 and a future start date (leaving two sets "in force today",
the ward filter showing "Addison" twice, and the next import failing on duplicate codes), and
loaded all 633 London wards when the district was left out. Each of those is tested here.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from conftest import TEST_SECRET, PostgresDatabase, migrated_sqlite_url, upgrade
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from unit.shared_data import require_shared_data

from app import create_app
from config import Settings
from enforcement.clock import london_today, utcnow
from enforcement.db import make_engine
from enforcement.models import Ward
from enforcement.register import wards


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh database of each kind: the command commits, so not the shared one."""
    pg = PostgresDatabase(migrated=True) if request.param == "postgresql" else None
    url = pg.url if pg else migrated_sqlite_url(tmp_path / "cli.db")
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    try:
        yield create_app(Settings(database_url=url, secret_key=TEST_SECRET, testing=True))
    finally:
        if pg:
            pg.drop()


@pytest.fixture
def shared() -> Path:
    return require_shared_data()


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["wards", "import", *args])


def in_force_names(app: Flask) -> list[str]:
    eng = make_engine(app.config["SETTINGS"].database_url)
    with eng.connect() as conn, Session(conn) as session:
        names = [w.name for w in wards.wards_in_force(session, london_today(utcnow()))]
    eng.dispose()
    return names


def ward_rows(app: Flask) -> int:
    eng = make_engine(app.config["SETTINGS"].database_url)
    with eng.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Ward)) or 0
    eng.dispose()
    return n


def test_start_dates_are_checked_as_on_the_admin_page(cli_app: Flask, shared: Path) -> None:
    wards_2022 = str(shared / "wards" / "hf_wards_2022_wgs84.geojson")
    wards_2002 = str(shared / "wards" / "hf_wards_2002-2022_wgs84.geojson")
    first = run(cli_app, wards_2022, "--valid-from", "2022-05-05")
    assert first.exit_code == 0, first.output
    assert "Loaded 21 wards in force from 5 May 2022" in first.output

    # Before the set in force: refused, nothing written.
    old = run(cli_app, wards_2002, "--valid-from", "2002-05-02")
    assert old.exit_code == 1
    assert "must come into force after 5 May 2022" in old.output
    assert "Traceback" not in old.output
    # In the future: refused too (premises move at once).
    tomorrow = london_today(utcnow()) + timedelta(days=1)
    future = run(cli_app, wards_2002, "--valid-from", tomorrow.isoformat())
    assert future.exit_code == 1
    assert "must be today or in the past" in future.output
    assert ward_rows(cli_app) == 21

    # One set in force, so the ward filter lists each ward once.
    names = in_force_names(cli_app)
    assert len(names) == 21 and names.count("Addison") == 1

    # The same start date again is refused with a message, not a crash on duplicate codes.
    again = run(cli_app, wards_2022, "--valid-from", "2022-05-05")
    assert again.exit_code == 1 and "after 5 May 2022" in again.output
    assert "IntegrityError" not in again.output and isinstance(again.exception, SystemExit)
    # A later start date replaces the set cleanly, keeping the old one for history.
    later = run(cli_app, wards_2022, "--valid-from", "2026-01-01")
    assert later.exit_code == 0, later.output
    assert ward_rows(cli_app) == 42
    assert len(in_force_names(cli_app)) == 21


def test_a_file_of_several_districts_needs_a_district(cli_app: Flask, shared: Path) -> None:
    folder = shared / "wards" / "london_wards_2018_bng"
    refused = run(
        cli_app, str(folder / "London_Ward_CityMerged_2018_bng.shp"), "--valid-from", "2018-05-03"
    )
    assert refused.exit_code == 1
    assert "covers 33 districts" in refused.output and "E09000013" in refused.output
    assert ward_rows(cli_app) == 0

    # The shapefile's folder is accepted, kept to one borough.
    loaded = run(cli_app, str(folder), "--valid-from", "2018-05-03", "--district", "E09000013")
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 16 wards" in loaded.output
    assert ward_rows(cli_app) == 16


def test_a_zipped_shapefile_is_accepted(cli_app: Flask, shared: Path, tmp_path: Path) -> None:
    folder = shared / "wards" / "london_wards_2018_bng"
    archive = tmp_path / "london.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, f"london/{part.name}")
    refused = run(cli_app, str(archive), "--valid-from", "2018-05-03")
    assert refused.exit_code == 1 and "covers 33 districts" in refused.output
    loaded = run(cli_app, str(archive), "--valid-from", "2018-05-03", "--district", "E09000013")
    assert loaded.exit_code == 0, loaded.output
    assert ward_rows(cli_app) == 16


def test_a_folder_without_one_shapefile_is_refused(cli_app: Flask, tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    result = run(cli_app, str(empty), "--valid-from", "2020-01-01")
    assert result.exit_code == 1 and "exactly one .shp" in result.output
    assert ward_rows(cli_app) == 0


def test_the_first_import_into_an_empty_database_takes_a_past_date(
    cli_app: Flask, shared: Path
) -> None:
    result = run(
        cli_app,
        str(shared / "wards" / "hf_wards_2002-2022_wgs84.geojson"),
        "--valid-from",
        "2002-05-02",
    )
    assert result.exit_code == 0, result.output
    assert ward_rows(cli_app) == 16
    assert date(2002, 5, 2) <= london_today(utcnow())
