"""Controlled vocabularies: codes stored in the database with the labels people read."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Labelled(StrEnum):
    """A string enum whose members carry a human label for screens and documents."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Labelled:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label or value.replace("_", " ").capitalize()
        return obj

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Return (code, label) pairs in declaration order, for form selects."""
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, code: str | None) -> str:
        """Return the label of a stored code, or the code itself if it is no longer listed."""
        if code is None:
            return ""
        return cls.labels().get(code, code)

    @classmethod
    def labels(cls) -> Mapping[str, str]:
        """Return every code's label, by code (read-only; a template looking up a label per row
        of a list reads this once rather than calling label_of for each)."""
        # A dict per vocabulary, built on first use: looking a member up by value (`cls(code)`)
        # costs several times a dict's lookup.
        labels = _LABELS.get(cls)
        if labels is None:
            labels = _LABELS[cls] = MappingProxyType({m.value: m.label for m in cls})
        return labels


#: Each vocabulary's labels by code (see `Labelled.label_of`); the members never change.
_LABELS: dict[type[Labelled], Mapping[str, str]] = {}


class Role(Labelled):
    LICENSING_OFFICER = "licensing_officer", "Licensing officer"
    WARD_OFFICER = "ward_officer", "Ward officer (DWO or SNT)"
    INTEL_ANALYST = "intel_analyst", "Intelligence analyst"
    COMMITTEE_CLERK = "committee_clerk", "Committee clerk"
    SUPERVISOR = "supervisor", "Supervisor"
    PARTNER = "partner", "Partner organisation"
    ADMIN = "admin", "System administrator"


class OrganisationKind(Labelled):
    COUNCIL = "council", "Council"
    POLICE = "police", "Police"
    CHARITY = "charity", "Charity"
    OTHER_AGENCY = "other_agency", "Other agency"


class PremisesType(Labelled):
    NAIL_BAR = "nail_bar", "Nail bar"
    MASSAGE = "massage", "Massage or special treatment"
    HAIR_BEAUTY = "hair_beauty", "Hair and beauty"
    CAR_WASH = "car_wash", "Car wash"
    HOTEL = "hotel", "Hotel"
    RESIDENTIAL_FLAT = "residential_flat", "Residential flat"
    WALK_UP_FLAT = "walk_up_flat", "Walk-up flat"
    PUB_BAR = "pub_bar", "Pub or bar"
    RESTAURANT_TAKEAWAY = "restaurant_takeaway", "Restaurant or takeaway"
    OFF_LICENCE = "off_licence", "Off-licence"
    LATE_NIGHT_REFRESHMENT = "late_night_refreshment", "Late-night refreshment"
    SEXUAL_ENTERTAINMENT = "sexual_entertainment", "Sexual entertainment venue"
    OTHER = "other", "Other"


class LicenceRegime(Labelled):
    PREMISES_LICENCE = "premises_licence", "Premises licence (Licensing Act 2003)"
    SPECIAL_TREATMENT = (
        "special_treatment",
        "Special treatment licence (London Local Authorities Act 1991)",
    )
    SEV = "sev", "Sexual entertainment venue licence"
    GAMBLING = "gambling_premises", "Gambling premises licence (Gambling Act 2005)"
    OTHER = "other", "Other licence"


class LicenceStatus(Labelled):
    APPLIED = "applied", "Applied for"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    SURRENDERED = "surrendered", "Surrendered"
    EXPIRED = "expired", "Expired"
    LAPSED = "lapsed", "Lapsed"


class InspectionReason(Labelled):
    ROUTINE = "routine", "Routine inspection"
    COMPLAINT = "complaint", "Complaint"
    FOLLOW_UP = "follow_up", "Follow-up"
    JOINT_OPERATION = "joint_operation", "Joint operation with police"


class Finding(Labelled):
    COMPLIED = "complied", "Complied"
    BREACHED = "breached", "Breached"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    COULD_NOT_CHECK = "could_not_check", "Could not check"
