"""The reminder vocabularies: what a reminder is for, and where it stands."""

from __future__ import annotations

from enforcement.vocab import Labelled


class ReminderKind(Labelled):
    """What a reminder asks for (stored in `reminders.kind`)."""

    FOLLOW_UP_INSPECTION = "follow_up_inspection", "Follow-up inspection"
    FOLLOW_UP_VISIT = "follow_up_visit", "Follow-up welfare visit"
    STATUTORY_DEADLINE = "statutory_deadline", "Statutory deadline"
    FLAG_REVIEW = "flag_review", "Intelligence review"
    HEARING = "hearing", "Hearing"
    LICENCE_EXPIRY = "licence_expiry", "Licence expiry"
    IMMIGRATION_DECISION = "immigration_decision", "Immigration referral to decide"
    # Committee referrals between their author, the supervisors and the clerks.
    REFERRAL_SIGN_OFF = "referral_sign_off", "Committee referral awaiting sign-off"
    REFERRAL_SIGNED_OFF = "referral_signed_off", "Committee referral signed off"
    REFERRAL_RETURNED = "referral_returned", "Committee referral returned with comments"


def kind_label(code: str) -> str:
    """Return a reminder kind's label; a code no longer listed reads as its words."""
    try:
        return ReminderKind(code).label
    except ValueError:
        return code.replace("_", " ").capitalize()


class ReminderStatus(Labelled):
    """Where a reminder stands (stored in `reminders.status`)."""

    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class MailKind(Labelled):
    """What an outbox mail carries (stored in `outbox_mails.kind`)."""

    REMINDER = "reminder", "Reminder"
    DIGEST_ITEM = "digest_item", "Held for a digest"
    DIGEST = "digest", "Digest"
    ESCALATION = "escalation", "Escalation"
    AUDIT_CHECKPOINT = "audit_checkpoint", "Audit trail checkpoint"  # enforcement.scheduler


class MailStatus(Labelled):
    """Where an outbox mail stands (stored in `outbox_mails.status`)."""

    PENDING = "pending", "Waiting to be sent"
    HELD = "held", "Held for a digest"
    SENT = "sent", "Sent"
    DIGESTED = "digested", "Sent in a digest"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
