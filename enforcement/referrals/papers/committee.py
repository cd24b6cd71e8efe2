"""Committee papers for a referral: the sub-committee report, built once as a model, in two versions.

The public version is built only from what was written for publication: the officer's
account in it is the public summary the signing supervisor approved, never the narrative
(which goes to the exempt version only), so a name typed in the narrative cannot reach it. It
also withholds every personal detail (a licence holder who is a person, the designated
premises supervisor, officers' names, and any of those names in free text), every handling
code C item, all intelligence content and anything from a welfare visit, each replaced by a
visible marker citing Schedule 12A to the Local Government Act 1972, paragraph 7. Officers
appear in it by their role only. The exempt version, for members of the sub-committee, carries
the disclosable evidence; a handling code C item appears in either only as the sanitised
summary someone its conditions name approved at sign-off, or as restricted intelligence
considered and withheld. Redaction happens here, in the builder: the renderers
(enforcement.referrals.papers.render) only lay the model out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from enforcement import audit
from enforcement.access import Actor, Permission, require
from enforcement.cases.statutory import RuleBook
from enforcement.cases.vocab import ToolCode
from enforcement.clock import moment_text, to_london
from enforcement.errors import ValidationFailed
from enforcement.models import (
    CaseEvent,
    EnforcementCase,
    InspectionOfficer,
    IntelFlag,
    Licence,
    LicenceCondition,
    Organisation,
    Premises,
    Referral,
    ReferralBreach,
    ReferralEvidence,
    ReferralRepresentation,
    User,
)
from enforcement.referrals.drafting import (
    NOT_NAMES,
    SUBJECT,
    is_organisation,
    load_referred,
    names_of_referral,
)
from enforcement.referrals.evidence import day_text
from enforcement.referrals.papers.model import (
    Block,
    BulletList,
    Document,
    Paragraph,
    ParagraphStyle,
    Redacted,
    Runs,
    Section,
    Table,
)
from enforcement.referrals.papers.render import DOCX_MIMETYPE, render_docx, render_html
from enforcement.referrals.queries import ProcessDate, process_dates
from enforcement.referrals.vocab import (
    EDITABLE,
    EXEMPT_MARKER,
    Disclosure,
    EvidenceKind,
    Party,
    Recommendation,
    ReferralStatus,
    SupportService,
    TakenUp,
)
from enforcement.register import support as support_directory
from enforcement.vocab import Labelled, LicenceRegime, LicenceStatus, PremisesType

MARKER = Redacted(f"[{EXEMPT_MARKER}]")
#: What the papers say of a handling code C item no one its conditions name has summarised.
C_WITHHELD = (
    "Restricted intelligence (handling code C) was considered and is withheld from this paper:"
    " its handling conditions do not allow it to be shared here."
)
#: The public paper of a referral signed off before public summaries existed, or not yet approved.
#: The paper is still produced, saying so: the statutory timetable (notice of the hearing, the
#: papers with it) does not wait for a summary, and a paper without an account leaks nothing.
#: A supervisor can approve one later (drafting.approve_public_summary).
SUMMARY_AWAITED = (
    "The public summary of this referral is awaited. The licensing officer's account is in the"
    " exempt version of this report, for members of the sub-committee."
)


class PaperVersion(Labelled):
    PUBLIC = "public"
    EXEMPT = "exempt"


class PaperFormat(Labelled):
    DOCX = "docx"
    HTML = "html"


# ---------------------------------------------------------------------------------------------
# What a paper is built from


@dataclass(frozen=True)
class PaperData:
    """Everything the report says, read once from the database (no session needed to build)."""

    referral: Referral
    premises: Premises
    ward_name: str | None
    licence: Licence
    conditions: Sequence[LicenceCondition]
    breaches: Sequence[ReferralBreach]
    evidence: Sequence[ReferralEvidence]
    representations: Sequence[ReferralRepresentation]
    services: Sequence[str]
    process: Sequence[ProcessDate]
    case_reference: str | None
    organisation: str | None
    author: str | None
    signed_off_by: str | None
    # Who approved each handling code C item's sanitised summary, by evidence id.
    sanitised_by: dict[int, str]
    # People named anywhere in the referral: withheld wherever they appear in the public paper.
    personal_names: frozenset[str]
    prepared_on: date
    # Through whom support was offered, from the support directory (public organisations).
    providers: Sequence[str] = ()
    # Evidence ids of intelligence flags handled under code C now, whatever they were when
    # chosen: a flag restricted after sign-off is withheld like one restricted before it.
    restricted_now: frozenset[int] = frozenset()

    def disclosure(self, item: ReferralEvidence) -> str:
        """How the paper treats an evidence item: as frozen when chosen, or handling code C if
        its flag has been restricted since."""
        if item.id in self.restricted_now:
            return Disclosure.RESTRICTED
        return item.classification


def gather(session: Session, referral_id: int, rulebook: RuleBook, now: datetime) -> PaperData:
    """Read a referral and everything its paper says, in a fixed number of statements."""
    referred = load_referred(session, referral_id)
    referral, premises, licence = referred.referral, referred.premises, referred.licence
    ward_name = referred.ward_name
    case = session.get(EnforcementCase, referral.case_id) if referral.case_id else None
    inspections = [e.source_id for e in referral.evidence if e.kind == EvidenceKind.INSPECTION]
    case_ids = [e.source_id for e in referral.evidence if e.kind == EvidenceKind.CASE]
    people: set[int] = {
        u
        for u in (
            referral.author_id,
            referral.signed_off_by_id,
            *(e.sanitised_approved_by_id for e in referral.evidence),
        )
        if u
    }
    if inspections:
        people |= set(
            session.scalars(
                select(InspectionOfficer.user_id).where(
                    InspectionOfficer.inspection_id.in_(inspections)
                )
            )
        )
    if case_ids:
        people |= {
            u
            for u in session.scalars(
                select(EnforcementCase.officer_id).where(EnforcementCase.id.in_(case_ids))
            )
            if u
        }
        people |= {
            u
            for u in session.scalars(
                select(CaseEvent.recorded_by_id).where(CaseEvent.case_id.in_(case_ids))
            )
            if u
        }
    names = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(people))).all()
    )
    personal = {n for n in names.values() if n}
    if not is_organisation(licence.holder_name):
        personal.add(licence.holder_name)
    if referral.dps_name:
        personal.add(referral.dps_name)
    personal |= names_of_referral(session, referral)
    flag_items = {e.source_id: e.id for e in referral.evidence if e.kind == EvidenceKind.FLAG}
    restricted_now: frozenset[int] = frozenset()
    if flag_items:
        restricted_now = frozenset(
            flag_items[flag_id]
            for flag_id in session.scalars(
                select(IntelFlag.id)
                .where(IntelFlag.id.in_(flag_items), IntelFlag.conditional.is_(True))
                .order_by(IntelFlag.id)
            )
        )
    organisation = (
        session.scalar(select(Organisation.name).where(Organisation.id == referral.organisation_id))
        if referral.organisation_id
        else None
    )
    return PaperData(
        referral=referral,
        premises=premises,
        ward_name=ward_name,
        licence=licence,
        conditions=list(licence.conditions),
        breaches=list(referral.breaches),
        evidence=list(referral.evidence),
        representations=list(referral.representations),
        services=[s.service for s in referral.support_services],
        process=process_dates(session, referral, rulebook, now),
        case_reference=case.reference if case else None,
        organisation=organisation,
        author=names.get(referral.author_id) if referral.author_id else None,
        signed_off_by=names.get(referral.signed_off_by_id) if referral.signed_off_by_id else None,
        sanitised_by={
            e.id: names.get(e.sanitised_approved_by_id, "a named officer")
            for e in referral.evidence
            if e.sanitised_approved_by_id
        },
        personal_names=frozenset(personal),
        prepared_on=to_london(now).date(),
        providers=support_directory.service_names(
            session, [p.service_id for p in referral.support_providers]
        ),
        restricted_now=restricted_now,
    )


# ---------------------------------------------------------------------------------------------
# Redaction


class Redactor:
    """Decide, for one version, what each piece of text becomes: itself, or a marker."""

    def __init__(self, version: PaperVersion, names: Iterable[str]) -> None:
        self.public = version is PaperVersion.PUBLIC
        whole = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
        parts = sorted(
            {
                p
                for n in whole
                for p in re.split(r"[\s,.'\u2019-]+", n)
                if len(p) >= 3 and p.lower() not in NOT_NAMES
            },
            key=len,
            reverse=True,
        )
        # Whole names in any case; a name's parts alone ("Mr Nguyen") as capitalised words.
        found = [
            re.compile(r"\b(?:" + "|".join(map(re.escape, whole)) + r")\b", re.IGNORECASE)
            if whole
            else None,
            re.compile(r"\b(?:" + "|".join(map(re.escape, parts)) + r")\b") if parts else None,
        ]
        self._names = [pattern for pattern in found if pattern is not None]

    def text(self, value: str) -> Runs:
        """Free text: in the public version every known personal name in it is withheld."""
        if not self.public or not self._names:
            return (value,)
        spans = sorted(
            (m.start(), m.end()) for pattern in self._names for m in pattern.finditer(value)
        )
        out: list[str | Redacted] = []
        last = 0
        for start, end in spans:
            if end <= last:
                continue
            start = max(start, last)
            if start > last:
                out.append(value[last:start])
            if not out or out[-1] is not MARKER:
                out.append(MARKER)
            last = end
        if last < len(value):
            out.append(value[last:])
        return tuple(out)

    def personal(self, value: str) -> Runs:
        """A personal detail as a whole (a person's name): withheld from the public version."""
        return (MARKER,) if self.public else (value,)

    def exempt(self, value: str) -> Runs:
        """Content exempt as a whole (intelligence, a welfare visit, officers' notes)."""
        return (MARKER,) if self.public else (value,)


# ---------------------------------------------------------------------------------------------
# Building the report


def _paragraphs(red: Redactor, text: str) -> list[Block]:
    return [
        Paragraph(red.text(" ".join(chunk.split())))
        for chunk in re.split(r"\n\s*\n", text.strip())
        if chunk.strip()
    ]


def _grounds_words(referral: Referral) -> str:
    grounds = []
    if referral.unlicensed_trading:
        grounds.append("trading without the licence the premises need")
    if referral.breach_of_conditions:
        grounds.append("breach of the conditions of the licence")
    return " and ".join(grounds) or "the grounds set out in section 4"


def _recommendation_words(referral: Referral) -> str:
    match referral.recommendation:
        case Recommendation.REVOKE:
            return "revoke the licence"
        case Recommendation.SUSPEND:
            months = referral.suspension_months or 1
            return f"suspend the licence for {months} month{'s' if months != 1 else ''}"
        case Recommendation.MODIFY_CONDITIONS:
            return "modify the conditions of the licence as set out below"
        case Recommendation.REMOVE_DPS:
            return "remove the designated premises supervisor"
        case Recommendation.NO_ACTION:
            return "take no action"
    return "decide what steps to take"


def _numbers(evidence: Sequence[ReferralEvidence]) -> dict[int, str]:
    """Number the evidence E1, E2, ... in date order: the same numbers in both versions."""
    ordered = sorted(evidence, key=lambda e: (e.occurred_at, e.kind, e.source_id))
    return {e.id: f"E{n}" for n, e in enumerate(ordered, start=1)}


def _summary(data: PaperData, red: Redactor) -> Section:
    r, p, lic = data.referral, data.premises, data.licence
    is_review = r.tool == ToolCode.PREMISES_REVIEW
    what = (
        "a review of the premises licence"
        if is_review
        else "whether to revoke the special treatment licence"
    )
    holder = (
        red.personal(lic.holder_name)
        if not is_organisation(lic.holder_name)
        else (lic.holder_name,)
    )
    blocks: list[Block] = [
        Paragraph(
            (
                f"This report asks the Licensing Sub-Committee to determine {what} for {p.name},"
                f" {_address(p)} (licence {lic.reference}), held by ",
                *holder,
                f". The licence is referred on the grounds of {_grounds_words(r)}.",
            )
        ),
        Paragraph(
            (
                f"The licensing officer recommends that the sub-committee {_recommendation_words(r)}."
                " The licensing authority has offered support to victims and survivors of"
                " exploitation at the premises (section 8).",
            ),
            ParagraphStyle.LEAD,
        ),
    ]
    if red.public:
        # Only words written and approved for publication: the narrative never comes here.
        if r.public_summary and r.public_summary_approved_at is not None:
            blocks.append(Paragraph(("The licensing officer's account:",), ParagraphStyle.LEAD))
            blocks += _paragraphs(red, r.public_summary)
        else:
            blocks.append(Paragraph((SUMMARY_AWAITED,), ParagraphStyle.NOTE))
    elif r.narrative.strip():
        blocks.append(Paragraph(("The licensing officer's account:",), ParagraphStyle.LEAD))
        blocks += _paragraphs(red, r.narrative)
    return Section("1", "Summary", tuple(blocks))


def _address(p: Premises) -> str:
    return ", ".join(x for x in (p.address_line1, p.address_line2, p.town, p.postcode) if x)


def _premises_section(data: PaperData, red: Redactor) -> Section:
    p, lic, r = data.premises, data.licence, data.referral
    holder: Runs = (
        (lic.holder_name,) if is_organisation(lic.holder_name) else red.personal(lic.holder_name)
    )
    rows: list[tuple[Runs, ...]] = [
        (("Premises",), (p.name,)),
        (("Trading name",), (p.trading_name or "None recorded",)),
        (("Address",), (_address(p),)),
        (("Ward",), (data.ward_name or "Not in a ward of the borough",)),
        (("Type of premises",), (PremisesType.label_of(p.premises_type),)),
        (("Licence",), (f"{LicenceRegime.label_of(lic.regime)}, {lic.reference}",)),
        (("Licence holder",), holder),
    ]
    if lic.regime == LicenceRegime.PREMISES_LICENCE:
        rows.append(
            (
                ("Designated premises supervisor",),
                red.personal(r.dps_name) if r.dps_name else ("Not recorded",),
            )
        )
    rows += [
        (("Status of the licence",), (LicenceStatus.label_of(lic.status),)),
        (("Granted",), (_long(lic.granted_on),)),
        (("Expires",), (_long(lic.expires_on) if lic.expires_on else "No expiry date",)),
        (("Permitted hours",), (lic.opening_hours or "As set out in the licence",)),
    ]
    return Section(
        "2",
        "Premises and licence details",
        (Table("Premises and licence", ("Detail", "Record"), tuple(rows), (1, 2)),),
    )


def _long(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "Not recorded"


def _review_law() -> list[Block]:
    """Say what a premises licence review is and what the sub-committee may do (LA 2003 s51-52)."""
    return [
        Paragraph(
            (
                "Section 51 of the Licensing Act 2003 allows a responsible authority or any"
                " other person to apply for a review of a premises licence. After the period"
                " for representations, the licensing authority must hold a hearing and"
                " consider the application and any relevant representations, having regard"
                " to its statement of licensing policy and the guidance issued under section"
                " 182 of the Act, and take such of the steps below as it considers"
                " appropriate for the promotion of the licensing objectives, including the"
                " prevention of crime and disorder (section 52(3) and (4)).",
            )
        ),
        Paragraph(("The options open to the sub-committee are to:",)),
        BulletList(
            (
                ("modify the conditions of the licence;",),
                ("exclude a licensable activity from the scope of the licence;",),
                ("remove the designated premises supervisor;",),
                ("suspend the licence for a period not exceeding three months;",),
                ("revoke the licence; or",),
                ("take no action, or issue a warning.",),
            )
        ),
        Paragraph(
            (
                "The decision does not have effect until the period for appealing against it"
                " has ended or, if the decision is appealed against, until the appeal is"
                " disposed of (section 52(11)). The holder may appeal to a magistrates' court"
                " within 21 days beginning with the day on which they were notified of the"
                " decision (Schedule 5, paragraph 9).",
            )
        ),
    ]


def _special_treatment_law() -> list[Block]:
    """Say how a special treatment licence is revoked and appealed (LLAA 1991 Part II)."""
    return [
        Paragraph(
            (
                "Part II of the London Local Authorities Act 1991 allows the council to revoke"
                " a special treatment licence on the grounds the Act sets out, after giving"
                " the holder an opportunity to make representations.",
            )
        ),
        Paragraph(("The options open to the sub-committee are to:",)),
        BulletList(
            (
                ("revoke the licence;",),
                ("vary the terms, conditions or restrictions of the licence; or",),
                ("take no action.",),
            )
        ),
        Paragraph(
            (
                "The holder may appeal to a magistrates' court within 21 days of being"
                " notified of the decision in writing; a revoked licence remains in force"
                " until any appeal is decided.",
            )
        ),
    ]


def _timetable(data: PaperData) -> Block:
    """Return the referral's statutory dates as a table, or a note that none are set yet."""
    if not data.process:
        return Paragraph(
            ("The statutory timetable is set when the committee clerk opens the process.",),
            ParagraphStyle.NOTE,
        )
    return Table(
        "The statutory timetable of this referral (London time)",
        ("What", "By when", "Provision"),
        tuple(
            (
                (d.title,),
                (moment_text(d.due_at),),
                (d.citation + ("" if d.confirmed else " (to confirm)"),),
            )
            for d in data.process
        ),
        (3, 2, 3),
    )


def _legal_section(data: PaperData) -> Section:
    review = data.referral.tool == ToolCode.PREMISES_REVIEW
    blocks = _review_law() if review else _special_treatment_law()
    blocks.append(_timetable(data))
    return Section("3", "Legal framework and the options open to the sub-committee", tuple(blocks))


def _grounds_section(
    data: PaperData, numbers: dict[int, str], by_source: dict[tuple[str, int], ReferralEvidence]
) -> Section:
    r = data.referral
    blocks: list[Block] = []
    if r.unlicensed_trading:
        blocks.append(
            Paragraph(
                (
                    "Trading without a licence: the premises were found carrying on activity for"
                    " which they do not hold the licence they need.",
                )
            )
        )
    if r.breach_of_conditions:
        blocks.append(
            Paragraph(
                (
                    "Breach of conditions: inspections found these conditions of the licence breached.",
                )
            )
        )
        grouped: dict[int, list[ReferralBreach]] = {}
        for b in data.breaches:
            grouped.setdefault(b.condition_number, []).append(b)
        rows = []
        for number in sorted(grouped):
            found = grouped[number]
            seen = []
            for b in sorted(found, key=lambda b: b.inspected_at):
                ref = by_source.get((EvidenceKind.INSPECTION.value, b.inspection_id))
                seen.append(
                    f"inspection on {day_text(b.inspected_at)}"
                    + (f" ({numbers[ref.id]})" if ref else "")
                )
            rows.append(((str(number),), (found[0].condition_text,), ("; ".join(seen),)))
        blocks.append(
            Table(
                "Conditions breached",
                ("Condition", "Wording", "Found breached at"),
                tuple(rows),
                (1, 4, 3),
            )
        )
    return Section("4", "The grounds for the referral", tuple(blocks))


def _what_it_shows(item: ReferralEvidence, red: Redactor, data: PaperData) -> Runs:
    disclosure = data.disclosure(item)
    if disclosure == Disclosure.RESTRICTED:
        if red.public:
            return (MARKER,)
        if item.sanitised_summary and item.sanitised_approved_at is not None:
            by = data.sanitised_by.get(item.id, "a named officer")
            return (
                item.sanitised_summary,
                f" (Sanitised summary of handling code C intelligence, approved by {by} on"
                f" {day_text(item.sanitised_approved_at)}.)",
            )
        return (C_WITHHELD,)
    if disclosure != Disclosure.OPEN:
        if red.public:
            return (MARKER,)
        return red.text("\n".join(t for t in (item.public_text, item.exempt_text or "") if t))
    runs = list(red.text(item.public_text))
    if item.exempt_text:
        runs += [" Officers' notes: ", *red.exempt(item.exempt_text)]
    return tuple(runs)


def _item_title(item: ReferralEvidence, red: Redactor, data: PaperData) -> Runs:
    # Even that a handling code C item or a welfare visit exists stays out of the public paper.
    if data.disclosure(item) in (Disclosure.RESTRICTED, Disclosure.WELFARE) and red.public:
        return (MARKER,)
    return (item.title,)


def _chronology(data: PaperData, red: Redactor, numbers: dict[int, str]) -> Section:
    ordered = sorted(data.evidence, key=lambda e: (e.occurred_at, e.kind, e.source_id))
    rows = tuple(
        (
            (day_text(e.occurred_at),),
            (numbers[e.id],),
            _item_title(e, red, data),
            _what_it_shows(e, red, data),
        )
        for e in ordered
    )
    return Section(
        "5",
        "Chronology of the evidence",
        (
            Paragraph(
                (
                    "The evidence in date order. Each item is listed in the evidence schedule"
                    " (appendix B) by its number.",
                )
            ),
            Table(
                "Chronology of the evidence",
                ("Date", "Item", "Evidence", "What it shows"),
                rows,
                (2, 1, 3, 6),
            ),
        ),
    )


def _representations(data: PaperData, red: Redactor) -> Section:
    totals: dict[str, int] = {}
    for rep in data.representations:
        totals[rep.party] = totals.get(rep.party, 0) + rep.count
    blocks: list[Block] = []
    if not data.representations:
        blocks.append(
            Paragraph(("No representations had been recorded when this report was prepared.",))
        )
    else:
        blocks.append(
            Table(
                "Representations received, by who made them",
                ("From", "Number"),
                tuple(((Party.label_of(p),), (str(n),)) for p, n in totals.items()),
                (3, 1),
            )
        )
        blocks.append(
            Table(
                "What the representations say",
                ("From", "Received", "Summary"),
                tuple(
                    (
                        (Party.label_of(rep.party),),
                        (_long(rep.received_on),),
                        red.exempt(rep.summary),
                    )
                    for rep in data.representations
                ),
                (2, 2, 6),
            )
        )
    return Section("6", "Representations", tuple(blocks))


def _recommendation(data: PaperData, red: Redactor) -> Section:
    r = data.referral
    blocks: list[Block] = [
        Paragraph(
            (
                f"The licensing officer recommends that the sub-committee {_recommendation_words(r)}.",
            ),
            ParagraphStyle.LEAD,
        )
    ]
    if r.recommendation == Recommendation.MODIFY_CONDITIONS and r.recommended_conditions:
        blocks.append(Paragraph(("The conditions proposed:",)))
        blocks.append(
            BulletList(
                tuple(
                    red.text(line.strip())
                    for line in r.recommended_conditions.splitlines()
                    if line.strip()
                )
            )
        )
    return Section("7", "Recommendation", tuple(blocks))


def _through(data: PaperData) -> str:
    """The directory's services chosen, then the provider typed as a note."""
    return "; ".join(
        [
            *data.providers,
            *([data.referral.support_provider] if data.referral.support_provider else []),
        ]
    )


def _support(data: PaperData, red: Redactor) -> Section:
    r = data.referral
    rows: list[tuple[Runs, ...]] = [
        (
            ("Services offered",),
            ("; ".join(SupportService.label_of(s) for s in data.services) or "None recorded",),
        ),
        (("Offered through",), red.text(_through(data) or "Not recorded")),
        (("Offered on",), (_long(r.support_offered_on),)),
        (("Taken up",), (TakenUp.label_of(r.support_taken_up) or "Not recorded",)),
    ]
    if r.support_note:
        rows.append((("Note",), red.exempt(r.support_note)))
    return Section(
        "8",
        "Offer of support to victims and survivors",
        (
            Paragraph(
                (
                    "Alongside this referral the licensing authority offered support to victims"
                    " and survivors of exploitation identified at the premises. The offer is"
                    " recorded anonymously: no names or other identifying details of potential"
                    " victims are held.",
                )
            ),
            Table("The offer of support", ("Part of the offer", "Record"), tuple(rows), (1, 3)),
        ),
    )


def _conditions_appendix(data: PaperData) -> Section:
    breached = {b.condition_id for b in data.breaches}
    rows = []
    for c in sorted(data.conditions, key=lambda c: c.number):
        status = "Breached (section 4)" if c.id in breached else "In force"
        if not c.is_active:
            status = "Withdrawn"
        rows.append(((str(c.number),), (c.text,), (status,)))
    blocks: tuple[Block, ...] = (
        (
            Table(
                "Conditions of the licence", ("No.", "Condition", "Status"), tuple(rows), (1, 6, 2)
            ),
        )
        if rows
        else (Paragraph(("The licence has no conditions recorded.",)),)
    )
    return Section("Appendix A", "Licence conditions", blocks, appendix=True)


def _schedule_appendix(data: PaperData, red: Redactor, numbers: dict[int, str]) -> Section:
    ordered = sorted(data.evidence, key=lambda e: (e.occurred_at, e.kind, e.source_id))
    rows = []
    for e in ordered:
        restricted = data.disclosure(e) != Disclosure.OPEN
        source: Runs = (
            (MARKER,)
            if restricted and red.public
            else (f"{EvidenceKind.label_of(e.kind)} record {e.source_id}",)
        )
        disclosure = (
            "Exempt (Schedule 12A, paragraph 7)"
            if restricted
            else "Public (officers' notes exempt)"
            if e.exempt_text
            else "Public"
        )
        rows.append(
            (
                (numbers[e.id],),
                (day_text(e.occurred_at),),
                _item_title(e, red, data),
                source,
                (disclosure,),
            )
        )
    return Section(
        "Appendix B",
        "Evidence schedule",
        (
            Table(
                "Evidence schedule",
                ("Item", "Date", "Evidence", "Source record", "Disclosure"),
                tuple(rows),
                (1, 2, 4, 3, 3),
            ),
        ),
        appendix=True,
    )


def build(data: PaperData, version: PaperVersion) -> Document:
    """Build the sub-committee report for one version; redaction is decided here."""
    red = Redactor(version, data.personal_names)
    r, lic = data.referral, data.licence
    numbers = _numbers(data.evidence)
    by_source = {(e.kind, e.source_id): e for e in data.evidence}
    public = version is PaperVersion.PUBLIC
    banner = (
        "Public version. Some information in this report is exempt from publication under"
        " Schedule 12A to the Local Government Act 1972, paragraph 7 (prevention of crime),"
        " and is marked where it has been withheld."
        if public
        else "Exempt version: not for publication. This report contains exempt information"
        " under Schedule 12A to the Local Government Act 1972, paragraph 7 (prevention of"
        " crime). It is for members of the Licensing Sub-Committee only."
    )
    kind = (
        "Review of premises licence"
        if r.tool == ToolCode.PREMISES_REVIEW
        else "Revocation of special treatment licence"
    )
    author: Runs = (
        ("A licensing officer of the licensing authority",)
        if public
        else (f"{data.author or 'Not recorded'}, licensing officer",)
    )
    signer: Runs = (
        ("A supervisor of the licensing authority",)
        if public
        else ((data.signed_off_by or "Not yet signed off"),)
    )
    details: tuple[tuple[str, Runs], ...] = (
        ("Report reference", (r.reference,)),
        ("Statutory case", (data.case_reference or "Not opened yet",)),
        ("Hearing", (moment_text(r.hearing_at) if r.hearing_at else "Not listed yet",)),
        ("Ward", (data.ward_name or "Not in a ward of the borough",)),
        ("Report of", (data.organisation or "The licensing authority",)),
        ("Author", author),
        ("Signed off by", signer),
        ("Date of report", (_long(data.prepared_on),)),
    )
    sections = (
        _summary(data, red),
        _premises_section(data, red),
        _legal_section(data),
        _grounds_section(data, numbers, by_source),
        _chronology(data, red, numbers),
        _representations(data, red),
        _recommendation(data, red),
        _support(data, red),
        _conditions_appendix(data),
        _schedule_appendix(data, red, numbers),
    )
    return Document(
        version=version.value,
        title=f"{kind} {lic.reference}: {data.premises.name}",
        subtitle=f"Licensing Sub-Committee report {r.reference}",
        banner=banner,
        details=details,
        sections=sections,
        file_stem=f"{r.reference}-{version.value}",
    )


# ---------------------------------------------------------------------------------------------
# Producing a paper (audited)


@dataclass(frozen=True)
class Paper:
    content: bytes
    filename: str
    mimetype: str


def produce(
    session: Session,
    actor: Actor,
    now: datetime,
    referral_id: int,
    version: str,
    fmt: str,
    rulebook: RuleBook,
    *,
    stylesheet: str = "paper.css",
    back_link: str | None = None,
) -> Paper:
    """Build one version of a referral's paper in one format; every download is audited.

    Papers exist once a supervisor has signed the referral off (the sign-off is the decision
    that the evidence chosen may go to the sub-committee). Raises ValidationFailed for an
    unknown version or format, or a referral not yet signed off.
    """
    require(actor, Permission.REFERRAL_PAPERS)
    if version not in {v.value for v in PaperVersion} or fmt not in {f.value for f in PaperFormat}:
        raise ValidationFailed({"paper": "Choose the public or exempt paper, as Word or HTML"})
    data = gather(session, referral_id, rulebook, now)
    r = data.referral
    if r.status in EDITABLE or r.status == ReferralStatus.SUBMITTED:
        raise ValidationFailed(
            {"paper": "Papers can be produced once a supervisor has signed the referral off"}
        )
    doc = build(data, PaperVersion(version))
    if fmt == PaperFormat.DOCX:
        content = render_docx(doc)
        paper = Paper(content, f"{doc.file_stem}.docx", DOCX_MIMETYPE)
    else:
        content = render_html(doc, stylesheet=stylesheet, back_link=back_link).encode()
        paper = Paper(content, f"{doc.file_stem}.html", "text/html; charset=utf-8")
    # A handling code C item is shown only by its approved sanitised summary.
    restricted = [
        e
        for e in data.evidence
        if data.disclosure(e) != Disclosure.OPEN
        and (data.disclosure(e) != Disclosure.RESTRICTED or e.sanitised_approved_at is not None)
    ]
    audit.record(
        session,
        actor,
        now,
        action="referral.paper",
        entity_type=SUBJECT,
        entity_id=r.id,
        summary=f"Produced the {version} committee paper of referral {r.reference} ({fmt})",
        after={
            "version": version,
            "format": fmt,
            "sha256": hashlib.sha256(content).hexdigest(),
            "evidence_items": len(data.evidence),
            # The exempt paper shows restricted evidence: say which, as any view of it is.
            "restricted_shown": sorted(f"{e.kind}:{e.source_id}" for e in restricted)
            if version == PaperVersion.EXEMPT
            else [],
        },
    )
    return paper
