"""Welfare visits (logging, reading on a need-to-know basis, lists, adherence, release) and training."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.choices import choice_labels
from app.database import db, writes_on_read
from app.forms import blank_to_none
from app.rulebook import local_days
from app.safeguarding.forms import indicator_field_name, indicator_fields, indicators_ticked
from app.usecase import perform, submit
from app.wallclock import offer_which, read_london
from app.welfare.forms import (
    ImmigrationDecisionForm,
    ReleaseForm,
    TrainingForm,
    VisitForm,
    VisitListForm,
)
from enforcement.access import Permission, can
from enforcement.clock import london_today, to_london, utcnow
from enforcement.errors import Forbidden
from enforcement.models import Premises, WelfareVisit
from enforcement.numbers import page_number, record_id
from enforcement.register import premises, support
from enforcement.register.wards import covered_ward_names, wards_in_force
from enforcement.vocab import PremisesType
from enforcement.welfare import follow_up as welfare_follow_up
from enforcement.welfare import reports as welfare_reports
from enforcement.welfare import training
from enforcement.welfare import visits as welfare
from enforcement.welfare import vocab as welfare_vocab
from enforcement.welfare.vocab import INDICATOR_GROUPS, INDICATORS

bp = Blueprint("welfare", __name__)
bp.record_once(lambda state: state.app.jinja_env.globals.update(vocab_welfare=welfare_vocab))

# Domain error keys that are named differently on the form.
ALIASES = {
    "visited_at": "visited_on",
    "indicators": indicator_field_name(INDICATOR_GROUPS[0].code),
    "referrals": "referrals_made",
    "no_referrals": "referrals_made",
}
# The groups of indicators offered first at a location not yet in the register: visits are to
# premises selling sexual services.
NEW_LOCATION_TYPE = PremisesType.WALK_UP_FLAT


@bp.app_template_global("covered_wards")
def covered_wards() -> list[str]:
    """Return the names of the wards the signed-in person covers (for their pages to say)."""
    if not current_user.is_authenticated:
        return []
    return covered_ward_names(db(), current_actor(), london_today(utcnow()))


@bp.app_template_global("welfare_may_log_at")
def may_log_at(ward_code: str | None) -> bool:
    """Say whether the signed-in user may log a welfare visit at a premises in this ward."""
    if not current_user.is_authenticated or not current_user.can(Permission.WELFARE_VISIT_LOG):
        return False
    return welfare.may_log_at(db(), current_actor(), ward_code)


def _refuse_unless_may_log() -> None:
    refusal = welfare.logging_refusal(db(), current_actor())
    if refusal is not None:
        raise Forbidden(refusal)


def _prepare(form: VisitForm) -> None:
    languages = premises.list_languages(db())
    form.officer_ids.choices = welfare.officer_choices(db(), current_actor())
    form.interpreter_language.choices = [
        ("", "Select a language"),
        *[(lang.code, lang.name) for lang in languages],
    ]
    form.support_languages.choices = [(lang.code, lang.name) for lang in languages]
    form.services.choices = support.service_choices(db())


def _when(form: VisitForm) -> datetime | None:
    return read_london(form, "visited_on", "visited_time", "visited_which")


def _input(
    form: VisitForm, premises_id: int | None, location: welfare.NewLocation | None
) -> welfare.VisitInput:
    indicators = indicators_ticked(form)
    return welfare.VisitInput(
        visited_at=_when(form),
        idempotency_key=form.idempotency_key.data or "",
        trigger=form.trigger.data or "",
        property_described=form.property_described.data or "",
        property_other=blank_to_none(form.property_other.data),
        people_present=form.people_present.data,
        premises_id=premises_id,
        new_location=location,
        officer_ids=frozenset(form.officer_ids.data or []),
        other_officers=blank_to_none(form.other_officers.data),
        indicators=indicators,
        other_indicators=blank_to_none(form.other_indicators.data),
        interpreter_used=form.interpreter_used.data == "yes",
        interpreter_language=blank_to_none(form.interpreter_language.data),
        support_info_left=form.support_info_left.data == "yes",
        support_languages=frozenset(form.support_languages.data or []),
        no_referrals=form.referrals_made.data == "no",
        feedback=blank_to_none(form.feedback.data),
        crime_reference=blank_to_none(form.crime_reference.data),
        guidance=frozenset(form.guidance.data or []),
        return_requested=form.return_requested.data == "yes",
        follow_up_days=form.follow_up_days.data,
        no_identifiers_confirmed=bool(form.no_identifiers_confirmed.data),
        record=_record(form),
    )


def _yes_no(raw: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(raw or "")


def _record(form: VisitForm) -> welfare.VisitRecord:
    """Attendance and approach, support, outcome and handling, as typed."""
    return welfare.VisitRecord(
        dress=form.dress.data or None,
        partner_agency_present=_yes_no(form.partner_agency_present.data),
        partner_agency=blank_to_none(form.partner_agency.data),
        interpreter_professional=_yes_no(form.interpreter_professional.data),
        consent_to_talk=form.consent_to_talk.data or None,
        away_from_managers=form.away_from_managers.data or None,
        services=frozenset(form.services.data or []),
        follow_up_offered=_yes_no(form.follow_up_offered.data),
        outcomes=frozenset(form.outcomes.data or []),
        immigration_justification=blank_to_none(form.immigration_justification.data),
        handling_code=form.handling_code.data or "",
        handling_conditions=blank_to_none(form.handling_conditions.data),
    )


def _location(form: VisitForm) -> welfare.NewLocation:
    return welfare.NewLocation(
        name=form.location_name.data or "",
        address_line1=form.address_line1.data or "",
        postcode=blank_to_none(form.postcode.data),
        longitude=form.longitude.data,
        latitude=form.latitude.data,
    )


def _render_form(
    form: VisitForm, p: Premises | None, status: int, template: str = "welfare/form.html"
) -> tuple[str, int]:
    offer_which(form, "visited_on", "visited_time", "visited_which")
    return render_template(
        template,
        form=form,
        p=p,
        indicator_fields=indicator_fields(form, p.premises_type if p else NEW_LOCATION_TYPE),
    ), status


def new_visit_form(
    formdata: MultiDict[str, str] | None = None, *, with_token: bool = True
) -> VisitForm:
    """Build the welfare visit form: from the request, or from `formdata` (the offline API).

    Shared with app/offline/views.py, so a visit recorded offline is checked by the same form.
    Without a token (`with_token=False`, or with `formdata`): the offline API draws the form to
    keep on a device, and checks the token of a visit sent back from a header (X-CSRFToken).
    """
    kwargs: dict[str, Any] = {}
    if formdata is not None or not with_token:
        kwargs = {"formdata": formdata, "meta": {"csrf": False}}
    form = VisitForm(**kwargs)
    _prepare(form)
    return form


def fill_new_visit(form: VisitForm) -> None:
    """Put a new visit's defaults in the form (the follow-up period, the handling code)."""
    form.follow_up_days.data = local_days("local.welfare.follow_up")
    form.handling_code.data = "P"


def log_visit_action(
    form: VisitForm, p: Premises | None
) -> Callable[[], tuple[WelfareVisit, bool]]:
    """The use case that logs the visit the form holds (run after validating it)."""
    return lambda: welfare.log_welfare_visit(
        db(),
        current_actor(),
        utcnow(),
        _input(form, p.id if p else None, None if p else _location(form)),
    )


def visit_page(
    form: VisitForm, p: Premises | None, status: int, template: str = "welfare/form.html"
) -> tuple[str, int]:
    """Draw the welfare visit form page, or `template`: welfare/_visit_form.html is the form alone."""
    return _render_form(form, p, status, template)


def _log(form: VisitForm, p: Premises | None) -> ResponseReturnValue:
    """Show the form (GET) or save the visit (POST), at a premises or at a new location."""
    if request.method == "GET":
        now = to_london(utcnow())
        form.idempotency_key.data = uuid.uuid4().hex
        form.visited_on.data = now.date()
        form.visited_time.data = now.strftime("%H:%M")
        fill_new_visit(form)
    return submit(
        form,
        log_visit_action(form, p),
        aliases=ALIASES,
        done=lambda logged: _logged(*logged, referrals_next=form.referrals_made.data == "yes"),
        page=lambda status: _render_form(form, p, status),
    )


def _logged(visit: WelfareVisit, created: bool, *, referrals_next: bool = False) -> Response:
    if created and referrals_next:
        flash(
            "The welfare visit has been saved. Now record each referral it led to, one at a time.",
            "success",
        )
        return redirect(url_for("safeguarding.add_to_visit", visit_id=visit.id))
    if not created:
        flash("This visit was already saved: it has not been recorded twice.", "info")
    elif visit.follow_up_due_at is not None:
        flash(
            "The welfare visit has been saved. A follow-up visit is due by "
            f"{to_london(visit.follow_up_due_at):%-d %B %Y} and is on your task list.",
            "success",
        )
    else:
        flash("The welfare visit has been saved.", "success")
    return redirect(url_for("welfare.detail", visit_id=visit.id))


@bp.route("/premises/<id:premises_id>/welfare-visits/new", methods=["GET", "POST"])
@require(Permission.WELFARE_VISIT_LOG)
def log_at(premises_id: int) -> ResponseReturnValue:
    found = premises.get_premises(db(), current_actor(), premises_id)
    _refuse_unless_may_log()
    if found.ward is None or found.ward.code not in current_actor().ward_codes:
        raise Forbidden(welfare.NOT_YOUR_WARD)
    return _log(new_visit_form(), found.premises)


@bp.route("/welfare-visits/new", methods=["GET", "POST"])
@require(Permission.WELFARE_VISIT_LOG)
def log_new() -> ResponseReturnValue:
    _refuse_unless_may_log()
    return _log(new_visit_form(), None)


@bp.route("/welfare-visits/<id:visit_id>")
@writes_on_read
@require(Permission.PREMISES_VIEW)
def detail(visit_id: int) -> str:
    actor = current_actor()
    seen = perform(lambda: welfare.open_visit(db(), actor, utcnow(), visit_id))
    if isinstance(seen, welfare.VisitExistence):
        return render_template("welfare/existence.html", e=seen)
    return render_template(
        "welfare/detail.html",
        d=seen,
        v=seen.visit,
        p=seen.premises,
        follow_up=welfare_follow_up.follow_up_of(db(), seen.visit),
        may_release=can(actor, Permission.WELFARE_VISIT_RELEASE),
        may_decide=can(actor, Permission.WELFARE_IMMIGRATION_DECIDE),
    )


@bp.route("/welfare-visits/<id:visit_id>/immigration-referral", methods=["GET", "POST"])
@writes_on_read
@require(Permission.WELFARE_IMMIGRATION_DECIDE)
def immigration_decision(visit_id: int) -> ResponseReturnValue:
    """A supervisor approves or declines the immigration referral a visit asks for."""
    form = ImmigrationDecisionForm()
    return submit(
        form,
        lambda: welfare.decide_immigration_referral(
            db(),
            current_actor(),
            utcnow(),
            visit_id,
            approve={"approve": True, "decline": False}.get(form.decision.data or ""),
            note=form.note.data or "",
        ),
        done=lambda v: _decided(v),
        page=lambda status: _decision_page(form, visit_id, status),
    )


def _decided(visit: WelfareVisit) -> Response:
    word = "approved" if visit.immigration_status == "approved" else "declined"
    flash(
        f"The immigration referral has been {word}. The decision is recorded in the audit log.",
        "success",
    )
    return redirect(url_for("welfare.detail", visit_id=visit.id))


def _decision_page(form: ImmigrationDecisionForm, visit_id: int, status: int) -> tuple[str, int]:
    seen = perform(lambda: welfare.open_visit(db(), current_actor(), utcnow(), visit_id))
    assert isinstance(seen, welfare.VisitDetail)  # supervisors see every visit's content
    return render_template(
        "welfare/immigration_decision.html", form=form, d=seen, v=seen.visit
    ), status


@bp.route("/welfare-visits/<id:visit_id>/release", methods=["GET", "POST"])
@writes_on_read
@require(Permission.WELFARE_VISIT_RELEASE)
def release(visit_id: int) -> ResponseReturnValue:
    form = ReleaseForm()
    return submit(
        form,
        lambda: welfare.release_visit(
            db(), current_actor(), utcnow(), visit_id, form.reason.data or ""
        ),
        done=lambda _: _released(visit_id),
        page=lambda status: _release_page(form, visit_id, status),
    )


def _released(visit_id: int) -> Response:
    flash(
        "The visit has been released. It may now be used as evidence, and the "
        "decision is recorded in the audit log.",
        "success",
    )
    return redirect(url_for("welfare.detail", visit_id=visit_id))


def _release_page(form: ReleaseForm, visit_id: int, status: int) -> tuple[str, int]:
    seen = perform(lambda: welfare.open_visit(db(), current_actor(), utcnow(), visit_id))
    assert isinstance(seen, welfare.VisitDetail)  # supervisors see every visit's content
    return render_template("welfare/release.html", form=form, d=seen, v=seen.visit), status


def _ward_choices() -> list[tuple[str, str]]:
    return [
        ("", "Any ward"),
        *[(w.code, w.name) for w in wards_in_force(db(), london_today(utcnow()))],
    ]


@bp.route("/welfare-visits")
@writes_on_read
@require(Permission.WELFARE_VISIT_LIST)
def index() -> tuple[str, int]:
    form = VisitListForm(request.args)
    form.ward.choices = _ward_choices()
    form.indicator.choices = [
        ("", "Any, or none"),
        (welfare_reports.INDICATOR_ANY, "At least one indicator observed"),
        *[(i.code, i.label) for i in INDICATORS.values()],
    ]
    form.follow_up.choices = [
        ("", "Any"),
        (welfare_reports.FOLLOW_UP_OPEN, "Follow-up visit due"),
        (welfare_reports.FOLLOW_UP_OVERDUE, "Follow-up visit overdue"),
    ]
    form.validate()
    page_text = request.args.get("page", "1")
    query = welfare_reports.VisitQuery(
        ward=form.ward.data or "",
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        indicator=form.indicator.data or "",
        follow_up=form.follow_up.data or "",
        page=page_number(page_text),
        page_size=current_app.config["SETTINGS"].page_size,
    )
    problems = welfare_reports.visit_query_problems(query)
    if query.ward not in {c for c, _ in form.ward.choices}:
        problems["ward"] = "Unknown ward"
    for key, message in problems.items():
        form[key].errors = [message]
    status = 200
    if form.errors:
        result = welfare_reports.VisitPage(rows=[], total=0, page=1, page_size=query.page_size)
        status = 400
    else:
        result = perform(
            lambda: welfare_reports.search_visits(db(), current_actor(), utcnow(), query)
        )
    return render_template(
        "welfare/index.html",
        form=form,
        result=result,
        may_log=welfare.logging_refusal(db(), current_actor()) is None,
        now=utcnow(),
    ), status


@bp.route("/welfare-visits/adherence")
@require(Permission.WELFARE_VISIT_LIST)
def adherence() -> str:
    report = welfare_reports.adherence_report(db(), current_actor())
    return render_template(
        "welfare/adherence.html", report=report, quarter_label=welfare_reports.quarter_label
    )


@bp.route("/moontwist-training")
@require(Permission.TRAINING_VIEW)
def training_coverage() -> str:
    report = training.coverage_report(db(), current_actor(), utcnow())
    return render_template("welfare/training.html", report=report)


@bp.route("/moontwist-training/new", methods=["GET", "POST"])
@require(Permission.TRAINING_RECORD)
def record_training() -> ResponseReturnValue:
    form = TrainingForm()
    form.user_id.choices = [
        ("", "Select an officer"),
        *[(str(uid), name) for uid, name in training.trainable_officers(db())],
    ]
    if request.method == "GET":
        form.course.data = training.DEFAULT_COURSE
    return submit(
        form,
        lambda: training.record_training(db(), current_actor(), utcnow(), _training_input(form)),
        done=lambda row: _trained(form, row.user_id),
        page=lambda status: (render_template("welfare/training_form.html", form=form), status),
    )


def _training_input(form: TrainingForm) -> training.TrainingInput:
    raw = form.user_id.data or ""
    return training.TrainingInput(
        record_id(raw) or 0, form.completed_on.data, form.course.data or ""
    )


def _trained(form: TrainingForm, user_id: int) -> Response:
    name = choice_labels(form.user_id).get(str(user_id), "The officer")
    flash(f"Moontwist training has been recorded for {name}.", "success")
    return redirect(url_for("welfare.training_coverage"))
