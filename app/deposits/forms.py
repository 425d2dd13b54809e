"""Forms of the deposit pages. Decision forms carry `confirmed`: the first post
shows the confirm step, the second (confirmed=yes) acts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import ConfirmMixin
from app.deposits.parsers import CSV_ROLES


class UploadForm(FlaskForm):
    statement = FileField(_l("Statement file (CSV, Excel, MT940 or CAMT.053)"),
                          validators=[FileRequired(_l("Choose the file you downloaded from the bank."))])
    bank = StringField(_l("Bank"), validators=[Optional(), Length(max=60)],
                       description=_l("For CSV and Excel files: the bank's name, so its columns are remembered next time."))
    account = StringField(_l("Our account number"), validators=[Optional(), Length(max=60)])


class ImportForm(ConfirmMixin, FlaskForm):
    content = HiddenField(validators=[DataRequired()])
    file_name = HiddenField(validators=[Length(max=200)])
    source_format = HiddenField(validators=[DataRequired()])
    bank = HiddenField(validators=[Length(max=60)])
    account = HiddenField(validators=[Length(max=60)])
    override_reason = TextAreaField(_l("Why import it anyway (kept in the history)"),
                                    validators=[Optional(), Length(max=1000)])


for _role in CSV_ROLES:
    setattr(ImportForm, f"map_{_role}", SelectField(_role, choices=[], validate_choice=False))


class DecisionForm(ConfirmMixin, FlaskForm):
    code = StringField(_l("Booking code"), validators=[Optional(), Length(max=40)])
    reason = TextAreaField(_l("Internal note (kept in the history only; never sent to the guest)"), validators=[Optional(), Length(max=1000)])


class MarkPaidForm(ConfirmMixin, FlaskForm):
    reason = TextAreaField(_l("Internal note: where you saw the money (kept in the history only; never sent to the guest)"),
                           validators=[DataRequired(_l("Write the reason in a sentence.")), Length(max=1000)])
