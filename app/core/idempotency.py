"""Idempotency keys (DESIGN invariant 3).

The key row is inserted in the same transaction as the work it protects and
holds the first response. On PostgreSQL a concurrent duplicate blocks on the
unique index until the first commits, then finds the stored response; on
SQLite BEGIN IMMEDIATE serialises them. Same key + same body replays the
response; same key + another body is refused with 422.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import JSONType, UTCDateTime, utcnow_default
from app.core.errors import IdempotencyConflict, ValidationFailed
from app.extensions import db

MAX_KEY_LENGTH = 255


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    resource_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (UniqueConstraint("scope", "key"),)


def fingerprint(payload: Any) -> str:
    """A stable hash of the request body (key order and spacing ignored)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: Any, field: str = "idempotencyKey") -> str:
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed(fields={field: "An idempotency key is required (header Idempotency-Key or body field idempotencyKey)."})
    key = key.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(fields={field: f"At most {MAX_KEY_LENGTH} characters."})
    return key


def find(scope: str, key: str) -> IdempotencyKey | None:
    return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key))


def check_replay(row: IdempotencyKey, fp: str) -> IdempotencyKey:
    """Raise 422 when the same key came with another body; else return the row."""
    if row.fingerprint != fp:
        raise IdempotencyConflict()
    return row


def claim(scope: str, key: str, fp: str, ttl_hours: int, *, response_status: int | None = None,
          response_body: dict[str, Any] | None = None, resource_id: str | None = None) -> IdempotencyKey:
    """Insert the key row in the current transaction (flushes: a duplicate
    raises IntegrityError, after waiting for the other transaction on PostgreSQL).

    A caller that already knows its response may store it here, saving the
    UPDATE at commit; nobody sees it before the transaction commits anyway.
    """
    now = clock.now()
    row = IdempotencyKey(scope=scope, key=key, fingerprint=fp, created_at=now,
                         expires_at=now + timedelta(hours=ttl_hours), response_status=response_status,
                         response_body=response_body, resource_id=resource_id)
    db.session.add(row)
    db.session.flush()
    return row


def purge_expired() -> int:
    """Delete keys past their expiry (kept at least 24 hours). Safe to run twice."""
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < clock.now()))
    db.session.commit()
    return result.rowcount or 0
