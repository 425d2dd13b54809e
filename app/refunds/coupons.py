"""Coupons redeemed on a booking: checking a code, the discount in won, and using a coupon once.

A coupon's discount is taken off the booking's price: `Reservation.total_amount` is what the
guest owes (list price less discount), `Reservation.discount_amount` the won taken off, and a
`coupon_redeemed` ledger row (0 cash) records the coupon, the list price and the discount. What
was paid and what is refunded stay sums of real money rows, so refund policies compute on what
was paid.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.core import audit, clock
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.extensions import db
from app.ledger.services import record_coupon_redeemed
from app.refunds.models import Coupon
from app.refunds.policies import COUPON_CODE_MAX, coupon_discount, coupon_refusal

FIELD = "couponCode"

REFUSALS = {
    "unknown": _l("No coupon with this code."),
    "not_bookable": _l("This coupon cannot be used on a booking."),
    "used": _l("This coupon was already used."),
    "expired": _l("This coupon has expired."),
    "other_hotel": _l("This coupon is for another hotel."),
    "other_currency": _l("This coupon is for another currency."),
}


@dataclass(frozen=True)
class AppliedCoupon:
    coupon_id: int
    code: str
    kind: str
    value: int
    list_price: int
    discount: int

    @property
    def total(self) -> int:
        return self.list_price - self.discount


def normalize_code(value) -> str:
    return "".join(str(value or "").split()).upper()[:COUPON_CODE_MAX + 1]


def refuse(code: str) -> ValidationFailed:
    return ValidationFailed(fields={FIELD: REFUSALS[code]})


def check(code: str, *, hotel_id: int, currency: str, list_price: int) -> AppliedCoupon:
    """The discount `code` gives on a booking at `hotel_id` costing `list_price`; ValidationFailed
    (field couponCode) when unknown, used, expired or for another hotel. Reads only."""
    code = normalize_code(code)
    coupon = None
    if code and len(code) <= COUPON_CODE_MAX:
        coupon = db.session.scalar(select(Coupon).where(func.upper(Coupon.code) == code))
    if coupon is None:
        raise refuse("unknown")
    why = coupon_refusal(kind=coupon.kind, expires_at=coupon.expires_at, used_at=coupon.used_at,
                         hotel_id=coupon.hotel_id, now=clock.now(), for_hotel_id=hotel_id,
                         currency=coupon.currency, for_currency=currency)
    if why:
        raise refuse(why)
    return AppliedCoupon(coupon.id, coupon.code, coupon.kind, coupon.value, list_price,
                         coupon_discount(coupon.kind, coupon.value, list_price))


def redeem(applied: AppliedCoupon, reservation, *, actor: Actor) -> None:
    """Inside the booking's transaction: mark the coupon used by `reservation` with a guarded
    UPDATE (one of two concurrent bookings wins; the other raises and rolls back), then write
    the ledger row and the audit event. The reservation must be flushed (it has an id)."""
    now = clock.now()
    result = db.session.execute(
        update(Coupon).where(Coupon.id == applied.coupon_id, Coupon.used_at.is_(None),
                             Coupon.reservation_id.is_(None), Coupon.expires_at > now)
        .values(used_at=now, reservation_id=reservation.id).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise refuse("used")
    coupon = db.session.get(Coupon, applied.coupon_id)
    record_coupon_redeemed(coupon, reservation, list_price=applied.list_price, discount=applied.discount,
                           actor=actor)
    audit.record("coupon.redeemed", entity_type="coupon", entity_id=applied.code,
                 reservation_id=reservation.id, actor=actor,
                 data={"kind": applied.kind, "value": applied.value, "list_price": applied.list_price,
                       "discount": applied.discount, "total": applied.total})


def coupon_of(reservation) -> Coupon | None:
    """The coupon a booking used, if any (confirmation and booking pages)."""
    if not reservation.discount_amount:
        return None
    return db.session.scalar(select(Coupon).where(Coupon.reservation_id == reservation.id))
