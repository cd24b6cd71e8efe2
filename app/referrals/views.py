"""Licensing Committee referral screens: drafting, sign-off, the clerk's steps, papers, the lists."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response as BaseResponse

from app import usecase
from app.assets import static_url
from app.auth.current import current_actor, require
from app.cases.forms import london_moment
from app.cases.views import span_text
from app.database import db, writes_on_read
from app.referrals.forms import (
    EVIDENCE_KINDS,
    AppealDecisionForm,
    AppealForm,
    DraftForm,
    HearingForm,
    NoticeForm,
    NotifiedForm,
    OutcomeForm,
    ProcessForm,
    PublicSummaryForm,
    ReferralListForm,
    RepresentationsForm,
    SignOffForm,
    VersionForm,
)
from app.rulebook import clock
from app.wallclock import offer_which, read_london
from enforcement.access import Permission, can
from enforcement.cases.calendar import WorkingCalendar
from enforcement.cases.statutory import RuleBook
from enforcement.cases.vocab import Status, ToolCode
from enforcement.clock import moment_text, to_london, utcnow
from enforcement.errors import ValidationFailed
from enforcement.models import Premises, Referral
from enforcement.numbers import MAX_DB_ID, page_number, record_id, whole_number
from enforcement.referrals import actions as referral_actions
from enforcement.referrals import drafting as referrals
from enforcement.referrals import evidence as referral_evidence
from enforcement.referrals import process as referral_process
from enforcement.referrals import queries as referral_queries
from enforcement.referrals.papers import committee as committee_papers
from enforcement.referrals.vocab import (
    DECISION_LABELS,
    AppealOutcome,
    Disclosure,
    EvidenceKind,
    ListView,
    Party,
    Recommendation,
    ReferralStatus,
    TakenUp,
)
from enforcement.register import premises
from enforcement.register import support as support_directory
from enforcement.vocab import LicenceStatus

bp = Blueprint("referrals", __name__)

STATUS_TAGS = {
    ReferralStatus.DRAFT: "govuk-tag--grey",
    ReferralStatus.SUBMITTED: "govuk-tag--yellow",
    ReferralStatus.RETURNED: "govuk-tag--orange",
    ReferralStatus.SIGNED_OFF: "govuk-tag--blue",
    ReferralStatus.PROCESS_OPEN: "govuk-tag--blue",
    ReferralStatus.HEARING_LISTED: "govuk-tag--purple",
    ReferralStatus.DECIDED: "govuk-tag--pink",
    ReferralStatus.APPEALED: "govuk-tag--red",
    ReferralStatus.CLOSED: "govuk-tag--green",
}
DEADLINE_TAGS = {
    Status.PENDING: "govuk-tag--blue",
    Status.MET: "govuk-tag--green",
    Status.MISSED: "govuk-tag--red",
    Status.LAPSED: "govuk-tag--grey",
    Status.CLOSED: "govuk-tag--grey",
}


def _clock() -> tuple[WorkingCalendar, RuleBook]:
    return clock()


def _helpers() -> dict[str, object]:
    return {
        "due_text": moment_text,
        "span_text": span_text,
        "status_tag": lambda s: STATUS_TAGS.get(ReferralStatus(s), "govuk-tag--grey"),
        "status_label": ReferralStatus.label_of,
        "deadline_tag": lambda s: DEADLINE_TAGS.get(Status(s), "govuk-tag--grey"),
        "deadline_label": Status.label_of,
        "tool_label": ToolCode.label_of,
        "recommendation_label": Recommendation.label_of,
        "decision_label": lambda d: DECISION_LABELS.get(d, d),
        "taken_up_label": TakenUp.label_of,
        "appeal_label": AppealOutcome.label_of,
        "kind_label": EvidenceKind.label_of,
        "party_label": Party.label_of,
        "Disclosure": Disclosure,
    }


def _moment(day: date | None, clock: str | None) -> datetime | None:
    """A London date and time from a form; a time the clocks skipped is a ValidationFailed."""
    try:
        return london_moment(day, clock)
    except ValueError as exc:
        raise ValidationFailed({"time": str(exc)}) from exc


# ---------------------------------------------------------------------------------------------
# The lists


@bp.route("/referrals")
@require(Permission.REFERRAL_VIEW)
def index() -> tuple[str, int]:
    form = ReferralListForm(request.args)
    form.view.choices = list(referral_queries.LIST_VIEWS.items())
    form.sort.choices = [("", "Usual order for the list"), *referral_queries.SORTS.items()]
    page_text = request.args.get("page", "1")
    query = referral_queries.ReferralQuery(
        view=form.view.data or ListView.ALL,
        status=form.status.data or "",
        sort=form.sort.data or "",
        page=page_number(page_text),
        page_size=current_app.config["SETTINGS"].page_size,
    )
    now = utcnow()
    status = 200
    problems = referral_queries.query_problems(query)
    if problems:
        for key, message in problems.items():
            getattr(form, key).errors = [message]
        result = referral_queries.ReferralPage([], 0, 1, query.page_size)
        status = 400
    else:
        result = referral_queries.search_referrals(db(), current_actor(), now, query)
    return render_template(
        "referrals/index.html", form=form, query=query, result=result, now=now, **_helpers()
    ), status


# ---------------------------------------------------------------------------------------------
# Drafting


def _draft_choices(form: DraftForm, premises_id: int) -> dict[str, Any]:
    """Fill the form's choices (licences, conditions, evidence) and return what the page lists."""
    actor = current_actor()
    session = db()
    licences = [
        c
        for c in referral_queries.licence_choices(session, actor, premises_id)
        if c.tool is not None and c.licence.status in referrals.IN_FORCE
    ]
    form.licence_id.choices = [
        (
            str(c.licence.id),
            f"{c.licence.reference}: {c.tool.label.lower() if c.tool else ''}"
            f" ({LicenceStatus.label_of(c.licence.status).lower()})",
        )
        for c in licences
    ]
    conditions = []
    for c in licences:
        for cond in c.licence.conditions:
            found = c.breached.get(cond.id)
            if not found:
                continue
            conditions.append(
                {
                    "value": str(cond.id),
                    "label": f"Licence {c.licence.reference}, condition {cond.number}: {cond.text}",
                    "hint": "Found breached at the inspections on "
                    + ", ".join(referral_evidence.day_text(at) for _, at in found),
                }
            )
    form.condition_ids.choices = [(int(c["value"]), c["label"]) for c in conditions]
    form.support_providers.choices = support_directory.service_choices(
        session, keep=frozenset(form.support_providers.data or [])
    )
    evidence = referral_evidence.choices(session, actor, utcnow(), premises_id)
    groups = {}
    for kind in EvidenceKind:
        items = evidence[kind]
        field = getattr(form, f"evidence_{kind.value}")
        field.choices = [(str(i.source_id), i.label) for i in items]
        groups[kind.value] = [
            {"value": str(i.source_id), "label": i.label, "hint": i.hint} for i in items
        ]
    return {"licences": licences, "conditions": conditions, "evidence": groups}


def _draft_input(form: DraftForm) -> referrals.DraftInput:
    evidence: set[tuple[str, int]] = set()
    for kind in EVIDENCE_KINDS:
        for raw in getattr(form, f"evidence_{kind}").data or []:
            evidence_id = record_id(raw)
            if evidence_id is None:
                raise ValidationFailed({"evidence": "Choose evidence from the lists"})
            evidence.add((kind, evidence_id))
    grounds = set(form.grounds.data or [])
    months = form.suspension_months.data
    licence = form.licence_id.data
    return referrals.DraftInput(
        licence_id=record_id(licence),
        unlicensed_trading="unlicensed_trading" in grounds,
        breach_of_conditions="breach_of_conditions" in grounds,
        condition_ids=frozenset(int(c) for c in form.condition_ids.data or []),
        narrative=form.narrative.data or "",
        public_summary=form.public_summary.data,
        evidence=frozenset(evidence),
        recommendation=form.recommendation.data or None,
        suspension_months=whole_number(months, high=MAX_DB_ID),
        recommended_conditions=form.recommended_conditions.data,
        dps_name=form.dps_name.data,
        support_services=frozenset(form.support_services.data or []),
        support_provider=form.support_provider.data,
        support_taken_up=form.support_taken_up.data or None,
        support_offered_on=form.support_offered_on.data,
        support_note=form.support_note.data,
        support_providers=frozenset(form.support_providers.data or []),
    )


def _fill(form: DraftForm, data: referrals.DraftInput) -> None:
    form.licence_id.data = str(data.licence_id or "")
    form.grounds.data = [
        g
        for g, on in (
            ("unlicensed_trading", data.unlicensed_trading),
            ("breach_of_conditions", data.breach_of_conditions),
        )
        if on
    ]
    form.condition_ids.data = sorted(data.condition_ids)
    form.narrative.data = data.narrative
    form.public_summary.data = data.public_summary
    for kind in EVIDENCE_KINDS:
        getattr(form, f"evidence_{kind}").data = [str(s) for k, s in data.evidence if k == kind]
    form.recommendation.data = data.recommendation or ""
    form.suspension_months.data = str(data.suspension_months or "")
    form.recommended_conditions.data = data.recommended_conditions
    form.dps_name.data = data.dps_name
    form.support_services.data = sorted(data.support_services)
    form.support_provider.data = data.support_provider
    form.support_providers.data = sorted(data.support_providers)
    form.support_taken_up.data = data.support_taken_up or ""
    form.support_offered_on.data = data.support_offered_on
    form.support_note.data = data.support_note


ERROR_ALIASES = {
    "grounds": "grounds",
    "evidence": "evidence_inspection",
    "idempotency_key": usecase.WHOLE_FORM,  # not a field the person can change: said above the form
}


def _save_draft(form: DraftForm, premises_id: int, referral: Referral | None) -> Referral:
    """Save (and maybe submit) a draft, all in the one use case."""
    actor, now = current_actor(), utcnow()
    data = _draft_input(form)
    if referral is None:
        saved = referrals.create_draft(
            db(), actor, now, premises_id, data, idempotency_key=form.idempotency_key.data or None
        )
    else:
        saved = referrals.update_draft(
            db(), actor, now, referral.id, usecase.form_version(form.version.data), data
        )
    if form.submit_for_sign_off.data:
        referrals.submit(db(), actor, now, saved.id, saved.version)
    return saved


def _draft_saved(form: DraftForm, saved: Referral) -> BaseResponse:
    flash(
        f"Referral {saved.reference} has been submitted for sign-off."
        if form.submit_for_sign_off.data
        else f"The draft of referral {saved.reference} has been saved.",
        "success",
    )
    return redirect(url_for("referrals.detail", referral_id=saved.id))


def _draft_page(
    form: DraftForm, p: Premises, referral: Referral | None, status: int
) -> tuple[str, int]:
    # Drawn after any failed save (rolled back), so listing the evidence is audited once it shows.
    lists = usecase.perform(lambda: _draft_choices(form, p.id))
    if referral is None and status == usecase.SHOWN and len(lists["licences"]) == 1:
        form.licence_id.data = str(lists["licences"][0].licence.id)
    return render_template(
        "referrals/form.html", form=form, p=p, referral=referral, **lists
    ), status


@bp.route("/premises/<id:premises_id>/referrals/new", methods=["GET", "POST"])
@require(Permission.REFERRAL_DRAFT)
@writes_on_read
def new(premises_id: int) -> ResponseReturnValue:
    found = premises.get_premises(db(), current_actor(), premises_id)
    form = DraftForm()
    if request.method == "GET":
        form.idempotency_key.data = uuid.uuid4().hex
    return usecase.submit(
        form,
        lambda: _save_draft(form, premises_id, None),
        aliases=ERROR_ALIASES,
        done=lambda saved: _draft_saved(form, saved),
        page=lambda status: _draft_page(form, found.premises, None, status),
    )


@bp.route("/referrals/<id:referral_id>/edit", methods=["GET", "POST"])
@require(Permission.REFERRAL_DRAFT)
@writes_on_read
def edit(referral_id: int) -> ResponseReturnValue:
    actor = current_actor()
    detail = referral_queries.get_referral(db(), actor, utcnow(), referral_id, _clock()[1])
    if not detail.may_edit:
        abort(403)
    referral = detail.referral
    if request.method == "GET":
        form = DraftForm(formdata=None)
        form.version.data = str(referral.version)
        _fill(form, referral_queries.draft_values(db(), referral))
    else:
        form = DraftForm()
    return usecase.submit(
        form,
        lambda: _save_draft(form, referral.premises_id, referral),
        aliases=ERROR_ALIASES,
        conflict=usecase.Conflict(Referral, referral.id),
        done=lambda saved: _draft_saved(form, saved),
        page=lambda status: _draft_page(form, detail.premises, referral, status),
    )


# ---------------------------------------------------------------------------------------------
# The referral's page


FORMS: dict[str, type[FlaskForm]] = {
    "process": ProcessForm,
    "hearing": HearingForm,
    "notice": NoticeForm,
    "representations": RepresentationsForm,
    "outcome": OutcomeForm,
    "notified": NotifiedForm,
    "appeal": AppealForm,
    "appeal_decision": AppealDecisionForm,
    "sign_off": SignOffForm,
    "submit": VersionForm,
    "public_summary": PublicSummaryForm,
}


_A = referral_actions.Action

#: The form each step of a referral's page is taken with, and what the page calls the step.
STEP_FORMS: dict[referral_actions.Action, str] = {
    _A.EDIT_DRAFT: "submit",
    _A.SIGN_OFF: "sign_off",
    _A.OPEN_PROCESS: "process",
    _A.LIST_HEARING: "hearing",
    _A.MOVE_HEARING: "hearing",
    _A.RECORD_NOTICE: "notice",
    _A.RECORD_REPRESENTATIONS: "representations",
    _A.RECORD_DECISION: "outcome",
    _A.RECORD_NOTIFICATION: "notified",
    _A.RECORD_APPEAL: "appeal",
    _A.RECORD_APPEAL_DECISION: "appeal_decision",
}
STEP_LABELS: dict[referral_actions.Action, str] = {
    _A.EDIT_DRAFT: "Change or submit the draft",
    _A.SIGN_OFF: "Sign off or return",
    _A.OPEN_PROCESS: "Open the statutory process",
    _A.LIST_HEARING: "List the hearing",
    _A.MOVE_HEARING: "Move the hearing",
    _A.RECORD_NOTICE: "Record notice of the hearing",
    _A.RECORD_REPRESENTATIONS: "Record representations received",
    _A.RECORD_DECISION: "Record the hearing and the decision",
    _A.RECORD_NOTIFICATION: "Record when the decision was notified",
    _A.RECORD_APPEAL: "Record an appeal",
    _A.RECORD_APPEAL_DECISION: "Record how the appeal ended",
}


def _shown_step(
    actions: referral_actions.OpenActions, failed: tuple[str, FlaskForm] | None
) -> referral_actions.Action | None:
    """The one step the page shows: the failed form's, the one asked for (?step=), or the next."""
    if failed is not None:
        return next((s for s in actions.steps if STEP_FORMS[s] == failed[0]), actions.current)
    return actions.choose(request.args.get("step"))


def _render_detail(
    referral_id: int, *, failed: tuple[str, FlaskForm] | None = None, status: int = 200
) -> tuple[str, int]:
    actor, now = current_actor(), utcnow()
    session = db()
    # If the scheduler applied them at the same moment, this rolls back and reads what it did.
    with contextlib.suppress(StaleDataError):
        usecase.perform(
            lambda: referral_process.apply_due_effects(session, now, referral_ids=[referral_id])
        )
    _calendar, rulebook = _clock()
    # Showing restricted evidence is audited.
    detail = usecase.perform(
        lambda: referral_queries.get_referral(session, actor, now, referral_id, rulebook)
    )
    r = detail.referral
    forms: dict[str, FlaskForm] = {}
    for name, cls in FORMS.items():
        form = failed[1] if failed and failed[0] == name else cls(formdata=None)
        if failed is None or failed[0] != name or status == 409:
            form.version.data = str(r.version)  # type: ignore[attr-defined]
        forms[name] = form
    process = forms["process"]
    assert isinstance(process, ProcessForm)
    process.case_id.choices = [
        ("", "Open a new case"),
        *((str(cid), ref) for cid, ref in referral_queries.open_cases_to_link(session, r)),
    ]
    outcome = forms["outcome"]
    assert isinstance(outcome, OutcomeForm)
    outcome.decision.choices = [(d.value, d.label) for d in referrals.decisions_for(r.tool)]
    outcome.withdrawn_condition_ids.choices = [
        (c.id, f"{c.number}. {c.text}") for c in detail.conditions if c.is_active
    ]
    hearing = forms["hearing"]
    offer_which(hearing, "hearing_on", "hearing_time", "hearing_which")
    offer_which(hearing, "listed_on", "listed_time", "listed_which")
    if failed is None:
        local = to_london(now)
        for form_name, day_field, time_field in (
            ("hearing", "listed_on", "listed_time"),
            ("process", "received_on", "received_time"),
        ):
            f = forms[form_name]
            getattr(f, day_field).data = local.date()
            getattr(f, time_field).data = local.strftime("%H:%M")
    actions = referral_actions.actions_on(actor, detail, now)
    shown = _shown_step(actions, failed)
    if shown is _A.MOVE_HEARING:
        hearing.submit.label.text = STEP_LABELS[shown]  # type: ignore[attr-defined]
    return render_template(
        "referrals/detail.html",
        d=detail,
        r=r,
        p=detail.premises,
        forms=forms,
        now=now,
        actions=actions,
        shown=shown,
        others=actions.others(shown),
        step_labels=STEP_LABELS,
        Action=referral_actions.Action,
        suspended_by_appeal=r.status == ReferralStatus.APPEALED,
        # A referral signed off before public summaries existed: a supervisor approves one.
        may_approve_summary=r.public_summary_approved_at is None
        and r.signed_off_at is not None
        and can(actor, Permission.REFERRAL_SIGN_OFF)
        and actor.user_id != r.author_id,
        **_helpers(),
    ), status


@bp.route("/referrals/<id:referral_id>")
@require(Permission.REFERRAL_VIEW)
@writes_on_read
def detail(referral_id: int) -> tuple[str, int]:
    return _render_detail(referral_id)


def _act(
    referral_id: int,
    name: str,
    action: Callable[[FlaskForm], str],
    aliases: dict[str, str] | None = None,
) -> ResponseReturnValue:
    """Run one step of a referral from its page's form: commit and go back, or show the errors."""
    form = FORMS[name]()
    if name == "outcome":
        assert isinstance(form, OutcomeForm)
        form.decision.choices = [(d.value, d.label) for d in Recommendation]
    return usecase.submit(
        form,
        lambda: action(form),
        aliases=aliases,
        done=lambda message: _to_referral(referral_id, message),
        page=lambda status: _render_detail(referral_id, failed=(name, form), status=status),
    )


def _to_referral(referral_id: int, message: str) -> BaseResponse:
    flash(message, "success")
    return redirect(url_for("referrals.detail", referral_id=referral_id))


def _v(form: FlaskForm) -> int:
    return usecase.form_version(form.version.data)  # type: ignore[attr-defined]


@bp.route("/referrals/<id:referral_id>/submit", methods=["POST"])
@require(Permission.REFERRAL_DRAFT)
def submit(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        r = referrals.submit(db(), current_actor(), utcnow(), referral_id, _v(form))
        return f"Referral {r.reference} has been submitted for sign-off."

    return _act(referral_id, "submit", run)


@bp.route("/referrals/<id:referral_id>/sign-off", methods=["POST"])
@require(Permission.REFERRAL_SIGN_OFF)
def sign_off(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, SignOffForm)
        if form.send_back.data:
            r = referrals.return_referral(
                db(), current_actor(), utcnow(), referral_id, _v(form), form.comment.data or ""
            )
            return f"Referral {r.reference} has been returned to its officer with your comments."
        # One sanitised summary per handling code C item, named by its evidence id.
        sanitised = {
            number: value[:4_000]
            for key, value in request.form.items()
            if key.startswith("sanitised_")
            and (number := record_id(key.removeprefix("sanitised_"))) is not None
        }
        r = referrals.sign_off(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            form.comment.data,
            sanitised=sanitised,
        )
        return f"Referral {r.reference} has been signed off and sent to the committee clerks."

    return _act(referral_id, "sign_off", run)


@bp.route("/referrals/<id:referral_id>/public-summary", methods=["POST"])
@require(Permission.REFERRAL_SIGN_OFF)
def approve_public_summary(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, PublicSummaryForm)
        r = referrals.approve_public_summary(
            db(), current_actor(), utcnow(), referral_id, _v(form), form.public_summary.data or ""
        )
        return f"The public summary of referral {r.reference} is approved for publication."

    return _act(referral_id, "public_summary", run)


@bp.route("/referrals/<id:referral_id>/process", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def open_process(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, ProcessForm)
        calendar, rulebook = _clock()
        received = _moment(form.received_on.data, form.received_time.data)
        case_id = form.case_id.data
        r = referral_process.open_process(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            received_at=received,
            calendar=calendar,
            rulebook=rulebook,
            existing_case_id=record_id(case_id),
        )
        return (
            f"The statutory process of referral {r.reference} is open: its dates are worked out"
            " below."
        )

    return _act(referral_id, "process", run, {"time": "received_time"})


@bp.route("/referrals/<id:referral_id>/hearing", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def list_hearing(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, HearingForm)
        calendar, rulebook = _clock()
        r = referral_process.list_hearing(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            hearing_at=read_london(form, "hearing_on", "hearing_time", "hearing_which"),
            listed_at=read_london(form, "listed_on", "listed_time", "listed_which"),
            calendar=calendar,
            rulebook=rulebook,
        )
        assert r.hearing_at is not None
        return f"The hearing of referral {r.reference} is listed for {moment_text(r.hearing_at)}."

    return _act(referral_id, "hearing", run, {"time": "hearing_time"})


@bp.route("/referrals/<id:referral_id>/notice", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def notice(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, NoticeForm)
        calendar, rulebook = _clock()
        r = referral_process.record_notice_given(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            given_at=_moment(form.given_on.data, form.given_time.data),
            calendar=calendar,
            rulebook=rulebook,
        )
        return f"Notice of the hearing of referral {r.reference} has been recorded."

    return _act(referral_id, "notice", run, {"time": "given_time"})


@bp.route("/referrals/<id:referral_id>/representations", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def representations(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, RepresentationsForm)
        referral_process.add_representations(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            referral_process.RepresentationInput(
                party=form.party.data or "",
                count=form.count.data,
                summary=form.summary.data or "",
                received_on=form.received_on.data,
            ),
        )
        return "The representations have been recorded."

    return _act(referral_id, "representations", run)


@bp.route("/referrals/<id:referral_id>/outcome", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def outcome(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, OutcomeForm)
        calendar, rulebook = _clock()
        months = form.decision_suspension_months.data
        r = referral_process.record_outcome(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            referral_process.OutcomeInput(
                held_at=_moment(form.held_on.data, form.held_time.data),
                decided_at=_moment(form.decided_on.data, form.decided_time.data),
                decision=form.decision.data or "",
                reasons=form.reasons.data or "",
                notified_at=_moment(form.notified_on.data, form.notified_time.data),
                suspension_months=whole_number(months, high=MAX_DB_ID),
                new_conditions=tuple((form.new_conditions.data or "").splitlines()),
                withdrawn_condition_ids=frozenset(form.withdrawn_condition_ids.data or []),
            ),
            calendar=calendar,
            rulebook=rulebook,
        )
        return (
            f"The decision in referral {r.reference} has been recorded. It takes effect when"
            " the appeal period ends, unless an appeal is lodged."
        )

    return _act(referral_id, "outcome", run, {"time": "held_time"})


@bp.route("/referrals/<id:referral_id>/notified", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def notified(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, NotifiedForm)
        calendar, rulebook = _clock()
        r = referral_process.record_notification(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            notified_at=_moment(form.notified_on.data, form.notified_time.data),
            calendar=calendar,
            rulebook=rulebook,
        )
        return f"The notification of the decision in referral {r.reference} has been recorded."

    return _act(referral_id, "notified", run, {"time": "notified_time"})


@bp.route("/referrals/<id:referral_id>/appeal", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def appeal(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, AppealForm)
        calendar, rulebook = _clock()
        r = referral_process.record_appeal(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            lodged_at=_moment(form.lodged_on.data, form.lodged_time.data),
            calendar=calendar,
            rulebook=rulebook,
        )
        return f"The appeal in referral {r.reference} has been recorded: the decision is suspended."

    return _act(referral_id, "appeal", run, {"time": "lodged_time"})


@bp.route("/referrals/<id:referral_id>/appeal-decision", methods=["POST"])
@require(Permission.REFERRAL_CLERK)
def appeal_decision(referral_id: int) -> ResponseReturnValue:
    def run(form: FlaskForm) -> str:
        assert isinstance(form, AppealDecisionForm)
        calendar, rulebook = _clock()
        r = referral_process.record_appeal_decision(
            db(),
            current_actor(),
            utcnow(),
            referral_id,
            _v(form),
            decided_at=_moment(form.appeal_decided_on.data, form.appeal_decided_time.data),
            outcome=form.appeal_outcome.data or "",
            calendar=calendar,
            rulebook=rulebook,
        )
        return f"The outcome of the appeal in referral {r.reference} has been recorded."

    return _act(referral_id, "appeal_decision", run, {"time": "appeal_decided_time"})


# ---------------------------------------------------------------------------------------------
# Papers


@bp.route("/referrals/<id:referral_id>/papers/<version>.<fmt>")
@require(Permission.REFERRAL_PAPERS)
@writes_on_read
def paper(referral_id: int, version: str, fmt: str) -> BaseResponse:
    try:
        # The download is audited.
        made = usecase.perform(
            lambda: committee_papers.produce(
                db(),
                current_actor(),
                utcnow(),
                referral_id,
                version,
                fmt,
                _clock()[1],
                stylesheet=static_url("paper.css"),
                back_link=url_for("referrals.detail", referral_id=referral_id),
            )
        )
    except ValidationFailed as exc:
        if "paper" in exc.errors and version in {"public", "exempt"} and fmt in {"docx", "html"}:
            flash(exc.errors["paper"], "error")
            return redirect(url_for("referrals.detail", referral_id=referral_id))
        abort(404)
    response = Response(made.content, content_type=made.mimetype)
    if fmt == "docx":
        response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response
