"""Enforcement case screens: the list, opening a case, the case page, recording events, closing."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.cases.forms import (
    CaseListForm,
    CloseCaseForm,
    EditCaseForm,
    EventForm,
    OpenCaseForm,
)
from app.choices import active_filters
from app.database import db
from app.rulebook import clock
from app.usecase import Conflict, form_version, submit
from app.wallclock import offer_which, read_london
from enforcement.access import Permission
from enforcement.cases import casework as cases
from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.statutory import RuleBook
from enforcement.cases.vocab import EventKind, Status, ToolCode
from enforcement.clock import (
    day_text,
    london_today,
    moment_text,
    to_london,
    utcnow,
)
from enforcement.errors import ValidationFailed
from enforcement.models import EnforcementCase, Organisation
from enforcement.numbers import page_number, record_id
from enforcement.register import premises
from enforcement.register.wards import wards_in_force

bp = Blueprint("cases", __name__)

STATUS_TAGS = {
    Status.PENDING: "govuk-tag--blue",
    Status.MET: "govuk-tag--green",
    Status.MISSED: "govuk-tag--red",
    Status.LAPSED: "govuk-tag--grey",
    Status.CLOSED: "govuk-tag--grey",
}


def _clock() -> tuple[WorkingCalendar, RuleBook]:
    return clock()


def span_text(delta: timedelta) -> str:
    """Say how long a span is in days and hours, or hours and minutes when under two days."""
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60

    def unit(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if days >= 2:
        return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")
    hours += days * 24
    if hours:
        return unit(hours, "hour") + (f" {unit(minutes, 'minute')}" if minutes else "")
    return unit(minutes, "minute")


def _helpers() -> dict[str, object]:
    return {
        "due_text": moment_text,
        "day_text": day_text,
        "span_text": span_text,
        "status_tag": lambda status: STATUS_TAGS.get(Status(status), "govuk-tag--grey"),
        "tool_label": ToolCode.label_of,
        "event_label": EventKind.label_of,
        "served_label": cases.ServedHow.label_of,
        "case_status_label": cases.CaseStatus.label_of,
    }


# ---------------------------------------------------------------------------------------------
# The list


def _owners() -> list[Organisation]:
    return cases.owner_choices(db())


@bp.route("/cases")
@require(Permission.CASE_VIEW)
def index() -> tuple[str, int]:
    form = CaseListForm(request.args)
    form.tool.choices = [("", "Any tool"), *cases.tool_choices()]
    form.status.choices = [("", "Open or closed"), *cases.CaseStatus.choices()]
    form.owner.choices = [("", "Any organisation"), *((str(o.id), o.name) for o in _owners())]
    form.ward.choices = [
        ("", "Any ward"),
        *((w.code, w.name) for w in wards_in_force(db(), london_today(utcnow()))),
    ]
    form.due.choices = [("", "Any"), *cases.DUE_FILTERS.items()]
    form.sort.choices = list(cases.SORTS.items())
    page_text = request.args.get("page", "1")
    query = cases.CaseQuery(
        tool=form.tool.data or "",
        status=form.status.data or "",
        owner=form.owner.data or "",
        ward=form.ward.data or "",
        due=form.due.data or "",
        sort=form.sort.data or "deadline",
        page=page_number(page_text),
        page_size=current_app.config["SETTINGS"].page_size,
    )
    problems = cases.query_problems(query)
    for name in ("owner", "ward"):
        if getattr(query, name) not in {c for c, _ in getattr(form, name).choices}:
            problems.setdefault(name, f"Unknown {name if name == 'ward' else 'organisation'}")
    status = 200
    now = utcnow()
    if problems:
        for key, message in problems.items():
            getattr(form, key).errors = [message]
        result = cases.CasePage(rows=[], total=0, page=1, page_size=query.page_size)
        status = 400
    else:
        result = cases.search_cases(db(), current_actor(), now, query, _clock()[1])
    chosen = active_filters(
        form,
        (
            ("tool", query.tool),
            ("status", query.status),
            ("owner", query.owner),
            ("ward", query.ward),
            ("due", query.due),
        ),
    )
    return render_template(
        "cases/index.html",
        form=form,
        result=result,
        query=query,
        active_filters=chosen,
        now=now,
        **_helpers(),
    ), status


# ---------------------------------------------------------------------------------------------
# Opening a case


def _id_or_none(raw: str | None) -> int | None:
    return record_id(raw)


@bp.route("/premises/<id:premises_id>/cases/new", methods=["GET", "POST"])
@require(Permission.CASE_EDIT)
def open_case(premises_id: int) -> ResponseReturnValue:
    actor = current_actor()
    found = premises.get_premises(db(), actor, premises_id)
    owners = _owners()
    form = OpenCaseForm()
    form.tool.choices = [("", "Select a tool"), *cases.tool_choices()]
    form.owner_organisation_id.choices = [("", "Select an organisation")] + [
        (str(o.id), f"{o.name} ({o.kind.replace('_', ' ')})") for o in owners
    ]
    form.officer_id.choices = [("", "Select an officer")] + [
        (str(uid), label) for uid, label in cases.officer_choices(db(), [o.id for o in owners])
    ]
    if request.method == "GET":
        form.owner_organisation_id.data = str(actor.organisation_id or "")
        form.officer_id.data = str(actor.user_id or "")
        if request.args.get("tool") in {t.value for t in cases.CASE_TOOLS}:
            form.tool.data = request.args["tool"]
    return submit(
        form,
        lambda: cases.open_case(
            db(),
            actor,
            utcnow(),
            cases.CaseInput(
                premises_id=premises_id,
                tool=form.tool.data or "",
                owner_organisation_id=_id_or_none(form.owner_organisation_id.data),
                officer_id=_id_or_none(form.officer_id.data),
                summary=form.summary.data or "",
            ),
        ),
        done=lambda case: _to_case(
            case.id, f"Case {case.reference} has been opened. Record its events as they happen."
        ),
        page=lambda status: (
            render_template("cases/new.html", form=form, p=found.premises),
            status,
        ),
    )


def _to_case(case_id: int, message: str, anchor: str = "") -> Response:
    flash(message, "success")
    return redirect(url_for("cases.detail", case_id=case_id) + anchor)


# ---------------------------------------------------------------------------------------------
# The case page and its events


def _event_form_defaults(form: EventForm, case: EnforcementCase) -> None:
    local = to_london(utcnow())
    form.version.data = str(case.version)
    form.occurred_on.data = local.date()
    form.occurred_time.data = local.strftime("%H:%M")


def _render_detail(case_id: int, form: EventForm | None, status: int) -> tuple[str, int]:
    now = utcnow()
    detail = cases.get_case(db(), current_actor(), case_id, now, _clock()[1])
    if detail.may_record:
        if form is None:
            form = EventForm(formdata=None)
            _event_form_defaults(form, detail.case)
        form.kind.choices = [("", "Select what happened")] + [
            (k.value, k.label) for k in detail.event_kinds
        ]
        offer_which(form, "occurred_on", "occurred_time", "occurred_which")
        offer_which(form, "scheduled_on", "scheduled_time", "scheduled_which")
    return render_template(
        "cases/detail.html",
        d=detail,
        c=detail.case,
        p=detail.premises,
        form=form if detail.may_record else None,
        problems=[{"text": m} for m in form.form_errors] if form and not detail.may_record else [],
        now=now,
        **_helpers(),
    ), status


@bp.route("/cases/<id:case_id>")
@require(Permission.CASE_VIEW)
def detail(case_id: int) -> tuple[str, int]:
    return _render_detail(case_id, None, 200)


def _event_input(form: EventForm) -> cases.EventInput:
    """Read the form's London date and time fields; a bad pairing is put on its field."""
    problems: dict[str, str] = {}
    occurred = scheduled = None
    try:
        occurred = read_london(form, "occurred_on", "occurred_time", "occurred_which")
    except ValidationFailed as exc:
        problems.update(exc.errors)
    has_day = form.scheduled_on.data is not None
    has_time = bool((form.scheduled_time.data or "").strip())
    if has_day != has_time:
        problems["scheduled_time" if has_day else "scheduled_on"] = (
            "Enter both the date and the time, or neither"
        )
    else:
        try:
            scheduled = read_london(form, "scheduled_on", "scheduled_time", "scheduled_which")
        except ValidationFailed as exc:
            problems.update(exc.errors)
    if problems:
        raise ValidationFailed(problems)
    return cases.EventInput(
        kind=form.kind.data or "",
        occurred_at=occurred,
        scheduled_for=scheduled,
        served_how=form.served_how.data or None,
        note=form.note.data,
        confirm_earlier=bool(form.confirm_earlier.data),
    )


@bp.route("/cases/<id:case_id>/events", methods=["POST"])
@require(Permission.CASE_EDIT)
def record_event(case_id: int) -> ResponseReturnValue:
    form = EventForm()
    calendar, rulebook = _clock()

    def record() -> cases.Recorded:
        try:
            return cases.record_event(
                db(),
                current_actor(),
                utcnow(),
                case_id,
                form_version(form.version.data),
                _event_input(form),
                calendar=calendar,
                rulebook=rulebook,
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                cases.case_page_sentences(form.kind.data or "", exc.errors)
            ) from exc

    return submit(
        form,
        record,
        aliases={"occurred_at": "occurred_on", "scheduled_for": "scheduled_on"},
        conflict=Conflict(EnforcementCase, case_id),
        done=lambda recorded: _to_case(case_id, _recorded_message(recorded), "#deadlines"),
        page=lambda status: _render_detail(case_id, form, status),
    )


def _recorded_message(recorded: cases.Recorded) -> str:
    message = f"'{EventKind.label_of(recorded.event.kind)}' has been recorded and the deadlines worked out again."
    for child in recorded.opened:
        message += (
            f" The law now requires a {ToolCode.label_of(child.tool).lower()}:"
            f" case {child.reference} has been opened for it."
        )
    return message


def _editable(case_id: int) -> cases.CaseDetail:
    """The case, for a user whose organisation may change it (else 403), open or closed.

    A case closed since its form was opened is refused by the domain when the form is sent
    (409, keeping what was typed); opening the form of a closed case goes back to the case.
    """
    actor = current_actor()
    detail = cases.get_case(db(), actor, case_id, utcnow(), _clock()[1])
    if not cases.may_edit(actor, detail.case):
        abort(403)
    return detail


def _closed_case(detail: cases.CaseDetail) -> Response:
    """Opening the close or change form of a case that is closed: back to the case, saying so."""
    flash(
        f"Case {detail.case.reference} is closed, so it cannot be changed or closed again.",
        "info",
    )
    return redirect(url_for("cases.detail", case_id=detail.case.id))


def _case_form(
    template: str, form: CloseCaseForm | EditCaseForm, case_id: int, status: int
) -> tuple[str, int]:
    # Read afresh: a refused or conflicting save rolled back, expiring what was loaded.
    detail = _editable(case_id)
    return render_template(template, form=form, d=detail, c=detail.case), status


@bp.route("/cases/<id:case_id>/close", methods=["GET", "POST"])
@require(Permission.CASE_EDIT)
def close(case_id: int) -> ResponseReturnValue:
    detail = _editable(case_id)
    if request.method == "GET" and not detail.may_edit:
        return _closed_case(detail)
    form = CloseCaseForm()
    if request.method == "GET":
        form.version.data = str(detail.case.version)
    return submit(
        form,
        lambda: cases.close_case(
            db(),
            current_actor(),
            utcnow(),
            case_id,
            form_version(form.version.data),
            form.reason.data or "",
        ),
        conflict=Conflict(EnforcementCase, case_id),
        done=lambda _: _to_case(case_id, f"Case {detail.case.reference} has been closed."),
        page=lambda status: _case_form("cases/close.html", form, case_id, status),
    )


@bp.route("/cases/<id:case_id>/edit", methods=["GET", "POST"])
@require(Permission.CASE_EDIT)
def edit(case_id: int) -> ResponseReturnValue:
    detail = _editable(case_id)
    if request.method == "GET" and not detail.may_edit:
        return _closed_case(detail)
    case = detail.case
    if request.method == "GET":
        form = EditCaseForm(formdata=None)
        form.version.data = str(case.version)
        form.officer_id.data = str(case.officer_id or "")
        form.summary.data = case.summary
    else:
        form = EditCaseForm()
    form.officer_id.choices = [("", "Select an officer")] + [
        (str(uid), label)
        for uid, label in cases.officer_choices(db(), [case.owner_organisation_id])
    ]
    calendar, rulebook = _clock()
    return submit(
        form,
        lambda: cases.update_case(
            db(),
            current_actor(),
            utcnow(),
            case_id,
            form_version(form.version.data),
            officer_id=_id_or_none(form.officer_id.data),
            summary=form.summary.data or "",
            calendar=calendar,
            rulebook=rulebook,
        ),
        conflict=Conflict(EnforcementCase, case_id),
        done=lambda _: _to_case(case_id, f"Case {case.reference} has been changed."),
        page=lambda status: _case_form("cases/edit.html", form, case_id, status),
    )
