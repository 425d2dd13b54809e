"""The refund policy, as pure functions over one table.

Seed 003 gives the amount by days until check-in; seed 004 gives the cases:
  A — nothing used and within the policy window → refund as computed;
  B — the stay has started or the window has passed → refuse, with the
      prepared "refund not possible" message;
  C — our fault (service error, an overbooking we could not honour, a hotel
      closure) → full refund plus an apology coupon, whatever the rules say.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

#: (at least this many days before check-in, percent refunded). First match wins.
REFUND_SCHEDULE: tuple[tuple[int, int], ...] = (
    (7, 100),
    (1, 50),
    (0, 0),
)


class RefundCase(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class OurFault(StrEnum):
    SERVICE_ERROR = "service_error"
    OVERBOOKING = "overbooking"
    HOTEL_CLOSURE = "hotel_closure"
    HOLD_EXPIRED_WHILE_PAYING = "hold_expired_while_paying"


@dataclass(frozen=True)
class RefundRecommendation:
    case: RefundCase
    percent: int
    amount: int
    days_before_check_in: int
    reason: str          # a code; the UI shows its sentence
    apology_coupon: bool

    @property
    def refuses(self) -> bool:
        return self.amount == 0


def compute_percent(days_before_check_in: int) -> int:
    """Percent refunded when cancelling this many days before check-in."""
    if days_before_check_in < 0:
        return 0
    for min_days, percent in REFUND_SCHEDULE:
        if days_before_check_in >= min_days:
            return percent
    return 0


def compute_refund(
    *,
    refundable: int,
    check_in: date,
    today: date,
    stay_started: bool = False,
    our_fault: str | None = None,
) -> RefundRecommendation:
    """What the policy recommends for `refundable` minor units still refundable.

    `today` is the hotel's local date; `stay_started` is true once the guest
    checked in. `our_fault` (an OurFault value) makes it case C.
    """
    days = (check_in - today).days
    if our_fault:
        return RefundRecommendation(RefundCase.C, 100, refundable, days, f"our_fault:{OurFault(our_fault)}", True)
    if stay_started or days < 0:
        return RefundRecommendation(RefundCase.B, 0, 0, days, "stay_started", False)
    percent = compute_percent(days)
    if percent == 0:
        return RefundRecommendation(RefundCase.B, 0, 0, days, "window_passed", False)
    amount = refundable * percent // 100
    reason = "full_window" if percent == 100 else "partial_window"
    return RefundRecommendation(RefundCase.A, percent, amount, days, reason, False)


# --- who may decide ------------------------------------------------------------------


def needs_manager(policy_amount: int, chosen_amount: int) -> bool:
    """Approving what the policy recommends (or refusing a case B) is staff work;
    any other amount — including refusing a case A or C — needs a manager and a
    written reason."""
    return chosen_amount != policy_amount


#: The apology coupon of a case C refund: percent of the refund, and how long it lasts.
APOLOGY_COUPON_PERCENT = 10
APOLOGY_COUPON_MIN_AMOUNT = 10_000
APOLOGY_COUPON_DAYS = 365


def apology_coupon_amount(refund_amount: int) -> int:
    """10 % of the refund (at least ₩10,000), rounded down to a whole 1,000."""
    return max(APOLOGY_COUPON_MIN_AMOUNT, refund_amount * APOLOGY_COUPON_PERCENT // 100 // 1000 * 1000)


# --- a card refund whose outcome is unknown -------------------------------------------

#: When the gateway did not answer (a timeout, or it was unavailable), it is asked about the
#: refund (same idempotency key) this long after the send, then after each check that still
#: gives no answer: check n is due REFUND_CHECK_DELAYS[n-1] after the one before. A check that
#: finds the gateway never received the refund sends it again (the key makes that safe).
#: When the last check still has no answer the refund is `failed`, for a person.
REFUND_CHECK_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_REFUND_CHECKS = len(REFUND_CHECK_DELAYS)


def next_check_at(checks_done: int, now: datetime) -> datetime | None:
    """When to ask the gateway next after `checks_done` checks without an answer
    (0: right after the send); None when the checks are used up."""
    if checks_done < 0:
        raise ValueError("checks_done counts the checks made")
    if checks_done >= MAX_REFUND_CHECKS:
        return None
    return now + REFUND_CHECK_DELAYS[checks_done]


# --- compensation for booking conflicts (seed 000 "고객 보상 기준") ----------------------

@dataclass(frozen=True)
class CompensationTier:
    min_occurrence: int      # the customer's n-th conflict, from this n on
    credit_minutes: int      # 적립시간 (stay-time credit), minutes
    coupon_minutes: int      # a coupon worth this many minutes (0: none)
    priority: bool           # VIP priority booking


#: First match from the top wins (the highest tier the occurrence reaches).
COMPENSATION_TIERS: tuple[CompensationTier, ...] = (
    CompensationTier(3, 60, 60, True),
    CompensationTier(2, 60, 30, False),
    CompensationTier(1, 30, 0, False),
)

COMPENSATION_COUPON_DAYS = 180


def compute_compensation(occurrence: int) -> CompensationTier:
    """The tier for a customer's `occurrence`-th conflict (1 = the first)."""
    if occurrence < 1:
        raise ValueError("occurrence starts at 1")
    for tier in COMPENSATION_TIERS:
        if occurrence >= tier.min_occurrence:
            return tier
    raise AssertionError("unreachable: the last tier starts at 1")


# --- compensation for a lodging business ------------------------------------------------
# Seed 000's tiers speak of stay-time minutes, which mean nothing for a night's stay. The same
# three steps in what a hotel can give: a coupon (percent or won off a later booking at the
# hotel), a room upgrade (the alternative room type booked at the original price) and a free
# night (a coupon worth one night). The operator chooses within the customer's tier.

class LodgingOption:
    COUPON_PERCENT = "coupon_percent"
    COUPON_AMOUNT = "coupon_amount"
    UPGRADE = "upgrade"
    FREE_NIGHT = "free_night"


@dataclass(frozen=True)
class LodgingTier:
    min_occurrence: int          # the customer's n-th conflict, from this n on
    options: tuple[str, ...]     # what the operator may give (LodgingOption)
    max_percent: int             # a percent coupon: at most this many percent off
    max_amount: int              # an amount coupon: at most this many won off
    priority: bool               # VIP priority booking (as seed 000's third step)


#: First match from the top wins. 1st conflict (seed: 30 min credit): a small coupon;
#: 2nd (60 min + a coupon): a larger coupon or an upgrade; 3rd+ (+ VIP): also a free night.
LODGING_COMPENSATION_TIERS: tuple[LodgingTier, ...] = (
    LodgingTier(3, (LodgingOption.COUPON_PERCENT, LodgingOption.COUPON_AMOUNT, LodgingOption.UPGRADE,
                    LodgingOption.FREE_NIGHT), 30, 100_000, True),
    LodgingTier(2, (LodgingOption.COUPON_PERCENT, LodgingOption.COUPON_AMOUNT, LodgingOption.UPGRADE),
                20, 60_000, False),
    LodgingTier(1, (LodgingOption.COUPON_PERCENT, LodgingOption.COUPON_AMOUNT), 10, 30_000, False),
)


def lodging_tier(occurrence: int) -> LodgingTier:
    """The lodging tier for a customer's `occurrence`-th conflict (1 = the first)."""
    if occurrence < 1:
        raise ValueError("occurrence starts at 1")
    return next(t for t in LODGING_COMPENSATION_TIERS if occurrence >= t.min_occurrence)


def check_lodging_choice(tier: LodgingTier, option: str, value: int | None) -> str | None:
    """Why `option` with `value` is beyond `tier` (a code), or None when allowed."""
    if option not in tier.options:
        return "option_beyond_tier"
    if option == LodgingOption.COUPON_PERCENT and not (value and 1 <= value <= tier.max_percent):
        return "percent_beyond_tier"
    if option == LodgingOption.COUPON_AMOUNT and not (value and 1 <= value <= tier.max_amount):
        return "amount_beyond_tier"
    return None


def coupon_discount(kind: str, value: int, price: int) -> int:
    """Won off `price` (integer won) for a coupon: a percent rounds down to the won, an
    amount never exceeds the price. Never negative, never more than the price."""
    if price <= 0:
        return 0
    if kind == "percent":
        return price * max(0, min(value, 100)) // 100
    if kind == "amount":
        return max(0, min(value, price))
    return 0  # a stay-time ("minutes") coupon takes no money off


COUPON_CODE_MAX = 20
#: Cancelling at least this many days before check-in refunds everything, and gives a coupon back.
FULL_REFUND_DAYS = min(days for days, percent in REFUND_SCHEDULE if percent == 100)


def coupon_comes_back(*, was_paid: bool, check_in: date, today: date, stay_started: bool = False,
                      our_fault: str | None = None) -> bool:
    """Whether a canceled booking gives its coupon back (to use again while it is valid).

    The coupon follows the money's rule: it comes back when the cancellation costs the guest
    nothing — the booking was never paid (an unpaid booking canceled, a hold that ended) or the
    refund rules give everything back (REFUND_SCHEDULE's 100 %, or our fault, case C). When the
    rules keep part of the price (closer to check-in), the coupon stays used, as that part of
    the price would. A booking the coupon paid in full (₩0) counts as paid.
    """
    if our_fault:
        return True
    if not was_paid:
        return True
    if stay_started:
        return False
    days = (check_in - today).days
    return days >= 0 and compute_percent(days) == 100


def coupon_refusal(*, kind: str, expires_at, used_at, hotel_id: int | None, now, for_hotel_id: int,
                   currency: str | None, for_currency: str) -> str | None:
    """Why a coupon cannot be used for a booking at `for_hotel_id` now (a code), or None."""
    if kind not in ("percent", "amount"):
        return "not_bookable"
    if used_at is not None:
        return "used"
    if expires_at <= now:
        return "expired"
    if hotel_id is not None and hotel_id != for_hotel_id:
        return "other_hotel"
    if kind == "amount" and currency and currency != for_currency:
        return "other_currency"
    return None
