"""Models of the back office's own records: the shift handover note (seed 001 §2.3)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import JSONType, UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db


class HandoverNote(TimestampMixin, db.Model):
    """What the closing shift hands over: a note, and the open items counted at that moment.

    The next shift reads the latest note on Today's morning check and acknowledges it
    (who, when); a note is never edited after it is written.
    """

    __tablename__ = "shift_handover_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    # Today item key → {"title": text at writing time, "count": n}; a snapshot, not live.
    open_items: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), nullable=False)
    written_by_name: Mapped[str] = mapped_column(String(200), nullable=False)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    acknowledged_by_name: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_shift_handover_notes_created_at", "created_at"),)

    @property
    def open_total(self) -> int:
        return sum(int(v.get("count") or 0) for v in (self.open_items or {}).values())
