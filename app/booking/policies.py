"""Pure booking rules: request parsing and validation, hold durations.

Errors name the API's fields (`checkInDate`, `guestInfo.email`, …); the
booking form maps them onto its own fields.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

from flask_babel import lazy_gettext as _l

from app.core.errors import ValidationFailed

LANGUAGES = ("ko", "ja", "en")
PAYMENT_METHODS = ("card", "bank_transfer")
#: A booking whose coupon covers the whole price: nothing to pay, confirmed at once.
PAID_BY_COUPON = "coupon"
PAID_BY_COUPON_REASON = "Paid in full by coupon"
MAX_ROOMS = 9
MAX_NAME = 100
MAX_TEXT = 2000
_PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{5,28}$")


# --- what a guest types to find their booking (forgiving, but exact) -------------------------------

#: Dash-like characters IMEs and phones produce, besides "-" itself: hyphen, non-breaking hyphen,
#: figure dash, en and em dash, horizontal bar, minus sign, small/full-width hyphen-minus, and the
#: katakana prolonged sound mark a Japanese IME types for "-" (NFKC turns the half-width one into it).
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d\u30fc"
_CODE_JUNK = re.compile("[\\s" + re.escape(_DASHES) + "]+")
#: Crockford's base32 reads O as 0 and I or L as 1: codes never contain O, I or L.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_PREFIX = "FD"
CODE_LENGTH = 8


def nfkc(value: Any) -> str:
    """Full-width letters, digits and signs from Japanese and Korean IMEs as plain ones ("ＦＤ－７" → "FD-7")."""
    return unicodedata.normalize("NFKC", value if isinstance(value, str) else "")


def normalize_booking_code(value: Any) -> str:
    """The booking code as stored ("FD7K3M9Q") from what a guest typed: full-width or not, any case,
    with spaces and dashes anywhere, O for 0 and I or L for 1, with or without "FD". Only ever the
    whole code: what is not a code's length comes back as typed (cleaned), and matches nothing."""
    text = _CODE_JUNK.sub("", nfkc(value)).upper()
    if len(text) == CODE_LENGTH - len(CODE_PREFIX) and not text.startswith(CODE_PREFIX):
        text = CODE_PREFIX + text
    if len(text) == CODE_LENGTH and text.startswith(CODE_PREFIX):
        text = CODE_PREFIX + text[len(CODE_PREFIX):].translate(_CONFUSABLE)
    return text


def normalize_guest_email(value: Any) -> str:
    """An email as bookings store it: full-width characters made plain, surrounding spaces gone, lower
    case; "" when it is not an email address."""
    text = nfkc(value).strip()
    if "@" not in text or len(text) > 254:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return text.lower() if text.count("@") == 1 and " " not in text else ""


#: Country codes written as the leading 0 of a national number (Korea +82, Japan +81).
TRUNK_ZERO_COUNTRIES = ("82", "81")
MIN_PHONE_DIGITS = 8


def normalize_phone(value: Any) -> str:
    """A phone number in one form: digits only, with Korea's +82 and Japan's +81 written as the
    leading 0 ("+82 10-1234-5678", "010 1234 5678" and "８２１０１２３４５６７８" are all
    "01012345678"); other countries keep "+" and their code. "" when too short to be a number."""
    text = nfkc(value).strip()
    international = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if not international and digits.startswith("00"):   # 00 is the international prefix in most places
        international, digits = True, digits[2:]
    if not digits.startswith("0"):
        for country in TRUNK_ZERO_COUNTRIES:
            if digits.startswith(country) and (international or len(digits) >= 11):
                rest = digits[len(country):]
                digits, international = (rest if rest.startswith("0") else "0" + rest), False
                break
    if len(digits) < MIN_PHONE_DIGITS:
        return ""
    return ("+" + digits) if international else digits


def same_phone(typed: Any, booked: Any) -> bool:
    """Whether the number a guest typed is the one they booked with (any format, see normalize_phone)."""
    a, b = normalize_phone(typed), normalize_phone(booked)
    return bool(a) and a == b


def hold_duration(method: str, config: dict) -> timedelta:
    """15 minutes for a card, 24 hours for a bank transfer (settings)."""
    if method == "bank_transfer":
        return timedelta(hours=config["HOLD_HOURS_BANK_TRANSFER"])
    return timedelta(minutes=config["HOLD_MINUTES_CARD"])


@dataclass(frozen=True)
class GuestInfo:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    language: str = "ko"


@dataclass(frozen=True)
class BookingRequest:
    hotel_id: int
    room_type_id: int
    check_in: date
    check_out: date
    rooms: int
    guests: int
    guest: GuestInfo
    special_requests: str = ""
    payment_method: str = "card"
    coupon_code: str = ""      # optional: a coupon taken off the price (app.refunds.coupons)

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def fingerprint_payload(self) -> dict[str, Any]:
        """What makes two requests "the same" for idempotency."""
        return {
            "hotelID": self.hotel_id, "roomTypeID": self.room_type_id,
            "checkInDate": self.check_in.isoformat(), "checkOutDate": self.check_out.isoformat(),
            "numberOfRooms": self.rooms, "numberOfGuests": self.guests,
            "guestInfo": {"firstName": self.guest.first_name, "lastName": self.guest.last_name,
                          "email": self.guest.email, "phone": self.guest.phone,
                          "language": self.guest.language},
            "specialRequests": self.special_requests, "paymentMethod": self.payment_method,
            # Only when given, so requests without a coupon keep their fingerprint.
            **({"couponCode": self.coupon_code} if self.coupon_code else {}),
        }


def parse_id(value: Any, field: str, errors: dict[str, str]) -> int | None:
    """Ids travel as strings ("12") or integers; anything else is an error."""
    if isinstance(value, bool):
        errors[field] = _l("Must be an id.")
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 12 and int(value) > 0:
        return int(value)
    errors[field] = _l("Required: an existing id.") if value in (None, "") else _l("Not a valid id.")
    return None


def parse_date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        errors[field] = _l("Required, as YYYY-MM-DD.") if value in (None, "") else _l("Use the form YYYY-MM-DD.")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _l("Not a real date.")
        return None


def parse_int(value: Any, field: str, errors: dict[str, str], *, default: int | None = None,
              low: int, high: int) -> int | None:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            errors[field] = _l("A whole number from %(low)s to %(high)s.", low=low, high=high)
            return None
    if not low <= value <= high:
        errors[field] = _l("A whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return value


def parse_text(value: Any, field: str, errors: dict[str, str], *, required: bool, limit: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _l("Must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _l("Required.")
    elif len(value) > limit:
        errors[field] = _l("At most %(n)s characters.", n=limit)
    return value


def parse_email(value: Any, field: str, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors[field] = _l("Required.")
        return ""
    if len(value) > 254:
        errors[field] = _l("At most 254 characters.")
        return ""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors[field] = _l("Not a valid email address.")
        return ""


def parse_booking_request(data: Any) -> BookingRequest:
    """Check types and formats of a reservation body (API.md); raise ValidationFailed."""
    if not isinstance(data, dict):
        raise ValidationFailed(_l("The body must be a JSON object."))
    errors: dict[str, str] = {}
    hotel_id = parse_id(data.get("hotelID"), "hotelID", errors)
    room_type_id = parse_id(data.get("roomTypeID"), "roomTypeID", errors)
    check_in = parse_date(data.get("checkInDate"), "checkInDate", errors)
    check_out = parse_date(data.get("checkOutDate"), "checkOutDate", errors)
    rooms = parse_int(data.get("numberOfRooms"), "numberOfRooms", errors, default=1, low=1, high=MAX_ROOMS)
    guests = parse_int(data.get("numberOfGuests"), "numberOfGuests", errors, default=1, low=1, high=MAX_ROOMS * 20)
    info = data.get("guestInfo")
    if not isinstance(info, dict):
        errors["guestInfo"] = _l("Required: an object with firstName, lastName and email.")
        info = {}
    first = parse_text(info.get("firstName"), "guestInfo.firstName", errors, required=True, limit=MAX_NAME)
    last = parse_text(info.get("lastName"), "guestInfo.lastName", errors, required=True, limit=MAX_NAME)
    email = parse_email(info.get("email"), "guestInfo.email", errors)
    phone = parse_text(info.get("phone"), "guestInfo.phone", errors, required=False, limit=30)
    if phone and not _PHONE.match(phone):
        errors["guestInfo.phone"] = _l("Digits, spaces, dashes and an optional leading +.")
    language = info.get("language") or "ko"
    if language not in LANGUAGES:
        errors["guestInfo.language"] = _l("One of ko, ja, en.")
    special = parse_text(data.get("specialRequests"), "specialRequests", errors, required=False, limit=MAX_TEXT)
    method = data.get("paymentMethod") or "card"
    if method not in PAYMENT_METHODS:
        errors["paymentMethod"] = _l("One of card, bank_transfer.")
    coupon = parse_text(data.get("couponCode"), "couponCode", errors, required=False, limit=40)
    coupon = "".join((coupon or "").split()).upper()
    if errors:
        raise ValidationFailed(fields=errors)
    return BookingRequest(
        hotel_id=hotel_id, room_type_id=room_type_id, check_in=check_in, check_out=check_out,
        rooms=rooms, guests=guests,
        guest=GuestInfo(first, last, email, phone, language),
        special_requests=special, payment_method=method, coupon_code=coupon,
    )


def validate_stay(check_in: date, check_out: date, *, today: date, local_now: datetime,
                  same_day_cutoff: time, max_nights: int, horizon_days: int) -> None:
    """Dates make sense for the hotel (its local today and clock)."""
    errors: dict[str, str] = {}
    if check_out <= check_in:
        errors["checkOutDate"] = _l("Check-out must be after check-in.")
    elif (check_out - check_in).days > max_nights:
        errors["checkOutDate"] = _l("A stay is at most %(n)s nights.", n=max_nights)
    if check_in < today:
        errors["checkInDate"] = _l("Check-in cannot be in the past.")
    elif check_in == today and local_now.time() >= same_day_cutoff:
        errors["checkInDate"] = _l("Same-day bookings close at %(time)s hotel time.", time=same_day_cutoff.strftime("%H:%M"))
    elif (check_in - today).days >= horizon_days:
        errors["checkInDate"] = _l("Bookings open %(n)s days ahead.", n=horizon_days)
    if errors:
        raise ValidationFailed(fields=errors)


def validate_occupancy(guests: int, rooms: int, max_occupancy: int) -> None:
    if guests > rooms * max_occupancy:
        raise ValidationFailed(fields={
            "numberOfGuests": _l("%(rooms)s room(s) of this type sleep at most %(guests)s guests.", rooms=rooms, guests=rooms * max_occupancy)})
