"""The accessibility statement, the privacy notice and the cookies page (docs/web-layer.md).

Public: the public register links to them, and a person who cannot sign in must be able to read
how to ask for help. Each says only what the service's own code does (its tests are named in
docs/web-layer.md); the council's contact comes from CONTACT_EMAIL.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template

bp = Blueprint("about", __name__)

#: When the accessibility statement was last checked against the service's tests (the date a
#: statement must give); change it when the checks or the known problems change.
ACCESSIBILITY_REVIEWED = date(2026, 12, 7)
#: The pages, open to everyone (app/__init__.py lists them among the public endpoints).
PAGES = ("about.accessibility", "about.privacy", "about.cookies")


@bp.route("/accessibility")
def accessibility() -> str:
    return render_template("about/accessibility.html", reviewed=ACCESSIBILITY_REVIEWED)


@bp.route("/privacy")
def privacy() -> str:
    return render_template("about/privacy.html")


@bp.route("/cookies")
def cookies() -> str:
    config = current_app.config
    return render_template(
        "about/cookies.html",
        session_cookie=config["SESSION_COOKIE_NAME"],
        idle_minutes=config["SETTINGS"].session_idle_minutes,
    )
