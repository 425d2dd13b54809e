"""Forms: sign-in, the operator's own account, and the admin's operator changes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.auth.roles import LANGUAGE_LABELS, OPERATOR_LANGUAGES, ROLE_LABELS, Role

REQUIRED = _l("This field is required.")


def role_choices():
    return [(str(role), ROLE_LABELS[role]) for role in Role]


def language_choices():
    return [(code, LANGUAGE_LABELS[code]) for code in OPERATOR_LANGUAGES]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=200)])


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    language = SelectField(_l("Language of the back office"), choices=language_choices)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm_password = PasswordField(_l("New password again"),
                                     validators=[DataRequired(REQUIRED), Length(max=200)])


class NewOperatorForm(FlaskForm):
    """Step 1 of adding an operator (step 2 restates it and asks for a reason)."""

    email = EmailField(_l("Email (they sign in with it)"), validators=[DataRequired(REQUIRED), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=100)])
    role = SelectField(_l("Role"), choices=role_choices, default="staff")
    language = SelectField(_l("Language"), choices=language_choices, default="ko")
    password = PasswordField(_l("First password (at least 10 characters; they should change it)"),
                             validators=[DataRequired(REQUIRED), Length(max=200)])
    step = HiddenField(default="review")
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[Length(max=500)])


class ReasonForm(FlaskForm):
    """The confirm step of an admin change: the written reason."""

    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[DataRequired(REQUIRED), Length(max=500)])
    role = HiddenField()
