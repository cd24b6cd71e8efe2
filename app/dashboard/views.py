"""The action plan dashboard and its print view; the quarterly data share; partners' submissions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app.auth.current import current_actor, require
from app.dashboard.charts import bar_chart, headline, percent, target_status, value_text
from app.dashboard.forms import DashboardForm, ImportForm, ProduceShareForm, SignOffForm
from app.database import db, writes_on_read
from app.usecase import Done, perform, run, submit
from enforcement.access import Permission, can
from enforcement.clock import utcnow
from enforcement.errors import ValidationFailed
from enforcement.measures import RecordLink, anonymise, data_share
from enforcement.measures import dashboard as boards
from enforcement.measures.quarters import Quarter, choices
from enforcement.models import DataShare
from enforcement.numbers import MAX_DB_ID, record_id, whole_number

bp = Blueprint("dashboard", __name__)

LIVE, PREVIEW, SHARED = "", "partners", "shared"
VIEW_LABELS = {
    LIVE: "Live figures",
    PREVIEW: "Preview: as partners would see them",
    SHARED: "As signed off for partners",
}
# The list pages a figure's records open on (enforcement.measures.RecordLink.page).
PAGES = {
    "premises": "premises.index",
    "cases": "cases.index",
    "flags": "flags.index",
    "welfare_visits": "welfare.index",
    "adherence": "welfare.adherence",
    "training": "welfare.training_coverage",
    "compliance": "inspections.compliance",
    "partner_submissions": "dashboard.submissions",
    "referrals": "referrals.index",
}


def link_href(link: RecordLink) -> str:
    base = url_for(PAGES[link.page])
    return base + ("?" + urlencode(link.params) if link.params else "")


def _helpers() -> dict[str, Any]:
    return {
        "link_href": link_href,
        "value_text": value_text,
        "percent": percent,
        "bar_chart": bar_chart,
        "headline": headline,
        "target_status": target_status,
    }


# ---------------------------------------------------------------------------------------------
# The dashboard


def _selection() -> tuple[DashboardForm, Quarter, str | None, str, dict[str, str]]:
    """Read the quarter, ward and form of figures asked for; return them and any problems."""
    actor = current_actor()
    now = utcnow()
    form = DashboardForm(request.args)
    live = can(actor, Permission.DASHBOARD_VIEW)
    views = [LIVE, PREVIEW, SHARED] if live else [SHARED]
    form.view.choices = [(v, VIEW_LABELS[v]) for v in views]
    view = form.view.data if form.view.data in views else views[0]
    problems: dict[str, str] = {}
    if form.view.data and form.view.data not in views:
        problems["view"] = "Choose which figures to show from the list"
    offered = choices(now)
    form.quarter.choices = [(q.code, q.short_label) for q in offered]
    # Live figures open on the quarter so far; shared ones on the last quarter that ended.
    quarter = offered[0] if view == LIVE or len(offered) == 1 else offered[1]
    if form.quarter.data:
        try:
            asked = Quarter.parse(form.quarter.data)
        except ValueError:
            asked = None
        if asked is None or asked not in offered:
            problems["quarter"] = "Choose a quarter from the list"
        else:
            quarter = asked
    form.quarter.data = quarter.code
    form.view.data = view
    wards = boards.ward_choices(db(), now, quarter)
    form.ward.choices = [("", "All wards"), *wards]
    ward = form.ward.data or None
    if ward is not None and ward not in {code for code, _ in wards}:
        problems["ward"] = "Choose a ward from the list"
        ward = None
    return form, quarter, ward, view, problems


def _dashboard(template: str) -> tuple[str, int]:
    actor = current_actor()
    now = utcnow()
    form, quarter, ward, view, problems = _selection()
    for key, message in problems.items():
        form[key].errors = [message]
    if view == LIVE:
        board = boards.live_dashboard(db(), actor, now, quarter, ward)
    elif view == PREVIEW:
        board = boards.anonymised_preview(db(), actor, now, quarter, ward)
    else:
        board = boards.signed_off_dashboard(db(), actor, now, quarter, ward)
    # Only the page saying a quarter is not shared yet lists those that are.
    shared_quarters = (
        [
            s.quarter
            for s in data_share.list_shares(db(), actor)
            if s.status == data_share.SIGNED_OFF
        ]
        if view == SHARED and board.share is None
        else []
    )
    return render_template(
        template,
        form=form,
        board=board,
        view=view,
        view_label=VIEW_LABELS[view],
        shared_quarters=shared_quarters,
        may_produce=can(actor, Permission.DATA_SHARE_PRODUCE),
        may_import=can(actor, Permission.PARTNER_SUBMISSION_IMPORT),
        args={k: v for k, v in (("quarter", quarter.code), ("ward", ward), ("view", view)) if v},
        now=now,
        **_helpers(),
    ), (400 if problems else 200)


@bp.route("/dashboard")
@require(Permission.DASHBOARD_SHARED)
def index() -> tuple[str, int]:
    return _dashboard("dashboard/index.html")


@bp.route("/dashboard/print")
@require(Permission.DASHBOARD_SHARED)
def print_view() -> tuple[str, int]:
    return _dashboard("dashboard/print.html")


# ---------------------------------------------------------------------------------------------
# The quarterly data share


def _ended_quarters() -> list[Quarter]:
    now = utcnow()
    return [q for q in choices(now) if q.has_ended(now)]


@bp.route("/data-shares", methods=["GET", "POST"])
@require(Permission.DASHBOARD_SHARED)
def shares() -> ResponseReturnValue:
    actor = current_actor()
    may_produce = can(actor, Permission.DATA_SHARE_PRODUCE)
    form = ProduceShareForm()
    form.quarter.choices = [("", "Select a quarter")] + [
        (q.code, q.short_label) for q in _ended_quarters()
    ]
    if request.method == "POST" and not may_produce:
        abort(403)
    if request.method == "GET" and request.args.get("quarter"):
        form.quarter.data = request.args["quarter"]
    return submit(
        form,
        lambda: data_share.produce_share(
            db(), actor, utcnow(), _quarter(form.quarter.data, "Select the quarter to share")
        ),
        done=_produced,
        page=lambda status: (
            render_template(
                "dashboard/shares.html",
                form=form,
                shares=data_share.list_shares(db(), actor),
                may_produce=may_produce,
            ),
            status,
        ),
    )


def _quarter(code: str | None, problem: str) -> Quarter:
    try:
        return Quarter.parse(code or "")
    except ValueError:
        raise ValidationFailed({"quarter": problem}) from None


def _produced(share: DataShare) -> Response:
    flash(
        f"The data share for {Quarter.parse(share.quarter).label} is ready. Check the preview: a "
        "supervisor must sign it off before anyone can download it.",
        "success",
    )
    return redirect(url_for("dashboard.share", share_id=share.id))


def _share_page(share_id: int, form: SignOffForm | None = None) -> str:
    actor = current_actor()
    detail = data_share.get_share(db(), actor, share_id)
    summary = detail.summary
    may_sign = (
        can(actor, Permission.DATA_SHARE_SIGN_OFF)
        and summary.status == data_share.AWAITING
        and summary.produced_by_id != actor.user_id
    )
    if form is None:
        form = SignOffForm()
        form.version.data = str(detail.version)
    return render_template(
        "dashboard/share.html",
        detail=detail,
        summary=summary,
        form=form,
        may_sign=may_sign,
        own_share=summary.produced_by_id == actor.user_id,
        fields=anonymise.SCHEMA,
        value_text=value_text,
    )


@bp.route("/data-shares/<id:share_id>")
@require(Permission.DASHBOARD_SHARED)
def share(share_id: int) -> str:
    return _share_page(share_id)


@bp.route("/data-shares/<id:share_id>/sign-off", methods=["POST"])
@require(Permission.DATA_SHARE_SIGN_OFF)
def sign_off(share_id: int) -> ResponseReturnValue:
    form = SignOffForm()
    raw = form.version.data or ""
    version = whole_number(raw, high=MAX_DB_ID)
    version = -1 if version is None else version
    return submit(
        form,
        lambda: data_share.sign_off_share(db(), current_actor(), utcnow(), share_id, version),
        aliases={"share": "checked"},
        done=_signed_off,
        page=lambda status: (_share_page(share_id, form), status),
    )


def _signed_off(signed: DataShare) -> Response:
    flash(
        f"Signed off. Partners can now see and download the figures for "
        f"{Quarter.parse(signed.quarter).label}.",
        "success",
    )
    return redirect(url_for("dashboard.share", share_id=signed.id))


@bp.route("/data-shares/<id:share_id>.csv", defaults={"fmt": "csv"})
@bp.route("/data-shares/<id:share_id>.json", defaults={"fmt": "json"})
@writes_on_read
@require(Permission.DASHBOARD_SHARED)
def download(share_id: int, fmt: str) -> Response:
    found = perform(
        lambda: data_share.download_share(db(), current_actor(), utcnow(), share_id, fmt)
    )
    return Response(
        found.content,
        mimetype=found.mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# ---------------------------------------------------------------------------------------------
# Partners' submissions


@bp.route("/partner-submissions")
@require(Permission.DASHBOARD_SHARED)
def submissions() -> tuple[str, int]:
    quarter: Quarter | None = None
    status = 200
    raw = request.args.get("quarter", "")
    if raw:
        try:
            quarter = Quarter.parse(raw)
        except ValueError:
            status = 400
    return render_template(
        "dashboard/submissions.html",
        quarter=quarter,
        bad_quarter=status == 400,
        submissions=data_share.list_submissions(db(), current_actor(), quarter),
        may_import=can(current_actor(), Permission.PARTNER_SUBMISSION_IMPORT),
    ), status


@bp.route("/partner-submissions/new", methods=["GET", "POST"])
@require(Permission.PARTNER_SUBMISSION_IMPORT)
def import_submission() -> ResponseReturnValue:
    actor = current_actor()
    form = ImportForm()
    organisations = data_share.organisation_choices(db(), actor)
    form.organisation_id.choices = (
        [("", "Select an organisation")] if len(organisations) != 1 else []
    ) + [(str(oid), name) for oid, name in organisations]
    offered = choices(utcnow())
    form.quarter.choices = [("", "Select a quarter")] + [(q.code, q.short_label) for q in offered]
    if request.method == "GET":
        form.quarter.data = request.args.get("quarter") or (
            offered[1].code if len(offered) > 1 else offered[0].code
        )

    def page(status: int, problems: list[data_share.LineProblem] | None = None) -> tuple[str, int]:
        return render_template(
            "dashboard/import.html",
            form=form,
            problems=problems or [],
            help=data_share.format_help(),
        ), status

    if not form.validate_on_submit():
        return page(400 if form.is_submitted() else 200)
    org = form.organisation_id.data or ""
    outcome = run(
        lambda: data_share.import_submission(db(), actor, utcnow(), record_id(org), *_upload(form)),
        form,
    )
    if isinstance(outcome, Done):
        quarter = Quarter.parse(outcome.value.quarter)
        flash(f"Imported {outcome.value.row_count} figures for {quarter.label}.", "success")
        return redirect(url_for("dashboard.submissions", quarter=quarter.code))
    rejected = outcome.error
    return page(
        400, rejected.problems if isinstance(rejected, data_share.SubmissionRejected) else []
    )


def _upload(form: ImportForm) -> tuple[Quarter, bytes]:
    """The quarter and the file's bytes; both are checked before either is refused."""
    upload: FileStorage | None = form.file.data
    data = upload.read() if upload is not None and upload.filename else b""
    problems: dict[str, str] = {}
    quarter: Quarter | None = None
    try:
        quarter = _quarter(form.quarter.data, "Select the quarter the figures are for")
    except ValidationFailed as exc:
        problems.update(exc.errors)
    if not data:
        problems["file"] = "Choose the CSV file to import"
    if problems or quarter is None:
        raise ValidationFailed(problems)
    return quarter, data
