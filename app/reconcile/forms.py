"""Forms of the reconciliation pages. A decision form carries `confirmed`: the first post shows the
confirm step that restates the effect, the second (confirmed=yes) acts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import ConfirmMixin


class RunForm(FlaskForm):
    day = DateField(_l("Business day"), validators=[DataRequired(_l("Choose a day."))])
    source = HiddenField(validators=[Optional(), Length(max=12)])


class UploadForm(FlaskForm):
    settlement_file = FileField(_l("The gateway's settlement file (CSV)"),
                                validators=[FileRequired(_l("Choose the file you downloaded from the gateway."))])


class ResolveForm(ConfirmMixin, FlaskForm):
    reason = TextAreaField(_l("What you found and why (kept in the history)"),
                           validators=[DataRequired(_l("Write the reason in a sentence.")), Length(max=1000)])


class OwnerForm(FlaskForm):
    owner = SelectField(_l("Who looks after it"), choices=[], validate_choice=True, coerce=str)
