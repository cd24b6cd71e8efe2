"""The access policy: who may do what. Every view and every domain function asks here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from enforcement.errors import Forbidden
from enforcement.vocab import Role


class Permission(StrEnum):
    PREMISES_VIEW = "premises.view"
    PREMISES_EDIT = "premises.edit"
    LICENCE_EDIT = "licence.edit"
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    REFERENCE_MANAGE = "reference.manage"
    INSPECTION_RECORD = "inspection.record"
    INSPECTION_CORRECT_ANY = "inspection.correct_any"
    COMPLIANCE_VIEW = "compliance.view"
    EVIDENCE_VIEW = "evidence.view"


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
    Permission.USERS_MANAGE: frozenset({Role.ADMIN}),
    Permission.AUDIT_READ: frozenset({Role.ADMIN}),
    Permission.REFERENCE_MANAGE: frozenset({Role.ADMIN}),
    Permission.INSPECTION_RECORD: frozenset({Role.LICENSING_OFFICER, Role.SUPERVISOR}),
    # Authors may correct their own inspection for a day; after that only a supervisor may.
    Permission.INSPECTION_CORRECT_ANY: frozenset({Role.SUPERVISOR}),
    Permission.COMPLIANCE_VIEW: frozenset({Role.SUPERVISOR, Role.LICENSING_OFFICER}),
    Permission.EVIDENCE_VIEW: frozenset(
        {Role.LICENSING_OFFICER, Role.SUPERVISOR, Role.COMMITTEE_CLERK}
    ),
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
