"""Forms of the back office's own pages: dismissing a conflict, the handover note, the
conflict patterns' date range."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.forms import ConfirmMixin
from app.ops import policies

#: Dates outside this range are refused as typing mistakes (and keep SQL dates in range).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class DismissConflictForm(ConfirmMixin, FlaskForm):
    reason = TextAreaField(
        _l("Why no contact is needed (internal: the guest never sees it)"),
        description=_l("For example: the guest booked other dates right away, or it was a test booking."),
        validators=[DataRequired(_l("Write why this conflict needs no contact.")),
                    Length(min=policies.DISMISS_REASON_MIN_LENGTH, max=policies.DISMISS_REASON_MAX_LENGTH,
                           message=_l("Write a reason of %(min)s to %(max)s characters.",
                                      min=policies.DISMISS_REASON_MIN_LENGTH,
                                      max=policies.DISMISS_REASON_MAX_LENGTH))])


class HandoverNoteForm(ConfirmMixin, FlaskForm):
    note = TextAreaField(
        _l("Note to the next shift"),
        description=_l("What is still open, what you promised a guest, what to watch. The open items of Today "
                       "are counted and saved with the note."),
        validators=[DataRequired(_l("Write the note.")), Length(max=policies.HANDOVER_NOTE_MAX_LENGTH)])


class AcknowledgeNoteForm(FlaskForm):
    pass


class PatternRangeForm(FlaskForm):
    """GET form (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (included)"), validators=[Optional()])

    def validate_start(self, field):
        if field.data and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Choose a date between 2000 and 2100."))

    def validate_end(self, field):
        if field.data and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Choose a date between 2000 and 2100."))
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end comes before the start."))
        if field.data and self.start.data and (field.data - self.start.data).days + 1 > policies.PATTERN_RANGE_MAX_DAYS:
            raise ValidationError(_l("Choose at most %(n)s days.", n=policies.PATTERN_RANGE_MAX_DAYS))
