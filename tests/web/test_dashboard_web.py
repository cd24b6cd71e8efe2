"""The dashboard, the data share and partners' submissions through their pages."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import markupsafe
import pytest
from builders import EAST, WEST, csrf_token, sign_in
from builders.measures import Borough, build
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement.measures import measures
from enforcement.measures.anonymise import FEWER_THAN_5, SCHEMA
from enforcement.models import AuditEvent, DataShare, PartnerSubmission, PartnerSubmissionRow

Q1 = "2026-Q1"
NUMERIC_CELL = re.compile(r'govuk-table__cell--numeric">([^<]*)<')
RECORD_LINK = re.compile(
    r'href="/(cases|flags|welfare-visits|premises|compliance|moontwist-training)[?"]'
)


@pytest.fixture
def borough(session: Session) -> Borough:
    b = build(session)
    session.commit()
    return b


def _as(client: FlaskClient, borough: Borough, who: str) -> FlaskClient:
    home = client.get("/")
    if home.status_code == 200:  # someone is signed in: sign them out first
        token = re.search(r'name="csrf_token" value="([^"]+)"', home.get_data(as_text=True))
        assert token
        client.post("/sign-out", data={"csrf_token": token.group(1)})
    resp = sign_in(client, borough.users[who].email)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    return client


def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    resp = client.get(path)
    assert resp.status_code == status, resp.get_data(as_text=True)[:3000]
    return resp.get_data(as_text=True)


def _main(page: str) -> str:
    """The page's main content (the navigation links to lists the person may open)."""
    return page[page.index("<main") : page.index("</main>")]


def _audits(session: Session, action: str) -> int:
    return session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def _produce(client: FlaskClient, quarter: str = Q1) -> int:
    token = csrf_token(client, "/data-shares")
    resp = client.post("/data-shares", data={"quarter": quarter, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _sign_off(client: FlaskClient, share_id: int, **extra: Any) -> Any:
    page = _page(client, f"/data-shares/{share_id}")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert version, "no sign-off form"
    data = {
        "version": version.group(1),
        "checked": "y",
        "csrf_token": csrf_token(client, f"/data-shares/{share_id}"),
    }
    return client.post(f"/data-shares/{share_id}/sign-off", data={**data, **extra})


def test_a_supervisor_sees_every_measure_as_a_chart_and_a_table_with_its_records(
    client: FlaskClient, borough: Borough, count_queries: Any
) -> None:
    _as(client, borough, "supervisor")
    count_queries.statements.clear()
    page = _page(client, f"/dashboard?quarter={Q1}")
    assert count_queries.count <= 80  # every measure, a few statements each, whatever the size
    for spec in measures():
        assert f'id="{spec.key}"' in page and str(markupsafe.escape(spec.title)) in page
        assert '<svg class="app-chart"' in page
        assert f'aria-labelledby="chart-{spec.key}-title chart-{spec.key}-desc"' in page
    assert page.count('<th scope="row"') > 50 and "<caption" in page
    # 4 visits made; the training share (1 of 3) meets its one-third target.
    assert "1 of 3 (33%)" in page and "Met" in page
    # Links to the records behind the figures, filtered, for a supervisor.
    assert f'href="/cases?ward={WEST.code}&amp;sort=-opened"' in page
    assert (
        "/welfare-visits?ward=" in page and "date_from=1&amp;date_from=1&amp;date_from=2026" in page
    )
    assert 'href="/moontwist-training"' in page
    # The previous quarter beside the targets of an increase.
    assert "Previous quarter" in page


def _section(page: str, key: str) -> str:
    start = page.index(f'<section class="app-figure" id="{key}"')
    return page[start : page.index("</section>", start)]


def test_the_figures_come_first_and_a_measure_of_zeros_is_folded_away(
    client: FlaskClient, borough: Borough
) -> None:
    _as(client, borough, "supervisor")
    # A quarter before the borough's records: most measures are all zero, a few (the premises
    # licensed today, never checked then) are not.
    page = _page(client, "/dashboard?quarter=2025-Q1")
    folded = [m.key for m in measures() if "The figures: all zero for" in _section(page, m.key)]
    assert folded and len(folded) < len(measures())
    for spec in measures():
        section = _section(page, spec.key)
        table = section.index('<table class="govuk-table app-figure__table"')
        chart = section.index('<svg class="app-chart"')
        if spec.key in folded:
            # Its table and chart are inside the folded details, not on the page.
            assert section.index("<details") < table < chart
        else:
            assert table < chart and "all zero" not in section
    assert "welfare_visits" in folded
    # In the borough's quarter, 4 welfare visits were made: that measure is shown.
    page = _page(client, f"/dashboard?quarter={Q1}")
    assert "The figures: all zero for" not in _section(page, "welfare_visits")


def test_one_ward_and_bad_choices(client: FlaskClient, borough: Borough) -> None:
    _as(client, borough, "analyst")
    page = _page(client, f"/dashboard?quarter={Q1}&ward={EAST.code}")
    assert "Eastward" in page and "by ward</span>" not in page  # no ward table for one ward
    assert _page(client, f"/dashboard?quarter={Q1}&ward=E05000000", 400).count("Choose a ward") >= 1
    assert "Choose a quarter" in _page(client, "/dashboard?quarter=1999-Q1", 400)
    # An analyst sees live figures but holds no training or compliance view: no links there.
    page = _page(client, f"/dashboard?quarter={Q1}")
    assert 'href="/moontwist-training"' not in page and 'href="/compliance"' not in page
    assert "/welfare-visits?ward=" in page


def test_print_view_shows_every_ward_table_and_the_print_stylesheet(
    client: FlaskClient, borough: Borough
) -> None:
    _as(client, borough, "supervisor")
    page = _page(client, f"/dashboard/print?quarter={Q1}")
    assert "Modern Slavery and Exploitation group" in page
    assert "dashboard.css" in page and "js/dashboard.js" in page
    assert "<details" not in page
    assert page.count("by ward, January to March 2026</caption>") >= len(measures()) - 2


@pytest.mark.parametrize("who", ["licensing", "admin", "wo1"])
def test_roles_without_the_dashboard_are_refused(
    client: FlaskClient, borough: Borough, who: str
) -> None:
    _as(client, borough, who)
    assert client.get("/dashboard").status_code == 403
    assert client.get("/data-shares").status_code == 403


def test_sign_off_before_download_and_every_step_audited(
    client: FlaskClient, session: Session, borough: Borough
) -> None:
    _as(client, borough, "analyst")
    share_id = _produce(client)
    assert _audits(session, "data_share.produce") == 1
    preview = _page(client, f"/data-shares/{share_id}")
    assert "Not signed off" in preview and FEWER_THAN_5 in preview
    # Nobody downloads it before sign-off, not even its producer.
    assert client.get(f"/data-shares/{share_id}.csv").status_code == 403
    _as(client, borough, "partner")
    assert client.get(f"/data-shares/{share_id}").status_code == 404  # partners: not yet
    assert client.get(f"/data-shares/{share_id}.json").status_code == 404
    _as(client, borough, "supervisor")
    resp = _sign_off(client, share_id, checked="")  # the confirmation is required
    assert resp.status_code == 400
    assert _sign_off(client, share_id).status_code == 302
    assert _audits(session, "data_share.sign_off") == 1
    assert _audits(session, "data_share.download") == 0
    resp = client.get(f"/data-shares/{share_id}.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert tuple(rows[0]) == SCHEMA
    visits = next(
        r
        for r in rows
        if r["measure"] == "welfare_visits"
        and r["ward_code"] == "ALL"
        and r["category"] == "visits"
    )
    assert visits["value"] == FEWER_THAN_5  # 4 visits
    _as(client, borough, "partner")
    resp = client.get(f"/data-shares/{share_id}.json")
    assert resp.status_code == 200
    document = json.loads(resp.get_data(as_text=True))
    assert document["quarter"] == Q1 and document["fields"] == list(SCHEMA)
    assert all(tuple(r) == SCHEMA for r in document["rows"])
    assert _audits(session, "data_share.download") == 2


def test_the_producer_cannot_sign_off_their_own_share(
    client: FlaskClient, session: Session, borough: Borough
) -> None:
    both = borough.users["analyst"]
    from builders import NOW, SYSTEM

    from enforcement.accounts import users

    users.update_user(
        session,
        SYSTEM,
        NOW,
        both.id,
        both.version,
        users.UserInput(
            email=both.email,
            display_name=both.display_name,
            organisation_id=both.organisation_id,
            roles=frozenset({"intel_analyst", "supervisor"}),
            ward_codes=frozenset(),
        ),
    )
    session.commit()
    _as(client, borough, "analyst")
    share_id = _produce(client)
    page = _page(client, f"/data-shares/{share_id}")
    assert "another supervisor must sign it off" in page and 'name="checked"' not in page
    token = csrf_token(client, f"/data-shares/{share_id}")
    resp = client.post(
        f"/data-shares/{share_id}/sign-off",
        data={"version": "1", "checked": "y", "csrf_token": token},
    )
    assert resp.status_code == 403
    assert session.get(DataShare, share_id).status == "awaiting_sign_off"


def test_partners_see_only_the_signed_off_anonymised_figures_and_no_links(
    client: FlaskClient, session: Session, borough: Borough
) -> None:
    _as(client, borough, "partner")
    page = _page(client, f"/dashboard?quarter={Q1}")
    assert "have not been signed off for sharing" in page
    assert "<svg" not in page
    assert _page(client, f"/dashboard?quarter={Q1}&view=", 200)  # no live figures to ask for
    assert "Choose which figures" in _page(client, f"/dashboard?quarter={Q1}&view=partners", 400)
    _as(client, borough, "analyst")
    share_id = _produce(client)
    _as(client, borough, "supervisor")
    assert _sign_off(client, share_id).status_code == 302
    _as(client, borough, "partner")
    for path in (f"/dashboard?quarter={Q1}", f"/dashboard/print?quarter={Q1}"):
        page = _page(client, path)
        assert "Signed off for partners" in page or "As signed off for partners" in page
        assert FEWER_THAN_5 in page and "Anonymised" in page
        assert not RECORD_LINK.search(_main(page)), RECORD_LINK.search(_main(page))
        shown = [v.strip() for v in NUMERIC_CELL.findall(page)]
        assert shown and not [v for v in shown if v in {"1", "2", "3", "4"}]
    # The partner picture: two partners shared, which is fewer than 5, so not met.
    assert "fewer than 5 (partners that shared figures)" in _page(
        client, f"/dashboard?quarter={Q1}"
    )


def test_the_anonymised_preview_matches_what_will_be_shared(
    client: FlaskClient, borough: Borough
) -> None:
    _as(client, borough, "supervisor")
    page = _page(client, f"/dashboard?quarter={Q1}&view=partners")
    assert "Preview: as partners would see them" in page and FEWER_THAN_5 in page
    assert not RECORD_LINK.search(_main(page))
    shown = [v.strip() for v in NUMERIC_CELL.findall(page)]
    assert not [v for v in shown if v in {"1", "2", "3", "4"}]


BAD_FILE = (
    "quarter,ward_code,measure,age_group,count\n"
    f"2026-Q1,{WEST.code},nrm_referrals,adult,3\n"
    "2026-Q2,,nrm_referrals,adult,2\n"  # line 3: another quarter
    f"2026-Q1,{EAST.code},nrm_referrals,teenager,1\n"  # line 4: no such age group
    "\n"
    "2026-Q1,W6 9JU,contacts_signposted,all,-4\n"  # line 6: a postcode and a negative count
    f"2026-Q1,{WEST.code},nrm_referrals,adult,5\n"  # line 7: the same as line 2
)


def _import(client: FlaskClient, body: str, organisation: str = "", quarter: str = Q1) -> Any:
    token = csrf_token(client, "/partner-submissions/new")
    return client.post(
        "/partner-submissions/new",
        data={
            "organisation_id": organisation,
            "quarter": quarter,
            "file": (io.BytesIO(body.encode()), "figures.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )


def test_an_import_with_any_bad_line_imports_nothing_and_reports_every_line(
    client: FlaskClient, session: Session, borough: Borough
) -> None:
    _as(client, borough, "partner_b")
    before_rows = session.scalar(select(func.count()).select_from(PartnerSubmissionRow))
    before_subs = session.scalar(select(func.count()).select_from(PartnerSubmission))
    mine = str(borough.orgs["b"])
    resp = _import(client, BAD_FILE, mine)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "nothing was imported" in page, _main(page)[:6000]
    lines = [
        int(n)
        for n in re.findall(
            r'<th scope="row" class="govuk-table__header govuk-table__header--numeric">(\d+)</th>',
            page,
        )
    ]
    assert lines == [3, 4, 6, 6, 7]
    assert "the same ward, measure and age group as line 2" in page.lower()
    assert session.scalar(select(func.count()).select_from(PartnerSubmissionRow)) == before_rows
    assert session.scalar(select(func.count()).select_from(PartnerSubmission)) == before_subs
    assert _audits(session, "partner_submission.import") == 3  # the fixture's own three
    good = "\n".join(BAD_FILE.splitlines()[:2]) + "\n"
    resp = _import(client, good, mine)
    assert resp.status_code == 302
    assert _audits(session, "partner_submission.import") == 4
    current = session.scalars(
        select(PartnerSubmission).where(
            PartnerSubmission.organisation_id == borough.orgs["b"],
            PartnerSubmission.status == "current",
        )
    ).all()
    assert len(current) == 1 and current[0].row_count == 1
    # A partner imports for their own organisation only.
    resp = _import(client, good, organisation=str(borough.orgs["a"]))
    assert resp.status_code == 403


def test_figures_from_summaries_are_the_same_page_and_say_how_fresh_they_are(
    client: FlaskClient, borough: Borough, session: Session
) -> None:
    from enforcement.clock import utcnow
    from enforcement.measures import summaries

    _as(client, borough, "supervisor")
    notice = re.compile(r'<p class="govuk-body-s app-summary-freshness">[^<]*</p>\s*')
    for path in (f"/dashboard?quarter={Q1}", f"/dashboard?quarter={Q1}&view=partners"):
        counted = _main(_page(client, path))
        assert not notice.search(counted)
        summaries.refresh(session, utcnow(), [summaries.Quarter.parse(Q1)])
        session.commit()
        kept = _main(_page(client, path))
        found = notice.search(kept)
        assert found and "come from summaries the scheduler keeps, counted on" in found.group(0)
        assert " ".join(notice.sub("", kept).split()) == " ".join(counted.split())
        session.execute(summaries.delete_all_statement())
        session.commit()
