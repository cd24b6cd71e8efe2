"""The Flask application factory."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.wrappers import Response

from app import errors
from app.about.views import PAGES as ABOUT_PAGES
from app.assets import (
    ASSET_ENDPOINTS,
    SessionInterface,
    import_map_source,
    keep_versioned_static_file,
)
from app.database import SessionMaker
from app.forms import parse_id, refuse_control_characters_in_every_form
from app.templating import TrackerFlask
from app.uploads import IMPORT_PAGES
from config import ConfigError, Settings
from enforcement.access import can
from enforcement.accounts import users
from enforcement.cases import clock as case_clock
from enforcement.cases.statutory import RuleOverrideError
from enforcement.text import has_control_characters

# Views anyone may reach without signing in; every other view requires it (default deny).
# The second factor pages are reached between password and code, so they check the pending
# server-side session themselves (app/auth/views.py).
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.sign_in",
        "auth.second_factor",
        "auth.enrol",
        *ASSET_ENDPOINTS,
        "home.health",
        "home.favicon",
    }
    # The public register (404 unless PUBLIC_REGISTER is on: app/publicregister/views.py).
    | {"publicregister.index", "publicregister.licence", "publicregister.download"}
    # The accessibility statement, privacy and cookies pages (app/about/views.py).
    | set(ABOUT_PAGES)
)


class RecordIdConverter(BaseConverter):
    """`<id:name>`: a record id the database can hold; anything else is no such page (404)."""

    regex = r"\d+"
    weight = 50

    def to_python(self, value: str) -> int:
        found = parse_id(value)
        if found is None:
            raise ValidationError
        return found

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


def create_app(
    settings: Settings | None = None, *, session_maker: SessionMaker | None = None
) -> Flask:
    """Build the app from settings (read from the environment when not given).

    A setting that cannot work stops it with `ConfigError`. On the command line (`flask ...`,
    where click is running a command) that is one line saying which setting and why, as click
    prints its own errors, instead of a traceback (docs/operations.md)."""
    try:
        return _build_app(settings or Settings.from_env(), session_maker)
    except ConfigError as exc:
        if click.get_current_context(silent=True) is None:
            raise
        raise click.ClickException(f"{exc}. Nothing was done.") from exc


def _build_app(settings: Settings, session_maker: SessionMaker | None) -> Flask:
    app = TrackerFlask(__name__, instance_relative_config=False)
    if settings.env == "production" and app.debug:
        # Flask's debugger (`flask run --debug`, `make dev`, FLASK_DEBUG) runs any code typed
        # into an error page: never on a production database.
        raise ConfigError("APP_ENV=production refuses Flask's debug mode: unset FLASK_DEBUG")
    if settings.proxy_hops:
        # Only as many forwarded hops as there are proxies: more would let a client choose
        # the address its sign-in attempts are throttled and audited under.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    configure(app, settings)
    register_extensions(app, settings, session_maker)
    register_blueprints(app)
    register_cli(app)
    register_request_hooks(app)
    return app


def configure(app: Flask, settings: Settings) -> None:
    """Settings, cookies, limits, password hashing cost and where templates come from."""
    try:
        # The rule overrides file is read (and checked) once, here: a wrong one stops start-up.
        case_clock.default_rulebook(settings.rule_overrides_file)
    except RuleOverrideError as exc:
        raise ConfigError(f"RULE_OVERRIDES_FILE: {exc}") from exc
    users.configure_password_hashing(
        users.HashingCost(
            settings.password_hash_time_cost,
            settings.password_hash_memory_kib,
            settings.password_hash_parallelism,
        )
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="tracker_session",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        # Sent again only when it changes: its last-seen time, once a minute (app/auth/current.py).
        SESSION_REFRESH_EACH_REQUEST=False,
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own idle limit bounds the token's life
        # Outside production a GET view that writes without @writes_on_read fails loudly.
        REFUSE_UNMARKED_WRITES=settings.env != "production",
    )
    app.session_interface = SessionInterface()
    app.url_map.converters["id"] = RecordIdConverter
    refuse_control_characters_in_every_form()
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("app"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def register_extensions(app: Flask, settings: Settings, session_maker: SessionMaker | None) -> None:
    """The database session, CSRF, sign-in, template helpers and error pages."""
    from app import database, templating
    from app.auth.current import load_user
    from app.extensions import csrf, login_manager

    database.init_app(app, settings.database_url, echo=settings.sql_echo, factory=session_maker)
    # Before CSRF reads the form: the import page's larger limit for those allowed to import.
    app.before_request(_import_upload_limit)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    templating.init_app(app)
    errors.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Every area's pages."""
    from app.about.views import bp as about_bp
    from app.admin import support as _support_pages  # noqa: F401 - adds the support directory to admin
    from app.admin import wards as _ward_pages  # noqa: F401 - importing it adds the ward import pages to admin
    from app.admin.views import bp as admin_bp
    from app.assets import bp as vendor_bp
    from app.auth.views import bp as auth_bp
    from app.cases.views import bp as cases_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.flags.views import bp as flags_bp
    from app.home.views import bp as home_bp
    from app.inspections.views import bp as inspections_bp
    from app.maps.views import bp as maps_bp
    from app.offline import bp as offline_bp
    from app.premises.views import bp as premises_bp
    from app.publicregister.views import bp as publicregister_bp
    from app.referrals.views import bp as referrals_bp
    from app.registerio.views import bp as registerio_bp
    from app.safeguarding.views import bp as safeguarding_bp
    from app.support.views import bp as support_bp
    from app.tasks.views import bp as tasks_bp
    from app.welfare.views import bp as welfare_bp

    for bp in (
        vendor_bp,
        about_bp,
        auth_bp,
        home_bp,
        tasks_bp,
        premises_bp,
        inspections_bp,
        maps_bp,
        cases_bp,
        welfare_bp,
        offline_bp,
        safeguarding_bp,
        flags_bp,
        dashboard_bp,
        referrals_bp,
        support_bp,
        registerio_bp,
        admin_bp,
        publicregister_bp,
    ):
        app.register_blueprint(bp)


def register_cli(app: Flask) -> None:
    """The flask commands (migrations, scheduler, imports, demo data)."""
    from app.cli import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    """Junk addresses refused, default-deny sign-in on every page, security headers on answers."""
    app.before_request(_refuse_control_characters_in_address)
    app.before_request(_default_deny)
    app.after_request(_headers)
    if not app.config["SETTINGS"].proxy_hops:
        app.before_request(_warn_of_a_proxy_not_counted)


PROXY_NOT_COUNTED = (
    "Requests arrive through a proxy (they carry X-Forwarded-For) but PROXY_HOPS is 0: every "
    "person's address is read as the proxy's, so sign-in attempts are throttled and audited "
    "under one address, and one person's failures can lock everyone out. Set PROXY_HOPS to the "
    "number of proxies in front of the service (docs/operations.md)."
)


def _warn_of_a_proxy_not_counted() -> None:
    """Say so in the log, once per process, when a proxy's header arrives unread."""
    if "X-Forwarded-For" in request.headers and not current_app.extensions.get(PROXY_NOT_COUNTED):
        current_app.extensions[PROXY_NOT_COUNTED] = True
        current_app.logger.warning(PROXY_NOT_COUNTED)


def _import_upload_limit() -> None:
    """The import pages take files up to IMPORT_MAX_MB (every other request body stays under
    MAX_UPLOAD_MB), and only from a signed-in user who may import there."""
    from app.auth.current import current_actor

    page = IMPORT_PAGES.get(request.endpoint or "")
    if page is None or request.method != "POST":
        return
    if current_user.is_authenticated and can(current_actor(), page.permission):
        request.max_content_length = current_app.config["SETTINGS"].import_max_mb * 1024 * 1024


def _refuse_control_characters_in_address() -> None:
    # Forms refuse them field by field; an address (a search, a filter, a link) is refused
    # whole, before any view can send it to the database.
    if any(
        isinstance(v, str) and has_control_characters(v) for v in (request.view_args or {}).values()
    ):
        abort(404)
    if any(
        has_control_characters(key) or has_control_characters(value)
        for key, values in request.args.lists()
        for value in values
    ):
        raise errors.RefusedInput(
            "The address has hidden control characters in it, so it was not used. Go back,"
            " and type the search or filter again rather than pasting it."
        )


def _default_deny() -> Response | None:
    from app.offline import is_api_endpoint
    from app.offline.views import answer as offline_answer

    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if is_api_endpoint(request.endpoint):
        # A device syncing in the background is answered in JSON, never sent to sign in.
        if not current_user.is_authenticated:
            return offline_answer(401, status="signed_out")
        if current_user.must_change_password:
            return offline_answer(403, status="forbidden")
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.sign_in"))
    if current_user.must_change_password and request.endpoint not in {
        "auth.change_password",
        "auth.sign_out",
    }:
        return redirect(url_for("auth.change_password"))
    return None


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        # GOV.UK Frontend's inline script (js-enabled), then the page's import map.
        "script-src 'self' 'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw=' "
        f"{import_map_source()}; frame-ancestors 'none'; form-action 'self'",
    )
    settings: Settings = current_app.config["SETTINGS"]
    if settings.env == "production" and settings.session_cookie_secure:
        # Browsers then refuse plain HTTP to the service for a year, so the session cookie
        # can never be offered over an unencrypted connection.
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    if request.endpoint not in ASSET_ENDPOINTS:
        response.headers.setdefault("Cache-Control", "no-store")
    keep_versioned_static_file(response)
    # The cookie's idle expiry slides when its last-seen time is renewed, once a minute
    # (app/auth/current.py), not with every response.
    return response
