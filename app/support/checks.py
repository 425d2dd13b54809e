"""Alert checks of the support SLA clocks (rules support_sla_* in app.alerts.rules).

Subjects are "ticket:<public id>:<clock>", so the alert engine sends each once, repeats it on
schedule and resolves it by itself when the clock is met or stops (a reply, waiting on the
customer, resolved). Read-only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.alerts.firing import Firing
from app.core import clock
from app.extensions import db
from app.support import policies
from app.support.models import Ticket
from app.support.policies import TicketStatus

URGENT = (policies.S1, policies.S2)


def running_clocks(ticket: Ticket, now: datetime) -> list[tuple[str, datetime]]:
    """(clock, due) for each clock that is running now. A ticket waiting on the customer has none."""
    if ticket.status not in (TicketStatus.NEW, TicketStatus.OPEN):
        return []
    cal = policies.CALENDARS.get(ticket.queue, policies.CALENDARS["KR"])
    pauses = ticket.pause_spans
    clocks = []
    if ticket.first_responded_at is None:
        due = policies.compute_due(ticket.created_at, ticket.severity, policies.FIRST_RESPONSE, cal, pauses, now)
        clocks.append((policies.FIRST_RESPONSE, due))
    elif ticket.last_reply_at is not None:
        later = [(a, b) for a, b in pauses if (b or now) > ticket.last_reply_at]
        due = policies.compute_due(ticket.last_reply_at, ticket.severity, policies.UPDATE, cal, later, now)
        if due is not None:
            clocks.append((policies.UPDATE, due))
    due = policies.compute_due(ticket.created_at, ticket.severity, policies.RESOLUTION, cal, pauses, now)
    clocks.append((policies.RESOLUTION, due))
    return clocks


def _active() -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).where(Ticket.status.in_((TicketStatus.NEW, TicketStatus.OPEN)))))


def _firing(ticket: Ticket, clock_name: str, due: datetime, now: datetime) -> Firing:
    return Firing(f"ticket:{ticket.public_id}:{clock_name}",
                  {"ticket": ticket.public_id, "severity": ticket.severity, "clock": clock_name,
                   "due": due.isoformat(), "minutes_left": int((due - now).total_seconds() // 60),
                   "queue": ticket.queue})


def check_sla_warning() -> list[Firing]:
    """A clock due within the next 15 minutes (not yet past)."""
    now = clock.now()
    return [_firing(t, name, due, now) for t in _active() for name, due in running_clocks(t, now)
            if now < due <= now + policies.WARN_BEFORE]


def _breached(urgent: bool) -> list[Firing]:
    now = clock.now()
    return [_firing(t, name, due, now) for t in _active() if (t.severity in URGENT) == urgent
            for name, due in running_clocks(t, now) if due <= now]


def check_sla_breached_urgent() -> list[Firing]:
    """S1/S2 clocks past due (CRITICAL)."""
    return _breached(True)


def check_sla_breached() -> list[Firing]:
    """S3/S4 clocks past due (WARNING)."""
    return _breached(False)
