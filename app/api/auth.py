"""API authentication: operator tokens and reservation access tokens.

`Authorization: Bearer fdt_…` is an operator's API token; `Bearer rat_…` is a
reservation's own access token (returned when it was created).
"""
from __future__ import annotations

from flask import g, request

from app.api import bp
from app.auth.services import operator_for_token
from app.core.actor import Actor
from app.core.errors import Forbidden, Unauthorized
from app.extensions import csrf

csrf.exempt(bp)  # the API authenticates with bearer tokens, not cookies


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@bp.before_request
def _authenticate():
    g.api_operator = None
    token = bearer_token()
    if token and token.startswith("fdt_"):
        operator = operator_for_token(token)
        if operator is None:
            raise Unauthorized("The API token is not valid.")
        g.api_operator = operator
        g.actor = Actor.operator(operator)


def require_operator(role: str = "staff"):
    """The calling operator (401 without a token, 403 without the role)."""
    operator = g.get("api_operator")
    if operator is None:
        raise Unauthorized("An operator API token is required (Authorization: Bearer …).")
    if not operator.has_role(role):
        raise Forbidden()
    return operator


def can_access_reservation(reservation) -> bool:
    """An operator, or the bearer of the reservation's own access token."""
    from app.booking.services import is_access_token_valid

    if g.get("api_operator") is not None:
        return True
    token = bearer_token()
    return bool(token) and token.startswith("rat_") and is_access_token_valid(reservation, token)
