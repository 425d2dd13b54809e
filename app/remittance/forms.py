"""Forms of the payout pages. Each decision form has a `confirmed` field: the first
post shows the confirm step, the second (confirmed=yes) acts."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from app.core.forms import ConfirmMixin
from app.remittance.policies import KOREAN_BANKS, BankAccount, parse_account


def bank_choices() -> list[tuple[str, str]]:
    locale = str(get_locale() or "ko")
    return [("", _l("Choose a bank"))] + [(code, ko if locale == "ko" else en) for code, ko, en in KOREAN_BANKS]


class AccountFieldsMixin:
    """Bank, account number, holder; validated by policies.parse_account.
    Put it first among a form's bases: its __init__ and validate wrap the form's."""

    bank_code = SelectField(_l("Bank"), choices=[], validate_choice=False)
    account_number = StringField(_l("Account number"), validators=[Length(max=40)],
                                 description=_l("Digits only or with dashes, as on your bankbook."))
    account_holder = StringField(_l("Account holder"), validators=[Length(max=60)],
                                 description=_l("The name the bank has for this account."))
    account: BankAccount | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_code.choices = bank_choices()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self._validate_account() and ok

    def _validate_account(self) -> bool:
        account, errors = parse_account(self.bank_code.data, self.account_number.data, self.account_holder.data)
        for field, message in errors.items():
            getattr(self, field).errors = [*getattr(self, field).errors, message]
        self.account = account
        return account is not None


class ReasonForm(ConfirmMixin, FlaskForm):
    reason = TextAreaField(_l("Internal note (kept in the history only; never sent to the guest)"),
                           validators=[DataRequired(_l("Write the reason in a sentence.")), Length(max=1000)])


class AccountChangeForm(AccountFieldsMixin, ReasonForm):
    pass


class ReturnForm(ReasonForm):
    reference = StringField(_l("Return reference on the bank statement"),
                            validators=[DataRequired(_l("Copy it from the statement.")), Length(max=100)])


class TopUpForm(ConfirmMixin, FlaskForm):
    amount = IntegerField(_l("Amount added (won)"), validators=[
        DataRequired(_l("Enter the amount in won, digits only.")), NumberRange(min=1, max=10_000_000_000)])
    reason = TextAreaField(_l("Where the money came from"),
                           validators=[DataRequired(_l("Write where the money came from.")), Length(max=1000)])
    key = HiddenField(validators=[DataRequired(), Length(max=64)])


class CustomerAccountForm(AccountFieldsMixin, ConfirmMixin, FlaskForm):
    pass


FORMS = {"retry": ReasonForm, "give_up": ReasonForm, "edit_account": AccountChangeForm, "mark_returned": ReturnForm}
