"""What a guest reads about a decision, kept apart from the operator's internal note.

DESIGN invariant 13: an internal note (the audit's reason) never reaches a guest. A decision
page asks for two texts:

- the internal note: kept in the history only;
- the guest text: optional; a ready sentence from READY_SENTENCES (one table per decision
  kind, written in each guest language) or a sentence the operator writes. Without one, the
  guest's message carries no reason at all.

`preview()` renders the guest's message exactly as the outbox will send it (subject and body,
in the guest's language) so the confirm page can show it before anything is sent.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from app.notifications.rendering import Rendered, language_for, message_context, render

#: The operator picks none, a ready sentence, or writes one.
NONE, CUSTOM = "none", "custom"
GUEST_TEXT_MAX_LENGTH = 500

#: Ready sentences per decision kind, written in each guest language.
READY_SENTENCES: dict[str, dict[str, dict[str, str]]] = {
    "refund_refused": {
        "policy": {
            "ko": "예약하실 때 안내해 드린 환불 규정상 이번 요청은 환불 대상이 아닙니다.",
            "ja": "ご予約時にご案内した返金規定により、今回のご依頼は返金の対象外となります。",
            "en": "Under the refund rules shown when you booked, this request is not eligible for a refund.",
        },
        "past_deadline": {
            "ko": "환불 요청 기한이 지난 뒤에 요청이 접수되었습니다.",
            "ja": "返金のご依頼が受付期限を過ぎてから届きました。",
            "en": "The request reached us after the deadline for refunds had passed.",
        },
        "stay_used": {
            "ko": "예약하신 숙박을 이미 이용하신 것으로 확인되었습니다.",
            "ja": "ご予約のご宿泊はすでにご利用済みであることを確認いたしました。",
            "en": "Our records show that the stay was already used.",
        },
        "no_show": {
            "ko": "체크인 날짜에 연락 없이 도착하지 않으신 예약은 환불 규정상 환불이 어렵습니다.",
            "ja": "ご連絡なくチェックイン日にお越しにならなかったご予約は、返金規定により返金いたしかねます。",
            "en": "Under the refund rules, a booking not used on the check-in date without notice cannot be refunded.",
        },
    },
}

#: How each ready sentence is named in the operator's list (the operator's language).
READY_LABELS: dict[str, dict[str, Any]] = {
    "refund_refused": {
        "policy": _l("The refund rules of the booking do not allow it"),
        "past_deadline": _l("The request came after the deadline"),
        "stay_used": _l("The stay was already used"),
        "no_show": _l("The guest did not come without notice"),
    },
}


def choices_for(kind: str) -> list[tuple[str, str]]:
    """The operator's list: no reason, each ready sentence, or their own words."""
    ready = [(key, str(label)) for key, label in READY_LABELS.get(kind, {}).items()]
    return [(NONE, str(_l("Give no reason to the guest"))), *ready,
            (CUSTOM, str(_l("Write the guest's text myself")))]


def guest_text(kind: str, choice: str | None, written: str | None, language: str | None) -> str:
    """The sentence the guest will read, in their language ("" for none)."""
    choice = choice or NONE
    if choice == CUSTOM:
        return (written or "").strip()
    sentences = READY_SENTENCES.get(kind, {}).get(choice)
    if not sentences:
        return ""
    return sentences[language_for(language)]


def preview(event: str, *, reservation, context: dict[str, Any], channel: str = "email") -> Rendered:
    """The message exactly as the outbox will render it (same context, same templates)."""
    message = SimpleNamespace(event=event, language=reservation.language, channel=channel,
                              reservation=reservation, context=dict(context))
    return render(event, language_for(reservation.language), channel, message_context(message))


class GuestTextMixin:
    """Two fields for the guest's side of a decision. Set `guest_kind` on the form class."""

    guest_kind = ""
    guest_choice = SelectField(_l("What the guest reads (in the guest's language)"), choices=[],
                               validate_choice=True, default=NONE)
    guest_written = TextAreaField(_l("If you write it yourself: the guest's text (sent exactly as written)"),
                                  validators=[Length(max=GUEST_TEXT_MAX_LENGTH)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.guest_choice.choices = choices_for(self.guest_kind)

    def validate_guest_written(self, field) -> None:
        from wtforms.validators import ValidationError
        if self.guest_choice.data == CUSTOM and not (field.data or "").strip():
            raise ValidationError(str(_l("Write the text the guest will read, or choose a ready sentence.")))

    def guest_text_for(self, language: str | None) -> str:
        return guest_text(self.guest_kind, self.guest_choice.data, self.guest_written.data, language)
