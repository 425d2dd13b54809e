"""Read helpers of the support pages, the Today item and the monthly report."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean, median
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.core import clock
from app.extensions import db
from app.support import policies
from app.support.checks import running_clocks
from app.support.models import Ticket
from app.support.policies import TicketStatus


@dataclass
class QueueRow:
    ticket: Ticket
    clock: str | None
    due: datetime | None
    near: bool
    breached: bool


def next_due(ticket: Ticket, now: datetime) -> tuple[str | None, datetime | None]:
    clocks = running_clocks(ticket, now)
    if not clocks:
        return None, None
    name, due = min(clocks, key=lambda c: c[1])
    return name, due


def list_queue(queue: str | None = None, include_waiting: bool = True) -> list[QueueRow]:
    """Active tickets, most urgent first: past due, then by the nearest due time; waiting ones last."""
    now = clock.now()
    statuses = TicketStatus.ACTIVE if include_waiting else (TicketStatus.NEW, TicketStatus.OPEN)
    query = select(Ticket).where(Ticket.status.in_(statuses))
    if queue in policies.QUEUES:
        query = query.where(Ticket.queue == queue)
    rows = []
    for ticket in db.session.scalars(query):
        name, due = next_due(ticket, now)
        rows.append(QueueRow(ticket, name, due, bool(due and now < due <= now + policies.WARN_BEFORE),
                             bool(due and due <= now)))
    far = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    rows.sort(key=lambda r: (r.due is None, r.due or far, r.ticket.severity))
    return rows


def count_attention() -> tuple[int, int]:
    """(near breach, past due) among running tickets."""
    rows = list_queue(include_waiting=False)
    return sum(r.near for r in rows), sum(r.breached for r in rows)


def list_recent_done(limit: int = 20) -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).where(Ticket.status.in_((TicketStatus.RESOLVED, TicketStatus.CLOSED)))
                                   .order_by(Ticket.updated_at.desc()).limit(limit)))


def ticket_history(ticket: Ticket) -> list:
    from app.core.audit import AuditEvent

    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "ticket",
                                                            AuditEvent.entity_id == ticket.public_id)
                                   .order_by(AuditEvent.created_at, AuditEvent.id)))


@dataclass
class MonthReport:
    month: date
    created: int = 0
    by_severity: dict[str, dict] = field(default_factory=dict)
    first_response_minutes_median: float | None = None
    resolution_minutes_median: float | None = None
    update_compliance: float | None = None
    csat_average: float | None = None
    csat_count: int = 0


def month_bounds(month: date, tz: str = "Asia/Seoul") -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=zone)
    return start, end


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def monthly_report(month: date) -> MonthReport:
    """Seed 002 H for the tickets opened in `month` (Korean calendar month): first response and resolution
    times (medians, wall minutes), update-interval compliance, CSAT, SLA compliance per severity against
    its target. A ticket meets its SLA when every clock that stopped was met and no update was late;
    tickets still running count only once a clock was missed."""
    start, end = month_bounds(month)
    tickets = list(db.session.scalars(select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)))
    report = MonthReport(month=month, created=len(tickets))
    firsts = [(t.first_responded_at - t.created_at).total_seconds() / 60 for t in tickets if t.first_responded_at]
    resolutions = [(t.resolved_at - t.created_at).total_seconds() / 60 for t in tickets if t.resolved_at]
    report.first_response_minutes_median = round(median(firsts), 1) if firsts else None
    report.resolution_minutes_median = round(median(resolutions), 1) if resolutions else None
    sent = sum(t.updates_sent for t in tickets)
    late = sum(t.updates_late for t in tickets)
    report.update_compliance = _pct(sent - late, sent)
    scores = [t.csat_score for t in tickets if t.csat_score]
    report.csat_average = round(mean(scores), 2) if scores else None
    report.csat_count = len(scores)
    for severity in policies.SEVERITIES:
        mine = [t for t in tickets if t.severity == severity]
        judged = [t for t in mine if t.resolution_met is not None or t.first_response_met is False
                  or t.updates_late]
        met = [t for t in judged if t.first_response_met is not False and t.resolution_met is not False
               and not t.updates_late]
        target = policies.SLA_COMPLIANCE_TARGETS.get(severity)
        rate = _pct(len(met), len(judged))
        report.by_severity[severity] = {"total": len(mine), "judged": len(judged), "met": len(met), "rate": rate,
                                        "target": target,
                                        "ok": None if rate is None or target is None else rate >= target}
    return report


def parse_month(value: str | None) -> date:
    """'2026-12' → date(2026, 12, 1); anything else → this month (Korean time)."""
    today = clock.local_today("Asia/Seoul")
    try:
        year, mon = (int(x) for x in (value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= mon <= 12:
            return date(year, mon, 1)
    except ValueError:
        pass
    return today.replace(day=1)


def time_left_minutes(due: datetime | None) -> int | None:
    if due is None:
        return None
    return int((due - clock.now()) // timedelta(minutes=1))
