"""The intelligence vocabularies: source types, forms of exploitation, statuses and grading."""

from __future__ import annotations

from enforcement.vocab import Labelled


class SourceType(Labelled):
    POLICE = "police", "Police"
    COUNCIL = "council", "Council team"
    CHARITY = "charity", "Charity"
    LAS = "las", "London Ambulance Service"
    HELPLINE = "helpline", "Helpline"
    RESIDENT = "resident", "Resident"
    ANONYMOUS = "anonymous", "Anonymous"


class ExploitationForm(Labelled):
    SEXUAL = "sexual", "Sexual exploitation"
    FORCED_LABOUR = "forced_labour", "Forced labour"
    CRIMINAL = "criminal", "Criminal exploitation"
    DOMESTIC_SERVITUDE = "domestic_servitude", "Domestic servitude"
    CUCKOOING = "cuckooing", "Cuckooing"
    COUNTY_LINES = "county_lines", "County lines"
    OTHER = "other", "Other"


class FlagStatus(Labelled):
    OPEN = "open", "Open"
    UNDER_ASSESSMENT = "under_assessment", "Under assessment"
    ACTIONED = "actioned", "Actioned"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (FlagStatus.OPEN.value, FlagStatus.UNDER_ASSESSMENT.value)


class GradeScheme(Labelled):
    G3X5X2 = "3x5x2", "3x5x2 (College of Policing)"
    G5X5X5 = "5x5x5", "5x5x5 (older records)"


SOURCE_GRADES = {
    "3x5x2": {"A": "Reliable", "B": "Untested", "C": "Not reliable"},
    "5x5x5": {
        "A": "Always reliable",
        "B": "Mostly reliable",
        "C": "Sometimes reliable",
        "D": "Unreliable",
        "E": "Untested source",
    },
}
INTELLIGENCE_GRADES = {
    "3x5x2": {
        "1": "Known directly to the source",
        "2": "Known indirectly but corroborated",
        "3": "Known indirectly",
        "4": "Not known",
        "5": "Suspected to be false",
    },
    "5x5x5": {
        "1": "Known to be true without reservation",
        "2": "Known personally to the source but not to the officer",
        "3": "Not personally known to the source but corroborated",
        "4": "Cannot be judged",
        "5": "Suspected to be false",
    },
}
HANDLING_CODES = {
    "3x5x2": {
        "P": "Lawful sharing permitted",
        "C": "Lawful sharing permitted with conditions",
    },
    "5x5x5": {
        "1": "May be disseminated to other law enforcement and prosecuting agencies",
        "2": "May be disseminated to UK non-prosecuting parties",
        "3": "May be disseminated to non-UK law enforcement agencies",
        "4": "Only within the originating agency",
        "5": "No further dissemination: refer to the originator (with conditions)",
    },
}
# The handling codes whose conditions restrict who may see the content.
CONDITIONAL_CODES = {"3x5x2": frozenset({"C"}), "5x5x5": frozenset({"4", "5"})}
