"""Recording and correcting inspections, serving evidence photos, and the compliance view."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from app.auth.current import current_actor, require
from app.database import db, writes_on_read
from app.inspections.forms import InspectionForm, finding_field, inspection_form, note_field
from app.rulebook import local_days
from app.safeguarding.forms import indicator_fields, indicators_ticked, tick_indicators
from app.usecase import WHOLE_FORM, Conflict, form_version, perform, submit
from app.wallclock import offer_which, read_london, which_of
from enforcement.access import Permission, can
from enforcement.clock import to_london, utcnow
from enforcement.inspections import choices, evidence, inspections
from enforcement.models import Licence, LicenceCondition, Premises
from enforcement.models.inspections import EvidenceFile, Inspection
from enforcement.register import premises, support

bp = Blueprint("inspections", __name__)


def _prepare(
    form: InspectionForm, premises_id: int, held: frozenset[int] = frozenset()
) -> frozenset[str]:
    """Fill the form's choices (`held`: services a corrected inspection already signposted)."""
    needed = inspections.needed_languages(db(), premises_id)
    form.services.choices = support.service_choices(db(), keep=held)
    form.officer_ids.choices = choices.officer_choices(db(), current_actor())
    form.languages_displayed.choices = [
        (lang.code, lang.name + (" (needed here)" if lang.code in needed else ""))
        for lang in premises.list_languages(db())
    ]
    return needed


def _when(form: InspectionForm) -> datetime:
    when = read_london(form, "inspected_on", "inspected_time", "inspected_which")
    assert when is not None  # the form's own validators have passed
    return when


def _findings(
    form: InspectionForm, conditions: list[LicenceCondition]
) -> tuple[inspections.FindingInput, ...]:
    return tuple(
        inspections.FindingInput(c.id, finding, form[note_field(c.id)].data or None)
        for c in conditions
        if (finding := form[finding_field(c.id)].data)
    )


def _input(
    form: InspectionForm,
    when: datetime,
    licence: Licence | None,
    conditions: list[LicenceCondition],
    photo_id: int | None,
) -> inspections.InspectionInput:
    displayed = form.poster_displayed.data == "yes"
    visible = set(form.poster_visible.data or []) if displayed else set()
    return inspections.InspectionInput(
        inspected_at=when,
        reason=form.reason.data or "",
        idempotency_key=form.idempotency_key.data or "",
        poster_displayed=displayed,
        poster_visible_public="public" in visible,
        poster_visible_workers="workers" in visible,
        languages_displayed=frozenset(form.languages_displayed.data or [])
        if displayed
        else frozenset(),
        joint_with_police=bool(form.joint_with_police.data),
        officer_ids=frozenset(form.officer_ids.data or []),
        other_officers=form.other_officers.data,
        licence_id=licence.id if licence else None,
        findings=_findings(form, conditions),
        observations=form.observations.data,
        photo_id=photo_id,
        indicators=indicators_ticked(form),
        services=frozenset(form.services.data or []),
        no_referrals=_referrals_answer(form) == "no",
    )


def _referrals_answer(form: InspectionForm) -> str | None:
    field = getattr(form, "referrals_made", None)  # not asked on a correction
    return field.data if field is not None else None


def _evidence_store() -> evidence.EvidenceStore:
    """Return where photos are kept (EVIDENCE_STORE: the folder, or the database)."""
    settings = current_app.config["SETTINGS"]
    return evidence.store_for(settings.evidence_store, settings.evidence_dir)


def _photo_id(form: InspectionForm, existing: int | None) -> int | None:
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return existing
    settings = current_app.config["SETTINGS"]
    stored = evidence.store_image(
        db(),
        current_actor(),
        utcnow(),
        upload.read(),
        _evidence_store(),
        max_bytes=settings.max_upload_mb * 1024 * 1024,
    )
    return stored.id


# Problems with no box of their own on the form are shown at its top.
ALIASES = {
    "inspected_at": "inspected_on",
    "findings": WHOLE_FORM,
    "licence_id": WHOLE_FORM,
    "idempotency_key": WHOLE_FORM,
    "indicators": WHOLE_FORM,
    "referrals": WHOLE_FORM,
    "no_referrals": "referrals_made",  # not asked on a correction: the top of the form
}


def _page(
    form: InspectionForm,
    p: Premises,
    choice: choices.LicenceChoice,
    needed: frozenset[str],
    status: int,
    inspection: Inspection | None = None,
    template: str = "inspections/form.html",
) -> tuple[str, int]:
    offer_which(form, "inspected_on", "inspected_time", "inspected_which")
    names = {lang.code: lang.name for lang in premises.list_languages(db(), active_only=False)}
    return render_template(
        template,
        form=form,
        p=p,
        licence=choice.licence,
        held=choice.held,
        conditions=choice.conditions,
        needed=sorted(names.get(c, c) for c in needed),
        inspection=inspection,
        indicator_fields=indicator_fields(form, p.premises_type),
    ), status


@dataclass(frozen=True)
class NewInspection:
    """The form for recording an inspection of a premises, ready to draw or to validate.

    Shared by the online page and the offline API (app/offline/views.py), so a record made
    offline is checked by exactly the same form and saved by the same use case.
    """

    premises_id: int
    form: InspectionForm
    choice: choices.LicenceChoice
    needed: frozenset[str]

    def action(self) -> Callable[[], tuple[Inspection, bool]]:
        """The use case that records the inspection the form holds (run after validating it)."""
        form, choice = self.form, self.choice
        return lambda: inspections.record_inspection(
            db(),
            current_actor(),
            utcnow(),
            self.premises_id,
            _input(form, _when(form), choice.licence, choice.conditions, _photo_id(form, None)),
            follow_up_days=local_days("local.poster.follow_up"),
        )

    def page(
        self, p: Premises, status: int, template: str = "inspections/form.html"
    ) -> tuple[str, int]:
        """The page (by default), or `template`: inspections/_record_form.html is the form alone."""
        return _page(self.form, p, self.choice, self.needed, status, template=template)


def new_inspection(
    premises_id: int,
    licence_key: str | None,
    formdata: MultiDict[str, str] | None = None,
    *,
    with_token: bool = True,
) -> NewInspection:
    """Build the inspection form of a premises: from the request, or from `formdata` (offline).

    Without a token (`with_token=False`, or with `formdata`): the offline API draws the form to
    keep on a device, and checks the token of a record sent back from a header (X-CSRFToken).
    """
    choice = choices.choose_licence(db(), current_actor(), premises_id, licence_key)
    kwargs: dict[str, Any] = {}
    if formdata is not None or not with_token:
        kwargs = {"formdata": formdata, "meta": {"csrf": False}}
    form = inspection_form(choice.conditions, **kwargs)
    return NewInspection(premises_id, form, choice, _prepare(form, premises_id))


@bp.route("/premises/<id:premises_id>/inspections/new", methods=["GET", "POST"])
@require(Permission.INSPECTION_RECORD)
def record(premises_id: int) -> ResponseReturnValue:
    detail = premises.get_premises(db(), current_actor(), premises_id)
    new = new_inspection(
        premises_id, request.values.get("licence_id") or request.args.get("licence")
    )
    form, choice = new.form, new.choice
    if request.method == "GET":
        now = to_london(utcnow())
        form.idempotency_key.data = uuid.uuid4().hex
        form.inspected_on.data = now.date()
        form.inspected_time.data = now.strftime("%H:%M")
        form.licence_id.data = str(choice.licence.id) if choice.licence else ""
    return submit(
        form,
        new.action(),
        aliases=ALIASES,
        done=lambda recorded: _recorded(*recorded, referrals_next=_referrals_answer(form) == "yes"),
        page=lambda status: new.page(detail.premises, status),
    )


def _recorded(saved: Inspection, created: bool, *, referrals_next: bool = False) -> BaseResponse:
    if created and referrals_next:
        flash(
            _saved_message(saved) + " Now record each referral it led to, one at a time.",
            "success",
        )
        return redirect(url_for("safeguarding.add_to_inspection", inspection_id=saved.id))
    if created:
        flash(_saved_message(saved), "success")
    else:
        flash("This inspection was already saved: it has not been recorded twice.", "info")
    return redirect(url_for("inspections.detail", inspection_id=saved.id))


def _saved_message(saved: Inspection) -> str:
    if saved.follow_up_needed:
        return "The inspection has been saved. A follow-up inspection is now due and is on your task list."
    return "The inspection has been saved."


@bp.route("/inspections/<id:inspection_id>")
@require(Permission.INSPECTION_VIEW)
def detail(inspection_id: int) -> str:
    d = inspections.get_inspection(db(), current_actor(), inspection_id)
    return render_template(
        "inspections/detail.html",
        d=d,
        i=d.inspection,
        p=d.premises,
        may_correct=inspections.may_correct(current_actor(), d.inspection, utcnow()),
        may_see_photo=can(current_actor(), Permission.EVIDENCE_VIEW),
    )


@bp.route("/inspections/<id:inspection_id>/correct", methods=["GET", "POST"])
@require(Permission.INSPECTION_RECORD)
def correct(inspection_id: int) -> ResponseReturnValue:
    d = inspections.get_inspection(db(), current_actor(), inspection_id)
    i = d.inspection
    if not inspections.may_correct(current_actor(), i, utcnow()):
        abort(403)
    choice = choices.choose_licence(db(), current_actor(), i.premises_id, str(i.licence_id or ""))
    if request.method == "GET":
        form = inspection_form(choice.conditions, correcting=True, obj=i)
        _fill_from(form, i)
    else:
        form = inspection_form(choice.conditions, correcting=True)
    needed = _prepare(form, i.premises_id, frozenset(r.service_id for r in i.service_rows))
    return submit(
        form,
        lambda: inspections.correct_inspection(
            db(),
            current_actor(),
            utcnow(),
            i.id,
            form_version(form.version.data),
            _input(
                form,
                _when(form),
                choice.licence,
                choice.conditions,
                _photo_id(form, i.poster_photo_id),
            ),
            follow_up_days=local_days("local.poster.follow_up"),
        ),
        aliases=ALIASES,
        conflict=Conflict(Inspection, i.id),
        done=lambda _: _corrected(i.id),
        page=lambda status: _page(form, d.premises, choice, needed, status, i),
    )


def _fill_from(form: InspectionForm, i: Inspection) -> None:
    """Put the inspection as recorded into the form, to be corrected."""
    local = to_london(i.inspected_at)
    form.inspected_on.data = local.date()
    form.inspected_time.data = local.strftime("%H:%M")
    form.inspected_which.data = which_of(i.inspected_at)
    form.poster_displayed.data = "yes" if i.poster_displayed else "no"
    form.poster_visible.data = [
        k
        for k, v in (("public", i.poster_visible_public), ("workers", i.poster_visible_workers))
        if v
    ]
    form.languages_displayed.data = [
        r.language_code for r in i.language_rows if r.role == "displayed"
    ]
    form.officer_ids.data = [o.user_id for o in i.officer_rows]
    tick_indicators(form, {r.code for r in i.indicator_rows})
    form.services.data = [r.service_id for r in i.service_rows]
    form.version.data = str(i.version)
    form.licence_id.data = str(i.licence_id or "")
    for f in i.findings:
        if finding_field(f.condition_id) in form:
            form[finding_field(f.condition_id)].data = f.finding
            form[note_field(f.condition_id)].data = f.note or ""


def _corrected(inspection_id: int) -> BaseResponse:
    flash("The inspection has been corrected.", "success")
    return redirect(url_for("inspections.detail", inspection_id=inspection_id))


@bp.route("/evidence/<id:file_id>")
@require(Permission.EVIDENCE_VIEW)
def evidence_file(file_id: int) -> Response:
    row = db().get(EvidenceFile, file_id)
    if row is None:
        abort(404)
    data = evidence.read_image(db(), _evidence_store(), row)
    if data is None:
        abort(404)
    # Served under a name made from its hash and type (never the uploaded name), as the type it
    # was checked to be, and never sniffed into anything else by the browser.
    name = evidence.download_name(row.sha256, row.content_type)
    known = row.content_type in evidence.EXTENSIONS
    resp = send_file(
        io.BytesIO(data),
        mimetype=row.content_type if known else "application/octet-stream",
        download_name=name,
        max_age=0,
    )
    resp.headers["Content-Disposition"] = (
        f'{"inline" if known else "attachment"}; filename="{name}"'
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/compliance")
@require(Permission.COMPLIANCE_VIEW)
def compliance() -> str:
    report = inspections.compliance_report(db(), current_actor(), utcnow())
    return render_template("inspections/compliance.html", report=report)


@bp.route("/compliance.csv")
@writes_on_read
@require(Permission.COMPLIANCE_VIEW)
def compliance_csv() -> Response:
    text = perform(lambda: inspections.compliance_csv(db(), current_actor(), utcnow()))
    stamp = to_london(utcnow()).strftime("%Y-%m-%d")
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="poster-compliance-{stamp}.csv"'},
    )
