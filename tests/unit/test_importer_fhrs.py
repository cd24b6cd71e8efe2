"""The FSA food hygiene XML parser and the premises type suggestions drawn from it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from shared_data import require_shared_data

from enforcement.register.importers.fhrs import (
    FhrsEstablishment,
    FhrsFormatError,
    parse_fhrs,
    suggest_premises_type,
)
from geo.wards import WardIndex, load_geojson

PREMISES_TYPES = {
    "nail_bar",
    "massage",
    "hair_beauty",
    "car_wash",
    "hotel",
    "residential_flat",
    "walk_up_flat",
    "pub_bar",
    "restaurant_takeaway",
    "off_licence",
    "late_night_refreshment",
    "sexual_entertainment",
    "other",
}


def extract(*establishments: str, namespace: str = "") -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        '<?xml version="1.0"?>'
        f'<FHRSEstablishment{xmlns} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<Header><ExtractDate>2020-11-14</ExtractDate><ItemCount>2</ItemCount></Header>"
        f"<EstablishmentCollection>{''.join(establishments)}</EstablishmentCollection>"
        "</FHRSEstablishment>"
    ).encode()


GEOCODED = (
    "<EstablishmentDetail><FHRSID>345209</FHRSID>"
    "<BusinessName>101 Thai  Kitchen</BusinessName>"
    "<BusinessType>Restaurant/Cafe/Canteen</BusinessType><BusinessTypeID>1</BusinessTypeID>"
    "<AddressLine1>352 King Street</AddressLine1><AddressLine3>London</AddressLine3>"
    "<PostCode>w6 0rx</PostCode><RatingValue>3</RatingValue>"
    '<RatingDate xsi:nil="true" />'
    "<Geocode><Longitude>-0.24431100000000</Longitude><Latitude>51.49361800000000</Latitude>"
    "</Geocode></EstablishmentDetail>"
)
NOT_GEOCODED = (
    "<EstablishmentDetail><FHRSID>1040410</FHRSID><BusinessName>Fish &amp; Chips</BusinessName>"
    "<BusinessType>Takeaway/sandwich shop</BusinessType><Scores />"
    "<Geocode /></EstablishmentDetail>"
)


def test_parses_fields_addresses_and_locations() -> None:
    first, second = parse_fhrs(extract(GEOCODED, NOT_GEOCODED))
    assert first == FhrsEstablishment(
        fhrs_id="345209",
        name="101 Thai Kitchen",
        business_type="Restaurant/Cafe/Canteen",
        address_lines=("352 King Street", "London"),
        postcode="W6 0RX",
        lon=-0.244311,
        lat=51.493618,
    )
    assert second.name == "Fish & Chips"
    assert second.address_lines == ()
    assert second.postcode is None
    assert (second.lon, second.lat) == (None, None)


def test_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "FHRS999en-GB.xml"
    path.write_bytes(extract(GEOCODED))
    assert [e.fhrs_id for e in parse_fhrs(path)] == ["345209"]
    assert [e.fhrs_id for e in parse_fhrs(str(path))] == ["345209"]


def test_namespaced_extract_is_read_the_same() -> None:
    plain = parse_fhrs(extract(GEOCODED))
    assert parse_fhrs(extract(GEOCODED, namespace="http://example.org/fhrs")) == plain


@pytest.mark.parametrize(
    "geocode",
    [
        "<Geocode><Longitude>0</Longitude><Latitude>0</Latitude></Geocode>",
        "<Geocode><Longitude>-0.2</Longitude></Geocode>",
        "<Geocode><Longitude>abc</Longitude><Latitude>51.5</Latitude></Geocode>",
        "<Geocode><Longitude>-0.2</Longitude><Latitude>151.5</Latitude></Geocode>",
    ],
)
def test_placeholder_partial_or_impossible_geocodes_mean_no_location(geocode: str) -> None:
    detail = f"<EstablishmentDetail><FHRSID>1</FHRSID><BusinessName>A</BusinessName>{geocode}</EstablishmentDetail>"
    [found] = parse_fhrs(extract(detail))
    assert (found.lon, found.lat) == (None, None)


def test_an_establishment_without_an_id_is_an_error() -> None:
    detail = "<EstablishmentDetail><BusinessName>Nameless</BusinessName></EstablishmentDetail>"
    with pytest.raises(FhrsFormatError, match="establishment 2 has no FHRSID"):
        parse_fhrs(extract(GEOCODED, detail))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<FHRSEstablishment><EstablishmentDetail>", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (b"<rss><channel /></rss>", "root element is <rss>"),
    ],
)
def test_documents_that_are_not_extracts_are_refused(document: bytes, message: str) -> None:
    with pytest.raises(FhrsFormatError, match=message):
        parse_fhrs(document)


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    document = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY leak SYSTEM "file://{secret}">]>'
        "<FHRSEstablishment><EstablishmentCollection><EstablishmentDetail>"
        "<FHRSID>1</FHRSID><BusinessName>&leak;</BusinessName>"
        "</EstablishmentDetail></EstablishmentCollection></FHRSEstablishment>"
    ).encode()
    with pytest.raises(FhrsFormatError, match="document type declarations"):
        parse_fhrs(document)


@pytest.mark.parametrize("comment", [0, 64 * 1024 - 34, 200_000])
def test_a_document_type_after_a_long_comment_is_refused_too(comment: int) -> None:
    """Wherever the declaration falls: at the start, split across the search's first two
    chunks, or far beyond the first."""
    lol = "".join(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 9))
    document = (
        '<?xml version="1.0"?>'
        + (f"<!-- {'x' * comment} -->" if comment else "")
        + f'<!DOCTYPE r [<!ENTITY l0 "lol">{lol}]>'
        + "<FHRSEstablishment><EstablishmentCollection><EstablishmentDetail>"
        + "<FHRSID>1</FHRSID><BusinessName>&l8;</BusinessName>"
        + "</EstablishmentDetail></EstablishmentCollection></FHRSEstablishment>"
    ).encode()
    with pytest.raises(FhrsFormatError, match="document type declarations"):
        parse_fhrs(document)


@pytest.mark.parametrize(
    ("business_type", "name", "expected"),
    [
        ("Pub/bar/nightclub", "The Distillers", "pub_bar"),
        ("Pub/bar/nightclub", "The Barber's Arms", "pub_bar"),
        ("Restaurant/Cafe/Canteen", "101 Thai Kitchen", "restaurant_takeaway"),
        ("Takeaway/sandwich shop", "Chicken Cottage", "restaurant_takeaway"),
        ("Hotel/bed & breakfast/guest house", "K West Hotel And Spa", "hotel"),
        ("Retailers - other", "Askew Food & Wine", "off_licence"),
        ("Retailers - other", "Fulham Food And Wine", "off_licence"),
        ("Retailers - other", "Thrive News", "off_licence"),
        ("Retailers - other", "Pick N Save Off Licence", "off_licence"),
        ("Retailers - supermarkets/hypermarkets", "Boscombe Food And Wine", "off_licence"),
        ("Retailers - supermarkets/hypermarkets", "Tesco Express", "other"),
        ("Retailers - other", "Spar", "other"),
        ("Retailers - other", "Harrow Road Convenience Store", "other"),
        ("Other catering premises", "Lotus Nails & Spa", "nail_bar"),
        ("Other catering premises", "Golden Thai Therapy", "massage"),
        ("Retailers - other", "Bangkok Massage", "massage"),
        ("Other catering premises", "Serenity Spa", "massage"),
        ("Retailers - other", "Pereiras Beauty", "hair_beauty"),
        ("Other catering premises", "Hairdressers Café", "hair_beauty"),
        ("Retailers - other", "Turkish Barbers", "hair_beauty"),
        ("Other catering premises", "Armchair Café", "other"),
        ("Mobile caterer", "Sparkle Hand Wash", "car_wash"),
        ("Other catering premises", "Fulham Car Wash", "car_wash"),
        ("Other catering premises", "Snails Bistro", "other"),
        ("Pub/bar/nightclub", "Gentlemen's Club Ltd", "sexual_entertainment"),
        ("School/college/university", "Fulham Cross Academy", "other"),
        ("", "", "other"),
    ],
)
def test_premises_type_suggestions(business_type: str, name: str, expected: str) -> None:
    assert suggest_premises_type(business_type, name) == expected


def test_suggestions_only_use_known_premises_type_codes() -> None:
    try:
        from enforcement.vocab import PremisesType
    except ImportError:  # the vocabulary module belongs to the domain and may not exist yet
        known = PREMISES_TYPES
    else:
        known = {member.value for member in PremisesType}
        assert known == PREMISES_TYPES
    types = ["Pub/bar/nightclub", "Hotel/x", "Retailers - other", "Mobile caterer", "Other"]
    names = ["Nails", "Spa", "Hair", "Car wash", "Wines", "Bar", "Gentlemen's club", ""]
    assert {suggest_premises_type(t, n) for t in types for n in names} <= known


# --- the real extracts -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return require_shared_data()


@pytest.fixture(scope="module")
def hammersmith(data_dir: Path) -> list[FhrsEstablishment]:
    return parse_fhrs(data_dir / "premises" / "FHRS513en-GB.xml")


def test_real_hammersmith_extract_counts(hammersmith: list[FhrsEstablishment]) -> None:
    assert len(hammersmith) == 1885
    assert len({e.fhrs_id for e in hammersmith}) == 1885
    assert sum(e.lon is not None for e in hammersmith) == 1563
    assert all((e.lon is None) == (e.lat is None) for e in hammersmith)
    types = Counter(e.business_type for e in hammersmith)
    assert types["Restaurant/Cafe/Canteen"] == 743
    assert types["Retailers - other"] == 338
    assert types["Other catering premises"] == 246
    assert types["Takeaway/sandwich shop"] == 132
    assert types["Pub/bar/nightclub"] == 120


def test_real_hammersmith_premises_fall_in_the_2022_wards(
    data_dir: Path, hammersmith: list[FhrsEstablishment]
) -> None:
    index = WardIndex(load_geojson(data_dir / "wards" / "hf_wards_2022_wgs84.geojson"))
    located = [(e.lon, e.lat) for e in hammersmith if e.lon is not None and e.lat is not None]
    wards = Counter(index.locate_many(located))
    assert sum(n for code, n in wards.items() if code is not None) == 1555
    assert wards[None] == 8
    by_name = {index.name_of(code): n for code, n in wards.items() if code is not None}
    assert by_name["Shepherd's Bush Green"] == 193
    assert by_name["Hammersmith Broadway"] == 158
    assert max(by_name, key=by_name.__getitem__) == "Shepherd's Bush Green"


def test_real_kensington_extract_counts(data_dir: Path) -> None:
    kensington = parse_fhrs(data_dir / "premises" / "FHRS520en-GB.xml")
    assert len(kensington) == 1794
    assert sum(e.lon is not None for e in kensington) == 1615


def test_real_suggestions_are_all_known_codes(hammersmith: list[FhrsEstablishment]) -> None:
    suggested = Counter(suggest_premises_type(e.business_type, e.name) for e in hammersmith)
    assert set(suggested) <= PREMISES_TYPES
    assert suggested["pub_bar"] == 120
    assert suggested["restaurant_takeaway"] == 743 + 132
    assert suggested["hotel"] == 35
