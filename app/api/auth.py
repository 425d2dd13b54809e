"""API authentication: operator tokens and reservation access tokens.

`Authorization: Bearer fdt_…` is an operator's API token; `Bearer rat_…` is a
reservation's own access token (returned when it was created). A reservation
token proves nothing on its own: it is checked against the reservation the
request is about.
"""
from __future__ import annotations

from flask import g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.api import bp
from app.auth.services import operator_for_token
from app.core.actor import Actor
from app.core.errors import Forbidden, NotFound, Unauthorized
from app.extensions import csrf

csrf.exempt(bp)  # the API authenticates with bearer tokens, not cookies


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_operator(token: str):
    """The active operator owning an `fdt_` token, or None (looked up once per request)."""
    cache = g.setdefault("_api_token_operators", {})
    if token not in cache:
        cache[token] = operator_for_token(token)
    return cache[token]


@bp.before_request
def _authenticate():
    g.api_operator = None
    token = bearer_token()
    if token and token.startswith("fdt_"):
        operator = token_operator(token)
        if operator is None:
            raise Unauthorized(_l("This API token is not valid: it is unknown or revoked, "
                                  "or its operator is disabled."))
        g.api_operator = operator
        g.actor = Actor.operator(operator)


def require_operator(role: str = "staff"):
    """The calling operator (401 without a token, 403 without the role)."""
    operator = g.get("api_operator")
    if operator is None:
        raise Unauthorized(_l("An operator API token is required (Authorization: Bearer …)."))
    if not operator.has_role(role):
        raise Forbidden(_l("This needs the %(role)s role; your token's operator does not have it.", role=role))
    return operator


def can_access_reservation(reservation) -> bool:
    """An operator, or the bearer of the reservation's own access token."""
    from app.booking.services import is_access_token_valid

    if g.get("api_operator") is not None:
        return True
    token = bearer_token()
    return bool(token) and token.startswith("rat_") and is_access_token_valid(reservation, token)


def check_reservation_access(reservation) -> None:
    """401 without credentials; 404 with credentials for another booking, so
    reservation ids cannot be probed with one booking's token."""
    if reservation is not None and can_access_reservation(reservation):
        return
    if reservation is None or bearer_token():
        raise NotFound(_l("There is no reservation with this id."))
    raise Unauthorized(_l("Send the reservation's access token or an operator token (Authorization: Bearer …)."))


def addressed_reservation():
    """The reservation this request is about (by URL or payment body), if any.

    Used to tell whether a `rat_` token is genuine before the view runs (the
    rate limiter counts genuine token holders as signed in).
    """
    from app.booking.queries import get_reservation_by_public_id
    from app.extensions import db
    from app.payments.models import Payment

    args = request.view_args or {}
    if isinstance(args.get("reservation_id"), str):
        return get_reservation_by_public_id(args["reservation_id"])
    if isinstance(args.get("payment_id"), str) and len(args["payment_id"]) <= 40:
        payment = db.session.scalar(select(Payment).where(Payment.public_id == args["payment_id"]))
        return payment.reservation if payment is not None else None
    if request.endpoint == "api.create_payment_endpoint":
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("reservationID"), str):
            return get_reservation_by_public_id(body["reservationID"])
    return None


def is_signed_in() -> bool:
    """A valid operator token, or a reservation token matching the reservation addressed."""
    from app.booking.services import is_access_token_valid

    token = bearer_token()
    if not token:
        return False
    if token.startswith("fdt_"):
        return token_operator(token) is not None
    if token.startswith("rat_"):
        reservation = addressed_reservation()
        return reservation is not None and is_access_token_valid(reservation, token)
    return False
