"""The partner picture: what the Modern Slavery and Exploitation group's partners share each quarter.

Partners submit their own counts (enforcement.measures.data_share imports them, a CSV file at a time);
these measures add up the current submission of each organisation for a quarter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from enforcement.access import Actor, Permission
from enforcement.measures.quarters import Quarter
from enforcement.measures.registry import WARD_UNKNOWN, Category, Cells, RecordLink, Target, measure
from enforcement.measures.vocab import PartnerMeasure, SubmissionStatus
from enforcement.models.data_share import PartnerSubmission, PartnerSubmissionRow

CURRENT = SubmissionStatus.CURRENT
#: Action 4.2's measure of success: five MSE group partners share data each quarter.
PARTNERS_TARGET = 5


def _current(quarter: Quarter) -> list[ColumnElement[bool]]:
    return [PartnerSubmission.quarter == quarter.code, PartnerSubmission.status == CURRENT]


def _ward_filter(ward: str | None) -> list[ColumnElement[bool]]:
    return [] if ward is None else [PartnerSubmissionRow.ward_code == ward]


def _submission_links(q: Quarter, _ward: str | None) -> Iterable[RecordLink]:
    return (
        RecordLink(
            "partner_submissions",
            "The partners' submissions for the quarter",
            Permission.DASHBOARD_VIEW,
            (("quarter", q.code),),
        ),
    )


@measure(
    key="partners_sharing",
    title="Partners sharing data this quarter",
    action="4.2",
    description="Organisations whose figures for the quarter have been imported (their latest "
    "submission counts). In a ward: those that gave figures for it.",
    categories=(Category("partners", "Partners that shared figures"),),
    wards_add_up=False,
    target=Target(
        "5 MSE group partners share data quarterly",
        count=PARTNERS_TARGET,
        count_of="partners",
    ),
    links=_submission_links,
)
def partners_sharing(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    total = session.scalar(
        select(func.count(func.distinct(PartnerSubmission.organisation_id))).where(
            *_current(quarter)
        )
    )
    by_ward = {
        code: {"partners": int(n)}
        for code, n in session.execute(
            select(
                PartnerSubmissionRow.ward_code,
                func.count(func.distinct(PartnerSubmission.organisation_id)),
            )
            .join(PartnerSubmission, PartnerSubmission.id == PartnerSubmissionRow.submission_id)
            .where(*_current(quarter), *_ward_filter(ward))
            .group_by(PartnerSubmissionRow.ward_code)
        )
    }
    return Cells(by_ward=by_ward, total={"partners": int(total or 0)})


def _sums(
    session: Session, quarter: Quarter, ward: str | None, measures: Iterable[str]
) -> list[tuple[str, str, str, int]]:
    return [
        (code, m, age, int(n or 0))
        for code, m, age, n in session.execute(
            select(
                PartnerSubmissionRow.ward_code,
                PartnerSubmissionRow.measure,
                PartnerSubmissionRow.age_group,
                func.sum(PartnerSubmissionRow.count),
            )
            .join(PartnerSubmission, PartnerSubmission.id == PartnerSubmissionRow.submission_id)
            .where(
                *_current(quarter),
                PartnerSubmissionRow.measure.in_(sorted(measures)),
                *_ward_filter(ward),
            )
            .group_by(
                PartnerSubmissionRow.ward_code,
                PartnerSubmissionRow.measure,
                PartnerSubmissionRow.age_group,
            )
        )
    ]


@measure(
    key="partner_figures",
    title="Partners' figures",
    action="3.1",
    description="The partners' own counts for the quarter, added up across the organisations "
    "that shared: every age group together. Figures a partner could not place in a ward are "
    "under 'ward not known'.",
    categories=tuple(Category(m.value, m.label) for m in PartnerMeasure),
    target=Target(
        "An increased number of victims and survivors engaging in support",
        increase_of=PartnerMeasure.ENGAGING_IN_SUPPORT.value,
    ),
    links=_submission_links,
)
def partner_figures(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    cells: dict[str, dict[str, int]] = {}
    for code, m, _age, n in _sums(session, quarter, ward, [p.value for p in PartnerMeasure]):
        row = cells.setdefault(code or WARD_UNKNOWN, {})
        row[m] = row.get(m, 0) + n
    return Cells(by_ward=cells)


@measure(
    key="partner_nrm_by_age",
    title="Partners' NRM referrals, adults and children",
    action="3.2",
    description="The NRM referrals the partners made in the quarter, by the age group they gave.",
    categories=(
        Category("adult", "Adults"),
        Category("child", "Children"),
        Category("not_known", "Age not known"),
        Category("referrals", "NRM referrals made by partners"),
    ),
    parts=("adult", "child", "not_known"),
    total="referrals",
    target=Target("Increase in NRM/MS1 referrals", increase_of="referrals"),
    links=_submission_links,
    chart=("adult", "child", "not_known"),
)
def partner_nrm_by_age(
    session: Session, _actor: Actor, _now: datetime, quarter: Quarter, ward: str | None
) -> Cells:
    cells: dict[str, dict[str, int]] = {}
    for code, _m, age, n in _sums(session, quarter, ward, [PartnerMeasure.NRM_REFERRALS.value]):
        row = cells.setdefault(code or WARD_UNKNOWN, {})
        row[age] = row.get(age, 0) + n
        row["referrals"] = row.get("referrals", 0) + n
    return Cells(by_ward=cells)
