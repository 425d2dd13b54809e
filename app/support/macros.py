"""Reply macros (seed 002 F, adapted to a hotel): one table, ko/ja/en.

Placeholders: {name} the guest's name, {ticket} the ticket's reference (T-…),
{booking} the booking code or a plain word, {link} a page for the guest, {brand} our name,
{phone} the support phone. `render_macro` fills every placeholder; the operator edits the
result and sees exactly that text before it is sent.
"""
from __future__ import annotations

from typing import Any

#: key → label for operators (ko/en) and the guest-facing text per language.
MACROS: dict[str, dict[str, Any]] = {
    "first_response_s1": {
        "label": {"ko": "긴급 문의 첫 답변", "en": "First response (urgent)"},
        "text": {
            "ko": "{name}님, 안녕하세요. {brand}입니다.\n보내 주신 문의를 확인했고 바로 살펴보고 있습니다. "
                  "30분마다 진행 상황을 알려 드리겠습니다.\n문의 번호: {ticket} / 예약 번호: {booking}\n"
                  "급하시면 {phone} 번호로 전화 주세요.",
            "ja": "{name}様\n{brand}でございます。お問い合わせを確認し、ただちに対応を始めております。"
                  "30分ごとに進捗をお知らせいたします。\nお問い合わせ番号: {ticket} / ご予約番号: {booking}\n"
                  "お急ぎの場合は {phone} までお電話ください。",
            "en": "Dear {name},\nThis is {brand}. We have your message and are working on it now. "
                  "We will update you every 30 minutes.\nReference: {ticket} / Booking: {booking}\n"
                  "If it is urgent, please call {phone}.",
        },
    },
    "received": {
        "label": {"ko": "문의 접수 안내", "en": "Received"},
        "text": {
            "ko": "{name}님, 안녕하세요. {brand}입니다.\n문의를 잘 받았습니다. 확인한 뒤 이 메일로 답변드리겠습니다.\n"
                  "문의 번호: {ticket}",
            "ja": "{name}様\n{brand}でございます。お問い合わせを承りました。確認のうえ、このメールにてご回答いたします。\n"
                  "お問い合わせ番号: {ticket}",
            "en": "Dear {name},\nThis is {brand}. We have received your message and will answer by email "
                  "once we have looked into it.\nReference: {ticket}",
        },
    },
    "howto": {
        "label": {"ko": "이용 방법 안내", "en": "How-to answer"},
        "text": {
            "ko": "{name}님, 안녕하세요. {brand}입니다.\n문의하신 방법은 아래 페이지에서 순서대로 보실 수 있습니다.\n{link}\n"
                  "더 궁금한 점이 있으시면 이 메일에 답장해 주세요.",
            "ja": "{name}様\n{brand}でございます。お問い合わせの方法は、下記のページで順を追ってご覧いただけます。\n{link}\n"
                  "ご不明な点がございましたら、このメールにご返信ください。",
            "en": "Dear {name},\nThis is {brand}. You can find the steps on this page:\n{link}\n"
                  "If anything is unclear, just reply to this email.",
        },
    },
    "waiting_for_answer": {
        "label": {"ko": "고객 답변 요청", "en": "Waiting for your answer"},
        "text": {
            "ko": "{name}님, 안녕하세요. {brand}입니다.\n문의를 처리하려면 몇 가지 확인이 필요합니다. "
                  "이 메일에 답장으로 알려 주시면 바로 이어서 처리하겠습니다.\n문의 번호: {ticket}",
            "ja": "{name}様\n{brand}でございます。対応を進めるため、いくつか確認させていただきたい点がございます。"
                  "このメールにご返信いただければ、すぐに対応を再開いたします。\nお問い合わせ番号: {ticket}",
            "en": "Dear {name},\nThis is {brand}. To go on, we need a few details from you. "
                  "Please reply to this email and we will continue right away.\nReference: {ticket}",
        },
    },
    "update": {
        "label": {"ko": "진행 상황 안내", "en": "Progress update"},
        "text": {
            "ko": "{name}님, 안녕하세요. {brand}입니다.\n문의하신 내용은 지금 처리 중입니다. 조금만 기다려 주세요.\n"
                  "문의 번호: {ticket}",
            "ja": "{name}様\n{brand}でございます。お問い合わせの件は現在対応中です。今しばらくお待ちください。\n"
                  "お問い合わせ番号: {ticket}",
            "en": "Dear {name},\nThis is {brand}. We are still working on your request and will be back to "
                  "you shortly.\nReference: {ticket}",
        },
    },
    "resolved": {
        "label": {"ko": "해결 안내", "en": "Resolved"},
        "text": {
            "ko": "{name}님, 안녕하세요. {brand}입니다.\n문의하신 내용을 처리했습니다. 자세한 내용은 아래에서 보실 수 있습니다.\n"
                  "{link}\n다른 문제가 있으시면 이 메일에 답장해 주세요.\n문의 번호: {ticket}",
            "ja": "{name}様\n{brand}でございます。お問い合わせの件は対応が完了いたしました。詳細は下記でご確認いただけます。\n"
                  "{link}\nほかにお困りのことがございましたら、このメールにご返信ください。\nお問い合わせ番号: {ticket}",
            "en": "Dear {name},\nThis is {brand}. Your request has been taken care of. You can see the details "
                  "here:\n{link}\nIf anything else comes up, just reply to this email.\nReference: {ticket}",
        },
    },
}

#: Subject of every reply email, per language.
REPLY_SUBJECT = {
    "ko": "[{brand}] 문의 답변 ({ticket})",
    "ja": "[{brand}] お問い合わせへのご回答 ({ticket})",
    "en": "[{brand}] Reply to your message ({ticket})",
}

#: The one-question satisfaction email after resolution.
CSAT_SUBJECT = {
    "ko": "[{brand}] 상담은 만족스러우셨나요? ({ticket})",
    "ja": "[{brand}] 対応はいかがでしたか？ ({ticket})",
    "en": "[{brand}] How did we do? ({ticket})",
}
CSAT_TEXT = {
    "ko": "{name}님, {brand}입니다.\n이번 문의 처리에 얼마나 만족하셨는지 1~5점으로 알려 주세요 (한 번만 답하실 수 있습니다).\n{link}",
    "ja": "{name}様\n{brand}でございます。今回の対応について、1〜5の5段階でご評価ください（ご回答は一度のみです）。\n{link}",
    "en": "Dear {name},\nThis is {brand}. How satisfied were you with our help? Please rate it from 1 to 5 "
          "(you can answer once).\n{link}",
}

#: What a missing value reads as in the guest's language.
NO_BOOKING = {"ko": "없음", "ja": "なし", "en": "none"}
GUEST_FALLBACK = {"ko": "고객", "ja": "お客", "en": "Guest"}


def language_of(value: str | None) -> str:
    return value if value in ("ko", "ja", "en") else "en"


def render_text(template: str, values: dict[str, str]) -> str:
    """Fill the placeholders; every placeholder of our tables is known, so none is left."""
    return template.format(**values)


def render_macro(key: str, language: str, values: dict[str, str]) -> str:
    return render_text(MACROS[key]["text"][language_of(language)], values)
