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
from builders.referrals import (
    C_CONDITIONS,
    C_REPORT,
    NARRATIVE,
    OFFICER,
    P_REPORT,
    PUBLIC_SUMMARY,
    RESTRICTED,
    World,
    at,
    full_draft,
    make_world,
)
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
        if secret in (C_REPORT, C_CONDITIONS):
            # Handling code C: no sanitised summary was approved, so withheld from both.
            assert secret not in exempt, f"{secret!r} is in the exempt paper"
        else:
            assert secret in exempt, f"{secret!r} is missing from the exempt paper"
    assert committee_papers.C_WITHHELD in exempt
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
            shown = version == "exempt" and secret not in (C_REPORT, C_CONDITIONS)
            assert (secret in page) == (secret in word) == shown, secret
        model = committee_papers.build(
            committee_papers.gather(session, r.id, BOOK, NOW),
            committee_papers.PaperVersion(version),
        )
        for section in model.sections:
            assert section.title in word and f"<h2>{section.title}</h2>" in html
        # Every column of every table is named (axe: empty-table-header).
        assert re.search(r"<th[^>]*>\s*</th>", html) is None
        assert "Part of the offer" in html
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
    # The C-coded flag was withheld (no sanitised summary), so not among what was shown.
    assert f"flag:{world.p_flag.id}" in (event.after_json or "")
    assert f"flag:{world.c_flag.id}" not in (event.after_json or "")
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


# --- The public paper is built only from words written for publication ---------------------

UNKNOWN = "Derek Wolstenholme-Pryce"  # a shift manager's name the system has never been told


def _all_docx_text(content: bytes) -> str:
    """Every paragraph and table cell of a Word file, nested tables included."""
    document = docx.Document(io.BytesIO(content))
    found: list[str] = [p.text for p in document.paragraphs]

    def cells(tables: list) -> None:  # type: ignore[type-arg]
        for table in tables:
            for row in table.rows:
                for cell in row.cells:
                    found.extend(p.text for p in cell.paragraphs)
                    cells(cell.tables)

    cells(document.tables)
    for section in document.sections:
        found += [p.text for p in section.header.paragraphs]
        found += [p.text for p in section.footer.paragraphs]
    return "\n".join(found)


def _signed_off(session: Session, world: World, **draft: object) -> Referral:
    officer = world.actors["officer"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world, **draft))
    referrals.submit(session, officer, NOW, r.id, r.version)
    return referrals.sign_off(session, world.actors["supervisor"], NOW, r.id, r.version)


def test_a_name_typed_in_the_narrative_never_reaches_the_public_paper_the_summary_does(
    session: Session,
) -> None:
    world = make_world(session)
    narrative = f"The shift manager, {UNKNOWN}, said the cellar was a store room.\n\n{NARRATIVE}"
    r = _signed_off(session, world, narrative=narrative)
    clerk = world.actors["clerk"]
    when = at("2026-03-12")
    public_docx = committee_papers.produce(session, clerk, when, r.id, "public", "docx", BOOK)
    public_html = committee_papers.produce(session, clerk, when, r.id, "public", "html", BOOK)
    exempt_docx = committee_papers.produce(session, clerk, when, r.id, "exempt", "docx", BOOK)
    for text in (_all_docx_text(public_docx.content), public_html.content.decode()):
        for word in ("Wolstenholme", "Derek", "shift manager", "store room"):
            assert word not in text
        assert PUBLIC_SUMMARY.split(".")[0] in text
    exempt = _all_docx_text(exempt_docx.content)
    assert UNKNOWN in exempt and PUBLIC_SUMMARY.split(".")[0] not in exempt
    signed = session.get(Referral, r.id)
    assert signed is not None and signed.public_summary_approved_by_id == (
        world.actors["supervisor"].user_id
    )


def test_a_public_summary_naming_someone_the_referral_knows_is_refused(
    session: Session,
) -> None:
    world = make_world(session)
    officer = world.actors["officer"]
    for named in ("Thanh Nguyen", "Mr Nguyen", "Kimberley Tranter", "Olive Oakley", "Drummond"):
        with pytest.raises(ValidationFailed) as bad:
            referrals.create_draft(
                session,
                officer,
                NOW,
                world.premises.id,
                full_draft(world, public_summary=f"The premises were visited; {named} was there."),
            )
        assert "public_summary" in bad.value.errors, named
    # Without one, a referral cannot be submitted.
    r = referrals.create_draft(
        session, officer, NOW, world.premises.id, full_draft(world, public_summary="")
    )
    with pytest.raises(ValidationFailed) as missing:
        referrals.submit(session, officer, NOW, r.id, r.version)
    assert "public_summary" in missing.value.errors


def test_a_referral_without_an_approved_summary_says_it_is_awaited(session: Session) -> None:
    world = make_world(session)
    r = _signed_off(session, world)
    r.public_summary_approved_at = None  # as a referral signed off before summaries existed
    session.flush()
    clerk = world.actors["clerk"]
    paper = committee_papers.produce(session, clerk, at("2026-03-12"), r.id, "public", "docx", BOOK)
    text = _all_docx_text(paper.content)
    assert committee_papers.SUMMARY_AWAITED in text
    assert PUBLIC_SUMMARY.split(".")[0] not in text and "Mr Nguyen" not in text


# --- Handling code C evidence: a sanitised summary approved by someone the conditions name ---

SANITISED = "Police intelligence indicates that workers' identity documents may be held by others."


def _c_item(session: Session, r: Referral) -> int:
    from enforcement.models import ReferralEvidence

    return session.scalars(
        select(ReferralEvidence.id).where(
            ReferralEvidence.referral_id == r.id, ReferralEvidence.classification == "restricted"
        )
    ).one()


def test_the_clerk_s_exempt_paper_has_no_c_coded_content_without_an_approved_summary(
    session: Session, referral: tuple[World, Referral]
) -> None:
    world, r = referral
    for fmt in ("docx", "html"):
        paper = _produce(session, world, r, "exempt", fmt)
        text = _all_docx_text(paper) if fmt == "docx" else paper.decode()
        assert C_REPORT not in text and C_CONDITIONS not in text and "LX12" not in text
        assert committee_papers.C_WITHHELD in text


def test_a_sanitised_summary_approved_at_sign_off_is_what_the_papers_say(
    session: Session,
) -> None:
    world = make_world(session)
    officer = world.actors["officer"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW, r.id, r.version)
    item = _c_item(session, r)
    referrals.sign_off(
        session, world.actors["supervisor"], NOW, r.id, r.version, sanitised={item: SANITISED}
    )
    exempt = _all_docx_text(_produce(session, world, r, "exempt", "docx"))
    public = _all_docx_text(_produce(session, world, r, "public", "docx"))
    assert SANITISED in exempt and C_REPORT not in exempt and C_CONDITIONS not in exempt
    assert SANITISED not in public


def test_only_someone_the_conditions_name_may_approve_a_sanitised_summary(
    session: Session,
) -> None:
    from enforcement.intelligence import flags

    world = make_world(session)
    officer = world.actors["officer"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW, r.id, r.version)
    # The analyst narrows the flag to the police: the council's supervisor is no longer named.
    flags.grade_flag(
        session,
        world.actors["analyst"],
        NOW,
        world.c_flag.id,
        None,
        flags.GradeInput("3x5x2", "A", "1", "C", "Police only.", frozenset({world.police_id})),
    )
    session.expire_all()
    with pytest.raises(ValidationFailed) as bad:
        referrals.sign_off(
            session,
            world.actors["supervisor"],
            NOW,
            r.id,
            r.version,
            sanitised={_c_item(session, r): SANITISED},
        )
    assert referrals.sanitised_key(_c_item(session, r)) in bad.value.errors


@pytest.mark.parametrize("hidden", ["\x0b", "\x00", "\x1b"])
def test_a_sanitised_summary_with_a_hidden_control_character_is_refused(
    session: Session, hidden: str
) -> None:
    """A sign-off's summaries are read from the request by name, not through a form's fields:
    the domain refuses what a Word line break pastes as (U+000B), as every form does."""
    world = make_world(session)
    officer = world.actors["officer"]
    r = referrals.create_draft(session, officer, NOW, world.premises.id, full_draft(world))
    referrals.submit(session, officer, NOW, r.id, r.version)
    item = _c_item(session, r)
    with pytest.raises(ValidationFailed) as bad:
        referrals.sign_off(
            session,
            world.actors["supervisor"],
            NOW,
            r.id,
            r.version,
            sanitised={item: f"Police intelligence was considered.{hidden}No further detail."},
        )
    assert bad.value.errors == {
        referrals.sanitised_key(item): "The sanitised summary must not contain hidden control "
        "characters (they can come from pasted text). Delete them or type it again"
    }


def test_a_flag_restricted_after_sign_off_is_withheld_from_the_exempt_paper(
    session: Session, referral: tuple[World, Referral]
) -> None:
    """The evidence is chosen and signed off with the flag graded P; the analyst later narrows
    it to the police under handling code C. The papers follow the flag as it is now, as the
    referral's page does: its report is withheld, and the trail does not say it was shown."""
    from enforcement.intelligence import flags

    world, r = referral
    before = _all_docx_text(_produce(session, world, r, "exempt", "docx"))
    assert P_REPORT in before
    flags.grade_flag(
        session,
        world.actors["analyst"],
        at("2026-03-11"),
        world.p_flag.id,
        None,
        flags.GradeInput("3x5x2", "A", "1", "C", "Police only.", frozenset({world.police_id})),
    )
    session.expire_all()
    for fmt in ("docx", "html"):
        paper = _produce(session, world, r, "exempt", fmt)
        text = _all_docx_text(paper) if fmt == "docx" else paper.decode()
        assert P_REPORT not in text and "Police only." not in text
        assert text.count(committee_papers.C_WITHHELD) == 2  # the C flag chosen as C, and this one
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "referral.paper")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and f"flag:{world.p_flag.id}" not in (event.after_json or "")
    public = _all_docx_text(_produce(session, world, r, "public", "docx"))
    assert P_REPORT not in public and "Intelligence report" not in public


@pytest.mark.parametrize("version", ["public", "exempt"])
def test_the_word_paper_is_made_whatever_the_register_holds(
    session: Session, referral: tuple[World, Referral], version: str
) -> None:
    """A premises name with U+FFFF (an import let it in) made the paper a 500: "All strings must
    be XML compatible". What is stored is written with the sign that something was there."""
    world, r = referral
    world.premises.name = "The Crown\uffff\x01 Bar"
    session.flush()
    text, _, _ = docx_text(_produce(session, world, r, version, "docx"))
    assert "The Crown\ufffd\ufffd Bar" in text
