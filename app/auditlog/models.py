"""What the audit-chain checks found, kept apart from the audit log itself.

One row per check or acknowledgement, append-only (the app's database role may
only SELECT and INSERT here, see app.auditlog.dbroles), in its own table so a
TRUNCATE of `audit_events` leaves it: the last good check is the checkpoint a
shortened or rebuilt chain is measured against.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import JSONType, UTCDateTime
from app.extensions import db

#: kind of a row: a check that found the chain intact (a checkpoint), one that found a new break,
#: and an admin's acknowledgement of the breaks listed in `problems`.
VERIFIED, BROKEN, ACKNOWLEDGED = "verified", "broken", "acknowledged"


class AuditCheckpoint(db.Model):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The chain as this check saw it: its last row, that row's hash, how many rows.
    last_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # [{"kind", "row_id", "fingerprint", ...}] (see app.auditlog.chain.Problem)
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_name: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_audit_checkpoints_kind_id", "kind", "id"),)
