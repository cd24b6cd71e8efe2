"""The app's Flask class (its Jinja environment, its JSON reader); template globals and filters:
labels for codes, dates in London time, navigation."""

from __future__ import annotations

import itertools
from collections import ChainMap
from collections.abc import KeysView, MutableMapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.templating import Environment
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers
from markupsafe import Markup

from app.assets import import_map, static_url
from enforcement import vocab
from enforcement.access import Permission
from enforcement.clock import to_london, when_text, zone_name
from enforcement.register.licences import activities as licence_activities

#: strftime directives that print a time of day: a format using one gets GMT or BST after it.
_TIME_DIRECTIVES = ("%H", "%-H", "%I", "%-I", "%M", "%p", "%X", "%c", "%T", "%R")


class TemplateGlobals(ChainMap[str, Any]):
    """A template's globals, as Jinja makes them (its own over the environment's), whose keys
    are a dict's keys view rather than the generic one.

    On every `{% from ... import %}` Jinja subtracts the imported template's global names from
    the importing context's; GOV.UK Frontend's macros import others on each call, and over the
    generic view that subtraction was a twentieth of the time spent drawing a form."""

    def keys(self) -> KeysView[str]:
        return dict.fromkeys(itertools.chain.from_iterable(self.maps)).keys()


class TemplateEnvironment(Environment):
    """Flask's Jinja environment with `TemplateGlobals` for each template's globals."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals({} if d is None else d, self.globals)


class TrackerJSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose reader treats a text nested past the recursion limit (a body of a
    hundred thousand "[") as unreadable, like any other text that is not JSON: Python's parser
    raises RecursionError, which `request.get_json(silent=True)` would let through as a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("the JSON is nested too deeply to read") from exc


class TrackerFlask(Flask):
    """The app's Flask class: Flask with `TemplateEnvironment` as its Jinja environment and
    `TrackerJSONProvider` as its JSON."""

    jinja_environment = TemplateEnvironment
    json_provider_class = TrackerJSONProvider


DEFAULT_MOMENT = "%-d %B %Y at %-I:%M%p"


def london(value: datetime | None, fmt: str = DEFAULT_MOMENT) -> str:
    """Show a stored UTC time as London time, e.g. '3 March 2026 at 2:05pm GMT'.

    Every time of day shown says GMT or BST, so 01:30 on the night the clocks go back is
    never ambiguous; a date-only format (no time directive) is shown as it is.
    """
    if value is None:
        return ""
    if fmt == DEFAULT_MOMENT:
        return when_text(value)  # "the end of" a day for a period that ends with it
    local = to_london(value)
    text = local.strftime(fmt).replace("AM", "am").replace("PM", "pm")
    if any(directive in fmt for directive in _TIME_DIRECTIVES):
        text += f" {zone_name(value)}"
    return text


def long_date(value: date | None) -> str:
    return "" if value is None else value.strftime("%-d %B %Y")


def url_with(**changes: Any) -> str:
    """Return the current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    query = urlencode(args)
    return request.path + (f"?{query}" if query else "")


def id_url_prefix(endpoint: str, name: str) -> str:
    """Return an endpoint's address for a record id up to the id, so a list links each row as
    the prefix followed by its id: url_for once a page rather than once a row (building an
    address is a noticeable part of a list page's time). The id must end the address."""
    from flask import url_for

    values: dict[str, Any] = {name: 0}
    url = url_for(endpoint, **values)
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint}: the record id does not end its address ({url})")
    return url[:-1]


def navigation() -> list[dict[str, Any]]:
    if not current_user.is_authenticated:
        return []
    # Short labels, one line at desktop width for every role (docs/web-layer.md); each page's
    # heading gives the full name. The service name, first in the bar, leads home.
    items: list[tuple[str, str, Permission | tuple[Permission, ...]]] = [
        ("Premises", "premises.index", Permission.PREMISES_VIEW),
        ("Map", "maps.index", Permission.PREMISES_VIEW),
        ("Cases", "cases.index", Permission.CASE_VIEW),
        ("Referrals", "referrals.index", Permission.REFERRAL_VIEW),
        ("Posters", "inspections.compliance", Permission.COMPLIANCE_VIEW),
        ("Welfare visits", "welfare.index", Permission.WELFARE_VISIT_LIST),
        ("Training", "welfare.training_coverage", Permission.TRAINING_VIEW),
        # Working offline (app/offline): for those who record inspections or welfare visits.
        ("Offline", "offline.index", (Permission.INSPECTION_RECORD, Permission.WELFARE_VISIT_LOG)),
        ("Intelligence", "flags.index", Permission.FLAG_LIST),
        ("Dashboard", "dashboard.index", Permission.DASHBOARD_SHARED),
        ("Users", "admin.users", Permission.USERS_MANAGE),
        ("Languages", "admin.languages", Permission.REFERENCE_MANAGE),
        ("Local rules", "admin.rules", Permission.REFERENCE_MANAGE),
        ("Wards", "admin.wards", Permission.REFERENCE_MANAGE),
        ("Support directory", "admin.support_services", Permission.REFERENCE_MANAGE),
        ("Imports", "registerio.index", Permission.REGISTER_IMPORT),
        ("Audit log", "admin.audit", Permission.AUDIT_READ),
    ]
    section = (request.endpoint or "").split(".")[0]
    out = []
    for text, endpoint, perm in items:
        perms = perm if isinstance(perm, tuple) else (perm,)
        if any(current_user.can(p) for p in perms):
            here = endpoint.split(".")[0] == section and (
                section not in {"admin", "inspections", "welfare", "offline"}
                or request.endpoint == endpoint
            )
            out.append({"text": text, "href": _url(endpoint), "active": here})
    out.insert(0, _tasks_item())
    return out


def _tasks_item() -> dict[str, Any]:
    """Return the Tasks link, with a badge counting open tasks (one COUNT query a page)."""
    from app.database import db
    from enforcement.clock import utcnow
    from enforcement.reminders.tasks import task_count

    count = task_count(db(), current_user.actor(), utcnow())
    label = Markup("Tasks")
    if count:
        label += Markup(
            ' <span class="moj-notification-badge">{}'
            '<span class="govuk-visually-hidden"> open tasks</span></span>'
        ).format(count)
    return {
        "html": label,
        "href": _url("tasks.index"),
        "active": (request.endpoint or "").startswith("tasks."),
    }


def _url(endpoint: str) -> str:
    from flask import url_for

    return url_for(endpoint)


def init_app(app: Flask) -> None:
    WTFormsHelpers(app)
    app.jinja_env.filters["london"] = london
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["licence_activities"] = licence_activities
    app.jinja_env.globals.update(
        static_url=static_url,
        import_map=import_map,
        vocab=vocab,
        Permission=Permission,
        url_with=url_with,
        id_url_prefix=id_url_prefix,
        navigation=navigation,
        settings=app.config["SETTINGS"],
    )
