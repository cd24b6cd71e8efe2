"""Home page after sign-in, a public health check for load balancers, and the site's icon."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory
from werkzeug.wrappers import Response

from app.auth.current import current_actor
from app.database import db
from enforcement.access import Permission, can
from enforcement.clock import utcnow
from enforcement.register import premises
from enforcement.reminders.tasks import task_list
from enforcement.schema import schema_state

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
    """200 when the database answers and holds the schema this code needs; 503 otherwise, so a
    load balancer keeps away from a server whose database nobody migrated (docs/operations.md)."""
    try:
        state = schema_state(db().connection())
    except Exception:
        return jsonify(status="database unavailable"), 503
    if not state.current:
        return jsonify(status="database schema out of date"), 503
    return jsonify(status="ok"), 200


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The site's icon where browsers look for it by default (the committee papers link none)."""
    static = current_app.static_folder
    assert static is not None
    return send_from_directory(static, "favicon.svg", mimetype="image/svg+xml", max_age=86400)
