"""Read helpers of the alert pages, Today and the navigation badge."""
from __future__ import annotations

from sqlalchemy import func, select

from app.alerts.models import Alert, AlertSilence, AlertStatus, OnCallEntry
from app.core import clock
from app.core.audit import AuditEvent
from app.extensions import db

LIST_LIMIT = 200


def count_open_unacknowledged() -> int:
    return db.session.scalar(select(func.count()).select_from(Alert).where(Alert.status == AlertStatus.OPEN)) or 0


def count_by_status() -> dict[str, int]:
    rows = db.session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
    return {status: 0 for status in AlertStatus.ALL} | dict(rows)


def list_alerts(status: str, *, severity: str | None = None, area: str | None = None, rule: str | None = None,
                limit: int = LIST_LIMIT) -> list[Alert]:
    """Open/acknowledged: most severe, then oldest first. Resolved: newest first (the history)."""
    query = select(Alert).where(Alert.status == status)
    if severity:
        query = query.where(Alert.severity == severity)
    if area:
        query = query.where(Alert.area == area)
    if rule:
        query = query.where(Alert.rule == rule)
    if status == AlertStatus.RESOLVED:
        query = query.order_by(Alert.resolved_at.desc(), Alert.id.desc())
    else:
        from sqlalchemy import case

        rank = case({"CRITICAL": 0, "WARNING": 1, "INFO": 2}, value=Alert.severity, else_=3)
        query = query.order_by(rank, Alert.opened_at, Alert.id)
    return list(db.session.scalars(query.limit(limit)))


def get_alert(public_id: str) -> Alert | None:
    if not isinstance(public_id, str) or len(public_id) > 40:
        return None
    return db.session.scalars(select(Alert).where(Alert.public_id == public_id)).first()


def timeline(alert: Alert) -> list[AuditEvent]:
    """What happened to the alert: opened, messages, escalations, acknowledgement, resolution."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "alert",
                                                            AuditEvent.entity_id == alert.public_id)
                                   .order_by(AuditEvent.id)))


def messages_of(alert: Alert) -> list:
    from app.notifications.models import OutboxMessage

    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"alert:{alert.id}:%"))
                                   .order_by(OutboxMessage.id)))


def list_silences() -> tuple[list[AlertSilence], list[AlertSilence]]:
    """(active or upcoming, ended — the last 50)."""
    now = clock.now()
    active = list(db.session.scalars(select(AlertSilence).where(AlertSilence.ends_at > now,
                                                                AlertSilence.ended_early_at.is_(None))
                                     .order_by(AlertSilence.ends_at)))
    ended = list(db.session.scalars(select(AlertSilence).where(
        (AlertSilence.ends_at <= now) | AlertSilence.ended_early_at.is_not(None))
        .order_by(AlertSilence.id.desc()).limit(50)))
    return active, ended


def get_silence(public_id: str) -> AlertSilence | None:
    if not isinstance(public_id, str) or len(public_id) > 40:
        return None
    return db.session.scalars(select(AlertSilence).where(AlertSilence.public_id == public_id)).first()


def oncall_lists() -> dict[str, list[OnCallEntry]]:
    from app.alerts.policies import AREAS

    rows = db.session.scalars(select(OnCallEntry).order_by(OnCallEntry.area, OnCallEntry.position)).all()
    return {area: [r for r in rows if r.area == area] for area in AREAS}
