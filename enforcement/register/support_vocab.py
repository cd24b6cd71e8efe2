"""Kinds of service in the support directory (docs/support-directory.md)."""

from __future__ import annotations

from enforcement.vocab import Labelled


class ServiceKind(Labelled):
    NATIONAL_HELPLINE = "national_helpline", "National helpline"
    VICTIM_CARE = "victim_care", "Victim care contract (support in the NRM)"
    CHARITY = "charity", "Charity"
    SAFEGUARDING = "safeguarding", "Council safeguarding line"
    OTHER = "other", "Other service"
