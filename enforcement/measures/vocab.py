"""The measures vocabularies: what partners count, by which age groups, and submission states."""

from __future__ import annotations

from enforcement.vocab import Labelled


class DataShareStatus(Labelled):
    """Where a quarter's data share stands (stored in `data_shares.status`)."""

    AWAITING = "awaiting_sign_off", "Awaiting sign-off"
    SIGNED_OFF = "signed_off", "Signed off"
    SUPERSEDED = "superseded", "Superseded"


class SubmissionStatus(Labelled):
    """Where a partner's import for a quarter stands (stored in `partner_submissions.status`)."""

    CURRENT = "current", "Current"
    SUPERSEDED = "superseded", "Replaced by a later import"


class AgeGroup(Labelled):
    ADULT = "adult", "Adults"
    CHILD = "child", "Children"
    NOT_KNOWN = "not_known", "Age not known"
    ALL = "all", "Not split by age"


_PEOPLE = frozenset({AgeGroup.ADULT, AgeGroup.CHILD, AgeGroup.NOT_KNOWN})


class PartnerMeasure(Labelled):
    POTENTIAL_VICTIMS = "potential_victims", "Potential victims and survivors identified"
    NRM_REFERRALS = "nrm_referrals", "NRM referrals made"
    DUTY_TO_NOTIFY = "duty_to_notify", "Duty to Notify reports made (adults)"
    ENGAGING_IN_SUPPORT = "engaging_in_support", "Victims and survivors engaging in support"
    CONTACTS_SIGNPOSTED = "contacts_signposted", "Contacts to signposted organisations"
    PREMISES_REPORTED = "premises_reported", "Premises of concern reported"


#: The age groups each partner measure may be given in (a count of people is split by age).
AGE_GROUPS: dict[str, frozenset[str]] = {
    PartnerMeasure.POTENTIAL_VICTIMS: _PEOPLE,
    PartnerMeasure.NRM_REFERRALS: _PEOPLE,
    PartnerMeasure.DUTY_TO_NOTIFY: frozenset({AgeGroup.ADULT}),
    PartnerMeasure.ENGAGING_IN_SUPPORT: _PEOPLE,
    PartnerMeasure.CONTACTS_SIGNPOSTED: frozenset({AgeGroup.ALL}),
    PartnerMeasure.PREMISES_REPORTED: frozenset({AgeGroup.ALL}),
}
