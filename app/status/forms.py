"""Forms of the status pages: the editor (three languages side by side), publish, update, RCA, subscribe."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from app.core.forms import ConfirmMixin
from app.status import policies, states

KST = ZoneInfo("Asia/Seoul")


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


NEXT_UPDATE_CHOICES = choices([("30", _l("in 30 minutes")), ("60", _l("in 1 hour")), ("120", _l("in 2 hours")),
                               ("1440", _l("in 1 day")), ("", _l("no next update"))])


def level_choices(kind: str):
    labels = {states.DEGRADED: _l("Slower than usual"), states.PARTIAL_OUTAGE: _l("Partly not working"),
              states.MAJOR_OUTAGE: _l("Not working"), states.MAINTENANCE: _l("Maintenance")}
    return choices([("", _l("Not affected"))] + [(lv, labels[lv]) for lv in states.COMPONENT_LEVELS
                                                  if lv in labels])


def parse_local(value: str | None) -> datetime | None:
    """'2026-12-10T02:00' typed in Korean time → aware UTC; None when blank; ValueError when bad."""
    value = (value or "").strip()
    if not value:
        return None
    parsed = datetime.strptime(value[:16], "%Y-%m-%dT%H:%M")
    if not 2000 <= parsed.year <= 2100:
        raise ValueError("year")
    return parsed.replace(tzinfo=KST).astimezone(ZoneInfo("UTC"))


def _local_time(form, field):
    try:
        parse_local(field.data)
    except ValueError as exc:
        raise ValidationError(_l("Write a date and time such as 2026-12-10 02:00.")) from exc


class TextsMixin:
    """title_ko, body_ko, impact_ko, … for the three languages (added below)."""

    def texts(self) -> dict:
        return {lang: {f: (getattr(self, f"{f}_{lang}").data or "").strip() for f in policies.UPDATE_FIELDS}
                for lang in policies.LANGUAGES}


for _lang in policies.LANGUAGES:
    setattr(TextsMixin, f"title_{_lang}", StringField(_l("Title"), validators=[Length(max=200)]))
    setattr(TextsMixin, f"body_{_lang}", TextAreaField(_l("What is happening"), validators=[Length(max=5000)]))
    setattr(TextsMixin, f"impact_{_lang}", StringField(_l("Impact on guests"), validators=[Length(max=1000)]))


class NoticeForm(TextsMixin, FlaskForm):
    kind = SelectField(_l("Kind"), choices=choices([(states.INCIDENT, _l("Incident")),
                                                           (states.PLANNED, _l("Planned maintenance"))]))
    severity = SelectField(_l("Severity"), choices=choices((s, s) for s in policies.SEVERITIES))
    started_at = StringField(_l("Started at (Korean time; empty: now)"), validators=[Optional(), _local_time])
    scheduled_start = StringField(_l("Maintenance starts (Korean time)"), validators=[Optional(), _local_time])
    scheduled_end = StringField(_l("Maintenance ends (Korean time)"), validators=[Optional(), _local_time])
    next_update = SelectField(_l("Next update"), choices=NEXT_UPDATE_CHOICES, default="30")


for _component in states.COMPONENTS:
    setattr(NoticeForm, f"component_{_component}",
            SelectField(_component, choices=level_choices(states.INCIDENT), default=""))


class PublishForm(ConfirmMixin, FlaskForm):
    override_reason = TextAreaField(_l("Why it must be published now (managers only; kept in the history)"),
                                    validators=[Length(max=1000)])


class UpdateForm(ConfirmMixin, TextsMixin, FlaskForm):
    status = SelectField(_l("Status now"), choices=[])
    next_update = SelectField(_l("Next update"), choices=NEXT_UPDATE_CHOICES, default="30")


class RcaForm(FlaskForm):
    pass


for _lang in policies.LANGUAGES:
    for _field in policies.RCA_FIELDS:
        setattr(RcaForm, f"{_field}_{_lang}", TextAreaField(_field, validators=[Length(max=5000)]))


def rca_texts(form) -> dict:
    return {lang: {f: (getattr(form, f"{f}_{lang}").data or "").strip() for f in policies.RCA_FIELDS}
            for lang in policies.LANGUAGES}


class SubscribeForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(_l("Write your email address.")),
                                                 Email(_l("This is not an email address.")), Length(max=254)])
    language = SelectField(_l("Language of the mail"), choices=choices([("ko", "한국어"), ("ja", "日本語"),
                                                                         ("en", "English")]))


class UnsubscribeForm(FlaskForm):
    pass
