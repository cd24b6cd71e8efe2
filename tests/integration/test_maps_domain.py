"""The map's data on both databases: GeoJSON with filters and colouring, nearby, ward profiles, hotspots."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from builders import (
    IN_EAST,
    IN_WEST,
    NOW,
    OUTSIDE,
    SYSTEM,
    make_licence,
    make_premises,
    make_user,
    make_wards,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.inspections import inspections
from enforcement.models import Organisation
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType
from enforcement.wards import maps
from enforcement.wards import profiles as ward_profiles
from enforcement.wards.maps import MapQuery
from enforcement.wards.profiles import Period
from geo.crs import from_bng, to_bng

WEST_BNG = to_bng(*IN_WEST)


def metres_from_west(dx: float, dy: float) -> tuple[float, float]:
    """The (lon, lat) dx metres east and dy metres north of the point in the west ward."""
    return from_bng(WEST_BNG[0] + dx, WEST_BNG[1] + dy)


@pytest.fixture
def officer(session: Session) -> Actor:
    make_wards(session)
    return users.actor_for(make_user(session, "licensing_officer"))


@pytest.fixture
def ward_officer(session: Session) -> Actor:
    return users.actor_for(make_user(session, "ward_officer", wards_=frozenset({"E05999902"})))


def inspect(
    session: Session, actor: Actor, premises_id: int, *, compliant: bool, key: str, when=NOW
) -> None:  # type: ignore[no-untyped-def]
    inspections.record_inspection(
        session,
        actor,
        NOW,
        premises_id,
        inspections.InspectionInput(
            inspected_at=when - timedelta(hours=1),
            reason="routine",
            idempotency_key=key,
            poster_displayed=True,
            poster_visible_public=True,
            poster_visible_workers=compliant,
            languages_displayed=frozenset({"en"}),
        ),
    )


def located(session: Session, name: str, at: tuple[float, float], **kw: object) -> int:
    return make_premises(session, name=name, longitude=at[0], latitude=at[1], **kw).id


# --- the premises layer -------------------------------------------------------------------------


def test_geojson_has_located_premises_with_their_licence_colour(
    session: Session, officer: Actor
) -> None:
    pub = located(session, "Unlicensed Pub", IN_WEST, premises_type=PremisesType.PUB_BAR)
    bar = located(session, "Licensed Bar", IN_EAST, premises_type=PremisesType.PUB_BAR)
    make_licence(session, bar)
    cafe = located(session, "Cafe", OUTSIDE)
    held = located(session, "Suspended Nails", IN_EAST, premises_type=PremisesType.HAIR_BEAUTY)
    make_licence(
        session, held, regime=LicenceRegime.SPECIAL_TREATMENT, status=LicenceStatus.SUSPENDED
    )
    make_premises(session, name="Nowhere", longitude=None, latitude=None)

    doc = maps.premises_features(session, officer, NOW, MapQuery())

    assert doc["type"] == "FeatureCollection"
    by_id = {f["id"]: f for f in doc["features"]}
    assert set(by_id) == {pub, bar, cafe, held}
    assert by_id[pub]["properties"]["category"] == "unlicensed"
    assert by_id[bar]["properties"]["category"] == "active"
    assert by_id[held]["properties"]["category"] == "suspended"
    assert by_id[cafe]["properties"] == {
        "name": "Cafe",
        "type": "restaurant_takeaway",
        "ward": None,
        "category": "none",
    }
    labels = doc["labels"]
    assert labels["types"]["restaurant_takeaway"] == "Restaurant or takeaway"
    assert labels["wards"][str(by_id[pub]["properties"]["ward"])] == "Westward"
    assert labels["outside"] == "Outside the borough"
    assert by_id[pub]["geometry"] == {"type": "Point", "coordinates": [IN_WEST[0], IN_WEST[1]]}
    assert doc["shown"] == 4 and doc["unlocated"] == 1
    legend = {c["key"]: c["count"] for c in doc["legend"]["categories"]}
    assert legend == {
        "unlicensed": 1,
        "active": 1,
        "suspended": 1,
        "applied": 0,
        "ended": 0,
        "none": 1,
    }
    assert doc["legend"]["key"] == "licence"


def test_geojson_applies_the_same_filters_as_the_list(session: Session, officer: Actor) -> None:
    pub = located(session, "Red Lion", IN_WEST, premises_type=PremisesType.PUB_BAR)
    located(session, "Blue Lion", IN_EAST, premises_type=PremisesType.PUB_BAR)
    located(session, "Red Cafe", IN_WEST)
    make_licence(session, pub)

    def ids(**filters: str) -> set[str]:
        doc = maps.premises_features(session, officer, NOW, MapQuery(**filters))
        return {f["properties"]["name"] for f in doc["features"]}

    assert ids(text="red") == {"Red Lion", "Red Cafe"}
    assert ids(ward="E05999901") == {"Red Lion", "Red Cafe"}
    assert ids(ward="E05999902", premises_type="pub_bar") == {"Blue Lion"}
    assert ids(licence_status="unlicensed") == {"Blue Lion"}
    assert ids(regime="premises_licence", licence_status="active") == {"Red Lion"}
    with pytest.raises(ValidationFailed) as bad:
        maps.premises_features(session, officer, NOW, MapQuery(premises_type="castle"))
    assert "premises_type" in bad.value.errors


def test_poster_colouring_needs_the_compliance_permission(
    session: Session, officer: Actor, ward_officer: Actor
) -> None:
    ok = located(
        session,
        "Checked OK",
        IN_WEST,
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en"}),
    )
    bad = located(
        session,
        "Checked bad",
        IN_WEST,
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en"}),
    )
    old = located(
        session,
        "Checked long ago",
        IN_EAST,
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en"}),
    )
    never = located(session, "Never checked", IN_EAST)
    inspect(session, officer, ok, compliant=True, key="a")
    inspect(session, officer, bad, compliant=False, key="b")
    inspect(session, officer, old, compliant=True, key="c", when=NOW - timedelta(days=400))

    doc = maps.premises_features(session, officer, NOW, MapQuery(colour="poster"))
    got = {f["id"]: f["properties"]["category"] for f in doc["features"]}
    assert got == {ok: "compliant", bad: "not_compliant", old: "stale", never: "never"}

    assert [s.key for s in maps.colour_schemes(officer)] == ["licence", "poster", "cases", "flags"]
    assert [s.key for s in maps.colour_schemes(ward_officer)] == ["licence", "cases", "flags"]
    with pytest.raises(Forbidden):
        maps.premises_features(session, ward_officer, NOW, MapQuery(colour="poster"))
    with pytest.raises(ValidationFailed):
        maps.premises_features(session, officer, NOW, MapQuery(colour="astrology"))


def test_partners_see_no_map(session: Session) -> None:
    make_wards(session)
    partner = users.actor_for(make_user(session, "partner"))
    with pytest.raises(Forbidden):
        maps.premises_features(session, partner, NOW, MapQuery())
    with pytest.raises(Forbidden):
        maps.ward_features(session, partner, date(2026, 3, 2))
    with pytest.raises(Forbidden):
        maps.nearby(session, partner, NOW, radius_m=100, point=IN_WEST)
    with pytest.raises(Forbidden):
        ward_profiles.ward_profile(session, partner, NOW, "E05999901", Period.last_year(NOW))
    with pytest.raises(Forbidden):
        ward_profiles.hotspots(session, partner, NOW, "premises", Period.last_year(NOW))


def test_geojson_runs_the_same_few_queries_whatever_the_number_of_premises(
    session: Session, officer: Actor, count_queries: object
) -> None:
    counts = []
    for n in (2, 20):
        for i in range(n):
            pid = located(
                session,
                f"P{n}-{i}",
                IN_WEST if i % 2 else IN_EAST,
                premises_type=PremisesType.PUB_BAR,
            )
            if i % 3 == 0:
                make_licence(session, pid)
        session.flush()  # the builders' audit rows, so only the map's own queries are counted
        before = count_queries.count  # type: ignore[attr-defined]
        doc = maps.premises_features(session, officer, NOW, MapQuery())
        counts.append(count_queries.count - before)  # type: ignore[attr-defined]
        assert doc["shown"] >= n
    assert counts[0] == counts[1] <= 4


def test_ward_layer_has_the_wards_in_force_with_premises_counts(
    session: Session, officer: Actor
) -> None:
    located(session, "A", IN_WEST)
    located(session, "B", IN_WEST)
    located(session, "C", OUTSIDE)
    doc = maps.ward_features(session, officer, date(2026, 3, 2))
    props = {f["properties"]["code"]: f["properties"] for f in doc["features"]}
    assert props == {
        "E05999901": {"code": "E05999901", "name": "Westward", "premises": 2},
        "E05999902": {"code": "E05999902", "name": "Eastward", "premises": 0},
    }
    assert doc["features"][0]["geometry"]["type"] == "Polygon"
    assert maps.ward_features(session, officer, date(2020, 1, 1))["features"] == []


# --- nearby -------------------------------------------------------------------------------------


def test_nearby_lists_premises_within_the_distance_nearest_first(
    session: Session, officer: Actor
) -> None:
    origin = located(session, "Origin", IN_WEST)
    far = located(session, "Far", metres_from_west(0, 240))
    near = located(session, "Near", metres_from_west(30, 40))
    mid = located(session, "Mid", metres_from_west(-120, 0))
    located(session, "Out", metres_from_west(251, 0))
    make_premises(session, name="Nowhere", longitude=None, latitude=None)

    result = maps.nearby(session, officer, NOW, premises_id=origin, radius_m=250)

    assert [r.premises_id for r in result.rows] == [near, mid, far]
    assert [r.distance_m for r in result.rows] == [50.0, 120.0, 240.0]
    assert result.total == 3 and not result.truncated
    assert result.origin_name == "Origin" and result.origin_premises_id == origin
    assert result.rows[0].ward_name == "Westward"
    assert result.rows[0].poster is not None and result.rows[0].poster.key == "never"
    assert result.origin_easting == pytest.approx(WEST_BNG[0], abs=0.01)

    limited = maps.nearby(session, officer, NOW, premises_id=origin, radius_m=250, limit=2)
    assert [r.premises_id for r in limited.rows] == [near, mid]
    assert limited.total == 3 and limited.truncated


def test_nearby_from_a_location_with_no_premises(session: Session, officer: Actor) -> None:
    here = located(session, "Here", IN_WEST)
    result = maps.nearby(session, officer, NOW, point=metres_from_west(0, 60), radius_m=100)
    assert [(r.premises_id, r.distance_m) for r in result.rows] == [(here, 60.0)]
    assert result.origin_premises_id is None and result.origin_name is None


def test_nearby_marks_premises_sharing_a_licence_holder(session: Session, officer: Actor) -> None:
    origin = located(session, "Lotus One", IN_WEST, premises_type=PremisesType.NAIL_BAR)
    make_licence(
        session, origin, regime=LicenceRegime.SPECIAL_TREATMENT, holder_name="Lotus Nails Ltd."
    )
    same = located(
        session, "Lotus Two", metres_from_west(200, 0), premises_type=PremisesType.NAIL_BAR
    )
    make_licence(
        session, same, regime=LicenceRegime.SPECIAL_TREATMENT, holder_name="LOTUS NAILS LIMITED"
    )
    other = located(
        session, "Rose Nails", metres_from_west(100, 0), premises_type=PremisesType.NAIL_BAR
    )
    make_licence(
        session, other, regime=LicenceRegime.SPECIAL_TREATMENT, holder_name="Rose Beauty Ltd"
    )

    result = maps.nearby(session, officer, NOW, premises_id=origin, radius_m=500)
    assert [(r.name, r.same_holder) for r in result.rows] == [
        ("Rose Nails", False),
        ("Lotus Two", True),
    ]
    assert result.origin_holders == ("Lotus Nails Ltd.",)
    assert result.rows[1].licences[0].holder_name == "LOTUS NAILS LIMITED"
    assert not result.rows[1].trading_unlicensed

    sharing = maps.nearby(
        session, officer, NOW, premises_id=origin, radius_m=500, same_holder_only=True
    )
    assert [r.name for r in sharing.rows] == ["Lotus Two"] and sharing.total == 1


def test_nearby_refuses_what_it_cannot_answer(session: Session, officer: Actor) -> None:
    origin = located(session, "Origin", IN_WEST)
    unlocated = make_premises(session, longitude=None, latitude=None).id
    for radius in (49, 2001):
        with pytest.raises(ValidationFailed) as bad:
            maps.nearby(session, officer, NOW, premises_id=origin, radius_m=radius)
        assert "between 50 and 2,000 metres" in bad.value.errors["distance"]
    with pytest.raises(ValidationFailed) as bad:
        maps.nearby(session, officer, NOW, premises_id=unlocated, radius_m=100)
    assert "no location" in bad.value.errors["premises"]
    with pytest.raises(NotFound):
        maps.nearby(session, officer, NOW, premises_id=999_999, radius_m=100)
    with pytest.raises(ValidationFailed):
        maps.nearby(session, officer, NOW, radius_m=100)


def test_nearby_shows_poster_compliance_only_to_those_who_may_see_it(
    session: Session, officer: Actor, ward_officer: Actor
) -> None:
    origin = located(session, "Origin", IN_WEST)
    located(session, "Next door", metres_from_west(10, 0))
    assert (
        maps.nearby(session, officer, NOW, premises_id=origin, radius_m=50).rows[0].poster
        is not None
    )
    assert (
        maps.nearby(session, ward_officer, NOW, premises_id=origin, radius_m=50).rows[0].poster
        is None
    )


def test_nearby_runs_a_bounded_number_of_queries(
    session: Session, officer: Actor, count_queries: object
) -> None:
    origin = located(session, "Origin", IN_WEST)
    counts = []
    for n in (2, 25):
        for i in range(n):
            pid = located(session, f"N{n}-{i}", metres_from_west(i * 3, 5))
            make_licence(session, pid)
        session.flush()
        before = count_queries.count  # type: ignore[attr-defined]
        maps.nearby(session, officer, NOW, premises_id=origin, radius_m=500)
        counts.append(count_queries.count - before)  # type: ignore[attr-defined]
    # The origin and its holders, a count, the edge of the circle, the nearest, then their
    # details, licences and poster checks.
    assert counts[0] == counts[1] <= 8


# --- ward profile -------------------------------------------------------------------------------


def test_ward_profile_counts_premises_licences_and_posters(
    session: Session, officer: Actor, ward_officer: Actor
) -> None:
    pub = located(session, "Pub", IN_WEST, premises_type=PremisesType.PUB_BAR)
    nails = located(
        session,
        "Nails",
        IN_WEST,
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en"}),
    )
    located(session, "Cafe", IN_WEST)
    located(session, "East Cafe", IN_EAST)
    make_licence(session, nails, regime=LicenceRegime.SPECIAL_TREATMENT)
    make_licence(
        session, nails, regime=LicenceRegime.PREMISES_LICENCE, status=LicenceStatus.REVOKED
    )
    inspect(session, officer, nails, compliant=False, key="x")
    inspect(session, officer, nails, compliant=True, key="y", when=NOW - timedelta(days=500))

    period = Period(date(2025, 3, 3), date(2026, 3, 2))
    profile = ward_profiles.ward_profile(session, officer, NOW, "E05999901", period)

    assert (profile.code, profile.name) == ("E05999901", "Westward")
    assert profile.area_hectares == pytest.approx(72.7, abs=1)  # 0.01° square at 54°N
    assert profile.premises_total == 3
    assert {c.key: c.count for c in profile.by_type} == {
        "nail_bar": 1,
        "pub_bar": 1,
        "restaurant_takeaway": 1,
    }
    statuses = {c.key: c.count for c in profile.licences_by_status}
    assert statuses["active"] == 1 and statuses["revoked"] == 1 and statuses["expired"] == 0
    assert profile.trading_unlicensed == 1  # the pub
    sections = {section.key: section for section in profile.sections}
    assert list(sections) == ["poster", "cases", "welfare_visits", "flags"]
    counts = {c.key: c.count for c in sections["poster"].counts}
    assert counts["licensed"] == 1 and counts["not_compliant"] == 1
    assert counts["inspections"] == 1  # the one 500 days ago is outside the period
    assert counts["failed_in_period"] == 1
    assert pub

    restricted = ward_profiles.ward_profile(session, ward_officer, NOW, "E05999901", period)
    assert restricted.premises_total == 3
    assert "poster" not in {section.key for section in restricted.sections}
    admin = users.actor_for(make_user(session, "admin"))
    assert ward_profiles.ward_profile(session, admin, NOW, "E05999901", period).sections == []


def test_ward_profile_refuses_unknown_wards_and_backward_periods(
    session: Session, officer: Actor
) -> None:
    with pytest.raises(NotFound):
        ward_profiles.ward_profile(session, officer, NOW, "E05000000", Period.last_year(NOW))
    with pytest.raises(ValidationFailed) as bad:
        ward_profiles.ward_profile(
            session, officer, NOW, "E05999901", Period(date(2026, 3, 2), date(2026, 1, 1))
        )
    assert "period" in bad.value.errors


def test_last_year_is_twelve_months_to_today_in_london() -> None:
    assert Period.last_year(NOW) == Period(date(2025, 3, 3), date(2026, 3, 2))
    start, end = Period(date(2026, 7, 1), date(2026, 7, 1)).bounds_utc()
    assert (start.hour, end - start) == (23, timedelta(days=1))  # BST: London midnight is 23:00 UTC


def test_ward_summaries_count_each_ward(session: Session, officer: Actor) -> None:
    located(session, "Pub", IN_WEST, premises_type=PremisesType.PUB_BAR)
    located(session, "Cafe", IN_EAST)
    got = [
        (w.code, w.premises, w.trading_unlicensed)
        for w in ward_profiles.ward_summaries(session, officer, NOW)
    ]
    assert got == [("E05999902", 1, 0), ("E05999901", 1, 1)]  # by name: Eastward, Westward


# --- hotspots -----------------------------------------------------------------------------------


def test_hotspots_count_records_on_a_250_metre_grid(session: Session, officer: Actor) -> None:
    east, north = WEST_BNG
    sw_e, sw_n = (east // 250) * 250, (north // 250) * 250
    cell = (sw_e + 10 - east, sw_n + 10 - north)  # offsets from IN_WEST into its cell's corner
    for i in range(3):
        located(session, f"Busy {i}", metres_from_west(cell[0] + i, cell[1] + i))
    located(session, "Alone", metres_from_west(cell[0] + 300, cell[1]))
    located(session, "Outside", OUTSIDE)

    result = ward_profiles.hotspots(session, officer, NOW, "premises", Period.last_year(NOW))
    assert result.total == 5 and result.cell_size_m == 250
    assert [(c.label, c.count) for c in result.cells][:2] == [
        (f"E{int(sw_e)} N{int(sw_n)}", 3),
        (f"E{int(sw_e) + 250} N{int(sw_n)}", 1),
    ]
    assert result.cells[0].ward_name == "Westward"
    assert len(result.geojson["features"]) == 3 and result.geojson["max"] == 3
    assert result.geojson["features"][0]["geometry"]["type"] == "Polygon"

    in_east = ward_profiles.hotspots(
        session, officer, NOW, "premises", Period.last_year(NOW), ward_code="E05999902"
    )
    assert in_east.total == 0 and in_east.cells == []


def test_hotspots_of_inspections_count_the_period_and_respect_permissions(
    session: Session, officer: Actor, ward_officer: Actor
) -> None:
    pid = located(
        session,
        "Nails",
        IN_WEST,
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en"}),
    )
    inspect(session, officer, pid, compliant=False, key="p1")
    inspect(session, officer, pid, compliant=True, key="p2", when=NOW - timedelta(days=30))
    inspect(session, officer, pid, compliant=False, key="p3", when=NOW - timedelta(days=800))
    period = Period.last_year(NOW)
    assert ward_profiles.hotspots(session, officer, NOW, "inspections", period).total == 2
    assert ward_profiles.hotspots(session, officer, NOW, "failed_poster_checks", period).total == 1
    kinds = [k.key for k in ward_profiles.hotspot_kinds(ward_officer)]
    assert "failed_poster_checks" not in kinds and "premises" in kinds
    with pytest.raises(Forbidden):
        ward_profiles.hotspots(session, ward_officer, NOW, "failed_poster_checks", period)
    with pytest.raises(ValidationFailed):
        ward_profiles.hotspots(session, officer, NOW, "horoscopes", period)


def test_nearby_counts_and_orders_exactly_like_measuring_every_premises(
    session: Session, officer: Actor
) -> None:
    """The database's estimate narrows the search; the answer is still the grid's, exactly."""
    import random

    from geo.proximity import nearest_within

    rng = random.Random(11)
    points = {}
    for i in range(300):
        at = metres_from_west(rng.uniform(-2200, 2200), rng.uniform(-2200, 2200))
        points[located(session, f"R{i}", at)] = at
    # A crowd at one spot, all the same distance away, and one just either side of 400 m.
    for i in range(70):
        points[located(session, f"Crowd {i}", metres_from_west(0, 150))] = metres_from_west(0, 150)
    points[located(session, "Just in", metres_from_west(399.9, 0))] = metres_from_west(399.9, 0)
    points[located(session, "Just out", metres_from_west(0, -400.2))] = metres_from_west(0, -400.2)
    everything = sorted((pid, lon, lat) for pid, (lon, lat) in points.items())
    # Between them these take every path: the first read settles it, a smaller circle first,
    # and a crowd too big to settle without reading everything.
    away = metres_from_west(-900, -900)
    # A count cap of 1,000 counts every case exactly; caps of 60 and 5 stop the count early in
    # most, so the nearest are found by widening a small circle, and must be the same.
    for origin, radius, limit in (
        (IN_WEST, 400, 5),
        (IN_WEST, 400, 200),
        (IN_WEST, 1500, 30),
        (IN_WEST, 2000, 200),
        (IN_WEST, 2000, 5),
        (IN_WEST, 50, 10),
        (away, 2000, 1),
        (away, 1500, 2),
    ):
        expected = nearest_within(origin, everything, radius)
        for cap in (1_000, 60, 5):
            result = maps.nearby(
                session, officer, NOW, point=origin, radius_m=radius, limit=limit, count_cap=cap
            )
            assert result.total == min(len(expected), cap + 1), (origin, radius, cap)
            assert result.capped == (len(expected) > cap), (origin, radius, cap)
            assert [(r.premises_id, r.distance_m) for r in result.rows] == [
                (n.key, n.distance_m) for n in expected[:limit]
            ], (origin, radius, limit, cap)


# --- intelligence flags and enforcement cases plugged in -----------------------------------------


def raise_flag(session: Session, **where: object) -> int:
    from enforcement.intelligence import flags

    data = flags.FlagInput(
        reported_at=NOW - timedelta(days=3),
        source_type="police",
        exploitation=frozenset({"sexual"}),
        report_text="Concern reported at this address.",
        **where,  # type: ignore[arg-type]
    )
    return flags.raise_flag(session, SYSTEM, NOW, data).id


def test_open_flags_colour_the_map_and_count_on_profiles_and_hotspots(
    session: Session, officer: Actor
) -> None:
    flagged = located(session, "Flagged", IN_WEST)
    quiet = located(session, "Quiet", IN_EAST)
    raise_flag(session, premises_id=flagged)
    # A flag on an address with no premises yet, in the west ward.
    raise_flag(
        session,
        location_text="Flat 2, 1 Nowhere Street",
        longitude=IN_WEST[0] + 0.001,
        latitude=IN_WEST[1],
    )

    doc = maps.premises_features(session, officer, NOW, MapQuery(colour="flags"))
    assert {f["id"]: f["properties"]["category"] for f in doc["features"]} == {
        flagged: "open",
        quiet: "none",
    }
    profile = ward_profiles.ward_profile(session, officer, NOW, "E05999901", Period.last_year(NOW))
    flag_counts = {c.key: c.count for s in profile.sections if s.key == "flags" for c in s.counts}
    assert flag_counts == {"reported": 2, "open": 2}
    spots = ward_profiles.hotspots(
        session, officer, NOW, "flags", Period.last_year(NOW), ward_code="E05999901"
    )
    assert spots.total == 2
    admin = users.actor_for(make_user(session, "admin"))
    assert "flags" not in [s.key for s in maps.colour_schemes(admin)]
    assert "flags" not in [k.key for k in ward_profiles.hotspot_kinds(admin)]


def test_nearby_from_a_flags_location_is_read_through_the_flag_and_audited(
    session: Session, officer: Actor
) -> None:
    from enforcement.models import AuditEvent

    here = located(session, "Next to the flag", metres_from_west(0, 80))
    flag = raise_flag(
        session, location_text="Rear of 3 High Street", longitude=IN_WEST[0], latitude=IN_WEST[1]
    )
    result = maps.nearby(session, officer, NOW, flag_id=flag, radius_m=100)
    assert [(r.premises_id, r.distance_m) for r in result.rows] == [(here, 80.0)]
    assert result.origin_flag_id == flag and result.origin_name == f"intelligence flag {flag}"
    viewed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "intel_flag.view", AuditEvent.entity_id == str(flag)
        )
    ).all()
    assert viewed
    admin = users.actor_for(make_user(session, "admin"))
    with pytest.raises((Forbidden, NotFound)):
        maps.nearby(session, admin, NOW, flag_id=flag, radius_m=100)


def test_cases_colour_the_map_and_count_on_profiles(session: Session, officer: Actor) -> None:
    from enforcement.models import EnforcementCase

    with_case = located(session, "Closed down", IN_WEST)
    closed_case = located(session, "Case closed", IN_WEST)
    org = session.scalar(select(Organisation.id))
    for pid, status, ref in (
        (with_case, "open", "EC-2026-0001"),
        (closed_case, "closed", "EC-2026-0002"),
    ):
        session.add(
            EnforcementCase(
                reference=ref,
                premises_id=pid,
                tool="asbcpa_closure",
                status=status,
                owner_organisation_id=org,
                summary="Test case",
                opened_at=NOW - timedelta(days=10),
                closed_at=NOW - timedelta(days=1) if status == "closed" else None,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    session.flush()
    doc = maps.premises_features(session, officer, NOW, MapQuery(colour="cases"))
    got = {f["id"]: f["properties"]["category"] for f in doc["features"]}
    assert got[with_case] == "open" and got[closed_case] == "closed"
    profile = ward_profiles.ward_profile(session, officer, NOW, "E05999901", Period.last_year(NOW))
    counts = {c.key: c.count for s in profile.sections if s.key == "cases" for c in s.counts}
    assert counts["open"] == 1 and counts["opened"] == 2 and counts["closed"] == 1
    assert ward_profiles.hotspots(session, officer, NOW, "cases", Period.last_year(NOW)).total == 2
