"""Read helpers of the status page (public page, banner, operator list, checks)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.status import policies, states
from app.status.models import StatusNotice


def get_notice(public: str) -> StatusNotice | None:
    if not isinstance(public, str) or len(public) > 40:
        return None
    return db.session.scalar(select(StatusNotice).where(StatusNotice.public_id == public))


def list_all(limit: int = 100) -> list[StatusNotice]:
    return list(db.session.scalars(select(StatusNotice).order_by(StatusNotice.id.desc()).limit(limit)))


def open_published() -> list[StatusNotice]:
    """Published notices that are not over (incidents first, newest first)."""
    rows = db.session.scalars(select(StatusNotice).where(
        StatusNotice.published_at.is_not(None),
        StatusNotice.status.not_in(tuple(states.FINAL))).order_by(StatusNotice.published_at.desc()))
    return sorted(rows, key=lambda n: n.kind != states.INCIDENT)


def history(now: datetime | None = None) -> list[StatusNotice]:
    """Published notices that ended within STATUS_HISTORY_DAYS (default 90), newest first."""
    now = now or clock.now()
    since = now - timedelta(days=current_app.config.get("STATUS_HISTORY_DAYS", 90))
    return list(db.session.scalars(select(StatusNotice).where(
        StatusNotice.published_at.is_not(None), StatusNotice.status.in_(tuple(states.FINAL)),
        StatusNotice.resolved_at >= since).order_by(StatusNotice.resolved_at.desc())))


def is_active(notice: StatusNotice, now: datetime) -> bool:
    """Affecting the service now: an open incident, or maintenance under way (by status or by the clock)."""
    if notice.kind == states.INCIDENT:
        return notice.status not in states.FINAL
    return notice.status == states.IN_PROGRESS or (
        notice.status == states.SCHEDULED and notice.scheduled_start is not None
        and notice.scheduled_start <= now < (notice.scheduled_end or notice.scheduled_start))


def component_levels(notices: list[StatusNotice] | None = None, now: datetime | None = None) -> dict[str, str]:
    """Each component's level now: the worst of the active published notices touching it."""
    now = now or clock.now()
    notices = open_published() if notices is None else notices
    levels: dict[str, list[str]] = {c: [] for c in states.COMPONENTS}
    for notice in notices:
        if not is_active(notice, now):
            continue
        for component, level in (notice.components or {}).items():
            if component in levels:
                levels[component].append(level)
    return {c: policies.worst_level(lv) for c, lv in levels.items()}


def banner_notices(now: datetime | None = None) -> list[StatusNotice]:
    """What the booking pages announce: open incidents, maintenance under way, and maintenance
    starting within 24 hours."""
    now = now or clock.now()
    shown = []
    for notice in open_published():
        if is_active(notice, now):
            shown.append(notice)
        elif notice.kind == states.PLANNED and notice.scheduled_start is not None \
                and now < notice.scheduled_start <= now + policies.BANNER_AHEAD:
            shown.append(notice)
    return shown


def overdue_updates(now: datetime | None = None) -> list[StatusNotice]:
    """Open published notices whose last update promised a next one that has not come."""
    now = now or clock.now()
    out = []
    for notice in open_published():
        last = notice.published_updates[-1] if notice.published_updates else None
        if last is not None and last.next_update_at is not None and last.next_update_at < now:
            out.append(notice)
    return out


def rca_overdue(now: datetime | None = None) -> list[StatusNotice]:
    """Resolved S1/S2 incidents whose RCA is not published within 48 h / 72 h."""
    now = now or clock.now()
    rows = db.session.scalars(select(StatusNotice).where(
        StatusNotice.kind == states.INCIDENT, StatusNotice.status == states.RESOLVED,
        StatusNotice.published_at.is_not(None), StatusNotice.rca_published_at.is_(None),
        StatusNotice.severity.in_(tuple(policies.RCA_DUE))))
    return [n for n in rows if policies.rca_due_at(n.severity, n.resolved_at) < now]


def rca_waiting() -> list[StatusNotice]:
    """Resolved S1/S2 incidents without a published RCA (due or not yet)."""
    return list(db.session.scalars(select(StatusNotice).where(
        StatusNotice.kind == states.INCIDENT, StatusNotice.status == states.RESOLVED,
        StatusNotice.published_at.is_not(None), StatusNotice.rca_published_at.is_(None),
        StatusNotice.severity.in_(tuple(policies.RCA_DUE)))))


def summary_body(now: datetime | None = None) -> dict:
    """GET /v1/status: component levels and open notices (published texts only)."""
    now = now or clock.now()
    notices = open_published()
    return {"generatedAt": now.isoformat(), "components": component_levels(notices, now),
            "notices": [notice_body(n) for n in notices]}


def notice_body(notice: StatusNotice) -> dict:
    def iso(v):
        return v.isoformat() if v else None

    return {"id": notice.public_id, "kind": notice.kind, "severity": notice.severity, "status": notice.status,
            "components": notice.components, "startedAt": iso(notice.started_at),
            "scheduledStart": iso(notice.scheduled_start), "scheduledEnd": iso(notice.scheduled_end),
            "publishedAt": iso(notice.published_at), "resolvedAt": iso(notice.resolved_at),
            "rcaPublished": notice.rca_published_at is not None,
            "updates": [{"status": u.status, "texts": u.texts, "publishedAt": iso(u.published_at),
                         "nextUpdateAt": iso(u.next_update_at)} for u in notice.updates
                        if u.published_at is not None or not notice.is_published]}
