"""Coupons redeemed on a booking: checking a code, the discount in won, and using a coupon once.

A coupon's discount is taken off the booking's price: `Reservation.total_amount` is what the
guest owes (list price less discount), `Reservation.discount_amount` the won taken off, and a
`coupon_redeemed` ledger row (0 cash) records the coupon, the list price and the discount. What
was paid and what is refunded stay sums of real money rows, so refund policies compute on what
was paid.

A coupon that covers the whole price makes a ₩0 booking, paid at once by the coupon
(app.booking.services.create_reservation). A canceled booking gives its coupon back when
policies.coupon_comes_back says so and the coupon has not expired: the coupon is free again and a
`coupon_returned` ledger row (0 cash) undoes the `coupon_redeemed` one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import among
from app.core.errors import ValidationFailed
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry, Source
from app.ledger.services import coupon_redemption_of, record, record_coupon_redeemed, record_coupon_returned
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
    """The coupon a booking uses now, if any (None too once a cancellation gave it back)."""
    if not reservation.discount_amount:
        return None
    return db.session.scalar(select(Coupon).where(Coupon.reservation_id == reservation.id))


@dataclass(frozen=True)
class CouponUse:
    """The coupon a booking was made with, as the ledger has it (pages and emails)."""
    code: str
    discount: int
    given_back: bool
    expires_at: datetime | None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= clock.now()


def coupon_use(reservation) -> CouponUse | None:
    """Which coupon a booking was made with and whether a cancellation gave it back (ledger rows)."""
    if not reservation.discount_amount:
        return None
    rows = list(db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.reservation_id == reservation.id,
        LedgerEntry.kind.in_((EntryKind.COUPON_REDEEMED, EntryKind.COUPON_RETURNED))).order_by(LedgerEntry.id)))
    redeemed = next((e for e in rows if e.kind == EntryKind.COUPON_REDEEMED), None)
    if redeemed is None:
        return None
    code = (redeemed.details or {}).get("coupon", "")
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == code)) if code else None
    return CouponUse(code, int(reservation.discount_amount), rows[-1].kind == EntryKind.COUPON_RETURNED,
                     coupon.expires_at if coupon is not None else None)


def give_back(reservation, *, actor: Actor, reason: str) -> Coupon | None:
    """In the cancellation's transaction: free the coupon `reservation` used, if it has not
    expired (guarded UPDATE: once, however often a cancellation is retried), with its ledger row
    and audit event. Returns the coupon, or None when there was none to give back. The caller
    decides whether it comes back (policies.coupon_comes_back)."""
    now = clock.now()
    coupon = db.session.scalar(select(Coupon).where(Coupon.reservation_id == reservation.id))
    if coupon is None or coupon.expires_at <= now:
        return None
    freed = db.session.execute(
        update(Coupon).where(Coupon.id == coupon.id, Coupon.reservation_id == reservation.id)
        .values(used_at=None, reservation_id=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if freed != 1:
        return None
    db.session.refresh(coupon)
    record_coupon_returned(coupon, reservation, reason=reason, actor=actor)
    audit.record("coupon.given_back", entity_type="coupon", entity_id=coupon.code, reservation_id=reservation.id,
                 actor=actor, reason=reason,
                 data={"discount": int(reservation.discount_amount or 0),
                       "expires_at": coupon.expires_at.isoformat()})
    return coupon


def give_back_many(reservation_ids: list[int], *, actor: Actor, reason: str) -> int:
    """give_back for bookings canceled together (expired holds: never paid, so their coupons come
    back). Only the few that used a coupon are read. No commit; returns how many came back."""
    from app.booking.models import Reservation

    if not reservation_ids:
        return 0
    used = db.session.scalars(select(Reservation).join(Coupon, Coupon.reservation_id == Reservation.id)
                              .where(among(Reservation.id, reservation_ids)).order_by(Reservation.id)).all()
    return sum(1 for r in used if give_back(r, actor=actor, reason=reason) is not None)


def take_again(reservation, *, actor: Actor) -> bool:
    """A canceled booking that gave its coupon back is paid after all (a late deposit revived it):
    the coupon is used by it again if it is still free and valid (guarded UPDATE, with a new
    `coupon_redeemed` row). If another booking took it meanwhile or it expired, the booking keeps
    the price the guest was asked and paid, and the audit log says the coupon could not be taken
    again. No commit; True when the coupon was taken again."""
    use = coupon_use(reservation)
    if use is None or not use.given_back:
        return False
    now = clock.now()
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == use.code))
    taken = coupon is not None and db.session.execute(
        update(Coupon).where(Coupon.id == coupon.id, Coupon.used_at.is_(None), Coupon.reservation_id.is_(None),
                             Coupon.expires_at > now)
        .values(used_at=now, reservation_id=reservation.id, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not taken:
        audit.record("coupon.not_taken_again", entity_type="coupon", entity_id=use.code,
                     reservation_id=reservation.id, actor=actor,
                     data={"discount": use.discount, "why": "used elsewhere or expired"})
        return False
    returned = db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.reservation_id == reservation.id, LedgerEntry.kind == EntryKind.COUPON_RETURNED)
        .order_by(LedgerEntry.id.desc()).limit(1))
    record(EntryKind.COUPON_REDEEMED, 0, reservation.currency, source=Source.OURS,
           dedupe_key=f"coupon-redeemed:{coupon.id}:{reservation.id}:again:{returned.id}",
           reservation_id=reservation.id, undoes_id=returned.id, actor=actor,
           details={"coupon": coupon.code, "kind": coupon.kind, "value": coupon.value,
                    "listPrice": int(reservation.total_amount + reservation.discount_amount),
                    "discount": int(reservation.discount_amount), "total": int(reservation.total_amount)})
    audit.record("coupon.taken_again", entity_type="coupon", entity_id=coupon.code, reservation_id=reservation.id,
                 actor=actor, data={"discount": use.discount})
    return True


def discount_after_change(reservation, new_list_price: int, *, actor: Actor) -> int:
    """The discount of a couponed booking whose stay changed (app.booking.services.modify_reservation):
    the same coupon on the new list price (a percent scales, an amount is capped by the price, so the
    total is never below ₩0). A new `coupon_redeemed` row (0 cash) undoes the one before with the new
    list price and discount, so the ledger explains the new price too. No commit; returns the discount
    (the booking's current one when its coupon row cannot be read)."""
    previous = coupon_redemption_of(reservation.id)
    details = (previous.details or {}) if previous is not None else {}
    if previous is None or details.get("kind") not in ("percent", "amount"):
        return min(int(reservation.discount_amount), new_list_price)
    discount = coupon_discount(details["kind"], int(details["value"]), new_list_price)
    if discount == details.get("discount") and new_list_price == details.get("listPrice"):
        return discount
    record(EntryKind.COUPON_REDEEMED, 0, reservation.currency, source=Source.OURS,
           dedupe_key=f"coupon-redeemed:change:{previous.id}", reservation_id=reservation.id,
           undoes_id=previous.id, actor=actor,
           details={**details, "listPrice": int(new_list_price), "discount": int(discount),
                    "total": int(new_list_price) - int(discount), "change": True})
    return discount
