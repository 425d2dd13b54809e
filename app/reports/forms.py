"""Forms of the reports pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.reports.labels import KIND_LABELS
from app.reports.policies import KINDS


def _kinds() -> list[SelectChoice]:
    return [SelectChoice(k, KIND_LABELS[k]) for k in KINDS]


class OpenReportForm(FlaskForm):
    """Which report to open (GET; no state change, so no CSRF token)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Report"), choices=_kinds, validate_choice=True)
    day = DateField(_l("A day in the period"), validators=[DataRequired(_l("Choose a day."))])


class ComputeForm(FlaskForm):
    """A manager computes a report now (figures only: no email goes out from this button)."""

    kind = SelectField(_l("Report"), choices=_kinds, validate_choice=True)
    day = DateField(_l("A day in the period"), validators=[DataRequired(_l("Choose a day."))])
