"""Identifiers: opaque public ids, booking codes, secret tokens."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from itsdangerous import TimestampSigner

# Crockford's base32 alphabet: no I, L, O, U, so codes survive being read aloud.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def public_id(prefix: str) -> str:
    """An opaque, unguessable id such as 'rsv_k3j2…' (used in URLs and the API)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def booking_code() -> str:
    """A short booking code customers can write in a bank-transfer memo: 'FD7K3M9Q'."""
    return "FD" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def display_code(code: str) -> str:
    """'FD7K3M9Q' -> 'FD-7K3M9Q'."""
    return f"{code[:2]}-{code[2:]}" if len(code) > 2 else code


def secret_token(prefix: str, nbytes: int = 32) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def token_hash(token: str) -> str:
    """Store only this (tokens are random, so a plain SHA-256 is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_token(secret_key: str, purpose: str, *parts: str) -> str:
    """A token derived with HMAC from the app secret (nothing to store)."""
    msg = ":".join((purpose, *parts)).encode()
    digest = hmac.new(secret_key.encode(), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class ClockTimestampSigner(TimestampSigner):
    """itsdangerous' timestamp signer stamped with `app.core.clock` time, so tests can make a
    signed link expire by moving the clock (customers' links: refund accounts, bookings)."""

    def get_timestamp(self) -> int:
        from app.core import clock

        return int(clock.now().timestamp())
