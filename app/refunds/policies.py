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
from datetime import date
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
