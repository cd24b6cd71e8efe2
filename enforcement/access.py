"""The access policy: who may do what. Every view and every domain function asks here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from enforcement.errors import Forbidden
from enforcement.vocab import Labelled, Role


class Permission(Labelled):
    PREMISES_VIEW = "premises.view"
    PREMISES_EDIT = "premises.edit"
    LICENCE_EDIT = "licence.edit"
    # The home addresses of licence holders and designated premises supervisors: on the
    # premises page, in the register's exports and in an import's preview alike.
    LICENCE_ADDRESSES = "licence.addresses"
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    REFERENCE_MANAGE = "reference.manage"
    INSPECTION_RECORD = "inspection.record"
    INSPECTION_CORRECT_ANY = "inspection.correct_any"
    INSPECTION_VIEW = "inspection.view"
    COMPLIANCE_VIEW = "compliance.view"
    EVIDENCE_VIEW = "evidence.view"
    # Operation Moontwist: who may read which visit is enforcement.policy's to say.
    WELFARE_VISIT_LOG = "welfare_visit.log"
    WELFARE_VISIT_LIST = "welfare_visit.list"
    WELFARE_VISIT_RELEASE = "welfare_visit.release"
    # An immigration referral from a welfare visit needs a supervisor's approval (docs/welfare.md).
    WELFARE_IMMIGRATION_DECIDE = "welfare_visit.immigration_decide"
    TRAINING_RECORD = "training.record"
    TRAINING_VIEW = "training.view"
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"
    # Intelligence flags: who may read which flag is enforcement.policy's to say.
    FLAG_RAISE = "flag.raise"
    FLAG_LIST = "flag.list"
    FLAG_GRADE = "flag.grade"
    FLAG_MANAGE = "flag.manage"
    FLAG_EXPORT = "flag.export"
    # Licensing Committee referrals (enforcement.referrals.drafting).
    REFERRAL_VIEW = "referral.view"
    REFERRAL_DRAFT = "referral.draft"
    REFERRAL_SIGN_OFF = "referral.sign_off"
    REFERRAL_CLERK = "referral.clerk"
    REFERRAL_PAPERS = "referral.papers"
    # The action plan dashboard and the quarterly data share (enforcement.measures,
    # enforcement.measures.data_share): live figures; the signed-off anonymised figures; producing,
    # signing off, and importing partners' submissions.
    DASHBOARD_VIEW = "dashboard.view"
    DASHBOARD_SHARED = "dashboard.shared"
    DATA_SHARE_PRODUCE = "data_share.produce"
    DATA_SHARE_SIGN_OFF = "data_share.sign_off"
    PARTNER_SUBMISSION_IMPORT = "partner_submission.import"
    # The register in and out (enforcement.registerio): importing files, exporting the register.
    REGISTER_IMPORT = "register.import"
    REGISTER_EXPORT = "register.export"


_CASEWORK_READERS = {
    Role.LICENSING_OFFICER,
    Role.WARD_OFFICER,
    Role.INTEL_ANALYST,
    Role.COMMITTEE_CLERK,
    Role.SUPERVISOR,
    Role.ADMIN,
}

# Partners see anonymised figures only, so they are absent from the register.
_GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.PREMISES_VIEW: frozenset(_CASEWORK_READERS),
    Permission.PREMISES_EDIT: frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR}),
    Permission.LICENCE_EDIT: frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR}),
    # Those who keep the licences read their holders' and supervisors' addresses; exporting or
    # importing the register (an administrator) does not need them.
    Permission.LICENCE_ADDRESSES: frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR}),
    Permission.USERS_MANAGE: frozenset({Role.ADMIN}),
    # Supervisors are the auditors: they search and export the trail beside administrators.
    Permission.AUDIT_READ: frozenset({Role.ADMIN, Role.SUPERVISOR}),
    Permission.REFERENCE_MANAGE: frozenset({Role.ADMIN}),
    Permission.INSPECTION_RECORD: frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR}),
    # An inspection's observations and findings are casework: administrators get nothing
    # automatic (they see in the register that an inspection happened, not what it found).
    Permission.INSPECTION_VIEW: frozenset(_CASEWORK_READERS - {Role.ADMIN}),
    # Authors may correct their own inspection for a day; after that only a supervisor may.
    Permission.INSPECTION_CORRECT_ANY: frozenset({Role.SUPERVISOR}),
    Permission.COMPLIANCE_VIEW: frozenset({Role.SUPERVISOR, Role.LICENSING_OFFICER}),
    Permission.EVIDENCE_VIEW: frozenset(
        {Role.LICENSING_OFFICER, Role.SUPERVISOR, Role.COMMITTEE_CLERK}
    ),
    # Only Moontwist-trained ward officers log visits: the training is checked by the domain.
    Permission.WELFARE_VISIT_LOG: frozenset({Role.WARD_OFFICER}),
    # Lists show visits' content, so only roles that may read some content have them.
    Permission.WELFARE_VISIT_LIST: frozenset(
        {Role.WARD_OFFICER, Role.SUPERVISOR, Role.INTEL_ANALYST}
    ),
    Permission.WELFARE_VISIT_RELEASE: frozenset({Role.SUPERVISOR}),
    Permission.WELFARE_IMMIGRATION_DECIDE: frozenset({Role.SUPERVISOR}),
    Permission.TRAINING_RECORD: frozenset({Role.SUPERVISOR}),
    Permission.TRAINING_VIEW: frozenset({Role.SUPERVISOR}),
    # Enforcement cases: read by casework roles; administrators get nothing automatic.
    Permission.CASE_VIEW: frozenset(
        {
            Role.LICENSING_OFFICER,
            Role.WARD_OFFICER,
            Role.INTEL_ANALYST,
            Role.COMMITTEE_CLERK,
            Role.SUPERVISOR,
        }
    ),
    Permission.CASE_EDIT: frozenset({Role.LICENSING_OFFICER, Role.WARD_OFFICER, Role.SUPERVISOR}),
    # Intelligence flags (docs/intelligence.md): administrators get nothing automatic.
    Permission.FLAG_RAISE: frozenset(
        {Role.WARD_OFFICER, Role.LICENSING_OFFICER, Role.INTEL_ANALYST, Role.PARTNER}
    ),
    # Partners list only what they submitted (enforcement.policy's author rule).
    Permission.FLAG_LIST: frozenset(
        {
            Role.WARD_OFFICER,
            Role.LICENSING_OFFICER,
            Role.INTEL_ANALYST,
            Role.SUPERVISOR,
            Role.PARTNER,
        }
    ),
    Permission.FLAG_GRADE: frozenset({Role.INTEL_ANALYST}),
    Permission.FLAG_MANAGE: frozenset({Role.INTEL_ANALYST, Role.SUPERVISOR}),
    Permission.FLAG_EXPORT: frozenset({Role.INTEL_ANALYST, Role.SUPERVISOR}),
    # Licensing Committee referrals: officers draft, supervisors sign off, clerks run the
    # process and produce the papers (supervisors may read them too).
    Permission.REFERRAL_VIEW: frozenset(
        {Role.LICENSING_OFFICER, Role.SUPERVISOR, Role.COMMITTEE_CLERK}
    ),
    Permission.REFERRAL_DRAFT: frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR}),
    Permission.REFERRAL_SIGN_OFF: frozenset({Role.SUPERVISOR}),
    Permission.REFERRAL_CLERK: frozenset({Role.COMMITTEE_CLERK}),
    Permission.REFERRAL_PAPERS: frozenset({Role.COMMITTEE_CLERK, Role.SUPERVISOR}),
    # The dashboard's live figures are counts, never records: supervisors, and the analysts
    # who produce the data share. Partners see only the anonymised figures a supervisor
    # signed off (docs/data-share.md), and may import their own organisation's figures.
    Permission.DASHBOARD_VIEW: frozenset({Role.SUPERVISOR, Role.INTEL_ANALYST}),
    Permission.DASHBOARD_SHARED: frozenset({Role.SUPERVISOR, Role.INTEL_ANALYST, Role.PARTNER}),
    Permission.DATA_SHARE_PRODUCE: frozenset({Role.INTEL_ANALYST}),
    Permission.DATA_SHARE_SIGN_OFF: frozenset({Role.SUPERVISOR}),
    Permission.PARTNER_SUBMISSION_IMPORT: frozenset({Role.INTEL_ANALYST, Role.PARTNER}),
    Permission.REGISTER_IMPORT: frozenset({Role.LICENSING_OFFICER, Role.ADMIN}),
    Permission.REGISTER_EXPORT: frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR, Role.ADMIN}),
}


@dataclass(frozen=True)
class Actor:
    """Whoever is acting: a signed-in user, or a named system process (CLI, scheduler, demo)."""

    user_id: int | None
    label: str
    roles: frozenset[str] = field(default_factory=frozenset)
    organisation_id: int | None = None
    ward_codes: frozenset[str] = field(default_factory=frozenset)
    ip_address: str | None = None
    is_system: bool = False

    @classmethod
    def system(cls, label: str) -> Actor:
        """Return an actor for work done by the system itself, allowed everything it is asked."""
        return cls(user_id=None, label=label, is_system=True)

    def has_role(self, *roles: Role) -> bool:
        return any(r.value in self.roles for r in roles)


def roles_granted(permission: Permission) -> frozenset[Role]:
    """Return the roles that hold a permission (for help text and tests)."""
    return _GRANTS[permission]


def can(actor: Actor, permission: Permission) -> bool:
    """Say whether the actor holds the permission."""
    if actor.is_system:
        return True
    return any(role.value in actor.roles for role in _GRANTS[permission])


def require(actor: Actor, permission: Permission) -> None:
    """Raise Forbidden unless the actor holds the permission."""
    if not can(actor, permission):
        raise Forbidden("You do not have permission to do that.")


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    """Return every permission the given roles hold together."""
    held = set(roles)
    return frozenset(p for p, granted in _GRANTS.items() if any(r.value in held for r in granted))


def can_for_organisation(actor: Actor, permission: Permission, organisation_id: int | None) -> bool:
    """Say whether the actor holds the permission and belongs to the organisation that owns a record.

    Records held by one organisation (a police closure notice, a council review) are changed
    only by that organisation's people, its supervisors included.
    """
    if actor.is_system:
        return True
    return (
        can(actor, permission)
        and organisation_id is not None
        and actor.organisation_id == organisation_id
    )
