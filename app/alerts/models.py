"""Alerts, silences and the on-call lists (seeds 000 §1, 001 §7 and §10).

An Alert is one incident of one rule about one subject (Alertmanager's
fingerprint: rule + subject). At most one alert per (rule, subject) is open or
acknowledged at a time: a partial unique index enforces it in the database, so
two evaluators running at once open it once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime, utcnow_default
from app.core.models import TimestampMixin
from app.extensions import db


class AlertStatus:
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    ALL = (OPEN, ACKNOWLEDGED, RESOLVED)
    ACTIVE = (OPEN, ACKNOWLEDGED)


#: The condition of the partial unique index (the same text on both databases).
ACTIVE_WHERE = "status IN ('open', 'acknowledged')"


class Alert(TimestampMixin, db.Model):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    rule: Mapped[str] = mapped_column(String(60), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)       # CRITICAL | WARNING | INFO
    area: Mapped[str] = mapped_column(String(20), nullable=False)           # transactions | system | security | money
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.OPEN, nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notifications_sent: Mapped[int] = mapped_column(default=0, nullable=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    # 0 = the 1st person of the area's on-call list; 1 = the 2nd; 2 = the 3rd.
    escalation_step: Mapped[int] = mapped_column(default=0, nullable=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_how: Mapped[str | None] = mapped_column(String(10))           # cleared | operator
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # The silence that held back its last notification (None: not silenced then).
    silenced_by_id: Mapped[int | None] = mapped_column(ForeignKey("alert_silences.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)

    acknowledged_by = relationship("Operator", foreign_keys=[acknowledged_by_id])
    resolved_by = relationship("Operator", foreign_keys=[resolved_by_id])
    silenced_by = relationship("AlertSilence", foreign_keys=[silenced_by_id])

    __table_args__ = (
        CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="alert_status_known"),
        CheckConstraint("severity IN ('CRITICAL', 'WARNING', 'INFO')", name="alert_severity_known"),
        Index("uq_alerts_active_rule_subject", "rule", "subject", unique=True,
              postgresql_where=text(ACTIVE_WHERE), sqlite_where=text(ACTIVE_WHERE)),
        Index("ix_alerts_status_opened", "status", "opened_at"),
        Index("ix_alerts_rule_subject", "rule", "subject"),
    )

    @property
    def is_active(self) -> bool:
        return self.status in AlertStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<Alert {self.rule} {self.subject} {self.status}>"


class AlertSilence(TimestampMixin, db.Model):
    """Hold back notifications of a rule (or of one subject of it) until `ends_at`.
    The alerts are still recorded and shown; only the messages wait."""

    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    rule: Mapped[str] = mapped_column(String(60), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(200))   # None: every subject of the rule
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_by_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_early_by_name: Mapped[str | None] = mapped_column(String(200))

    created_by = relationship("Operator", foreign_keys=[created_by_id])

    __table_args__ = (Index("ix_alert_silences_rule_ends", "rule", "ends_at"),)


class OnCallEntry(TimestampMixin, db.Model):
    """One person of an area's on-call list: position 1 is called first, then 2, then 3
    (seed 001 §10.1). Either an operator (their email and language) or a plain address."""

    __tablename__ = "alert_oncall_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(20), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(2), default="ko", nullable=False)

    operator = relationship("Operator")

    __table_args__ = (
        CheckConstraint("position BETWEEN 1 AND 3", name="oncall_position_range"),
        Index("uq_alert_oncall_area_position", "area", "position", unique=True),
    )
