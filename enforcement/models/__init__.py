"""All models, imported here so the metadata is complete for Alembic and the tests."""

from enforcement.models.audit import AuditEvent
from enforcement.models.base import Base, UTCDateTime
from enforcement.models.cases import CaseDeadline, CaseEvent, EnforcementCase, RuleOverride
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
    EvidenceBlob,
    EvidenceFile,
    Inspection,
    InspectionIndicator,
    InspectionLanguage,
    InspectionOfficer,
    InspectionService,
    PremisesCompliance,
)
from enforcement.models.licences import Licence, LicenceCondition
from enforcement.models.mail import OutboxMail, ReminderEscalation, ReminderSend, SchedulerLease
from enforcement.models.offline import OfflineGrant
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
from enforcement.models.places import Language, Premises, PremisesLanguage, PremisesWard, Ward
from enforcement.models.public import PublicRegisterHit
from enforcement.models.referrals import (
    Referral,
    ReferralBreach,
    ReferralEvidence,
    ReferralHistory,
    ReferralRepresentation,
    ReferralSupportProvider,
    ReferralSupportService,
)
from enforcement.models.reminders import Reminder
from enforcement.models.safeguarding import ReferralRecord, ReferralRecordType
from enforcement.models.summaries import MeasureSummary
from enforcement.models.summaries import install as _install_summary_rules
from enforcement.models.support import SupportService, SupportServiceLanguage
from enforcement.models.welfare import (
    MoontwistTraining,
    WelfareVisit,
    WelfareVisitGuidance,
    WelfareVisitIndicator,
    WelfareVisitLanguage,
    WelfareVisitOfficer,
    WelfareVisitOutcome,
    WelfareVisitService,
)

__all__ = [
    "AuditEvent",
    "Base",
    "CaseDeadline",
    "CaseEvent",
    "ConditionFinding",
    "DataShare",
    "EnforcementCase",
    "EvidenceBlob",
    "EvidenceFile",
    "ImportRun",
    "Inspection",
    "InspectionIndicator",
    "InspectionLanguage",
    "InspectionOfficer",
    "InspectionService",
    "IntelFlag",
    "IntelFlagExploitation",
    "IntelFlagLink",
    "IntelFlagOrganisation",
    "IntelFlagRole",
    "Language",
    "Licence",
    "LicenceCondition",
    "MeasureSummary",
    "MoontwistTraining",
    "OfflineGrant",
    "Organisation",
    "OutboxMail",
    "PartnerSubmission",
    "PartnerSubmissionRow",
    "Premises",
    "PremisesCompliance",
    "PremisesLanguage",
    "PremisesWard",
    "PublicRegisterHit",
    "RecoveryCode",
    "Referral",
    "ReferralBreach",
    "ReferralEvidence",
    "ReferralHistory",
    "ReferralRecord",
    "ReferralRecordType",
    "ReferralRepresentation",
    "ReferralSupportProvider",
    "ReferralSupportService",
    "Reminder",
    "ReminderEscalation",
    "ReminderSend",
    "RuleOverride",
    "SchedulerLease",
    "SecondFactor",
    "SignInAttempt",
    "SupportService",
    "SupportServiceLanguage",
    "UTCDateTime",
    "User",
    "UserRole",
    "UserSession",
    "UserWard",
    "Ward",
    "WelfareVisit",
    "WelfareVisitGuidance",
    "WelfareVisitIndicator",
    "WelfareVisitLanguage",
    "WelfareVisitOfficer",
    "WelfareVisitOutcome",
    "WelfareVisitService",
]

# Every session discards the measure summaries its writes could change (models/summaries.py).
_install_summary_rules()
