"""Forms of the support pages. Operator forms with an effect have a confirm step (ConfirmMixin)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app.core.forms import ConfirmMixin


def category_choices():
    return [C("booking", _l("Booking (dates, rooms, changes)")), C("billing", _l("Payment or refund")),
            C("incident", _l("Something does not work")), C("howto", _l("How do I…?")),
            C("other", _l("Other"))]


def severity_choices():
    return [C("S1", _l("S1 — service down for many guests")),
            C("S2", _l("S2 — serious (arriving soon, money)")),
            C("S3", _l("S3 — normal")), C("S4", _l("S4 — question"))]


class ContactForm(FlaskForm):
    """The guests' contact form."""
    name = StringField(_l("Your full name"),
                       validators=[DataRequired(_l("Please write your name.")), Length(max=200)])
    email = EmailField(_l("Your email"), validators=[DataRequired(_l("Please write your email.")),
                                                     Email(_l("This email address does not look right.")),
                                                     Length(max=254)])
    code = StringField(_l("Booking code (if you have one)"), validators=[Optional(), Length(max=32)])
    category = SelectField(_l("What is it about?"), choices=category_choices, default="booking")
    message = TextAreaField(_l("Your message"), validators=[DataRequired(_l("Please write your message.")),
                                                            Length(max=5000)])


class PhoneTicketForm(ConfirmMixin, FlaskForm):
    """An operator typing a phone call."""
    code = StringField(_l("Booking (code, phone or email; leave empty if none)"),
                       validators=[Optional(), Length(max=254)])
    reservation = HiddenField()
    name = StringField(_l("Caller's name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Caller's email (for written answers)"),
                       validators=[Optional(), Email(_l("This email address does not look right.")),
                                   Length(max=254)])
    phone = StringField(_l("Caller's phone"), validators=[Optional(), Length(max=30)])
    language = SelectField(_l("Caller's language"),
                           choices=[C("ko", "한국어"), C("ja", "日本語"), C("en", "English")],
                           default="ko")
    category = SelectField(_l("What is it about?"), choices=category_choices, default="booking")
    purpose = StringField(_l("What the guest wants, in one line"),
                          validators=[DataRequired(_l("Write what the guest wants.")), Length(max=300)])
    message = TextAreaField(_l("What the guest said"), validators=[DataRequired(_l("Write what the guest said.")),
                                                                  Length(max=5000)])
    severity = SelectField(_l("Urgency"), choices=lambda: [C("", _l("Suggested from the booking"))] + severity_choices(),
                           default="", validators=[Optional()])


class ReplyForm(ConfirmMixin, FlaskForm):
    macro = SelectField(_l("Ready reply"), validators=[Optional()], choices=[])
    body = TextAreaField(_l("Reply to the guest (they receive exactly this)"),
                         validators=[DataRequired(_l("Write the reply.")), Length(max=10000)])
    then_status = SelectField(_l("Afterwards"), choices=[
        C("open", _l("Keep working on it")),
        C("waiting_on_customer", _l("Wait for the guest's answer (clocks pause)")),
        C("resolved", _l("Solved (the guest gets a one-question survey)"))], default="open")
    version = HiddenField()
    force = HiddenField()


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Internal note (never shown to the guest)"),
                         validators=[DataRequired(_l("Write the note.")), Length(max=5000)])


class SeverityForm(ConfirmMixin, FlaskForm):
    severity = SelectField(_l("Urgency"), choices=severity_choices)
    reason = StringField(_l("Why (kept in the history)"),
                         validators=[DataRequired(_l("Write why the urgency changes.")), Length(max=500)])


class StatusForm(ConfirmMixin, FlaskForm):
    status = SelectField(_l("Status"), choices=[
        C("open", _l("Open (reopen)")), C("waiting_on_customer", _l("Waiting for the guest")),
        C("resolved", _l("Solved")), C("closed", _l("Closed"))])
    reason = StringField(_l("Note (kept in the history, optional)"), validators=[Optional(), Length(max=500)])


class OwnerForm(ConfirmMixin, FlaskForm):
    owner = SelectField(_l("Owner"), coerce=int, choices=[])


class CsatForm(FlaskForm):
    score = RadioField(_l("How satisfied are you?"), coerce=int,
                       choices=[C(str(i), str(i)) for i in range(1, 6)],
                       validators=[DataRequired(_l("Pick a number from 1 to 5.")), NumberRange(1, 5)])
    comment = TextAreaField(_l("Anything to add? (optional)"), validators=[Optional(), Length(max=2000)])


class MonthForm(FlaskForm):
    class Meta:
        csrf = False

    month = StringField(validators=[Optional(), Length(max=7)])


