"""Money: integer minor units plus an ISO currency code. Never float."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if len(self.currency) != 3:
            raise ValueError("currency must be a 3-letter ISO code")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: "Money") -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def as_json(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}


def major_units(amount: int, currency: str) -> Decimal:
    """Minor units to a Decimal in major units (for display only)."""
    precision = get_currency_precision(currency)
    return Decimal(amount).scaleb(-precision)


def format_money(amount: int, currency: str, locale: str = "ko") -> str:
    """'₩120,000' / '¥12,000' / '$12.50' for the given display locale."""
    return format_currency(major_units(amount, currency), currency, locale=locale)


def parse_money_json(value, field: str = "amount") -> int:
    """An integer amount from JSON; rejects floats, strings and booleans."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be a whole number of minor units")
    return value
