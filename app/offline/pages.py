"""The offline pages: shells the service worker keeps, filled in on the tablet by their scripts.

Online, each page is drawn like any other (the header with the person's name and Sign out, the
menu). The service worker keeps each page's *shell* instead, asked for with `?shell=1`: the same
page without the header's account links or the menu (`minimal`), so that the copy kept on the
tablet holds nothing about anyone, and a reload without a signal still works. What the pages
show comes from IndexedDB, encrypted on the tablet (docs/offline.md, "On the device").
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template, request, send_file
from flask_login import current_user
from werkzeug.wrappers import Response

from app.offline import bp
from enforcement.access import Permission

SERVICE_WORKER = Path("static") / "offline" / "sw.js"


def may_work_offline() -> bool:
    """Whether this person records anything offline: inspections or welfare visits."""
    return bool(
        current_user.is_authenticated
        and (
            current_user.can(Permission.INSPECTION_RECORD)
            or current_user.can(Permission.WELFARE_VISIT_LOG)
        )
    )


def _shell(template: str, title: str) -> str:
    if not may_work_offline():
        abort(403)
    return render_template(template, title=title, minimal=request.args.get("shell") == "1")


@bp.route("/")
def index() -> str:
    return _shell("offline/index.html", "Working offline")


@bp.route("/premises")
def premises() -> str:
    return _shell("offline/premises.html", "Premises on this tablet")


@bp.route("/inspect")
def inspect() -> str:
    return _shell("offline/inspect.html", "Record an inspection")


@bp.route("/visit")
def visit() -> str:
    return _shell("offline/visit.html", "Log a welfare visit")


@bp.route("/sw.js")
def service_worker() -> Response:
    """The service worker, from its own address so that its scope is /offline/."""
    if not may_work_offline():
        abort(403)
    response = send_file(
        Path(current_app.root_path) / SERVICE_WORKER,
        mimetype="text/javascript",
        max_age=0,
    )
    response.headers["Service-Worker-Allowed"] = "/offline/"
    response.headers["Cache-Control"] = "no-cache"
    return response
