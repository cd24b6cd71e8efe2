"""The audit log within need-to-know: a record's content in the trail follows the record's policy."""

from __future__ import annotations

import pytest
from builders import NOW, post, sign_in
from builders.referrals import DPS, NARRATIVE, OBSERVATIONS, World, full_draft, make_world
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.audit import WITHHELD
from enforcement.models import AuditEvent, Referral
from enforcement.referrals import drafting as referrals

NARRATIVE_WORDS = NARRATIVE.split("\n")[0][:60]
OBSERVED = OBSERVATIONS.split(".")[0]


@pytest.fixture
def world(session: Session) -> World:
    made = make_world(session)
    referrals.create_draft(session, made.actors["officer"], NOW, made.premises.id, full_draft(made))
    session.commit()
    return made


def _trail(client: FlaskClient) -> str:
    pages = [
        client.get(f"/admin/audit?entity_type={kind}").get_data(as_text=True)
        for kind in ("committee_referral", "inspection")
    ]
    export = client.get("/admin/audit.csv")
    assert export.status_code == 200
    return "\n".join([*pages, export.get_data(as_text=True)])


def test_an_admin_reads_who_did_what_but_not_what_restricted_records_say(
    client: FlaskClient, session: Session, world: World
) -> None:
    sign_in(client, "admin@example.gov.uk")
    referral = session.scalars(select(Referral)).one()
    assert client.get(f"/referrals/{referral.id}").status_code == 403
    assert client.get(f"/inspections/{world.inspections[0].id}").status_code == 403
    trail = _trail(client)
    for secret in (NARRATIVE_WORDS, DPS, OBSERVED):
        assert secret not in trail, secret
    # The events are there, with their action and record, their content withheld.
    assert "referral.create" in trail and "inspection.create" in trail
    assert WITHHELD in trail


def test_a_supervisor_who_may_read_the_records_reads_their_trail(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "supervisor@example.gov.uk")
    trail = _trail(client)
    for secret in (NARRATIVE_WORDS, DPS, OBSERVED):
        assert secret in trail, secret


def test_refused_requests_for_visits_photos_and_referrals_are_audited_like_flags(
    client: FlaskClient, session: Session, world: World
) -> None:
    sign_in(client, "admin@example.gov.uk")
    admin_id = world.actors["admin"].user_id
    referral = session.scalars(select(Referral)).one()
    for path, status, action in (
        (f"/referrals/{referral.id}", 403, "committee_referral.refused"),
        (f"/welfare-visits/{world.visit.id}", 404, "welfare_visit.refused"),
        ("/evidence/1", 403, "evidence_file.refused"),
        (f"/flags/{world.c_flag.id}", 404, "intel_flag.refused"),
    ):
        assert client.get(path).status_code == status, path
        last = session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == admin_id).order_by(AuditEvent.id.desc())
        ).first()
        assert last is not None and last.action == action, path
        assert last.summary == f"Refused: GET {path}" or action == "intel_flag.refused"
    # A refused POST keeps nothing of what it tried: only the refusal.
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    refused = post(client, f"/referrals/{referral.id}/sign-off", {}, page="/admin/audit")
    assert refused.status_code == 403
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == (before or 0) + 1
