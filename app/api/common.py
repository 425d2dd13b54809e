"""Request parsing helpers shared by the API modules."""
from __future__ import annotations

from typing import Any

from flask import request

from app.core.errors import ValidationFailed


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 422 saying why not."""
    if not request.is_json:
        raise ValidationFailed("Send a JSON body with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationFailed("The body is not valid JSON.")
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object.")
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
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = f"A whole number from {low} to {high}."
        else:
            values[name] = int(raw)
    if errors:
        raise ValidationFailed(fields=errors)
    return values["page"], values["pageSize"]
