"""The quarterly data share and partners' submissions in the domain, on both databases."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from builders import SYSTEM
from builders.measures import AFTER, Q1, Borough, E, W, at, build
from builders.welfare import referral_input
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.measures import Quarter, anonymise, data_share
from enforcement.measures import dashboard as boards
from enforcement.measures.anonymise import FEWER_THAN_5, SUPPRESSED
from enforcement.models import AuditEvent, PartnerSubmission, PartnerSubmissionRow, ReferralRecord
from enforcement.safeguarding import records


@pytest.fixture
def borough(session: Session) -> Borough:
    b = build(session)
    session.commit()
    return b


def _cell(rows: list[dict[str, object]], measure: str, ward: str, category: str) -> object:
    return next(
        r["value"]
        for r in rows
        if r["measure"] == measure and r["ward_code"] == ward and r["category"] == category
    )


def _audits(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_a_share_is_produced_anonymised_signed_off_then_downloaded(
    session: Session, borough: Borough
) -> None:
    analyst, supervisor = borough.actors["analyst"], borough.actors["supervisor"]
    with pytest.raises(ValidationFailed):  # the quarter has not ended on 15 March
        data_share.produce_share(session, analyst, at(2026, 3, 15), Q1)
    share = data_share.produce_share(session, analyst, AFTER, Q1)
    rows = data_share.get_share(session, analyst, share.id).rows
    anonymise.check_rows(rows)
    assert share.row_count == len(rows) and share.status == data_share.AWAITING
    # Small numbers: 4 visits in the borough, 2 in each ward.
    assert _cell(rows, "welfare_visits", "ALL", "visits") == FEWER_THAN_5
    assert _cell(rows, "welfare_visits", W, "visits") == FEWER_THAN_5
    # Differencing: partners' NRM referrals were 7 adults and 1 child of 8. The child is fewer
    # than 5, so the adults are withheld too, or 8 - 7 would give the child away.
    assert _cell(rows, "partner_nrm_by_age", "ALL", "child") == FEWER_THAN_5
    assert _cell(rows, "partner_nrm_by_age", "ALL", "adult") == SUPPRESSED
    assert _cell(rows, "partner_nrm_by_age", "ALL", "referrals") == 8
    assert _cell(rows, "partner_figures", "UNKNOWN", "contacts_signposted") == 40
    assert _cell(rows, "partner_figures", E, "contacts_signposted") == 0
    # Dates to the month; no field outside the schema.
    assert {(r["month_from"], r["month_to"]) for r in rows} == {("2026-01", "2026-03")}
    assert all(tuple(r) == anonymise.SCHEMA for r in rows)

    with pytest.raises(Forbidden):  # downloads wait for sign-off
        data_share.download_share(session, analyst, AFTER, share.id, "csv")
    with pytest.raises(NotFound):  # partners do not see it yet
        data_share.get_share(session, borough.actors["partner"], share.id)
    assert boards.signed_off_dashboard(session, borough.actors["partner"], AFTER, Q1).figures == []
    with pytest.raises(Forbidden):  # analysts produce; supervisors sign off
        data_share.sign_off_share(session, analyst, AFTER, share.id, share.version)
    with pytest.raises(StaleEdit) as stale:
        data_share.sign_off_share(session, supervisor, AFTER, share.id, share.version + 1)
    # The sign-off page keeps the version it was opened with: the way on is to open it again.
    assert stale.value.message == (
        "Someone else changed this data share while you had it open. Nothing has been saved."
        " Open the data share again to see their changes, then try again."
    )
    signed = data_share.sign_off_share(session, supervisor, AFTER, share.id, share.version)
    assert signed.status == data_share.SIGNED_OFF and signed.signed_off_by_id == supervisor.user_id

    got = data_share.download_share(session, borough.actors["partner"], AFTER, share.id, "json")
    document = json.loads(got.content)
    assert document["rows"] == rows and document["produced_month"] == "2026-04"
    csv_text = data_share.download_share(session, supervisor, AFTER, share.id, "csv").content
    assert csv_text.splitlines()[0] == ",".join(anonymise.SCHEMA)
    assert len(csv_text.splitlines()) == len(rows) + 1
    assert [e.entity_id for e in _audits(session, "data_share.produce")] == [str(share.id)]
    assert len(_audits(session, "data_share.sign_off")) == 1
    assert [
        json.loads(e.after_json or "{}")["format"] for e in _audits(session, "data_share.download")
    ] == ["json", "csv"]


def test_a_new_edition_supersedes_and_partners_see_the_signed_off_one(
    session: Session, borough: Borough
) -> None:
    analyst, partner = borough.actors["analyst"], borough.actors["partner"]
    first = data_share.produce_share(session, analyst, AFTER, Q1)
    data_share.sign_off_share(session, borough.actors["supervisor"], AFTER, first.id, first.version)
    second = data_share.produce_share(session, analyst, AFTER + timedelta(days=1), Q1)
    assert (first.status, second.status, second.edition) == ("signed_off", "awaiting_sign_off", 2)
    board = boards.signed_off_dashboard(session, partner, AFTER, Q1)
    assert board.share is not None and board.share.id == first.id
    session.refresh(second)
    data_share.sign_off_share(
        session, borough.actors["supervisor2"], AFTER, second.id, second.version
    )
    session.refresh(first)
    assert first.status == data_share.SUPERSEDED
    board = boards.signed_off_dashboard(session, partner, AFTER, Q1)
    assert board.share is not None and board.share.id == second.id
    assert [s.id for s in data_share.list_shares(session, partner)] == [second.id, first.id]
    # The partner's dashboard holds the share's values, never a count from 1 to 4, and no links.
    for f in board.figures:
        assert not f.links and not any(w.links for w in f.wards)
        for value in [*f.values.values(), *(v for w in f.wards for v in w.values.values())]:
            assert not (isinstance(value, int) and 0 < value < 5)


def test_the_preview_is_the_borough_anonymised_then_the_ward_taken_from_it(
    session: Session, borough: Borough
) -> None:
    supervisor = borough.actors["supervisor"]
    share = data_share.produce_share(session, borough.actors["analyst"], AFTER, Q1)
    rows = data_share.get_share(session, supervisor, share.id).rows
    board = boards.anonymised_preview(session, supervisor, AFTER, Q1, W)
    for f in board.figures:
        for code, value in f.values.items():
            assert value == _cell(rows, f.measure.key, W, code), (f.measure.key, code)


def test_an_import_is_all_or_nothing(session: Session, borough: Borough) -> None:
    partner = borough.actors["partner_b"]
    before = session.scalar(select(func.count()).select_from(PartnerSubmissionRow))
    bad = (
        "quarter,ward_code,measure,age_group,count\n"
        f"2026-Q1,{W},premises_reported,all,3\n"
        "2026-Q1,,duty_to_notify,child,2\n"  # Duty to Notify is for adults
    ).encode()
    with pytest.raises(data_share.SubmissionRejected) as refused:
        data_share.import_submission(session, partner, AFTER, None, Q1, bad)
    assert [p.line for p in refused.value.problems] == [3]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(PartnerSubmissionRow)) == before
    with pytest.raises(Forbidden):
        data_share.import_submission(session, partner, AFTER, borough.orgs["a"], Q1, bad)
    with pytest.raises(ValidationFailed) as future:
        data_share.import_submission(session, partner, AFTER, None, Quarter(2026, 3), bad)
    assert "quarter" in future.value.errors
    good = bad.decode().splitlines()[:2]
    submission = data_share.import_submission(
        session, partner, AFTER, None, Q1, ("\n".join(good) + "\n").encode()
    )
    assert submission.organisation_id == borough.orgs["b"]
    # Charity B's earlier file for the quarter is kept, but no longer counts.
    statuses = session.scalars(
        select(PartnerSubmission.status)
        .where(PartnerSubmission.organisation_id == borough.orgs["b"])
        .order_by(PartnerSubmission.id)
    ).all()
    assert statuses == ["superseded", "current"]
    assert len(_audits(session, "partner_submission.import")) == 4


def test_the_share_counts_referral_records_by_age_group_with_small_numbers_withheld(
    session: Session, borough: Borough
) -> None:
    # Five more adults referred to the NRM and five Duty to Notify reports, from the nail bar's
    # inspection in Westward (ward: 7 adults, 1 child, 6 reports; borough: 7, 2 and 8).
    inspection_id = session.scalars(
        select(ReferralRecord.inspection_id).where(ReferralRecord.inspection_id.is_not(None))
    ).one()
    assert inspection_id is not None
    source = records.Source(records.INSPECTION, inspection_id)
    for route, consent in [("nrm", True)] * 5 + [("duty_to_notify", False)] * 5:
        records.record_referral(
            session,
            SYSTEM,
            at(2026, 2, 11, 9),
            source,
            referral_input(route=route, consent_given=consent, submitted_on=date(2026, 2, 11)),
        )
    session.commit()
    share = data_share.produce_share(session, borough.actors["analyst"], AFTER, Q1)
    rows = data_share.get_share(session, borough.actors["analyst"], share.id).rows
    anonymise.check_rows(rows)

    def cells(ward: str) -> dict[str, object]:
        return {
            c: _cell(rows, "nrm_referrals", ward, c)
            for c in ("nrm_adult", "nrm_child", "nrm_age_not_known", "duty_to_notify", "referrals")
        }

    # One small count in a group that adds up to a published total: another part is withheld
    # too, so the child cannot be worked out by subtraction (in the ward and in the borough,
    # and so on through the wards adding up to the borough).
    for ward in ("ALL", W):
        got = cells(ward)
        assert got["nrm_child"] == FEWER_THAN_5
        withheld = [c for c, v in got.items() if v in (FEWER_THAN_5, SUPPRESSED)]
        assert len(withheld) >= 2 and SUPPRESSED in got.values(), got
    assert cells("ALL")["duty_to_notify"] == 8
    assert cells(E)["nrm_child"] == FEWER_THAN_5 and cells(E)["referrals"] == FEWER_THAN_5
