"""Signed, expiring links to the customer's bank-account form (no sign-in needed).

A link names what it is for — a payout waiting for a corrected account, or a
refund that needs an account — signed with the app's secret (itsdangerous) and
stamped with `app.core.clock` time, so tests can make it expire. Nothing is
stored; the form re-checks the payout or refund when it is used.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.core.ids import ClockTimestampSigner

SALT = "remittance-bank-account"
PAYOUT, REFUND = "payout", "refund"


class LinkInvalid(Exception):
    """Not one of our links (mistyped or tampered with)."""


class LinkExpired(Exception):
    """One of our links, but older than PAYOUT_ACCOUNT_LINK_DAYS."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["LINK_SECRET"], salt=SALT, signer=ClockTimestampSigner)


def make_token(kind: str, public_id: str) -> str:
    if kind not in (PAYOUT, REFUND):
        raise ValueError(f"unknown link kind {kind!r}")
    return _serializer().dumps({"k": kind, "id": public_id})


def read_token(token: str) -> tuple[str, str]:
    """(kind, public id) of a valid link; LinkExpired or LinkInvalid otherwise."""
    max_age = current_app.config["PAYOUT_ACCOUNT_LINK_DAYS"] * 24 * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired() from exc
    except BadSignature as exc:
        raise LinkInvalid() from exc
    if not isinstance(data, dict) or data.get("k") not in (PAYOUT, REFUND) or not isinstance(data.get("id"), str):
        raise LinkInvalid()
    return data["k"], data["id"]


def account_link(kind: str, public_id: str, language: str | None = None) -> str:
    """The absolute link put in the customer's message (works inside workers too),
    opening the form in the customer's language."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    lang = f"?lang={language}" if language in current_app.config["LANGUAGES"] else ""
    return f"{base}/payout-account/{make_token(kind, public_id)}{lang}"
