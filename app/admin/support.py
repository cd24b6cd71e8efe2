"""Administrators keep the support directory: add, change, withdraw or delete a service."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app.admin.forms import ConfirmForm
from app.admin.support_forms import SupportServiceForm
from app.admin.views import bp
from app.auth.current import current_actor, require
from app.database import db
from app.usecase import Conflict, Refused, form_version, perform, run, submit
from enforcement.access import Permission
from enforcement.clock import utcnow
from enforcement.models import SupportService
from enforcement.register import premises
from enforcement.register import support as directory


@bp.route("/support-services", endpoint="support_services")
@require(Permission.REFERENCE_MANAGE)
def support_services() -> str:
    return render_template(
        "admin/support_services.html",
        services=directory.list_services(db(), current_actor()),
        confirm=ConfirmForm(),
    )


def _prepare(form: SupportServiceForm, keep: frozenset[str] = frozenset()) -> None:
    form.languages.choices = [
        (lang.code, lang.name)
        for lang in premises.list_languages(db(), active_only=False)
        if lang.active or lang.code in keep
    ]


def _input(form: SupportServiceForm) -> directory.ServiceInput:
    return directory.ServiceInput(
        name=form.name.data or "",
        kind=form.kind.data or "",
        description=form.description.data or "",
        how_to_reach=form.how_to_reach.data or "",
        hours=form.hours.data or "",
        any_language=bool(form.any_language.data),
        languages=frozenset(form.languages.data or []),
    )


def _to_list(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.support_services"))


def _page(form: SupportServiceForm, service: SupportService | None, status: int) -> tuple[str, int]:
    return render_template("admin/support_service_form.html", form=form, service=service), status


@bp.route("/support-services/new", methods=["GET", "POST"])
@require(Permission.REFERENCE_MANAGE)
def create_support_service() -> ResponseReturnValue:
    form = SupportServiceForm()
    _prepare(form)
    return submit(
        form,
        lambda: directory.create_service(db(), current_actor(), utcnow(), _input(form)),
        done=lambda s: _to_list(f"{s.name} has been added to the support directory."),
        page=lambda status: _page(form, None, status),
    )


@bp.route("/support-services/<id:service_id>/edit", methods=["GET", "POST"])
@require(Permission.REFERENCE_MANAGE)
def edit_support_service(service_id: int) -> ResponseReturnValue:
    entry = directory.get_service(db(), current_actor(), service_id)
    if request.method == "GET":
        form = SupportServiceForm(obj=entry.service)
        form.languages.data = sorted(r.language_code for r in entry.service.language_rows)
        form.version.data = str(entry.service.version)
    else:
        form = SupportServiceForm()
    # A withdrawn language a service already offers stays choosable on its form.
    _prepare(form, keep=frozenset(r.language_code for r in entry.service.language_rows))
    return submit(
        form,
        lambda: directory.update_service(
            db(),
            current_actor(),
            utcnow(),
            service_id,
            form_version(form.version.data),
            _input(form),
        ),
        conflict=Conflict(SupportService, service_id),
        done=lambda s: _to_list(f"{s.name} has been saved."),
        page=lambda status: _page(form, entry.service, status),
    )


@bp.route("/support-services/<id:service_id>/<any(withdraw, reinstate):action>", methods=["POST"])
@require(Permission.REFERENCE_MANAGE)
def support_service_active(service_id: int, action: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    s = perform(
        lambda: directory.set_service_active(
            db(), current_actor(), utcnow(), service_id, action == "reinstate"
        )
    )
    done = "offered again" if action == "reinstate" else "withdrawn from new choices"
    return _to_list(f"{s.name} has been {done}.")


@bp.route("/support-services/<id:service_id>/delete", methods=["POST"])
@require(Permission.REFERENCE_MANAGE)
def delete_support_service(service_id: int) -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = run(
        lambda: directory.delete_service(db(), current_actor(), utcnow(), service_id), form
    )
    if isinstance(outcome, Refused):
        problems = getattr(outcome.error, "errors", {})
        flash(" ".join(problems.values()) or outcome.error.message, "error")
        return redirect(url_for("admin.support_services"))
    return _to_list(f"{outcome.value} has been deleted from the support directory.")
