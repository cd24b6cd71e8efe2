"""Licensing Committee referrals in the domain, on both databases: draft to decision in effect."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from builders import BOOK, CAL, NOW, SYSTEM, make_licence, make_premises
from builders.referrals import RELEASE_REASON, World, at, full_draft, make_world
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.errors import Forbidden, StaleEdit, ValidationFailed
from enforcement.intelligence import flags
from enforcement.models import (
    AuditEvent,
    CaseDeadline,
    CaseEvent,
    IntelFlagLink,
    Licence,
    LicenceCondition,
    Referral,
    ReferralHistory,
    Reminder,
)
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process
from enforcement.referrals import queries as referral_queries
from enforcement.referrals.evidence import choices
from enforcement.referrals.vocab import EvidenceKind
from enforcement.register import licences
from enforcement.vocab import PremisesType

RECEIVED = at("2026-03-03", "09:00")  # Tuesday: representations run to the end of 31 March
IN_WINDOW = at("2026-04-20", "10:00")  # a Monday within 20 working days after that


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


def _signed_off(session: Session, world: World, **overrides: object) -> Referral:
    officer, supervisor = world.actors["officer"], world.actors["supervisor"]
    r = referrals.create_draft(
        session, officer, NOW, world.premises.id, full_draft(world, **overrides)
    )
    referrals.submit(session, officer, NOW + timedelta(hours=1), r.id, r.version)
    referrals.sign_off(session, supervisor, NOW + timedelta(hours=2), r.id, r.version, "Agreed")
    return r


def _opened(session: Session, world: World, **overrides: object) -> Referral:
    r = _signed_off(session, world, **overrides)
    referral_process.open_process(
        session,
        world.actors["clerk"],
        NOW + timedelta(days=1),
        r.id,
        r.version,
        received_at=RECEIVED,
        calendar=CAL,
        rulebook=BOOK,
    )
    return r


def _listed(session: Session, world: World, **overrides: object) -> Referral:
    r = _opened(session, world, **overrides)
    referral_process.list_hearing(
        session,
        world.actors["clerk"],
        RECEIVED + timedelta(days=1),
        r.id,
        r.version,
        hearing_at=IN_WINDOW,
        listed_at=RECEIVED + timedelta(days=1),
        calendar=CAL,
        rulebook=BOOK,
    )
    return r


def _decided(session: Session, world: World, decision: str = "revoke", **extra: object) -> Referral:
    r = _listed(session, world)
    referral_process.record_outcome(
        session,
        world.actors["clerk"],
        at("2026-04-21", "12:00"),
        r.id,
        r.version,
        referral_process.OutcomeInput(
            held_at=IN_WINDOW,
            decided_at=at("2026-04-20", "16:00"),
            decision=decision,
            reasons="The sub-committee was satisfied that the premises were used for exploitation.",
            notified_at=at("2026-04-21", "10:00"),
            **extra,  # type: ignore[arg-type]
        ),
        calendar=CAL,
        rulebook=BOOK,
    )
    return r


def _appeal_ends(session: Session, r: Referral) -> object:
    return session.scalar(
        select(CaseDeadline.due_at).where(
            CaseDeadline.case_id == r.case_id, CaseDeadline.rule_id == "la.s52.appeal"
        )
    )


# --- Drafting and submission ----------------------------------------------------------------


def test_a_referral_cannot_be_submitted_without_the_offer_of_support(
    session: Session, world: World
) -> None:
    officer = world.actors["officer"]
    r = referrals.create_draft(
        session,
        officer,
        NOW,
        world.premises.id,
        full_draft(
            world,
            support_services=frozenset(),
            support_provider=None,
            support_taken_up=None,
            support_offered_on=None,
        ),
    )
    assert r.reference.startswith("CR-2026-") and r.status == "draft"
    with pytest.raises(ValidationFailed) as refused:
        referrals.submit(session, officer, NOW, r.id, r.version)
    assert "offer of support to victims and survivors" in refused.value.errors["support_services"]
    assert {"support_providers", "support_taken_up", "support_offered_on"} <= set(
        refused.value.errors
    )
    session.refresh(r)
    assert r.status == "draft" and r.submitted_at is None
    referrals.update_draft(session, officer, NOW, r.id, r.version, full_draft(world))
    referrals.submit(session, officer, NOW + timedelta(minutes=5), r.id, r.version)
    assert r.status == "submitted"
    history = session.scalars(
        select(ReferralHistory).where(ReferralHistory.referral_id == r.id)
    ).all()
    assert [h.action for h in history] == ["submitted"]
    snapshot = json.loads(history[0].snapshot or "{}")
    assert snapshot["support"]["services"] == ["nrm", "specialist_charity"]
    assert snapshot["conditions_breached"] == [2]


def test_a_draft_with_bad_input_is_refused_and_nothing_saved(
    session: Session, world: World
) -> None:
    officer = world.actors["officer"]
    before = session.scalar(select(func.count()).select_from(Referral))
    with pytest.raises(ValidationFailed) as refused:
        referrals.create_draft(
            session,
            officer,
            NOW,
            world.premises.id,
            full_draft(
                world,
                condition_ids=frozenset({world.condition_id(1)}),  # found complied, never breached
                recommendation="suspend",
                suspension_months=4,
            ),
        )
    assert "No inspection found condition 1 breached" in refused.value.errors["condition_ids"]
    assert refused.value.errors["suspension_months"] == "A suspension is for 1, 2 or 3 months"
    assert session.scalar(select(func.count()).select_from(Referral)) == before


def test_only_what_the_policy_allows_can_be_chosen_or_captured(
    session: Session, world: World
) -> None:
    officer = world.actors["officer"]
    # A handling code C flag whose conditions name only the police: the officer cannot read it.
    hidden = flags.raise_flag(
        session,
        world.actors["analyst"],
        NOW,
        flags.FlagInput(
            reported_at=NOW - timedelta(days=1),
            source_type="police",
            exploitation=frozenset({"sexual"}),
            report_text="Police only.",
            premises_id=world.premises.id,
            grade=flags.GradeInput(
                "3x5x2", "A", "1", "C", "Police only", frozenset({world.police_id})
            ),
        ),
    )
    listed = choices(session, officer, NOW, world.premises.id)
    flag_ids = {c.source_id for c in listed[EvidenceKind.FLAG]}
    assert flag_ids == {world.p_flag.id, world.c_flag.id}
    assert [c.source_id for c in listed[EvidenceKind.WELFARE_VISIT]] == [world.visit.id]
    # The officer sees a released visit by its date only, never what it recorded.
    assert RELEASE_REASON not in listed[EvidenceKind.WELFARE_VISIT][0].label
    listing = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "intel_flag.list")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert listing is not None
    assert sorted(json.loads(listing.after_json or "{}")["shown"]) == sorted(flag_ids)
    with pytest.raises(ValidationFailed) as refused:
        referrals.create_draft(
            session,
            officer,
            NOW,
            world.premises.id,
            full_draft(world, evidence=frozenset({("flag", hidden.id)})),
        )
    assert f"intelligence flag {hidden.id}" in refused.value.errors["evidence"]
    world.visit.released = False
    session.flush()
    with pytest.raises(ValidationFailed) as refused:
        referrals.create_draft(
            session,
            officer,
            NOW,
            world.premises.id,
            full_draft(world, evidence=frozenset({("welfare_visit", world.visit.id)})),
        )
    assert "only visits a supervisor released can be used" in refused.value.errors["evidence"]


def test_captured_evidence_carries_its_disclosure_and_flags_are_linked(
    session: Session, world: World
) -> None:
    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    detail = referral_queries.get_referral(session, world.actors["officer"], NOW, r.id, BOOK)
    by_kind = {(e.item.kind, e.item.source_id): e.item.classification for e in detail.evidence}
    assert by_kind[("flag", world.c_flag.id)] == "restricted"
    assert by_kind[("flag", world.p_flag.id)] == "intelligence"
    assert by_kind[("welfare_visit", world.visit.id)] == "welfare"
    assert by_kind[("inspection", world.inspections[0].id)] == "open"
    dates = [e.item.occurred_at for e in detail.evidence]
    assert dates == sorted(dates)
    assert [(b.number, len(b.inspections)) for b in detail.breaches] == [(2, 2)]
    links = session.scalars(select(IntelFlagLink.flag_id).where(IntelFlagLink.referral_id == r.id))
    assert set(links) == {world.p_flag.id, world.c_flag.id}
    # The officer may not read welfare content: the page withholds it from them.
    visit = next(e for e in detail.evidence if e.item.kind == "welfare_visit")
    assert not visit.content_visible


def test_a_supervisor_returns_with_comments_then_signs_off_and_the_history_is_kept(
    session: Session, world: World
) -> None:
    officer, supervisor = world.actors["officer"], world.actors["supervisor"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW, r.id, r.version)
    with pytest.raises(ValidationFailed) as refused:
        referrals.return_referral(session, supervisor, NOW, r.id, r.version, "  ")
    assert "Say what needs to change" in refused.value.errors["comment"]
    referrals.return_referral(session, supervisor, NOW, r.id, r.version, "Add the CCTV breach.")
    assert r.status == "returned"
    referrals.update_draft(
        session, officer, NOW, r.id, r.version, full_draft(world, narrative="Second draft.")
    )
    referrals.submit(session, officer, NOW + timedelta(hours=1), r.id, r.version)
    with pytest.raises(Forbidden):
        referrals.sign_off(session, officer, NOW, r.id, r.version)
    referrals.sign_off(session, supervisor, NOW + timedelta(hours=2), r.id, r.version, "Fine now.")
    assert r.status == "signed_off" and r.signed_off_by_id == supervisor.user_id
    detail = referral_queries.get_referral(session, supervisor, NOW, r.id, BOOK)
    assert [(h.action, h.comment) for h in reversed(detail.history)] == [
        ("submitted", None),
        ("returned", "Add the CCTV breach."),
        ("submitted", None),
        ("signed_off", "Fine now."),
    ]
    narratives = [h.snapshot["narrative"] for h in reversed(detail.history) if h.snapshot]
    assert narratives[0].startswith("Two inspections") and narratives[1] == "Second draft."
    with pytest.raises(ValidationFailed):
        referrals.update_draft(session, officer, NOW, r.id, r.version, full_draft(world))


def test_a_supervisor_cannot_sign_off_a_referral_they_drafted(
    session: Session, world: World
) -> None:
    supervisor = world.actors["supervisor"]
    r = referrals.create_draft(session, supervisor, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, supervisor, NOW, r.id, r.version)
    with pytest.raises(Forbidden, match="another supervisor"):
        referrals.sign_off(session, supervisor, NOW, r.id, r.version)
    referrals.sign_off(session, world.actors["supervisor2"], NOW, r.id, r.version)
    assert r.status == "signed_off"


def test_a_stale_edit_is_refused(session: Session, world: World) -> None:
    officer = world.actors["officer"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    old = r.version
    referrals.update_draft(session, officer, NOW, r.id, old, full_draft(world, narrative="New."))
    with pytest.raises(StaleEdit) as edited:
        referrals.update_draft(session, officer, NOW, r.id, old, full_draft(world))
    # The draft's form is drawn again with what was typed: submitting it again replaces theirs.
    assert edited.value.message == (
        "Someone else changed this referral while you were editing. Your changes have not been"
        " saved. Check their changes below, then submit again to replace them with yours."
    )
    # Submitting for sign-off is a button, with nothing typed to put in place of their change.
    with pytest.raises(StaleEdit) as submitted:
        referrals.submit(session, officer, NOW, r.id, old)
    assert submitted.value.message == (
        "Someone else changed this referral while you had it open. Nothing has been saved."
        " Open the referral again to see their changes, then try again."
    )
    with pytest.raises(Forbidden):
        referrals.update_draft(
            session, world.actors["officer2"], NOW, r.id, r.version, full_draft(world)
        )


# --- The clerk and the statutory clock ------------------------------------------------------


def test_opening_the_process_starts_the_review_clock(session: Session, world: World) -> None:
    r = _opened(session, world)
    assert r.status == "process_open" and r.case_id is not None
    rules = dict(
        session.execute(
            select(CaseDeadline.rule_id, CaseDeadline.due_at).where(
                CaseDeadline.case_id == r.case_id
            )
        ).all()
    )
    assert rules["la.s51.representations"] == at("2026-03-31", "23:59") + timedelta(
        seconds=59, microseconds=999999
    )
    assert "la.s52.hearing" in rules
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == r.case_id)).all()
    assert kinds == ["application_received"]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.event").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and "committee referral" in event.actor_label
    assert event.actor_id == world.actors["clerk"].user_id


def test_a_hearing_outside_the_window_is_refused_saying_why(session: Session, world: World) -> None:
    r = _opened(session, world)
    clerk = world.actors["clerk"]
    hearing_by = session.scalar(
        select(CaseDeadline.due_at).where(
            CaseDeadline.case_id == r.case_id, CaseDeadline.rule_id == "la.s52.hearing"
        )
    )
    assert hearing_by is not None
    for too_early_or_late in (at("2026-03-31", "14:00"), hearing_by + timedelta(hours=10)):
        with pytest.raises(ValidationFailed) as refused:
            referral_process.list_hearing(
                session,
                clerk,
                NOW + timedelta(days=2),
                r.id,
                r.version,
                hearing_at=too_early_or_late,
                listed_at=NOW + timedelta(days=2),
                calendar=CAL,
                rulebook=BOOK,
            )
        # Said once, plainly: the first and last days a hearing may be held.
        assert refused.value.errors["hearing_on"] == (
            "The hearing must be between Wednesday 1 April 2026 and Thursday 30 April 2026"
            " (the hearing window for this premises licence review)."
        )
    # Where the window comes from is the window's to say (the page shows it beside the form).
    window = referral_process.hearing_window(session, r, BOOK)
    assert window is not None and window.rule == refused.value.errors["hearing_on"]
    assert "20 working days" in window.why and "reg 5" in window.why
    assert "the end of Tuesday 31 March 2026" in window.why
    assert (
        session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id == r.case_id, CaseEvent.kind == "hearing_listed")
        )
        == 0
    )
    # Too close to give 10 working days' notice after listing, though inside the window.
    with pytest.raises(ValidationFailed, match="at least 10 working days before it"):
        referral_process.list_hearing(
            session,
            clerk,
            at("2026-04-20", "09:00"),
            r.id,
            r.version,
            hearing_at=at("2026-04-24", "10:00"),
            listed_at=at("2026-04-20", "09:00"),
            calendar=CAL,
            rulebook=BOOK,
        )
    referral_process.list_hearing(
        session,
        clerk,
        NOW + timedelta(days=2),
        r.id,
        r.version,
        hearing_at=IN_WINDOW,
        listed_at=NOW + timedelta(days=2),
        calendar=CAL,
        rulebook=BOOK,
    )
    assert r.status == "hearing_listed" and r.hearing_at == IN_WINDOW
    reminder = session.scalars(
        select(Reminder).where(
            Reminder.subject_type == "committee_referral",
            Reminder.subject_id == r.id,
            Reminder.kind == "hearing",
        )
    ).one()
    assert reminder.team == "clerks" and reminder.due_at == IN_WINDOW and reminder.kind == "hearing"
    notice = session.scalar(
        select(CaseDeadline.due_at).where(
            CaseDeadline.case_id == r.case_id, CaseDeadline.rule_id == "la.s52.notice_of_hearing"
        )
    )
    assert notice is not None and notice < IN_WINDOW


def test_representations_after_the_period_are_refused(session: Session, world: World) -> None:
    r = _opened(session, world)
    clerk = world.actors["clerk"]
    late = referral_process.RepresentationInput(
        "resident", 2, "Noise at night.", at("2026-04-01").date()
    )
    with pytest.raises(ValidationFailed, match="representation period ended"):
        referral_process.add_representations(
            session, clerk, at("2026-04-02"), r.id, r.version, late
        )
    ok = referral_process.RepresentationInput(
        "police", 1, "Supports revocation.", at("2026-03-20").date()
    )
    referral_process.add_representations(session, clerk, at("2026-04-02"), r.id, r.version, ok)
    detail = referral_queries.get_referral(session, clerk, at("2026-04-02"), r.id, BOOK)
    assert detail.count_by_party() == [("The police (responsible authority)", 1)]


def test_the_licence_is_revoked_only_after_the_appeal_window(
    session: Session, world: World
) -> None:
    r = _decided(session, world)
    assert r.status == "decided"
    ends = _appeal_ends(session, r)
    assert ends == at("2026-05-11", "23:59") + timedelta(seconds=59, microseconds=999999)
    assert referral_process.apply_due_effects(session, at("2026-05-11", "23:00")) == []
    session.refresh(world.licence)
    assert world.licence.status == "active"
    detail = referral_queries.get_referral(
        session, world.actors["clerk"], at("2026-05-01"), r.id, BOOK
    )
    assert detail.effect_from == ends
    changed = referral_process.apply_due_effects(session, at("2026-05-12", "00:01"))
    assert [c.id for c in changed] == [r.id]
    session.refresh(world.licence)
    assert world.licence.status == "revoked"
    assert r.status == "closed" and r.effect_summary is not None and "revoked" in r.effect_summary
    # Idempotent: a second tick, or a page view, changes nothing more.
    assert referral_process.apply_due_effects(session, at("2026-05-13")) == []
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "referral.effect")
        )
        == 1
    )


def test_an_appeal_suspends_the_effect_until_it_is_decided(session: Session, world: World) -> None:
    r = _decided(session, world)
    clerk = world.actors["clerk"]
    referral_process.record_appeal(
        session,
        clerk,
        at("2026-05-05"),
        r.id,
        r.version,
        lodged_at=at("2026-05-05", "09:00"),
        calendar=CAL,
        rulebook=BOOK,
    )
    assert r.status == "appealed"
    assert referral_process.apply_due_effects(session, at("2026-06-01")) == []
    session.refresh(world.licence)
    assert world.licence.status == "active"
    referral_process.record_appeal_decision(
        session,
        clerk,
        at("2026-06-10", "12:00"),
        r.id,
        r.version,
        decided_at=at("2026-06-10", "11:00"),
        outcome="dismissed",
        calendar=CAL,
        rulebook=BOOK,
    )
    session.refresh(world.licence)
    assert world.licence.status == "revoked" and r.status == "closed"


def test_an_appeal_allowed_means_the_decision_never_takes_effect(
    session: Session, world: World
) -> None:
    r = _decided(session, world)
    clerk = world.actors["clerk"]
    referral_process.record_appeal(
        session,
        clerk,
        at("2026-05-05"),
        r.id,
        r.version,
        lodged_at=at("2026-05-05", "09:00"),
        calendar=CAL,
        rulebook=BOOK,
    )
    referral_process.record_appeal_decision(
        session,
        clerk,
        at("2026-06-10", "12:00"),
        r.id,
        r.version,
        decided_at=at("2026-06-10", "11:00"),
        outcome="allowed",
        calendar=CAL,
        rulebook=BOOK,
    )
    assert r.status == "closed" and r.effect_applied_at is None
    assert referral_process.apply_due_effects(session, at("2026-07-01")) == []
    session.refresh(world.licence)
    assert world.licence.status == "active"


def _appeal(session: Session, world: World, r: Referral, lodged: object, when: object) -> None:
    referral_process.record_appeal(
        session,
        world.actors["clerk"],
        when,  # type: ignore[arg-type]
        r.id,
        r.version,
        lodged_at=lodged,  # type: ignore[arg-type]
        calendar=CAL,
        rulebook=BOOK,
    )


def _appeal_decided(session: Session, world: World, r: Referral, outcome: str) -> None:
    referral_process.record_appeal_decision(
        session,
        world.actors["clerk"],
        at("2026-06-10", "12:00"),
        r.id,
        r.version,
        decided_at=at("2026-06-10", "11:00"),
        outcome=outcome,
        calendar=CAL,
        rulebook=BOOK,
    )


@pytest.mark.parametrize(
    ("decision", "extra", "in_effect"),
    [
        ("revoke", {}, "revoked"),
        ("suspend", {"suspension_months": 2}, "suspended"),
    ],
)
def test_an_appeal_recorded_after_the_decision_took_effect_is_accepted_and_allowed_restores(
    session: Session, world: World, decision: str, extra: dict[str, object], in_effect: str
) -> None:
    """The appeal was lodged in time, but the clerk heard of it after the decision took effect."""
    r = _decided(session, world, decision, **extra)
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    session.refresh(world.licence)
    assert world.licence.status == in_effect and r.status == "closed"
    # Lodged on the last day of the appeal period; recorded a week after it took effect.
    _appeal(session, world, r, at("2026-05-11", "15:00"), at("2026-05-19", "10:00"))
    session.refresh(world.licence)
    assert r.status == "appealed" and r.effect_applied_at is None
    # The decision has no effect while the appeal runs: the licence is in force again, audited.
    assert world.licence.status == "active"
    undone = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.effect_undone")
    ).one()
    assert undone.entity_id == str(r.id) and "appeal" in undone.summary
    restored = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "licence.status", AuditEvent.entity_id == str(world.licence.id))
        .order_by(AuditEvent.id.desc())
    ).first()
    assert restored is not None and '"active"' in (restored.after_json or "")
    assert referral_process.apply_due_effects(session, at("2026-06-01")) == []
    _appeal_decided(session, world, r, "allowed")
    session.refresh(world.licence)
    assert world.licence.status == "active" and r.status == "closed"
    assert r.effect_summary == "The appeal was allowed: the decision did not take effect."
    assert referral_process.apply_due_effects(session, at("2026-07-01")) == []


@pytest.mark.parametrize(
    ("decision", "extra", "in_effect"),
    [
        ("revoke", {}, "revoked"),
        ("suspend", {"suspension_months": 2}, "suspended"),
    ],
)
def test_a_late_appeal_puts_back_the_status_the_licence_had_before_the_effect(
    session: Session, world: World, decision: str, extra: dict[str, object], in_effect: str
) -> None:
    """A licence suspended (by the licensing team) before the decision took effect is suspended
    again when a late appeal undoes the effect, not made active."""
    r = _decided(session, world, decision, **extra)
    licences.change_status(
        session,
        SYSTEM,
        at("2026-05-01", "09:00"),
        world.licence.id,
        "suspended",
        reason="suspended pending a review",
    )
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    session.refresh(world.licence)
    assert world.licence.status == in_effect and r.effect_applied_at is not None
    effect = session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.effect")).one()
    assert json.loads(effect.after_json or "{}")["licence_status_before"] == "suspended"
    _appeal(session, world, r, at("2026-05-11", "15:00"), at("2026-05-19", "10:00"))
    session.refresh(world.licence)
    assert r.status == "appealed" and r.effect_applied_at is None
    assert world.licence.status == "suspended"
    undone = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.effect_undone")
    ).one()
    assert json.loads(undone.after_json or "{}") == {"licence_status": "suspended"}


def test_an_effect_recorded_without_the_status_before_reads_it_from_the_licence_change(
    session: Session, world: World
) -> None:
    """Effects applied before the status was kept on their event: the licence's own audited
    status change says what it was."""
    r = _decided(session, world, "revoke")
    licences.change_status(
        session, SYSTEM, at("2026-05-01", "09:00"), world.licence.id, "suspended", reason="review"
    )
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    # A later effect event as they were written before (no licence_status_before).
    audit.record(
        session,
        SYSTEM,
        at("2026-05-12", "09:01"),
        action="referral.effect",
        entity_type="committee_referral",
        entity_id=r.id,
        summary="As effects were recorded before",
        before={"status": "decided"},
        after={"status": "closed"},
    )
    _appeal(session, world, r, at("2026-05-11", "15:00"), at("2026-05-19", "10:00"))
    session.refresh(world.licence)
    assert world.licence.status == "suspended"


def test_a_late_appeal_after_another_decisions_suspension_ended_makes_the_licence_active(
    session: Session, world: World
) -> None:
    """Suspended by one decision, revoked by another: once the suspension has run out, undoing
    the revocation leaves the licence active, not suspended for ever."""
    suspension = _decided(session, world, "suspend", suspension_months=2)
    revocation = _decided(session, world, "revoke")
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    session.refresh(world.licence)
    assert world.licence.status == "revoked"
    referral_process.apply_due_effects(session, at("2026-07-20", "09:00"))
    session.refresh(suspension)
    assert suspension.suspension_ended_at is not None
    _appeal(session, world, revocation, at("2026-05-11", "15:00"), at("2026-07-21", "10:00"))
    session.refresh(world.licence)
    assert revocation.effect_applied_at is None and world.licence.status == "active"


def test_a_late_recorded_appeal_dismissed_lets_the_decision_take_effect_again(
    session: Session, world: World
) -> None:
    r = _decided(session, world)
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    _appeal(session, world, r, at("2026-05-08", "15:00"), at("2026-05-19", "10:00"))
    session.refresh(world.licence)
    assert world.licence.status == "active"
    _appeal_decided(session, world, r, "dismissed")
    session.refresh(world.licence)
    assert world.licence.status == "revoked" and r.status == "closed"
    assert r.effect_applied_at is not None


def test_late_recorded_appeal_undoes_modified_conditions(session: Session, world: World) -> None:
    r = _decided(
        session,
        world,
        "modify_conditions",
        new_conditions=("No one shall sleep on the premises.",),
        withdrawn_condition_ids=frozenset({world.condition_id(3)}),
    )
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    _appeal(session, world, r, at("2026-05-10", "15:00"), at("2026-05-19", "10:00"))
    _appeal_decided(session, world, r, "allowed")
    session.expire_all()
    rows = session.scalars(
        select(LicenceCondition).where(LicenceCondition.licence_id == world.licence.id)
    ).all()
    assert all(not c.is_active for c in rows if c.source_referral_id == r.id)
    assert next(c for c in rows if c.number == 3).is_active is True


def test_an_appeal_lodged_after_the_appeal_period_is_refused(
    session: Session, world: World
) -> None:
    r = _decided(session, world)
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    with pytest.raises(ValidationFailed) as refused:
        _appeal(session, world, r, at("2026-05-13", "09:00"), at("2026-05-19", "10:00"))
    assert "The appeal period ended at" in refused.value.errors["lodged_on"]
    session.refresh(world.licence)
    assert world.licence.status == "revoked" and r.status == "closed"


def test_a_suspension_runs_until_its_date_then_the_licence_is_active_again(
    session: Session, world: World
) -> None:
    r = _decided(session, world, "suspend", suspension_months=2)
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    session.refresh(world.licence)
    assert world.licence.status == "suspended"
    assert r.suspension_ends_at == at("2026-07-12", "00:00")
    assert referral_process.apply_due_effects(session, at("2026-07-11", "23:00")) == []
    referral_process.apply_due_effects(session, at("2026-07-12", "00:30"))
    session.refresh(world.licence)
    assert world.licence.status == "active" and r.suspension_ended_at is not None


def test_modified_conditions_are_recorded_as_coming_from_the_review(
    session: Session, world: World
) -> None:
    r = _decided(
        session,
        world,
        "modify_conditions",
        new_conditions=("No one shall sleep on the premises.",),
        withdrawn_condition_ids=frozenset({world.condition_id(3)}),
    )
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    rows = session.scalars(
        select(LicenceCondition).where(LicenceCondition.licence_id == world.licence.id)
    ).all()
    added = [c for c in rows if c.source_referral_id == r.id]
    assert [(c.number, c.text) for c in added] == [(4, "No one shall sleep on the premises.")]
    assert next(c for c in rows if c.number == 3).is_active is False
    session.refresh(world.licence)
    assert world.licence.status == "active"


def test_a_decision_adds_its_conditions_to_a_licence_holding_the_most_it_may(
    session: Session, world: World
) -> None:
    held = session.scalar(
        select(func.count())
        .select_from(LicenceCondition)
        .where(LicenceCondition.licence_id == world.licence.id, LicenceCondition.is_active)
    )
    r = _decided(
        session,
        world,
        "modify_conditions",
        new_conditions=("No one shall sleep on the premises.",),
        withdrawn_condition_ids=frozenset(),
    )
    session.add_all(
        LicenceCondition(
            licence_id=world.licence.id,
            number=100 + i,
            text=f"Condition {i}",
            is_active=True,
            created_at=at("2026-05-01"),
        )
        for i in range(licences.MAX_CONDITIONS - (held or 0))
    )
    session.flush()
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    added = session.scalars(
        select(LicenceCondition).where(LicenceCondition.source_referral_id == r.id)
    ).all()
    assert [c.text for c in added] == ["No one shall sleep on the premises."]


def test_a_decision_to_remove_the_dps_clears_the_supervisor_from_the_licence(
    session: Session, world: World
) -> None:
    world.licence.dps_name = "Jo Supervisor"
    world.licence.dps_licence_no = "PA/123"
    world.licence.dps_postcode = "W6 9JU"
    session.flush()
    r = _decided(session, world, "remove_dps")
    referral_process.apply_due_effects(session, at("2026-05-12", "09:00"))
    session.refresh(world.licence)
    assert (world.licence.dps_name, world.licence.dps_licence_no, world.licence.dps_postcode) == (
        None,
        None,
        None,
    )
    assert world.licence.status == "active" and r.status == "closed"
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "licence.dps_removed")
    ).one()
    assert json.loads(event.before_json or "{}")["dps_name"] == "Jo Supervisor"
    assert json.loads(event.after_json or "{}")["dps_name"] is None


def test_a_special_treatment_licence_runs_through_the_1991_act_revocation(
    session: Session, world: World
) -> None:
    salon = make_premises(session, name="Lotus Massage", premises_type=PremisesType.MASSAGE)
    lic = make_licence(
        session, salon.id, regime="special_treatment", reference="ST/1", holder_name="Lotus Ltd"
    )
    from enforcement.inspections import inspections

    ins, _ = inspections.record_inspection(
        session,
        world.actors["officer"],
        NOW - timedelta(days=2),
        salon.id,
        inspections.InspectionInput(
            inspected_at=NOW - timedelta(days=2),
            reason="routine",
            idempotency_key="st-1",
            poster_displayed=False,
            poster_visible_public=False,
            poster_visible_workers=False,
        ),
    )
    officer, clerk = world.actors["officer"], world.actors["clerk"]
    with pytest.raises(ValidationFailed, match="no designated premises supervisor"):
        referrals.create_draft(
            session,
            officer,
            NOW,
            salon.id,
            full_draft(
                world,
                licence_id=lic.id,
                breach_of_conditions=False,
                condition_ids=frozenset(),
                evidence=frozenset({("poster_check", ins.id)}),
            ),
        )
    r = referrals.create_draft(
        session,
        officer,
        NOW,
        salon.id,
        full_draft(
            world,
            licence_id=lic.id,
            breach_of_conditions=False,
            condition_ids=frozenset(),
            evidence=frozenset({("poster_check", ins.id)}),
            dps_name=None,
        ),
    )
    assert r.tool == "special_treatment"
    referrals.submit(session, officer, NOW, r.id, r.version)
    referrals.sign_off(session, world.actors["supervisor"], NOW, r.id, r.version)
    referral_process.open_process(
        session, clerk, NOW, r.id, r.version, received_at=None, calendar=CAL, rulebook=BOOK
    )
    referral_process.list_hearing(
        session,
        clerk,
        NOW,
        r.id,
        r.version,
        hearing_at=NOW + timedelta(days=3),
        listed_at=NOW,
        calendar=CAL,
        rulebook=BOOK,
    )
    later = NOW + timedelta(days=4)
    referral_process.record_outcome(
        session,
        clerk,
        later,
        r.id,
        r.version,
        referral_process.OutcomeInput(
            held_at=NOW + timedelta(days=3),
            decided_at=NOW + timedelta(days=3, hours=2),
            decision="revoke",
            reasons="Trading conditions not met.",
            notified_at=later,
        ),
        calendar=CAL,
        rulebook=BOOK,
    )
    ends = session.scalar(
        select(CaseDeadline.due_at).where(
            CaseDeadline.case_id == r.case_id, CaseDeadline.rule_id == "llaa.appeal"
        )
    )
    assert ends is not None
    assert referral_process.apply_due_effects(session, ends - timedelta(hours=1)) == []
    referral_process.apply_due_effects(session, ends + timedelta(minutes=1))
    assert session.get(Licence, lic.id).status == "revoked"  # type: ignore[union-attr]


def test_the_clerks_lists(session: Session, world: World) -> None:
    clerk = world.actors["clerk"]
    r = _listed(session, world)
    q = referral_queries.ReferralQuery
    assert [
        row.id
        for row in referral_queries.search_referrals(session, clerk, NOW, q(view="hearings")).rows
    ] == [r.id]
    papers = referral_queries.search_referrals(session, clerk, NOW, q(view="papers")).rows
    assert [p.id for p in papers] == [r.id] and papers[0].notice_due_at is not None
    assert (
        referral_queries.search_referrals(session, clerk, NOW, q(view="awaiting_effect")).rows == []
    )
    assert referral_queries.search_referrals(session, clerk, NOW, q(status="draft")).rows == []
    with pytest.raises(ValidationFailed):
        referral_queries.search_referrals(session, clerk, NOW, q(view="nonsense"))
