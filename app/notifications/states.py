"""Outbox message statuses and their one transition table.

    pending → sending → sent
                      → skipped   (no longer true at send time)
                      → pending   (a temporary failure: tried again at next_attempt_at;
                                   or the worker stopped mid-send and the relay took it back)
                      → failed    (the last try failed, or the provider refused for good)
    failed → pending              (a person pressed Resend)

The row's status is the truth about a message: a job that finds it anything
but `pending` does nothing, so a job run twice never sends twice.
"""
from __future__ import annotations

from enum import StrEnum

from app.core.errors import IllegalTransition


class OutboxStatus(StrEnum):
    PENDING = "pending"    # waiting to be sent (or to be retried at next_attempt_at)
    SENDING = "sending"    # a worker claimed it
    SENT = "sent"          # the provider accepted it (or, in development, it was kept on the row)
    SKIPPED = "skipped"    # no longer true at send time (e.g. already paid)
    FAILED = "failed"      # gave up after the last try; shown in "failed messages"


O = OutboxStatus

TRANSITIONS: dict[OutboxStatus, frozenset[OutboxStatus]] = {
    O.PENDING: frozenset({O.SENDING}),
    O.SENDING: frozenset({O.SENT, O.SKIPPED, O.PENDING, O.FAILED}),
    O.FAILED: frozenset({O.PENDING}),
    O.SENT: frozenset(),
    O.SKIPPED: frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    return OutboxStatus(target) in TRANSITIONS[OutboxStatus(current)]


def next_state(current: str, target: str) -> OutboxStatus:
    """`target` if the table allows current → target, else IllegalTransition."""
    if not can_transition(current, target):
        raise IllegalTransition(fields={"status": f"{current} → {target} is not allowed"},
                                current=current, target=target)
    return OutboxStatus(target)
