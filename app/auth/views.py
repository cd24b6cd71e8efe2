"""Sign in, sign out and change password."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.auth.current import SignedInUser, client_ip, current_actor
from app.auth.forms import ChangePasswordForm, SignInForm
from app.database import commit, db
from app.forms import apply_errors
from enforcement.accounts import users
from enforcement.clock import utcnow
from enforcement.errors import AccountLocked, ValidationFailed

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Return a same-site path to go on to after sign-in, never another site."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("home.index")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    expired = session.pop("expired", False)
    status = 200
    if form.validate_on_submit():
        settings = current_app.config["SETTINGS"]
        now = utcnow()
        try:
            user = users.authenticate(
                db(),
                now,
                form.email.data or "",
                form.password.data or "",
                ip_address=client_ip(),
                max_failures=settings.login_max_failures,
                lockout=timedelta(minutes=settings.login_lockout_minutes),
            )
        except (users.InvalidCredentials, AccountLocked) as exc:
            commit()  # keep the failed attempt: it is what throttles the next guess
            form.password.errors = [exc.message]
            status = 429 if isinstance(exc, AccountLocked) else 401
        else:
            token = users.start_session(db(), user, now, client_ip())
            commit()
            session.clear()
            session.permanent = True
            session["sid"] = token
            session["seen"] = now.timestamp()
            login_user(SignedInUser(user))
            return redirect(_safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 400
    return render_template("auth/sign_in.html", form=form, expired=expired), status


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    token = session.get("sid")
    if token and current_user.is_authenticated:
        users.end_session(db(), token, utcnow(), current_actor())
        commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_own_password(
                db(),
                current_actor(),
                utcnow(),
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
            return render_template("auth/change_password.html", form=form), 400
        commit()
        flash("Your password has been changed.", "success")
        return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form), 400 if form.errors else 200
