"""Every event renders in Korean, Japanese and English, with nothing undefined."""
from __future__ import annotations

from pathlib import Path

import pytest
from babel.dates import format_date
from jinja2 import UndefinedError

from app.notifications.models import OutboxMessage
from app.notifications.policies import EVENT_CHANNELS, EVENT_CONTEXT, LANGUAGES, SMS
from app.notifications.rendering import DATE_FORMATS, TEMPLATE_ROOT, guest_name, message_context, render
from tests.factories import make_coupon_reservation, make_reservation, make_room_type
from tests.notifications.conftest import SAMPLE_CONTEXT

CASES = [(event, lang, channel) for event, channels in EVENT_CHANNELS.items()
         for lang in LANGUAGES for channel in channels]


def test_sample_context_covers_every_event_and_key():
    assert set(SAMPLE_CONTEXT) == set(EVENT_CHANNELS) == set(EVENT_CONTEXT)
    for event, keys in EVENT_CONTEXT.items():
        assert set(keys) <= set(SAMPLE_CONTEXT[event]), event


STANDALONE = ("booking_conflict_apology", "booking_codes")


def _message(event, lang, channel, reservation):
    standalone = event in STANDALONE
    message = OutboxMessage(event=event, channel=channel, recipient="guest@example.com", language=lang,
                            reservation_id=None if standalone else reservation.id,
                            dedupe_key=f"{event}:{channel}:{lang}", context=SAMPLE_CONTEXT[event],
                            status="pending", attempts=0)
    if not standalone:
        message.reservation = reservation
    return message


@pytest.mark.parametrize("event,lang,channel", CASES)
def test_every_event_renders_in_every_language(event, lang, channel):
    room_type = make_room_type()
    for method in ("card", "bank_transfer"):
        reservation = make_reservation(room_type, method=method, language=lang, first_name="민지", last_name="김")
        _check_rendering(event, lang, channel, reservation)
    # a booking a coupon paid in full (₩0)
    reservation = make_coupon_reservation(room_type, language=lang, first_name="민지", last_name="김")
    _check_rendering(event, lang, channel, reservation)


def _check_rendering(event, lang, channel, reservation):
    rendered = render(event, lang, channel, message_context(_message(event, lang, channel, reservation)))
    text = (rendered.subject or "") + rendered.body
    assert "{{" not in text and "{%" not in text and "None" not in text
    if channel == SMS:
        assert rendered.subject is None and "\n" not in rendered.body and len(rendered.body) < 260
    else:
        assert rendered.subject and "\n" not in rendered.subject
        assert "http://" in rendered.body or "https://" in rendered.body
    if event not in STANDALONE:
        assert f"/find?code={reservation.display_code}" in text
        assert reservation.display_code in text
        assert reservation.hotel.name in text
        assert format_date(reservation.check_in, DATE_FORMATS[lang], locale=lang) in text
    else:
        assert "Hotel Han River" in text and "Seoul Garden Hotel" in text
    if event == "booking_codes":
        assert "FD-7K3M9Q" in text and "FD-4M2Q9X" in text and "/booking/open/abc.def.ghi" in text
        assert "/find?code=" not in text   # no one booking's summary


def test_every_template_file_belongs_to_an_event_channel_and_language():
    expected = set()
    for event, channels in EVENT_CHANNELS.items():
        for lang in LANGUAGES:
            for channel in channels:
                expected |= {f"{event}/{lang}.sms"} if channel == SMS else {f"{event}/{lang}.subject",
                                                                           f"{event}/{lang}.txt"}
    root = Path(TEMPLATE_ROOT) / "notifications"
    found = {str(p.relative_to(root)) for p in root.glob("*/*.*") if not p.parent.name.startswith("_")}
    found = {f for f in found if not f.startswith("ops/")}
    assert found == expected


def test_a_missing_variable_is_an_error_not_a_blank():
    reservation = make_reservation()
    message = _message("refund_refused", "ko", "email", reservation)
    message.context = {}
    with pytest.raises(UndefinedError):
        render("refund_refused", "ko", "email", message_context(message))


def test_korean_message_reads_naturally_with_dates_money_and_names():
    reservation = make_reservation(method="bank_transfer", first_name="민지", last_name="김")
    message = _message("booking_received", "ko", "email", reservation)
    rendered = render("booking_received", "ko", "email", message_context(message))
    assert rendered.body.startswith("김민지 고객님, 안녕하세요.")
    assert "₩" in rendered.body and "년" in rendered.body and "입금" in rendered.body
    assert reservation.code in rendered.body  # the transfer reference


def test_japanese_message_uses_sama_and_japanese_dates():
    reservation = make_reservation(language="ja", first_name="Yui", last_name="Sato")
    rendered = render("payment_confirmed", "ja", "email",
                      message_context(_message("payment_confirmed", "ja", "email", reservation)))
    # A Latin-script name keeps its given name first in every language (app.core.language).
    assert rendered.body.startswith("Yui Sato 様")
    assert "年" in rendered.body and "泊" in rendered.body


@pytest.mark.parametrize("first,last,lang,expected", [
    ("민지", "김", "ko", "김민지"), ("Minji", "Kim", "ko", "Minji Kim"), ("結衣", "佐藤", "ja", "佐藤 結衣"),
    ("Minji", "Kim", "en", "Minji Kim"), ("민지", "김", "en", "민지 김"),
])
def test_guest_name_order_follows_the_language(first, last, lang, expected):
    assert guest_name(first, last, lang) == expected


@pytest.mark.parametrize("lang,line", [
    ("ko", "쿠폰 할인: ₩30,000 (정가 ₩{price})"),
    ("ja", "クーポン割引：₩30,000（通常料金 ₩{price}）"),
    ("en", "Coupon discount: ₩30,000 (list price ₩{price})"),
])
@pytest.mark.parametrize("event", ["booking_received", "payment_confirmed"])
def test_a_coupon_discount_is_stated_beside_the_price_and_only_when_there_is_one(event, lang, line):
    reservation = make_reservation(language=lang)
    before = render(event, lang, "email", message_context(_message(event, lang, "email", reservation))).body
    assert "₩30,000" not in before and line.split(":")[0].split("：")[0] not in before
    price = reservation.total_amount
    reservation.discount_amount, reservation.total_amount = 30000, price - 30000
    body = render(event, lang, "email", message_context(_message(event, lang, "email", reservation))).body
    assert line.format(price=f"{price:,}") in body
    assert f"{price - 30000:,}" in body
