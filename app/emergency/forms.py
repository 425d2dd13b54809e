"""Forms of the emergency pages (CSRF on each; changes have a confirm step)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.core.forms import ConfirmMixin
from app.emergency import policies


class ContactForm(ConfirmMixin, FlaskForm):
    role = SelectField(_lp("contact role", "Role"), choices=[], validators=[DataRequired()])
    name = StringField(_l("Name or company"), validators=[DataRequired(_l("Write a name or a company.")),
                                                         Length(max=200)])
    phone = StringField(_l("Phone"), validators=[
        DataRequired(_l("Write a phone number.")),
        Regexp(policies.PHONE_PATTERN, message=_l("Write a phone number with digits, e.g. 010-1234-5678."))])
    note = TextAreaField(_l("Note (when to call, e.g. “if the site is still down after a restart”)"),
                         validators=[Optional(), Length(max=2000)])
    position = IntegerField(_l("Order in the list (smaller comes first)"), default=100,
                            validators=[Optional(), NumberRange(min=0, max=9999)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(key, str(label)) for key, label in policies.CONTACT_ROLES.items()]

    def values(self) -> dict:
        return {"role": self.role.data, "name": self.name.data, "phone": self.phone.data,
                "note": self.note.data or "", "position": self.position.data if self.position.data is not None
                else 100}


class DeleteContactForm(ConfirmMixin, FlaskForm):
    pass
