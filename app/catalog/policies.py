"""Pure inventory rules."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DEFAULT_OVERBOOKING_PERCENT = 110


def compute_cap(total: int, overbooking_percent: int) -> int:
    """How many rooms may be sold for a night: floor(total × percent / 100).

    Integers only, so 5 rooms at 110 % sell 5 (5.5 floored), never 6.
    """
    return (total * overbooking_percent) // 100


def compute_available(total: int, reserved: int, overbooking_percent: int) -> int:
    """Rooms still sellable for a night (never negative)."""
    return max(0, compute_cap(total, overbooking_percent) - reserved)


def ratio_to_percent(ratio) -> int:
    """The API's overbookingRatio (e.g. 1.10) as a whole percent (110).

    Accepts numbers or numeric strings between 1.00 and 2.00 with at most two
    decimals; raises ValueError otherwise.
    """
    if isinstance(ratio, bool):
        raise ValueError("overbookingRatio must be a number")
    try:
        value = Decimal(str(ratio))
    except InvalidOperation as exc:
        raise ValueError("overbookingRatio must be a number") from exc
    if not value.is_finite() or value < 1 or value > 2:
        raise ValueError("overbookingRatio must be between 1.00 and 2.00")
    percent = (value * 100)
    if percent != percent.to_integral_value():
        raise ValueError("overbookingRatio takes at most two decimals")
    return int(percent.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_to_ratio(percent: int) -> float:
    return percent / 100
