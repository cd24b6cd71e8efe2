"""The public register's search, read from the query string (GET: no CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Optional

from app.fields_messages import SelectField


class PublicSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search by premises name, address or postcode", validators=[Optional()])
    ward = SelectField("Ward", noun="a ward", choices=[], validate_choice=False)
    regime = SelectField(
        "Type of licence", noun="a type of licence", choices=[], validate_choice=False
    )
    sort = SelectField("Sort by", noun="a sort order", choices=[], validate_choice=False)
