"""The public register's search, read from the query string (GET: no CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional


class PublicSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search by premises name, address or postcode", validators=[Optional()])
    ward = SelectField("Ward", choices=[], validate_choice=False)
    regime = SelectField("Type of licence", choices=[], validate_choice=False)
    sort = SelectField("Sort by", choices=[], validate_choice=False)
