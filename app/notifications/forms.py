"""Confirm forms for the back office's message and job actions."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired


class ConfirmForm(FlaskForm):
    """The second step of an action: the page restated its effect; this says "yes, do it"."""

    #: Rendered as value="yes" by the confirm page; a post without it does nothing.
    confirm = HiddenField(validators=[DataRequired(), AnyOf(["yes"])])
