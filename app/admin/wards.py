"""Administrators import ward boundaries: upload or choose a file, preview it, then confirm."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from app.admin.views import bp
from app.admin.ward_forms import AS_THE_FILE_SAYS, WardConfirmForm, WardUploadForm
from app.auth.current import current_actor, require
from app.choices import choice_labels
from app.database import db
from app.usecase import Done, run, submit
from enforcement.access import Permission
from enforcement.clock import utcnow
from enforcement.wards import importing as ward_import

UPLOAD = ""


def _staging_dir() -> Path:
    configured = current_app.config.get("WARD_IMPORT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "ward-imports"


def _shared_files() -> dict[str, Path]:
    """Return the published boundary files beside the service, by their name under wards/."""
    shared = current_app.config["SETTINGS"].shared_data_dir
    folder = None if shared is None else Path(shared) / "wards"
    if folder is None or not folder.is_dir():
        return {}
    found = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in {".geojson", ".json", ".shp"}
    )
    return {p.relative_to(folder).as_posix(): p for p in found}


def _prepare(form: WardUploadForm) -> dict[str, Path]:
    files = _shared_files()
    form.shared_file.choices = [(UPLOAD, "No: I am uploading a file"), *((k, k) for k in files)]
    return files


def _page(form: WardUploadForm, status: int = 200) -> tuple[str, int]:
    actor = current_actor()
    return render_template(
        "admin/wards_index.html",
        form=form,
        has_shared=len(choice_labels(form.shared_file)) > 1,
        wards=ward_import.wards_now(db(), actor, utcnow()),
        sets=ward_import.boundary_sets(db(), actor),
    ), status


@bp.route("/wards", endpoint="wards")
@require(Permission.REFERENCE_MANAGE)
def wards_index() -> tuple[str, int]:
    form = WardUploadForm()
    _prepare(form)
    return _page(form)


def _source(form: WardUploadForm, files: dict[str, Path]) -> ward_import.BoundarySource | None:
    """Build the source the form names, or put the problem on the form and return None."""
    upload = form.boundary_file.data
    uploaded = upload is not None and bool(getattr(upload, "filename", ""))
    chosen = form.shared_file.data or UPLOAD
    options = {
        "crs": None if form.crs.data == AS_THE_FILE_SAYS else form.crs.data,
        "district": (form.district.data or "").strip().upper() or None,
        "repair": bool(form.repair.data),
    }
    if uploaded and chosen != UPLOAD:
        form.boundary_file.errors = ["Upload a file or choose a published one, not both"]
        return None
    if chosen != UPLOAD:
        path = files.get(chosen)
        if path is None:
            form.shared_file.errors = ["Choose one of the published files"]
            return None
        return ward_import.BoundarySource(path.name, path=path, **options)  # type: ignore[arg-type]
    if not uploaded:
        form.boundary_file.errors = ["Choose a boundary file to upload"]
        return None
    name = Path(upload.filename).name
    return ward_import.BoundarySource(name, data=upload.read(), **options)  # type: ignore[arg-type]


def _day(day: date | None) -> date:
    assert day is not None  # the field's InputRequired has passed
    return day


@bp.route("/wards/preview", methods=["POST"], endpoint="wards_preview")
@require(Permission.REFERENCE_MANAGE)
def wards_preview() -> tuple[str, int]:
    form = WardUploadForm()
    files = _prepare(form)
    if not form.validate_on_submit():
        return _page(form, 400)
    source = _source(form, files)
    if source is None:
        return _page(form, 400)
    actor, now, valid_from = current_actor(), utcnow(), _day(form.valid_from.data)
    outcome = run(lambda: ward_import.preview_import(db(), actor, now, source, valid_from), form)
    if not isinstance(outcome, Done):
        return _page(form, 400)
    preview = outcome.value
    confirm = WardConfirmForm()
    if preview.ok:
        confirm.token.data = ward_import.stage(_staging_dir(), actor, now, source, valid_from)
        confirm.valid_from.data = valid_from
    return render_template(
        "admin/wards_preview.html", preview=preview, confirm=confirm
    ), 200 if preview.ok else 400


@bp.route("/wards/confirm", methods=["POST"], endpoint="wards_confirm")
@require(Permission.REFERENCE_MANAGE)
def wards_confirm() -> ResponseReturnValue:
    form = WardConfirmForm()
    actor, now, folder = current_actor(), utcnow(), _staging_dir()
    staged = ward_import.staged(folder, actor, now, form.token.data or "")

    def imported(result: ward_import.ImportResult) -> tuple[str, int]:
        ward_import.discard(folder, staged.token)
        return render_template("admin/wards_result.html", result=result), 200

    def page(_status: int) -> tuple[str, int]:
        preview = ward_import.preview_import(db(), actor, now, staged.source, staged.valid_from)
        return render_template("admin/wards_preview.html", preview=preview, confirm=form), 400

    return submit(
        form,
        lambda: ward_import.confirm_import(
            db(), actor, now, staged.source, _day(form.valid_from.data)
        ),
        done=imported,
        page=page,
    )
