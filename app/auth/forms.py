"""Sign-in and password forms: shape checks only; the rules live in enforcement.accounts.users."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired

from app.fields_messages import max_length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter your email address"),
            max_length("your email address", 254),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password"), max_length("your password", 200)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired("Enter your current password"),
            max_length("your current password", 200),
        ],
    )
    new_password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words make a strong password.",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter a new password"), max_length("the new password", 200)],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        description=(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        widget=GovTextInput(),
        validators=[InputRequired("Enter the code from your app"), max_length("the code", 40)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class EnrolForm(FlaskForm):
    code = StringField(
        "Code from your app",
        description="After adding the key, enter the 6-digit code your app shows.",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the 6-digit code from your app"),
            max_length("the code", 40),
        ],
    )
    submit = SubmitField("Confirm and continue", widget=GovSubmitInput())
