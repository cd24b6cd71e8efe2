"""The need-to-know policy for restricted records: who sees content, who sees only existence.

`enforcement.access` says what a role may *do*; this module says how much of a restricted
record a person may *see*: its content, only that it exists (and when), or nothing at all.
Every list, page, export and timeline of a restricted record asks here, in one of two ways:

- `visibility(actor, record)` for a record already in hand;
- `visible_clause(actor, record_type, at_least)` for a query, so that rows the actor may not
  see are never read (`visible_visits_clause` and `scoped_visits` for welfare visits).

Each restricted record type registers a `RecordPolicy`: a table of grants (role, level, scope)
and where the record keeps its ward. A type whose rule needs more than roles and wards (an
intelligence flag's handling conditions, say) adds a `narrow` pair that can lower a level.
Seeing content is audited by the caller through `record_view`, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, not_, or_, select, true
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from enforcement import audit
from enforcement.access import Actor, Permission, can
from enforcement.errors import Forbidden, NotFound
from enforcement.models.audit import AuditEvent
from enforcement.models.flags import IntelFlag, IntelFlagOrganisation, IntelFlagRole
from enforcement.models.welfare import WelfareVisit
from enforcement.numbers import record_id
from enforcement.vocab import Labelled, Role


class Visibility(IntEnum):
    """How much of a record someone may see; each level includes the ones below it."""

    NONE = 0
    EXISTENCE = 1  # that it exists, and its date: never what it says
    CONTENT = 2


class Scope(Labelled):
    EVERYWHERE = "everywhere"
    COVERED_WARDS = "covered_wards"  # only records in a ward the person covers


@dataclass(frozen=True)
class Grant:
    role: Role
    level: Visibility
    scope: Scope = Scope.EVERYWHERE


@dataclass(frozen=True)
class Narrowing:
    """A further rule that can only lower a level: in Python for one record, in SQL for a query.

    `check(actor, record)` returns the most the actor may see of that record; `clause(actor)`
    selects the rows where that most is at least CONTENT.
    """

    check: Callable[[Actor, Any], Visibility]
    clause: Callable[[Actor], ColumnElement[bool]]


@dataclass(frozen=True)
class RecordPolicy:
    record_type: str  # also the audit entity type
    model: type[Any]
    grants: tuple[Grant, ...]
    view_action: str
    ward_attribute: str = "ward_code"
    released_attribute: str | None = None
    narrowing: Narrowing | None = None
    # Whoever submitted a record sees its content (a partner sees what they sent), but never
    # beyond a narrowing: an author the narrowing leaves out keeps only its existence.
    author_attribute: str | None = None

    def ward_of(self, record: Any) -> str | None:
        value = getattr(record, self.ward_attribute)
        return None if value is None else str(value)

    def ward_column(self) -> Any:
        return getattr(self.model, self.ward_attribute)

    def is_author(self, actor: Actor, record: Any) -> bool:
        return (
            self.author_attribute is not None
            and actor.user_id is not None
            and getattr(record, self.author_attribute) == actor.user_id
        )


_POLICIES: dict[str, RecordPolicy] = {}
_BY_MODEL: dict[type[Any], RecordPolicy] = {}


def register(policy: RecordPolicy) -> RecordPolicy:
    """Add a restricted record type to the policy (once per type)."""
    if policy.record_type in _POLICIES:
        raise ValueError(f"{policy.record_type} already has a policy")
    _POLICIES[policy.record_type] = policy
    _BY_MODEL[policy.model] = policy
    return policy


def policy_for(record_or_type: Any) -> RecordPolicy:
    """Return the policy of a record, a model class or a record type name."""
    if isinstance(record_or_type, str):
        return _POLICIES[record_or_type]
    model = record_or_type if isinstance(record_or_type, type) else type(record_or_type)
    for cls in model.__mro__:
        if cls in _BY_MODEL:
            return _BY_MODEL[cls]
    raise KeyError(f"{model.__name__} has no access policy")


def registered_types() -> list[str]:
    """Return the names of every restricted record type, sorted."""
    return sorted(_POLICIES)


def level_for(actor: Actor, policy: RecordPolicy, ward_code: str | None) -> Visibility:
    """Return the most the grants allow the actor to see of a record in the given ward."""
    if actor.is_system:
        return Visibility.CONTENT
    best = Visibility.NONE
    for grant in policy.grants:
        if grant.role.value not in actor.roles:
            continue
        if grant.scope is Scope.COVERED_WARDS and (
            ward_code is None or ward_code not in actor.ward_codes
        ):
            continue
        best = max(best, grant.level)
    return best


def visibility(actor: Actor, record: Any) -> Visibility:
    """Say how much of a restricted record the actor may see."""
    policy = policy_for(record)
    level = level_for(actor, policy, policy.ward_of(record))
    if policy.narrowing is not None and level > Visibility.NONE and not actor.is_system:
        level = min(level, policy.narrowing.check(actor, record))
    if policy.is_author(actor, record):
        own = Visibility.CONTENT
        if policy.narrowing is not None and not actor.is_system:
            own = max(Visibility.EXISTENCE, policy.narrowing.check(actor, record))
        level = max(level, own)
    return level


def most_visible(actor: Actor, record_type: str) -> Visibility:
    """Return the most the actor could see of any record of a type (for menus and lists)."""
    policy = policy_for(record_type)
    if actor.is_system:
        return Visibility.CONTENT
    return max(
        (g.level for g in policy.grants if g.role.value in actor.roles), default=Visibility.NONE
    )


def visible_clause(
    actor: Actor, record_type: str, at_least: Visibility = Visibility.CONTENT
) -> ColumnElement[bool]:
    """Return a WHERE clause selecting the records of a type the actor may see at a level."""
    policy = policy_for(record_type)
    if actor.is_system:
        return true()
    if at_least is Visibility.NONE:
        return true()
    clauses: list[ColumnElement[bool]] = []
    everywhere = False
    for grant in policy.grants:
        if grant.role.value not in actor.roles or grant.level < at_least:
            continue
        if grant.scope is Scope.EVERYWHERE:
            everywhere = True
        elif actor.ward_codes:
            clauses.append(policy.ward_column().in_(sorted(actor.ward_codes)))
    own = _authored_clause(actor, policy)
    if own is not None and policy.narrowing is not None and at_least is Visibility.CONTENT:
        own = own & policy.narrowing.clause(actor)
    if everywhere:
        granted: ColumnElement[bool] = true()
    elif clauses:
        granted = or_(*clauses)
    else:
        return false() if own is None else own
    if policy.narrowing is not None and at_least is Visibility.CONTENT:
        granted = granted & policy.narrowing.clause(actor)
    return granted if own is None else or_(granted, own)


def _authored_clause(actor: Actor, policy: RecordPolicy) -> ColumnElement[bool] | None:
    if policy.author_attribute is None or actor.user_id is None:
        return None
    column: ColumnElement[bool] = getattr(policy.model, policy.author_attribute) == actor.user_id
    return column


def require_visibility(actor: Actor, record: Any, at_least: Visibility) -> Visibility:
    """Return the actor's level, or refuse: NotFound if they may not know the record exists."""
    level = visibility(actor, record)
    if level is Visibility.NONE:
        raise NotFound("There is no such record.")
    if level < at_least:
        raise Forbidden("You do not have access to what this record says.")
    return level


def released_clause(record_type: str) -> ColumnElement[bool]:
    """Select the records a supervisor has released for use as evidence (docs/welfare.md)."""
    policy = policy_for(record_type)
    if policy.released_attribute is None:
        return false()
    column: ColumnElement[bool] = getattr(policy.model, policy.released_attribute).is_(True)
    return column


def may_use_as_evidence(record: Any) -> bool:
    """Say whether a record may go into a committee paper or an enforcement case."""
    policy = policy_for(record)
    return policy.released_attribute is not None and bool(
        getattr(record, policy.released_attribute)
    )


def record_view(
    session: Session,
    actor: Actor,
    now: datetime,
    record: Any,
    *,
    summary: str,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Audit that the actor saw a record's content (the summary must not repeat the content)."""
    policy = policy_for(record)
    return audit.record(
        session,
        actor,
        now,
        action=policy.view_action,
        entity_type=policy.record_type,
        entity_id=record.id,
        summary=summary,
        after=extra,
    )


# --- Welfare visits (docs/welfare.md: welfare is not enforcement) ----------------------------

WELFARE_VISIT = register(
    RecordPolicy(
        record_type="welfare_visit",
        model=WelfareVisit,
        grants=(
            Grant(Role.WARD_OFFICER, Visibility.CONTENT, Scope.COVERED_WARDS),
            # Outside the wards they cover, a ward officer learns only that a visit happened.
            Grant(Role.WARD_OFFICER, Visibility.EXISTENCE),
            Grant(Role.SUPERVISOR, Visibility.CONTENT),
            Grant(Role.INTEL_ANALYST, Visibility.CONTENT),
            Grant(Role.LICENSING_OFFICER, Visibility.EXISTENCE),
            Grant(Role.COMMITTEE_CLERK, Visibility.EXISTENCE),
            # Partners and administrators: no grant, so nothing.
        ),
        view_action="welfare_visit.view",
        released_attribute="released",
    )
)


def visible_visits_clause(
    actor: Actor, at_least: Visibility = Visibility.CONTENT
) -> ColumnElement[bool]:
    """Return the WHERE clause of the welfare visits the actor may see at a level."""
    return visible_clause(actor, WELFARE_VISIT.record_type, at_least)


def scoped_visits(actor: Actor, at_least: Visibility = Visibility.CONTENT) -> Select[Any]:
    """Return a select of the welfare visits the actor may see at a level."""
    return select(WelfareVisit).where(visible_visits_clause(actor, at_least))


# --- Intelligence flags (docs/intelligence.md, docs/grading.md) -----------------------------


def _in_flag_audience(actor: Actor, flag: Any) -> Visibility:
    """Handling code C: content only for the organisations and roles its conditions name.

    This holds for the flag's author too (docs/access-and-audit.md, "Who reads a handling
    code C flag"): whoever recorded or submitted a flag reads it only while its conditions
    name them. The conditions are the promise made to the source; an analyst who moves
    team, or a partner whose report the police restrict, keeps only that the flag exists.
    """
    if not flag.conditional:
        return Visibility.CONTENT
    if actor.organisation_id is not None and any(
        r.organisation_id == actor.organisation_id for r in flag.audience_org_rows
    ):
        return Visibility.CONTENT
    if any(r.role in actor.roles for r in flag.audience_role_rows):
        return Visibility.CONTENT
    return Visibility.EXISTENCE


def _flag_audience_clause(actor: Actor) -> ColumnElement[bool]:
    named: list[ColumnElement[bool]] = [not_(IntelFlag.conditional)]
    if actor.organisation_id is not None:
        named.append(
            exists().where(
                IntelFlagOrganisation.flag_id == IntelFlag.id,
                IntelFlagOrganisation.organisation_id == actor.organisation_id,
            )
        )
    if actor.roles:
        named.append(
            exists().where(
                IntelFlagRole.flag_id == IntelFlag.id, IntelFlagRole.role.in_(sorted(actor.roles))
            )
        )
    return or_(*named)


INTEL_FLAG = register(
    RecordPolicy(
        record_type="intel_flag",
        model=IntelFlag,
        grants=(
            Grant(Role.INTEL_ANALYST, Visibility.CONTENT),
            Grant(Role.SUPERVISOR, Visibility.CONTENT),
            Grant(Role.LICENSING_OFFICER, Visibility.CONTENT),
            Grant(Role.WARD_OFFICER, Visibility.CONTENT, Scope.COVERED_WARDS),
            # Outside the wards they cover, a ward officer learns only that a flag exists.
            Grant(Role.WARD_OFFICER, Visibility.EXISTENCE),
            Grant(Role.COMMITTEE_CLERK, Visibility.EXISTENCE),
            # Partners: only what they submitted (the author rule). Administrators: nothing.
        ),
        view_action="intel_flag.view",
        narrowing=Narrowing(check=_in_flag_audience, clause=_flag_audience_clause),
        author_attribute="submitted_by_id",
    )
)


def visible_flags_clause(
    actor: Actor, at_least: Visibility = Visibility.CONTENT
) -> ColumnElement[bool]:
    """Return the WHERE clause of the intelligence flags the actor may see at a level."""
    return visible_clause(actor, INTEL_FLAG.record_type, at_least)


def disclosable_in_public_paper(flag: Any) -> bool:
    """Say whether a flag may be disclosed in a public committee paper.

    Only a flag graded 3x5x2 with handling code P (lawful sharing permitted) may be: a
    handling code C flag never is, nor an ungraded one, nor one with an older 5x5x5 grade
    until it is regraded (an exempt paper is the referrals work's to decide).
    """
    return flag.grade_scheme == "3x5x2" and flag.handling_code == "P" and not flag.conditional


# --- Reading the audit trail ------------------------------------------------------------------
# An audit event's before and after data are the record's content: they pass the same policy
# as the record (enforcement.audit withholds them, and the summary, where a rule says no).

#: Record types whose events hold nothing need-to-know: anyone who may read the trail sees them.
OPEN_AUDIT_TYPES = (
    "audit_event",
    "data_share",
    "language",
    "organisation",
    "partner_submission",
    "premises",
    "reminder",
    "report",
    "system",
    "user",
    "ward",
)
_CHUNK = 500


def _open_rule(_session: Session, _actor: Actor, ids: Sequence[str]) -> frozenset[str]:
    return frozenset(ids)


def _permission_rule(permission: Permission) -> audit.ContentRule:
    """Content readable by whoever holds the permission that opens the record's own page."""

    def rule(_session: Session, actor: Actor, ids: Sequence[str]) -> frozenset[str]:
        return frozenset(ids) if can(actor, permission) else frozenset()

    return rule


def _record_rule(record_policy: RecordPolicy, *options: LoaderOption) -> audit.ContentRule:
    """Content readable where `visibility` says CONTENT for that very record (wards, conditions).

    An event about no single record (a list: only ids) is readable by whoever could read
    some record of the type; a record since deleted stays withheld.
    """

    def rule(session: Session, actor: Actor, ids: Sequence[str]) -> frozenset[str]:
        out: set[str] = set()
        if "" in ids and most_visible(actor, record_policy.record_type) >= Visibility.CONTENT:
            out.add("")
        numbers = sorted({n for i in ids if (n := record_id(i)) is not None})
        model = record_policy.model
        for start in range(0, len(numbers), _CHUNK):
            chunk = numbers[start : start + _CHUNK]
            for found in session.scalars(
                select(model).where(model.id.in_(chunk)).options(*options)
            ):
                if visibility(actor, found) is Visibility.CONTENT:
                    out.add(str(found.id))
        return frozenset(out)

    return rule


for _type in OPEN_AUDIT_TYPES:
    audit.register_content_rule(_type, _open_rule)
# Summaries name the record and what was done, never what it says (flags.py, visits.py and
# the referral workflows keep to that); case and inspection summaries quote notes and findings.
audit.register_content_rule(
    "committee_referral", _permission_rule(Permission.REFERRAL_VIEW), plain_summaries=True
)
audit.register_content_rule("enforcement_case", _permission_rule(Permission.CASE_VIEW))
# A licence's before and after hold the home addresses of its holder and designated premises
# supervisor: read by those who may read them on its page (its summaries never quote them).
audit.register_content_rule(
    "licence", _permission_rule(Permission.LICENCE_ADDRESSES), plain_summaries=True
)
audit.register_content_rule("inspection", _permission_rule(Permission.INSPECTION_VIEW))
audit.register_content_rule(
    "evidence_file", _permission_rule(Permission.EVIDENCE_VIEW), plain_summaries=True
)
audit.register_content_rule(
    WELFARE_VISIT.record_type, _record_rule(WELFARE_VISIT), plain_summaries=True
)
audit.register_content_rule(
    INTEL_FLAG.record_type,
    _record_rule(
        INTEL_FLAG,
        selectinload(IntelFlag.audience_org_rows),
        selectinload(IntelFlag.audience_role_rows),
    ),
    plain_summaries=True,
)
