"""The register import page (upload, preview, confirm, followed as it runs) and the exports."""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.database import commit, db, writes_on_read
from app.registerio.forms import ConfirmForm, DiscardForm, UploadForm
from app.usecase import WHOLE_FORM, Done, perform, run
from enforcement.access import Actor, Permission, can
from enforcement.clock import to_london, utcnow
from enforcement.db import session_factory, writer
from enforcement.register import licences
from enforcement.register.importers.licence_csv import WITHHELD
from enforcement.registerio import export, importing, runs
from enforcement.registerio.sources import FORMAT_LABELS

bp = Blueprint("registerio", __name__)
# How many records of each kind the preview page lists (the counts are always complete).
SHOWN = 200


def _start(app: Flask, run_id: int, actor: Actor) -> None:
    """Start a run's work: in a thread of this process, or at once when the app was given its
    sessions (the tests, where every session shares the test's connection)."""
    settings = app.config["SETTINGS"]
    area = runs.Area(council_name=settings.council_name)
    engine = app.extensions.get("engine")
    if engine is None:
        maker = app.extensions["session_maker"]
        runs.work(lambda: maker(True), run_id, actor, utcnow, area)
        return
    threading.Thread(
        target=runs.work,
        args=(session_factory(writer(engine)), run_id, actor, utcnow, area),
        kwargs={"readers": session_factory(engine)},
        name=f"import-run-{run_id}",
        daemon=True,
    ).start()


def _upload_bytes(form: UploadForm) -> tuple[str, bytes]:
    upload: FileStorage | None = form.upload.data
    if upload is None or not upload.filename:
        return "", b""
    return upload.filename, upload.read()


@bp.route("/imports", methods=["GET", "POST"])
@require(Permission.REGISTER_IMPORT)
def index() -> ResponseReturnValue:
    actor = current_actor()
    form = UploadForm()

    def page(status: int) -> tuple[str, int]:
        return render_template(
            "registerio/index.html",
            form=form,
            runs=runs.recent_runs(db(), actor),
            labels=FORMAT_LABELS,
            status_labels=runs.STATUS_LABELS,
            may_export=can(actor, Permission.REGISTER_EXPORT),
            addresses_withheld=not licences.may_read_addresses(actor),
            withheld=WITHHELD,
        ), status

    if not form.is_submitted():
        return page(200)
    if not form.validate_on_submit():
        return page(400)
    filename, data = _upload_bytes(form)
    if not data:
        form.upload.errors = ["Choose the file to import"]
        return page(400)
    outcome = run(
        lambda: runs.start_run(
            db(),
            actor,
            utcnow(),
            kind=form.format.data or "",
            filename=filename,
            data=data,
            options=importing.Options(skip_outside=bool(form.skip_outside.data)),
        ),
        form,
    )
    if not isinstance(outcome, Done):
        return page(outcome.status)
    _start(current_app._get_current_object(), outcome.value.id, actor)  # type: ignore[attr-defined]
    return redirect(url_for("registerio.detail", run_id=outcome.value.id))


def _run_page(run_id: int, confirm: ConfirmForm, status: int) -> tuple[str, int]:
    actor = current_actor()
    found = runs.get_run(db(), actor, run_id)
    report = runs.report_for(actor, found)
    refused = runs.refused_count(report)
    if refused:
        confirm.leave_out_refused.label.text = (
            f"Leave out {importing.refused_rows(refused)} and import the rest"
        )
    return render_template(
        "registerio/run.html",
        r=found,
        report=report,
        labels=FORMAT_LABELS,
        working=found.status in runs.WORKING,
        confirm=confirm,
        discard=DiscardForm(),
        shown=SHOWN,
        Status=runs.Status,
        status_labels=runs.STATUS_LABELS,
    ), status


@bp.route("/imports/<id:run_id>")
@require(Permission.REGISTER_IMPORT)
def detail(run_id: int) -> ResponseReturnValue:
    return _run_page(run_id, ConfirmForm(), 200)


@bp.route("/imports/<id:run_id>/progress")
@require(Permission.REGISTER_IMPORT)
def progress(run_id: int) -> Response:
    found = runs.get_run(db(), current_actor(), run_id)
    return jsonify(
        status=found.status,
        working=found.status in runs.WORKING,
        processed=found.processed,
        total=found.total,
        stage=found.stage,
    )


@bp.route("/imports/<id:run_id>/confirm", methods=["POST"])
@require(Permission.REGISTER_IMPORT)
def confirm(run_id: int) -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("registerio.detail", run_id=run_id))
    actor = current_actor()
    outcome = run(
        lambda: runs.request_confirm(
            db(),
            actor,
            utcnow(),
            run_id,
            take_conflicts=bool(form.take_conflicts.data),
            leave_out_refused=bool(form.leave_out_refused.data),
        ),
        form,
        aliases={"run": WHOLE_FORM},
    )
    if not isinstance(outcome, Done):
        return _run_page(run_id, form, outcome.status)
    _start(current_app._get_current_object(), run_id, actor)  # type: ignore[attr-defined]
    return redirect(url_for("registerio.detail", run_id=run_id))


@bp.route("/imports/<id:run_id>/discard", methods=["POST"])
@require(Permission.REGISTER_IMPORT)
def discard(run_id: int) -> ResponseReturnValue:
    form = DiscardForm()
    if form.validate_on_submit():
        perform(lambda: runs.discard(db(), current_actor(), utcnow(), run_id))
        flash("The file was discarded: nothing was imported.", "success")
        return redirect(url_for("registerio.index"))
    return redirect(url_for("registerio.detail", run_id=run_id))


@bp.route("/imports/<id:run_id>/refused.csv")
@require(Permission.REGISTER_IMPORT)
def refused_csv(run_id: int) -> Response:
    """Every row the preview refused, with its reason: the whole list to correct the file by."""
    found = runs.get_run(db(), current_actor(), run_id)
    return _download(
        runs.refused_rows_csv(runs.report_of(found)), "text/csv", f"refused-rows-{run_id}"
    )


def _download(body: str, mimetype: str, name: str) -> Response:
    stamp = to_london(utcnow()).strftime("%Y-%m-%d")
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{stamp}.{mimetype.split("/")[1]}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/exports/licences.csv")
@writes_on_read
@require(Permission.REGISTER_EXPORT)
def export_csv() -> Response:
    council = current_app.config["SETTINGS"].council_name
    body = export.export_esd_csv(db(), current_actor(), utcnow(), council)
    commit()  # the export is itself an audit event
    return _download(body, "text/csv", "licence-register")


@bp.route("/exports/licences.json")
@writes_on_read
@require(Permission.REGISTER_EXPORT)
def export_json() -> Response:
    council = current_app.config["SETTINGS"].council_name
    body = export.export_json(db(), current_actor(), utcnow(), council)
    commit()
    return _download(body, "application/json", "licence-register")
