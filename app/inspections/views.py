"""Recording and correcting inspections, serving evidence photos, and the compliance view."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time

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
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.auth.current import current_actor, require
from app.database import commit, db, writes_on_read
from app.forms import apply_errors
from app.inspections.forms import InspectionForm
from enforcement.access import Permission, can
from enforcement.clock import LONDON, to_london, utcnow
from enforcement.errors import StaleEdit, ValidationFailed
from enforcement.inspections import evidence, inspections
from enforcement.models import Licence, LicenceCondition, User, UserRole
from enforcement.models.inspections import EvidenceFile, Inspection
from enforcement.register import premises
from enforcement.vocab import Finding, LicenceStatus, Role

bp = Blueprint("inspections", __name__)


def _officer_choices() -> list[tuple[int, str]]:
    rows = (
        db()
        .execute(
            select(User.id, User.display_name)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role.in_([Role.LICENSING_OFFICER.value, Role.SUPERVISOR.value]),
                User.is_active.is_(True),
            )
            .distinct()
            .order_by(User.display_name)
        )
        .all()
    )
    me = current_actor().user_id
    return [(uid, name) for uid, name in rows if uid != me]


def _choose_licence(
    premises_id: int, requested: str | None
) -> tuple[Licence | None, list[Licence]]:
    held = list(
        db().scalars(
            select(Licence)
            .where(Licence.premises_id == premises_id)
            .order_by(Licence.status != LicenceStatus.ACTIVE, Licence.id)
        )
    )
    if requested and requested.isdigit():
        for lic in held:
            if lic.id == int(requested):
                return lic, held
    return (held[0] if held else None), held


def _conditions(licence: Licence | None) -> list[LicenceCondition]:
    if licence is None:
        return []
    return list(
        db().scalars(
            select(LicenceCondition)
            .where(LicenceCondition.licence_id == licence.id, LicenceCondition.is_active.is_(True))
            .order_by(LicenceCondition.number)
        )
    )


def _prepare(form: InspectionForm, premises_id: int) -> frozenset[str]:
    needed = inspections.needed_languages(db(), premises_id)
    form.officer_ids.choices = _officer_choices()
    form.languages_displayed.choices = [
        (lang.code, lang.name + (" (needed here)" if lang.code in needed else ""))
        for lang in premises.list_languages(db())
    ]
    return needed


def _when(form: InspectionForm) -> datetime | None:
    day = form.inspected_on.data
    match = re.match(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$", (form.inspected_time.data or "").strip())
    if day is None or match is None:
        return None
    return datetime.combine(day, time(int(match.group(1)), int(match.group(2))), tzinfo=LONDON)


def _findings(conditions: list[LicenceCondition]) -> tuple[inspections.FindingInput, ...]:
    out = []
    for cond in conditions:
        value = request.form.get(f"finding_{cond.id}", "")
        if value:
            out.append(
                inspections.FindingInput(
                    cond.id, value, request.form.get(f"note_{cond.id}") or None
                )
            )
    return tuple(out)


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
        findings=_findings(conditions),
        observations=form.observations.data,
        photo_id=photo_id,
    )


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
        upload.filename,
        settings.evidence_dir,
        max_bytes=settings.max_upload_mb * 1024 * 1024,
    )
    return stored.id


def _render(
    form: InspectionForm,
    p: object,
    licence: Licence | None,
    held: list[Licence],
    conditions: list[LicenceCondition],
    needed: frozenset[str],
    status: int,
    inspection: Inspection | None = None,
) -> tuple[str, int]:
    chosen = (
        {c.id: request.form.get(f"finding_{c.id}", "") for c in conditions}
        if request.method == "POST"
        else {}
    )
    notes = (
        {c.id: request.form.get(f"note_{c.id}", "") for c in conditions}
        if request.method == "POST"
        else {}
    )
    if inspection is not None and request.method == "GET":
        for f in db().scalars(
            select(inspections.ConditionFinding).where(
                inspections.ConditionFinding.inspection_id == inspection.id
            )
        ):
            chosen[f.condition_id] = f.finding
            notes[f.condition_id] = f.note or ""
    names = dict(
        (lang.code, lang.name) for lang in premises.list_languages(db(), active_only=False)
    )
    return render_template(
        "inspections/form.html",
        form=form,
        p=p,
        licence=licence,
        held=held,
        conditions=conditions,
        needed=sorted(names.get(c, c) for c in needed),
        chosen=chosen,
        notes=notes,
        findings=Finding.choices(),
        inspection=inspection,
    ), status


@bp.route("/premises/<int:premises_id>/inspections/new", methods=["GET", "POST"])
@require(Permission.INSPECTION_RECORD)
def record(premises_id: int) -> tuple[str, int] | BaseResponse:
    detail = premises.get_premises(db(), current_actor(), premises_id)
    licence, held = _choose_licence(
        premises_id, request.values.get("licence_id") or request.args.get("licence")
    )
    conditions = _conditions(licence)
    form = InspectionForm()
    needed = _prepare(form, premises_id)
    if request.method == "GET":
        now = to_london(utcnow())
        form.idempotency_key.data = uuid.uuid4().hex
        form.inspected_on.data = now.date()
        form.inspected_time.data = now.strftime("%H:%M")
        form.licence_id.data = str(licence.id) if licence else ""
        return _render(form, detail.premises, licence, held, conditions, needed, 200)
    if form.validate_on_submit():
        when = _when(form)
        assert when is not None
        try:
            photo = _photo_id(form, None)
            saved, created = inspections.record_inspection(
                db(),
                current_actor(),
                utcnow(),
                premises_id,
                _input(form, when, licence, conditions, photo),
                follow_up_days=current_app.config["SETTINGS"].follow_up_days,
            )
        except ValidationFailed as exc:
            db().rollback()
            apply_errors(
                form,
                exc,
                {"inspected_at": "inspected_on", "languages_displayed": "languages_displayed"},
            )
            for key, message in exc.errors.items():
                if key.startswith(("finding_", "note_")) or key in {
                    "findings",
                    "licence_id",
                    "idempotency_key",
                }:
                    form.form_errors.append(message)
        else:
            commit()
            if created:
                flash(_saved_message(saved), "success")
            else:
                flash("This inspection was already saved: it has not been recorded twice.", "info")
            return redirect(url_for("inspections.detail", inspection_id=saved.id))
    return _render(form, detail.premises, licence, held, conditions, needed, 400)


def _saved_message(saved: Inspection) -> str:
    if saved.follow_up_needed:
        return "The inspection has been saved. A follow-up inspection is now due and is on your task list."
    return "The inspection has been saved."


@bp.route("/inspections/<int:inspection_id>")
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


@bp.route("/inspections/<int:inspection_id>/correct", methods=["GET", "POST"])
@require(Permission.INSPECTION_RECORD)
def correct(inspection_id: int) -> tuple[str, int] | BaseResponse:
    d = inspections.get_inspection(db(), current_actor(), inspection_id)
    i = d.inspection
    if not inspections.may_correct(current_actor(), i, utcnow()):
        abort(403)
    licence, held = _choose_licence(i.premises_id, str(i.licence_id or ""))
    conditions = _conditions(licence)
    if request.method == "GET":
        form = InspectionForm(obj=i)
        local = to_london(i.inspected_at)
        form.inspected_on.data = local.date()
        form.inspected_time.data = local.strftime("%H:%M")
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
        form.version.data = str(i.version)
        form.licence_id.data = str(i.licence_id or "")
    else:
        form = InspectionForm()
    needed = _prepare(form, i.premises_id)
    if request.method == "POST" and form.validate_on_submit():
        when = _when(form)
        assert when is not None
        try:
            photo = _photo_id(form, i.poster_photo_id)
            data = _input(form, when, licence, conditions, photo)
            inspections.correct_inspection(
                db(),
                current_actor(),
                utcnow(),
                i.id,
                int(form.version.data or 0),
                data,
                follow_up_days=current_app.config["SETTINGS"].follow_up_days,
            )
        except ValidationFailed as exc:
            db().rollback()
            apply_errors(form, exc, {"inspected_at": "inspected_on"})
        except StaleEdit as exc:
            db().rollback()
            form.form_errors.append(exc.message)
            return _render(form, d.premises, licence, held, conditions, needed, 409, i)
        else:
            commit()
            flash("The inspection has been corrected.", "success")
            return redirect(url_for("inspections.detail", inspection_id=i.id))
        return _render(form, d.premises, licence, held, conditions, needed, 400, i)
    return _render(
        form,
        d.premises,
        licence,
        held,
        conditions,
        needed,
        400 if request.method == "POST" else 200,
        i,
    )


@bp.route("/evidence/<int:file_id>")
@require(Permission.EVIDENCE_VIEW)
def evidence_file(file_id: int) -> Response:
    row = db().get(EvidenceFile, file_id)
    if row is None:
        abort(404)
    path = evidence.path_for(current_app.config["SETTINGS"].evidence_dir, row.sha256)
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype=row.content_type, download_name=row.original_name, max_age=0)
    resp.headers["Content-Disposition"] = f'inline; filename="{row.original_name}"'
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
    text = inspections.compliance_csv(db(), current_actor(), utcnow())
    commit()  # the export's audit event
    stamp = to_london(utcnow()).strftime("%Y-%m-%d")
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="poster-compliance-{stamp}.csv"'},
    )
