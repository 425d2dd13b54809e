"""Compensation for a lodging business (seed 000's tiers in hotel terms, policies.LODGING_…):
the operator gives a coupon (percent or won off), a free night (a coupon worth one night) or
books one of the offered alternatives for the guest — at the original price when it is an
upgrade the tier allows. Each within the customer's tier, once per conflict, audited, and the
guest's message queued in their language through the outbox."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.booking.models import BookingConflict
from app.booking.policies import BookingRequest, GuestInfo
from app.booking.queries import nightly_prices
from app.catalog.models import RoomType
from app.core import audit, clock
from app.core.actor import Actor
from app.core.context import current_request_id
from app.core.db import run_in_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.ids import public_id
from app.extensions import db
from app.ledger.services import record_coupon
from app.notifications.services import queue_notification
from app.refunds.compensation import AlreadyCompensated, _email, _occurrence_for_conflict, resolve_conflict
from app.refunds.decisions import in_language, new_coupon_code
from app.refunds.models import Compensation, Coupon, CouponKind
from app.refunds.policies import (COMPENSATION_COUPON_DAYS, LodgingOption, check_lodging_choice,
                                  lodging_tier)

OPTION_LABELS = {
    LodgingOption.COUPON_PERCENT: _l("Coupon: percent off a next stay"),
    LodgingOption.COUPON_AMOUNT: _l("Coupon: an amount off a next stay"),
    LodgingOption.UPGRADE: _l("Room upgrade at the original price"),
    LodgingOption.FREE_NIGHT: _l("A free night (a coupon worth one night)"),
}
REFUSALS = {
    "option_beyond_tier": _l("This option is not part of this customer's compensation level."),
    "percent_beyond_tier": _l("The percent is more than this customer's compensation level allows."),
    "amount_beyond_tier": _l("The amount is more than this customer's compensation level allows."),
}


def _load_conflict(conflict_id: int, *, lock: bool) -> BookingConflict:
    if not isinstance(conflict_id, int) or not 0 < conflict_id <= 2**31 - 1:
        raise NotFound()
    query = select(BookingConflict).where(BookingConflict.id == conflict_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    conflict = db.session.execute(query).scalar_one_or_none()
    if conflict is None:
        raise NotFound()
    return conflict


def one_night_price(conflict: BookingConflict) -> int:
    """A free night's worth: the first night of the stay in the room type the guest asked for."""
    prices = nightly_prices(conflict.room_type, conflict.check_in, conflict.check_in + timedelta(days=1))
    return prices[0] if prices else conflict.room_type.base_price


def original_price(conflict: BookingConflict) -> int:
    return sum(nightly_prices(conflict.room_type, conflict.check_in, conflict.check_out)) * conflict.number_of_rooms


def describe(option: str, value: int, currency: str = "KRW") -> str:
    """The compensation in one sentence, in the current language (the guest's message)."""
    from flask_babel import get_locale  # noqa: PLC0415
    from app.core.money import format_money  # noqa: PLC0415 — display only

    locale = str(get_locale() or "ko")
    if option == LodgingOption.COUPON_PERCENT:
        return _("a coupon for %(percent)s%% off your next stay", percent=value)
    if option == LodgingOption.COUPON_AMOUNT:
        return _("a coupon for %(amount)s off your next stay", amount=format_money(value, currency, locale))
    if option == LodgingOption.FREE_NIGHT:
        return _("a coupon for one free night (%(amount)s)", amount=format_money(value, currency, locale))
    return _("a better room at the price of the room you asked for")


def _check(conflict: BookingConflict, option: str, value: int | None) -> int:
    occurrence = _occurrence_for_conflict(conflict)
    why = check_lodging_choice(lodging_tier(occurrence), option, value)
    if why:
        raise ValidationFailed(fields={"option": REFUSALS[why]})
    if db.session.scalar(select(Compensation.id).where(Compensation.conflict_id == conflict.id)) is not None:
        raise AlreadyCompensated(fields={"conflict": _l("This conflict was already compensated.")})
    return occurrence


def give_coupon(conflict_id: int, *, option: str, value: int | None, actor: Actor,
                note: str | None = None) -> Compensation:
    """A percent or amount coupon, or a free night, for one conflict's guest (commits). Refused
    beyond the customer's tier; once per conflict. The coupon is for the conflict's hotel."""
    if option not in (LodgingOption.COUPON_PERCENT, LodgingOption.COUPON_AMOUNT, LodgingOption.FREE_NIGHT):
        raise ValidationFailed(fields={"option": REFUSALS["option_beyond_tier"]})

    def work() -> Compensation:
        conflict = _load_conflict(conflict_id, lock=True)
        nonlocal value
        if option == LodgingOption.FREE_NIGHT:
            value = one_night_price(conflict)
        occurrence = _check(conflict, option, value)
        email = _email(conflict.guest_email)
        kind = CouponKind.PERCENT if option == LodgingOption.COUPON_PERCENT else CouponKind.AMOUNT
        coupon = Coupon(code=new_coupon_code(), kind=kind, value=int(value),
                        currency=None if kind == CouponKind.PERCENT else conflict.hotel.currency,
                        expires_at=clock.now() + timedelta(days=COMPENSATION_COUPON_DAYS), guest_email=email,
                        reason=f"booking conflict #{occurrence}: {option}", hotel_id=conflict.hotel_id,
                        created_by_id=actor.id if actor.is_operator else None)
        db.session.add(coupon)
        db.session.flush()
        record_coupon(coupon, reservation_id=None, actor=actor)
        comp = Compensation(public_id=public_id("cmp"), guest_email=email, occurrence=occurrence,
                            conflict_id=conflict.id, credit_minutes=0, coupon_minutes=0,
                            priority=lodging_tier(occurrence).priority, coupon_id=coupon.id, reason=note,
                            created_by_id=actor.id if actor.is_operator else None,
                            request_id=current_request_id())
        db.session.add(comp)
        db.session.flush()
        audit.record("compensation.given", entity_type="compensation", entity_id=comp.public_id, actor=actor,
                     reason=note, data={"email": email, "occurrence": occurrence, "option": option,
                                        "value": int(value), "coupon": coupon.code, "conflict": conflict.id})
        resolve_conflict(conflict, comp, actor=actor, note=note)
        currency = conflict.hotel.currency
        # The code travels inside the sentence: the apology message shows the description as is.
        description = in_language(conflict.language, lambda: _(
            "%(what)s — coupon code %(code)s, enter it on the booking form", what=describe(option, int(value), currency),
            code=coupon.code))
        queue_notification("booking_conflict_apology", key=f"conflict-{conflict.id}:compensated",
                           recipient_email=conflict.guest_email, recipient_phone=conflict.guest_phone or None,
                           language=conflict.language,
                           context={"alternatives": [], "compensation": {"kind": "package",
                                                                         "description": description,
                                                                         "coupon": coupon.code},
                                    "guest_name": conflict.guest_name, "hotel_name": conflict.hotel.name,
                                    "check_in": conflict.check_in, "check_out": conflict.check_out})
        return comp

    return run_in_transaction(work)


def split_name(full: str) -> tuple[str, str]:
    """(first, last) from a conflict's one-field name: "Minji Kim" → ("Minji", "Kim"); a name
    without a space ("김민지") is kept whole as the family-name field."""
    parts = (full or "").strip().split()
    if len(parts) >= 2:
        return " ".join(parts[:-1]), parts[-1]
    return "", (full or "").strip() or "-"


def book_alternative(conflict_id: int, *, alternative: int, actor: Actor, upgrade: bool = False,
                     note: str | None = None):
    """Book the conflict's `alternative`-th offer (0-based) for the guest: a pending reservation
    with the guest's details, created by the operator. With `upgrade` (tier permitting) the room
    is at the original price: a coupon for the difference, for this hotel, is used on the
    booking, so the ledger shows the list price and the discount. Commits; returns the outcome."""
    from app.booking.services import create_reservation  # noqa: PLC0415 — booking imports refunds

    conflict = _load_conflict(conflict_id, lock=False)
    offers = list(conflict.alternatives or [])
    if not isinstance(alternative, int) or not 0 <= alternative < len(offers):
        raise ValidationFailed(fields={"alternative": _l("Choose one of the offered alternatives.")})
    offer = offers[alternative]
    room_type = db.session.get(RoomType, int(offer["roomTypeID"]))
    if room_type is None:
        raise ValidationFailed(fields={"alternative": _l("Choose one of the offered alternatives.")})
    check_in, check_out = date.fromisoformat(offer["checkInDate"]), date.fromisoformat(offer["checkOutDate"])
    if upgrade:
        _check(conflict, LodgingOption.UPGRADE, None)
    else:
        # Any tier may book an alternative at its own price.
        if db.session.scalar(select(Compensation.id).where(Compensation.conflict_id == conflict.id)) is not None:
            raise AlreadyCompensated(fields={"conflict": _l("This conflict was already compensated.")})
    first, last = split_name(conflict.guest_name)
    coupon_code = ""
    if upgrade:
        alt_price = sum(nightly_prices(room_type, check_in, check_out)) * conflict.number_of_rooms
        difference = alt_price - original_price(conflict)
        if difference > 0:
            coupon = Coupon(code=new_coupon_code(), kind=CouponKind.AMOUNT, value=difference,
                            currency=room_type.hotel.currency, expires_at=clock.now() + timedelta(days=1),
                            guest_email=_email(conflict.guest_email), reason=f"upgrade for conflict {conflict.id}",
                            hotel_id=room_type.hotel_id, created_by_id=actor.id if actor.is_operator else None)
            db.session.add(coupon)
            db.session.commit()
            coupon_code = coupon.code
    req = BookingRequest(hotel_id=room_type.hotel_id, room_type_id=room_type.id, check_in=check_in,
                         check_out=check_out, rooms=conflict.number_of_rooms, guests=conflict.number_of_rooms,
                         guest=GuestInfo(first, last, conflict.guest_email, conflict.guest_phone or "",
                                         conflict.language),
                         payment_method="card", coupon_code=coupon_code)
    outcome = create_reservation(req, idempotency_key=f"conflict-{conflict.id}-alternative-{uuid.uuid4().hex}",
                                 channel="operator", actor=actor)
    reservation = outcome.reservation

    def work() -> Compensation:
        locked = _load_conflict(conflict_id, lock=True)
        occurrence = _occurrence_for_conflict(locked)
        comp = Compensation(public_id=public_id("cmp"), guest_email=_email(locked.guest_email),
                            occurrence=occurrence, conflict_id=locked.id, credit_minutes=0, coupon_minutes=0,
                            priority=lodging_tier(occurrence).priority, reason=note,
                            created_by_id=actor.id if actor.is_operator else None, request_id=current_request_id())
        db.session.add(comp)
        db.session.flush()
        audit.record("conflict.alternative_booked", entity_type="booking_conflict", entity_id=locked.id,
                     reservation_id=reservation.id, actor=actor, reason=note,
                     data={"reservation": reservation.public_id, "upgrade": upgrade, "coupon": coupon_code or None,
                           "compensation": comp.public_id})
        resolve_conflict(locked, comp, actor=actor, note=note)
        return comp

    run_in_transaction(work)
    return outcome
