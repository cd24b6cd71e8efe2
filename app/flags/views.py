"""Intelligence flags: raise, grade, read (need-to-know), change status, link, list and export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.choices import choice_labels
from app.database import db, writes_on_read
from app.flags.forms import (
    FlagForm,
    FlagListForm,
    GradeForm,
    LinkCaseForm,
    LinkPremisesForm,
    StatusForm,
)
from app.flags.forms import grade_choices as _grade_choices
from app.forms import blank_to_none, parse_id
from app.rulebook import flag_review_rules
from app.usecase import Conflict, perform, submit
from enforcement.access import Permission, can
from enforcement.clock import LONDON, london_today, to_london, utcnow
from enforcement.errors import ValidationFailed
from enforcement.intelligence import flags
from enforcement.models import IntelFlag, Premises
from enforcement.numbers import MAX_DB_ID, page_number, record_id, whole_number
from enforcement.register import premises
from enforcement.register.wards import ward_names_in_force
from enforcement.spreadsheet import safe_cell

bp = Blueprint("flags", __name__)
bp.record_once(lambda state: state.app.jinja_env.globals.update(vocab_flags=flags))


@bp.app_template_global("open_flags_for")
def open_flags_for(premises_ids: list[int]) -> dict[int, flags.FlagCount]:
    """Return the open flags per premises that the signed-in user may know of (one query)."""
    if not current_user.is_authenticated:
        return {}
    return flags.open_flag_counts(db(), current_actor(), list(premises_ids))


ALIASES = {"reported_at": "received_on"}


def _grade_input(form: GradeForm | FlagForm) -> flags.GradeInput:
    return flags.GradeInput(
        scheme=form.grade_scheme.data or "3x5x2",
        source=form.source_grade.data or "",
        intelligence=form.intelligence_grade.data or "",
        handling=form.handling_code.data or "",
        conditions=blank_to_none(form.handling_conditions.data),
        audience_org_ids=frozenset(form.audience_org_ids.data or []),
        audience_roles=frozenset(form.audience_roles.data or []),
    )


def _prepare_grade(form: GradeForm | FlagForm) -> None:
    _grade_choices(form)
    form.audience_org_ids.choices = flags.organisation_choices(db())


def _render_new(form: FlagForm, p: Premises | None, status: int) -> tuple[str, int]:
    return render_template(
        "flags/form.html",
        form=form,
        p=p,
        may_grade=flags.may_grade_on_entry(db(), current_actor()),
    ), status


def _flag_input(form: FlagForm, p: Premises | None) -> flags.FlagInput:
    day = form.received_on.data
    return flags.FlagInput(
        reported_at=None if day is None else datetime.combine(day, time(12, 0), tzinfo=LONDON),
        source_type=form.source_type.data or "",
        exploitation=frozenset(form.exploitation.data or []),
        report_text=form.report_text.data or "",
        premises_id=p.id if p else None,
        location_text=None if p else blank_to_none(form.location_text.data),
        longitude=None if p else form.longitude.data,
        latitude=None if p else form.latitude.data,
        grade=_grade_input(form) if form.grade_now.data == "yes" else None,
    )


def _to_flag(flag_id: int, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("flags.detail", flag_id=flag_id))


def _raise(form: FlagForm, p: Premises | None) -> ResponseReturnValue:
    if request.method == "GET":
        form.received_on.data = london_today(utcnow())
    return submit(
        form,
        lambda: flags.raise_flag(
            db(), current_actor(), utcnow(), _flag_input(form, p), flag_review_rules()
        ),
        aliases=ALIASES,
        done=lambda flag: _to_flag(flag.id, "The intelligence flag has been recorded."),
        page=lambda status: _render_new(form, p, status),
    )


@bp.route("/flags/new", methods=["GET", "POST"])
@require(Permission.FLAG_RAISE)
def raise_new() -> ResponseReturnValue:
    form = FlagForm()
    _prepare_grade(form)
    return _raise(form, None)


@bp.route("/premises/<id:premises_id>/flags/new", methods=["GET", "POST"])
@require(Permission.FLAG_RAISE)
def raise_at(premises_id: int) -> ResponseReturnValue:
    found = premises.get_premises(db(), current_actor(), premises_id)
    form = FlagForm()
    _prepare_grade(form)
    return _raise(form, found.premises)


def _detail_page(flag_id: int, **forms: object) -> str:
    seen = perform(lambda: flags.open_flag(db(), current_actor(), utcnow(), flag_id))
    actor = current_actor()
    grade = forms.get("grade_form")
    if grade is None and can(actor, Permission.FLAG_GRADE):
        grade = GradeForm(formdata=None)
        _prepare_grade(grade)
        f = seen.flag
        grade.grade_scheme.data = f.grade_scheme or "3x5x2"
        grade.source_grade.data = f.source_grade or ""
        grade.intelligence_grade.data = f.intelligence_grade or ""
        grade.handling_code.data = f.handling_code or ""
        grade.handling_conditions.data = f.handling_conditions or ""
        grade.audience_org_ids.data = [r.organisation_id for r in f.audience_org_rows]
        grade.audience_roles.data = [r.role for r in f.audience_role_rows]
        grade.version.data = str(f.version)
    status = forms.get("status_form")
    if status is None and can(actor, Permission.FLAG_MANAGE):
        status = StatusForm(formdata=None)
        status.status.data = seen.flag.status
        status.version.data = str(seen.flag.version)
    place = forms.get("place_form")
    if place is None and can(actor, Permission.FLAG_MANAGE):
        place = LinkPremisesForm(formdata=None)
    link = forms.get("link_form")
    if link is None and can(actor, Permission.FLAG_MANAGE) and can(actor, Permission.CASE_VIEW):
        link = LinkCaseForm(formdata=None)
    return render_template(
        "flags/detail.html",
        d=seen,
        f=seen.flag,
        now=utcnow(),
        grade_form=grade,
        status_form=status,
        link_form=link,
        place_form=place,
    )


@bp.route("/flags/<id:flag_id>")
@writes_on_read
def detail(flag_id: int) -> str:
    # No permission decorator: the domain refuses, and audits the refusal, itself.
    return _detail_page(flag_id)


def _version(raw: str | None) -> int | None:
    return whole_number(raw, high=MAX_DB_ID)


def _premises_number(form: LinkPremisesForm) -> int:
    found = parse_id(form.premises_number.data or "")
    if found is None:
        raise ValidationFailed({"premises_number": "Enter the register number, like 42"})
    return found


@bp.route("/flags/<id:flag_id>/grade", methods=["POST"])
@require(Permission.FLAG_GRADE)
def grade(flag_id: int) -> ResponseReturnValue:
    form = GradeForm()
    _prepare_grade(form)
    return submit(
        form,
        lambda: flags.grade_flag(
            db(),
            current_actor(),
            utcnow(),
            flag_id,
            _version(form.version.data),
            _grade_input(form),
            flag_review_rules(),
        ),
        conflict=Conflict(IntelFlag, flag_id),
        done=lambda _: _to_flag(flag_id, "The grade has been saved."),
        page=lambda status: (_detail_page(flag_id, grade_form=form), status),
    )


@bp.route("/flags/<id:flag_id>/status", methods=["POST"])
@require(Permission.FLAG_MANAGE)
def change_status(flag_id: int) -> ResponseReturnValue:
    form = StatusForm()
    return submit(
        form,
        lambda: flags.set_status(
            db(),
            current_actor(),
            utcnow(),
            flag_id,
            _version(form.version.data),
            form.status.data or "",
            flag_review_rules(),
        ),
        conflict=Conflict(IntelFlag, flag_id),
        done=lambda _: _to_flag(flag_id, "The status has been changed."),
        page=lambda status: (_detail_page(flag_id, status_form=form), status),
    )


@bp.route("/flags/<id:flag_id>/link-case", methods=["POST"])
@require(Permission.FLAG_MANAGE)
def link_case(flag_id: int) -> ResponseReturnValue:
    form = LinkCaseForm()
    return submit(
        form,
        lambda: flags.link_to_case(
            db(), current_actor(), utcnow(), flag_id, form.case_reference.data or ""
        ),
        done=lambda _: _to_flag(flag_id, "The flag has been linked to the case as evidence."),
        page=lambda status: (_detail_page(flag_id, link_form=form), status),
    )


@bp.route("/flags/<id:flag_id>/link-premises", methods=["POST"])
@require(Permission.FLAG_MANAGE)
def link_premises(flag_id: int) -> ResponseReturnValue:
    form = LinkPremisesForm()
    return submit(
        form,
        lambda: flags.link_to_premises(
            db(), current_actor(), utcnow(), flag_id, _premises_number(form)
        ),
        aliases={"premises_id": "premises_number"},
        done=lambda _: _to_flag(flag_id, "The flag has been linked to the premises."),
        page=lambda status: (_detail_page(flag_id, place_form=form), status),
    )


def _query(form: FlagListForm, page_size: int) -> flags.FlagQuery:
    page_text = request.args.get("page", "1")
    premises_raw = request.args.get("premises", "")
    return flags.FlagQuery(
        status=form.status.data or "",
        source_type=form.source_type.data or "",
        exploitation=form.exploitation.data or "",
        ward=form.ward.data or "",
        premises_id=record_id(premises_raw),
        review_overdue=form.review.data == "overdue",
        page=page_number(page_text),
        page_size=page_size,
    )


def _list_form() -> FlagListForm:
    form = FlagListForm(request.args)
    form.ward.choices = [
        ("", "Any ward"),
        *ward_names_in_force(db(), london_today(utcnow())),
    ]
    return form


@bp.route("/flags")
@writes_on_read
@require(Permission.FLAG_LIST)
def index() -> tuple[str, int]:
    form = _list_form()
    query = _query(form, current_app.config["SETTINGS"].page_size)
    problems = flags.query_problems(query)
    if query.ward and query.ward not in choice_labels(form.ward):
        problems["ward"] = "Unknown ward"
    for key, message in problems.items():
        form[key].errors = [message]
    status = 200
    if problems:
        result = flags.FlagPage(rows=[], total=0, page=1, page_size=query.page_size)
        status = 400
    else:
        result = perform(lambda: flags.search_flags(db(), current_actor(), utcnow(), query))
    return render_template(
        "flags/index.html",
        form=form,
        result=result,
        now=utcnow(),
        may_export=can(current_actor(), Permission.FLAG_EXPORT),
        may_raise=can(current_actor(), Permission.FLAG_RAISE),
    ), status


@bp.route("/flags/export.csv")
@writes_on_read
@require(Permission.FLAG_LIST)
def export() -> Response:
    form = _list_form()
    query = _query(form, current_app.config["SETTINGS"].page_size)
    if flags.query_problems(query):
        abort(400)
    rows = perform(lambda: flags.export_flags(db(), current_actor(), utcnow(), query))
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    stamp = to_london(utcnow()).strftime("%Y-%m-%d")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="intelligence-flags-{stamp}.csv"',
            "Cache-Control": "private, no-store",
        },
    )
