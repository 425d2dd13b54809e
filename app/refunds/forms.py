"""Forms of the refund and compensation pages. The first post shows the confirm
step; the second (confirmed=yes) acts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import ConfirmMixin
from app.refunds.labels import OPEN_REASONS
from app.remittance.forms import AccountFieldsMixin


class DecisionForm(ConfirmMixin, FlaskForm):
    amount = IntegerField(_l("Amount to refund (won)"), validators=[
        Optional(), NumberRange(min=1, max=10_000_000_000, message=_l("Enter an amount above zero."))])
    reason = TextAreaField(_l("Reason (kept in the history)"), validators=[Length(max=1000)])


class OpenRefundForm(ConfirmMixin, FlaskForm):
    our_fault = SelectField(_l("Why"), choices=[], validate_choice=True)
    note = TextAreaField(_l("What happened (kept in the history)"),
                         validators=[DataRequired(_l("Write what happened in a sentence.")), Length(max=1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.our_fault.choices = [(key, str(label)) for key, label in OPEN_REASONS.items()]


class AccountForm(AccountFieldsMixin, ConfirmMixin, FlaskForm):
    reason = TextAreaField(_l("How the customer gave it (kept in the history)"),
                           validators=[DataRequired(_l("Write how you got the account.")), Length(max=1000)])


class CompensateForm(ConfirmMixin, FlaskForm):
    reason = TextAreaField(_l("Note (kept in the history)"), validators=[Length(max=1000)])


class SendAgainForm(FlaskForm):
    pass
