"""A form shown again after a refusal never carries the confirm step's "yes"."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from app.refunds.forms import DecisionForm


def test_a_refused_confirmed_form_asks_for_confirmation_again(app):
    with app.test_request_context("/", method="POST"):
        form = DecisionForm(formdata=MultiDict({"confirmed": "yes", "reason": "x"}), meta={"csrf": False})
        assert form.is_confirmed                       # the answer was confirmed …
        html = str(form.hidden_tag())
        assert 'name="confirmed"' in html and 'value="yes"' not in html   # … but is not written back
