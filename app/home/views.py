"""Home page after sign-in, and a public health check for load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from werkzeug.wrappers import Response

from app.auth.current import current_actor
from app.database import db
from enforcement.access import Permission, can
from enforcement.clock import utcnow
from enforcement.register import premises
from enforcement.reminders.tasks import task_list

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> str:
    actor = current_actor()
    summary = None
    if can(actor, Permission.PREMISES_VIEW):
        summary = premises.register_summary(db(), actor)
    open_tasks = task_list(db(), actor, utcnow())
    return render_template("home/index.html", summary=summary, tasks=open_tasks)


@bp.route("/health")
def health() -> tuple[Response, int]:
    try:
        db().execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok"), 200
