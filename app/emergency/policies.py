"""Pure tables of the emergency package: contact roles, the steps' numbers, the ready sentences."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

#: The rows of seed 004 §3 / seed 001 §10, in the order a person in trouble reads them.
CONTACT_ROLES: dict[str, object] = {
    "lead": _l("Overall lead"),
    "developer": _l("Developer / maintenance"),
    "payments": _l("Payment gateway support"),
    "bank": _l("Bank"),
    "hosting": _l("Hosting"),
    "other": _l("Other"),
}
#: Who step 4 calls when the site is still down after the restart.
CALL_WHEN_STILL_DOWN = ("developer", "lead")

#: Seed 004 §2.3: restart, then wait this long before deciding.
WAIT_MINUTES = 10
RESTART_MINUTES = "5–10"

#: Digits, spaces, + - ( ) only; at least 3 digits (e.g. 112, 1588-0000, +82 10-1234-5678).
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-()]{1,38}$")


def tel_href(phone: str) -> str:
    """'+82 10-1234-5678' → 'tel:+821012345678' (what a phone dials)."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    return f"tel:{digits}"


#: Ready sentences in the three languages guests speak. Shown side by side on the procedure page
#: (whatever the page's language), so an operator can copy them into the SNS / KakaoTalk channel
#: or read them to a caller. {brand}, {phone} and {status_url} are filled from the settings.
NOTICE_SENTENCES: dict[str, str] = {
    "ko": "[{brand}] 현재 예약 사이트에 접속이 되지 않아 긴급 점검 중입니다. 이미 하신 예약과 결제는 그대로 "
          "안전하게 보관되어 있습니다. 복구되는 대로 다시 알려 드리겠습니다. 진행 상황: {status_url}",
    "ja": "【{brand}】現在、予約サイトに接続できないため緊急点検を行っております。すでにいただいたご予約と"
          "お支払いはそのまま安全に保管されています。復旧しましたら改めてお知らせいたします。状況：{status_url}",
    "en": "[{brand}] Our booking site is down and we are working on it now. Bookings and payments you have "
          "already made are safe. We will post again as soon as it is back. Updates: {status_url}",
}
CALLER_SENTENCES: dict[str, list[str]] = {
    "ko": ["지금 예약 사이트에 문제가 있어 복구하고 있습니다. 불편을 드려 죄송합니다.",
           "이미 하신 예약과 결제는 그대로 안전하게 보관되어 있습니다. 다시 예약하실 필요는 없습니다.",
           "성함과 연락처를 알려 주시면, 복구되는 대로 저희가 먼저 연락드리겠습니다.",
           "진행 상황은 상태 페이지에서도 보실 수 있습니다: {status_url}"],
    "ja": ["ただいま予約サイトに不具合が起きており、復旧作業を行っております。ご不便をおかけして申し訳ございません。",
           "すでにいただいたご予約とお支払いはそのまま安全に保管されています。改めてご予約いただく必要はございません。",
           "お名前とご連絡先を教えていただければ、復旧しだいこちらからご連絡いたします。",
           "状況はステータスページでもご確認いただけます：{status_url}"],
    "en": ["Our booking site has a problem right now and we are fixing it. We are sorry for the trouble.",
           "Bookings and payments you have already made are safe; there is no need to book again.",
           "If you give me your name and phone number, we will call you as soon as it is back.",
           "You can follow the progress on our status page: {status_url}"],
}
LANGUAGE_NAMES = {"ko": "한국어", "ja": "日本語", "en": "English"}


def fill(sentence: str, **values: str) -> str:
    return sentence.format(**values)
