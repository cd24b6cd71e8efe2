"""Reference lists for welfare visits: properties, triggers, the guidance checklist.

The indicators of exploitation and the referral routes are shared with inspections
(`enforcement.safeguarding.vocab`), and named here too for the visit's code.
"""

from __future__ import annotations

from enforcement.safeguarding.vocab import (
    GROUP_OF,
    INDICATOR_GROUPS,
    INDICATORS,
    Indicator,
    IndicatorGroup,
    Observed,
    ReferralRoute,
)
from enforcement.vocab import Labelled, PremisesType

__all__ = [
    "GROUP_OF",
    "INDICATORS",
    "INDICATOR_GROUPS",
    "PREMISES_TYPE_FOR",
    "GuidanceItem",
    "Indicator",
    "IndicatorGroup",
    "Observed",
    "PropertyDescribed",
    "ReferralRoute",
    "VisitTrigger",
]


class PropertyDescribed(Labelled):
    RESIDENTIAL_FLAT = "residential_flat", "Residential flat"
    MASSAGE_PARLOUR = "massage_parlour", "Massage parlour"
    HOTEL_ROOM = "hotel_room", "Hotel room"
    WALK_UP_FLAT = "walk_up_flat", "Walk-up flat"
    OTHER = "other", "Other"


# The register's type for a premises first recorded by a welfare visit.
PREMISES_TYPE_FOR: dict[str, PremisesType] = {
    PropertyDescribed.RESIDENTIAL_FLAT: PremisesType.RESIDENTIAL_FLAT,
    PropertyDescribed.MASSAGE_PARLOUR: PremisesType.MASSAGE,
    PropertyDescribed.HOTEL_ROOM: PremisesType.HOTEL,
    PropertyDescribed.WALK_UP_FLAT: PremisesType.WALK_UP_FLAT,
    PropertyDescribed.OTHER: PremisesType.OTHER,
}


class VisitTrigger(Labelled):
    PROACTIVE = "proactive", "Proactive visit under the Moontwist programme"
    COMPLAINT = "complaint", "Complaint or concern from the public"
    INTELLIGENCE = "intelligence", "Intelligence"
    PARTNER_REFERRAL = "partner_referral", "Referral from a partner agency"


class GuidanceItem(Labelled):
    INTRODUCED = "introduced", "Introduced ourselves and explained why we were there"
    SPOKE_SEPARATELY = (
        "spoke_separately",
        "Spoke with each person on their own, where that was safe",
    )
    QUALIFIED_INTERPRETER = (
        "qualified_interpreter",
        "Used a qualified interpreter wherever one was needed",
    )
    SUPPORT_INFO_LEFT = "support_info_left", "Left information about where to get support"
    NOT_ENFORCEMENT = (
        "not_enforcement",
        "Kept to welfare: the visit was not run as an enforcement raid",
    )
    RECORDED_SAME_DAY = "recorded_same_day", "Recorded the visit on the day it took place"
