"""Parse the Food Standards Agency's food hygiene rating (FHRS) open data XML into plain records."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A DTD is never part of an FHRS extract; refusing one shuts out entity-expansion tricks
# whatever the expat version. It belongs in the prolog, but the prolog may hold comments of any
# length first, so the whole file is searched, this many bytes at a time.
_PROLOG_BYTES = 64 * 1024
_ESTABLISHMENT = "EstablishmentDetail"


class FhrsFormatError(ValueError):
    """The document is not a usable FHRS extract (not XML, a DTD, or an establishment without ID)."""


@dataclass(frozen=True)
class FhrsEstablishment:
    """One food business as the FSA publishes it; lon/lat are WGS84, None when not geocoded."""

    fhrs_id: str
    name: str
    business_type: str
    address_lines: tuple[str, ...]
    postcode: str | None
    lon: float | None
    lat: float | None


def _local(tag: str) -> str:
    # The API variant of the extract is namespaced; the bulk files are not. Match either.
    return tag.rpartition("}")[2]


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _children(element: ET.Element) -> dict[str, ET.Element]:
    return {_local(child.tag): child for child in element}


def _coordinate(text: str | None, limit: float) -> float | None:
    try:
        value = float(_clean(text))
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= limit else None


def _establishment(element: ET.Element, position: int) -> FhrsEstablishment:
    fields = _children(element)

    def text(name: str) -> str:
        found = fields.get(name)
        return _clean(found.text) if found is not None else ""

    fhrs_id = text("FHRSID")
    if not fhrs_id:
        raise FhrsFormatError(f"establishment {position} has no FHRSID")
    lon = lat = None
    geocode = fields.get("Geocode")
    if geocode is not None:
        parts = _children(geocode)
        lon_el, lat_el = parts.get("Longitude"), parts.get("Latitude")
        lon = _coordinate(lon_el.text if lon_el is not None else None, 180.0)
        lat = _coordinate(lat_el.text if lat_el is not None else None, 90.0)
        # Half a position, or the 0,0 placeholder some extracts use, is no location at all.
        if lon is None or lat is None or (lon == 0.0 and lat == 0.0):
            lon = lat = None
    address = tuple(line for n in range(1, 5) if (line := text(f"AddressLine{n}")))
    postcode = text("PostCode").upper() or None
    return FhrsEstablishment(
        fhrs_id=fhrs_id,
        name=text("BusinessName"),
        business_type=text("BusinessType"),
        address_lines=address,
        postcode=postcode,
        lon=lon,
        lat=lat,
    )


def _declares_a_document_type(stream: BinaryIO) -> bool:
    """Whether "<!DOCTYPE" appears anywhere in the stream (read a chunk at a time, each
    overlapping the last so that a declaration split between two is still seen): after a
    long comment, say, as well as at the start."""
    marker = b"<!DOCTYPE"
    tail = b""
    while chunk := stream.read(_PROLOG_BYTES):
        if marker in tail + chunk:
            return True
        tail = chunk[-(len(marker) - 1) :]
    return False


def _parse_stream(stream: BinaryIO) -> list[FhrsEstablishment]:
    if _declares_a_document_type(stream):
        raise FhrsFormatError("document type declarations are not accepted in an FHRS extract")
    stream.seek(0)
    found: list[FhrsEstablishment] = []
    root: ET.Element | None = None
    try:
        # S314: defusedxml is not a dependency. The stdlib parser never fetches external
        # entities, and a DTD (the only way to declare entities), wherever it is in the file,
        # was refused above.
        for event, element in ET.iterparse(stream, events=("start", "end")):  # noqa: S314
            if root is None:
                root = element
                if _local(root.tag) != "FHRSEstablishment":
                    raise FhrsFormatError(
                        f"root element is <{_local(root.tag)}>, not <FHRSEstablishment>"
                    )
            elif event == "end" and _local(element.tag) == _ESTABLISHMENT:
                found.append(_establishment(element, len(found) + 1))
                # Drop what has been read so a whole-country extract does not sit in memory.
                element.clear()
    except ET.ParseError as exc:
        raise FhrsFormatError(f"not well-formed XML: {exc}") from exc
    return found


def parse_fhrs(source: str | Path | bytes) -> list[FhrsEstablishment]:
    """Read every establishment from an FHRS XML extract, in document order.

    `source` is a file path (str or Path) or the document as bytes. External entities are never
    resolved, and a document with a DTD is refused. Raises FhrsFormatError for a document that is
    not an FHRS extract or an establishment without an FHRSID.
    """
    if isinstance(source, bytes):
        return _parse_stream(io.BytesIO(source))
    with Path(source).open("rb") as stream:
        return _parse_stream(stream)


def _mentions(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


# Word-bounded so that "Spar" is not a spa, "chair" is not hair and "Snails" is not a nail bar.
_SEXUAL_ENTERTAINMENT = r"\bgentlem[ae]n'?s club\b|\blap ?danc|\bstrip ?(club|bar)\b"
_NAIL = r"\bnails?\b"
_MASSAGE = r"\bmassage\b|\bspa\b|\bthai therapy\b"
_HAIR_BEAUTY = r"\bhair|\bbeauty\b|\bbarbers?\b|\bbarbershop\b"
_CAR_WASH = r"\bcar ?wash\b|\bhand ?wash\b|\bvalet(ing)?\b"
_OFF_LICENCE = (
    r"\bwines?\b|\boff[- ]?licen[cs]e\b|\bnews\b|\bnewsagents?\b|\bliquors?\b|\bbooze\b"
    r"|\bfood (&|and|n) wine\b"
)


def suggest_premises_type(business_type: str, name: str) -> str:
    """Suggest a premises type code from an FHRS business type and trading name.

    The code is one of: nail_bar, massage, hair_beauty, car_wash, hotel, residential_flat,
    walk_up_flat, pub_bar, restaurant_takeaway, off_licence, late_night_refreshment,
    sexual_entertainment, other. It is only a suggestion for an officer to confirm: the FSA type
    says what food is sold, the name hints at the rest. A pub, hotel, restaurant or takeaway keeps
    its FHRS type even if its name says "spa" or "barber"; for other types the name decides, and
    a retailer becomes an off-licence only when its name says so (wine, off licence, news...).
    """
    kind = _clean(business_type).lower()
    label = _clean(name).lower()
    if _mentions(_SEXUAL_ENTERTAINMENT, label):
        return "sexual_entertainment"
    if kind.startswith("pub/bar"):
        return "pub_bar"
    if kind.startswith("hotel/"):
        return "hotel"
    if kind.startswith(("restaurant/", "takeaway/")):
        return "restaurant_takeaway"
    if _mentions(_NAIL, label):
        return "nail_bar"
    if _mentions(_MASSAGE, label):
        return "massage"
    if _mentions(_HAIR_BEAUTY, label):
        return "hair_beauty"
    if _mentions(_CAR_WASH, label):
        return "car_wash"
    if kind.startswith("retailers") and _mentions(_OFF_LICENCE, label):
        return "off_licence"
    return "other"
