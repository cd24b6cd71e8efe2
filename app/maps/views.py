"""The map page and its GeoJSON, nearby premises, ward profiles and hotspots."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.choices import active_filters, choice_labels
from app.database import db, writes_on_read
from app.location import LocationProblem, read_location
from app.maps.forms import HotspotForm, MapFilterForm, NearbyForm, PeriodForm
from app.usecase import Done, run
from enforcement.access import Permission
from enforcement.clock import london_today, utcnow
from enforcement.errors import ValidationFailed
from enforcement.numbers import record_id
from enforcement.register import premises
from enforcement.register.wards import wards_in_force
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType
from enforcement.wards import maps
from enforcement.wards import profiles as ward_profiles

bp = Blueprint("maps", __name__, url_prefix="/map")

GEOJSON = "application/geo+json"
FILTERS = ("ward", "premises_type", "regime", "licence_status")


def _geojson(document: dict[str, Any], status: int = 200) -> Response:
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status=status, mimetype=GEOJSON)


def _ward_choices(first: str) -> list[tuple[str, str]]:
    wards = wards_in_force(db(), london_today(utcnow()))
    return [("", first), *[(w.code, w.name) for w in wards]]


def _prepare_filters(form: MapFilterForm) -> None:
    form.ward.choices = [
        *_ward_choices("Any ward"),
        (premises.WARD_OUTSIDE, "Outside the borough"),
    ]
    form.premises_type.choices = [("", "Any type"), *PremisesType.choices()]
    form.regime.choices = [("", "Any licence type"), *LicenceRegime.choices()]
    form.licence_status.choices = [
        ("", "Any status"),
        (premises.STATUS_UNLICENSED, "Trading without a licence it needs"),
        *LicenceStatus.choices(),
    ]
    form.colour.choices = [(s.key, s.label) for s in maps.colour_schemes(current_actor())]


def _map_query(form: MapFilterForm) -> maps.MapQuery:
    return maps.MapQuery(
        text=(form.q.data or "").strip(),
        ward=form.ward.data or "",
        premises_type=form.premises_type.data or "",
        regime=form.regime.data or "",
        licence_status=form.licence_status.data or "",
        colour=form.colour.data or maps.LICENCE_STATUS.key,
    )


@bp.route("")
@require(Permission.PREMISES_VIEW)
def index() -> tuple[str, int]:
    actor = current_actor()
    form = MapFilterForm(request.args)
    _prepare_filters(form)
    query = _map_query(form)
    problems = premises.query_problems(query.as_list_query())
    known_wards = set(choice_labels(form.ward)) - {"", premises.WARD_OUTSIDE}
    if query.ward and query.ward not in known_wards | {premises.WARD_OUTSIDE}:
        problems["ward"] = "Unknown ward"
    if query.colour not in choice_labels(form.colour):
        problems["colour"] = "Choose what the points are coloured by"
    for key, message in problems.items():
        field = getattr(form, "q" if key == "text" else key, None)
        if field is not None:
            field.errors = [message]
    scheme = None if "colour" in problems else maps.colour_scheme(actor, query.colour)
    args: dict[str, Any] = {
        k: v for k, v in request.args.items() if k in {"q", *FILTERS, "colour"} and v
    }
    list_args = {k: v for k, v in args.items() if k != "colour"}
    chosen = active_filters(form, ((name, request.args.get(name, "")) for name in FILTERS))
    return render_template(
        "maps/index.html",
        form=form,
        query=query,
        scheme=scheme,
        problems=problems,
        active_filters=chosen,
        premises_url=url_for("maps.premises_geojson", **args),
        list_url=url_for("premises.index", **list_args),
        # The wards drawn bold: the ward filtered on, else the wards the person covers.
        focus_wards=[query.ward] if query.ward in known_wards else sorted(actor.ward_codes),
        # The map opens on the ward filtered on, else on the whole borough.
        fit_wards=[query.ward] if query.ward in known_wards else [],
        wards_loaded=bool(known_wards),
    ), 400 if problems else 200


@bp.route("/premises.geojson")
@require(Permission.PREMISES_VIEW)
def premises_geojson() -> Response:
    form = MapFilterForm(request.args)
    try:
        document = maps.premises_features(db(), current_actor(), utcnow(), _map_query(form))
    except ValidationFailed as exc:
        return _geojson({"errors": exc.errors}, 400)
    return _geojson(document)


@bp.route("/wards.geojson")
@require(Permission.PREMISES_VIEW)
def wards_geojson() -> Response:
    return _geojson(maps.ward_features(db(), current_actor(), london_today(utcnow())))


# --- nearby -------------------------------------------------------------------------------------


def _distance(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else float(maps.DEFAULT_NEARBY_M)
    except ValueError:
        return None


def _origin_point(form: NearbyForm) -> tuple[float, float] | None:
    """Read the location typed in either system; put any problem on the form's fields."""
    try:
        return read_location(
            form.latitude.data, form.longitude.data, form.easting.data, form.northing.data
        )
    except LocationProblem as problem:
        form[problem.field].errors = [problem.message]
        return None


@bp.route("/nearby")
@writes_on_read
@require(Permission.PREMISES_VIEW)
def nearby() -> tuple[str, int]:
    form = NearbyForm(request.args)
    form.distance.choices = [(str(d), f"{d:,} metres") for d in maps.NEARBY_DISTANCES]
    if not form.distance.data:
        form.distance.data = str(maps.DEFAULT_NEARBY_M)
    result = None
    status = 200
    searched = any(
        request.args.get(k)
        for k in ("premises", "flag", "latitude", "longitude", "easting", "northing")
    )
    if searched and form.validate():
        premises_id, flag_id = form.premises.data or "", form.flag.data or ""
        point = None if premises_id or flag_id else _origin_point(form)
        distance = _distance(form.distance.data)
        if distance is None:
            form.distance.errors = ["Choose a distance"]
        elif premises_id and record_id(premises_id) is None:
            form.premises.errors = ["Choose a premises"]
        elif flag_id and record_id(flag_id) is None:
            form.flag.errors = ["Choose an intelligence flag"]
        elif premises_id or flag_id or point is not None:
            # Reading a flag's location is audited, so the search is a use case that commits.
            outcome = run(
                lambda: maps.nearby(
                    db(),
                    current_actor(),
                    utcnow(),
                    radius_m=distance,
                    premises_id=record_id(premises_id) if premises_id else None,
                    flag_id=record_id(flag_id) if flag_id and not premises_id else None,
                    point=point,
                    same_holder_only=bool(premises_id) and bool(form.same_holder.data),
                ),
                form,
            )
            result = outcome.value if isinstance(outcome, Done) else None
    if searched and result is None:
        status = 400
        if not any(field.errors for field in form):
            form.latitude.errors = ["Enter a location, or search from a premises"]
    return render_template(
        "maps/nearby.html",
        form=form,
        result=result,
        points=maps.points_of(result.rows) if result else [],
    ), status


# --- ward profiles and hotspots -----------------------------------------------------------------


def _period(form: PeriodForm) -> ward_profiles.Period:
    default = ward_profiles.Period.last_year(utcnow())
    start: date = form.start.data or default.start
    end: date = form.end.data or default.end
    return ward_profiles.Period(start, end)


@bp.route("/wards")
@require(Permission.PREMISES_VIEW)
def wards() -> str:
    return render_template(
        "maps/wards.html",
        wards=ward_profiles.ward_summaries(db(), current_actor(), utcnow()),
    )


@bp.route("/wards/<code>")
@require(Permission.PREMISES_VIEW)
def ward_profile(code: str) -> tuple[str, int]:
    form = PeriodForm(request.args)
    profile = None
    status = 200
    if form.validate():
        outcome = run(
            lambda: ward_profiles.ward_profile(
                db(), current_actor(), utcnow(), code, _period(form)
            ),
            form,
            aliases={"period": "end"},
        )
        profile = outcome.value if isinstance(outcome, Done) else None
    if profile is None:
        status = 400
    return render_template("maps/ward_profile.html", form=form, profile=profile, code=code), status


def _prepare_hotspots(form: HotspotForm) -> None:
    form.kind.choices = [(k.key, k.label) for k in ward_profiles.hotspot_kinds(current_actor())]
    form.ward.choices = _ward_choices("All wards")
    form.premises_type.choices = [("", "Any type"), *PremisesType.choices()]


def _hotspots(form: HotspotForm) -> ward_profiles.Hotspots:
    return ward_profiles.hotspots(
        db(),
        current_actor(),
        utcnow(),
        form.kind.data or "premises",
        _period(form),
        ward_code=form.ward.data or None,
        premises_type=form.premises_type.data or "",
    )


@bp.route("/hotspots")
@require(Permission.PREMISES_VIEW)
def hotspots() -> tuple[str, int]:
    form = HotspotForm(request.args)
    _prepare_hotspots(form)
    result = None
    if form.validate():
        outcome = run(lambda: _hotspots(form), form, aliases={"period": "end"})
        result = outcome.value if isinstance(outcome, Done) else None
    query = request.query_string.decode()
    return render_template(
        "maps/hotspots.html",
        form=form,
        result=result,
        cells_url=url_for("maps.hotspots_geojson") + (f"?{query}" if query else ""),
    ), 200 if result is not None else 400


@bp.route("/hotspots.geojson")
@require(Permission.PREMISES_VIEW)
def hotspots_geojson() -> Response:
    form = HotspotForm(request.args)
    _prepare_hotspots(form)
    if not form.validate():
        return _geojson(
            {
                "errors": {
                    name: field.errors[0] for name, field in form._fields.items() if field.errors
                }
            },
            400,
        )
    try:
        result = _hotspots(form)
    except ValidationFailed as exc:
        return _geojson({"errors": exc.errors}, 400)
    return _geojson(result.geojson)
