"""Alert checks of the status page (app/alerts/rules.py rows status_update_overdue, rca_overdue)."""
from __future__ import annotations

from app.alerts.firing import Firing
from app.status import queries


def check_status_update_overdue() -> list[Firing]:
    """An open notice promised its next update at a time that has passed without one."""
    out = []
    for notice in queries.overdue_updates():
        last = notice.published_updates[-1]
        out.append(Firing(f"status:{notice.public_id}", {"severity": notice.severity,
                                                         "promised": last.next_update_at.isoformat()}))
    return out


def check_rca_overdue() -> list[Firing]:
    """A resolved S1/S2 incident has no published RCA 48 h / 72 h after resolution."""
    return [Firing(f"status:{n.public_id}", {"severity": n.severity}) for n in queries.rca_overdue()]
