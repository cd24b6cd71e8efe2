"""Premises and licence screens: list, detail, create and edit."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.choices import active_filters, choice_labels
from app.database import db
from app.forms import blank_to_none
from app.location import LocationProblem, read_location
from app.premises.forms import ConditionForm, LicenceForm, ListQueryForm, PremisesForm
from app.usecase import Conflict, form_version, perform, submit
from enforcement import timeline
from enforcement.access import Permission
from enforcement.clock import london_today, utcnow
from enforcement.models import Licence, Premises
from enforcement.numbers import page_number
from enforcement.register import licences, premises
from enforcement.register.wards import any_in_force, ward_names_in_force
from enforcement.registerio import expiry
from enforcement.vocab import LicenceRegime, LicenceStatus, PremisesType

bp = Blueprint("premises", __name__)


def _ward_choices() -> list[tuple[str, str]]:
    return [
        ("", "Any ward"),
        *ward_names_in_force(db(), london_today(utcnow())),
        (premises.WARD_OUTSIDE, "Outside the borough"),
        (premises.WARD_UNLOCATED, "No location recorded"),
    ]


@bp.route("/premises")
@require(Permission.PREMISES_VIEW)
def index() -> tuple[str, int]:
    form = ListQueryForm(request.args)
    form.ward.choices = _ward_choices()
    form.premises_type.choices = [("", "Any type"), *PremisesType.choices()]
    form.regime.choices = [("", "Any licence type"), *LicenceRegime.choices()]
    form.licence_status.choices = [
        ("", "Any status"),
        (premises.STATUS_UNLICENSED, "Trading without a licence it needs"),
        *LicenceStatus.choices(),
    ]
    form.sort.choices = list(premises.SORTS.items())
    status = 200
    page_text = request.args.get("page", "1")
    query = premises.PremisesQuery(
        text=(form.q.data or "").strip(),
        ward=form.ward.data or "",
        premises_type=form.premises_type.data or "",
        regime=form.regime.data or "",
        licence_status=form.licence_status.data or "",
        sort=form.sort.data or "name",
        page=page_number(page_text),
        page_size=current_app.config["SETTINGS"].page_size,
    )
    problems = premises.query_problems(query)
    known_wards = set(choice_labels(form.ward))
    if query.ward not in known_wards:
        problems["ward"] = "Unknown ward"
    if problems:
        for key, message in problems.items():
            field = getattr(form, "q" if key == "text" else key, None)
            if field is not None:
                field.errors = [message]
        result = premises.PremisesPage(rows=[], total=0, page=1, page_size=query.page_size)
        status = 400
    else:
        result = premises.search_premises(db(), current_actor(), query)
    chosen = active_filters(
        form,
        (
            ("ward", query.ward),
            ("premises_type", query.premises_type),
            ("regime", query.regime),
            ("licence_status", query.licence_status),
        ),
    )
    return render_template(
        "premises/index.html",
        form=form,
        result=result,
        query=query,
        active_filters=chosen,
    ), status


def _languages() -> list[tuple[str, str]]:
    return [(lang.code, lang.name) for lang in premises.list_languages(db())]


class _Location:
    """The location typed as degrees or as grid metres; read once the form's fields are valid."""

    def __init__(self, form: PremisesForm) -> None:
        self.form = form
        self.point: tuple[float, float] | None = None

    def read(self) -> bool:
        """Read the point; a problem goes on its field and stops the save."""
        form = self.form
        try:
            self.point = read_location(
                form.latitude.data, form.longitude.data, form.easting.data, form.northing.data
            )
        except LocationProblem as problem:
            form[problem.field].errors = [problem.message]
            return False
        return True


def _saved(p: Premises, message: str) -> Response:
    flash(message, "success")
    if p.has_location and p.ward_id is None:
        flash(
            "The location is outside every ward of the borough. The premises has been saved "
            "and is shown as outside the borough: check the location if that is not right.",
            "warning",
        )
    return redirect(url_for("premises.detail", premises_id=p.id))


def _premises_input(
    form: PremisesForm, point: tuple[float, float] | None = None
) -> premises.PremisesInput:
    return premises.PremisesInput(
        name=form.name.data or "",
        trading_name=blank_to_none(form.trading_name.data),
        address_line1=form.address_line1.data or "",
        address_line2=blank_to_none(form.address_line2.data),
        town=blank_to_none(form.town.data),
        postcode=blank_to_none(form.postcode.data),
        uprn=blank_to_none(form.uprn.data),
        premises_type=form.premises_type.data or "",
        longitude=None if point is None else point[0],
        latitude=None if point is None else point[1],
        language_codes=frozenset(form.language_codes.data or []),
    )


@bp.route("/premises/new", methods=["GET", "POST"])
@require(Permission.PREMISES_EDIT)
def create() -> ResponseReturnValue:
    form = PremisesForm()
    form.language_codes.choices = _languages()
    location = _Location(form)
    return submit(
        form,
        lambda: premises.create_premises(
            db(), current_actor(), utcnow(), _premises_input(form, location.point)
        ),
        ready=location.read,
        done=lambda p: _saved(p, f"{p.name} has been added to the register."),
        page=lambda status: _form_page(form, None, status),
    )


def _form_page(form: PremisesForm, p: Premises | None, status: int) -> tuple[str, int]:
    """The premises form; without wards yet there is no map to click a location on."""
    wards_loaded = any_in_force(db(), london_today(utcnow()))
    return render_template(
        "premises/form.html", form=form, premises=p, wards_loaded=wards_loaded
    ), status


@bp.route("/premises/<id:premises_id>")
@require(Permission.PREMISES_VIEW)
def detail(premises_id: int) -> str:
    actor = current_actor()
    found = premises.get_premises(db(), actor, premises_id)
    items = timeline.premises_timeline(
        db(), actor, premises_id, licence_ids=[lic.id for lic in found.licences]
    )
    return render_template(
        "premises/detail.html",
        d=found,
        p=found.premises,
        timeline=items,
        # Holders' and supervisors' home addresses: the policy the exports follow too.
        addresses=licences.may_read_addresses(actor),
    )


@bp.route("/premises/<id:premises_id>/edit", methods=["GET", "POST"])
@require(Permission.PREMISES_EDIT)
def edit(premises_id: int) -> ResponseReturnValue:
    found = premises.get_premises(db(), current_actor(), premises_id)
    p = found.premises
    if request.method == "GET":
        form = PremisesForm(obj=p)
        form.language_codes.data = [lang.code for lang in found.languages]
        form.version.data = str(p.version)
    else:
        form = PremisesForm()
    form.language_codes.choices = _languages()
    location = _Location(form)
    return submit(
        form,
        lambda: premises.update_premises(
            db(),
            current_actor(),
            utcnow(),
            p.id,
            form_version(form.version.data),
            _premises_input(form, location.point),
        ),
        ready=location.read,
        conflict=Conflict(Premises, premises_id),
        done=lambda saved: _saved(saved, "The premises details have been saved."),
        page=lambda status: _form_page(form, p, status),
    )


def _licence_input(form: LicenceForm) -> licences.LicenceInput:
    return licences.LicenceInput(
        regime=form.regime.data or "",
        reference=form.reference.data or "",
        holder_name=form.holder_name.data or "",
        status=form.status.data or "",
        granted_on=form.granted_on.data,
        starts_on=form.starts_on.data,
        expires_on=form.expires_on.data,
        opening_hours=blank_to_none(form.opening_hours.data),
        notes=blank_to_none(form.notes.data),
        conditions=tuple((form.conditions.data or "").splitlines()) if "conditions" in form else (),
        case_date=form.case_date.data,
        decision_date=form.decision_date.data,
        regulated_entertainment="|".join(form.regulated_entertainment.data or ()) or None,
        alcohol_supply=_yes_no(form.alcohol_supply.data),
        alcohol_on_sales=_yes_no(form.alcohol_on_sales.data),
        alcohol_off_sales=_yes_no(form.alcohol_off_sales.data),
        late_night_refreshment=_yes_no(form.late_night_refreshment.data),
        **{name: blank_to_none(form[name].data) for name in _LICENCE_TEXT},
    )


_LICENCE_TEXT = (
    "service_type",
    "status_label",
    "decided_by",
    "applicant_type",
    "holder_address",
    "holder_postcode",
    "dps_name",
    "dps_licence_no",
    "dps_address",
    "dps_postcode",
    "activity_hours",
    "uprn",
    "licence_url",
    "geo_point_url",
)
_LICENCE_YES_NO = (
    "alcohol_supply",
    "alcohol_on_sales",
    "alcohol_off_sales",
    "late_night_refreshment",
)


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _licence_form(lic: Licence) -> LicenceForm:
    """The licence form filled from a licence: yes/no fields and the entertainment ticks included."""
    form = LicenceForm(obj=lic)
    for name in _LICENCE_YES_NO:
        value = getattr(lic, name)
        form[name].data = "" if value is None else ("yes" if value else "no")
    form.regulated_entertainment.data = (
        (lic.regulated_entertainment or "").split("|") if lic.regulated_entertainment else []
    )
    return form


def _to_licence(lic: Licence, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("premises.detail", premises_id=lic.premises_id) + f"#licence-{lic.id}")


@bp.route("/premises/<id:premises_id>/licences/new", methods=["GET", "POST"])
@require(Permission.LICENCE_EDIT)
def add_licence(premises_id: int) -> ResponseReturnValue:
    found = premises.get_premises(db(), current_actor(), premises_id)
    form = LicenceForm()
    return submit(
        form,
        lambda: expiry.create_licence(
            db(), current_actor(), utcnow(), premises_id, _licence_input(form)
        ),
        done=lambda lic: _to_licence(lic, f"Licence {lic.reference} has been added."),
        page=lambda status: (
            render_template(
                "premises/licence_form.html", form=form, p=found.premises, licence=None
            ),
            status,
        ),
    )


@bp.route("/licences/<id:licence_id>/edit", methods=["GET", "POST"])
@require(Permission.LICENCE_EDIT)
def edit_licence(licence_id: int) -> ResponseReturnValue:
    lic = licences.get_licence(db(), current_actor(), licence_id)
    found = premises.get_premises(db(), current_actor(), lic.premises_id)
    if request.method == "GET":
        form = _licence_form(lic)
        form.version.data = str(lic.version)
    else:
        form = LicenceForm()
    del form.conditions
    return submit(
        form,
        lambda: expiry.update_licence(
            db(),
            current_actor(),
            utcnow(),
            lic.id,
            form_version(form.version.data),
            _licence_input(form),
        ),
        conflict=Conflict(Licence, licence_id),
        done=lambda _: _to_licence(lic, f"Licence {lic.reference} has been saved."),
        page=lambda status: (
            render_template("premises/licence_form.html", form=form, p=found.premises, licence=lic),
            status,
        ),
    )


@bp.route("/licences/<id:licence_id>/conditions", methods=["GET", "POST"])
@require(Permission.LICENCE_EDIT)
def add_condition(licence_id: int) -> ResponseReturnValue:
    lic = licences.get_licence(db(), current_actor(), licence_id)
    found = premises.get_premises(db(), current_actor(), lic.premises_id)
    form = ConditionForm()
    return submit(
        form,
        lambda: licences.add_condition(
            db(), current_actor(), utcnow(), lic.id, form.text.data or ""
        ),
        done=lambda cond: _to_licence(
            lic, f"Condition {cond.number} has been added to licence {lic.reference}."
        ),
        page=lambda status: (
            render_template(
                "premises/condition_form.html", form=form, p=found.premises, licence=lic
            ),
            status,
        ),
    )


@bp.route("/conditions/<id:condition_id>/<any(withdraw, reinstate):action>", methods=["POST"])
@require(Permission.LICENCE_EDIT)
def change_condition(condition_id: int, action: str) -> Response:
    cond = perform(
        lambda: licences.set_condition_active(
            db(), current_actor(), utcnow(), condition_id, action == "reinstate"
        )
    )
    verb = "reinstated" if action == "reinstate" else "withdrawn"
    lic = db().get_one(Licence, cond.licence_id)
    return _to_licence(lic, f"Condition {cond.number} has been {verb}.")
