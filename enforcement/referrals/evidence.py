"""Evidence for a committee referral: what an officer may choose, and capturing it with its disclosure.

The choice follows the access policy (enforcement.policy): inspections and poster checks of
the premises, its enforcement cases (for those who may read cases), the intelligence flags
whose content the officer may see, and welfare visits only where a supervisor released them
for use as evidence (docs/welfare.md), shown to the officer by their date alone. What the
officer chooses is captured as it stands, with a classification that decides what the public
paper may show (enforcement.referrals.papers.committee redacts by it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from enforcement import audit, policy
from enforcement.access import Actor, Permission, can
from enforcement.cases.vocab import EventKind, ToolCode
from enforcement.clock import to_london
from enforcement.errors import ValidationFailed
from enforcement.inspections.poster import poster_phrase
from enforcement.intelligence import flags
from enforcement.intelligence.vocab import ExploitationForm, SourceType
from enforcement.models import (
    CaseEvent,
    ConditionFinding,
    EnforcementCase,
    Inspection,
    IntelFlag,
    Language,
    LicenceCondition,
    Organisation,
    User,
    WelfareVisit,
)
from enforcement.numbers import record_id
from enforcement.policy import Visibility
from enforcement.referrals.vocab import Disclosure, EvidenceKind
from enforcement.safeguarding import records
from enforcement.vocab import Finding, InspectionReason
from enforcement.welfare.vocab import INDICATORS, PropertyDescribed, ReferralRoute

MAX_EVIDENCE = 500
EXCERPT = 160


def day_text(moment: datetime) -> str:
    """Return a London date as the papers write it: '3 March 2026'."""
    local = to_london(moment)
    return f"{local.day} {local:%B %Y}"


@dataclass(frozen=True)
class Choice:
    """One item the officer may select, as the draft form lists it."""

    kind: EvidenceKind
    source_id: int
    occurred_at: datetime
    label: str
    hint: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.source_id}"


@dataclass(frozen=True)
class Captured:
    """An evidence item as the referral keeps it (see ReferralEvidence)."""

    kind: EvidenceKind
    source_id: int
    occurred_at: datetime
    title: str
    public_text: str
    exempt_text: str | None
    classification: Disclosure


def sentence(text: str) -> str:
    """End a piece of typed text with one full stop ("... licence holder." stays as it is)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def parse_key(key: str) -> tuple[str, int] | None:
    """Read a form value 'kind:id' back; None for anything else."""
    kind, _, number = key.partition(":")
    found = record_id(number)
    if kind not in {k.value for k in EvidenceKind} or found is None:
        return None
    return kind, found


# ---------------------------------------------------------------------------------------------
# What the officer may choose


def _inspections(session: Session, premises_id: int) -> list[Inspection]:
    return list(
        session.scalars(
            select(Inspection)
            .where(Inspection.premises_id == premises_id)
            .options(selectinload(Inspection.findings))
            .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
        )
    )


def _breached_numbers(session: Session, inspections: Sequence[Inspection]) -> dict[int, str]:
    ids = {f.condition_id for i in inspections for f in i.findings}
    numbers = {
        cid: n
        for cid, n in session.execute(
            select(LicenceCondition.id, LicenceCondition.number).where(LicenceCondition.id.in_(ids))
        )
    }
    out = {}
    for inspection in inspections:
        breached = sorted(
            numbers[f.condition_id]
            for f in inspection.findings
            if f.finding == Finding.BREACHED and f.condition_id in numbers
        )
        out[inspection.id] = ", ".join(str(n) for n in breached)
    return out


def choices(
    session: Session, actor: Actor, now: datetime, premises_id: int
) -> dict[EvidenceKind, list[Choice]]:
    """Return what the actor may select as evidence at a premises, by kind, newest first.

    Intelligence flags are listed with an excerpt of their report, so the listing is audited
    as a view of their content (one event naming the flags), as the flag list is.
    """
    out: dict[EvidenceKind, list[Choice]] = {kind: [] for kind in EvidenceKind}
    out[EvidenceKind.INSPECTION], out[EvidenceKind.POSTER_CHECK] = _inspection_choices(
        session, premises_id
    )
    if can(actor, Permission.CASE_VIEW):
        out[EvidenceKind.CASE] = _case_choices(session, premises_id)
    if policy.most_visible(actor, flags.SUBJECT) >= Visibility.CONTENT:
        out[EvidenceKind.FLAG] = _flag_choices(session, actor, now, premises_id)
    if policy.most_visible(actor, policy.WELFARE_VISIT.record_type) > Visibility.NONE:
        out[EvidenceKind.WELFARE_VISIT] = _visit_choices(session, actor, premises_id)
    return out


def _inspection_choices(session: Session, premises_id: int) -> tuple[list[Choice], list[Choice]]:
    """Return the inspections and, from the same visits, the poster checks at a premises."""
    inspections: list[Choice] = []
    posters: list[Choice] = []
    found = _inspections(session, premises_id)
    breached = _breached_numbers(session, found)
    for ins in found:
        reason = InspectionReason.label_of(ins.reason)
        conditions = (
            f"conditions {breached[ins.id]} breached"
            if "," in breached[ins.id]
            else f"condition {breached[ins.id]} breached"
            if breached[ins.id]
            else "no condition found breached"
        )
        inspections.append(
            Choice(
                EvidenceKind.INSPECTION,
                ins.id,
                ins.inspected_at,
                f"{reason} on {day_text(ins.inspected_at)}: {conditions}",
            )
        )
        poster = poster_phrase(ins.poster_compliant, ins.poster_shortfall)
        posters.append(
            Choice(
                EvidenceKind.POSTER_CHECK,
                ins.id,
                ins.inspected_at,
                f"Poster check on {day_text(ins.inspected_at)}: {poster}",
            )
        )
    return inspections, posters


def _case_choices(session: Session, premises_id: int) -> list[Choice]:
    return [
        Choice(
            EvidenceKind.CASE,
            case.id,
            case.opened_at,
            f"{case.reference}: {ToolCode.label_of(case.tool)}, opened"
            f" {day_text(case.opened_at)} ({case.status})",
        )
        for case in session.scalars(
            select(EnforcementCase)
            .where(EnforcementCase.premises_id == premises_id)
            .order_by(EnforcementCase.opened_at.desc(), EnforcementCase.id.desc())
        )
    ]


def _flag_choices(session: Session, actor: Actor, now: datetime, premises_id: int) -> list[Choice]:
    """Return the flags whose content the actor may read, with an excerpt (the listing audited)."""
    shown = list(
        session.scalars(
            select(IntelFlag)
            .where(
                IntelFlag.premises_id == premises_id,
                policy.visible_flags_clause(actor, Visibility.CONTENT),
            )
            .options(
                selectinload(IntelFlag.audience_org_rows),
                selectinload(IntelFlag.audience_role_rows),
            )
            .order_by(IntelFlag.reported_at.desc(), IntelFlag.id.desc())
        )
    )
    shown = [f for f in shown if policy.visibility(actor, f) is Visibility.CONTENT]
    out: list[Choice] = []
    for flag in shown:
        grade = flags.grade_text(flag) or "not graded"
        excerpt = " ".join(flag.report_text.split())
        if len(excerpt) > EXCERPT:
            excerpt = excerpt[: EXCERPT - 1].rstrip() + "…"
        hint = f"“{excerpt}”"
        if flag.conditional:
            hint += " " + sentence(
                f"Handling code C: {flag.handling_conditions or 'conditions recorded'}"
            )
        out.append(
            Choice(
                EvidenceKind.FLAG,
                flag.id,
                flag.reported_at,
                f"Intelligence flag {flag.id}, received {day_text(flag.reported_at)}, {grade}",
                hint,
            )
        )
    if shown:
        audit.record(
            session,
            actor,
            now,
            action="intel_flag.list",
            entity_type=flags.SUBJECT,
            entity_id=None,
            summary=f"Listed {len(shown)} intelligence flags to choose referral evidence",
            after={"shown": [f.id for f in shown], "premises_id": premises_id},
        )
    return out


def _visit_choices(session: Session, actor: Actor, premises_id: int) -> list[Choice]:
    """Return the welfare visits a supervisor released as evidence, by date alone."""
    # The date alone: the time of day is content (enforcement.timeline).
    return [
        Choice(
            EvidenceKind.WELFARE_VISIT,
            visit.id,
            visit.visited_at,
            f"Welfare visit on {day_text(visit.visited_at)}, released for use as"
            f" evidence on {day_text(visit.released_at or visit.visited_at)}",
            "What the release lets the paper show goes in the exempt paper only.",
        )
        for visit in session.scalars(
            select(WelfareVisit)
            .where(
                WelfareVisit.premises_id == premises_id,
                policy.released_clause(policy.WELFARE_VISIT.record_type),
                policy.visible_visits_clause(actor, Visibility.EXISTENCE),
            )
            .order_by(WelfareVisit.visited_at.desc(), WelfareVisit.id.desc())
        )
    ]


# ---------------------------------------------------------------------------------------------
# Capturing what was chosen


def capture(
    session: Session,
    actor: Actor,
    premises_id: int,
    wanted: Iterable[tuple[str, int]],
) -> list[Captured]:
    """Capture the chosen items as they stand; refuse any the actor may not select.

    Raises ValidationFailed({"evidence": ...}) naming what cannot be used, and nothing is
    captured then. Welfare visit content is read here as the release permits, never shown
    to an officer who may not read it.
    """
    by_kind: dict[str, set[int]] = {}
    for kind, source_id in wanted:
        by_kind.setdefault(kind, set()).add(source_id)
    total = sum(len(ids) for ids in by_kind.values())
    if total > MAX_EVIDENCE:
        raise ValidationFailed({"evidence": f"Choose {MAX_EVIDENCE} evidence items or fewer"})
    if unknown := set(by_kind) - {k.value for k in EvidenceKind}:
        raise ValidationFailed({"evidence": f"Unknown kind of evidence: {sorted(unknown)[0]}"})
    out: list[Captured] = []
    refused: list[str] = []
    inspection_ids = by_kind.get(EvidenceKind.INSPECTION, set()) | by_kind.get(
        EvidenceKind.POSTER_CHECK, set()
    )
    if inspection_ids:
        out += _capture_inspections(session, premises_id, by_kind, inspection_ids, refused)
    if ids := by_kind.get(EvidenceKind.CASE):
        out += _capture_cases(session, actor, premises_id, ids, refused)
    if ids := by_kind.get(EvidenceKind.FLAG):
        out += _capture_flags(session, actor, premises_id, ids, refused)
    if ids := by_kind.get(EvidenceKind.WELFARE_VISIT):
        out += _capture_visits(session, actor, premises_id, ids, refused)
    if refused:
        raise ValidationFailed(
            {"evidence": "These cannot be used as evidence here: " + "; ".join(sorted(refused))}
        )
    return sorted(out, key=lambda c: (c.occurred_at, c.kind.value, c.source_id))


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all()
    )


def _capture_inspections(
    session: Session,
    premises_id: int,
    by_kind: dict[str, set[int]],
    ids: set[int],
    refused: list[str],
) -> list[Captured]:
    rows = {
        i.id: i
        for i in session.scalars(
            select(Inspection)
            .where(Inspection.id.in_(ids))
            .options(
                selectinload(Inspection.findings),
                selectinload(Inspection.language_rows),
                selectinload(Inspection.officer_rows),
            )
        )
    }
    conditions = {
        c.id: c
        for c in session.scalars(
            select(LicenceCondition).where(
                LicenceCondition.id.in_({f.condition_id for i in rows.values() for f in i.findings})
            )
        )
    }
    languages = dict(session.execute(select(Language.code, Language.name)).all())
    officers = _names(session, [o.user_id for i in rows.values() for o in i.officer_rows])
    out = []
    for source_id in sorted(ids):
        ins = rows.get(source_id)
        if ins is None or ins.premises_id != premises_id:
            refused.append(f"inspection {source_id} (not an inspection of this premises)")
            continue
        if source_id in by_kind.get(EvidenceKind.INSPECTION, set()):
            out.append(_inspection_item(ins, conditions, officers))
        if source_id in by_kind.get(EvidenceKind.POSTER_CHECK, set()):
            out.append(_poster_item(ins, languages))
    return out


def _inspection_item(
    ins: Inspection, conditions: dict[int, LicenceCondition], officers: dict[int, str]
) -> Captured:
    findings = sorted(
        (f for f in ins.findings if f.condition_id in conditions),
        key=lambda f: conditions[f.condition_id].number,
    )
    parts = [f"{InspectionReason.label_of(ins.reason)}."]
    if ins.joint_with_police:
        parts.append("Held jointly with the police.")
    if findings:
        parts.append(
            "Conditions checked: "
            + "; ".join(
                f"condition {conditions[f.condition_id].number} "
                f"{Finding.label_of(f.finding).lower()}"
                for f in findings
            )
            + "."
        )
    else:
        parts.append("No licence conditions were checked.")
    exempt: list[str] = []
    present = sorted(officers[o.user_id] for o in ins.officer_rows if o.user_id in officers)
    if present:
        exempt.append("Officers present: " + ", ".join(present) + ".")
    if ins.other_officers:
        exempt.append(sentence(f"Other officers present: {ins.other_officers}"))
    for f in findings:
        if f.note:
            exempt.append(f"Note on condition {conditions[f.condition_id].number}: {f.note}")
    if ins.observations:
        exempt.append(f"Observations: {ins.observations}")
    return Captured(
        EvidenceKind.INSPECTION,
        ins.id,
        ins.inspected_at,
        "Inspection by the licensing authority",
        " ".join(parts),
        "\n".join(exempt) or None,
        Disclosure.OPEN,
    )


def _poster_item(ins: Inspection, languages: dict[str, str]) -> Captured:
    displayed = sorted(
        languages.get(r.language_code, r.language_code)
        for r in ins.language_rows
        if r.role == "displayed"
    )
    needed = sorted(
        languages.get(r.language_code, r.language_code)
        for r in ins.language_rows
        if r.role == "needed"
    )
    if not ins.poster_displayed:
        text = "The anti-trafficking poster was not displayed."
    elif ins.poster_compliant:
        text = (
            "The anti-trafficking poster was displayed where the public and the people working"
            " there could see it, in every language the premises needs."
        )
    else:
        text = f"The anti-trafficking poster did not comply: {ins.poster_shortfall or 'shortfall recorded'}."
    if needed:
        text += f" Languages needed: {', '.join(needed)}."
    if ins.poster_displayed:
        text += f" Languages displayed: {', '.join(displayed) or 'none recorded'}."
    return Captured(
        EvidenceKind.POSTER_CHECK,
        ins.id,
        ins.inspected_at,
        "Anti-trafficking poster check",
        text,
        "A photograph of the poster is held as evidence." if ins.poster_photo_id else None,
        Disclosure.OPEN,
    )


def _capture_cases(
    session: Session, actor: Actor, premises_id: int, ids: set[int], refused: list[str]
) -> list[Captured]:
    if not can(actor, Permission.CASE_VIEW):
        refused.append("enforcement cases (you do not have access to cases)")
        return []
    found = {
        c.id: c for c in session.scalars(select(EnforcementCase).where(EnforcementCase.id.in_(ids)))
    }
    owners = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({c.owner_organisation_id for c in found.values()})
            )
        ).all()
    )
    events: dict[int, list[CaseEvent]] = {}
    for event in session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id.in_(found))
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    ):
        events.setdefault(event.case_id, []).append(event)
    out = []
    for source_id in sorted(ids):
        case = found.get(source_id)
        if case is None or case.premises_id != premises_id:
            refused.append(f"enforcement case {source_id} (not a case at this premises)")
            continue
        steps = "; ".join(
            f"{EventKind.label_of(e.kind).lower()} on {day_text(e.occurred_at)}"
            for e in events.get(case.id, [])
        )
        public = (
            f"{ToolCode.label_of(case.tool)} case held by {owners.get(case.owner_organisation_id, 'an organisation')},"
            f" opened on {day_text(case.opened_at)}"
            + (f", closed on {day_text(case.closed_at)}" if case.closed_at else "")
            + "."
            + (f" Events: {steps}." if steps else "")
        )
        notes = [
            f"{EventKind.label_of(e.kind)}: {e.note}" for e in events.get(case.id, []) if e.note
        ]
        exempt = "\n".join([f"Summary: {case.summary}", *notes])
        out.append(
            Captured(
                EvidenceKind.CASE,
                case.id,
                case.opened_at,
                f"Enforcement case {case.reference}",
                public,
                exempt,
                Disclosure.OPEN,
            )
        )
    return out


def _capture_flags(
    session: Session, actor: Actor, premises_id: int, ids: set[int], refused: list[str]
) -> list[Captured]:
    found = {
        f.id: f
        for f in session.scalars(
            select(IntelFlag)
            .where(IntelFlag.id.in_(ids))
            .options(
                selectinload(IntelFlag.exploitation_rows),
                selectinload(IntelFlag.audience_org_rows),
                selectinload(IntelFlag.audience_role_rows),
            )
        )
    }
    out = []
    for source_id in sorted(ids):
        flag = found.get(source_id)
        if (
            flag is None
            or flag.premises_id != premises_id
            or policy.visibility(actor, flag) is not Visibility.CONTENT
        ):
            # The same words whether it does not exist or is hidden: existence is need-to-know.
            refused.append(f"intelligence flag {source_id} (not one you can read at this premises)")
            continue
        grade = flags.grade_text(flag)
        forms = ", ".join(ExploitationForm.label_of(r.form).lower() for r in flag.exploitation_rows)
        lines = [
            f"Intelligence flag {flag.id} from a {SourceType.label_of(flag.source_type).lower()}"
            f" source, {'graded ' + grade + ' (3x5x2)' if grade else 'not graded'}.",
        ]
        if forms:
            lines.append(f"Forms of exploitation reported: {forms}.")
        lines.append(f"Report: {flag.report_text}")
        if flag.conditional:
            lines.append(
                "Handling code C, shared with conditions: "
                f"{flag.handling_conditions or 'conditions recorded on the flag'}"
            )
        out.append(
            Captured(
                EvidenceKind.FLAG,
                flag.id,
                flag.reported_at,
                "Intelligence report",
                "",
                "\n".join(lines),
                Disclosure.RESTRICTED if flag.conditional else Disclosure.INTELLIGENCE,
            )
        )
    return out


def _capture_visits(
    session: Session, actor: Actor, premises_id: int, ids: set[int], refused: list[str]
) -> list[Captured]:
    found = {
        v.id: v
        for v in session.scalars(
            select(WelfareVisit)
            .where(WelfareVisit.id.in_(ids))
            .options(
                selectinload(WelfareVisit.indicator_rows),
                selectinload(WelfareVisit.language_rows),
            )
        )
    }
    languages = dict(session.execute(select(Language.code, Language.name)).all())
    releasers = _names(session, [v.released_by_id for v in found.values()])
    routes = records.route_counts_of_visits(session, set(found))
    out = []
    for source_id in sorted(ids):
        visit = found.get(source_id)
        if (
            visit is None
            or visit.premises_id != premises_id
            or not policy.may_use_as_evidence(visit)
            or policy.visibility(actor, visit) is Visibility.NONE
        ):
            refused.append(
                f"welfare visit {source_id} (only visits a supervisor released can be used)"
            )
            continue
        out.append(_visit_item(visit, languages, releasers, routes.get(visit.id, [])))
    return out


def property_phrase(described: str) -> str:
    """The property a visit describes, after "to": "a massage parlour"; the officer's own words
    for another kind stay on the visit (free text never reaches a paper)."""
    if described == PropertyDescribed.OTHER:
        return "a property of another kind"
    return f"a {PropertyDescribed.label_of(described).lower()}"


def _visit_item(
    visit: WelfareVisit,
    languages: dict[str, str],
    releasers: dict[int, str],
    routes: list[tuple[str, int]],
) -> Captured:
    """What a release lets a paper show: counts, indicators, support and referrals by route.

    Never the officers' free text (feedback, other indicators), the crime reference or who
    was present: those stay on the visit, need-to-know.
    """
    indicators = sorted(
        INDICATORS[r.code].label for r in visit.indicator_rows if r.code in INDICATORS
    )
    present = visit.people_present
    lines = [
        f"Operation Moontwist welfare visit to {property_phrase(visit.property_described)}; "
        f"{present} {'person' if present == 1 else 'people'} present.",
        "Indicators of exploitation observed: "
        + ("; ".join(indicators) if indicators else "none recorded")
        + ".",
    ]
    if visit.interpreter_used:
        lines.append(
            "An interpreter was used"
            + (
                f" ({languages.get(visit.interpreter_language, visit.interpreter_language)})."
                if visit.interpreter_language
                else "."
            )
        )
    if visit.support_info_left:
        left = sorted(languages.get(r.language_code, r.language_code) for r in visit.language_rows)
        lines.append("Support information was left" + (f" in {', '.join(left)}." if left else "."))
    referrals = [f"{ReferralRoute.label_of(route)}: {n}" for route, n in routes]
    lines.append("Referrals made: " + ("; ".join(referrals) if referrals else "none") + ".")
    by = releasers.get(visit.released_by_id) if visit.released_by_id else None
    lines.append(
        f"Released for use as evidence on {day_text(visit.released_at or visit.visited_at)}"
        + (f" by {by}" if by else "")
        + f": {visit.release_reason or ''}".rstrip(": ")
    )
    return Captured(
        EvidenceKind.WELFARE_VISIT,
        visit.id,
        visit.visited_at,
        "Welfare visit (Operation Moontwist), released for use as evidence",
        "",
        "\n".join(lines),
        Disclosure.WELFARE,
    )


def breached_findings(
    session: Session, licence_id: int, premises_id: int
) -> dict[int, list[tuple[int, datetime]]]:
    """Return, per condition of the licence, the inspections at the premises that found it breached."""
    rows = session.execute(
        select(ConditionFinding.condition_id, Inspection.id, Inspection.inspected_at)
        .join(Inspection, Inspection.id == ConditionFinding.inspection_id)
        .join(LicenceCondition, LicenceCondition.id == ConditionFinding.condition_id)
        .where(
            LicenceCondition.licence_id == licence_id,
            Inspection.premises_id == premises_id,
            ConditionFinding.finding == Finding.BREACHED.value,
        )
        .order_by(Inspection.inspected_at, Inspection.id, ConditionFinding.condition_id)
    ).all()
    out: dict[int, list[tuple[int, datetime]]] = {}
    for condition_id, inspection_id, at in rows:
        out.setdefault(condition_id, []).append((inspection_id, at))
    return out


__all__ = [
    "Captured",
    "Choice",
    "breached_findings",
    "capture",
    "choices",
    "day_text",
    "parse_key",
]
