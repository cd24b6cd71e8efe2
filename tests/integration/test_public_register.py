"""The public register in the domain, on both databases: published fields only, true status."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from builders import NOW, SYSTEM, make_licence, make_premises, make_wards
from builders.referrals import CONDITIONS, RESTRICTED, World, make_world
from integration.test_referrals_domain import _appeal_ends, _decided
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.errors import NotFound, ValidationFailed
from enforcement.models import Licence, PublicRegisterHit
from enforcement.referrals import process as referral_process
from enforcement.register import licences, public
from enforcement.register.public import PublicQuery

CODES = ["E05999901", "E05999902"]


def search(session: Session, **query: object) -> public.PublicPage:
    return public.search(
        session,
        NOW,
        PublicQuery(**query),
        CODES,
        referral_process.status_in_effect,  # type: ignore[arg-type]
    )


def csv_rows(session: Session, **query: object) -> list[dict[str, str]]:
    text = "".join(
        public.export_csv(
            session,
            NOW,
            PublicQuery(**query),  # type: ignore[arg-type]
            CODES,
            "Test Council",
            referral_process.status_in_effect,
        )
    )
    return list(csv.DictReader(io.StringIO(text)))


def test_search_by_name_address_postcode_ward_and_type(session: Session) -> None:
    make_wards(session)
    bar = make_premises(
        session, name="Crown and Anchor", address_line1="4 King Street", postcode="W6 9JU"
    )
    east = make_premises(
        session, name="Lotus Nails", postcode="W14 0AA", longitude=1.015, latitude=54.005
    )
    unlicensed = make_premises(session, name="Crown Car Wash")
    make_licence(session, bar.id, reference="PL/1")
    make_licence(session, east.id, reference="ST/1", regime="special_treatment")

    def refs(**q: object) -> list[str]:
        return [r.reference for r in search(session, **q).rows]

    assert refs() == ["PL/1", "ST/1"]
    assert refs(text="crown") == ["PL/1"]  # a premises without a licence is not in the register
    assert refs(text="king street") == ["PL/1"]
    assert refs(text="w69ju") == refs(text="W6 9JU") == ["PL/1"]
    assert refs(ward="E05999902") == ["ST/1"]
    assert refs(regime="special_treatment") == ["ST/1"]
    assert refs(sort="-name") == ["PL/1", "ST/1"][::-1]
    page = search(session, page_size=1, page=2)
    assert (page.total, [r.reference for r in page.rows]) == (2, ["ST/1"])
    # The rows are licences (their ids are licence ids): the premises is looked for by name.
    assert unlicensed.name not in {r.premises_name for r in search(session).rows}
    with pytest.raises(ValidationFailed) as refused:
        search(session, ward="E99", regime="nonsense", sort="holder")
    assert set(refused.value.errors) == {"ward", "regime", "sort"}


def test_a_licence_shows_only_published_fields_and_conditions_in_force(
    session: Session,
) -> None:
    world: World = make_world(session)
    licences.update_licence(
        session,
        SYSTEM,
        NOW,
        world.licence.id,
        world.licence.version,
        licences.LicenceInput(
            regime=world.licence.regime,
            reference=world.licence.reference,
            holder_name=world.licence.holder_name,
            status=world.licence.status,
            opening_hours="Mon-Sat 10:00-23:00",
            notes="Officer note: Mr Nguyen is known to the police.",
        ),
    )
    licences.set_condition_active(session, SYSTEM, NOW, world.condition_id(3), False)
    found = public.get_licence(session, NOW, world.licence.id, referral_process.status_in_effect)
    assert found.conditions == CONDITIONS[:2]
    assert found.opening_hours == "Mon-Sat 10:00-23:00"
    shown = repr(found) + "".join(
        public.export_csv(session, NOW, PublicQuery(), CODES, "Test Council")
    )
    for secret in (*RESTRICTED, "Officer note"):
        assert secret not in shown
    with pytest.raises(NotFound):
        public.get_licence(session, NOW, 2_000_000)


def test_status_is_true_today(session: Session) -> None:
    make_wards(session)
    p = make_premises(session)
    ended = make_licence(session, p.id, reference="PL/OLD", expires_on=date(2025, 1, 1))
    lapsed = make_licence(session, p.id, reference="PL/LAPSED", status="surrendered")
    by_ref = {r.reference: r.status for r in search(session).rows}
    assert by_ref == {"PL/OLD": "expired", "PL/LAPSED": "surrendered"}
    assert ended.status == "active" and lapsed.status == "surrendered"  # nothing written


def pending(session: Session, at: datetime, licence_id: int) -> str | None:
    """The status a decision in effect, not yet applied, gives a licence (None: none)."""
    column = referral_process.status_in_effect(at, Licence.id)
    found: str | None = session.scalar(select(column).where(Licence.id == licence_id))
    return found


def test_a_suspension_in_effect_shows_as_suspended(
    session: Session,
) -> None:
    world: World = make_world(session)
    referral = _decided(session, world, decision="suspend", suspension_months=2)
    ends = _appeal_ends(session, referral)
    assert isinstance(ends, datetime)
    assert pending(session, ends + timedelta(minutes=1), world.licence.id) == "suspended"


def test_a_revocation_shows_once_it_has_taken_effect(session: Session) -> None:
    world: World = make_world(session)
    referral = _decided(session, world)
    ends = _appeal_ends(session, referral)
    assert isinstance(ends, type(NOW))
    lid = world.licence.id

    def shown(at: object) -> str:
        return public.get_licence(
            session,
            at,
            lid,
            referral_process.status_in_effect,  # type: ignore[arg-type]
        ).status

    # Decided, but within the appeal period: not in effect, still active.
    assert shown(ends - timedelta(hours=1)) == "active"
    assert pending(session, ends - timedelta(hours=1), lid) is None
    # The appeal period has ended: revoked, before the scheduler has changed the licence.
    assert pending(session, ends + timedelta(minutes=1), lid) == "revoked"
    assert shown(ends + timedelta(minutes=1)) == "revoked"
    session.refresh(world.licence)
    assert world.licence.status == "active"
    # Once applied, the stored status says so and nothing is pending.
    referral_process.apply_due_effects(session, ends + timedelta(minutes=1))
    assert pending(session, ends + timedelta(minutes=2), lid) is None
    assert shown(ends + timedelta(minutes=2)) == "revoked"


def test_the_csv_uses_esd_column_names_and_the_search(session: Session) -> None:
    make_wards(session)
    p = make_premises(session, name="=HYPERLINK(1)", postcode="W6 9JU", uprn="34014412")
    make_licence(
        session,
        p.id,
        reference="PL/9",
        holder_name="Jane Private",
        starts_on=date(2024, 2, 1),
        granted_on=date(2024, 1, 15),
        conditions=("No drinks outside after 22:00.", "CCTV | kept 31 days"),
    )
    other = make_premises(session, name="Other")
    make_licence(session, other.id, reference="PL/10")
    rows = csv_rows(session, text="w6 9ju")
    assert list(rows[0]) == list(public.ESD_COLUMNS)
    [row] = rows
    assert row["CaseReference"] == "PL/9"
    assert row["PremisesName"] == "'=HYPERLINK(1)"
    assert row["Conditions"] == "No drinks outside after 22:00.|CCTV / kept 31 days"
    assert (row["LicenceStartDate"], row["DecisionDate"]) == ("01/02/2024", "15/01/2024")
    assert row["StatusLabel"] == "Active" and row["UPRN"] == "34014412"
    assert "Jane Private" not in str(rows) and row["LicenceHolder"] == ""  # type not recorded
    assert len(csv_rows(session)) == 2


def test_the_csv_streams_every_match_in_batches(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_wards(session)
    monkeypatch.setattr(public, "CSV_BATCH", 2)
    p = make_premises(session)
    for n in range(5):
        make_licence(session, p.id, reference=f"PL/B{n}", conditions=(f"Condition {n}",))
    rows = csv_rows(session)
    assert [r["CaseReference"] for r in rows] == [f"PL/B{n}" for n in range(5)]
    assert [r["Conditions"] for r in rows] == [f"Condition {n}" for n in range(5)]


def test_the_rate_limit_counts_per_client_and_minute(session: Session) -> None:
    key = public.client_key("203.0.113.9", "secret")
    assert "203.0.113.9" not in key and len(key) == 64
    first = [public.count_request(session, NOW, key, 3).allowed for _ in range(4)]
    assert first == [True, True, True, False]
    refused = public.count_request(session, NOW, key, 3)
    assert refused.retry_after == 60 - NOW.second
    # Another client is counted apart; the next minute starts again.
    assert public.count_request(session, NOW, public.client_key("x", "secret"), 3).allowed
    assert public.count_request(session, NOW + timedelta(minutes=1), key, 3).allowed
    # Counters over an hour old go as new minutes begin.
    public.count_request(session, NOW + timedelta(hours=2), key, 3)
    left = session.scalar(
        select(func.count())
        .select_from(PublicRegisterHit)
        .where(PublicRegisterHit.client_key == key)
    )
    assert left == 1


def test_a_broad_search_counts_up_to_the_cap(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_wards(session)
    monkeypatch.setattr(public, "COUNT_CAP", 2)
    for n in range(4):
        make_licence(session, make_premises(session, name=f"Road House {n}").id)
    capped = search(session, text="road")
    assert (capped.total, capped.capped) == (3, True)  # "more than 2"
    everything = search(session)  # no search: every licence counted, from the index
    assert (everything.total, everything.capped) == (4, False)
    assert len(search(session, text="road", page_size=10).rows) == 4


def test_activities_and_hours_are_published_the_holder_only_for_an_organisation(
    session: Session,
) -> None:
    make_wards(session)
    p = make_premises(session, name="The Lamb")
    common: dict[str, object] = {
        "alcohol_supply": True,
        "alcohol_on_sales": True,
        "alcohol_off_sales": False,
        "late_night_refreshment": True,
        "regulated_entertainment": "Live music|Recorded music",
        "activity_hours": "Sale of alcohol: Mon-Sat 10:00-23:00\nLive music: Fri 19:00-23:00",
        "holder_address": "1 Holder Road, Leeds",
        "holder_postcode": "LS1 1AA",
        "dps_name": "Dana Supervisor",
        "dps_licence_no": "PERS/1234",
        "dps_address": "9 Supervisor Lane",
        "dps_postcode": "LS9 9ZZ",
    }
    org = make_licence(
        session,
        p.id,
        reference="PL/ORG",
        holder_name="Lamb Inns Ltd",
        applicant_type="Limited Company",
        **common,
    )
    make_licence(
        session,
        p.id,
        reference="PL/IND",
        holder_name="Ivy Individual",
        applicant_type="Individual",
        **common,
    )
    make_licence(session, p.id, reference="PL/UNK", holder_name="Una Unknown", **common)
    make_licence(  # a dotted capital I: PostgreSQL's lower() alone made it "limited company"
        session,
        p.id,
        reference="PL/ODD",
        holder_name="Ozan Odd",
        applicant_type="LİMITED COMPANY",
        **common,
    )
    shown = {r.reference: r for r in search(session).rows}
    lic = shown["PL/ORG"]
    assert lic.activities == [
        "Sale of alcohol on the premises",
        "Late-night refreshment",
        "Regulated entertainment: live music, recorded music",
    ]
    assert lic.hours_of_activities == [
        "Sale of alcohol: Mon-Sat 10:00-23:00",
        "Live music: Fri 19:00-23:00",
    ]
    assert (lic.holder_name, lic.holder_address, lic.holder_postcode) == (
        "Lamb Inns Ltd",
        "1 Holder Road, Leeds",
        "LS1 1AA",
    )
    for ref in ("PL/IND", "PL/UNK", "PL/ODD"):
        assert shown[ref].activities == lic.activities
        assert (shown[ref].holder_name, shown[ref].holder_address) == (None, None)
        assert shown[ref].holder_postcode is None
    one = public.get_licence(session, NOW, org.id, referral_process.status_in_effect)
    assert one.holder_name == "Lamb Inns Ltd" and one.activities == lic.activities
    rows = {r["CaseReference"]: r for r in csv_rows(session)}
    assert rows["PL/ORG"]["EntertainmentTypeLabel"] == "Live music|Recorded music"
    assert (rows["PL/ORG"]["AlcoholSupply"], rows["PL/ORG"]["OnPremisesAlcoholSale"]) == (
        "Yes",
        "Yes",
    )
    assert rows["PL/ORG"]["OffPremisesAlcoholSale"] == "No"
    assert rows["PL/ORG"]["LateNightRefreshment"] == "Yes"
    assert rows["PL/ORG"]["ActivityHours"] == (
        "Sale of alcohol: Mon-Sat 10:00-23:00|Live music: Fri 19:00-23:00"
    )
    assert rows["PL/ORG"]["LicenceHolder"] == "Lamb Inns Ltd"
    assert rows["PL/ORG"]["LicenceHolderPostcode"] == "LS1 1AA"
    for ref in ("PL/IND", "PL/UNK"):
        assert rows[ref]["LicenceHolder"] == rows[ref]["LicenceHolderAddress"] == ""
        assert rows[ref]["AlcoholSupply"] == "Yes"
    everything = repr(list(shown.values())) + repr(one) + repr(rows)
    for private in ("Ivy Individual", "Una Unknown", "Dana Supervisor", "PERS/1234", "LS9 9ZZ"):
        assert private not in everything
    assert "Supervisor" not in "".join(rows["PL/ORG"].keys())


def test_an_imported_licences_service_and_decision_date_are_published(session: Session) -> None:
    """ServiceTypeLabel "Club premises certificate" and DecisionDate 10/03/2026 were imported
    and the register read "Premises licence (Licensing Act 2003)" and "Granted: Not recorded"."""
    make_wards(session)
    p = make_premises(session, name="Riverside Members Club")
    club = make_licence(
        session,
        p.id,
        reference="CLUB/1",
        service_type="Club premises certificate",
        decision_date=date(2026, 3, 10),
        decided_by="Licensing Sub-Committee",
    )
    typed = make_licence(session, p.id, reference="PL/G", granted_on=date(2025, 1, 2))
    rows = {r["CaseReference"]: r for r in csv_rows(session)}
    assert rows["CLUB/1"]["ServiceTypeLabel"] == "Club premises certificate"
    assert rows["CLUB/1"]["DecisionDate"] == "10/03/2026"
    assert rows["PL/G"]["DecisionDate"] == "02/01/2025"  # the date granted, when no decision's
    shown = public.get_licence(session, NOW, club.id, referral_process.status_in_effect)
    assert (shown.service_label, shown.decision_date) == (
        "Club premises certificate",
        date(2026, 3, 10),
    )
    plain = public.get_licence(session, NOW, typed.id, referral_process.status_in_effect)
    assert plain.service_label == "Premises licence (Licensing Act 2003)"
    [listed] = [lic for lic in search(session).rows if lic.id == club.id]
    assert listed.service_label == "Club premises certificate"
    assert "Licensing Sub-Committee" not in repr(shown) + repr(rows)  # who decided: not published
