"""The admin's acknowledgement of a break in the audit log's chain."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class AcknowledgeBreakForm(FlaskForm):
    reason = TextAreaField(_l("What happened and what was done (kept in the audit log)"),
                           validators=[DataRequired(_l("Write what happened in a sentence or two.")),
                                       Length(min=10, max=2000, message=_l("Write between 10 and 2,000 characters."))])
