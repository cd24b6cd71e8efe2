"""The premises register's domain functions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

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
from enforcement.errors import Forbidden, StaleEdit, ValidationFailed
from enforcement.models import AuditEvent, Premises
from enforcement.register import licences, premises
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType


@pytest.fixture
def officer(session: Session) -> Actor:
    make_wards(session)
    return users.actor_for(make_user(session, "licensing_officer"))


def test_ward_is_derived_from_location_and_outside_is_accepted(
    session: Session, officer: Actor
) -> None:
    west = make_premises(session, longitude=IN_WEST[0], latitude=IN_WEST[1])
    east = make_premises(session, longitude=IN_EAST[0], latitude=IN_EAST[1])
    away = make_premises(session, longitude=OUTSIDE[0], latitude=OUTSIDE[1])
    nowhere = make_premises(session, longitude=None, latitude=None)
    got = {p.id: premises.get_premises(session, officer, p.id) for p in (west, east, away, nowhere)}
    assert got[west.id].ward is not None and got[west.id].ward.code == "E05999901"
    assert got[east.id].ward is not None and got[east.id].ward.name == "Eastward"
    assert got[away.id].ward is None and got[away.id].outside_borough
    assert got[nowhere.id].ward is None and not got[nowhere.id].outside_borough


def test_moving_a_premises_moves_its_ward_and_audits_before_and_after(
    session: Session, officer: Actor
) -> None:
    p = make_premises(session, name="Corner Shop")
    later = NOW + timedelta(hours=1)
    data = premises.PremisesInput(
        name="Corner Shop",
        address_line1="1 High Street",
        premises_type=PremisesType.OFF_LICENCE,
        longitude=IN_EAST[0],
        latitude=IN_EAST[1],
        postcode="w6 9ju",
    )
    premises.update_premises(session, officer, later, p.id, p.version, data)
    d = premises.get_premises(session, officer, p.id)
    assert d.ward is not None and d.ward.code == "E05999902"
    assert d.premises.postcode == "W6 9JU"
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "premises.update", AuditEvent.entity_id == str(p.id)
        )
    ).one()
    assert '"premises_type": "restaurant_takeaway"' in (event.before_json or "")
    assert '"premises_type": "off_licence"' in (event.after_json or "")
    assert event.actor_id == officer.user_id and event.at == later


def test_stale_edit_is_refused_and_changes_nothing(session: Session, officer: Actor) -> None:
    p = make_premises(session, name="Original")
    stale_version = p.version
    data = premises.PremisesInput(
        name="First edit", address_line1="1 High Street", premises_type="other"
    )
    premises.update_premises(session, officer, NOW, p.id, stale_version, data)
    second = premises.PremisesInput(
        name="Second edit", address_line1="1 High Street", premises_type="other"
    )
    with pytest.raises(StaleEdit):
        premises.update_premises(session, officer, NOW, p.id, stale_version, second)
    session.expire_all()
    assert session.get(Premises, p.id).name == "First edit"  # type: ignore[union-attr]


def test_validation_reports_every_problem(session: Session, officer: Actor) -> None:
    bad = premises.PremisesInput(
        name="",
        address_line1="",
        premises_type="brothel-ish",
        postcode="NOT A POSTCODE",
        uprn="12ab",
        longitude=-0.2,
        latitude=None,
        trading_name="x" * 201,
    )
    with pytest.raises(ValidationFailed) as err:
        premises.create_premises(session, officer, NOW, bad)
    assert set(err.value.errors) >= {
        "name",
        "address_line1",
        "premises_type",
        "postcode",
        "uprn",
        "latitude",
        "trading_name",
    }
    assert session.scalar(select(Premises.id).where(Premises.name == "")) is None


def test_partner_cannot_read_or_write_the_register(session: Session) -> None:
    make_wards(session)
    partner = users.actor_for(make_user(session, "partner"))
    with pytest.raises(Forbidden):
        premises.search_premises(session, partner, premises.PremisesQuery())
    with pytest.raises(Forbidden):
        make_premises_as(session, partner)


def make_premises_as(session: Session, actor: Actor) -> None:
    premises.create_premises(
        session,
        actor,
        NOW,
        premises.PremisesInput(name="X", address_line1="Y", premises_type="other"),
    )


def test_search_filters_sorts_and_pages(session: Session, officer: Actor) -> None:
    nail = make_premises(
        session, name="Glossy Nails", premises_type=PremisesType.NAIL_BAR, postcode="W6 0RX"
    )
    make_licence(
        session, nail.id, regime=LicenceRegime.SPECIAL_TREATMENT, status=LicenceStatus.ACTIVE
    )
    make_premises(
        session,
        name="Bare Nails",
        premises_type=PremisesType.NAIL_BAR,
        longitude=IN_EAST[0],
        latitude=IN_EAST[1],
        uprn="100022334455",
    )
    pub = make_premises(session, name="The Crown", premises_type=PremisesType.PUB_BAR)
    make_licence(session, pub.id, status=LicenceStatus.REVOKED)

    def names(**kw: object) -> list[str]:
        page = premises.search_premises(session, officer, premises.PremisesQuery(**kw))  # type: ignore[arg-type]
        return [r.name for r in page.rows]

    assert names(text="nails") == ["Bare Nails", "Glossy Nails"]
    assert names(text="nails", sort="-name") == ["Glossy Nails", "Bare Nails"]
    assert names(text="w60rx") == ["Glossy Nails"]
    assert names(text="W6 0RX") == ["Glossy Nails"]
    assert names(text="100022334455") == ["Bare Nails"]
    assert names(ward="E05999902") == ["Bare Nails"]
    assert names(premises_type="pub_bar") == ["The Crown"]
    assert names(regime="special_treatment", licence_status="active") == ["Glossy Nails"]
    assert names(licence_status="revoked") == ["The Crown"]
    assert names(licence_status="unlicensed") == ["Bare Nails", "The Crown"]
    assert names(text="%") == []  # wildcards are searched for literally
    page = premises.search_premises(
        session, officer, premises.PremisesQuery(text="nails", page=2, page_size=1)
    )
    assert page.total == 2 and page.pages == 2 and [r.name for r in page.rows] == ["Glossy Nails"]
    rows = {
        r.name: r for r in premises.search_premises(session, officer, premises.PremisesQuery()).rows
    }
    assert rows["Bare Nails"].trading_unlicensed and not rows["Glossy Nails"].trading_unlicensed


def test_a_name_longer_in_lower_case_still_saves_on_both_databases(
    session: Session, officer: Actor
) -> None:
    # "İ" in lower case is two characters: the sort key is cut to the column's 200.
    saved = make_premises(session, name="İ" * 200)
    session.flush()
    assert saved.name == "İ" * 200 and len(saved.name_sort) == 200
    assert saved.name_sort == "İ".lower() * 100


def test_premises_in_no_ward_and_undated_licences_come_last_on_both_databases(
    session: Session, officer: Actor
) -> None:
    west = make_premises(session, name="Alpha", longitude=IN_WEST[0], latitude=IN_WEST[1])
    nowhere = make_premises(session, name="Bravo", longitude=None, latitude=None)
    east = make_premises(session, name="Charlie", longitude=IN_EAST[0], latitude=IN_EAST[1])
    page = premises.search_premises(session, officer, premises.PremisesQuery(sort="ward"))
    ids = [r.id for r in page.rows]
    assert ids.index(nowhere.id) > max(ids.index(west.id), ids.index(east.id))
    dated = [
        make_licence(session, west.id, starts_on=NOW.date() - timedelta(days=days))
        for days in (400, 30)
    ]
    undated = make_licence(session, west.id)
    detail = premises.get_premises(session, officer, west.id)
    assert [lic.id for lic in detail.licences] == [dated[1].id, dated[0].id, undated.id]


def test_list_page_runs_a_bounded_number_of_queries(
    session: Session, officer: Actor, count_queries: object
) -> None:
    for i in range(30):
        p = make_premises(session, name=f"Shop {i:02d}", premises_type=PremisesType.OFF_LICENCE)
        make_licence(session, p.id)
        make_licence(session, p.id, status=LicenceStatus.EXPIRED)
    session.commit()
    counter = count_queries
    before = counter.count  # type: ignore[attr-defined]
    page = premises.search_premises(
        session, officer, premises.PremisesQuery(text="shop", page_size=25)
    )
    assert len(page.rows) == 25 and all(len(r.licences) == 2 for r in page.rows)
    assert counter.count - before <= 3  # type: ignore[attr-defined]


def test_unknown_filter_values_are_refused(session: Session, officer: Actor) -> None:
    with pytest.raises(ValidationFailed) as err:
        premises.search_premises(
            session, officer, premises.PremisesQuery(premises_type="spaceport", sort="random")
        )
    assert set(err.value.errors) == {"premises_type", "sort"}


def test_system_actor_may_create_without_roles(session: Session) -> None:
    make_wards(session)
    p = make_premises(session)
    assert p.id and SYSTEM.is_system


def test_a_licence_holds_at_most_so_many_conditions(session: Session, officer: Actor) -> None:
    p = make_premises(session)
    most = licences.MAX_CONDITIONS
    with pytest.raises(ValidationFailed) as refused:
        make_licence(session, p.id, conditions=tuple(f"Condition {i}" for i in range(most + 1)))
    assert (
        f"at most {most} conditions (these are {most + 1:,})" in refused.value.errors["conditions"]
    )
    lic = make_licence(session, p.id, conditions=tuple(f"Condition {i}" for i in range(most)))
    with pytest.raises(ValidationFailed) as full:
        licences.add_condition(session, officer, NOW, lic.id, "One more")
    assert f"already holds {most} conditions" in full.value.errors["text"]
    # A Licensing Committee's decision adds its conditions whatever the count:
    # tests/integration/test_referrals_domain.py.


def test_a_holders_postcode_is_checked_for_length_once_in_capitals(
    session: Session, officer: Actor
) -> None:
    pub = make_premises(session)
    # "ß" in capitals is "SS": ten of them would not fit the column on PostgreSQL.
    with pytest.raises(ValidationFailed) as refused:
        make_licence(session, pub.id, holder_postcode="ßßßßßßßßßß")
    assert refused.value.errors == {"holder_postcode": "Must be 10 characters or fewer"}
    assert make_licence(session, pub.id, holder_postcode="w6 0rx").holder_postcode == "W6 0RX"
