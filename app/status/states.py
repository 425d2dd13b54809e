"""Statuses of the status page: component levels, incident and maintenance lifecycles.

One transition table per lifecycle (seed 002 D). `next_state()` raises IllegalTransition
for a move the table does not allow; staying in the same state is allowed (a new update
without a status change).
"""
from __future__ import annotations

from app.core.errors import IllegalTransition

# Component levels, best first; a component's shown level is the worst of its open notices.
OPERATIONAL = "operational"
DEGRADED = "degraded"
PARTIAL_OUTAGE = "partial_outage"
MAJOR_OUTAGE = "major_outage"
MAINTENANCE = "maintenance"
COMPONENT_LEVELS = (OPERATIONAL, DEGRADED, PARTIAL_OUTAGE, MAJOR_OUTAGE, MAINTENANCE)
#: How bad a level is (for "the worst of"): maintenance is planned, so it ranks below a real outage.
LEVEL_RANK = {OPERATIONAL: 0, MAINTENANCE: 1, DEGRADED: 2, PARTIAL_OUTAGE: 3, MAJOR_OUTAGE: 4}

#: The components of seed 002 D, in the order the page shows them.
COMPONENTS = ("booking_pages", "api", "payments", "bank_transfers", "notifications", "back_office")

INCIDENT = "incident"
PLANNED = "maintenance"
KINDS = (INCIDENT, PLANNED)

INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED = "investigating", "identified", "monitoring", "resolved"
SCHEDULED, IN_PROGRESS, COMPLETED = "scheduled", "in_progress", "completed"

#: kind → status → the statuses it may move to.
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    INCIDENT: {
        INVESTIGATING: frozenset({IDENTIFIED, MONITORING, RESOLVED}),
        IDENTIFIED: frozenset({MONITORING, RESOLVED, INVESTIGATING}),
        MONITORING: frozenset({RESOLVED, INVESTIGATING, IDENTIFIED}),
        RESOLVED: frozenset(),
    },
    PLANNED: {
        SCHEDULED: frozenset({IN_PROGRESS, COMPLETED}),
        IN_PROGRESS: frozenset({COMPLETED}),
        COMPLETED: frozenset(),
    },
}
FIRST_STATUS = {INCIDENT: INVESTIGATING, PLANNED: SCHEDULED}
FINAL = {RESOLVED, COMPLETED}
STATUSES = {kind: tuple(table) for kind, table in TRANSITIONS.items()}


def next_state(kind: str, current: str, wanted: str) -> str:
    """`wanted` when the table allows it from `current` (or it is `current` and not final)."""
    table = TRANSITIONS.get(kind, {})
    if wanted not in table:
        raise IllegalTransition(fields={"status": "unknown status"})
    if wanted == current and current not in FINAL:
        return wanted
    if wanted not in table.get(current, frozenset()):
        raise IllegalTransition()
    return wanted
