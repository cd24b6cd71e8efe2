"""The words of Licensing Committee referrals: statuses, recommendations, support, disclosure."""

from __future__ import annotations

from dataclasses import dataclass

from enforcement.cases.vocab import ToolCode
from enforcement.vocab import Labelled, LicenceRegime


class ReferralStatus(Labelled):
    """Where a referral stands, from the officer's draft to the decision taking effect."""

    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting sign-off"
    RETURNED = "returned", "Returned to the officer"
    SIGNED_OFF = "signed_off", "Signed off: with the committee clerk"
    PROCESS_OPEN = "process_open", "Statutory process open"
    HEARING_LISTED = "hearing_listed", "Hearing listed"
    DECIDED = "decided", "Decided: not yet in effect"
    APPEALED = "appealed", "Appeal lodged: decision suspended"
    CLOSED = "closed", "Closed"


#: Statuses in which the officer (or a supervisor) may still change the draft.
EDITABLE = frozenset({ReferralStatus.DRAFT, ReferralStatus.RETURNED})
#: Statuses in which the committee clerk is running the referral before a decision.
WITH_CLERK = frozenset(
    {ReferralStatus.SIGNED_OFF, ReferralStatus.PROCESS_OPEN, ReferralStatus.HEARING_LISTED}
)


class Recommendation(Labelled):
    """What the officer recommends, and what the sub-committee may decide (Licensing Act s52(4))."""

    REVOKE = "revoke", "Revoke the licence"
    SUSPEND = "suspend", "Suspend the licence for up to 3 months"
    MODIFY_CONDITIONS = "modify_conditions", "Modify the conditions of the licence"
    REMOVE_DPS = "remove_dps", "Remove the designated premises supervisor"
    NO_ACTION = "no_action", "Take no action"


#: How each decision reads once made.
DECISION_LABELS: dict[str, str] = {
    Recommendation.REVOKE: "Licence revoked",
    Recommendation.SUSPEND: "Licence suspended",
    Recommendation.MODIFY_CONDITIONS: "Conditions of the licence modified",
    Recommendation.REMOVE_DPS: "Designated premises supervisor removed",
    Recommendation.NO_ACTION: "No action taken",
}
MAX_SUSPENSION_MONTHS = 3


class SupportService(Labelled):
    """A service offered to victims and survivors (anonymous: what, never to whom)."""

    NRM = "nrm", "Referral into the National Referral Mechanism"
    DUTY_TO_NOTIFY = "duty_to_notify", "Anonymous Duty to Notify"
    SPECIALIST_CHARITY = "specialist_charity", "Support from a specialist anti-trafficking charity"
    SAFEGUARDING = "safeguarding", "Safeguarding by adult or children's social care"
    HEALTH = "health", "Health care"
    ACCOMMODATION = "accommodation", "Safe accommodation"
    LEGAL_ADVICE = "legal_advice", "Independent legal or immigration advice"
    INTERPRETING = "interpreting", "A professional interpreter"
    INFORMATION = "information", "Support information in their own languages"
    OTHER = "other", "Other support"


class TakenUp(Labelled):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_KNOWN = "not_known", "Not known"


class Party(Labelled):
    """Who made representations (responsible authorities and other persons, Licensing Act s13)."""

    HOLDER = "holder", "The licence holder"
    POLICE = "police", "The police (responsible authority)"
    LICENSING_AUTHORITY = "licensing_authority", "The licensing authority (responsible authority)"
    OTHER_AUTHORITY = "other_authority", "Another responsible authority"
    RESIDENT = "resident", "Residents"
    BUSINESS = "business", "Businesses"
    COUNCILLOR = "councillor", "Ward councillors"
    OTHER = "other", "Others"


class EvidenceKind(Labelled):
    INSPECTION = "inspection", "Inspection"
    POSTER_CHECK = "poster_check", "Poster check"
    CASE = "case", "Enforcement case"
    FLAG = "flag", "Intelligence"
    WELFARE_VISIT = "welfare_visit", "Welfare visit (released)"


class Disclosure(Labelled):
    """How much of an evidence item the public paper may show; the exempt paper shows it all.

    OPEN items appear in the public paper by their public text (the officers' free text stays
    in the exempt paper); the others appear there only as a dated exempt-information marker.
    """

    OPEN = "open", "Public (officers' notes exempt)"
    INTELLIGENCE = "intelligence", "Exempt: intelligence"
    RESTRICTED = "restricted", "Exempt: handling code C"
    WELFARE = "welfare", "Exempt: released welfare visit"


class AppealOutcome(Labelled):
    DISMISSED = "dismissed", "Appeal dismissed: the decision stands"
    WITHDRAWN = "withdrawn", "Appeal withdrawn: the decision stands"
    ALLOWED = "allowed", "Appeal allowed: the decision does not take effect"


#: Outcomes after which the sub-committee's decision takes effect.
DECISION_STANDS = frozenset({AppealOutcome.DISMISSED, AppealOutcome.WITHDRAWN})


@dataclass(frozen=True)
class ProcessRules:
    """The rule ids of the statutory clock a referral's process reads, by what they mean to it."""

    appeal: str
    representations: str | None = None
    hearing: str | None = None
    notice_of_hearing: str | None = None
    determination: str | None = None


#: The tool each kind of licence is referred through, and the rules it reads.
TOOL_FOR_REGIME: dict[str, ToolCode] = {
    LicenceRegime.PREMISES_LICENCE: ToolCode.PREMISES_REVIEW,
    LicenceRegime.SPECIAL_TREATMENT: ToolCode.SPECIAL_TREATMENT,
}
PROCESS_RULES: dict[str, ProcessRules] = {
    ToolCode.PREMISES_REVIEW: ProcessRules(
        appeal="la.s52.appeal",
        representations="la.s51.representations",
        hearing="la.s52.hearing",
        notice_of_hearing="la.s52.notice_of_hearing",
        determination="la.s52.determination",
    ),
    ToolCode.SPECIAL_TREATMENT: ProcessRules(appeal="llaa.appeal"),
}
#: The decisions open for each tool: a special treatment licence has no designated premises
#: supervisor, and the 1991 Act's sanction is revocation (or varying the licence's terms).
DECISIONS_FOR_TOOL: dict[str, tuple[Recommendation, ...]] = {
    ToolCode.PREMISES_REVIEW: tuple(Recommendation),
    ToolCode.SPECIAL_TREATMENT: (
        Recommendation.REVOKE,
        Recommendation.MODIFY_CONDITIONS,
        Recommendation.NO_ACTION,
    ),
}
APPEAL_RULE_IDS = tuple(rules.appeal for rules in PROCESS_RULES.values())
NOTICE_RULE_IDS = tuple(
    rules.notice_of_hearing for rules in PROCESS_RULES.values() if rules.notice_of_hearing
)

#: The words the public paper shows in place of anything withheld from it.
EXEMPT_MARKER = (
    "Exempt information: Schedule 12A Local Government Act 1972, paragraph 7 (prevention of crime)"
)


class ListView(Labelled):
    """The clerks' lists of referrals (a filter, not stored)."""

    ALL = "all", "All referrals"
    HEARINGS = "hearings", "Hearings coming up"
    PAPERS = "papers", "Papers due"
    AWAITING_EFFECT = "awaiting_effect", "Decisions awaiting effect"
