"""The task list, one task with its actions (acknowledge, done, snooze), preferences, team view."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from app.auth.current import current_actor
from app.database import db
from app.tasks.forms import ActionForm, PreferencesForm, SnoozeForm
from app.usecase import Done, run, submit
from enforcement.clock import LONDON, to_london, utcnow
from enforcement.intelligence import flags
from enforcement.models import User
from enforcement.models.reminders import Reminder
from enforcement.reminders import notify
from enforcement.reminders import tasks as todo
from enforcement.vocab import Role

bp = Blueprint("tasks", __name__)

# Where a reminder's record is shown, by subject type: (endpoint, its id argument). A subject
# whose page does not exist (yet) links to its premises instead.
RECORD_PAGES = {
    "inspection": ("inspections.detail", "inspection_id"),
    "enforcement_case": ("cases.detail", "case_id"),
    "welfare_visit": ("welfare.detail", "visit_id"),
    "committee_referral": ("referrals.detail", "referral_id"),
    flags.SUBJECT: ("flags.detail", "flag_id"),  # a flag's review
}


@bp.app_template_global("task_record_link")
def record_link(reminder: Reminder) -> str | None:
    """Return the page of the record a reminder is about (the access policy guards it)."""
    page = RECORD_PAGES.get(reminder.subject_type)
    if page is not None:
        try:
            values: dict[str, Any] = {page[1]: reminder.subject_id}
            return url_for(page[0], **values)
        except BuildError:
            pass
    if reminder.premises_id is not None:
        return url_for("premises.detail", premises_id=reminder.premises_id)
    return None


@bp.route("/tasks")
def index() -> str:
    actor = current_actor()
    open_tasks = todo.task_list(db(), actor, utcnow())
    return render_template(
        "tasks/index.html", tasks=open_tasks, is_supervisor=actor.has_role(Role.SUPERVISOR)
    )


@bp.route("/tasks/<id:reminder_id>")
def detail(reminder_id: int) -> str:
    d = todo.get_task(db(), current_actor(), utcnow(), reminder_id)
    return render_template("tasks/detail.html", d=d, r=d.item.reminder, form=ActionForm())


def _back_to(reminder_id: int) -> str:
    # Only a path on this site: never an address someone put in the form to send people away.
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("tasks.detail", reminder_id=reminder_id)


def _act(reminder_id: int, verb: str) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = run(lambda: _change(reminder_id, verb), form)
    if not isinstance(outcome, Done):
        # The form is a bare button: the refusal lands on the form as a whole.
        flash(form.form_errors[0], "error")
        return redirect(url_for("tasks.detail", reminder_id=reminder_id))
    flash(outcome.value, "success")
    return redirect(_back_to(reminder_id))


def _change(reminder_id: int, verb: str) -> str:
    """Acknowledge or finish the task; return what to tell the user."""
    if verb == "acknowledge":
        r = todo.acknowledge(db(), current_actor(), utcnow(), reminder_id)
        return f"You have acknowledged “{r.title}”."
    r = todo.mark_done(db(), current_actor(), utcnow(), reminder_id)
    return f"“{r.title}” is done and has left your task list."


@bp.route("/tasks/<id:reminder_id>/acknowledge", methods=["POST"])
def acknowledge(reminder_id: int) -> Response:
    return _act(reminder_id, "acknowledge")


@bp.route("/tasks/<id:reminder_id>/done", methods=["POST"])
def done(reminder_id: int) -> Response:
    return _act(reminder_id, "done")


def _snooze_until(day: date) -> datetime:
    return datetime.combine(day, time(notify.ON_DAY_HOUR), tzinfo=LONDON)


@bp.route("/tasks/<id:reminder_id>/snooze", methods=["GET", "POST"])
def snooze(reminder_id: int) -> ResponseReturnValue:
    d = todo.get_task(db(), current_actor(), utcnow(), reminder_id)
    form = SnoozeForm()

    def page(status: int) -> tuple[str, int]:
        return render_template("tasks/snooze.html", d=d, r=d.item.reminder, form=form), status

    if d.refusal is not None:
        form.form_errors.append(d.refusal)
        return page(403)
    if not d.may_snooze:
        form.form_errors.append(
            "A statutory deadline cannot be snoozed"
            if d.item.reminder.statutory
            else "This task is closed, so it cannot be snoozed"
        )
        return page(400)
    return submit(
        form,
        lambda: todo.snooze(
            db(),
            current_actor(),
            utcnow(),
            reminder_id,
            _snooze_until(_required(form.until.data)),
            form.reason.data or "",
        ),
        done=lambda _: _snoozed(_required(form.until.data)),
        page=page,
    )


def _required(day: date | None) -> date:
    assert day is not None  # the field's DataRequired has passed
    return day


def _snoozed(day: date) -> Response:
    return _to_tasks(f"The task is snoozed until {to_london(_snooze_until(day)):%-d %B %Y}.")


@bp.route("/tasks/preferences", methods=["GET", "POST"])
def preferences() -> ResponseReturnValue:
    user = db().get(User, current_actor().user_id)
    if user is None:
        abort(404)
    form = PreferencesForm()
    if request.method == "GET":
        form.preference.data = user.digest_preference
    return submit(
        form,
        lambda: todo.set_digest_preference(
            db(), current_actor(), utcnow(), form.preference.data or ""
        ),
        done=lambda _: _to_tasks("Your email preference has been saved."),
        page=lambda status: (render_template("tasks/preferences.html", form=form), status),
    )


def _to_tasks(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("tasks.index"))


@bp.route("/tasks/team")
def team() -> str:
    actor = current_actor()
    if not actor.has_role(Role.SUPERVISOR):
        abort(403)
    overview = todo.team_overview(db(), actor, utcnow())
    return render_template("tasks/team.html", o=overview)
