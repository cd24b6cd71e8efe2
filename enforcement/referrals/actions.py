"""Which steps of a referral are open now, for whom: the referral's state machine in one place."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class OpenActions:
    """The steps open now; `in` asks about one step, `clerk` whether any clerk's step is."""

    actions: frozenset[Action]

    def __contains__(self, action: object) -> bool:
        return action in self.actions

    @property
    def clerk(self) -> bool:
        return bool(self.actions & CLERK_ACTIONS)


def open_actions(
    actor: Actor, referral: Referral, *, complete: bool, notice_status: str | None
) -> OpenActions:
    """The steps open now for this actor on this referral.

    `complete` says the draft has everything submitting needs; `notice_status` is the status of
    the process case's notice-of-hearing date (None when the tool needs no notice or the
    process is not open).
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
    return OpenActions(frozenset(open_now))


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


def actions_on(actor: Actor, detail: ReferralDetail) -> OpenActions:
    """The steps open now on a referral as its page shows it."""
    notice = detail.notice_due
    return open_actions(
        actor,
        detail.referral,
        complete=not detail.missing,
        notice_status=notice.status if notice else None,
    )
