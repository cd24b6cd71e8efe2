"""The printable support card of a premises: services that cover the languages it needs."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.auth.current import current_actor, require
from app.database import db
from enforcement.access import Permission
from enforcement.register import support

bp = Blueprint("support", __name__)


@bp.route("/premises/<id:premises_id>/support-card")
@require(Permission.PREMISES_VIEW)
def card(premises_id: int) -> str:
    return render_template(
        "support/card.html", card=support.support_card(db(), current_actor(), premises_id)
    )
