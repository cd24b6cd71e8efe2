"""Welfare visit, release and training forms: shape checks only; the rules live in enforcement."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Optional, Regexp

from app.fields_messages import (
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    max_length,
    subject,
)
from app.forms import GovDateField, db_id
from app.location import LenientFloatField
from app.safeguarding.forms import add_indicator_fields, indicator_field_name
from app.wallclock import which_field
from enforcement.welfare.vocab import (
    AwayFromManagers,
    ConsentToTalk,
    Dress,
    GuidanceItem,
    PropertyDescribed,
    VisitHandling,
    VisitOutcome,
    VisitTrigger,
)

NO_IDENTIFIERS = (
    "Do not record names, dates of birth, phone numbers, document numbers or anything else "
    "that could identify the people present. Text like that is refused."
)
YES_NO = [("yes", "Yes"), ("no", "No")]
TIME_RE = r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$"


class CountField(IntegerField):
    """A whole number typed in a text box, whose error says what to type; blank is None.

    Its message begins with its label, or with its `noun` when given (for a label that is a
    question: "the number of people present").
    """

    def __init__(self, *args: Any, noun: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.noun = noun

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(f"{subject(self)} must be a whole number, like 2") from None
        else:
            self.data = None


__all__ = ["VisitForm", "indicator_field_name"]


class VisitForm(FlaskForm):
    """The welfare visit, as one long page in sections (officers fill it in on a tablet)."""

    idempotency_key = HiddenField()
    # A new location only (a visit to a premises already in the register does not show these).
    location_name = StringField(
        "Description of the location",
        description="For example, 'Second-floor flat' or 'Room 14'. Do not use anyone's name.",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    address_line1 = StringField(
        "Address line 1",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    postcode = StringField(
        "Postcode (optional)",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    latitude = LenientFloatField(
        "Latitude",
        example="51.4927",
        description="Decimal degrees, like 51.4927. A map app on your device shows it.",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    longitude = LenientFloatField(
        "Longitude",
        example="-0.2246",
        description="Decimal degrees, like -0.2246. The ward is worked out from the location.",
        widget=GovTextInput(),
        validators=[Optional()],
    )

    visited_on = GovDateField(
        "Date of the visit",
        description="For example, 27 3 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date of the visit")],
    )
    visited_time = StringField(
        "Time the visit started",
        description="24-hour clock, for example 14:30",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the time the visit started"),
            Regexp(TIME_RE, message="Enter a time like 14:30"),
        ],
    )
    visited_which = which_field("The clocks went back that night: which time do you mean?")
    trigger = RadioField(
        "Why did the visit take place?",
        noun="the reason for the visit",
        widget=GovRadioInput(),
        choices=VisitTrigger.choices(),
        validators=[InputRequired("Select why the visit took place")],
    )
    officer_ids = SelectMultipleField(
        "Other ward officers present",
        noun="officers",
        description="You are recorded as present.",
        widget=GovCheckboxesInput(),
        coerce=db_id,
        choices=[],
        validate_choice=False,
    )
    other_officers = StringField(
        "Other officers or agencies present (optional)",
        description="For example, shoulder numbers, or a partner charity's outreach worker: "
        "never details of the people you met",
        widget=GovTextInput(),
        validators=[Optional()],
    )

    property_described = RadioField(
        "How is the property described?",
        noun="the description of the property",
        widget=GovRadioInput(),
        choices=PropertyDescribed.choices(),
        validators=[InputRequired("Select how the property is described")],
    )
    property_other = StringField(
        "If 'Other', describe the property (optional)",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    people_present = CountField(
        "How many people were present?",
        noun="the number of people present",
        description="A number only. Do not include the officers.",
        widget=GovTextInput(),
        validators=[InputRequired("Enter how many people were present, as a number")],
    )

    other_indicators = TextAreaField(
        "Other indicators observed (optional)",
        description=NO_IDENTIFIERS,
        widget=GovTextArea(),
        validators=[Optional()],
    )

    interpreter_used = RadioField(
        "Was an interpreter used?",
        noun="whether an interpreter was used",
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[InputRequired("Say whether an interpreter was used")],
    )
    interpreter_language = SelectField(
        "If yes, the language the interpreter spoke",
        noun="a language",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
    )
    support_info_left = RadioField(
        "Was information about support left with the people present?",
        noun="whether support information was left",
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[InputRequired("Say whether support information was left")],
    )
    support_languages = SelectMultipleField(
        "If yes, the languages it was in",
        noun="languages",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
    )

    referrals_made = RadioField(
        "Did the visit lead to any referrals?",
        noun="whether the visit led to any referrals",
        description="To the NRM, through Duty to Notify, to a specialist charity or to social "
        "services. If it did, you record each referral next, as an anonymous record.",
        widget=GovRadioInput(),
        choices=[
            ("yes", "Yes: I will record each referral, without names, after saving"),
            ("no", "No referrals were made"),
        ],
        validators=[InputRequired("Say whether the visit led to any referrals")],
    )

    return_requested = RadioField(
        "Is a return visit needed?",
        noun="whether a return visit is needed",
        description="Because the people visited asked for one, or because you judge one is needed",
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[InputRequired("Say whether a return visit is needed")],
    )
    follow_up_days = CountField(
        "Return within how many days?",
        noun="the number of days to return within",
        description="Used when indicators were observed or a return is needed. Usually 14.",
        widget=GovTextInput(),
        validators=[Optional()],
    )

    feedback = TextAreaField(
        "Feedback from the people visited (optional)",
        description="What they said about the visit or the support offered. " + NO_IDENTIFIERS,
        widget=GovTextArea(),
        validators=[Optional()],
    )
    crime_reference = StringField(
        "Crime or incident reference (optional)",
        description="For example, CAD 1234/02MAR26",
        widget=GovTextInput(),
        validators=[
            Optional(),
            max_length("a reference", 40),
        ],
    )

    guidance = SelectMultipleField(
        "Which parts of the Moontwist guidance did you follow?",
        noun="the parts of the guidance you followed",
        description="Select all that apply",
        widget=GovCheckboxesInput(),
        choices=GuidanceItem.choices(),
    )
    no_identifiers_confirmed = BooleanField(
        "I have not recorded names, dates of birth, photos or other details that could identify "
        "the people present",
        widget=GovCheckboxInput(),
    )
    submit = SubmitField("Save welfare visit", widget=GovSubmitInput())

    # --- The whole visit record (docs/welfare.md): approach, support, outcome, handling ---
    dress = RadioField(
        "Were the officers in uniform or plain clothes?",
        noun="uniform or plain clothes",
        widget=GovRadioInput(),
        choices=Dress.choices(),
        validators=[InputRequired("Select whether the officers were in uniform or plain clothes")],
    )
    partner_agency_present = RadioField(
        "Was a partner agency present?",
        noun="whether a partner agency was present",
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[InputRequired("Say whether a partner agency was present")],
    )
    partner_agency = StringField(
        "If yes, which partner agency",
        description="The organisation, for example a specialist charity. Not anyone's name.",
        widget=GovTextInput(),
        validators=[Optional()],
    )
    consent_to_talk = RadioField(
        "Did the people present agree to talk with you?",
        noun="whether the people present agreed to talk",
        widget=GovRadioInput(),
        choices=ConsentToTalk.choices(),
        validators=[InputRequired("Say whether the people present agreed to talk with you")],
    )
    away_from_managers = RadioField(
        "Were people spoken to away from managers or controllers?",
        noun="whether people were spoken to away from managers or controllers",
        widget=GovRadioInput(),
        choices=AwayFromManagers.choices(),
        validators=[
            InputRequired("Say whether people were spoken to away from managers or controllers")
        ],
    )
    interpreter_professional = RadioField(
        "If an interpreter was used, were they a professional interpreter?",
        noun="whether the interpreter was a professional",
        description="Not a colleague, a manager or someone else present at the premises",
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[Optional()],
    )
    services = SelectMultipleField(
        "Services signposted",
        noun="services",
        description="From the support directory. Select all that the people present were told about.",
        widget=GovCheckboxesInput(),
        coerce=db_id,
        choices=[],
        validate_choice=False,
    )
    follow_up_offered = RadioField(
        "Was further support or a follow-up offered?",
        noun="whether further support or a follow-up was offered",
        widget=GovRadioInput(),
        choices=YES_NO,
        validators=[InputRequired("Say whether further support or a follow-up was offered")],
    )
    outcomes = SelectMultipleField(
        "Outcome of the visit",
        noun="outcomes",
        description="Select all that apply",
        widget=GovCheckboxesInput(),
        choices=VisitOutcome.choices(),
    )
    immigration_justification = TextAreaField(
        "If an immigration referral, why is it justified?",
        noun="the justification for an immigration referral",
        description=(
            "Welfare visits are not enforcement: an immigration referral is made only with a "
            "recorded justification and a supervisor's approval. " + NO_IDENTIFIERS
        ),
        widget=GovTextArea(),
        validators=[Optional()],
    )
    handling_code = RadioField(
        "Handling code of this record",
        noun="the handling code",
        widget=GovRadioInput(),
        choices=VisitHandling.choices(),
        validators=[InputRequired("Select the handling code")],
    )
    handling_conditions = TextAreaField(
        "If C, the conditions for sharing",
        widget=GovTextArea(),
        validators=[Optional()],
    )


class ImmigrationDecisionForm(FlaskForm):
    decision = RadioField(
        "Do you approve the immigration referral?",
        noun="approve or decline",
        widget=GovRadioInput(),
        choices=[("approve", "Approve"), ("decline", "Decline")],
        validators=[
            InputRequired("Select whether you approve or decline the immigration referral")
        ],
    )
    note = TextAreaField(
        "Reason for your decision",
        description="Recorded with the visit; the decision is in the audit log.",
        widget=GovTextArea(),
        validators=[InputRequired("Give the reason for your decision")],
    )
    submit = SubmitField("Record decision", widget=GovSubmitInput())


# One group of indicator checkboxes per group of the shared reference list.
add_indicator_fields(VisitForm)


class VisitListForm(FlaskForm):
    """The list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    ward = SelectField("Ward", noun="a ward", choices=[], validate_choice=False)
    date_from = GovDateField(
        "Visited on or after", widget=GovDateInput(), format="%d %m %Y", validators=[Optional()]
    )
    date_to = GovDateField(
        "Visited on or before", widget=GovDateInput(), format="%d %m %Y", validators=[Optional()]
    )
    indicator = SelectField("Indicators", noun="an indicator", choices=[], validate_choice=False)
    follow_up = SelectField("Follow-up", noun="a follow-up", choices=[], validate_choice=False)


class ReleaseForm(FlaskForm):
    reason = TextAreaField(
        "Why may this visit be used as evidence?",
        noun="the reason this visit may be used as evidence",
        description=(
            "The reason is recorded and audited. Releasing lets the visit be drawn on for a "
            "Licensing Committee paper or an enforcement case."
        ),
        widget=GovTextArea(),
        validators=[InputRequired("Explain why this visit may be used as evidence")],
    )
    submit = SubmitField("Release this visit", widget=GovSubmitInput())


class TrainingForm(FlaskForm):
    user_id = SelectField(
        "Officer",
        noun="an officer",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Select the officer who completed the course")],
    )
    completed_on = GovDateField(
        "Date the course was completed",
        description="For example, 27 3 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date the course was completed")],
    )
    course = StringField(
        "Course",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the name of the course")],
    )
    submit = SubmitField("Record training", widget=GovSubmitInput())
