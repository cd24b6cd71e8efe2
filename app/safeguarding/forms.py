"""The indicator checklist (for any form) and the anonymous referral record's forms: shape only."""

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
)
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import InputRequired, Optional

from app.fields_messages import RadioField, SelectField, SelectMultipleField
from app.forms import GovDateField
from enforcement.safeguarding.vocab import (
    INDICATOR_GROUPS,
    AgeGroup,
    Decision,
    ExploitationPlace,
    ExploitationType,
    FirstResponderType,
    Gender,
    ReferralRoute,
    groups_for,
)

YES_NO = [("yes", "Yes"), ("no", "No")]


# --- The indicator checklist ---------------------------------------------------------------------


def indicator_field_name(group_code: str) -> str:
    return f"indicators_{group_code}"


def add_indicator_fields(form_class: type[FlaskForm]) -> None:
    """Give a form class one group of indicator checkboxes per group of the reference list."""
    for group in INDICATOR_GROUPS:
        setattr(
            form_class,
            indicator_field_name(group.code),
            SelectMultipleField(
                group.label,
                noun="indicators",
                widget=GovCheckboxesInput(),
                choices=[(i.code, i.label) for i in group.indicators],
            ),
        )


def indicator_fields(
    form: FlaskForm, premises_type: str | None
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Each group's field, those that fit the premises first, with how each comes to light."""
    return [
        (
            form[indicator_field_name(group.code)],
            [{"hint": {"text": i.observed.label}} for i in group.indicators],
        )
        for group in groups_for(premises_type)
    ]


def indicators_ticked(form: FlaskForm) -> frozenset[str]:
    return frozenset(
        code
        for group in INDICATOR_GROUPS
        for code in (form[indicator_field_name(group.code)].data or [])
    )


def tick_indicators(form: FlaskForm, codes: set[str]) -> None:
    """Put recorded indicators back into their groups' fields (to correct a record)."""
    for group in INDICATOR_GROUPS:
        form[indicator_field_name(group.code)].data = [
            i.code for i in group.indicators if i.code in codes
        ]


# --- Anonymous referral records ------------------------------------------------------------------


class ReferralForm(FlaskForm):
    """One referral, without any name: how it was made and who the person is only in outline."""

    route = RadioField(
        "How was the person referred?",
        noun="how the person was referred",
        widget=GovRadioInput(),
        choices=ReferralRoute.choices(),
        validators=[InputRequired("Select how the person was referred")],
    )
    age_group = RadioField(
        "Age group",
        noun="the person's age group",
        description="Anyone who may be under 18 is treated as a child until their age is known.",
        widget=GovRadioInput(),
        choices=AgeGroup.choices(),
        validators=[InputRequired("Select the person's age group")],
    )
    age_disputed = BooleanField("The person's age is disputed", widget=GovCheckboxInput())
    consent_given = RadioField(
        "Adults only: did the person give informed consent to enter the NRM?",
        noun="whether the person gave consent",
        description="Children are always referred, without consent being asked. An adult who "
        "does not consent is reported anonymously through Duty to Notify. Not asked when the "
        "referral is to a specialist charity or to social services.",
        widget=GovRadioInput(),
        choices=YES_NO,
        validate_choice=False,
        validators=[Optional()],
    )
    gender = RadioField(
        "Gender, as recorded on the referral",
        noun="the gender as recorded",
        widget=GovRadioInput(),
        choices=Gender.choices(),
        validators=[InputRequired("Select the gender as recorded")],
    )
    exploitation_types = SelectMultipleField(
        "Forms of exploitation",
        noun="forms of exploitation",
        description="Select all that apply",
        widget=GovCheckboxesInput(),
        choices=ExploitationType.choices(),
        validate_choice=False,
    )
    exploitation_place = RadioField(
        "Where did the exploitation happen?",
        noun="where the exploitation happened",
        widget=GovRadioInput(),
        choices=ExploitationPlace.choices(),
        validators=[InputRequired("Select where the exploitation happened")],
    )
    first_responder_org_id = SelectField(
        "First responder organisation",
        noun="an organisation",
        description="The organisation that made the referral",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
    )
    first_responder_type = RadioField(
        "Kind of first responder organisation",
        noun="the kind of first responder organisation",
        widget=GovRadioInput(),
        choices=FirstResponderType.choices(),
        validators=[InputRequired("Select the kind of first responder organisation")],
    )
    submitted_on = GovDateField(
        "Date the referral was made",
        description="For example, 27 3 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[InputRequired("Enter the date the referral was made")],
    )
    submit = SubmitField("Save referral record", widget=GovSubmitInput())


_DECISIONS = [("", "No decision yet"), *Decision.choices()]


class OutcomesForm(FlaskForm):
    """The NRM's later decisions on a referral."""

    version = HiddenField()
    rg_outcome = RadioField(
        "Reasonable grounds decision",
        noun="the reasonable grounds decision",
        widget=GovRadioInput(),
        choices=_DECISIONS,
        validate_choice=False,
        validators=[Optional()],
    )
    rg_decided_on = GovDateField(
        "Date of the reasonable grounds decision (if made)",
        description="For example, 27 3 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    cg_outcome = RadioField(
        "Conclusive grounds decision",
        noun="the conclusive grounds decision",
        widget=GovRadioInput(),
        choices=_DECISIONS,
        validate_choice=False,
        validators=[Optional()],
    )
    cg_decided_on = GovDateField(
        "Date of the conclusive grounds decision (if made)",
        description="For example, 27 3 2026",
        widget=GovDateInput(),
        format="%d %m %Y",
        validators=[Optional()],
    )
    submit = SubmitField("Save the decisions", widget=GovSubmitInput())
