"""The demo data reads true: invented premises sit on streets of their own ward, the fictional
borough is not named after the real one, and the README's count of premises is what loads."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from unit.shared_data import require_shared_data

from config import REAL_COUNCIL_NAME, Settings, default_council_name
from enforcement import demo
from enforcement.models import Organisation, Premises, PremisesWard, Ward
from geo.fictional import FICTIONAL_COUNCIL_NAME

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
README = Path(__file__).resolve().parents[2] / "README.md"


def _premises_by_ward(session: Session) -> list[tuple[Premises, str | None]]:
    rows = session.execute(
        select(Premises, Ward.name)
        .outerjoin(PremisesWard, PremisesWard.premises_id == Premises.id)
        .outerjoin(Ward, Ward.id == PremisesWard.ward_id)
        .order_by(Premises.id)
    ).all()
    return [(p, ward) for p, ward in rows]


def _invented(rows: list[tuple[Premises, str | None]]) -> list[tuple[Premises, str | None]]:
    return [(p, w) for p, w in rows if (p.source_ref or "").startswith("demo:")]


def test_street_of_reads_the_street_of_a_numbered_address() -> None:
    assert demo.street_of("155 Fulham Palace Road") == "Fulham Palace Road"
    assert demo.street_of("142 - 144 King Street") == "King Street"
    assert demo.street_of("56A Erconwald Street") == "Erconwald Street"
    assert demo.street_of("Shop No 2") is None
    assert demo.street_of("Unit 19") is None
    assert demo.street_of("London") is None


def test_fictional_premises_are_on_streets_of_their_own_ward(session: Session) -> None:
    counts = demo.load_demo(session, NOW, None)
    assert counts["premises"] == 400
    invented = _invented(_premises_by_ward(session))
    assert len(invented) == 400
    for p, ward in invented:
        assert ward is not None, p.address_line1
        number, street = p.address_line1.split(" ", 1)
        assert number.isdigit() and street in demo.fictional_streets(ward), (p.name, ward)
    # The fictional borough's council is not the real one.
    councils = session.scalars(select(Organisation.name).order_by(Organisation.id)).all()
    assert demo.FICTIONAL_COUNCIL in councils
    assert not any("Hammersmith" in name for name in councils)


def test_real_demo_premises_are_on_streets_of_their_own_ward(session: Session) -> None:
    shared = require_shared_data()
    counts = demo.load_demo(session, NOW, shared)
    rows = _premises_by_ward(session)
    streets: dict[str | None, set[str]] = defaultdict(set)
    for p, ward in rows:
        if (p.source_ref or "").startswith("fhrs:") and (street := demo.street_of(p.address_line1)):
            streets[ward].add(street)
    invented = _invented(rows)
    assert len(invented) == 60
    misplaced = [
        (p.name, p.address_line1, ward)
        for p, ward in invented
        if p.address_line1.split(" ", 1)[1] not in streets[ward]
    ]
    assert not misplaced
    # "Calm Hands, 155 Fulham Palace Road" no longer sits in Wormholt.
    assert not any(
        ward == "Wormholt" and "Fulham Palace Road" in p.address_line1 for p, ward in invented
    )
    # The README's count of premises loaded from the real data is what loads.
    said = re.search(r"([\d,]+) premises: the ([\d,]+) food businesses", README.read_text())
    assert said is not None, "README.md no longer states the demo's count of premises"
    assert int(said[1].replace(",", "")) == counts["premises"] == len(rows)
    fhrs = sum(1 for p, _w in rows if (p.source_ref or "").startswith("fhrs:"))
    assert int(said[2].replace(",", "")) == fhrs


def test_the_fictional_borough_is_headed_by_its_own_name(tmp_path: Path) -> None:
    empty = tmp_path / "shared"
    empty.mkdir()
    assert default_council_name(empty) == FICTIONAL_COUNCIL_NAME
    assert default_council_name(None) == FICTIONAL_COUNCIL_NAME
    wards = empty / "wards"
    wards.mkdir()
    (wards / "hf_wards_2022_wgs84.geojson").write_text("{}")
    assert default_council_name(empty) == REAL_COUNCIL_NAME

    fictional = Settings.from_env({"SHARED_DATA_DIR": str(tmp_path / "nothing-here")})
    assert fictional.council_name == FICTIONAL_COUNCIL_NAME
    named = Settings.from_env({"SHARED_DATA_DIR": str(empty), "COUNCIL_NAME": "Our Council"})
    assert named.council_name == "Our Council"
    assert Settings.from_env({"SHARED_DATA_DIR": str(empty)}).council_name == REAL_COUNCIL_NAME
