"""The public register: search licences, open one with its conditions, download the esd CSV.

Open without signing in when PUBLIC_REGISTER is on (404 otherwise); every request is counted
against a per-address limit in the database (429 beyond it), in a unit of work of its own so
the pages themselves only read; pages are the same for everyone, so they carry Cache-Control
and an ETag. Only `enforcement.register.public` is read.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask.typing import ResponseReturnValue

from app.auth.current import client_ip
from app.choices import active_filters
from app.database import bookkeeping, db
from app.publicregister.forms import PublicSearchForm
from config import Settings
from enforcement.clock import london_today, utcnow
from enforcement.errors import ValidationFailed
from enforcement.numbers import page_number
from enforcement.referrals.process import status_in_effect
from enforcement.register import public
from enforcement.register.wards import ward_names_in_force
from enforcement.vocab import LicenceRegime

bp = Blueprint("publicregister", __name__, url_prefix="/register")


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


@bp.before_request
def _open_and_within_the_limit() -> ResponseReturnValue | None:
    settings = _settings()
    if not settings.public_register:
        abort(404)
    key = public.client_key(client_ip() or "unknown", settings.secret_key)
    decision = bookkeeping(
        lambda session: public.count_request(
            session, utcnow(), key, settings.public_register_rate_per_minute
        )
    )
    if decision.allowed:
        return None
    page = render_template(
        "publicregister/too_many.html", title="Too many requests", retry=decision.retry_after
    )
    return Response(page, 429, headers={"Retry-After": str(decision.retry_after)})


def _cached(response: Response) -> Response:
    """Let browsers and caches keep a page for a minute, and answer 304 when it is unchanged."""
    shared = current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
    response.headers["Cache-Control"] = (
        f"{'public' if shared else 'private'}, max-age={public.CACHE_SECONDS}"
    )
    response.headers["Vary"] = "Cookie"
    response.add_etag()
    response.make_conditional(request)
    return response


def _search() -> tuple[PublicSearchForm, public.PublicQuery, list[str]]:
    form = PublicSearchForm(request.args)
    wards = ward_names_in_force(db(), london_today(utcnow()))
    form.ward.choices = [("", "Any ward"), *wards]
    form.regime.choices = [("", "Any type of licence"), *LicenceRegime.choices()]
    form.sort.choices = list(public.SORTS.items())
    page_text = request.args.get("page", "1")
    query = public.PublicQuery(
        text=(form.q.data or "").strip(),
        ward=form.ward.data or "",
        regime=form.regime.data or "",
        sort=form.sort.data or "name",
        page=page_number(page_text),
        page_size=_settings().page_size,
    )
    return form, query, [code for code, _name in wards]


@bp.route("")
def index() -> ResponseReturnValue:
    form, query, codes = _search()
    status = 200
    try:
        result = public.search(db(), utcnow(), query, codes, status_in_effect)
    except ValidationFailed as refused:
        _with_errors(form, refused)
        result = public.PublicPage(rows=[], total=0, page=1, page_size=query.page_size)
        status = 400
    chosen = active_filters(form, (("ward", query.ward), ("regime", query.regime)))
    page = render_template(
        "publicregister/index.html",
        title="Public register of licences",
        form=form,
        result=result,
        query=query,
        count_cap=public.COUNT_CAP,
        active_filters=chosen,
    )
    return _cached(Response(page, status)) if status == 200 else (page, status)


@bp.route("/licences/<id:licence_id>")
def licence(licence_id: int) -> ResponseReturnValue:
    found = public.get_licence(db(), utcnow(), licence_id, status_in_effect)
    page = render_template(
        "publicregister/licence.html", title=f"Licence {found.reference}", licence=found
    )
    return _cached(Response(page))


@bp.route("/download.csv")
def download() -> ResponseReturnValue:
    form, query, codes = _search()
    try:
        lines = public.export_csv(
            db(), utcnow(), query, codes, _settings().council_name, status_in_effect
        )
    except ValidationFailed as refused:
        return (
            render_template(
                "publicregister/index.html",
                title="Public register of licences",
                form=_with_errors(form, refused),
                result=public.PublicPage(rows=[], total=0, page=1, page_size=query.page_size),
                query=query,
                count_cap=public.COUNT_CAP,
                active_filters=[],
            ),
            400,
        )
    today = london_today(utcnow())
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="licence-register-{today:%Y-%m-%d}.csv"'
    )
    response.headers["Cache-Control"] = f"public, max-age={public.CACHE_SECONDS}"
    return response


def _with_errors(form: PublicSearchForm, refused: ValidationFailed) -> PublicSearchForm:
    for key, message in refused.errors.items():
        field = getattr(form, "q" if key == "text" else key, None)
        if field is not None:
            field.errors = [message]
    return form
