"""Anonymous referral records: adding one to a welfare visit or an inspection, and its NRM decisions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.database import db, writes_on_read
from app.forms import blank_to_none, parse_id
from app.safeguarding.forms import OutcomesForm, ReferralForm
from app.usecase import Conflict, form_version, perform, submit
from enforcement.access import Permission
from enforcement.clock import london_today, utcnow
from enforcement.models import ReferralRecord
from enforcement.safeguarding import records
from enforcement.safeguarding import vocab as safeguarding_vocab
from enforcement.safeguarding.records import INSPECTION, VISIT, Source

bp = Blueprint("safeguarding", __name__)
bp.record_once(
    lambda state: state.app.jinja_env.globals.update(vocab_safeguarding=safeguarding_vocab)
)


def _back(source: Source) -> str:
    if source.kind == VISIT:
        return url_for("welfare.detail", visit_id=source.id)
    return url_for("inspections.detail", inspection_id=source.id)


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _input(form: ReferralForm) -> records.ReferralInput:
    return records.ReferralInput(
        route=form.route.data or "",
        age_group=form.age_group.data or "",
        submitted_on=form.submitted_on.data,
        age_disputed=bool(form.age_disputed.data),
        consent_given=_yes_no(form.consent_given.data),
        gender=form.gender.data or "",
        exploitation_types=frozenset(form.exploitation_types.data or []),
        exploitation_place=form.exploitation_place.data or "",
        first_responder_org_id=parse_id(blank_to_none(form.first_responder_org_id.data)),
        first_responder_type=form.first_responder_type.data or "",
    )


def _add(source: Source) -> ResponseReturnValue:
    actor = current_actor()
    perform(lambda: records.require_may_record(db(), actor, source))
    form = ReferralForm()
    form.first_responder_org_id.choices = [
        ("", "Select the organisation"),
        *[(str(oid), name) for oid, name in records.organisation_choices(db())],
    ]
    if not form.is_submitted():
        form.submitted_on.data = london_today(utcnow())
        form.first_responder_org_id.data = str(actor.organisation_id or "")
    return submit(
        form,
        lambda: records.record_referral(db(), actor, utcnow(), source, _input(form)),
        done=lambda _: _added(source),
        page=lambda status: (
            render_template(
                "safeguarding/referral_form.html", form=form, source=source, back=_back(source)
            ),
            status,
        ),
    )


def _added(source: Source) -> Response:
    flash(
        "The referral record has been saved. If the visit or inspection led to another "
        "referral, add it now.",
        "success",
    )
    return redirect(_back(source))


@bp.route("/welfare-visits/<id:visit_id>/referrals/new", methods=["GET", "POST"])
@require(Permission.PREMISES_VIEW)
def add_to_visit(visit_id: int) -> ResponseReturnValue:
    return _add(Source(VISIT, visit_id))


@bp.route("/inspections/<id:inspection_id>/referrals/new", methods=["GET", "POST"])
@require(Permission.INSPECTION_RECORD)
def add_to_inspection(inspection_id: int) -> ResponseReturnValue:
    return _add(Source(INSPECTION, inspection_id))


def _outcomes(form: OutcomesForm) -> records.OutcomesInput:
    return records.OutcomesInput(
        rg_decided_on=form.rg_decided_on.data,
        rg_outcome=blank_to_none(form.rg_outcome.data),
        cg_decided_on=form.cg_decided_on.data,
        cg_outcome=blank_to_none(form.cg_outcome.data),
    )


@bp.route("/anonymous-referrals/<id:record_id>", methods=["GET", "POST"])
@writes_on_read
@require(Permission.PREMISES_VIEW)
def outcomes(record_id: int) -> ResponseReturnValue:
    actor = current_actor()
    seen = perform(lambda: records.open_referral(db(), actor, utcnow(), record_id))
    record = seen.record
    form = OutcomesForm()
    if not form.is_submitted():
        form = OutcomesForm(obj=record)
        form.version.data = str(record.version)
        form.rg_outcome.data = record.rg_outcome or ""
        form.cg_outcome.data = record.cg_outcome or ""
    return submit(
        form,
        lambda: records.record_outcomes(
            db(), actor, utcnow(), record_id, form_version(form.version.data), _outcomes(form)
        ),
        conflict=Conflict(ReferralRecord, record_id),
        done=lambda _: _decided(seen.source),
        page=lambda status: (
            render_template(
                "safeguarding/outcomes.html",
                form=form,
                r=record,
                seen=seen,
                back=_back(seen.source),
            ),
            status,
        ),
    )


def _decided(source: Source) -> Response:
    flash("The NRM decisions have been saved.", "success")
    return redirect(_back(source))
