"""Form pieces shared by every back-office domain."""
from __future__ import annotations

from wtforms import HiddenField


class NeverEchoedHiddenField(HiddenField):
    """A hidden field that never writes back the value it received.

    `confirmed=yes` is written only by the confirm step itself (templates/_forms.html). A form shown
    again after a refusal (a wrong account, a decision someone else made) must not carry it, or the
    next answer would skip the confirm step that restates its effect.
    """

    def _value(self) -> str:
        return ""


class ConfirmMixin:
    """Forms with a confirm step: the first submit shows the effect, the second (confirmed) acts."""

    confirmed = NeverEchoedHiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"
