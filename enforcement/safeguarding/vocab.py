"""Indicators of every form of exploitation, and the vocabulary of anonymous referral records.

Inspections and welfare visits share one checklist (docs/welfare.md, docs/inspections.md). No
number of ticks decides anything: the service records and shows indicators and never scores a
person. Stored codes are those listed here; a code is never reused for another meaning.
"""

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

GENERAL = IndicatorGroup(
    "general",
    "Any form of exploitation",
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
            "controller_present", "Someone else is present and speaks or answers for them", _SEEN
        ),
        Indicator(
            "movement_controlled", "Is always accompanied, or cannot come and go freely", _SEEN
        ),
        Indicator("lives_at_work", "Appears to live at the place where they work", _SEEN),
        Indicator("unfamiliar_language", "Does not know the local language or the area", _TALK),
        Indicator("address_unknown", "Cannot say the address where they live or work", _TALK),
        Indicator("rehearsed_story", "Gives an account that sounds rehearsed", _TALK),
        Indicator("debt", "Believes they owe a debt they have to work off", _TALK),
        Indicator(
            "deductions",
            "Money is taken from their pay for food, a bed or travel",
            _TALK,
        ),
        Indicator("no_access_to_earnings", "Cannot get at the money they earn", _TALK),
        Indicator("no_id_documents", "Does not hold their own identity documents", _TALK),
        Indicator("no_time_off", "Has no days off, or cannot leave the place they work", _TALK),
        Indicator("isolated", "Has little or no contact with other people", _TALK),
        Indicator("threats", "Says threats have been made against them or their family", _TALK),
        Indicator(
            "not_self_identified", "Does not think of themself as someone being exploited", _TALK
        ),
    ),
)

SEXUAL = IndicatorGroup(
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
        Indicator("ownership_marks", "Has tattoos or marks suggesting someone owns them", _SEEN),
        Indicator("moved_between_locations", "Has been moved between addresses", _TALK),
        Indicator(
            "no_control_of_advert", "Does not control their own advert or phone number", _TALK
        ),
        Indicator("money_taken", "Someone else takes the money that is paid", _TALK),
    ),
)

LABOUR = IndicatorGroup(
    "labour",
    "Labour exploitation",
    (
        Indicator(
            "one_person_handles_all",
            "One person takes every payment and does all the talking for the workers",
            _SEEN,
        ),
        Indicator("workers_live_on_site", "Workers appear to sleep at the workplace", _SEEN),
        Indicator(
            "sleeping_in_vehicle",
            "A caravan, container or van on site where workers sleep",
            _SEEN,
        ),
        Indicator(
            "no_protective_equipment",
            "No gloves, masks or other protection for work with chemicals or machinery",
            _SEEN,
        ),
        Indicator("wages_withheld", "Pay is held back, or is below the minimum wage", _TALK),
        Indicator("no_contract", "Has no contract of employment and no payslips", _TALK),
        Indicator("excessive_hours", "Works very long hours, or every day of the week", _TALK),
        Indicator(
            "employer_provides_everything",
            "The employer arranges their job, their housing and their transport",
            _TALK,
        ),
    ),
)

DOMESTIC = IndicatorGroup(
    "domestic_servitude",
    "Domestic servitude",
    (
        Indicator(
            "household_worker_never_alone",
            "A household worker who is never seen out alone",
            _SEEN,
        ),
        Indicator(
            "no_own_space", "Has no room or bed of their own in the house they work in", _TALK
        ),
        Indicator("always_on_call", "Is expected to work at any hour of the day or night", _TALK),
        Indicator(
            "household_unpaid",
            "Is paid little or nothing, or their pay goes to someone else",
            _TALK,
        ),
        Indicator(
            "kept_from_contact",
            "Is kept from phoning or meeting family and friends",
            _TALK,
        ),
    ),
)

CRIMINAL = IndicatorGroup(
    "criminal",
    "Criminal exploitation",
    (
        Indicator(
            "cannabis_grow",
            "Signs of cannabis being grown: covered windows, heat, a strong smell, rewired "
            "electrics",
            _SEEN,
        ),
        Indicator(
            "cuckooing",
            "A home taken over by others to deal drugs or store goods (cuckooing)",
            _SEEN,
        ),
        Indicator(
            "forced_begging_or_theft",
            "Made to beg, steal or sell goods for someone else",
            _TALK,
        ),
        Indicator(
            "county_lines",
            "Carries drugs or money between towns for others (county lines)",
            _TALK,
        ),
        Indicator(
            "fraud_in_name",
            "Bank accounts, loans or benefits in their name are used by someone else",
            _TALK,
        ),
    ),
)

PREMISES = IndicatorGroup(
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
            "living_where_working", "Bedding, food or luggage in the rooms where people work", _SEEN
        ),
        Indicator("frequent_visits", "Frequent short visits, day and night", _SEEN),
        Indicator(
            "no_poster",
            "No anti-trafficking poster, or none in the languages of those working there",
            _SEEN,
        ),
    ),
)

CHILDREN = IndicatorGroup(
    "children",
    "Children (anyone under 18)",
    (
        Indicator(
            "unexplained_money",
            "Has money, phones or clothes that cannot be accounted for",
            _SEEN,
        ),
        Indicator("older_partner", "Has a much older boyfriend or girlfriend", _SEEN),
        Indicator("missing_episodes", "Goes missing from home or school", _TALK),
        Indicator("not_in_school", "Is not in school or education", _TALK),
    ),
)

#: Every group, in the order shown when the kind of premises says nothing more.
INDICATOR_GROUPS: tuple[IndicatorGroup, ...] = (
    GENERAL,
    SEXUAL,
    LABOUR,
    DOMESTIC,
    CRIMINAL,
    PREMISES,
    CHILDREN,
)

INDICATORS: dict[str, Indicator] = {
    i.code: i for group in INDICATOR_GROUPS for i in group.indicators
}
GROUP_OF: dict[str, IndicatorGroup] = {
    i.code: group for group in INDICATOR_GROUPS for i in group.indicators
}

_LABOUR_FIRST = (LABOUR, GENERAL, PREMISES)
_SEXUAL_FIRST = (SEXUAL, GENERAL, PREMISES)
#: The groups offered first at each kind of premises: where workers are most often exploited
#: for their labour (nail bars, car washes, salons, hospitality), labour first; where sexual
#: services are sold, sexual exploitation first.
FIRST_GROUPS: dict[PremisesType, tuple[IndicatorGroup, ...]] = {
    PremisesType.NAIL_BAR: _LABOUR_FIRST,
    PremisesType.CAR_WASH: _LABOUR_FIRST,
    PremisesType.HAIR_BEAUTY: _LABOUR_FIRST,
    PremisesType.RESTAURANT_TAKEAWAY: _LABOUR_FIRST,
    PremisesType.LATE_NIGHT_REFRESHMENT: _LABOUR_FIRST,
    PremisesType.PUB_BAR: _LABOUR_FIRST,
    PremisesType.OFF_LICENCE: _LABOUR_FIRST,
    PremisesType.MASSAGE: _SEXUAL_FIRST,
    PremisesType.RESIDENTIAL_FLAT: _SEXUAL_FIRST,
    PremisesType.WALK_UP_FLAT: _SEXUAL_FIRST,
    PremisesType.SEXUAL_ENTERTAINMENT: _SEXUAL_FIRST,
    PremisesType.HOTEL: _SEXUAL_FIRST,
}


def groups_for(premises_type: str | None) -> tuple[IndicatorGroup, ...]:
    """Every group, those that fit this kind of premises first, the rest in the usual order."""
    first: tuple[IndicatorGroup, ...] = ()
    if premises_type in {t.value for t in PremisesType}:
        first = FIRST_GROUPS.get(PremisesType(premises_type), ())
    return (*first, *(g for g in INDICATOR_GROUPS if g not in first))


def in_checklist_order(
    codes: set[str] | frozenset[str],
) -> list[tuple[IndicatorGroup, list[Indicator]]]:
    """The recorded indicators by group, in the usual order (for showing a record, never a score)."""
    return [
        (group, found)
        for group in INDICATOR_GROUPS
        if (found := [i for i in group.indicators if i.code in codes])
    ]


# --- Anonymous referral records (docs/welfare.md) ----------------------------------------------


class ReferralRoute(Labelled):
    NRM = "nrm", "National Referral Mechanism (NRM)"
    DUTY_TO_NOTIFY = "duty_to_notify", "Duty to Notify (an adult who did not consent to the NRM)"
    SPECIALIST_CHARITY = "specialist_charity", "Specialist support charity"
    SOCIAL_SERVICES = "social_services", "Social services (adults or children)"


class AgeGroup(Labelled):
    ADULT = "adult", "Adult (18 or over)"
    CHILD = "child", "Child (under 18)"
    NOT_KNOWN = "not_known", "Not known"


class Gender(Labelled):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_RECORDED = "not_recorded", "Not recorded"


class ExploitationType(Labelled):
    CRIMINAL = "criminal", "Criminal exploitation"
    DOMESTIC_SERVITUDE = "domestic_servitude", "Domestic servitude"
    LABOUR = "labour", "Labour exploitation"
    SEXUAL = "sexual", "Sexual exploitation"
    ORGAN_HARVESTING = "organ_harvesting", "Organ harvesting"
    NOT_KNOWN = "not_known", "Not known"


class ExploitationPlace(Labelled):
    UK = "uk", "In the UK"
    OVERSEAS = "overseas", "Overseas"
    BOTH = "both", "Both in the UK and overseas"
    NOT_KNOWN = "not_known", "Not known"


class FirstResponderType(Labelled):
    POLICE = "police", "Police force"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    NGO = "ngo", "Charity or voluntary organisation"
    GOVERNMENT_AGENCY = "government_agency", "Other government agency"
    NOT_KNOWN = "not_known", "Not known"


class Decision(Labelled):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"


#: The first responder type an organisation of each kind usually is.
RESPONDER_TYPE_OF_KIND: dict[str, FirstResponderType] = {
    "police": FirstResponderType.POLICE,
    "council": FirstResponderType.LOCAL_AUTHORITY,
    "charity": FirstResponderType.NGO,
    "other_agency": FirstResponderType.GOVERNMENT_AGENCY,
}
