"""Forms of the alert pages (CSRF on each; the confirm step restates the effect)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.core.forms import ConfirmMixin


class AcknowledgeForm(ConfirmMixin, FlaskForm):
    pass


class ResolveForm(ConfirmMixin, FlaskForm):
    note = TextAreaField(_l("What was done (kept in the alert's history)"),
                         validators=[DataRequired(_l("Write a short note of what was done.")),
                                     Length(min=3, max=2000)])


class SilenceForm(ConfirmMixin, FlaskForm):
    rule = SelectField(_l("Alert"), validators=[DataRequired()])
    subject = StringField(_l("Only this subject (optional; empty: every subject of the alert)"),
                          validators=[Optional(), Length(max=200)])
    ends_at = StringField(_l("Until (date and time, e.g. 2026-12-24 18:00)"),
                          validators=[DataRequired(_l("Choose an end time."))])
    reason = TextAreaField(_l("Why (e.g. planned bank maintenance)"),
                           validators=[DataRequired(_l("Write why.")), Length(min=5, max=2000)])


class EndSilenceForm(ConfirmMixin, FlaskForm):
    pass


_PHONE = Regexp(r"^[0-9+\-() ]{6,30}$", message=_l("Write a phone number with digits, e.g. +82 10-1234-5678."))


class OnCallForm(FlaskForm):
    person_1 = SelectField(_l("1st: who is called first"), coerce=int, default=0)
    email_1 = StringField(_l("or an email address"), validators=[Optional(), Email(), Length(max=254)])
    phone_1 = StringField(_l("Phone for text messages (optional)"), validators=[Optional(), _PHONE])
    person_2 = SelectField(_l("2nd: called when the 1st does not answer in time"), coerce=int, default=0)
    email_2 = StringField(_l("or an email address"), validators=[Optional(), Email(), Length(max=254)])
    phone_2 = StringField(_l("Phone for text messages (optional)"), validators=[Optional(), _PHONE])
    person_3 = SelectField(_l("3rd: called last"), coerce=int, default=0)
    email_3 = StringField(_l("or an email address"), validators=[Optional(), Email(), Length(max=254)])
    phone_3 = StringField(_l("Phone for text messages (optional)"), validators=[Optional(), _PHONE])
