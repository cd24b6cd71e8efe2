"""Sign in (password, then a second factor where one is needed), sign out and change password."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import segno
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
from app.auth.forms import ChangePasswordForm, CodeForm, EnrolForm, SignInForm
from app.database import commit, db
from app.forms import apply_errors
from enforcement.accounts import totp, users
from enforcement.accounts.throttle import ThrottleRules
from enforcement.clock import utcnow
from enforcement.errors import AccountLocked, ValidationFailed
from enforcement.models import User, UserSession

bp = Blueprint("auth", __name__)
# How long someone has, after the password, to give the second factor.
PENDING_FOR = timedelta(minutes=10)


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


def throttle_rules() -> ThrottleRules:
    """The throttling rules the settings describe."""
    settings = current_app.config["SETTINGS"]
    return ThrottleRules(
        account_free_failures=settings.login_max_failures,
        address_free_failures=settings.login_ip_max_failures,
        base_delay=timedelta(seconds=settings.login_delay_base_seconds),
        max_delay=timedelta(seconds=settings.login_delay_max_seconds),
        window=timedelta(hours=settings.login_failure_window_hours),
        address_window=timedelta(minutes=settings.login_ip_window_minutes),
    )


def _cipher_key() -> bytes:
    return bytes(current_app.config["SETTINGS"].second_factor_cipher_key())


def _begin(user: User, token: str, now: datetime) -> None:
    """Put a full sign-in in the cookie (a fresh cookie: nothing from before survives)."""
    nxt = session.get("pending_next")
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["seen"] = now.timestamp()
    if nxt:
        session["pending_next"] = nxt
    login_user(SignedInUser(users.SignedIn.of(user)))


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
                rules=throttle_rules(),
            )
        except (users.InvalidCredentials, AccountLocked) as exc:
            commit()  # keep the failed attempt: it is what throttles the next guess
            form.password.errors = [exc.message]
            status = 429 if isinstance(exc, AccountLocked) else 401
        else:
            nxt = _safe_next(request.args.get("next"))
            if totp.needs_second_factor(db(), user, required=settings.require_second_factor):
                enrolled = totp.is_enrolled(db(), user.id)
                if not enrolled:
                    totp.begin_enrolment(db(), user, now, key=settings.second_factor_cipher_key())
                token = users.start_session(
                    db(), user, now, client_ip(), awaiting_second_factor=True
                )
                commit()
                session.clear()
                session.permanent = True
                session["pending_sid"] = token
                session["pending_next"] = nxt
                return redirect(url_for("auth.second_factor" if enrolled else "auth.enrol"))
            token = users.start_session(db(), user, now, client_ip())
            commit()
            session.clear()
            session.permanent = True
            session["sid"] = token
            session["seen"] = now.timestamp()
            login_user(SignedInUser(users.SignedIn.of(user)))
            return redirect(nxt)
    elif form.is_submitted():
        status = 400
    return render_template("auth/sign_in.html", form=form, expired=expired), status


def _pending() -> tuple[UserSession, User] | None:
    """The session whose password was accepted and whose second factor is owed, if any."""
    token = session.get("pending_sid")
    if not token:
        return None
    return users.pending_session(db(), token, utcnow(), max_age=PENDING_FOR)


def _start_again() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    session.clear()
    flash("Sign in again to continue.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor() -> str | Response | tuple[str, int]:
    found = _pending()
    if found is None:
        return _start_again()
    row, user = found
    if not totp.is_enrolled(db(), user.id):
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        try:
            passed = totp.verify(
                db(),
                now,
                user,
                form.code.data or "",
                ip_address=client_ip(),
                rules=throttle_rules(),
                key=_cipher_key(),
            )
        except (totp.InvalidCode, AccountLocked) as exc:
            commit()  # the failure is what throttles the next guess
            form.code.errors = [exc.message]
            status = 429 if isinstance(exc, AccountLocked) else 401
        else:
            users.complete_session(db(), row, user, now, passed.how)
            commit()
            _begin(user, session["pending_sid"], now)
            if passed.recovery_codes_left is not None:
                flash(
                    f"You used a recovery code. You have {passed.recovery_codes_left} left. "
                    "If you have lost your phone, ask an administrator to reset your second "
                    "factor.",
                    "info",
                )
            return redirect(session.pop("pending_next", None) or url_for("home.index"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/second_factor.html", form=form), status


@bp.route("/sign-in/set-up-code", methods=["GET", "POST"])
def enrol() -> str | Response | tuple[str, int]:
    found = _pending()
    if found is None:
        return _start_again()
    row, user = found
    secret = totp.enrolment_secret(db(), user.id, key=_cipher_key())
    if secret is None:
        return redirect(url_for("auth.second_factor"))
    form = EnrolForm()
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        try:
            codes = totp.confirm_enrolment(
                db(),
                now,
                user,
                form.code.data or "",
                ip_address=client_ip(),
                rules=throttle_rules(),
                key=_cipher_key(),
            )
        except (totp.InvalidCode, AccountLocked) as exc:
            commit()
            form.code.errors = [exc.message]
            status = 429 if isinstance(exc, AccountLocked) else 401
        else:
            users.complete_session(db(), row, user, now, "a newly set up authenticator code")
            commit()
            _begin(user, session["pending_sid"], now)
            nxt = session.pop("pending_next", None) or url_for("home.index")
            return render_template("auth/recovery_codes.html", codes=codes, next_url=nxt)
    elif form.is_submitted():
        status = 400
    settings = current_app.config["SETTINGS"]
    uri = totp.provisioning_uri(secret, user.email, settings.service_name)
    return render_template(
        "auth/enrol.html",
        form=form,
        secret=totp.grouped(secret),
        uri=uri,
        qr=segno.make(uri, error="m").svg_data_uri(scale=4, border=4),
    ), status


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    token = session.get("sid")
    if token and current_user.is_authenticated:
        users.end_session(db(), token, utcnow(), current_actor())
        # The offline grant is not ended here: it is the user's, shared by every device they
        # work offline on, and ending it would make another tablet's unsent records unreadable
        # there. This browser's copy goes with the Clear-Site-Data header below (and the page's
        # script); the grant ends when it expires or the account's sessions are all revoked
        # (docs/offline.md, "The session key").
        commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    response = redirect(url_for("auth.sign_in"))
    # What the browser keeps for offline working (IndexedDB, the service worker and its copies
    # of pages) goes with the session (docs/offline.md, "On the device").
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


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
                keep_session=session.get("sid"),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
            return render_template("auth/change_password.html", form=form), 400
        commit()
        flash("Your password has been changed.", "success")
        return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form), 400 if form.errors else 200
