"""Inspections: recording once, poster compliance, follow-ups, corrections, the compliance report."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import NOW, SYSTEM, make_licence, make_premises, make_user, make_wards
from builders.register import EAST, WEST
from builders.support import make_service
from image_helpers import png
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.access import Actor
from enforcement.accounts import users
from enforcement.clock import end_of_london_day
from enforcement.errors import Forbidden, StaleEdit, ValidationFailed
from enforcement.inspections import evidence, inspections
from enforcement.models import AuditEvent, Reminder
from enforcement.models.inspections import PremisesCompliance
from enforcement.register import support
from enforcement.reminders import reminders
from enforcement.reminders.vocab import ReminderKind
from enforcement.vocab import PremisesType


@pytest.fixture
def officer(session: Session) -> Actor:
    make_wards(session)
    return users.actor_for(make_user(session, "licensing_officer"))


def _input(key: str = "k1", **overrides: object) -> inspections.InspectionInput:
    data: dict[str, object] = {
        "inspected_at": NOW - timedelta(hours=2),
        "reason": "routine",
        "idempotency_key": key,
        "poster_displayed": True,
        "poster_visible_public": True,
        "poster_visible_workers": True,
        "languages_displayed": frozenset({"en", "vi"}),
    }
    data.update(overrides)
    return inspections.InspectionInput(**data)  # type: ignore[arg-type]


def _premises(session: Session, langs: frozenset[str] = frozenset({"en", "vi"})) -> int:
    p = make_premises(session, premises_type=PremisesType.NAIL_BAR, language_codes=langs)
    return p.id


def test_compliant_check_needs_no_follow_up(session: Session, officer: Actor) -> None:
    pid = _premises(session)
    i, created = inspections.record_inspection(session, officer, NOW, pid, _input())
    assert created and i.poster_compliant and not i.follow_up_needed
    assert session.scalars(select(Reminder)).all() == []
    row = session.get(PremisesCompliance, pid)
    assert row is not None and row.poster_compliant and row.latest_inspection_id == i.id


def test_failed_check_says_what_is_missing_and_schedules_a_follow_up(
    session: Session, officer: Actor
) -> None:
    pid = _premises(session)
    i, _ = inspections.record_inspection(
        session,
        officer,
        NOW,
        pid,
        _input(poster_visible_workers=False, languages_displayed=frozenset({"en"})),
        follow_up_days=10,
    )
    assert (
        not i.poster_compliant
        and i.poster_shortfall == "not visible to workers; missing Vietnamese"
    )
    r = session.scalars(select(Reminder)).one()
    assert r.kind == ReminderKind.FOLLOW_UP_INSPECTION and r.owner_user_id == officer.user_id
    # 10 days starting the day after the inspection (2 March 2026): by the end of 12 March.
    assert r.due_at == end_of_london_day(date(2026, 3, 12)) and r.team == "licensing"
    assert [t.id for t in reminders.open_for(session, officer)] == [r.id]
    assert session.get(PremisesCompliance, pid).missing_languages == "vi"  # type: ignore[union-attr]


def test_same_form_submitted_twice_records_one_inspection(session: Session, officer: Actor) -> None:
    pid = _premises(session)
    first, created1 = inspections.record_inspection(session, officer, NOW, pid, _input("same"))
    second, created2 = inspections.record_inspection(session, officer, NOW, pid, _input("same"))
    assert created1 and not created2 and first.id == second.id
    assert len(inspections.inspections_of(session, officer, pid)) == 1


def test_breached_condition_needs_a_follow_up_and_a_follow_up_closes_it(
    session: Session, officer: Actor
) -> None:
    pid = _premises(session)
    lic = make_licence(
        session, pid, regime="special_treatment", conditions=("No locks outside", "Register kept")
    )
    conds = sorted(
        c.id
        for c in session.scalars(
            select(inspections.LicenceCondition).where(
                inspections.LicenceCondition.licence_id == lic.id
            )
        )
    )
    i, _ = inspections.record_inspection(
        session,
        officer,
        NOW,
        pid,
        _input(
            licence_id=lic.id,
            findings=(
                inspections.FindingInput(conds[0], "breached", "Lock on outside of door"),
                inspections.FindingInput(conds[1], "complied"),
            ),
        ),
    )
    assert i.poster_compliant and i.follow_up_needed
    follow = _input("k2", reason="follow_up", inspected_at=NOW - timedelta(hours=1))
    inspections.record_inspection(session, officer, NOW, pid, follow)
    assert session.scalars(select(Reminder.status)).all() == ["done"]


def test_a_correction_that_finds_the_same_conditions_again_keeps_their_rows(
    session: Session, officer: Actor
) -> None:
    pid = _premises(session)
    lic = make_licence(session, pid, regime="special_treatment", conditions=("A", "B"))
    first, second = sorted(c.id for c in lic.conditions)
    i, _ = inspections.record_inspection(
        session,
        officer,
        NOW,
        pid,
        _input(
            licence_id=lic.id,
            findings=(
                inspections.FindingInput(first, "breached", "Lock on outside of door"),
                inspections.FindingInput(second, "complied"),
            ),
        ),
    )
    rows = {f.condition_id: f.id for f in i.findings}
    corrected = _input(
        licence_id=lic.id,
        findings=(
            inspections.FindingInput(first, "complied"),
            inspections.FindingInput(second, "complied", "Register seen"),
        ),
    )
    inspections.correct_inspection(
        session, officer, NOW + timedelta(hours=1), i.id, i.version, corrected
    )
    session.flush()
    found = {f.condition_id: (f.id, f.finding, f.note) for f in i.findings}
    assert found == {
        first: (rows[first], "complied", None),
        second: (rows[second], "complied", "Register seen"),
    }
    assert not i.follow_up_needed


def test_bad_input_is_refused_with_every_problem(session: Session, officer: Actor) -> None:
    pid = _premises(session)
    other = make_licence(session, make_premises(session).id, conditions=("c",))
    bad = _input(
        inspected_at=NOW + timedelta(days=1),
        reason="raid",
        poster_displayed=False,
        licence_id=other.id,
        languages_displayed=frozenset({"xx"}),
    )
    with pytest.raises(ValidationFailed) as err:
        inspections.record_inspection(session, officer, NOW, pid, bad)
    assert {
        "inspected_at",
        "reason",
        "poster_displayed",
        "licence_id",
        "languages_displayed",
    } <= set(err.value.errors)
    assert inspections.inspections_of(session, officer, pid) == []


def test_author_corrects_within_a_day_then_only_a_supervisor(
    session: Session, officer: Actor
) -> None:
    pid = _premises(session)
    i, _ = inspections.record_inspection(
        session, officer, NOW, pid, _input(languages_displayed=frozenset({"en"}))
    )
    assert i.follow_up_needed
    fixed = _input(languages_displayed=frozenset({"en", "vi"}))
    inspections.correct_inspection(
        session, officer, NOW + timedelta(hours=3), i.id, i.version, fixed
    )
    assert i.poster_compliant and not i.follow_up_needed
    assert session.scalars(select(Reminder.status)).all() == [
        "done"
    ]  # the follow-up is no longer owed
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "inspection.correct")).one()
    assert '"poster_compliant": false' in (ev.before_json or "") and '"poster_compliant": true' in (
        ev.after_json or ""
    )
    with pytest.raises(Forbidden):
        inspections.correct_inspection(
            session, officer, NOW + timedelta(hours=25), i.id, i.version, fixed
        )
    other = users.actor_for(make_user(session, "licensing_officer"))
    with pytest.raises(Forbidden):
        inspections.correct_inspection(
            session, other, NOW + timedelta(hours=1), i.id, i.version, fixed
        )
    boss = users.actor_for(make_user(session, "supervisor"))
    inspections.correct_inspection(
        session,
        boss,
        NOW + timedelta(days=30),
        i.id,
        i.version,
        _input(
            poster_displayed=False,
            poster_visible_public=False,
            poster_visible_workers=False,
            languages_displayed=frozenset(),
        ),
    )
    assert not i.poster_compliant
    with pytest.raises(StaleEdit):
        inspections.correct_inspection(
            session, boss, NOW + timedelta(days=30), i.id, i.version - 1, fixed
        )


def test_compliance_report_counts_latest_checks_per_ward(session: Session, officer: Actor) -> None:
    checked_ok = _premises(session)
    checked_bad = _premises(session, frozenset({"en", "ro"}))
    never = _premises(session)
    unlicensed = _premises(session)
    for pid in (checked_ok, checked_bad, never):
        make_licence(session, pid, regime="special_treatment")
    inspections.record_inspection(session, officer, NOW, checked_ok, _input("a"))
    inspections.record_inspection(
        session, officer, NOW, checked_bad, _input("b", inspected_at=NOW - timedelta(days=400))
    )
    inspections.record_inspection(session, officer, NOW, unlicensed, _input("c"))
    supervisor = users.actor_for(make_user(session, "supervisor"))
    report = inspections.compliance_report(session, supervisor, NOW)
    west = next(w for w in report.wards if w.code == "E05999901")
    assert (west.licensed, west.checked, west.compliant, west.never_checked, west.stale) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert report.overall.licensed == 3
    assert report.missing_languages == [("Romanian", 1)]
    # Premises outside the borough come after the wards, on either database.
    away = make_premises(session, longitude=None, latitude=None)
    make_licence(session, away.id, regime="special_treatment")
    rows = inspections.compliance_report(session, supervisor, NOW).wards
    assert [w.code for w in rows][-1] is None and rows[0].code == "E05999901"
    assert rows[-1].name == "Outside the borough or not located" and rows[-1].licensed == 1
    text = inspections.compliance_csv(session, supervisor, NOW)
    assert "E05999901,Westward,3,2,1,0.333,1,1" in text
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "compliance.export")).one()
    partner = users.actor_for(make_user(session, "partner"))
    with pytest.raises(Forbidden):
        inspections.compliance_report(session, partner, NOW)


def test_a_ward_name_a_spreadsheet_would_run_is_guarded_in_the_compliance_csv(
    session: Session,
) -> None:
    make_wards(session, [replace(WEST, name="=HYPERLINK(1)"), EAST])
    make_licence(session, make_premises(session).id, regime="special_treatment")
    supervisor = users.actor_for(make_user(session, "supervisor"))
    rows = list(csv.reader(io.StringIO(inspections.compliance_csv(session, supervisor, NOW))))
    names = [row[1] for row in rows[1:]]
    assert "'=HYPERLINK(1)" in names
    assert not any(cell[:1] in "=+-@" for row in rows for cell in row if cell)


def test_photos_are_checked_by_content_and_stored_once(
    session: Session, officer: Actor, tmp_path: Path
) -> None:
    photo = png()
    stored = evidence.store_image(session, officer, NOW, photo, tmp_path, max_bytes=10_000)
    again = evidence.store_image(session, officer, NOW, photo, tmp_path, max_bytes=10_000)
    kept = evidence.path_for(tmp_path, stored.sha256).read_bytes()
    assert stored.id == again.id and stored.content_type == "image/png"
    assert hashlib.sha256(kept).hexdigest() == stored.sha256 and stored.size_bytes == len(kept)
    # Named by the hash of what is kept, never by what was uploaded.
    assert stored.original_name == f"evidence-{stored.sha256[:16]}.png"
    with pytest.raises(ValidationFailed, match="JPG, PNG or WebP"):
        evidence.store_image(
            session, officer, NOW, b"<html>not an image</html>", tmp_path, max_bytes=1000
        )
    with pytest.raises(ValidationFailed, match="smaller than"):
        evidence.store_image(session, officer, NOW, photo, tmp_path, max_bytes=len(photo) - 1)
    assert SYSTEM


def test_services_signposted_are_stored_shown_and_withdrawn_ones_refused(
    session: Session, officer: Actor
) -> None:
    pid = _premises(session)
    helpline = make_service(session, name="Modern Slavery Helpline")
    shelter = make_service(session, name="Ashford Refuge")
    gone = make_service(session, name="Closed Project", active=False)
    with pytest.raises(ValidationFailed) as refused:
        inspections.record_inspection(
            session, officer, NOW, pid, _input(services=frozenset({helpline.id, gone.id}))
        )
    assert set(refused.value.errors) == {"services"}
    with pytest.raises(ValidationFailed):
        inspections.record_inspection(
            session, officer, NOW, pid, _input(services=frozenset({2_000_000}))
        )
    i, _ = inspections.record_inspection(
        session, officer, NOW, pid, _input(services=frozenset({helpline.id, shelter.id}))
    )
    session.expire_all()
    detail = inspections.get_inspection(session, officer, i.id)
    assert detail.services == ["Ashford Refuge", "Modern Slavery Helpline"]
    created = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "inspection.create")
    ).one()
    assert f'"services": [{min(helpline.id, shelter.id)}, {max(helpline.id, shelter.id)}]' in (
        created.after_json or ""
    )
    # A service withdrawn later stays on the inspection through a correction; a new withdrawn
    # one is still refused.
    support.set_service_active(session, SYSTEM, NOW, shelter.id, False)
    inspections.correct_inspection(
        session,
        officer,
        NOW + timedelta(hours=1),
        i.id,
        detail.inspection.version,
        _input(services=frozenset({shelter.id})),
    )
    session.expire_all()
    assert inspections.get_inspection(session, officer, i.id).services == ["Ashford Refuge"]
    with pytest.raises(ValidationFailed) as again:
        inspections.correct_inspection(
            session,
            officer,
            NOW + timedelta(hours=1),
            i.id,
            i.version,
            _input(services=frozenset({shelter.id, gone.id})),
        )
    assert set(again.value.errors) == {"services"}
