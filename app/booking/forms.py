"""Forms of the customer pages: booking, card payment, find my booking, cancel.

The booking rules live in `app.booking.policies`; these forms only carry the
input. `BookingForm.request_body()` builds the API's body for
`parse_booking_request`, and `apply_api_errors()` puts the errors it returns
(keyed by API field names such as `guestInfo.email`) next to the form's fields.
The search and hotel pages are GET pages and read the query string directly.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Optional

from app.booking import policies
from app.core import clock
from app.payments.gateway import CardDetails, luhn_ok

#: The demo cities, suggested on the search page. Values are what hotels store;
#: the aliases let a guest type the city in Korean or Japanese.
DEMO_CITIES = ("Seoul", "Busan", "Jeju")
CITY_NAMES = {"Seoul": _l("Seoul"), "Busan": _l("Busan"), "Jeju": _l("Jeju")}
CITY_ALIASES = {
    "서울": "Seoul", "ソウル": "Seoul", "부산": "Busan", "釜山": "Busan", "プサン": "Busan",
    "제주": "Jeju", "제주도": "Jeju", "済州": "Jeju", "済州島": "Jeju", "チェジュ": "Jeju", "チェジュ島": "Jeju",
}

#: The usual hotel amenities in the page's language (anything else is shown as stored).
AMENITY_NAMES = {"WiFi": _l("Wi-Fi"), "Pool": _l("Pool"), "Gym": _l("Gym"), "Parking": _l("Parking"),
                 "Breakfast": _l("Breakfast"), "Garden": _l("Garden"), "Spa": _l("Spa")}

#: Languages a guest can get their emails in, by their own name.
LANGUAGE_CHOICES = [SelectChoice("ko", "한국어"), SelectChoice("ja", "日本語"), SelectChoice("en", "English")]
LANGUAGE_NAMES = {"ko": _l("Korean"), "ja": _l("Japanese"), "en": _l("English")}

#: The API's field names → this form's fields (None: shown above the form).
API_FIELDS = {
    "guestInfo.firstName": "first_name", "guestInfo.lastName": "last_name", "guestInfo.email": "email",
    "guestInfo.phone": "phone", "guestInfo.language": "language", "guestInfo": None,
    "numberOfRooms": "rooms", "numberOfGuests": "guests", "specialRequests": "special_requests",
    "paymentMethod": "payment_method", "couponCode": "coupon_code", "checkInDate": "check_in", "checkOutDate": "check_out",
    "hotelID": None, "roomTypeID": None, "idempotencyKey": None,
}

_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def new_form_key() -> str:
    """A fresh idempotency key for one rendering of a form."""
    return str(uuid.uuid4())


def normalize_city(value: str) -> str:
    """'서울' → 'Seoul'; anything else as typed (trimmed)."""
    value = (value or "").strip()
    return CITY_ALIASES.get(value, value)


class IdempotentForm(FlaskForm):
    """A form carrying the idempotency key generated when it was rendered."""

    idempotency_key = HiddenField()

    def ensure_key(self) -> str:
        """Keep a well-formed key (a re-rendered form sends the same one), else make one."""
        if not _KEY.match(self.idempotency_key.data or ""):
            self.idempotency_key.data = new_form_key()
        return self.idempotency_key.data

    def has_valid_key(self) -> bool:
        return bool(_KEY.match(self.idempotency_key.data or ""))


class BookingForm(IdempotentForm):
    check_in = HiddenField()
    check_out = HiddenField()
    first_name = StringField(_l("First name"), validators=[Optional()])
    last_name = StringField(_l("Last name"), validators=[Optional()])
    email = EmailField(_l("Email"), validators=[Optional()])
    phone = TelField(_l("Phone (optional)"), validators=[Optional()])
    language = SelectField(_l("Language of your emails"), choices=LANGUAGE_CHOICES, validate_choice=False)
    rooms = SelectField(_l("Rooms"), choices=[SelectChoice(str(n)) for n in range(1, policies.MAX_ROOMS + 1)],
                        validate_choice=False)
    guests = SelectField(_l("Guests"), validate_choice=False)
    special_requests = TextAreaField(_l("Special requests (optional)"), validators=[Optional()])
    coupon_code = StringField(_l("Coupon code (optional)"), validators=[Optional()])
    payment_method = RadioField(_l("How you will pay"), validate_choice=False,
                                choices=[SelectChoice("card", _l("Card, now (the rooms are held for 15 minutes)")),
                                         SelectChoice("bank_transfer",
                                                      _l("Bank transfer (the rooms are held for 24 hours)"))])

    def set_guest_choices(self, max_guests: int) -> None:
        self.guests.choices = [SelectChoice(str(n)) for n in range(1, max(1, max_guests) + 1)]

    def request_body(self, hotel_id: int, room_type_id: int) -> dict[str, Any]:
        """The body of POST /v1/reservations built from this form (API field names)."""
        return {
            "hotelID": str(hotel_id), "roomTypeID": str(room_type_id),
            "checkInDate": self.check_in.data or "", "checkOutDate": self.check_out.data or "",
            "numberOfRooms": self.rooms.data or "", "numberOfGuests": self.guests.data or "",
            "guestInfo": {"firstName": self.first_name.data or "", "lastName": self.last_name.data or "",
                          "email": self.email.data or "", "phone": self.phone.data or "",
                          "language": self.language.data or ""},
            "specialRequests": self.special_requests.data or "",
            "paymentMethod": self.payment_method.data or "",
            "couponCode": self.coupon_code.data or "",
        }

    def apply_api_errors(self, fields: dict[str, Any]) -> None:
        """Put errors keyed by API field names next to this form's fields."""
        for api_name, message in fields.items():
            name = API_FIELDS.get(api_name)
            field = getattr(self, name, None) if name else None
            if field is None:
                self.form_errors.append(message)
            else:
                field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]

    def draft(self) -> dict[str, str]:
        """What the guest typed, kept in the session so a sold-out booking's
        alternatives open prefilled (short enough for a cookie)."""
        values = {name: (getattr(self, name).data or "") for name in
                  ("first_name", "last_name", "email", "phone", "language", "payment_method")}
        values = {k: v[:120] for k, v in values.items()}
        if len(self.special_requests.data or "") <= 200:
            values["special_requests"] = self.special_requests.data or ""
        return values


class CardForm(IdempotentForm):
    number = StringField(_l("Card number"))
    expiry = StringField(_l("Expiry (MM/YY)"))
    cvc = StringField(_l("Security code (CVC)"))
    holder = StringField(_l("Name on the card"))

    def card_details(self) -> CardDetails | None:
        """The card, checked for typos; None (with errors on the fields) when not usable.

        Nothing here is logged or stored: the number only travels to the gateway.
        """
        number = re.sub(r"[\s-]", "", self.number.data or "")
        if not number:
            self.number.errors = [_l("Enter the card number.")]
        elif not luhn_ok(number):
            self.number.errors = [_l("This card number is not complete or has a typo.")]
        expiry = re.fullmatch(r"\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*", self.expiry.data or "")
        month = year = 0
        if not expiry:
            self.expiry.errors = [_l("Enter the expiry as MM/YY, for example 08/29.")]
        else:
            month, year = int(expiry.group(1)), int(expiry.group(2))
            year = year + 2000 if year < 100 else year
            today = clock.now()
            if not 1 <= month <= 12:
                self.expiry.errors = [_l("The month must be from 01 to 12.")]
            elif (year, month) < (today.year, today.month):
                self.expiry.errors = [_l("This card has expired.")]
        cvc = (self.cvc.data or "").strip()
        if not re.fullmatch(r"\d{3,4}", cvc):
            self.cvc.errors = [_l("The 3 or 4 digits on the back of the card.")]
        holder = (self.holder.data or "").strip()
        if len(holder) > policies.MAX_NAME:
            self.holder.errors = [_l("At most %(n)s characters.", n=policies.MAX_NAME)]
        if self.number.errors or self.expiry.errors or self.cvc.errors or self.holder.errors:
            return None
        return CardDetails(number, month, year, cvc, holder)

    def forget_secrets(self) -> None:
        """Never send the card number or CVC back to the browser."""
        self.number.data = ""
        self.cvc.data = ""


class FindBookingForm(FlaskForm):
    code = StringField(_l("Booking code"))
    # The field keeps its name `email`; a phone number is as good (app.booking.queries).
    email = StringField(_l("Email or phone number you booked with"))


class LostCodeForm(FlaskForm):
    """"I lost my code": only the address the bookings were made with."""
    email = StringField(_l("Email you booked with"))


class CancelForm(FlaskForm):
    """Only the CSRF token: the confirm page restates what cancelling does."""
