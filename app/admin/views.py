"""Administrators manage users and organisations, and read the audit log."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app.admin.forms import (
    ConfirmForm,
    LanguageForm,
    OrganisationForm,
    ResetPasswordForm,
    RuleOverrideForm,
    StaffImportForm,
    UserForm,
)
from app.auth.current import current_actor, require
from app.database import commit, db, writes_on_read
from app.rulebook import base_rulebook, rederive_open_cases
from app.usecase import Conflict, Done, form_version, perform, run, submit
from enforcement import audit
from enforcement.access import Permission
from enforcement.accounts import staff, totp, users
from enforcement.cases import overrides
from enforcement.cases.vocab import Counting
from enforcement.clock import day_text, london_today, utcnow
from enforcement.errors import DomainError, ValidationFailed
from enforcement.models import RuleOverride, User
from enforcement.numbers import page_number, record_id
from enforcement.register import languages as reference
from enforcement.register.wards import wards_in_force
from enforcement.reminders import tasks
from enforcement.spreadsheet import safe_cell

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", endpoint="users")
@require(Permission.USERS_MANAGE)
def users_list() -> str:
    return render_template(
        "admin/users.html",
        users=users.list_users(db(), current_actor()),
        organisations=users.list_organisations(db()),
        confirm=ConfirmForm(),
        # Administrators give people the wards and roles that tasks wait for.
        unreached=tasks.unreached_tasks(db(), utcnow()),
    )


def _prepare(form: UserForm) -> None:
    form.organisation_id.choices = [(o.id, o.name) for o in users.list_organisations(db())]
    form.ward_codes.choices = [
        (w.code, w.name) for w in wards_in_force(db(), london_today(utcnow()))
    ]
    form.supervisor_id.choices = [
        ("", "No supervisor"),
        *((str(uid), name) for uid, name in users.supervisor_choices(db())),
    ]


def _supervisor(form: UserForm) -> int | None:
    chosen = (form.supervisor_id.data or "").strip()
    if not chosen:
        return None
    supervisor_id = record_id(chosen)
    if supervisor_id is None:
        raise ValidationFailed({"supervisor_id": "Select a supervisor from the list"})
    return supervisor_id


def _input(form: UserForm) -> users.UserInput:
    return users.UserInput(
        email=form.email.data or "",
        display_name=form.display_name.data or "",
        organisation_id=form.organisation_id.data or 0,
        roles=frozenset(form.roles.data or []),
        ward_codes=frozenset(form.ward_codes.data or []),
    )


def _to_users(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/new", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def create_user() -> ResponseReturnValue:
    form = UserForm()
    _prepare(form)
    return submit(
        form,
        lambda: _create_user(form),
        done=lambda user: _to_users(
            f"{user.display_name} can now sign in with the temporary password."
        ),
        page=lambda status: (render_template("admin/user_form.html", form=form, user=None), status),
    )


def _create_user(form: UserForm) -> User:
    user = users.create_user(
        db(), current_actor(), utcnow(), _input(form), password=form.password.data or ""
    )
    tasks.set_supervisor(db(), current_actor(), utcnow(), user.id, _supervisor(form))
    return user


@bp.route("/users/import", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def import_staff() -> ResponseReturnValue:
    """A staff list in: every row checked, every account made or none; each new account's
    temporary password shown once, on this answer alone (docs/access-and-audit.md)."""
    actor = current_actor()
    form = StaffImportForm()

    def page(status: int, **shown: object) -> tuple[str, int]:
        # Like every page, sent with Cache-Control: no-store (app/__init__.py): the passwords
        # are kept by no cache.
        return render_template("admin/import_staff.html", form=form, **shown), status

    if not form.is_submitted():
        return page(200)
    upload = form.upload.data
    data = upload.read() if form.validate_on_submit() and upload and upload.filename else b""
    if not data:
        if not form.errors:
            form.upload.errors = ["Choose the staff list to upload"]
        return page(400)
    plan = staff.plan_staff(db(), actor, data, london_today(utcnow()))
    if problems := plan.problems:
        one = len(problems) == 1
        form.upload.errors = [
            f"{len(problems)} row{'' if one else 's'} of the list cannot be used, so nothing "
            f"was made. Correct {'it' if one else 'them'} (listed below) and upload the list again"
        ]
        return page(400, problems=problems)
    if len(plan.new) > staff.MAX_NEW_PER_PAGE:
        form.upload.errors = [
            f"The list would make {len(plan.new):,} accounts: this page makes at most "
            f"{staff.MAX_NEW_PER_PAGE} at a time, since protecting each new password takes a "
            "moment. Upload the list in parts (people with an account already are left out), "
            "or ask whoever runs the service to import it with flask users import"
        ]
        return page(400)
    if form.check_only.data or not plan.new:
        return page(200, plan=plan)
    outcome = run(lambda: staff.import_staff(db(), actor, utcnow(), plan), form)
    if not isinstance(outcome, Done):
        return page(outcome.status)
    return page(200, plan=plan, made=outcome.value)


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def edit_user(user_id: int) -> ResponseReturnValue:
    user = users.get_user(db(), user_id)
    if request.method == "GET":
        form = UserForm(obj=user)
        form.roles.data = sorted(user.roles)
        form.ward_codes.data = sorted(user.ward_codes)
        form.supervisor_id.data = str(user.supervisor_id or "")
        form.version.data = str(user.version)
    else:
        form = UserForm()
    del form.password
    _prepare(form)
    return submit(
        form,
        lambda: _update_user(form, user_id),
        conflict=Conflict(User, user_id),
        done=lambda handed: _to_users(
            f"{user.display_name}'s details have been saved." + _handed_on_text(handed)
        ),
        page=lambda status: (render_template("admin/user_form.html", form=form, user=user), status),
    )


def _update_user(form: UserForm, user_id: int) -> int:
    version = form_version(form.version.data)
    users.update_user(db(), current_actor(), utcnow(), user_id, version, _input(form))
    tasks.set_supervisor(db(), current_actor(), utcnow(), user_id, _supervisor(form))
    return tasks.hand_on_tasks_of(db(), current_actor(), utcnow(), user_id)


def _handed_on_text(handed: int) -> str:
    """What the administrator is told of the tasks a change handed to the teams that can act."""
    if not handed:
        return ""
    if handed == 1:
        return " The one task they can no longer complete has gone to the team that can."
    return f" The {handed} tasks they can no longer complete have gone to the teams that can."


@bp.route("/users/<id:user_id>/<any(deactivate, reactivate):action>", methods=["POST"])
@require(Permission.USERS_MANAGE)
def set_active(user_id: int, action: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        user, handed = perform(lambda: _set_active(user_id, action == "reactivate"))
    except DomainError as exc:
        if exc.status != 400:
            raise
        flash(exc.message, "error")
        return redirect(url_for("admin.users"))
    return _to_users(f"{user.display_name} has been {action}d." + _handed_on_text(handed))


def _set_active(user_id: int, active: bool) -> tuple[User, int]:
    user = users.set_active(db(), current_actor(), utcnow(), user_id, active)
    return user, tasks.hand_on_tasks_of(db(), current_actor(), utcnow(), user_id)


@bp.route("/users/<id:user_id>/reset-password", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def reset_password(user_id: int) -> ResponseReturnValue:
    user = users.get_user(db(), user_id)
    form = ResetPasswordForm()
    return submit(
        form,
        lambda: users.reset_password(
            db(), current_actor(), utcnow(), user.id, form.password.data or ""
        ),
        done=lambda _: _to_users(
            f"{user.display_name}'s password has been reset and they have been signed out."
        ),
        page=lambda status: (
            render_template("admin/reset_password.html", form=form, user=user),
            status,
        ),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def create_organisation() -> ResponseReturnValue:
    form = OrganisationForm()
    return submit(
        form,
        lambda: users.create_organisation(
            db(), current_actor(), utcnow(), name=form.name.data or "", kind=form.kind.data or ""
        ),
        done=lambda org: _to_users(f"{org.name} has been added."),
        page=lambda status: (render_template("admin/organisation_form.html", form=form), status),
    )


def _day(name: str, problems: dict[str, str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems[name] = "Enter a real date, like 2026-03-27"
        return None


def _audit_query() -> tuple[audit.AuditQuery, dict[str, str]]:
    page = request.args.get("page", "1")
    problems: dict[str, str] = {}
    q = audit.AuditQuery(
        actor=request.args.get("actor", "")[:254],
        action=request.args.get("action", "")[:60],
        entity_type=request.args.get("entity_type", "")[:40],
        entity_id=request.args.get("entity_id", "")[:40],
        page=page_number(page),
        date_from=_day("date_from", problems),
        date_to=_day("date_to", problems),
    )
    return q, {**audit.query_problems(q), **problems}


@bp.route("/audit", endpoint="audit")
@require(Permission.AUDIT_READ)
def audit_log() -> tuple[str, int]:
    q, problems = _audit_query()
    if problems:
        result = audit.AuditPage([], 0, 1, q.page_size)
    else:
        result = audit.search_events(db(), current_actor(), q)
    return render_template(
        "admin/audit.html",
        result=result,
        q=q,
        problems=problems,
        actions=audit.actions_recorded(db()),
    ), 400 if problems else 200


@bp.route("/audit.csv")
@writes_on_read
@require(Permission.AUDIT_READ)
def audit_export() -> Response:
    q, problems = _audit_query()
    if problems:
        abort(400)
    rows = audit.export_events(db(), current_actor(), utcnow(), q)
    commit()  # the export is itself an audit event
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="audit-trail.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/languages", methods=["GET", "POST"])
@require(Permission.REFERENCE_MANAGE)
def languages() -> ResponseReturnValue:
    form = LanguageForm()
    return submit(
        form,
        lambda: reference.add_language(db(), current_actor(), utcnow(), form.name.data or ""),
        done=lambda lang: _to_languages(f"{lang.name} has been added to the languages."),
        page=lambda status: (
            render_template(
                "admin/languages.html",
                form=form,
                languages=reference.list_all_languages(db(), current_actor()),
                confirm=ConfirmForm(),
            ),
            status,
        ),
    )


def _to_languages(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.languages"))


@bp.route("/languages/<code>/<any(withdraw, reinstate):action>", methods=["POST"])
@require(Permission.REFERENCE_MANAGE)
def language_active(code: str, action: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    lang = perform(
        lambda: reference.set_language_active(
            db(), current_actor(), utcnow(), code, action == "reinstate"
        )
    )
    done = "offered again" if action == "reinstate" else "withdrawn from new choices"
    return _to_languages(f"{lang.name} has been {done}.")


@bp.route("/users/<id:user_id>/second-factor", methods=["GET", "POST"])
@require(Permission.USERS_MANAGE)
def second_factor(user_id: int) -> str | Response | tuple[str, int]:
    """Show whether a user has a second factor, and reset it (a lost phone)."""
    user = users.get_user(db(), user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            totp.reset(db(), current_actor(), utcnow(), user.id)
        except DomainError as exc:
            if exc.status != 400:
                raise
            flash(exc.message, "error")
            return redirect(url_for("admin.second_factor", user_id=user.id))
        commit()
        flash(
            f"{user.display_name}'s second factor has been reset and they have been signed out. "
            "They will set up a new one when they next sign in.",
            "success",
        )
        return redirect(url_for("admin.users"))
    if form.is_submitted():
        abort(400)
    return render_template(
        "admin/second_factor.html",
        form=form,
        user=user,
        status=totp.status(db(), user.id),
    )


# ---------------------------------------------------------------------------------------------
# Local rules (docs/statutory-clock.md)


def _override_input(form: RuleOverrideForm) -> overrides.OverrideInput:
    return overrides.OverrideInput(
        rule_id=form.rule_id.data or "",
        amount=form.amount.data,
        counting=form.counting.data or "",
        effective_from=form.effective_from.data,
        reason=form.reason.data or "",
    )


@bp.route("/rules", methods=["GET", "POST"])
@require(Permission.REFERENCE_MANAGE)
def rules() -> ResponseReturnValue:
    form = RuleOverrideForm()
    base = base_rulebook()
    form.rule_id.choices = [("", "Select a rule"), *((r.id, f"{r.id}: {r.title}") for r in base)]
    return submit(
        form,
        lambda: overrides.add_override(
            db(), current_actor(), utcnow(), _override_input(form), base
        ),
        done=_rule_added,
        page=lambda status: (
            render_template(
                "admin/rules.html",
                form=form,
                lines=overrides.rule_lines(db(), utcnow(), base),
                changes=overrides.list_overrides(db()),
                confirm=ConfirmForm(),
                day_text=day_text,
                counting_label=Counting.label_of,
            ),
            status,
        ),
    )


def _rule_added(row: RuleOverride) -> Response:
    # In force already: open cases' deadlines move now, as the next tick would move them.
    if row.effective_from <= london_today(utcnow()) and rederive_open_cases():
        return _to_rules(
            f"The local rule for {row.rule_id} takes effect today,"
            f" {day_text(row.effective_from)}; open cases' deadlines have been counted again"
            " under it."
        )
    return _to_rules(
        f"The local rule for {row.rule_id} takes effect on {day_text(row.effective_from)};"
        " open cases follow it from the scheduler's first tick that day."
    )


def _withdrawn(row: RuleOverride) -> Response:
    if rederive_open_cases():
        return _to_rules(
            f"The local rule for {row.rule_id} has been withdrawn. Open cases' deadlines have"
            " been counted again without it."
        )
    return _to_rules(
        f"The local rule for {row.rule_id} has been withdrawn. Open cases' deadlines return to"
        " the rule book at the scheduler's next tick."
    )


def _to_rules(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.rules"))


@bp.route("/rules/overrides/<id:override_id>/withdraw", methods=["POST"])
@require(Permission.REFERENCE_MANAGE)
def withdraw_rule_override(override_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        row = perform(
            lambda: overrides.withdraw_override(db(), current_actor(), utcnow(), override_id)
        )
    except DomainError as exc:
        if exc.status != 400:
            raise
        flash(exc.message, "error")
        return redirect(url_for("admin.rules"))
    return _withdrawn(row)
