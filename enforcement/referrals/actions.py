"""Which steps of a referral are open now, for whom: the referral's state machine in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from enforcement.access import Actor, Permission, can
from enforcement.cases.vocab import Status
from enforcement.models import Referral
from enforcement.referrals.drafting import may_draft
from enforcement.referrals.process import appeal_open_after_effect
from enforcement.referrals.queries import ReferralDetail
from enforcement.referrals.vocab import EDITABLE
from enforcement.referrals.vocab import ReferralStatus as _S


class Action(StrEnum):
    """A step someone may take on a referral; each is one form or link on its page."""

    EDIT_DRAFT = "edit_draft"
    SUBMIT = "submit"
    SIGN_OFF = "sign_off"
    RETURN = "return"
    DOWNLOAD_PAPERS = "papers"
    OPEN_PROCESS = "process"
    LIST_HEARING = "list_hearing"
    MOVE_HEARING = "move_hearing"
    RECORD_NOTICE = "notice"
    RECORD_REPRESENTATIONS = "representations"
    RECORD_DECISION = "outcome"
    RECORD_NOTIFICATION = "notified"
    RECORD_APPEAL = "appeal"
    RECORD_APPEAL_DECISION = "appeal_decision"


#: The committee clerk's steps in the statutory process.
CLERK_ACTIONS = frozenset(
    {
        Action.OPEN_PROCESS,
        Action.LIST_HEARING,
        Action.MOVE_HEARING,
        Action.RECORD_NOTICE,
        Action.RECORD_REPRESENTATIONS,
        Action.RECORD_DECISION,
        Action.RECORD_NOTIFICATION,
        Action.RECORD_APPEAL,
        Action.RECORD_APPEAL_DECISION,
    }
)


#: The steps taken with a form on the referral's page, in the order the page offers them when
#: more than one is open (submitting goes with the draft, returning with signing off).
STEPS: tuple[Action, ...] = (
    Action.EDIT_DRAFT,
    Action.SIGN_OFF,
    Action.OPEN_PROCESS,
    Action.LIST_HEARING,
    Action.RECORD_NOTICE,
    Action.RECORD_REPRESENTATIONS,
    Action.RECORD_DECISION,
    Action.RECORD_NOTIFICATION,
    Action.RECORD_APPEAL_DECISION,
    Action.RECORD_APPEAL,
    Action.MOVE_HEARING,
)


@dataclass(frozen=True)
class OpenActions:
    """The steps open now; `in` asks about one step, `clerk` whether any clerk's step is.

    `current` is the one step the page offers first: the next thing to do in the process.
    The other open steps (`others`) are offered as links; `choose` picks the one asked for.
    """

    actions: frozenset[Action]
    current: Action | None = None

    def __contains__(self, action: object) -> bool:
        return action in self.actions

    @property
    def clerk(self) -> bool:
        return bool(self.actions & CLERK_ACTIONS)

    @property
    def steps(self) -> tuple[Action, ...]:
        """The open steps that have a form, the current one first."""
        rest = [s for s in STEPS if s in self.actions and s != self.current]
        return (self.current, *rest) if self.current is not None else tuple(rest)

    def choose(self, wanted: str | None) -> Action | None:
        """The step to show: the one asked for if it is open now, else the current one."""
        return next((s for s in self.steps if s.value == wanted), self.current)

    def others(self, shown: Action | None) -> tuple[Action, ...]:
        """The open steps other than the one shown."""
        return tuple(s for s in self.steps if s != shown)


def current_step(
    actions: frozenset[Action],
    referral: Referral,
    now: datetime | None,
    representations_end: datetime | None,
) -> Action | None:
    """The next thing to do among the open steps.

    In the order of the process: the draft, sign-off, opening the process, listing the hearing,
    notice of it; then, while the representation period runs, representations, and once it has
    ended (or the hearing time has come) the hearing and the decision; then its notification,
    an appeal's end, an appeal. Moving a listed hearing is never the next thing: it is offered
    beside it.
    """
    order = list(STEPS)
    period_running = (
        now is not None and representations_end is not None and now <= representations_end
    )
    hearing_due = now is not None and referral.hearing_at is not None and referral.hearing_at <= now
    if hearing_due or not period_running:
        order.remove(Action.RECORD_DECISION)
        order.insert(order.index(Action.RECORD_REPRESENTATIONS), Action.RECORD_DECISION)
    return next((s for s in order if s in actions and s != Action.MOVE_HEARING), None)


def open_actions(
    actor: Actor,
    referral: Referral,
    *,
    complete: bool,
    notice_status: str | None,
    now: datetime | None = None,
    representations_end: datetime | None = None,
) -> OpenActions:
    """The steps open now for this actor on this referral, and which of them comes next.

    `complete` says the draft has everything submitting needs; `notice_status` is the status of
    the process case's notice-of-hearing date (None when the tool needs no notice or the
    process is not open); `now` and `representations_end` (the end of the process's
    representation period, if it has one) decide whether representations or the decision
    come next.
    """
    status = _S(referral.status)
    open_now: set[Action] = set()
    if status in EDITABLE and may_draft(actor, referral):
        open_now.add(Action.EDIT_DRAFT)
        if complete:
            open_now.add(Action.SUBMIT)
    if (
        status == _S.SUBMITTED
        and can(actor, Permission.REFERRAL_SIGN_OFF)
        and actor.user_id != referral.author_id
    ):
        open_now |= {Action.SIGN_OFF, Action.RETURN}
    if can(actor, Permission.REFERRAL_PAPERS) and status not in {*EDITABLE, _S.SUBMITTED}:
        open_now.add(Action.DOWNLOAD_PAPERS)
    if can(actor, Permission.REFERRAL_CLERK):
        open_now |= _clerk_steps(referral, status, notice_status)
    actions = frozenset(open_now)
    return OpenActions(actions, current_step(actions, referral, now, representations_end))


def _clerk_steps(referral: Referral, status: _S, notice_status: str | None) -> set[Action]:
    steps: set[Action] = set()
    if status == _S.SIGNED_OFF:
        steps.add(Action.OPEN_PROCESS)
    if status in {_S.PROCESS_OPEN, _S.HEARING_LISTED}:
        steps.add(Action.RECORD_REPRESENTATIONS)
        if referral.hearing_held_at is None:
            steps.add(Action.MOVE_HEARING if referral.hearing_at else Action.LIST_HEARING)
    if status == _S.HEARING_LISTED:
        steps.add(Action.RECORD_DECISION)
        if notice_status is not None and notice_status != Status.MET:
            steps.add(Action.RECORD_NOTICE)
    if status == _S.DECIDED or appeal_open_after_effect(referral):
        steps.add(Action.RECORD_APPEAL)
        if referral.notified_at is None:
            steps.add(Action.RECORD_NOTIFICATION)
    if status == _S.APPEALED:
        steps.add(Action.RECORD_APPEAL_DECISION)
    return steps


def actions_on(actor: Actor, detail: ReferralDetail, now: datetime | None = None) -> OpenActions:
    """The steps open now on a referral as its page shows it."""
    notice = detail.notice_due
    period = detail.representations_due
    return open_actions(
        actor,
        detail.referral,
        complete=not detail.missing,
        notice_status=notice.status if notice else None,
        now=now,
        representations_end=period.due_at if period else None,
    )
