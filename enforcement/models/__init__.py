"""All models, imported here so the metadata is complete for Alembic and the tests."""

from enforcement.models.audit import AuditEvent
from enforcement.models.base import Base, UTCDateTime
from enforcement.models.cases import CaseDeadline, CaseEvent, EnforcementCase
from enforcement.models.data_share import DataShare, PartnerSubmission, PartnerSubmissionRow
from enforcement.models.flags import (
    IntelFlag,
    IntelFlagExploitation,
    IntelFlagLink,
    IntelFlagOrganisation,
    IntelFlagRole,
)
from enforcement.models.imports import ImportRun
from enforcement.models.inspections import (
    ConditionFinding,
    EvidenceFile,
    Inspection,
    InspectionLanguage,
    InspectionOfficer,
    PremisesCompliance,
)
from enforcement.models.licences import Licence, LicenceCondition
from enforcement.models.mail import OutboxMail, ReminderEscalation, ReminderSend, SchedulerLease
from enforcement.models.people import (
    Organisation,
    RecoveryCode,
    SecondFactor,
    SignInAttempt,
    User,
    UserRole,
    UserSession,
    UserWard,
)
from enforcement.models.places import Language, Premises, PremisesLanguage, Ward
from enforcement.models.referrals import (
    Referral,
    ReferralBreach,
    ReferralEvidence,
    ReferralHistory,
    ReferralRepresentation,
    ReferralSupportService,
)
from enforcement.models.reminders import Reminder
from enforcement.models.welfare import (
    MoontwistTraining,
    WelfareReferralCount,
    WelfareVisit,
    WelfareVisitGuidance,
    WelfareVisitIndicator,
    WelfareVisitLanguage,
    WelfareVisitOfficer,
)

__all__ = [
    "AuditEvent",
    "Base",
    "CaseDeadline",
    "CaseEvent",
    "ConditionFinding",
    "DataShare",
    "EnforcementCase",
    "EvidenceFile",
    "ImportRun",
    "Inspection",
    "InspectionLanguage",
    "InspectionOfficer",
    "IntelFlag",
    "IntelFlagExploitation",
    "IntelFlagLink",
    "IntelFlagOrganisation",
    "IntelFlagRole",
    "Language",
    "Licence",
    "LicenceCondition",
    "MoontwistTraining",
    "Organisation",
    "OutboxMail",
    "PartnerSubmission",
    "PartnerSubmissionRow",
    "Premises",
    "PremisesCompliance",
    "PremisesLanguage",
    "RecoveryCode",
    "Referral",
    "ReferralBreach",
    "ReferralEvidence",
    "ReferralHistory",
    "ReferralRepresentation",
    "ReferralSupportService",
    "Reminder",
    "ReminderEscalation",
    "ReminderSend",
    "SchedulerLease",
    "SecondFactor",
    "SignInAttempt",
    "UTCDateTime",
    "User",
    "UserRole",
    "UserSession",
    "UserWard",
    "Ward",
    "WelfareReferralCount",
    "WelfareVisit",
    "WelfareVisitGuidance",
    "WelfareVisitIndicator",
    "WelfareVisitLanguage",
    "WelfareVisitOfficer",
]
