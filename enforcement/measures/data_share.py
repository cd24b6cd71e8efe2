"""The quarterly data share with partners (action 4.2), and partners' own submissions of figures.

An analyst produces a quarter's share once the quarter has ended: every registered measure is
run, anonymised (enforcement.measures.anonymise) and frozen in a `DataShare` row. A supervisor other
than the producer signs it off; only then can it be downloaded, as CSV or JSON (docs/
data-share.md), by the analysts, supervisors and partners. Producing, signing off and every
download are audited.

Partners' submissions arrive as CSV files in a fixed format (docs/data-share.md): the whole
file is checked and either every row is imported or none is, with each problem reported with
its line number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased

from enforcement import audit
from enforcement.access import Actor, Permission, can, require
from enforcement.clock import to_london
from enforcement.errors import Forbidden, NotFound, StaleEdit, ValidationFailed
from enforcement.measures import anonymise, registry
from enforcement.measures.quarters import Quarter
from enforcement.measures.vocab import (
    AGE_GROUPS,
    AgeGroup,
    DataShareStatus,
    PartnerMeasure,
    SubmissionStatus,
)
from enforcement.models import Organisation, User, Ward
from enforcement.models.data_share import DataShare, PartnerSubmission, PartnerSubmissionRow
from enforcement.register.wards import wards_in_force
from enforcement.spreadsheet import column_key, delimiter_of
from enforcement.welfare.visits import ward_names

AWAITING = DataShareStatus.AWAITING
SIGNED_OFF = DataShareStatus.SIGNED_OFF
SUPERSEDED = DataShareStatus.SUPERSEDED
SCHEMA_ID = "mse-quarterly-data-share/1"
NOT_SIGNED_OFF = (
    "This data share has not been signed off yet. It can be downloaded once a supervisor "
    "has checked the preview and signed it off."
)
_producer = aliased(User)
_signer = aliased(User)


# --- producing, signing off, downloading ------------------------------------------------------


def _canonical(rows: Sequence[dict[str, anonymise.Value]]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def produce_share(session: Session, actor: Actor, now: datetime, quarter: Quarter) -> DataShare:
    """Produce the next edition of a quarter's data share, awaiting a supervisor's sign-off.

    Raises ValidationFailed for a quarter that has not ended. An earlier edition still awaiting
    sign-off is superseded; one already signed off stays in force until this one is signed off.
    """
    require(actor, Permission.DATA_SHARE_PRODUCE)
    if not quarter.has_ended(now):
        raise ValidationFailed(
            {
                "quarter": f"The data share for {quarter.label} can be produced once the quarter "
                "has ended"
            }
        )
    with registry.sharing(session):
        results = [registry.run(m, session, actor, now, quarter) for m in registry.measures()]
    in_force = [w.code for w in wards_in_force(session, quarter.last_day)]
    rows = anonymise.share_rows(quarter, results, ward_names(session), in_force)
    anonymise.check_rows(rows)
    payload = _canonical(rows)
    edition = (
        session.scalar(select(func.max(DataShare.edition)).where(DataShare.quarter == quarter.code))
        or 0
    ) + 1
    session.execute(
        update(DataShare)
        .where(DataShare.quarter == quarter.code, DataShare.status == AWAITING)
        .values(status=SUPERSEDED, version=DataShare.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    share = DataShare(
        quarter=quarter.code,
        edition=edition,
        status=AWAITING,
        produced_by_id=actor.user_id,
        produced_at=now,
        rows_json=payload,
        content_sha256=hashlib.sha256(payload.encode()).hexdigest(),
        row_count=len(rows),
    )
    session.add(share)
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="data_share.produce",
        entity_type="data_share",
        entity_id=share.id,
        summary=f"Produced the data share for {quarter.label} (edition {edition}, "
        f"{len(rows)} rows), awaiting sign-off",
        after={"quarter": quarter.code, "edition": edition, "sha256": share.content_sha256},
    )
    return share


def _may_see_unsigned(actor: Actor) -> bool:
    return can(actor, Permission.DATA_SHARE_PRODUCE) or can(actor, Permission.DATA_SHARE_SIGN_OFF)


@dataclass(frozen=True)
class ShareSummary:
    id: int
    quarter: Quarter
    edition: int
    status: str
    produced_at: datetime
    produced_by_id: int | None
    produced_by: str | None
    signed_off_at: datetime | None
    signed_off_by: str | None
    row_count: int
    content_sha256: str

    @property
    def status_label(self) -> str:
        if self.status == SUPERSEDED and self.signed_off_at is not None:
            return "Signed off, since superseded"
        return DataShareStatus.label_of(self.status)

    @property
    def downloadable(self) -> bool:
        return self.signed_off_at is not None


def _summaries(session: Session, *where: Any) -> list[ShareSummary]:
    rows = session.execute(
        select(DataShare, _producer.display_name, _signer.display_name)
        .outerjoin(_producer, _producer.id == DataShare.produced_by_id)
        .outerjoin(_signer, _signer.id == DataShare.signed_off_by_id)
        .where(*where)
        .order_by(DataShare.quarter.desc(), DataShare.edition.desc())
    ).all()
    return [
        ShareSummary(
            s.id,
            Quarter.parse(s.quarter),
            s.edition,
            s.status,
            s.produced_at,
            s.produced_by_id,
            producer,
            s.signed_off_at,
            signer,
            s.row_count,
            s.content_sha256,
        )
        for s, producer, signer in rows
    ]


def list_shares(session: Session, actor: Actor) -> list[ShareSummary]:
    """Return the shares the actor may see, newest quarter first (partners: signed off only)."""
    require(actor, Permission.DASHBOARD_SHARED)
    if _may_see_unsigned(actor):
        return _summaries(session)
    return _summaries(session, DataShare.signed_off_at.is_not(None))


@dataclass(frozen=True)
class ShareDetail:
    summary: ShareSummary
    version: int
    rows: list[dict[str, anonymise.Value]]


def _load(session: Session, actor: Actor, share_id: int) -> DataShare:
    require(actor, Permission.DASHBOARD_SHARED)
    share = session.get(DataShare, share_id)
    if share is None or (share.signed_off_at is None and not _may_see_unsigned(actor)):
        raise NotFound("There is no such data share.")
    return share


def get_share(session: Session, actor: Actor, share_id: int) -> ShareDetail:
    """Return a share with its rows exactly as the files carry them (the preview)."""
    share = _load(session, actor, share_id)
    summary = _summaries(session, DataShare.id == share.id)[0]
    return ShareDetail(summary, share.version, json.loads(share.rows_json))


def sign_off_share(
    session: Session, actor: Actor, now: datetime, share_id: int, expected_version: int
) -> DataShare:
    """Sign off a share for partners: it replaces the quarter's earlier signed-off edition.

    The producer may not sign off their own share (Forbidden); a share changed since the page
    was opened (another supervisor signed it off, or a new edition superseded it) is StaleEdit.
    """
    require(actor, Permission.DATA_SHARE_SIGN_OFF)
    share = _load(session, actor, share_id)
    if share.version != expected_version:
        # The sign-off page keeps the version it was opened with: opening it again is the way on.
        raise StaleEdit.changed_meanwhile("data share", resubmit=False)
    if share.status != AWAITING:
        raise ValidationFailed({"share": "Only a data share awaiting sign-off can be signed off"})
    if share.produced_by_id is not None and share.produced_by_id == actor.user_id:
        raise Forbidden(
            "You produced this data share, so another supervisor must check and sign it off."
        )
    session.execute(
        update(DataShare)
        .where(DataShare.quarter == share.quarter, DataShare.status == SIGNED_OFF)
        .values(status=SUPERSEDED, version=DataShare.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    share.status = SIGNED_OFF
    share.signed_off_by_id = actor.user_id
    share.signed_off_at = now
    session.flush()
    quarter = Quarter.parse(share.quarter)
    audit.record(
        session,
        actor,
        now,
        action="data_share.sign_off",
        entity_type="data_share",
        entity_id=share.id,
        summary=f"Signed off the data share for {quarter.label} (edition {share.edition}) "
        "for partners",
        before={"status": AWAITING},
        after={"status": SIGNED_OFF, "sha256": share.content_sha256},
    )
    return share


def render_csv(rows: Sequence[dict[str, anonymise.Value]]) -> str:
    """Return the rows as CSV with a header row of the schema's fields."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(anonymise.SCHEMA), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def render_json(share: DataShare, rows: Sequence[dict[str, anonymise.Value]]) -> str:
    """Return the share as JSON: what it is, how it was anonymised, then the rows."""
    quarter = Quarter.parse(share.quarter)
    month_from, month_to = quarter.months
    document = {
        "schema": SCHEMA_ID,
        "quarter": quarter.code,
        "month_from": month_from,
        "month_to": month_to,
        "edition": share.edition,
        "produced_month": anonymise.month_of(to_london(share.produced_at)),
        "suppression": {
            "threshold": anonymise.THRESHOLD,
            "fewer_than_5": anonymise.FEWER_THAN_5,
            "suppressed": anonymise.SUPPRESSED,
            "rule": "Counts of 1 to 4 are given as 'fewer than 5'; where one cell of a group "
            "that adds up to a published total is withheld, another is too ('suppressed') so "
            "that neither can be worked out by subtraction.",
        },
        "fields": list(anonymise.SCHEMA),
        "rows": list(rows),
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


@dataclass(frozen=True)
class Download:
    filename: str
    mimetype: str
    content: str


def download_share(
    session: Session, actor: Actor, now: datetime, share_id: int, fmt: str
) -> Download:
    """Return a signed-off share as "csv" or "json"; refused (Forbidden) until it is signed off.

    Every download is audited.
    """
    share = _load(session, actor, share_id)
    if fmt not in ("csv", "json"):
        raise NotFound("There is no such file.")
    if share.signed_off_at is None:
        raise Forbidden(NOT_SIGNED_OFF)
    rows = json.loads(share.rows_json)
    anonymise.check_rows(rows)
    content = render_csv(rows) if fmt == "csv" else render_json(share, rows)
    audit.record(
        session,
        actor,
        now,
        action="data_share.download",
        entity_type="data_share",
        entity_id=share.id,
        summary=f"Downloaded the data share for {Quarter.parse(share.quarter).label} "
        f"(edition {share.edition}) as {fmt.upper()}",
        after={"format": fmt, "sha256": share.content_sha256},
    )
    name = f"mse-data-share-{share.quarter}-edition-{share.edition}.{fmt}"
    return Download(name, "text/csv" if fmt == "csv" else "application/json", content)


def signed_off_rows(
    session: Session, actor: Actor, quarter: Quarter
) -> tuple[ShareSummary, list[dict[str, anonymise.Value]]] | None:
    """Return the quarter's signed-off share and its rows, or None if none is signed off."""
    require(actor, Permission.DASHBOARD_SHARED)
    share = session.scalar(
        select(DataShare).where(DataShare.quarter == quarter.code, DataShare.status == SIGNED_OFF)
    )
    if share is None:
        return None
    return _summaries(session, DataShare.id == share.id)[0], json.loads(share.rows_json)


# --- partners' submissions ------------------------------------------------------------------

HEADER = ("quarter", "ward_code", "measure", "age_group", "count")
MAX_ROWS = 5_000
MAX_COUNT = 100_000
_COUNT = re.compile(r"^\d+$")


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str


class SubmissionRejected(ValidationFailed):
    """The file was refused: nothing was imported; `problems` says what, line by line."""

    def __init__(self, problems: list[LineProblem]) -> None:
        super().__init__(
            {
                "file": f"The file was not imported: {len(problems)} "
                f"problem{'s' if len(problems) != 1 else ''} to put right"
            }
        )
        self.problems = problems


@dataclass(frozen=True)
class SubmittedFigure:
    line: int
    ward_code: str
    measure: str
    age_group: str
    count: int


def _decode(data: bytes) -> tuple[str | None, list[LineProblem]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return None, [
                    LineProblem(number, "This line is not UTF-8 text: save the file as CSV UTF-8")
                ]
        return None, [LineProblem(1, "The file is not UTF-8 text: save it as CSV UTF-8")]


def _figure_problems(
    line: int,
    q: str,
    ward: str,
    measure: str,
    age: str,
    count: str,
    quarter: Quarter,
    ward_codes: set[str],
) -> list[LineProblem]:
    """Return what is wrong with one figure's values (its quarter, ward, measure, age, count)."""
    faults: list[LineProblem] = []
    if q != quarter.code:
        faults.append(
            LineProblem(
                line,
                f"The quarter must be {quarter.code}, the quarter being imported "
                f"(found {q[:20] or 'nothing'})",
            )
        )
    if ward and ward not in ward_codes:
        faults.append(
            LineProblem(
                line,
                f"{ward[:20]} is not the code of a ward of the borough in {quarter.label}: "
                "use the ward's ONS code, or leave it empty if the ward is not known",
            )
        )
    if measure not in {m.value for m in PartnerMeasure}:
        faults.append(
            LineProblem(
                line,
                f"Unknown measure {measure[:40] or '(empty)'}: use one of "
                + ", ".join(m.value for m in PartnerMeasure),
            )
        )
    elif age not in AGE_GROUPS[measure]:
        faults.append(
            LineProblem(
                line,
                f"The age group of {measure} must be one of "
                + ", ".join(sorted(AGE_GROUPS[measure]))
                + f" (found {age[:20] or 'nothing'})",
            )
        )
    if not _COUNT.match(count) or int(count) > MAX_COUNT:
        faults.append(
            LineProblem(
                line,
                f"The count must be a whole number from 0 to {MAX_COUNT:,} "
                f"(found {count[:20] or 'nothing'})",
            )
        )
    return faults


def parse_submission(data: bytes, quarter: Quarter, ward_codes: set[str]) -> list[SubmittedFigure]:
    """Read a partner's CSV file; return its figures or raise SubmissionRejected with every problem.

    The format is docs/data-share.md's: a header row `quarter,ward_code,measure,age_group,count`
    then one figure a line. Blank lines are ignored.
    """
    text, problems = _decode(data)
    if text is None:
        raise SubmissionRejected(problems)
    # Separated by commas, or by semicolons or tabs as a spreadsheet set to another locale saves
    # it, whichever the header uses.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text, HEADER))
    # Bound before the header is read: a header that is not valid CSV lands in the handler.
    figures: list[SubmittedFigure] = []
    try:
        header = next(reader, None)
        if header is None:
            raise SubmissionRejected([LineProblem(1, "The file is empty")])
        # Compared by letters and digits alone: "Ward code" or "WARD-CODE" is ward_code.
        if tuple(column_key(h) for h in header) != tuple(column_key(h) for h in HEADER):
            raise SubmissionRejected(
                [
                    LineProblem(
                        1,
                        "The first line must be the header "
                        f"{','.join(HEADER)} (found {','.join(h.strip() for h in header)[:200]})",
                    )
                ]
            )
        seen: dict[tuple[str, str, str], int] = {}
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(figures) + len(problems) >= MAX_ROWS:
                problems.append(LineProblem(line, f"A file may hold at most {MAX_ROWS:,} figures"))
                break
            if len(values) != len(HEADER):
                problems.append(
                    LineProblem(
                        line,
                        f"Expected {len(HEADER)} values ({', '.join(HEADER)}), found {len(values)}",
                    )
                )
                continue
            q, ward, measure, age, count = (v.strip() for v in values)
            ward = ward.upper()
            if faults := _figure_problems(line, q, ward, measure, age, count, quarter, ward_codes):
                problems += faults
                continue
            key = (ward, measure, age)
            if key in seen:
                problems.append(
                    LineProblem(
                        line,
                        f"The same ward, measure and age group as line {seen[key]}: give each "
                        "figure once",
                    )
                )
                continue
            seen[key] = line
            figures.append(SubmittedFigure(line, ward, measure, age, int(count)))
    except csv.Error as exc:
        problems.append(LineProblem(reader.line_num, f"This line is not valid CSV: {exc}"))
    if not figures and not problems:
        problems.append(LineProblem(1, "The file has no figures after its header"))
    if problems:
        raise SubmissionRejected(problems)
    return figures


def ward_codes_in(session: Session, quarter: Quarter) -> set[str]:
    """Return the codes of the wards in force at any time in the quarter."""
    return set(
        session.scalars(
            select(Ward.code).where(
                Ward.valid_from <= quarter.last_day,
                or_(Ward.valid_to.is_(None), Ward.valid_to >= quarter.first_day),
            )
        )
    )


def import_submission(
    session: Session,
    actor: Actor,
    now: datetime,
    organisation_id: int | None,
    quarter: Quarter,
    data: bytes,
) -> PartnerSubmission:
    """Import an organisation's figures for a quarter from a CSV file: all of them or none.

    A partner imports for their own organisation only; an analyst for any. The file replaces
    the organisation's earlier submission for the quarter. Raises SubmissionRejected (nothing
    imported) with every problem and its line, ValidationFailed for the choices, Forbidden.
    """
    require(actor, Permission.PARTNER_SUBMISSION_IMPORT)
    if not actor.is_system and not can(actor, Permission.DATA_SHARE_PRODUCE):
        # A partner speaks for their own organisation only.
        if organisation_id is not None and organisation_id != actor.organisation_id:
            raise Forbidden("You can import figures for your own organisation only.")
        organisation_id = actor.organisation_id
    errors: dict[str, str] = {}
    organisation = None if organisation_id is None else session.get(Organisation, organisation_id)
    if organisation is None:
        errors["organisation_id"] = "Select the organisation whose figures these are"
    if not quarter.has_begun(now):
        errors["quarter"] = f"{quarter.label} has not begun: choose a quarter that has"
    if errors:
        raise ValidationFailed(errors)
    assert organisation is not None
    figures = parse_submission(data, quarter, ward_codes_in(session, quarter))
    session.execute(
        update(PartnerSubmission)
        .where(
            PartnerSubmission.organisation_id == organisation.id,
            PartnerSubmission.quarter == quarter.code,
            PartnerSubmission.status == SubmissionStatus.CURRENT,
        )
        .values(status=SubmissionStatus.SUPERSEDED)
        .execution_options(synchronize_session="fetch")
    )
    submission = PartnerSubmission(
        organisation_id=organisation.id,
        quarter=quarter.code,
        status=SubmissionStatus.CURRENT,
        imported_by_id=actor.user_id,
        imported_at=now,
        file_sha256=hashlib.sha256(data).hexdigest(),
        row_count=len(figures),
    )
    session.add(submission)
    session.flush()
    session.add_all(
        PartnerSubmissionRow(
            submission_id=submission.id,
            ward_code=f.ward_code,
            measure=f.measure,
            age_group=f.age_group,
            count=f.count,
        )
        for f in figures
    )
    session.flush()
    audit.record(
        session,
        actor,
        now,
        action="partner_submission.import",
        entity_type="partner_submission",
        entity_id=submission.id,
        summary=f"Imported {len(figures)} figures from {organisation.name} for {quarter.label}",
        after={
            "organisation_id": organisation.id,
            "quarter": quarter.code,
            "rows": len(figures),
            "sha256": submission.file_sha256,
        },
    )
    return submission


@dataclass(frozen=True)
class SubmissionSummary:
    id: int
    organisation: str
    quarter: Quarter
    status: str
    imported_at: datetime
    row_count: int


def list_submissions(
    session: Session, actor: Actor, quarter: Quarter | None = None
) -> list[SubmissionSummary]:
    """Return submissions, newest first: every one for analysts and supervisors, a partner's own."""
    require(actor, Permission.DASHBOARD_SHARED)
    where: list[Any] = []
    if quarter is not None:
        where.append(PartnerSubmission.quarter == quarter.code)
    if not can(actor, Permission.DASHBOARD_VIEW):
        where.append(PartnerSubmission.organisation_id == actor.organisation_id)
    rows = session.execute(
        select(PartnerSubmission, Organisation.name)
        .join(Organisation, Organisation.id == PartnerSubmission.organisation_id)
        .where(*where)
        .order_by(PartnerSubmission.imported_at.desc(), PartnerSubmission.id.desc())
        .limit(200)
    ).all()
    return [
        SubmissionSummary(
            s.id, name, Quarter.parse(s.quarter), s.status, s.imported_at, s.row_count
        )
        for s, name in rows
    ]


def organisation_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Return the organisations the actor may import figures for, by name."""
    require(actor, Permission.PARTNER_SUBMISSION_IMPORT)
    query = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    if not actor.is_system and not can(actor, Permission.DATA_SHARE_PRODUCE):
        query = query.where(Organisation.id == actor.organisation_id)
    return [(oid, name) for oid, name in session.execute(query)]


def format_help() -> list[tuple[str, str, str]]:
    """Return each partner measure's code, meaning and allowed age groups (for the import page)."""
    return [(m.value, m.label, ", ".join(sorted(AGE_GROUPS[m.value]))) for m in PartnerMeasure]


__all__ = [
    "AWAITING",
    "HEADER",
    "SIGNED_OFF",
    "AgeGroup",
    "Download",
    "LineProblem",
    "ShareDetail",
    "ShareSummary",
    "SubmissionRejected",
    "download_share",
    "get_share",
    "import_submission",
    "list_shares",
    "list_submissions",
    "parse_submission",
    "produce_share",
    "sign_off_share",
    "signed_off_rows",
]
