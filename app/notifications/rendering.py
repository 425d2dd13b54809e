"""Rendering customer messages: one Jinja template per event, language and part.

    templates/notifications/<event>/<lang>.subject   the email's subject (one line)
    templates/notifications/<event>/<lang>.txt       the email's plain-text body
    templates/notifications/<event>/<lang>.sms       the SMS (events with an SMS channel)

Bodies extend `templates/notifications/_layout/<lang>.txt`, which adds the
greeting and the booking summary (code, hotel, dates, link) to every message.
Templates are written directly in each language, not translated word by word.
An undefined variable is an error (StrictUndefined), never a blank.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.core.ids import display_code
from app.core.money import format_money
from app.notifications.policies import FALLBACK_LANGUAGE, LANGUAGES

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent.parent / "templates"

#: How a date reads in each language: 2026년 12월 1일 (화) / 2026年12月1日(火) / Tue, 1 Dec 2026.
DATE_FORMATS = {"ko": "y년 M월 d일 (E)", "ja": "y年M月d日(E)", "en": "EEE, d MMM y"}
DATETIME_FORMATS = {"ko": "y년 M월 d일 (E) HH:mm", "ja": "y年M月d日(E) HH:mm", "en": "EEE, d MMM y, HH:mm"}


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


def language_for(language: str | None) -> str:
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def _as_date(value: Any) -> date | datetime:
    if isinstance(value, (date, datetime)):
        return value
    text = str(value)
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


@lru_cache(maxsize=4)
def _environment(root: str) -> Environment:
    env = Environment(loader=FileSystemLoader(root), undefined=StrictUndefined, autoescape=False,
                      keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)

    def _date(value: Any, lang: str) -> str:
        parsed = _as_date(value)
        if isinstance(parsed, datetime):
            parsed = parsed.date()
        return format_date(parsed, DATE_FORMATS[lang], locale=lang)

    def _datetime(value: Any, lang: str, tz: str = "Asia/Seoul") -> str:
        parsed = _as_date(value)
        if not isinstance(parsed, datetime):
            return _date(parsed, lang)
        return format_datetime(parsed, DATETIME_FORMATS[lang], tzinfo=tz, locale=lang)

    def _money(amount: Any, currency: str, lang: str) -> str:
        if isinstance(amount, dict):
            amount, currency = amount["amount"], amount["currency"]
        return format_money(int(amount), currency, lang)

    env.filters.update(date=_date, datetime=_datetime, money=_money, booking_code=display_code)
    return env


def template_names(event: str, language: str, channel: str) -> tuple[str | None, str]:
    """(subject template or None, body template) for one message."""
    base = f"notifications/{event}/{language}"
    if channel == "sms":
        return None, f"{base}.sms"
    return f"{base}.subject", f"{base}.txt"


def render(event: str, language: str, channel: str, context: dict[str, Any]) -> Rendered:
    """Render one message. Raises jinja2 errors for a missing template or variable."""
    lang = language_for(language)
    env = _environment(str(TEMPLATE_ROOT))
    values = {**context, "lang": lang}
    subject_name, body_name = template_names(event, lang, channel)
    subject = None
    if subject_name is not None:
        subject = " ".join(env.get_template(subject_name).render(values).split())
    body = env.get_template(body_name).render(values).strip() + "\n"
    if channel == "sms":
        body = body.strip()
    return Rendered(subject, body)


def public_link(path: str = "/") -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + path


#: The guest's way into one booking: "find my booking" (code + the email booked with).
#: The code rides along as ?code= so the page can fill it in.
GUEST_LINK_ENDPOINT = "booking.find"


def booking_link(code: str) -> str:
    """A link the guest can open from the message (PUBLIC_BASE_URL + the booking page)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        path = adapter.build(GUEST_LINK_ENDPOINT, {"code": display_code(code)})
    except Exception:  # the page is not there (yet): the home page still helps
        return public_link("/")
    return public_link(path)


def guest_name(first: str, last: str, language: str) -> str:
    """The guest's name in `language`'s order, as the pages write it (app.core.language.display_name)."""
    from app.core.language import display_name

    return display_name(first, last, language, honorific=False)


def reservation_context(reservation, language: str) -> dict[str, Any]:
    """What every message about a booking can say (read at send time)."""
    hotel = reservation.hotel
    ctx: dict[str, Any] = {
        "code": reservation.display_code,
        "guest_name": guest_name(reservation.guest_first_name, reservation.guest_last_name, language),
        "check_in_time": hotel.check_in_time.strftime("%H:%M") if hotel.check_in_time else "15:00",
        "check_out_time": hotel.check_out_time.strftime("%H:%M") if hotel.check_out_time else "11:00",
        "hotel_name": hotel.name,
        "hotel_address": hotel.address or "",
        "hotel_timezone": hotel.timezone,
        "room_type_name": reservation.room_type.name,
        "check_in": reservation.check_in,
        "check_out": reservation.check_out,
        "nights": reservation.nights,
        "rooms": reservation.number_of_rooms,
        "total": {"amount": reservation.total_amount, "currency": reservation.currency},
        # A coupon's discount (0: none) and the list price it was taken off.
        "discount": {"amount": reservation.discount_amount or 0, "currency": reservation.currency},
        "list_price": {"amount": reservation.total_amount + (reservation.discount_amount or 0),
                       "currency": reservation.currency},
        "currency": reservation.currency,
        "payment_method": reservation.payment_method,
        "status": reservation.status,
        "hold_expires_at": reservation.hold_expires_at,
        "cancel_reason": reservation.cancel_reason or "",
        "link": booking_link(reservation.code),
    }
    if reservation.payment_method == "bank_transfer":
        cfg = current_app.config
        ctx["deposit"] = {"bank": cfg["DEPOSIT_BANK_NAME"], "account": cfg["DEPOSIT_ACCOUNT_NUMBER"],
                          "holder": cfg["DEPOSIT_ACCOUNT_HOLDER"], "reference": reservation.code}
    return ctx


def standalone_context(context: dict[str, Any]) -> dict[str, Any]:
    """The summary of a message with no booking (e.g. a booking conflict); a message about several
    bookings (policies.WITHOUT_SUMMARY) has no dates of its own."""
    base = {"code": context.get("code") or "", "hotel_address": "", "hotel_timezone": "Asia/Seoul",
            "link": context.get("link_url") or public_link("/")}
    if "check_in" in context and "check_out" in context:
        base["nights"] = (_as_date(context["check_out"]) - _as_date(context["check_in"])).days
    return base


def message_context(message) -> dict[str, Any]:
    """Everything a template may use: the booking (when there is one), the
    event's own context, and the support line."""
    cfg = current_app.config
    from app.emergency.settings import support_hours

    lang = language_for(message.language)
    base: dict[str, Any] = {"support_phone": cfg.get("SUPPORT_PHONE", ""), "support_email": cfg.get("SUPPORT_EMAIL", ""),
                            "support_hours": support_hours(lang), "brand": cfg.get("BRAND_NAME") or "Frontdesk",
                            "status_url": (cfg.get("STATUS_PAGE_URL") or "").rstrip("/")}
    event_context = dict(message.context or {})
    if message.reservation is not None:
        base.update(reservation_context(message.reservation, language_for(message.language)))
        if "link" in event_context:  # an event's own link (e.g. where to enter a bank account)
            event_context["action_link"] = event_context.pop("link")
    else:
        base.update(standalone_context(event_context))
        if "link" in event_context:
            event_context["action_link"] = event_context.pop("link")
    base.update(event_context)
    return base
