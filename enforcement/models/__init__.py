"""All models, imported here so the metadata is complete for Alembic and the tests."""

from enforcement.models.audit import AuditEvent
from enforcement.models.base import Base, UTCDateTime
from enforcement.models.inspections import (
    ConditionFinding,
    EvidenceFile,
    Inspection,
    InspectionLanguage,
    InspectionOfficer,
    PremisesCompliance,
)
from enforcement.models.licences import Licence, LicenceCondition
from enforcement.models.people import (
    Organisation,
    SignInAttempt,
    User,
    UserRole,
    UserSession,
    UserWard,
)
from enforcement.models.places import Language, Premises, PremisesLanguage, Ward
from enforcement.models.reminders import Reminder

__all__ = [
    "AuditEvent",
    "Base",
    "ConditionFinding",
    "EvidenceFile",
    "Inspection",
    "InspectionLanguage",
    "InspectionOfficer",
    "Language",
    "Licence",
    "LicenceCondition",
    "Organisation",
    "Premises",
    "PremisesCompliance",
    "PremisesLanguage",
    "Reminder",
    "SignInAttempt",
    "UTCDateTime",
    "User",
    "UserRole",
    "UserSession",
    "UserWard",
    "Ward",
]
