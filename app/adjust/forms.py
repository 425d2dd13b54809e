"""Forms of the adjustment pages. Each action form has a `confirmed` field: the
first post shows the confirm step, the second (confirmed=yes) acts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.core.forms import ConfirmMixin


def _reason_field(label=_l("Internal note (kept in the history only; never sent to the guest)")):
    return TextAreaField(label, validators=[DataRequired(_l("Write the reason in a sentence.")), Length(max=1000)])


class StatusForm(ConfirmMixin, FlaskForm):
    move = RadioField(_l("What happened"), choices=[], validate_choice=False,
                      validators=[DataRequired(_l("Choose what happened."))])
    reason = _reason_field()


class ChangeForm(ConfirmMixin, FlaskForm):
    check_in = DateField(_l("Check-in"), validators=[InputRequired(_l("Enter a date."))])
    check_out = DateField(_l("Check-out"), validators=[InputRequired(_l("Enter a date."))])
    room_type = SelectField(_l("Room type"), coerce=int, choices=[], validate_choice=False,
                            validators=[InputRequired(_l("Choose a room type."))])
    rooms = IntegerField(_l("Number of rooms"), validators=[
        InputRequired(_l("Enter a whole number from 1 to 9.")),
        NumberRange(min=1, max=9, message=_l("Enter a whole number from 1 to 9."))])
    reason = _reason_field()


class RoomsForm(ConfirmMixin, FlaskForm):
    rooms = SelectMultipleField(_lp("room assignment", "Rooms"), coerce=int, choices=[], validate_choice=False,
                                validators=[DataRequired(_l("Choose the rooms."))])
    # routine assignment needs no reason; moving a guest off a room they have does (policies.assignment_needs_reason)
    reason = TextAreaField(_l("Internal note (only needed when you move the guest from a room they already have; "
                              "never sent to the guest)"), validators=[Length(max=1000)])


class BulkAssignForm(FlaskForm):
    plan = HiddenField(validators=[DataRequired(), Length(max=20000)])
    reason = TextAreaField(_l("Internal note (optional; never sent to the guest)"), validators=[Length(max=1000)])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note (only operators see it)"),
                         validators=[DataRequired(_l("Write the note.")), Length(max=2000)])


def encode_plan(lines) -> str:
    """[(public id, [room ids])] → "rsv_a:3,4;rsv_b:7" (the bulk form's hidden field)."""
    return ";".join(f"{pid}:{','.join(str(i) for i in ids)}" for pid, ids in lines)


def decode_plan(text: str) -> list[tuple[str, list[int]]] | None:
    """The inverse of encode_plan; None when the text is not a plan."""
    lines = []
    try:
        for part in (text or "").split(";"):
            pid, _, ids = part.partition(":")
            room_ids = [int(i) for i in ids.split(",") if i]
            if not pid or not room_ids or len(pid) > 40:
                return None
            lines.append((pid, room_ids))
    except ValueError:
        return None
    return lines or None
