"""The offline pages (the client half owns this file; a placeholder until it lands)."""

from __future__ import annotations

from flask import render_template

from app.offline import bp


@bp.route("/")
def index() -> str:
    return render_template("offline/index.html")
