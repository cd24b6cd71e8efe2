"""`flask register import` and `flask register export` on the real public files, on both databases.

The counts asserted are worked out from the files themselves, never written in by hand.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_SECRET, PostgresDatabase, migrated_sqlite_url, upgrade
from flask import Flask
from unit.shared_data import require_shared_data

from app import create_app
from config import Settings
from enforcement.db import make_engine

SUMMARY = re.compile(
    r"New: (\d+), changed: (\d+), unchanged: (\d+), conflicts: (\d+), refused: (\d+), "
    r"left out: (\d+)"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on a database of its own: the commands commit."""
    pg = None
    if request.param == "sqlite":
        url = migrated_sqlite_url(tmp_path / "cli.db")
    else:
        pg = PostgresDatabase(migrated=True)
        url = pg.url
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield create_app(
        Settings(
            database_url=url,
            secret_key=TEST_SECRET,
            testing=True,
            council_name="London Borough of Hammersmith & Fulham",
        )
    )
    if pg is not None:
        pg.drop()


def _import(app: Flask, path: Path, kind: str, *extra: str) -> dict[str, int]:
    result = app.test_cli_runner().invoke(
        args=["register", "import", str(path), "--format", kind, *extra]
    )
    assert result.exit_code == 0, result.output
    found = SUMMARY.search(result.output)
    assert found is not None, result.output
    keys = ("new", "changed", "unchanged", "conflict", "refused", "left_out")
    return dict(zip(keys, (int(x) for x in found.groups()), strict=True))


def _csv_records(path: Path, encoding: str) -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as stream:
        return [r for r in csv.DictReader(stream) if any((v or "").strip() for v in r.values())]


def test_the_esd_example_imports_then_again_changes_nothing_and_exports_round_trip(
    cli_app: Flask, tmp_path: Path
) -> None:
    path = require_shared_data() / "premises" / "example-premises-licences.csv"
    rows = _csv_records(path, "cp1252")
    # The file has rows it cannot take (postcodes that are not postcodes, a licence twice with
    # different details): by default it is refused whole, every refused row listed.
    refused = cli_app.test_cli_runner().invoke(
        args=["register", "import", str(path), "--format", "esd"]
    )
    assert refused.exit_code != 0
    assert "Nothing was written" in refused.output and "--leave-out-refused" in refused.output
    listed = refused.output.count("Refused: line ")
    dry = _import(cli_app, path, "esd", "--dry-run")
    assert dry["refused"] == listed > 0 and dry["new"] + listed == len(rows)
    # Chosen: the other rows are imported, the refused ones left out.
    first = _import(cli_app, path, "esd", "--leave-out-refused")
    assert first == dry
    assert first["new"] > 0.95 * len(rows)
    again = _import(cli_app, path, "esd", "--leave-out-refused")
    assert again == {**first, "new": 0, "unchanged": first["new"]}
    out = tmp_path / "register.csv"
    result = cli_app.test_cli_runner().invoke(args=["register", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert len(_csv_records(out, "utf-8-sig")) == first["new"]
    back = _import(cli_app, out, "esd", "--dry-run")
    assert back == {
        "new": 0,
        "changed": 0,
        "unchanged": first["new"],
        "conflict": 0,
        "refused": 0,
        "left_out": 0,
    }


@pytest.mark.parametrize("name", ["FHRS513en-GB.xml", "FHRS520en-GB.xml"])
def test_any_boroughs_fhrs_file_imports(cli_app: Flask, name: str) -> None:
    path = require_shared_data() / "premises" / name
    establishments = path.read_bytes().count(b"<EstablishmentDetail>")
    dry = _import(cli_app, path, "fhrs", "--dry-run")
    assert dry["new"] == establishments
    first = _import(cli_app, path, "fhrs")
    assert first["new"] == establishments
    again = _import(cli_app, path, "fhrs")
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, establishments)


def test_the_gambling_register_is_cut_to_the_council(cli_app: Flask) -> None:
    path = require_shared_data() / "premises" / "gambling_commission_premises_register_2018-09.csv"
    rows = _csv_records(path, "utf-8-sig")
    ours = [r for r in rows if "Hammersmith" in (r["Local_Authority_Name"] or "")]
    first = _import(cli_app, path, "gambling", "--postcode-district", "W6")
    assert first["new"] + first["refused"] + first["left_out"] == len(rows)
    # Every row naming the council is in; a blank authority in W6 is in too.
    blank_w6 = [
        r
        for r in rows
        if not (r["Local_Authority_Name"] or "").strip()
        and (r["premises_Postcode"] or "").upper().startswith("W6 ")
    ]
    assert first["new"] + first["refused"] >= len(ours)
    assert first["new"] + first["refused"] <= len(ours) + len(blank_w6)
    again = _import(cli_app, path, "gambling", "--postcode-district", "W6")
    assert (again["new"], again["unchanged"]) == (0, first["new"])


def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_written(
    cli_app: Flask, tmp_path: Path
) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_bytes(b"<FHRSEstablishment><EstablishmentCollection><Establishment")
    result = cli_app.test_cli_runner().invoke(
        args=["register", "import", str(bad), "--format", "fhrs"]
    )
    assert result.exit_code != 0
    assert "not a usable FHRS file" in result.output and "Nothing was written" in result.output


def test_a_file_missing_a_column_says_which_as_a_sentence(cli_app: Flask, tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("CaseReference,PremisesName\nL/1,Corner Shop\n")
    result = cli_app.test_cli_runner().invoke(
        args=["register", "import", str(short), "--format", "esd"]
    )
    assert result.exit_code != 0
    assert "CaseDate: required column is missing. Nothing was written." in result.output


def test_an_export_that_cannot_be_written_says_so_and_is_not_audited(
    cli_app: Flask, tmp_path: Path
) -> None:
    """It was audited as made, then ended in a traceback with no file."""
    from sqlalchemy import func, select

    from enforcement.models import AuditEvent

    def exports() -> int:
        engine = make_engine(cli_app.config["SETTINGS"].database_url)
        with engine.connect() as conn:
            n = conn.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "register.export")
            )
        engine.dispose()
        return n or 0

    missing = tmp_path / "no such folder" / "register.csv"
    result = cli_app.test_cli_runner().invoke(args=["register", "export", str(missing)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: Could not write {missing}: No such file or directory. Nothing was exported.\n"
    )
    assert exports() == 0 and not missing.parent.exists()

    written = tmp_path / "register.json"
    result = cli_app.test_cli_runner().invoke(
        args=["register", "export", str(written), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert exports() == 1 and written.is_file() and list(tmp_path.glob(".*.part")) == []


def test_every_refused_row_is_listed_when_every_row_is_refused(
    cli_app: Flask, tmp_path: Path
) -> None:
    """Only the first was given: "Every row of the file was refused (4)... The first: line 2"."""
    bad = tmp_path / "allbad.csv"
    bad.write_text(
        "CaseReference,CaseDate,PremisesName\n"
        + "".join(f"A{n},9{n}/99/2026,X{n}\n" for n in range(4))
    )
    result = cli_app.test_cli_runner().invoke(
        args=["register", "import", str(bad), "--format", "esd"]
    )
    assert result.exit_code != 0
    assert [line.split(":")[0:2] for line in result.output.splitlines() if "Refused" in line] == [
        ["Refused", " line 2"],
        ["Refused", " line 3"],
        ["Refused", " line 4"],
        ["Refused", " line 5"],
    ]
    assert "Every row of the file was refused (4," in result.output


def test_a_new_licence_at_a_premises_changed_in_the_app_keeps_the_change_as_reported(
    cli_app: Flask, tmp_path: Path
) -> None:
    """The command said "conflicts kept as they are: 1" and overwrote the premises' name."""
    from sqlalchemy import select, update

    from enforcement.models import Premises

    head = "CaseReference,CaseDate,PremisesName,LocationText,Postcode,UPRN\n"
    one = "NL/1,05/02/2026,Ddraig Goch,12 Heol y Frenhines,CF10 1AA,100023336956\n"
    first, both = tmp_path / "one.csv", tmp_path / "both.csv"
    first.write_text(head + one)
    both.write_text(head + one + one.replace("NL/1", "NL/2"))
    _import(cli_app, first, "esd")
    engine = make_engine(cli_app.config["SETTINGS"].database_url)
    with engine.begin() as conn:
        conn.execute(update(Premises).values(name="Y Ddraig Goch (officer)"))
    result = cli_app.test_cli_runner().invoke(
        args=["register", "import", str(both), "--format", "esd"]
    )
    assert result.exit_code == 0, result.output
    assert "conflicts: 1" in result.output and "conflicts kept as they are: 1" in result.output
    assert "1 licences added" in result.output
    with engine.connect() as conn:
        assert conn.scalars(select(Premises.name)).all() == ["Y Ddraig Goch (officer)"]
    # The new licence alone in its file: a conflict too, and the licence is added either way.
    alone = tmp_path / "alone.csv"
    alone.write_text(head + one.replace("NL/1", "NL/3"))
    result = cli_app.test_cli_runner().invoke(
        args=["register", "import", str(alone), "--format", "esd"]
    )
    assert "New: 1, changed: 0, unchanged: 0, conflicts: 1" in result.output
    assert "a new licence, added either way" in result.output
    assert "conflicts kept as they are: 1" in result.output
    with engine.connect() as conn:
        assert conn.scalars(select(Premises.name)).all() == ["Y Ddraig Goch (officer)"]
    engine.dispose()
