"""Request parsing helpers shared by the API modules.

Each `field_*` reader takes the raw JSON value, the API field name and an
`errors` dict: on bad input it records a plain-words message under the field
and returns None, so a handler can report every bad field at once (422).
"""
from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from app.core.errors import NotFound, ValidationFailed
from app.core.input_guard import MAX_INT32

MAX_ID_DIGITS = 10
MAX_AMOUNT = MAX_INT32  # the amount columns are 32-bit
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 422 saying why not."""
    if not request.is_json:
        raise ValidationFailed(_l("Send a JSON body with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationFailed(_l("The body is not valid JSON."))
    if not isinstance(data, dict):
        raise ValidationFailed(_l("The body must be a JSON object."))
    return data


def page_args(max_size: int = 100) -> tuple[int, int]:
    """`page` ≥ 1 and `pageSize` 1–100 from the query; outside them → 422 (never clamped)."""
    errors = {}
    values = {}
    for name, default, low, high in (("page", 1, 1, 10**6), ("pageSize", 20, 1, max_size)):
        raw = request.args.get(name)
        if raw is None or raw == "":
            values[name] = default
            continue
        if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = _l("A whole number from %(low)s to %(high)s.", low=low, high=high)
        else:
            values[name] = int(raw)
    if errors:
        raise ValidationFailed(fields=errors)
    return values["page"], values["pageSize"]


def path_id(raw: str) -> int:
    """A numeric id from the URL; anything else is simply not found (404)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ID_DIGITS or not 0 < int(raw) <= MAX_INT32:
        raise NotFound()
    return int(raw)


def reject_unknown(data: dict[str, Any], allowed: set[str], errors: dict[str, Any],
                   read_only: set[str] = frozenset()) -> None:
    """Unknown fields are an error rather than silently ignored (typos show up)."""
    for name in sorted(set(data) - allowed):
        errors[name] = _l("This field cannot be changed here.") if name in read_only else _l("Unknown field.")


def field_id(value: Any, field: str, errors: dict[str, Any]) -> int | None:
    """Ids travel as strings ("12"); integers are accepted too."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INT32:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS \
            and 0 < int(value) <= MAX_INT32:
        return int(value)
    errors[field] = _l("Required: an id such as \"12\".") if value in (None, "") else _l("Not a valid id.")
    return None


def field_text(value: Any, field: str, errors: dict[str, Any], *, limit: int, required: bool = False,
               nullable: bool = False) -> str | None:
    if value is None and not required:
        return None if nullable else ""
    if not isinstance(value, str):
        errors[field] = _l("Must be text.")
        return None
    value = value.strip()
    if required and not value:
        errors[field] = _l("Required.")
        return None
    if len(value) > limit:
        errors[field] = _l("At most %(n)s characters.", n=limit)
        return None
    return value


def field_int(value: Any, field: str, errors: dict[str, Any], *, low: int, high: int,
              nullable: bool = False) -> int | None:
    """A JSON integer (not a float, string or boolean) within [low, high]."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = _l("A whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return value


def field_number(value: Any, field: str, errors: dict[str, Any], *, low: float, high: float,
                 nullable: bool = False) -> float | None:
    """A JSON number (coordinates, ratios): never a string or boolean."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        errors[field] = _l("A number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return value


def field_names(value: Any, field: str, errors: dict[str, Any], *, limit: int = 30) -> list[str] | None:
    """A list of short names (amenities)."""
    if not isinstance(value, list) or len(value) > limit or not all(
            isinstance(v, str) and 0 < len(v.strip()) <= 50 for v in value):
        errors[field] = _l("A list of at most %(n)s short names.", n=limit)
        return None
    return [v.strip() for v in value]


def field_time(value: Any, field: str, errors: dict[str, Any]) -> time | None:
    if not isinstance(value, str) or not _TIME.match(value):
        errors[field] = _l("A time such as 15:00.")
        return None
    return time.fromisoformat(value)


def field_date(value: Any, field: str, errors: dict[str, Any]) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        errors[field] = _l("A date as YYYY-MM-DD.")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _l("Not a real date.")
        return None


def field_money(value: Any, field: str, errors: dict[str, Any], *, currency: str) -> int | None:
    """A money object `{"amount": 150000, "currency": "KRW"}` in the hotel's currency.

    The amount is whole minor units: a float or a string is refused, so no
    rounding ever happens on the way in (invariant 6).
    """
    shape = _l('A money object such as {"amount": 150000, "currency": "%(currency)s"}.', currency=currency)
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        errors[field] = shape
        return None
    amount = value["amount"]
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
        errors[f"{field}.amount"] = _l("A whole, non-negative number of minor units (no decimals).")
        return None
    if value["currency"] != currency:
        errors[f"{field}.currency"] = _l("Must be %(currency)s, the hotel's currency.", currency=currency)
        return None
    return amount
