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
        "Kept to welfare: the visit was not used for enforcement",
    )
    RECORDED_SAME_DAY = "recorded_same_day", "Recorded the visit on the day it took place"


# --- The whole visit record: attendance and approach, support, outcome (docs/welfare.md) ----


class Dress(Labelled):
    UNIFORM = "uniform", "In uniform"
    PLAIN_CLOTHES = "plain_clothes", "In plain clothes"
    BOTH = "both", "Some in uniform, some in plain clothes"


class ConsentToTalk(Labelled):
    GIVEN = "given", "Yes, they agreed to talk with us"
    DECLINED = "declined", "No, they did not want to talk"
    NOT_ASKED = "not_asked", "We could not ask (no one was able to talk with us)"


class AwayFromManagers(Labelled):
    YES = "yes", "Yes"
    NO = "no", "No, not safely"
    NO_MANAGERS = "no_managers", "No manager or controller was present"


class VisitOutcome(Labelled):
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    FOLLOW_UP_VISIT = "follow_up_visit", "Follow-up visit"
    NRM_REFERRAL = "nrm_referral", "Referral into the National Referral Mechanism (NRM)"
    DUTY_TO_NOTIFY = "duty_to_notify", "Duty to Notify (an adult who did not consent to the NRM)"
    SAFEGUARDING_REFERRAL = "safeguarding_referral", "Safeguarding referral (adults or children)"
    # What it needs (a justification and a supervisor's approval) is the form's hint on the
    # justification, not part of the outcome shown on the visit's page.
    IMMIGRATION_REFERRAL = "immigration_referral", "Immigration referral"


class ImmigrationStatus(Labelled):
    """Where an immigration referral from a welfare visit stands."""

    PENDING = "pending", "Awaiting a supervisor's decision"
    APPROVED = "approved", "Approved by a supervisor"
    DECLINED = "declined", "Declined by a supervisor"


class VisitHandling(Labelled):
    """The handling code of a visit record (as for intelligence: 3x5x2)."""

    P = "P", "P: lawful sharing permitted"
    C = "C", "C: lawful sharing permitted with conditions"
