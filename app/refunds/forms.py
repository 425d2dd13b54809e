"""Forms of the refund and compensation pages. The first post shows the confirm
step; the second (confirmed=yes) acts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import ConfirmMixin
from app.notifications.guest_text import GuestTextMixin
from app.refunds.labels import OPEN_REASONS
from app.remittance.forms import AccountFieldsMixin


INTERNAL_NOTE_LABEL = _l("Internal note (kept in the history only; never sent to the guest)")


class DecisionForm(ConfirmMixin, FlaskForm):
    amount = IntegerField(_l("Amount to refund (won)"), validators=[
        Optional(), NumberRange(min=1, max=10_000_000_000, message=_l("Enter an amount above zero."))])
    reason = TextAreaField(INTERNAL_NOTE_LABEL, validators=[Length(max=1000)])


class RefusalForm(GuestTextMixin, DecisionForm):
    """A refusal: the internal note, and separately what the guest reads (DESIGN invariant 13)."""

    guest_kind = "refund_refused"
    guest_choice = SelectField(_l("What the guest reads (in the guest's language)"), choices=[],
                               validate_choice=True, default="policy")


class OpenRefundForm(ConfirmMixin, FlaskForm):
    our_fault = SelectField(_l("Why"), choices=[], validate_choice=True)
    note = TextAreaField(_l("What happened: internal note (kept in the history only; never sent to the guest)"),
                         validators=[DataRequired(_l("Write what happened in a sentence.")), Length(max=1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.our_fault.choices = [(key, str(label)) for key, label in OPEN_REASONS.items()]


class AccountForm(AccountFieldsMixin, ConfirmMixin, FlaskForm):
    reason = TextAreaField(_l("How the customer gave it: internal note (never sent to the guest)"),
                           validators=[DataRequired(_l("Write how you got the account.")), Length(max=1000)])


class CompensateForm(ConfirmMixin, FlaskForm):
    reason = TextAreaField(INTERNAL_NOTE_LABEL, validators=[Length(max=1000)])


class SendAgainForm(FlaskForm):
    pass


class LodgingCompensationForm(ConfirmMixin, FlaskForm):
    """Compensation for a lodging business: the option (within the tier) and its value."""

    option = SelectField(_l("What to give"), choices=[], validate_choice=True)
    value = IntegerField(_l("How much (percent or won, for a coupon)"), validators=[
        Optional(), NumberRange(min=1, max=10_000_000, message=_l("Enter a number above zero."))])
    note = TextAreaField(INTERNAL_NOTE_LABEL, validators=[Length(max=1000)])
