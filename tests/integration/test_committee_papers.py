"""Committee papers: one model, two versions, two renderers; nothing restricted in the public one.

The Word files are opened with python-docx and searched in full (paragraphs, tables, headers)
for every restricted string of the fixture.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import docx
import pytest
from builders import BOOK, CAL, NOW
from builders.referrals import OFFICER, RESTRICTED, World, at, full_draft, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement.errors import Forbidden, ValidationFailed
from enforcement.models import AuditEvent, Referral
from enforcement.referrals import drafting as referrals
from enforcement.referrals import process as referral_process
from enforcement.referrals.papers import committee as committee_papers
from enforcement.referrals.vocab import EXEMPT_MARKER

HEADINGS = [
    "1. Summary",
    "2. Premises and licence details",
    "3. Legal framework and the options open to the sub-committee",
    "4. The grounds for the referral",
    "5. Chronology of the evidence",
    "6. Representations",
    "7. Recommendation",
    "8. Offer of support to victims and survivors",
    "Appendix A: Licence conditions",
    "Appendix B: Evidence schedule",
]
BANNED = ("brothel", "rescue", "punter", "prostitute", "the vulnerable")


@pytest.fixture
def referral(session: Session) -> tuple[World, Referral]:
    world = make_world(session)
    officer, clerk = world.actors["officer"], world.actors["clerk"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW, r.id, r.version)
    referrals.sign_off(session, world.actors["supervisor"], NOW, r.id, r.version)
    received = at("2026-03-03", "09:00")
    later = at("2026-03-10")
    referral_process.open_process(
        session, clerk, later, r.id, r.version, received_at=received, calendar=CAL, rulebook=BOOK
    )
    referral_process.list_hearing(
        session,
        clerk,
        later,
        r.id,
        r.version,
        hearing_at=at("2026-04-20"),
        listed_at=later,
        calendar=CAL,
        rulebook=BOOK,
    )
    referral_process.add_representations(
        session,
        clerk,
        later,
        r.id,
        r.version,
        referral_process.RepresentationInput(
            "resident", 3, f"Complaints naming {OFFICER}.", later.date()
        ),
    )
    return world, r


def docx_text(content: bytes) -> tuple[str, list[str], list[list[list[str]]]]:
    """Return a Word file's whole text, its Heading 1 titles and its tables' cells."""
    document = docx.Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    headings = [
        p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"
    ]
    tables = [[[cell.text for cell in row.cells] for row in t.rows] for t in document.tables]
    lines += [cell for table in tables for row in table for cell in row]
    for section in document.sections:
        lines += [p.text for p in section.header.paragraphs]
    return "\n".join(lines), headings, tables


def _produce(session: Session, world: World, r: Referral, version: str, fmt: str) -> bytes:
    return committee_papers.produce(
        session, world.actors["clerk"], at("2026-03-12"), r.id, version, fmt, BOOK
    ).content


def test_the_word_paper_has_the_report_sections_and_the_chronology_in_date_order(
    session: Session, referral: tuple[World, Referral]
) -> None:
    world, r = referral
    text, headings, tables = docx_text(_produce(session, world, r, "public", "docx"))
    assert headings == HEADINGS
    assert "Review of premises licence PL/2026/0042: The Crown" in text
    chronology = next(t for t in tables if t[0] == ["Date", "Item", "Evidence", "What it shows"])
    rows = chronology[1:]
    assert [row[1] for row in rows] == [f"E{n}" for n in range(1, len(rows) + 1)]
    days = [datetime.strptime(row[0], "%d %B %Y").date() for row in rows]  # noqa: DTZ007
    assert days == sorted(days) and len(rows) == 6
    conditions = next(t for t in tables if t[0] == ["No.", "Condition", "Status"])
    assert [row[2] for row in conditions[1:]] == ["In force", "Breached (section 4)", "In force"]
    breaches = next(t for t in tables if t[0] == ["Condition", "Wording", "Found breached at"])
    assert breaches[1][0] == "2" and breaches[1][2].count("inspection on") == 2
    timetable = next(t for t in tables if t[0] == ["What", "By when", "Provision"])
    assert any("Review hearing must start" in row[0] for row in timetable)
    for word in BANNED:
        assert word not in text.lower()


def test_the_public_paper_withholds_every_restricted_string_and_the_exempt_one_has_them(
    session: Session, referral: tuple[World, Referral]
) -> None:
    world, r = referral
    public, _, _ = docx_text(_produce(session, world, r, "public", "docx"))
    exempt, _, _ = docx_text(_produce(session, world, r, "exempt", "docx"))
    for secret in RESTRICTED:
        assert secret.lower() not in public.lower(), f"{secret!r} is in the public paper"
        assert secret in exempt, f"{secret!r} is missing from the exempt paper"
    assert f"[{EXEMPT_MARKER}]" in public
    assert public.count(EXEMPT_MARKER) >= 8
    assert "Public version" in public and "Exempt version: not for publication" in exempt
    # The representation summaries may identify who made them: exempt only, counts public.
    assert "Complaints naming" not in public and "Complaints naming" in exempt
    assert (
        "Residents | 3"
        in committee_papers.build(
            committee_papers.gather(session, r.id, BOOK, NOW), committee_papers.PaperVersion.PUBLIC
        ).plain_text()
    )


def test_html_and_word_are_rendered_from_the_same_model(
    session: Session, referral: tuple[World, Referral]
) -> None:
    world, r = referral
    for version in ("public", "exempt"):
        html = _produce(session, world, r, version, "html").decode()
        word, headings, _ = docx_text(_produce(session, world, r, version, "docx"))
        page = re.sub(r"<[^>]+>", "\n", html)
        for heading in headings:
            assert f"<h2>{heading}</h2>" in html
        for secret in RESTRICTED:
            assert (secret in page) == (secret in word) == (version == "exempt"), secret
        model = committee_papers.build(
            committee_papers.gather(session, r.id, BOOK, NOW),
            committee_papers.PaperVersion(version),
        )
        for section in model.sections:
            assert section.title in word and f"<h2>{section.title}</h2>" in html
    assert 'lang="en-GB"' in html and "<main>" in html


def test_every_paper_produced_is_audited_and_only_for_those_allowed(
    session: Session, referral: tuple[World, Referral]
) -> None:
    world, r = referral
    _produce(session, world, r, "exempt", "docx")
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "referral.paper")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.actor_id == world.actors["clerk"].user_id
    assert '"version": "exempt"' in (event.after_json or "")
    assert f"flag:{world.c_flag.id}" in (event.after_json or "")
    for who in ("officer", "admin"):
        with pytest.raises(Forbidden):
            committee_papers.produce(session, world.actors[who], NOW, r.id, "public", "docx", BOOK)
    with pytest.raises(ValidationFailed):
        committee_papers.produce(session, world.actors["clerk"], NOW, r.id, "secret", "docx", BOOK)


def test_papers_wait_for_sign_off(session: Session) -> None:
    world = make_world(session)
    r = referrals.create_draft(
        session, world.actors["officer"], NOW, world.premises.id, full_draft(world)
    )
    with pytest.raises(ValidationFailed, match="signed the referral off"):
        committee_papers.produce(
            session,
            world.actors["supervisor"],
            NOW + timedelta(hours=1),
            r.id,
            "public",
            "docx",
            BOOK,
        )


def test_a_holder_that_is_a_company_is_named_in_the_public_paper() -> None:
    assert committee_papers.is_organisation("Riverside Trading Ltd")
    assert committee_papers.is_organisation("Crown Pubs Limited")
    assert not committee_papers.is_organisation("Thanh Nguyen")
    red = committee_papers.Redactor(
        committee_papers.PaperVersion.PUBLIC, {"Thanh Nguyen", "Test User"}
    )
    runs = red.text("Mr Nguyen met a user of the service; thanh nguyen again.")
    visible = "".join(r if isinstance(r, str) else "#" for r in runs)
    assert visible == "Mr # met a user of the service; # again."
