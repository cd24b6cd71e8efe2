"""The offline API (docs/offline.md): the session key, a premises package, and records sent back.

Every answer is JSON, never a page or a redirect: a device syncing in the background reads the
status, not HTML. A record sent back is checked by the same form and saved by the same use case
as the online inspection and welfare visit pages (app/inspections/views.py,
app/welfare/views.py), so it is refused with the same messages, audited the same way and makes
the same follow-up reminders.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any, TypeVar

from flask import current_app, jsonify, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.auth.current import SESSION_MAX_AGE, current_actor
from app.database import db, writes_on_read
from app.extensions import csrf
from app.inspections import views as inspection_views
from app.offline import bp
from app.usecase import Done, perform, run
from app.welfare import views as welfare_views
from enforcement.access import Permission, can
from enforcement.accounts import users
from enforcement.clock import utcnow
from enforcement.errors import DomainError, Forbidden, NotFound
from enforcement.models import Premises, Ward
from enforcement.offline import keys, package, sync
from enforcement.welfare import visits as welfare

F = TypeVar("F", bound=Callable[..., Any])

#: The key under which errors of the form as a whole (no field of their own) are answered.
WHOLE_FORM_KEY = "_form"


def answer(status_code: int, **body: Any) -> Response:
    """A JSON answer that no cache keeps."""
    resp = jsonify(body)
    resp.status_code = status_code
    resp.headers["Cache-Control"] = "no-store"
    return resp


def signed_out() -> Response:
    return answer(401, status="signed_out")


def _json_errors(view: F) -> F:
    """Answer refusals and HTTP errors inside an API view as JSON, never as an error page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except NotFound:
            db().rollback()
            return answer(404, status="not_found")
        except Forbidden:
            db().rollback()
            return answer(403, status="forbidden")
        except DomainError:
            db().rollback()
            return answer(400, status="bad_request")
        except StaleDataError:
            db().rollback()
            return answer(409, status="conflict", changes=[], version=None)
        except HTTPException as exc:
            db().rollback()
            code = exc.code or 400
            word = {401: "signed_out", 403: "forbidden", 404: "not_found"}.get(code, "bad_request")
            return answer(code if code < 500 else 400, status=word)

    return wrapped  # type: ignore[return-value]


@bp.route("/api/session")
@writes_on_read
@_json_errors
def api_session() -> ResponseReturnValue:
    """The user's offline key (the same until their grant ends), a CSRF token, and the grant's end."""
    token = session.get("sid")
    found = users.live_session(db(), token, utcnow(), max_age=SESSION_MAX_AGE) if token else None
    if found is None:
        return signed_out()
    hours = current_app.config["SETTINGS"].offline_hours
    grant = perform(lambda: keys.current_grant(db(), found.user_id, utcnow(), hours))
    return answer(
        200,
        key=keys.derive_key(current_app.config["SECRET_KEY"], found.user_id, grant.nonce),
        csrf_token=generate_csrf(),
        user_id=found.user_id,
        expires_at=grant.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        sync_url=url_for("offline.api_records"),
    )


@bp.route("/api/premises/<id:premises_id>")
@writes_on_read
@_json_errors
def api_premises(premises_id: int) -> ResponseReturnValue:
    """The package of one premises taken offline (audited), with its two forms drawn."""
    taken = perform(lambda: package.take_offline(db(), current_actor(), utcnow(), premises_id))
    p = db().get(Premises, premises_id)
    assert p is not None  # take_offline has read it
    forms = {
        "inspection": _inspection_form_html(p) if taken.can_inspect else None,
        "welfare_visit": _visit_form_html(p) if taken.can_visit else None,
    }
    return answer(
        200,
        premises_id=taken.premises_id,
        version=taken.version,
        taken_at=taken.taken_at.isoformat().replace("+00:00", "Z"),
        summary=taken.summary,
        forms=forms,
        can_inspect=taken.can_inspect,
        can_visit=taken.can_visit,
    )


def _inspection_form_html(p: Premises) -> str:
    new = inspection_views.new_inspection(p.id, None, with_token=False)
    new.form.licence_id.data = str(new.choice.licence.id) if new.choice.licence else ""
    # The form alone, drawn from the template the page includes: the device keeps the form.
    html, _status = new.page(p, 200, template="inspections/_record_form.html")
    return html


def _visit_form_html(p: Premises) -> str:
    form = welfare_views.new_visit_form(with_token=False)
    welfare_views.fill_new_visit(form)
    html, _status = welfare_views.visit_page(form, p, 200, template="welfare/_visit_form.html")
    return html


@bp.route("/api/records", methods=["POST"])
@_json_errors
def api_records() -> ResponseReturnValue:
    """Take one record sent back from a device: accepted, duplicate, refused or a conflict."""
    try:
        csrf.protect()  # the X-CSRFToken header (exempt from the check before the view: below)
    except CSRFError:
        return answer(400, status="bad_request", reason="csrf")
    try:
        envelope = sync.parse(request.get_json(silent=True))
    except sync.NoSuchPremises:
        return answer(404, status="not_found")
    except sync.BadEnvelope:
        return answer(400, status="bad_request")
    actor = current_actor()
    if not can(actor, Permission.PREMISES_VIEW):
        return answer(404, status="not_found")
    p = db().get(Premises, envelope.premises_id)
    if p is None:
        return answer(404, status="not_found")
    if not _may_record(envelope.kind, p):
        return answer(403, status="forbidden")
    already = sync.accepted_already(db(), actor, envelope)
    if isinstance(already, sync.KeyTaken):
        return answer(400, status="bad_request", reason="idempotency_key")
    if already is not None:
        return answer(
            200, status="accepted", url=_record_url(already.kind, already.record_id), duplicate=True
        )
    if not envelope.acknowledge_conflict:
        found = sync.conflict(db(), envelope)
        if found is not None:
            return answer(
                409, status="conflict", changes=list(found.changes), version=found.version
            )
    return _save(envelope, p)


# Checked in the view, after the sign-in check, so a device whose session has ended is told 401
# (and clears its copy) rather than 400 for a token that died with the session.
csrf.exempt(api_records)


def _may_record(kind: sync.Kind, p: Premises) -> bool:
    actor = current_actor()
    if kind is sync.Kind.INSPECTION:
        return can(actor, Permission.INSPECTION_RECORD)
    ward = db().get(Ward, p.ward_id) if p.ward_id else None
    return welfare.may_log_at(db(), actor, ward.code if ward else None)


def _formdata(envelope: sync.Envelope) -> MultiDict[str, str]:
    data: MultiDict[str, str] = MultiDict()
    for name, values in envelope.fields.items():
        for value in values:
            data.add(name, value)
    data["idempotency_key"] = envelope.idempotency_key
    return data


def _save(envelope: sync.Envelope, p: Premises) -> Response:
    formdata = _formdata(envelope)
    form: FlaskForm
    action: Callable[[], tuple[Any, bool]]
    if envelope.kind is sync.Kind.INSPECTION:
        new = inspection_views.new_inspection(p.id, formdata.get("licence_id"), formdata)
        form, action, aliases = new.form, new.action(), inspection_views.ALIASES
    else:
        form = welfare_views.new_visit_form(formdata)
        action = welfare_views.log_visit_action(form, p)
        aliases = welfare_views.ALIASES
    referrals = formdata.get("referrals_made") == "yes"
    if not form.validate():
        db().rollback()
        return answer(422, status="refused", errors=_errors(form))
    outcome = run(action, form, aliases=aliases)
    if not isinstance(outcome, Done):
        return answer(422, status="refused", errors=_errors(form))
    record: Any
    record, created = outcome.value
    body: dict[str, Any] = {"status": "accepted", "url": _record_url(envelope.kind, record.id)}
    if not created:
        return answer(200, **body, duplicate=True)
    if referrals:
        body["next_url"] = _referrals_url(envelope.kind, record.id)
    return answer(201, **body)


def _errors(form: FlaskForm) -> dict[str, list[str]]:
    """The form's messages by field name, and those of the form as a whole under "_form"."""
    errors: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        key = WHOLE_FORM_KEY if name is None else str(name)
        errors.setdefault(key, []).extend(_flat(messages))
    return errors


def _flat(messages: object) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [m for v in messages.values() for m in _flat(v)]
    if isinstance(messages, list | tuple):
        return [m for v in messages for m in _flat(v)]
    return [str(messages)]


def _record_url(kind: sync.Kind, record_id: int) -> str:
    if kind is sync.Kind.INSPECTION:
        return url_for("inspections.detail", inspection_id=record_id)
    return url_for("welfare.detail", visit_id=record_id)


def _referrals_url(kind: sync.Kind, record_id: int) -> str:
    if kind is sync.Kind.INSPECTION:
        return url_for("safeguarding.add_to_inspection", inspection_id=record_id)
    return url_for("safeguarding.add_to_visit", visit_id=record_id)
