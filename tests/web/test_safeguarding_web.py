"""Indicators and anonymous referral records through the pages of inspections and visits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from builders import NOW, csrf_token, make_inspection, make_licence, make_premises, sign_in
from builders.welfare import World, make_world, referral_input
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.clock import london_today, utcnow
from enforcement.models import Inspection, ReferralRecord
from enforcement.vocab import PremisesType


@pytest.fixture
def world(session: Session) -> World:
    w = make_world(session)
    session.commit()
    return w


def _as(client: FlaskClient, who: str) -> FlaskClient:
    resp = sign_in(client, f"{who}@example.gov.uk")
    assert resp.status_code == 302
    return client


def _today() -> list[str]:
    today = london_today(utcnow())
    return [str(today.day), str(today.month), str(today.year)]


def _referral(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "route": "nrm",
        "age_group": "adult",
        "consent_given": "yes",
        "gender": "male",
        "exploitation_types": ["labour"],
        "exploitation_place": "uk",
        "first_responder_type": "local_authority",
        "submitted_on": _today(),
    }
    data.update(overrides)
    return data


def test_an_inspection_records_indicators_then_each_referral_and_later_its_decisions(
    client: FlaskClient, session: Session, world: World
) -> None:
    nails = make_premises(
        session,
        name="Gloss Nails",
        premises_type=PremisesType.NAIL_BAR,
        language_codes=frozenset({"en"}),
    )
    make_licence(session, nails.id, regime="special_treatment")
    session.commit()
    officer = _as(client, "licensing_officer")
    path = f"/premises/{nails.id}/inspections/new"
    page = officer.get(path).get_data(as_text=True)
    # At a nail bar the labour group is offered before sexual exploitation.
    assert page.index("Labour exploitation") < page.index("Sexual exploitation")
    assert "Needs a conversation" in page and "Can be seen" in page
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', page)
    lic = re.search(r'name="licence_id" type="hidden" value="(\d*)"', page)
    assert key and lic
    resp = officer.post(
        path,
        data={
            "csrf_token": csrf_token(officer, path),
            "idempotency_key": key.group(1),
            "licence_id": lic.group(1),
            "inspected_on": _today(),
            "inspected_time": "00:01",
            "reason": "routine",
            "poster_displayed": "yes",
            "poster_visible": ["public", "workers"],
            "languages_displayed": ["en"],
            "indicators_labour": ["wages_withheld", "one_person_handles_all"],
            "indicators_general": ["no_id_documents"],
            "referrals_made": "yes",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    inspection = session.scalars(select(Inspection)).one()
    add = f"/inspections/{inspection.id}/referrals/new"
    assert resp.headers["Location"] == add
    assert inspection.follow_up_needed  # indicators observed
    # An adult's NRM referral without informed consent is refused, nothing kept, typed kept.
    resp = officer.post(
        add, data={"csrf_token": csrf_token(officer, add), **_referral(consent_given="no")}
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "An adult enters the NRM only with their informed consent" in body
    assert 'value="labour" checked' in body
    assert session.scalar(select(func.count()).select_from(ReferralRecord)) == 0
    resp = officer.post(add, data={"csrf_token": csrf_token(officer, add), **_referral()})
    assert resp.status_code == 302
    detail = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Pay is held back, or is below the minimum wage" in detail
    assert "Does not hold their own identity documents" in detail
    assert "Adult (18 or over); informed consent given" in detail
    assert "Awaited" in detail
    record = session.scalars(select(ReferralRecord)).one()
    outcomes = f"/anonymous-referrals/{record.id}"
    assert f'href="{outcomes}"' in detail
    # A version that is not a number (the hidden field tampered with) is a bad request.
    junk = officer.post(
        outcomes,
        data={
            "csrf_token": csrf_token(officer, outcomes),
            "version": "\n\n",
            "rg_outcome": "positive",
            "rg_decided_on": _today(),
        },
    )
    assert junk.status_code == 400
    session.refresh(record)
    assert record.rg_outcome is None
    resp = officer.post(
        outcomes,
        data={
            "csrf_token": csrf_token(officer, outcomes),
            "version": str(record.version),
            "rg_outcome": "positive",
            "rg_decided_on": _today(),
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    session.refresh(record)
    assert record.rg_outcome == "positive" and record.cg_outcome is None
    assert "Reasonable grounds: positive" in officer.get(resp.headers["Location"]).get_data(
        as_text=True
    )


def test_referral_pages_answer_only_those_who_record_the_visit_or_inspection(
    app: Flask, session: Session, world: World
) -> None:
    visit = world.log(session)
    inspection = make_inspection(
        session,
        world.west_premises.id,
        actor=world.actors["licensing_officer"],
        referrals=(referral_input(submitted_on=NOW.date()),),
    )
    session.commit()
    visit_record = session.scalars(
        select(ReferralRecord.id).where(ReferralRecord.welfare_visit_id == visit.id).limit(1)
    ).one()
    inspection_record = session.scalars(
        select(ReferralRecord.id).where(ReferralRecord.inspection_id == inspection.id)
    ).one()
    expected = {
        "ward_officer": (200, 200, 403, 403),
        "supervisor": (200, 200, 200, 200),
        "licensing_officer": (403, 403, 200, 200),
        "committee_clerk": (403, 403, 403, 403),
        "intel_analyst": (403, 403, 403, 403),
        "admin": (404, 404, 403, 403),
    }
    for who, codes in expected.items():
        c = _as(app.test_client(), who)
        got = tuple(
            c.get(path).status_code
            for path in (
                f"/welfare-visits/{visit.id}/referrals/new",
                f"/anonymous-referrals/{visit_record}",
                f"/inspections/{inspection.id}/referrals/new",
                f"/anonymous-referrals/{inspection_record}",
            )
        )
        assert got == codes, who
