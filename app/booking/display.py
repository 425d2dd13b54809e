"""What the customer pages show: labels, room offers, the refund preview.

Read-only helpers for `app.booking.views` (no state changes here), so the
views stay thin and the templates get plain values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask_babel import format_date, format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import select

from app.booking.forms import AMENITY_NAMES
from app.booking.policies import MAX_ROOMS, PAID_BY_COUPON
from app.booking.queries import NightInfo, availability_by_room_type
from app.booking.states import ReservationStatus
from app.catalog.models import Hotel, RoomType
from app.core import clock
from app.extensions import db
from app.payments.models import Payment
from app.payments.states import PaymentMethod, PaymentStatus
from app.refunds.models import Refund
from app.refunds.coupons import CouponUse, coupon_use
from app.refunds.policies import REFUND_SCHEDULE, RefundRecommendation, compute_refund, coupon_comes_back
from app.refunds.states import RefundStatus

#: "2 left" is shown when this many rooms or fewer are free.
FEW_LEFT = 3

RESERVATION_STATUS = {
    ReservationStatus.PENDING: (_l("Waiting for payment"), "warn"),
    ReservationStatus.PAID: (_l("Paid and confirmed"), "ok"),
    ReservationStatus.CHECKED_IN: (_l("Checked in"), "ok"),
    ReservationStatus.CHECKED_OUT: (_l("Checked out"), ""),
    ReservationStatus.CANCELED: (_l("Canceled"), "bad"),
    ReservationStatus.REFUNDED: (_l("Canceled and refunded"), ""),
    "hold_ended": (_l("Hold ended, not paid"), "bad"),
}
PAYMENT_STATUS = {
    PaymentStatus.PENDING: (_l("Waiting"), "warn"),
    PaymentStatus.COMPLETED: (_lp("payment status", "Paid"), "ok"),
    PaymentStatus.FAILED: (_l("Did not go through"), "bad"),
    PaymentStatus.CANCELED: (_l("Canceled"), ""),
    PaymentStatus.REVERSED: (_l("Taken back by the bank"), "bad"),
}
PAYMENT_METHOD = {PaymentMethod.CARD: _l("Card"), PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
                  PAID_BY_COUPON: _l("Coupon (nothing to pay)")}
REFUND_STATUS = {
    RefundStatus.REQUESTED: (_l("Waiting for our staff"), "warn"),
    RefundStatus.APPROVED: (_l("Approved, being paid back"), "ok"),
    RefundStatus.REFUSED: (_l("Not refunded"), "bad"),
    RefundStatus.PROCESSING: (_l("Being paid back"), "ok"),
    RefundStatus.AWAITING_ACCOUNT: (_l("We need your bank account (see our email)"), "warn"),
    RefundStatus.AWAITING_PAYOUT: (_l("Being paid back"), "ok"),
    RefundStatus.COMPLETED: (_l("Paid back"), "ok"),
    RefundStatus.FAILED: (_l("Delayed: our staff are on it"), "warn"),
}
#: What a card decline means for the guest, by the gateway's failure code.
DECLINES = {
    "card_declined": _l("Your card was declined by the card company. Nothing was charged. "
                        "Try another card, or ask your card company."),
    "insufficient_funds": _l("The card does not have enough funds. Nothing was charged. Try another card."),
    "expired_card": _l("The card company says this card has expired. Nothing was charged. Try another card."),
    "processing_error": _l("The card could not be processed. Nothing was charged. Please try again."),
    "gateway_unavailable": _l("The card service is not answering right now. Nothing was charged. "
                              "Please try again in a minute."),
}
DECLINE_FALLBACK = _l("The payment did not go through. Nothing was charged. Please try again.")
ALTERNATIVE_KINDS = (
    ("room_type", _l("Another room in this hotel")),
    ("dates", _l("The same room on other dates")),
    ("hotel", _l("Other hotels in the same city")),
)


# --- template helpers (registered by app.booking.views) --------------------------------

def query_url(**changes: Any) -> str:
    """This page's URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value if isinstance(value, list) else [value]
    return request.path + ("?" + urlencode(args, doseq=True) if args else "")


def lang_url(code: str) -> str:
    """This page in another language, keeping its query string (dates, guests)."""
    return query_url(lang=code)


def iso_date(value: str) -> date | None:
    """'2026-12-03' → a date (the API's alternatives carry ISO strings)."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def hotel_time(value: datetime | None, tz: str, with_date: bool = True) -> str:
    """A moment in the hotel's time zone: 'Dec 3, 2026, 3:15 PM' (or only '3:15 PM')."""
    if value is None:
        return ""
    local = clock.to_local(value, tz).replace(tzinfo=None)
    shown = format_time(local, "short", rebase=False)
    return _("%(date)s, %(time)s", date=format_date(local.date(), "medium"), time=shown) if with_date else shown


def amenity_name(name: str) -> str:
    """A hotel amenity in the page's language (catalog names are English)."""
    return str(AMENITY_NAMES.get(name, name))


def template_labels() -> dict[str, Any]:
    """Status words for the booking page's template."""
    return {
        "display_status": lambda value: label(RESERVATION_STATUS, value),
        "payment_status": lambda value: label(PAYMENT_STATUS, value),
        "refund_status": lambda value: label(REFUND_STATUS, value),
        "payment_method": lambda value: PAYMENT_METHOD.get(value, value),
        "decline_message": decline_message,
    }


def label(table: dict, value: str) -> tuple[str, str]:
    """(text, badge class) of a status, falling back to the raw value."""
    return table.get(value, (value, ""))


def decline_message(code: str | None) -> str:
    return str(DECLINES.get(code or "", DECLINE_FALLBACK))


@dataclass(frozen=True)
class Stay:
    check_in: date
    check_out: date
    guests: int

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    def args(self, **extra: Any) -> dict[str, Any]:
        """The query string of the search, hotel and booking pages."""
        return {"checkInDate": self.check_in.isoformat(), "checkOutDate": self.check_out.isoformat(),
                "guests": self.guests, **extra}


@dataclass
class RoomOffer:
    room_type: RoomType
    nights: list[NightInfo] = field(default_factory=list)
    price_one_room: int = 0       # the whole stay, one room
    available: int = 0            # rooms free on every night
    rooms_needed: int = 1         # for the guests, at the room type's occupancy
    reason: str | None = None     # why it cannot be booked

    @property
    def bookable(self) -> bool:
        return self.reason is None

    @property
    def total(self) -> int:
        return self.price_one_room * self.rooms_needed

    @property
    def few_left(self) -> bool:
        return 0 < self.available <= FEW_LEFT

    @property
    def lowest_night(self) -> int:
        return min((n.price for n in self.nights), default=self.room_type.base_price)


def rooms_for(guests: int, max_occupancy: int) -> int:
    """Rooms needed so every guest has a bed (at least 1)."""
    return max(1, -(-guests // max(1, max_occupancy)))


def _format_nights(nights: list[date]) -> str:
    shown = ", ".join(format_date(n, "medium") for n in nights[:3])
    return shown + (" …" if len(nights) > 3 else "")


def room_offers(hotel: Hotel, stay: Stay) -> list[RoomOffer]:
    """Every active room type of the hotel for the stay: bookable ones first (cheapest
    first), then the sold-out ones with the reason."""
    types = [rt for rt in hotel.room_types if rt.active]
    availability = availability_by_room_type([rt.id for rt in types], stay.check_in, stay.check_out,
                                             with_nights=True)
    offers = []
    for rt in types:
        av = availability[rt.id]
        offer = RoomOffer(rt, av.nights, av.total_price, av.available, rooms_for(stay.guests, rt.max_occupancy))
        offer.reason = sold_out_reason(offer, stay)
        offers.append(offer)
    return sorted(offers, key=lambda o: (not o.bookable, o.price_one_room if o.bookable else 0, o.room_type.id))


def room_offer(room_type: RoomType, stay: Stay, rooms: int | None = None) -> RoomOffer:
    av = availability_by_room_type([room_type.id], stay.check_in, stay.check_out, with_nights=True)[room_type.id]
    offer = RoomOffer(room_type, av.nights, av.total_price, av.available,
                      rooms or rooms_for(stay.guests, room_type.max_occupancy))
    offer.reason = sold_out_reason(offer, stay)
    return offer


def sold_out_reason(offer: RoomOffer, stay: Stay) -> str | None:
    """None when `offer.rooms_needed` rooms are free every night, else why not, in plain words."""
    if offer.rooms_needed > MAX_ROOMS:
        return _("Too many guests for this room type: it sleeps %(n)s per room.", n=offer.room_type.max_occupancy)
    if len(offer.nights) < stay.nights:
        return _("Not open for booking on these dates yet.")
    full = [n.night for n in offer.nights if n.available < 1]
    if full:
        return _("Fully booked on %(nights)s.", nights=_format_nights(full))
    if offer.available < offer.rooms_needed:
        return ngettext("Only %(num)s room left: not enough for %(guests)s guests.",
                        "Only %(num)s rooms left: not enough for %(guests)s guests.",
                        offer.available, guests=stay.guests)
    return None


def person_name(reservation, locale: str) -> str:
    """The guest's name as people write it: family name first in Korean and Japanese."""
    parts = (reservation.guest_last_name, reservation.guest_first_name) if locale in ("ko", "ja") \
        else (reservation.guest_first_name, reservation.guest_last_name)
    return " ".join(p for p in parts if p)


def group_alternatives(alternatives: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The SoldOut alternatives by kind, in the order the page shows them (other dates by date)."""
    groups = []
    for kind, title in ALTERNATIVE_KINDS:
        items = [a for a in alternatives if a.get("kind") == kind]
        if kind == "dates":
            items.sort(key=lambda a: a.get("checkInDate", ""))
        if items:
            groups.append((str(title), items))
    return groups


# --- the booking page ---------------------------------------------------------------

def payments_of(reservation) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.reservation_id == reservation.id)
                                   .order_by(Payment.id)))


def refunds_of(reservation) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.reservation_id == reservation.id)
                                   .order_by(Refund.id)))


def open_bank_transfer(payments: list[Payment]) -> Payment | None:
    return next((p for p in reversed(payments) if p.method == PaymentMethod.BANK_TRANSFER
                 and p.status == PaymentStatus.PENDING), None)


def clock_text(seconds: int) -> str:
    """12:05 or 23:59:10: the time left on the hold, as the page's countdown shows it."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def minutes_left(seconds: int) -> int:
    return -(-max(0, seconds) // 60)


# --- cancelling ----------------------------------------------------------------------

@dataclass
class CancelPreview:
    paid: int                                 # refundable now (0 when nothing was paid)
    recommendation: RefundRecommendation | None
    card_last4: str | None
    bank_transfer_open: bool
    coupon: CouponUse | None = None           # the coupon the booking was made with
    coupon_back: bool = False                 # whether cancelling now gives it back
    paid_by_coupon: bool = False              # a ₩0 booking: the coupon paid the whole price

    @property
    def refund(self) -> int:
        return self.recommendation.amount if self.recommendation else 0


def cancel_preview(reservation) -> CancelPreview:
    """What cancelling would refund, by the refund policy (`compute_refund`), as the
    refund request made by `cancel_reservation` will compute it."""
    from app.refunds.services import refundable_amount

    payments = payments_of(reservation)
    paid = refundable_amount(reservation) if reservation.status == ReservationStatus.PAID else 0
    recommendation = None
    if paid > 0:
        recommendation = compute_refund(refundable=paid, check_in=reservation.check_in,
                                        today=clock.local_today(reservation.hotel.timezone))
    card = next((p for p in reversed(payments) if p.status == PaymentStatus.COMPLETED
                 and p.method == PaymentMethod.CARD), None)
    coupon = coupon_use(reservation)
    today = clock.local_today(reservation.hotel.timezone)
    coupon_back = coupon is not None and not coupon.given_back and \
        (coupon.expires_at is None or coupon.expires_at > clock.now()) and \
        coupon_comes_back(was_paid=reservation.status == ReservationStatus.PAID, check_in=reservation.check_in,
                          today=today)
    return CancelPreview(paid, recommendation, card.card_last4 if card else None,
                         open_bank_transfer(payments) is not None, coupon, coupon_back,
                         reservation.payment_method == PAID_BY_COUPON)


def days_phrase(days: int) -> str:
    if days <= 0:
        return _("check-in is today")
    return ngettext("check-in is in %(num)s day", "check-in is in %(num)s days", days)


def refund_rules() -> list[str]:
    """The refund schedule in plain words, read from REFUND_SCHEDULE."""
    lines = []
    previous = None
    for min_days, percent in REFUND_SCHEDULE:
        if previous is None:
            span = _("%(n)s days or more before check-in", n=min_days)
        elif min_days == 0:
            span = _("on the day of check-in") if previous == 1 else \
                _("less than %(n)s days before check-in", n=previous)
        elif previous - 1 == min_days:
            span = ngettext("%(num)s day before check-in", "%(num)s days before check-in", min_days)
        else:
            span = _("%(low)s to %(high)s days before check-in", low=min_days, high=previous - 1)
        lines.append(_("%(span)s: %(percent)s %% back", span=span, percent=percent) if percent
                     else _("%(span)s: nothing back", span=span))
        previous = min_days
    return lines
