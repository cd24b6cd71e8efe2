"""Licensing Committee referral forms: shape checks only; the rules live in enforcement.referrals.drafting."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from app.fields_messages import RadioField, SelectField, SelectMultipleField, max_length
from app.forms import GovDateField, db_id
from app.wallclock import TIME_PATTERN, which_field
from enforcement.referrals.vocab import (
    AppealOutcome,
    Party,
    Recommendation,
    ReferralStatus,
    SupportService,
    TakenUp,
)

NO_NAMES = "Do not write the names or other identifying details of potential victims and survivors."
EXEMPT_TEXT = (
    "For the sub-committee's members only: the narrative goes in the exempt paper, never in the"
    " public one. Do not include intelligence or anything from a welfare visit: choose those as"
    " evidence instead. " + NO_NAMES
)
PUBLIC_SUMMARY_TEXT = (
    "The only account of the referral the public committee paper prints, word for word. Say"
    " who people are by their role (the licence holder, a member of staff), never by name: a"
    " summary naming anyone the referral knows is refused, and nothing else is taken out of it."
    " The supervisor who signs the referral off approves it for publication. Do not include"
    " intelligence or anything from a welfare visit. " + NO_NAMES
)
GROUNDS = [
    ("unlicensed_trading", "Trading without a licence"),
    ("breach_of_conditions", "Breach of conditions of the licence"),
]
#: The evidence fields of the draft form, one per kind, named evidence_<kind>.
EVIDENCE_KINDS = ("inspection", "poster_check", "case", "flag", "welfare_visit")


def _time(label: str, message: str, *, required: bool = True) -> StringField:
    return StringField(
        label,
        description="London time, 24-hour clock, for example 10:00",
        widget=GovTextInput(),
        validators=[
            InputRequired(message) if required else Optional(),
            Regexp(TIME_PATTERN, message="Enter a time like 10:00"),
        ],
    )


def _date(label: str, message: str, *, required: bool = True) -> GovDateField:
    return GovDateField(
        label,
        description="For example, 20 4 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired(message) if required else Optional()],
    )


class DraftForm(FlaskForm):
    version = HiddenField()
    # A new draft's one-off key: the same form sent twice saves one draft.
    idempotency_key = HiddenField()
    licence_id = RadioField(
        "Which licence is referred?",
        noun="the licence",
        choices=[],
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[InputRequired("Select the licence to refer")],
    )
    grounds = SelectMultipleField(
        "Grounds",
        noun="grounds",
        choices=GROUNDS,
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    condition_ids = SelectMultipleField(
        "Conditions breached", noun="conditions", choices=[], coerce=db_id, validate_choice=False
    )
    narrative = TextAreaField(
        "Narrative",
        description="What happened, in date order, and why the licence is referred. " + EXEMPT_TEXT,
        widget=GovTextArea(),
        validators=[
            Optional(),
            max_length("the narrative", 20_000),
        ],
    )
    public_summary = TextAreaField(
        "Public summary",
        description=PUBLIC_SUMMARY_TEXT,
        widget=GovTextArea(),
        validators=[
            Optional(),
            max_length("the public summary", 4_000),
        ],
    )
    evidence_inspection = SelectMultipleField(
        "Inspections", noun="inspections", choices=[], validate_choice=False
    )
    evidence_poster_check = SelectMultipleField(
        "Poster checks", noun="poster checks", choices=[], validate_choice=False
    )
    evidence_case = SelectMultipleField(
        "Enforcement cases", noun="enforcement cases", choices=[], validate_choice=False
    )
    evidence_flag = SelectMultipleField(
        "Intelligence", noun="intelligence", choices=[], validate_choice=False
    )
    evidence_welfare_visit = SelectMultipleField(
        "Welfare visits released for use as evidence",
        noun="welfare visits",
        choices=[],
        validate_choice=False,
    )
    recommendation = RadioField(
        "Recommendation",
        noun="the recommendation",
        choices=Recommendation.choices(),
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[Optional()],
    )
    suspension_months = SelectField(
        "For a suspension, how long?",
        noun="how long the suspension is",
        choices=[("", "Not a suspension"), ("1", "1 month"), ("2", "2 months"), ("3", "3 months")],
        widget=GovSelect(),
        validate_choice=False,
    )
    recommended_conditions = TextAreaField(
        "For modified conditions, the conditions proposed (optional)",
        description="One condition a line.",
        widget=GovTextArea(),
        validators=[Optional(), max_length("the conditions proposed", 4_000)],
    )
    dps_name = StringField(
        "Designated premises supervisor (optional)",
        description="Premises licences only. Withheld from the public paper.",
        widget=GovTextInput(),
        validators=[Optional(), max_length("the designated premises supervisor's name", 200)],
    )
    support_services = SelectMultipleField(
        "Which services were offered?",
        noun="services",
        description="Required before the referral can be submitted.",
        choices=SupportService.choices(),
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    support_providers = SelectMultipleField(
        "Through whom was the support offered?",
        noun="who offered the support",
        description="Services from the support directory. Select all that apply.",
        widget=GovCheckboxesInput(),
        coerce=db_id,
        choices=[],
        validate_choice=False,
    )
    support_provider = StringField(
        "Another provider, or a note on who offered it (optional)",
        description="An organisation or team not in the directory. " + NO_NAMES,
        widget=GovTextInput(),
        validators=[Optional(), max_length("the note on who offered the support", 300)],
    )
    support_taken_up = RadioField(
        "Was the support taken up?",
        noun="whether the support was taken up",
        choices=TakenUp.choices(),
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[Optional()],
    )
    support_offered_on = _date("Date the support was offered", "", required=False)
    support_note = TextAreaField(
        "Note on the support (optional)",
        description="Shown in the exempt paper only. " + NO_NAMES,
        widget=GovTextArea(),
        validators=[Optional(), max_length("the note on the support", 4_000)],
    )
    save = SubmitField("Save draft", widget=GovSubmitInput())
    submit_for_sign_off = SubmitField("Save and submit for sign-off", widget=GovSubmitInput())


class VersionForm(FlaskForm):
    """A button that acts on the referral as it stood when the page was drawn."""

    version = HiddenField()


class SignOffForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField(
        "Comments",
        description="Needed to return the referral; optional when signing it off.",
        widget=GovTextArea(),
        validators=[Optional(), max_length("the comments", 4_000)],
    )
    sign_off = SubmitField("Sign off", widget=GovSubmitInput())
    send_back = SubmitField("Return to the officer", widget=GovSubmitInput())


class PublicSummaryForm(FlaskForm):
    """A supervisor writes and approves the public summary of a referral signed off without one."""

    version = HiddenField()
    public_summary = TextAreaField(
        "Public summary",
        description=PUBLIC_SUMMARY_TEXT,
        widget=GovTextArea(),
        validators=[
            Optional(),
            max_length("the public summary", 4_000),
        ],
    )
    approve = SubmitField("Approve for publication", widget=GovSubmitInput())


class ProcessForm(FlaskForm):
    version = HiddenField()
    received_on = _date("Date the review application was received", "", required=False)
    received_time = _time("Time the review application was received", "", required=False)
    case_id = SelectField(
        "Use an existing case (optional)",
        noun="a case",
        choices=[],
        widget=GovSelect(),
        validate_choice=False,
    )
    submit = SubmitField("Open the statutory process", widget=GovSubmitInput())


class HearingForm(FlaskForm):
    version = HiddenField()
    hearing_on = _date("Date of the hearing", "Enter the date of the hearing")
    hearing_time = _time("Time of the hearing", "Enter the time of the hearing")
    hearing_which = which_field("The clocks go back that night: which time is the hearing?")
    listed_on = _date("Date the hearing was listed", "Enter the date the hearing was listed")
    listed_time = _time("Time the hearing was listed", "Enter the time the hearing was listed")
    listed_which = which_field("The clocks went back that night: which time was it listed?")
    submit = SubmitField("List the hearing", widget=GovSubmitInput())


class NoticeForm(FlaskForm):
    version = HiddenField()
    given_on = _date("Date notice of the hearing was given", "Enter the date notice was given")
    given_time = _time("Time notice was given", "Enter the time notice was given")
    submit = SubmitField("Record notice given", widget=GovSubmitInput())


class RepresentationsForm(FlaskForm):
    version = HiddenField()
    party = SelectField(
        "Who made them",
        noun="who made them",
        choices=[("", "Select who"), *Party.choices()],
        widget=GovSelect(),
        validate_choice=False,
        validators=[InputRequired("Select who made the representations")],
    )
    count = IntegerField(
        "How many",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter how many, as a number"),
            NumberRange(min=1, max=10_000, message="Enter how many, from 1 to 10,000"),
        ],
    )
    summary = TextAreaField(
        "Summary of what they say",
        description="Shown in the exempt paper only; the public paper gives the counts. "
        + NO_NAMES,
        widget=GovTextArea(),
        validators=[
            InputRequired("Summarise what the representations say"),
            max_length("the summary of the representations", 4_000),
        ],
    )
    received_on = _date("Date received", "Enter the date they were received")
    submit = SubmitField("Record representations", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    version = HiddenField()
    held_on = _date("Date the hearing was held", "Enter the date the hearing was held")
    held_time = _time("Time the hearing was held", "Enter the time the hearing was held")
    decision = RadioField(
        "The sub-committee's decision",
        noun="the decision",
        choices=[],
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[InputRequired("Select the decision the sub-committee made")],
    )
    decision_suspension_months = SelectField(
        "For a suspension, how long?",
        noun="how long the suspension is",
        choices=[("", "Not a suspension"), ("1", "1 month"), ("2", "2 months"), ("3", "3 months")],
        widget=GovSelect(),
        validate_choice=False,
    )
    new_conditions = TextAreaField(
        "For modified conditions, the new conditions (optional)",
        description="One condition a line. They are added to the licence when the decision takes effect.",
        widget=GovTextArea(),
        validators=[Optional()],
    )
    withdrawn_condition_ids = SelectMultipleField(
        "For modified conditions, conditions removed (optional)",
        noun="conditions",
        choices=[],
        coerce=db_id,
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    reasons = TextAreaField(
        "The sub-committee's reasons",
        widget=GovTextArea(),
        validators=[InputRequired("Give the sub-committee's reasons")],
    )
    decided_on = _date("Date of the decision", "Enter the date of the decision")
    decided_time = _time("Time of the decision", "Enter the time of the decision")
    notified_on = _date("Date the decision was notified (optional)", "", required=False)
    notified_time = _time("Time the decision was notified (optional)", "", required=False)
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


class NotifiedForm(FlaskForm):
    version = HiddenField()
    notified_on = _date("Date the decision was notified", "Enter the date it was notified")
    notified_time = _time("Time the decision was notified", "Enter the time it was notified")
    submit = SubmitField("Record the notification", widget=GovSubmitInput())


class AppealForm(FlaskForm):
    version = HiddenField()
    lodged_on = _date("Date the appeal was lodged", "Enter the date the appeal was lodged")
    lodged_time = _time("Time the appeal was lodged", "Enter the time the appeal was lodged")
    submit = SubmitField("Record the appeal", widget=GovSubmitInput())


class AppealDecisionForm(FlaskForm):
    version = HiddenField()
    appeal_outcome = RadioField(
        "How did the appeal end?",
        noun="how the appeal ended",
        choices=AppealOutcome.choices(),
        widget=GovRadioInput(),
        validate_choice=False,
        validators=[InputRequired("Select how the appeal ended")],
    )
    appeal_decided_on = _date("Date", "Enter the date the appeal was decided")
    appeal_decided_time = _time("Time", "Enter the time the appeal was decided")
    submit = SubmitField("Record the appeal's outcome", widget=GovSubmitInput())


class ReferralListForm(FlaskForm):
    """The list's view, filter, sort and page, from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    view = SelectField("List", noun="a list", choices=[], validate_choice=False)
    status = SelectField(
        "Status",
        noun="a status",
        choices=[("", "Any status"), *ReferralStatus.choices()],
        validate_choice=False,
    )
    sort = SelectField("Sort by", noun="a sort order", choices=[], validate_choice=False)
