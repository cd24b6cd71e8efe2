"""Reference lists for welfare visits: indicators of exploitation, properties, referrals, guidance."""

from __future__ import annotations

from dataclasses import dataclass

from enforcement.vocab import Labelled, PremisesType


class Observed(Labelled):
    """How an indicator comes to light: seen on the visit, or only by talking with someone."""

    OBSERVABLE = "observable", "Can be seen"
    CONVERSATION = "conversation", "Needs a conversation"


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    observed: Observed


@dataclass(frozen=True)
class IndicatorGroup:
    code: str
    label: str
    indicators: tuple[Indicator, ...]


_SEEN = Observed.OBSERVABLE
_TALK = Observed.CONVERSATION

# The key indicators of the Hammersmith & Fulham strategy (appendix 3), with indicators of
# sexual exploitation and of the premises, in groups (docs/welfare.md). No number of ticks decides anything: the app records and shows them, never scores anyone.
INDICATOR_GROUPS: tuple[IndicatorGroup, ...] = (
    IndicatorGroup(
        "general",
        "The people present",
        (
            Indicator(
                "fear_of_authorities",
                "Seems frightened, anxious or distrustful of police or other authorities",
                _SEEN,
            ),
            Indicator("malnourished", "Looks malnourished", _SEEN),
            Indicator("trauma", "Shows signs of physical or psychological trauma", _SEEN),
            Indicator(
                "injuries",
                "Has injuries left untreated, or that look like the result of being controlled",
                _SEEN,
            ),
            Indicator(
                "controller_present",
                "Someone else is present and speaks or answers for them",
                _SEEN,
            ),
            Indicator("unfamiliar_language", "Does not know the local language or the area", _TALK),
            Indicator("address_unknown", "Cannot say the address where they live or work", _TALK),
            Indicator("rehearsed_story", "Gives an account that sounds rehearsed", _TALK),
            Indicator("debt", "Believes they owe a debt they have to work off", _TALK),
            Indicator("no_id_documents", "Does not hold their own identity documents", _TALK),
            Indicator("no_time_off", "Has no days off, or cannot leave the place they work", _TALK),
            Indicator("isolated", "Has little or no contact with other people", _TALK),
            Indicator("threats", "Says threats have been made against them or their family", _TALK),
        ),
    ),
    IndicatorGroup(
        "sexual_exploitation",
        "Sexual exploitation",
        (
            Indicator(
                "appears_under_18",
                "Appears to be under 18: always follow the child safeguarding route",
                _SEEN,
            ),
            Indicator("sleeps_on_premises", "Appears to sleep where they work", _SEEN),
            Indicator("advertised_by_ethnicity", "Advertised by ethnicity or nationality", _SEEN),
            Indicator(
                "ownership_marks", "Has tattoos or marks suggesting someone owns them", _SEEN
            ),
            Indicator("moved_between_locations", "Has been moved between addresses", _TALK),
            Indicator(
                "no_control_of_advert",
                "Does not control their own advert or phone number",
                _TALK,
            ),
            Indicator("money_taken", "Someone else takes the money that is paid", _TALK),
        ),
    ),
    IndicatorGroup(
        "premises",
        "The premises",
        (
            Indicator(
                "fortified",
                "Barred windows, curtains always drawn, a sealed letterbox or CCTV at the door",
                _SEEN,
            ),
            Indicator("visitors_screened", "Visitors are screened or told to phone first", _SEEN),
            Indicator(
                "viewing_room",
                "A viewing room, where people are shown to individuals paying for sexual services",
                _SEEN,
            ),
            Indicator("external_locks", "Doors that lock from the outside", _SEEN),
            Indicator("many_phones", "A bank of mobile phones", _SEEN),
            Indicator(
                "living_where_working",
                "Bedding, food or luggage in the rooms where people work",
                _SEEN,
            ),
            Indicator("frequent_visits", "Frequent short visits, day and night", _SEEN),
            Indicator(
                "no_poster",
                "No anti-trafficking poster, or none in the languages of those working there",
                _SEEN,
            ),
        ),
    ),
    IndicatorGroup(
        "children",
        "Children",
        (Indicator("missing_episodes", "Goes missing from home or school", _TALK),),
    ),
)

INDICATORS: dict[str, Indicator] = {
    i.code: i for group in INDICATOR_GROUPS for i in group.indicators
}
GROUP_OF: dict[str, IndicatorGroup] = {
    i.code: group for group in INDICATOR_GROUPS for i in group.indicators
}


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


class ReferralRoute(Labelled):
    NRM = "nrm", "National Referral Mechanism (NRM)"
    DUTY_TO_NOTIFY = "duty_to_notify", "Duty to Notify (an adult who did not consent to the NRM)"
    SPECIALIST_CHARITY = "specialist_charity", "Specialist support charity"
    SOCIAL_SERVICES = "social_services", "Social services (adults or children)"


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
    IMMIGRATION_REFERRAL = (
        "immigration_referral",
        "Immigration referral (needs a justification and a supervisor's approval)",
    )


class ImmigrationStatus(Labelled):
    """Where an immigration referral from a welfare visit stands."""

    PENDING = "pending", "Awaiting a supervisor's decision"
    APPROVED = "approved", "Approved by a supervisor"
    DECLINED = "declined", "Declined by a supervisor"


class VisitHandling(Labelled):
    """The handling code of a visit record (as for intelligence: 3x5x2)."""

    P = "P", "P: lawful sharing permitted"
    C = "C", "C: lawful sharing permitted with conditions"
