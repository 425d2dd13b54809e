"""Forms of the catalog pages. They only turn the typed text into values
(numbers, dates, lists); the rules on those values are the catalog services',
so a page and the /v1 API refuse the same things with the same words."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.catalog.states import RoomStatus
from app.core.forms import ConfirmMixin
from app.core.input_guard import MAX_INT32

WEEKDAY_LABELS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))

ROOM_STATUS_LABELS = {
    RoomStatus.AVAILABLE: _l("Available"),
    RoomStatus.OCCUPIED: _l("Occupied"),
    RoomStatus.CLEANING: _l("Cleaning"),
    RoomStatus.MAINTENANCE: _l("Maintenance (not sold)"),
}


class WholeNumberField(StringField):
    """Digits (commas allowed: 120,000); empty is None."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").replace(",", "").strip()
        self.raw = text
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(_l("Digits only, e.g. 120000.")) from None
        if not -MAX_INT32 <= self.data <= MAX_INT32:
            self.data = None
            raise ValueError(_l("This number is too large."))

    def _value(self):
        if self.data is None:
            return getattr(self, "raw", "")  # what was typed, shown again next to its error
        return str(self.data)


class _ParsedText(StringField):
    """Typed text read into a value by `parse`; `error` when it cannot be, `show` to type it back."""

    error = ""

    def parse(self, text: str):
        raise NotImplementedError

    def show(self, value) -> str:
        return str(value)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        try:
            self.data = self.parse(text)
        except ValueError:
            raise ValueError(self.error) from None

    def _value(self):
        return self.show(self.data) if self.data else ""


class TimeText(_ParsedText):
    error = _l("A time such as 15:00.")

    def parse(self, text: str):
        return datetime.strptime(text, "%H:%M").time()

    def show(self, value) -> str:
        return value.strftime("%H:%M")


class DateText(_ParsedText):
    error = _l("A date such as 2026-12-24.")

    def parse(self, text: str):
        return date.fromisoformat(text)

    def show(self, value) -> str:
        return value.isoformat()


class NamesField(StringField):
    """Comma-separated names → a list (the service checks each one)."""

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = [part.strip() for part in text.split(",") if part.strip()]

    def _value(self):
        return ", ".join(self.data or [])


class HotelForm(FlaskForm):
    name = StringField(_l("Hotel name"))
    city = StringField(_l("City"))
    address = StringField(_l("Street address"), validators=[Length(max=300)])
    country = StringField(_l("Country code"), default="KR",
                          validators=[Regexp(r"^[A-Z]{2}$", message=_l("A 2-letter country code such as KR."))])
    star_rating = WholeNumberField(_l("Stars (0–5)"), default=3)
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    amenities = NamesField(_l("Amenities"), description=_l("Separate with commas, e.g. WiFi, Parking, Pool."))
    timezone = StringField(_l("Time zone"), default="Asia/Seoul")
    check_in_time = TimeText(_l("Check-in from"), default=None)
    check_out_time = TimeText(_l("Check-out until"), default=None)
    currency = StringField(_l("Currency"), default="KRW", description=_l("Cannot be changed later."))

    def values(self, creating: bool) -> dict:
        """Service keywords (empty optional fields left out, so the model's defaults apply)."""
        result = {"name": (self.name.data or "").strip(), "city": (self.city.data or "").strip(),
                  "address": (self.address.data or "").strip(), "country": self.country.data,
                  "description": self.description.data or "", "amenities": self.amenities.data or [],
                  "timezone": (self.timezone.data or "").strip()}
        if self.star_rating.data is not None:
            result["star_rating"] = self.star_rating.data
        for name in ("check_in_time", "check_out_time"):
            if getattr(self, name).data is not None:
                result[name] = getattr(self, name).data
        if creating:
            result["currency"] = (self.currency.data or "").strip().upper()
        return result


class RoomTypeForm(FlaskForm):
    name = StringField(_l("Room type name"))
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    max_occupancy = WholeNumberField(_l("Guests at most"), default=2)
    bed_type = StringField(_l("Beds"), validators=[Length(max=40)], description=_l("e.g. 1 double, 2 single"))
    size_sqm = WholeNumberField(_l("Size (m²)"))
    amenities = NamesField(_l("Amenities"), description=_l("Separate with commas, e.g. WiFi, Bathtub."))
    base_price = WholeNumberField(_l("Price per night (won)"),
                                  description=_l("Used for every night without a price of its own."))
    overbooking_percent = WholeNumberField(_l("Overbooking (%)"), default=110,
                                           description=_l("110 means 10 rooms may be sold 11 times."))

    def values(self) -> dict:
        return {"name": (self.name.data or "").strip(), "description": self.description.data or "",
                "max_occupancy": self.max_occupancy.data, "bed_type": (self.bed_type.data or "").strip(),
                "size_sqm": self.size_sqm.data, "amenities": self.amenities.data or [],
                "base_price": self.base_price.data, "overbooking_percent": self.overbooking_percent.data}


class RoomForm(FlaskForm):
    room_type_id = SelectField(_l("Room type"), coerce=int, choices=[], validate_choice=False)
    room_number = StringField(_l("Room number"))
    floor = WholeNumberField(_l("Floor"), default=1)

    def values(self) -> dict:
        result = {"room_type_id": self.room_type_id.data, "room_number": (self.room_number.data or "").strip()}
        if self.floor.data is not None:
            result["floor"] = self.floor.data
        return result


class RoomStatusForm(ConfirmMixin, FlaskForm):
    status = SelectField(_l("New status"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Reason (kept in the history)"), validators=[Length(max=1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, label) for s, label in ROOM_STATUS_LABELS.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RateForm(ConfirmMixin, FlaskForm):
    room_type_id = SelectField(_l("Room type"), coerce=int, choices=[], validate_choice=False)
    first_night = DateText(_l("First night"), validators=[InputRequired(_l("Choose the first night."))])
    last_night = DateText(_l("Last night"), validators=[InputRequired(_l("Choose the last night."))])
    weekdays = MultiCheckboxField(_l("Only these days of the week"), coerce=int,
                                  choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAY_LABELS)],
                                  validators=[DataRequired(_l("Choose at least one day of the week."))])
    price = WholeNumberField(_l("New price per night (won)"),
                             validators=[InputRequired(_l("Enter the price in won, digits only."))])


class DeactivateForm(ConfirmMixin, FlaskForm):
    bookings = RadioField(_l("Bookings already made"), default="keep", choices=[
        SelectChoice("keep", _l("Keep them: guests still stay as booked.")),
        SelectChoice("cancel", _l("Cancel and refund the affected reservations.")),
    ])
    reason = TextAreaField(_l("Reason (kept in the history)"),
                           validators=[DataRequired(_l("Write the reason in a sentence.")), Length(max=1000)])

    @property
    def cancel(self) -> bool:
        return self.bookings.data == "cancel"


class ReactivateForm(ConfirmMixin, FlaskForm):
    reason = TextAreaField(_l("Reason (kept in the history)"),
                           validators=[DataRequired(_l("Write the reason in a sentence.")), Length(max=1000)])

