"""Signed, expiring links that open one booking for the guest (no code or email to type).

Sent only to the address the booking was made with ("I lost my code"): whoever can read that
mailbox may open the booking, as whoever knows its code and that address may on Find my booking.
A link names the booking's public id and a fingerprint of its access salt, signed with LINK_SECRET
(itsdangerous, its own salt) and stamped with `app.core.clock` time; rotating the booking's access
salt revokes its links. Nothing is stored.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.core.ids import ClockTimestampSigner

SALT = "booking-open"
#: How long a booking link from "I lost my code" opens the booking.
OPEN_LINK_DAYS = 7


class LinkInvalid(Exception):
    """Not one of our links (mistyped, cut short or tampered with), or its booking's salt changed."""


class LinkExpired(Exception):
    """One of our links, older than OPEN_LINK_DAYS."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["LINK_SECRET"], salt=SALT, signer=ClockTimestampSigner)


def _fingerprint(access_salt: str) -> str:
    return hashlib.sha256(access_salt.encode()).hexdigest()[:12]


def make_token(reservation) -> str:
    return _serializer().dumps({"r": reservation.public_id, "s": _fingerprint(reservation.access_salt)})


def read_token(token: str) -> tuple[str, str]:
    """(public id, salt fingerprint) of a valid link; LinkExpired or LinkInvalid otherwise."""
    try:
        data = _serializer().loads(token, max_age=OPEN_LINK_DAYS * 24 * 3600)
    except SignatureExpired as exc:
        raise LinkExpired() from exc
    except BadSignature as exc:
        raise LinkInvalid() from exc
    if not isinstance(data, dict) or not isinstance(data.get("r"), str) or not isinstance(data.get("s"), str):
        raise LinkInvalid()
    return data["r"], data["s"]


def reservation_for_token(token: str):
    """The booking a link opens; LinkExpired or LinkInvalid otherwise."""
    from app.booking.queries import get_reservation_by_public_id

    public_id, fingerprint = read_token(token[:1000])
    reservation = get_reservation_by_public_id(public_id)
    if reservation is None or fingerprint != _fingerprint(reservation.access_salt):
        raise LinkInvalid()
    return reservation


def open_link(reservation, language: str | None = None) -> str:
    """The absolute link put in the guest's email (works inside workers too), in their language."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    lang = f"?lang={language}" if language in current_app.config["LANGUAGES"] else ""
    return f"{base}/booking/open/{make_token(reservation)}{lang}"
