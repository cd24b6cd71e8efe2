"""The task list: what people owe, what they do with a reminder, and supervisors' team view.

Acknowledging, marking done and snoozing are audited workflows; a statutory deadline cannot be
snoozed. Who may see a reminder: its owner, its team, the owner's supervisor, and the
supervisor it was escalated to. Who may act on it (acknowledge, snooze, mark done): only those
of them who hold the control that completes it (`routing.completion_refusal`). A team's task is
one task: snoozed by one member, it is snoozed for the team, and each sees who snoozed it. The
notification state they touch (``next_send_at``, ``escalate_at``) is the scheduler's
(enforcement.reminders.notify).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from enforcement import audit, identifiers
from enforcement.access import Actor, Permission, require
from enforcement.clock import london_today, when_text
from enforcement.db import read_columns
from enforcement.errors import Forbidden, NotFound, ValidationFailed
from enforcement.models import AuditEvent, EnforcementCase, Organisation, User
from enforcement.models.mail import ReminderEscalation, ReminderSend
from enforcement.models.reminders import Reminder
from enforcement.reminders.notify import (
    DIGEST_PREFERENCES,
    Lead,
    LeadError,
    TeamNoun,
    not_acted,
    parse_leads,
    team_label,
    team_members,
    team_noun,
    ward_names_of,
)
from enforcement.reminders.reminders import DONE, MARKED_DONE, OPEN, forget_leads, new_recipients
from enforcement.reminders.routing import (
    CASE_SUBJECT,
    case_recipients,
    completion_refusal,
    member_teams,
    needs_training,
    process_of,
    route,
    task_ward,
    teams_for,
    trained_condition,
)
from enforcement.reminders.vocab import ReminderKind, kind_label
from enforcement.vocab import OrganisationKind, Role

MAX_SNOOZE = timedelta(days=30)


def _mine(actor: Actor) -> ColumnElement[bool]:
    """Match the reminders on a person's list: theirs, their teams', escalated to them.

    Written as a union of three index lookups (owner, team, escalation) rather than an OR,
    which both databases answer by reading every open reminder: this runs on every page.
    """
    if actor.user_id is None:
        return false()
    return _mine_clause(actor.user_id, tuple(teams_for(actor.roles, actor.ward_codes)))


def _mine_clause(user: int | BindParameter[int], teams: tuple[str, ...]) -> ColumnElement[bool]:
    """`teams` are those the person's roles and wards may put them in (`routing.teams_for`):
    a ward team's tasks count only if they have the training its control needs too."""
    parts = [
        select(Reminder.id).where(Reminder.owner_user_id == user, Reminder.status == OPEN),
        select(ReminderEscalation.reminder_id).where(ReminderEscalation.supervisor_id == user),
    ]
    plain = [t for t in teams if not needs_training(t)]
    trained = [t for t in teams if needs_training(t)]
    if plain:
        parts.append(select(Reminder.id).where(Reminder.team.in_(plain), Reminder.status == OPEN))
    if trained:
        parts.append(
            select(Reminder.id).where(
                Reminder.team.in_(trained), Reminder.status == OPEN, trained_condition(user)
            )
        )
    return Reminder.id.in_(union(*parts))


def task_count(session: Session, actor: Actor, now: datetime) -> int:
    """Count the open, unsnoozed reminders on a person's task list (one COUNT query)."""
    if actor.user_id is None:
        return 0
    statement = _count_statement(tuple(teams_for(actor.roles, actor.ward_codes)))
    found = read_columns(session, statement, {"user_id": actor.user_id, "now": now}).scalar()
    return int(found or 0)


@functools.lru_cache(maxsize=64)
def _count_statement(teams: tuple[str, ...]) -> Select[int]:
    """The task count for people of the same teams, built once: every page runs it (for the
    navigation's badge), and building it took about as long as running it. The person and the
    time are bound parameters."""
    user = bindparam("user_id", type_=Integer)
    return (
        select(func.count())
        .select_from(Reminder)
        .where(
            Reminder.status == OPEN,
            _mine_clause(user, teams),
            or_(
                Reminder.snoozed_until.is_(None),
                Reminder.snoozed_until <= bindparam("now", type_=Reminder.snoozed_until.type),
            ),
        )
    )


@dataclass(frozen=True)
class TaskItem:
    reminder: Reminder
    overdue: bool
    snoozed: bool
    escalations: tuple[str, ...]  # reasons
    escalated_to_me: bool
    owner_name: str | None
    #: Ward names by code, for a ward team's task (see `notify.ward_names_of`).
    ward_names: Mapping[str, str] = field(default_factory=dict)
    #: Who snoozed it ("you", or their name), while it is snoozed: a team's task is snoozed for
    #: everyone in the team.
    snoozed_by: str | None = None

    @property
    def kind_label(self) -> str:
        return kind_label(self.reminder.kind)

    @property
    def team_label(self) -> str:
        return team_label(self.reminder.team, self.ward_names)

    @property
    def team_noun(self) -> TeamNoun | None:
        return team_noun(self.reminder.team, self.ward_names)

    @property
    def team_phrase(self) -> str:
        """The team in a sentence: 'the committee clerks', 'the Wormholt ward team'."""
        noun = self.team_noun
        return noun.phrase if noun is not None else ""

    @property
    def not_acted(self) -> str:
        """Say who has not acted on an escalated task: 'the committee clerks have not acted on
        it', 'Ann Officer has not acted on it'."""
        return not_acted(self.owner_name, self.team_noun)

    @property
    def state(self) -> str:
        """Where the task stands, in a word or two, for the task list's Status column."""
        if self.snoozed:
            return "Snoozed"
        if self.escalations:
            return "Escalated"
        if self.reminder.acknowledged_at is not None:
            return "Acknowledged"
        return "Not yet acknowledged"


@dataclass(frozen=True)
class TaskList:
    overdue: list[TaskItem]
    upcoming: list[TaskItem]
    snoozed: list[TaskItem]

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.upcoming)


def _escalations_of(session: Session, ids: Sequence[int]) -> dict[int, list[ReminderEscalation]]:
    found: dict[int, list[ReminderEscalation]] = defaultdict(list)
    if ids:
        for esc in session.scalars(
            select(ReminderEscalation)
            .where(ReminderEscalation.reminder_id.in_(ids))
            .order_by(ReminderEscalation.escalated_at, ReminderEscalation.id)
        ):
            found[esc.reminder_id].append(esc)
    return found


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.display_name).where(User.id.in_(wanted))
        )
    }


def _snoozers(session: Session, actor: Actor, ids: Sequence[int]) -> dict[int, str]:
    """Return who last snoozed each of these reminders ("you", or their name), from the audit
    trail, which records every snooze with whoever made it (one query)."""
    if not ids:
        return {}
    found: dict[int, str] = {}
    for entity_id, actor_id, name, label in session.execute(
        select(AuditEvent.entity_id, AuditEvent.actor_id, User.display_name, AuditEvent.actor_label)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.entity_type == "reminder",
            AuditEvent.entity_id.in_([str(i) for i in sorted(set(ids))]),
            AuditEvent.action == "reminder.snooze",
        )
        .order_by(AuditEvent.id)
    ):
        if entity_id is None:  # pragma: no cover - the query asks for ids
            continue
        mine = actor_id is not None and actor_id == actor.user_id
        found[int(entity_id)] = "you" if mine else (name or label)
    return found


def task_list(session: Session, actor: Actor, now: datetime, *, limit: int = 200) -> TaskList:
    """Return what a person owes, their teams owe, or was escalated to them: overdue first."""
    if actor.user_id is None:
        return TaskList([], [], [])
    rows = list(
        session.scalars(
            select(Reminder)
            .where(Reminder.status == OPEN, _mine(actor))
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
    )
    escalations = _escalations_of(session, [r.id for r in rows])
    names = _names(session, (r.owner_user_id for r in rows if r.owner_user_id != actor.user_id))
    wards = ward_names_of(session, (r.team for r in rows))
    snoozers = _snoozers(session, actor, [r.id for r in rows if _is_snoozed(r, now)])
    out = TaskList([], [], [])
    for r in rows:
        escs = escalations.get(r.id, [])
        item = TaskItem(
            reminder=r,
            overdue=r.due_at <= now,
            snoozed=_is_snoozed(r, now),
            escalations=tuple(e.reason for e in escs),
            escalated_to_me=any(e.supervisor_id == actor.user_id for e in escs),
            owner_name=names.get(r.owner_user_id or 0),
            ward_names=wards,
            snoozed_by=snoozers.get(r.id),
        )
        if item.snoozed:
            out.snoozed.append(item)
        elif item.overdue:
            out.overdue.append(item)
        else:
            out.upcoming.append(item)
    return out


def _is_snoozed(r: Reminder, now: datetime) -> bool:
    return r.status == OPEN and r.snoozed_until is not None and r.snoozed_until > now


def _owner_supervisor(session: Session, r: Reminder) -> int | None:
    if r.owner_user_id is None:
        return None
    return session.scalar(select(User.supervisor_id).where(User.id == r.owner_user_id))


def may_see(session: Session, actor: Actor, r: Reminder) -> bool:
    """Say whether a person may see a reminder: its owner, its team (those who hold its
    control), the owner's supervisor, the supervisor it was escalated to. Acting on it is
    narrower: `may_complete`."""
    if actor.is_system:
        return True
    if actor.user_id is None:
        return False
    if r.owner_user_id == actor.user_id:
        return True
    if r.team and r.team in member_teams(session, actor):
        return True
    if _owner_supervisor(session, r) == actor.user_id:
        return True
    return (
        session.scalar(
            select(func.count())
            .select_from(ReminderEscalation)
            .where(
                ReminderEscalation.reminder_id == r.id,
                ReminderEscalation.supervisor_id == actor.user_id,
            )
        )
        or 0
    ) > 0


def may_complete(session: Session, actor: Actor, r: Reminder) -> bool:
    """Say whether a person may acknowledge, snooze or mark a reminder done: only someone who
    sees it and holds the control that completes it (docs/reminders.md)."""
    return may_see(session, actor, r) and completion_refusal(session, actor, r) is None


def _reminder_for(session: Session, actor: Actor, reminder_id: int) -> Reminder:
    r = session.get(Reminder, reminder_id)
    # Someone else's reminder is "not found": its existence is not theirs to learn.
    if r is None or not may_see(session, actor, r):
        raise NotFound("There is no such task.")
    return r


def _completable(session: Session, actor: Actor, reminder_id: int) -> Reminder:
    """Return a reminder the actor may act on: Forbidden, saying why, if they see it but do
    not hold the control that completes it."""
    r = _reminder_for(session, actor, reminder_id)
    if (refusal := completion_refusal(session, actor, r)) is not None:
        raise Forbidden(refusal)
    return r


@dataclass(frozen=True)
class SendRecord:
    lead: str
    described: str
    sent_at: datetime
    superseded: bool


@dataclass(frozen=True)
class PlannedSend:
    """A lead not yet mailed: when it is to go, and whether a snooze holds it until later."""

    lead: str
    described: str
    send_at: datetime
    held_until: datetime | None


@dataclass(frozen=True)
class TaskDetail:
    item: TaskItem
    sends: list[SendRecord]
    escalations: list[tuple[ReminderEscalation, str | None]]
    acknowledged_by: str | None
    closed_by: str | None
    may_snooze: bool
    #: Why the person may not acknowledge, snooze or mark it done (None: they may).
    refusal: str | None = None
    #: The emails still to go, soonest first (once the scheduler has planned them).
    planned: list[PlannedSend] = field(default_factory=list)

    @property
    def may_act(self) -> bool:
        return self.item.reminder.status == OPEN and self.refusal is None


def get_task(session: Session, actor: Actor, now: datetime, reminder_id: int) -> TaskDetail:
    """Return one reminder with what was sent and escalated, for its owner, team or supervisor."""
    r = _reminder_for(session, actor, reminder_id)
    escs = _escalations_of(session, [r.id]).get(r.id, [])
    names = _names(
        session,
        [r.owner_user_id, r.acknowledged_by_id, r.closed_by_id, *(e.supervisor_id for e in escs)],
    )
    sends = [
        SendRecord(s.lead, Lead(s.lead).describe(), s.sent_at, s.superseded)
        for s in session.scalars(
            select(ReminderSend)
            .where(ReminderSend.reminder_id == r.id)
            .order_by(ReminderSend.sent_at, ReminderSend.id)
        )
    ]
    snoozed = _is_snoozed(r, now)
    item = TaskItem(
        reminder=r,
        overdue=r.status == OPEN and r.due_at <= now,
        snoozed=snoozed,
        escalations=tuple(e.reason for e in escs),
        escalated_to_me=any(e.supervisor_id == actor.user_id for e in escs),
        owner_name=names.get(r.owner_user_id or 0),
        ward_names=ward_names_of(session, [r.team]),
        snoozed_by=_snoozers(session, actor, [r.id]).get(r.id) if r.snoozed_until else None,
    )
    refusal = completion_refusal(session, actor, r) if r.status == OPEN else None
    return TaskDetail(
        item=item,
        sends=sends,
        escalations=[(e, names.get(e.supervisor_id or 0)) for e in escs],
        acknowledged_by=names.get(r.acknowledged_by_id or 0),
        closed_by=names.get(r.closed_by_id or 0),
        may_snooze=r.status == OPEN and not r.statutory and refusal is None,
        refusal=refusal,
        planned=_planned(r, {s.lead for s in sends}, now),
    )


def _planned(r: Reminder, dealt: set[str], now: datetime) -> list[PlannedSend]:
    """The emails an open reminder still has to send, by the leads fixed on it when the
    scheduler first planned it (none before then)."""
    if r.status != OPEN or not r.leads:
        return []
    try:
        leads = parse_leads(r.leads.split(","))
    except LeadError:  # not a plan this code can read: the page shows what was sent
        return []
    held = r.snoozed_until if r.snoozed_until is not None and r.snoozed_until > now else None
    planned = [
        PlannedSend(
            lead.label,
            lead.describe(),
            at,
            held if held is not None and held > at else None,
        )
        for lead in leads
        if lead.label not in dealt
        for at in [lead.send_time(r.created_at, r.due_at)]
    ]
    return sorted(planned, key=lambda p: (p.send_at, p.lead))


_STATE_FIELDS = ("status", "acknowledged_at", "snoozed_until", "snooze_reason", "closed_at")


def _without_reason(state: dict[str, Any]) -> dict[str, Any]:
    """A task's state for the trail, with whether a snooze reason was given, not its words."""
    shown = {k: v for k, v in state.items() if k != "snooze_reason"}
    shown["snooze_reason_given"] = bool(state.get("snooze_reason"))
    return shown


def _require_open(r: Reminder) -> None:
    if r.status != OPEN:
        raise ValidationFailed({"status": "This task is already closed"})


def acknowledge(session: Session, actor: Actor, now: datetime, reminder_id: int) -> Reminder:
    """Record that the person has seen a reminder; a statutory one then escalates only if overdue.

    Only someone who holds the control that completes it may (Forbidden otherwise)."""
    r = _completable(session, actor, reminder_id)
    _require_open(r)
    if r.acknowledged_at is not None:
        return r
    before = audit.snapshot(r, _STATE_FIELDS)
    r.acknowledged_at = now
    r.acknowledged_by_id = actor.user_id
    if r.escalate_at is not None:
        r.escalate_at = max(r.escalate_at, r.due_at)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="reminder.acknowledge",
        entity_type="reminder",
        entity_id=r.id,
        summary=f"Acknowledged the reminder “{r.title}”",
        before=before,
        after=audit.snapshot(r, _STATE_FIELDS),
    )
    return r


def mark_done(session: Session, actor: Actor, now: datetime, reminder_id: int) -> Reminder:
    """Close a reminder as done: no more mail, no escalation.

    Only someone who holds the control that completes it may (Forbidden otherwise): whoever
    could have done what it asks, and judged it done or no longer needed."""
    r = _completable(session, actor, reminder_id)
    _require_open(r)
    before = audit.snapshot(r, _STATE_FIELDS)
    r.status = DONE
    r.closed_at = now
    r.closed_by_id = actor.user_id
    r.close_reason = MARKED_DONE
    r.next_send_at = None
    r.escalate_at = None
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="reminder.done",
        entity_type="reminder",
        entity_id=r.id,
        summary=f"Marked the reminder “{r.title}” done",
        before=before,
        after=audit.snapshot(r, _STATE_FIELDS),
    )
    return r


def snooze(
    session: Session, actor: Actor, now: datetime, reminder_id: int, until: datetime, reason: str
) -> Reminder:
    """Hold a non-statutory reminder, and its mail, until a later time, giving a reason.

    Raises ValidationFailed for a statutory deadline (which cannot be snoozed), a missing
    reason, or a time not in the next 30 days; Forbidden for someone who does not hold the
    control that completes it. A team's task is snoozed for the whole team: its mail is held
    for everyone, and each member sees who snoozed it and until when.
    """
    r = _completable(session, actor, reminder_id)
    _require_open(r)
    errors: dict[str, str] = {}
    if r.statutory:
        raise ValidationFailed({"snooze": "A statutory deadline cannot be snoozed"})
    reason = reason.strip()
    if not reason:
        errors["reason"] = "Enter why you are snoozing this task"
    elif len(reason) > 200:
        errors["reason"] = "The reason must be 200 characters or fewer"
    elif problem := identifiers.problem("The reason", reason, today=london_today(now)):
        errors["reason"] = problem
    if until.tzinfo is None or until <= now:
        errors["until"] = "The date to snooze until must be in the future"
    elif until > now + MAX_SNOOZE:
        errors["until"] = "You can snooze a task for 30 days at most"
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(r, _STATE_FIELDS)
    r.snoozed_until = until
    r.snooze_reason = reason
    if r.next_send_at is not None:
        r.next_send_at = max(r.next_send_at, until)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="reminder.snooze",
        entity_type="reminder",
        entity_id=r.id,
        # The reason stays on the task, read by those who see it: the trail, which every
        # reader of the audit log sees of a task (policy.OPEN_AUDIT_TYPES), says only that one
        # was given. It may speak of the restricted record the task is about.
        summary=f"Snoozed the reminder “{r.title}” until {when_text(until)}, giving a reason",
        before=_without_reason(before),
        after=_without_reason(audit.snapshot(r, _STATE_FIELDS)),
    )
    return r


def hand_on_tasks_of(session: Session, actor: Actor, now: datetime, user_id: int) -> int:
    """Hand each open task a person owns, and can no longer complete, to the team that can.

    Called when an administrator changes a person's roles or wards or deactivates their account
    (docs/reminders.md): a task goes to whoever holds the control that completes it, and a
    statutory deadline or a returned referral addressed to that person alone would otherwise
    reach no one who can act. A case they were in charge of no longer names them, so its
    deadlines stay with the team when the case's clock next runs. The team is mailed afresh and
    each task handed on is audited; returns how many were.
    """
    user = session.get(User, user_id)
    if user is None:
        return 0
    owner = Actor(
        user_id=user.id,
        label=user.email,
        roles=user.roles,
        organisation_id=user.organisation_id,
        ward_codes=user.ward_codes,
    )
    owned = session.scalars(
        select(Reminder)
        .where(Reminder.owner_user_id == user.id, Reminder.status == OPEN)
        .order_by(Reminder.id)
    ).all()
    handed: list[int] = []
    for r in owned:
        if user.is_active and completion_refusal(session, owner, r) is None:
            continue
        try:
            kind = ReminderKind(r.kind)
        except ValueError:  # a kind no longer listed: no control to hand it on by
            continue
        before = audit.snapshot(r, _ROUTE_FIELDS)
        r.owner_user_id, r.team = _next_holder(session, actor, now, r, kind, user.id)
        for name, value in new_recipients(r.due_at, r.statutory, now).items():
            setattr(r, name, value)
        session.flush()
        team = team_label(r.team, ward_names_of(session, [r.team])) or "no team"
        audit.record(
            session,
            actor,
            now,
            action="reminder.hand_on",
            entity_type="reminder",
            entity_id=r.id,
            summary=f"Handed the task “{r.title}” to {team}: {user.display_name} can no "
            "longer complete it",
            before=before,
            after=audit.snapshot(r, _ROUTE_FIELDS),
        )
        handed.append(r.id)
    forget_leads(session, handed)  # the team is mailed afresh, as for a new task
    return len(handed)


_ROUTE_FIELDS = ("owner_user_id", "team")


def _next_holder(
    session: Session, actor: Actor, now: datetime, r: Reminder, kind: ReminderKind, leaving: int
) -> tuple[int | None, str | None]:
    """Return the owner and team a task goes to once the person `leaving` no longer holds it."""
    process = process_of(session, r)
    if kind is ReminderKind.STATUTORY_DEADLINE and r.subject_type == CASE_SUBJECT:
        case = session.get(EnforcementCase, r.subject_id)
        if case is not None:
            if case.officer_id == leaving:  # the case's clock readdresses its reminders so too
                case.officer_id = None
                case.updated_at = now
                session.flush()
                audit.record(
                    session,
                    actor,
                    now,
                    action="case.update",
                    entity_type=CASE_SUBJECT,
                    entity_id=case.id,
                    summary=f"{case.reference} has no officer in charge: its officer can no "
                    "longer record its steps",
                    before={"officer_id": leaving},
                    after={"officer_id": None},
                )
            kind_of_owner = session.scalar(
                select(Organisation.kind).where(Organisation.id == case.owner_organisation_id)
            )
            to = case_recipients(None, process, kind_of_owner == OrganisationKind.COUNCIL)
            return to.owner_user_id, to.team
    to = route(kind, ward_code=task_ward(session, r), process=process)
    return to.owner_user_id, to.team


def set_digest_preference(session: Session, actor: Actor, now: datetime, preference: str) -> User:
    """Choose single mails or a daily digest for the signed-in person's non-urgent reminders."""
    if actor.user_id is None:
        raise Forbidden("Sign in first.")
    if preference not in DIGEST_PREFERENCES:
        raise ValidationFailed({"preference": "Select how you want to receive reminders"})
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("There is no such user.")
    before = user.digest_preference
    if before != preference:
        user.digest_preference = preference
        session.flush()
        audit.record(
            session,
            actor,
            now,
            action="user.reminder_preference",
            entity_type="user",
            entity_id=user.id,
            summary=f"Chose reminder emails: {preference}",
            before={"digest_preference": before},
            after={"digest_preference": preference},
        )
    return user


def set_supervisor(
    session: Session, actor: Actor, now: datetime, user_id: int, supervisor_id: int | None
) -> User:
    """Record who a person's statutory reminders escalate to (an administrator's task)."""
    require(actor, Permission.USERS_MANAGE)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    if supervisor_id is not None:
        boss = session.get(User, supervisor_id)
        if boss is None or not boss.is_active or Role.SUPERVISOR.value not in boss.roles:
            raise ValidationFailed(
                {"supervisor_id": "Select an active user with the supervisor role"}
            )
        if boss.id == user.id:
            raise ValidationFailed({"supervisor_id": "A person cannot be their own supervisor"})
    before = user.supervisor_id
    if before != supervisor_id:
        user.supervisor_id = supervisor_id
        session.flush()
        audit.record(
            session,
            actor,
            now,
            action="user.supervisor",
            entity_type="user",
            entity_id=user.id,
            summary=f"Set the supervisor of {user.email}",
            before={"supervisor_id": before},
            after={"supervisor_id": supervisor_id},
        )
    return user


# ---------------------------------------------------------------------------------------------
# Supervisors: their team's reminders by person and by kind
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    open: int = 0
    overdue: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class TeamOverview:
    members: list[tuple[int, str]]
    by_person: list[Tally]
    by_kind: list[Tally]
    overdue: list[TaskItem]
    #: Open tasks that reach no one: no active owner, and a team with no active member.
    unreached: list[Tally] = field(default_factory=list)


def team_overview(
    session: Session, actor: Actor, now: datetime, *, limit: int = 200
) -> TeamOverview:
    """Return a supervisor's team's open reminders: counts by person and kind, and what is overdue."""
    if not actor.is_system and not actor.has_role(Role.SUPERVISOR):
        raise Forbidden("Only supervisors see their team's tasks.")
    members = [
        (uid, name)
        for uid, name in session.execute(
            select(User.id, User.display_name)
            .where(User.supervisor_id == actor.user_id, User.is_active.is_(True))
            .order_by(User.display_name, User.id)
        )
    ]
    ids = [uid for uid, _name in members]
    unreached = unreached_tasks(session, now)
    if not ids:
        return TeamOverview([], [], [], [], unreached)
    escalated = Reminder.id.in_(select(ReminderEscalation.reminder_id))
    counts = session.execute(
        select(
            Reminder.owner_user_id,
            Reminder.kind,
            func.count(),
            func.sum(case((Reminder.due_at <= now, 1), else_=0)),
            func.sum(case((escalated, 1), else_=0)),
        )
        .where(Reminder.status == OPEN, Reminder.owner_user_id.in_(ids))
        .group_by(Reminder.owner_user_id, Reminder.kind)
    ).all()
    person: dict[int, list[int]] = {uid: [0, 0, 0] for uid in ids}
    kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for owner, k, n, late, esc in counts:
        for bucket in (person[owner], kind[k]):
            bucket[0] += int(n)
            bucket[1] += int(late or 0)
            bucket[2] += int(esc or 0)
    names = dict(members)
    by_person = [Tally(str(uid), names[uid], *person[uid]) for uid in ids]
    by_kind = [
        Tally(k, ReminderKind.label_of(k), *v)
        for k, v in sorted(kind.items(), key=lambda kv: ReminderKind.label_of(kv[0]))
    ]
    late_rows = list(
        session.scalars(
            select(Reminder)
            .where(Reminder.status == OPEN, Reminder.owner_user_id.in_(ids), Reminder.due_at <= now)
            .order_by(Reminder.due_at, Reminder.id)
            .limit(limit)
        )
    )
    escs = _escalations_of(session, [r.id for r in late_rows])
    wards = ward_names_of(session, (r.team for r in late_rows))
    overdue = [
        TaskItem(
            reminder=r,
            overdue=True,
            snoozed=_is_snoozed(r, now),
            escalations=tuple(e.reason for e in escs.get(r.id, [])),
            escalated_to_me=any(e.supervisor_id == actor.user_id for e in escs.get(r.id, [])),
            owner_name=names.get(r.owner_user_id or 0),
            ward_names=wards,
        )
        for r in late_rows
    ]
    return TeamOverview(members, by_person, by_kind, overdue, unreached)


def unreached_tasks(session: Session, now: datetime) -> list[Tally]:
    """Open tasks that reach no one, counted by the team they wait for and their kind.

    A task goes to its owner and its team (docs/reminders.md); when the owner is gone (no one,
    or an account since deactivated) and the team has no active member (a ward nobody covers
    yet, a new install with no licensing officers), it is on no one's list and mailed to no one.
    Supervisors see these counts so that they can give someone the ward or the role.
    """
    active = select(User.id).where(User.is_active.is_(True))
    ownerless = session.execute(
        select(
            Reminder.team,
            Reminder.kind,
            func.count(),
            func.sum(case((Reminder.due_at <= now, 1), else_=0)),
        )
        .where(
            Reminder.status == OPEN,
            or_(Reminder.owner_user_id.is_(None), Reminder.owner_user_id.not_in(active)),
        )
        .group_by(Reminder.team, Reminder.kind)
        .order_by(Reminder.team, Reminder.kind)
    ).all()
    staffed: dict[str | None, bool] = {None: False}
    for team in {t for t, _k, _n, _late in ownerless if t is not None}:
        staffed[team] = bool(team_members(session, team))
    names = ward_names_of(session, staffed)
    unreached = [
        Tally(
            key=f"{team or ''}/{kind}",
            label=f"{team_label(team, names) or 'No team'}: {ReminderKind.label_of(kind)}",
            open=int(n),
            overdue=int(late or 0),
        )
        for team, kind, n, late in ownerless
        if not staffed[team]
    ]
    return sorted(unreached, key=lambda t: (t.label, t.key))
