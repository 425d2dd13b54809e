"""Forms of the approval pages: the first post shows the confirm step, the second acts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.forms import ConfirmMixin


class ApproveForm(ConfirmMixin, FlaskForm):
    note = TextAreaField(_l("Note (kept in the history, optional)"), validators=[Length(max=1000)])


class RefuseForm(ConfirmMixin, FlaskForm):
    note = TextAreaField(_l("Why it is refused (kept in the history; the person who asked sees it)"),
                         validators=[DataRequired(_l("Write why it is refused.")), Length(max=1000)])


class WithdrawForm(FlaskForm):
    pass
