"""The trace (seed 001 Appendix B): one search → one timeline across web and worker.

`find(query)` recognises a booking code, a payment id, a payout id, a bank
statement line id or a request id, collects what belongs to it (the booking's
payments, refunds, payouts and statement lines; every request id seen on
them), and gathers, in time order:

- audit events (app.core.audit): who changed what, from which request;
- job runs (app.observability.jobs): background work caused by those requests or
  working on those messages, payouts and refunds, with job ids and outcomes;
- messages (the outbox): what was sent to the guest, when, how it ended;
- money movements (the ledger): every charge, deposit, refund and payout.

Read-only. Bounded: at most MAX_ROWS rows of each kind and MAX_REQUEST_IDS request ids.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.extensions import db

MAX_ROWS = 300
MAX_REQUEST_IDS = 50
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
_BOOKING_CODE = re.compile(r"^FD-?[0-9A-Z]{6}$")

#: What the search found, in words (the kinds of things one can search for).
KIND_LABELS = {"booking": _l("Booking"), "payment": _l("Payment"), "payout": _l("Payout"),
               "statement_line": _l("Bank statement line"), "request": _l("Request")}
#: Timeline lanes.
LANE_LABELS = {"audit": _l("Change"), "job": _l("Background task"), "message": _l("Message"),
               "money": _l("Money")}

#: Audit actions in plain words (the code stays in the details). Unlisted ones use ENTITY_LABELS.
ACTION_LABELS: dict[str, Any] = {
    "reservation.created": _l("The booking was made"),
    "reservation.status": _l("The booking's status changed"),
    "reservation.changed": _l("The booking was changed"),
    "reservation.room_assigned": _l("A room was assigned"),
    "reservation.note_added": _l("A note was added"),
    "reservation.payment_shortfall": _l("Less money arrived than the booking costs"),
    "payment.started": _l("A payment was started"),
    "payment.completed": _l("The payment was received"),
    "payment.failed": _l("The payment did not go through"),
    "payment.canceled": _l("The payment was canceled"),
    "payment.reversed": _l("The bank took the payment back"),
    "refund.requested": _l("A refund was requested"),
    "refund.status": _l("The refund's status changed"),
    "payout.requested": _l("A transfer was requested"),
    "payout.status": _l("The transfer's status changed"),
    "payout.delay_notified": _l("The guest was told the transfer is late"),
    "deposit.assigned": _l("A bank deposit was matched to the booking"),
    "deposit.manual_mark_paid": _l("Someone marked the booking as paid"),
    "notification.sent": _l("A message was sent"),
    "notification.failed": _l("A message could not be sent"),
    "notification.retry": _l("A message will be tried again"),
    "notification.skipped": _l("A message was not needed any more"),
    "conflict.resolved": _l("A booking conflict was handled"),
    "compensation.given": _l("Compensation was given"),
}
ENTITY_LABELS: dict[str, Any] = {
    "reservation": _l("Booking"), "payment": _l("Payment"), "refund": _l("Refund"), "payout": _l("Transfer"),
    "statement_line": _l("Bank statement line"), "deposit": _l("Bank deposit"), "notification": _l("Message"),
    "outbox_message": _l("Message"), "conflict": _l("Booking conflict"),
}
#: Background jobs by function, in plain words.
JOB_LABELS: dict[str, Any] = {
    "workers.jobs.notifications.send_message": _l("Sending a message"),
    "workers.jobs.notifications.ring_doorbells": _l("Preparing messages"),
    "workers.jobs.notifications.relay_outbox": _l("Checking for unsent messages"),
    "workers.jobs.remittance.run_payout_attempt": _l("Sending a transfer to the bank"),
    "workers.jobs.remittance.sweep_payouts": _l("Checking transfers"),
    "workers.jobs.refunds.run_card_refund": _l("Refunding the card"),
    "workers.jobs.refunds.run_refund_check": _l("Asking the card company about a refund"),
    "workers.jobs.booking.expire_holds": _l("Ending unpaid holds"),
    "workers.jobs.booking.expire_holds_helper": _l("Ending unpaid holds"),
    "workers.jobs.payments.settle_pending_card_payments": _l("Checking card payments"),
}
JOB_STATUS_LABELS = {"started": _l("running (or stopped without an answer)"), "finished": _l("done"),
                     "failed": _l("failed")}
MESSAGE_STATUS_LABELS = {"pending": _l("waiting to be sent"), "sending": _l("being sent"), "sent": _l("sent"),
                         "skipped": _l("not needed any more"), "failed": _l("could not be sent")}
CHANNEL_LABELS = {"email": _l("Email"), "sms": _l("Text message")}
MONEY_LABELS: dict[str, Any] = {
    "card_charge": _l("Card payment received"), "card_refund": _l("Card refund paid"),
    "bank_deposit": _l("Bank transfer received"), "deposit_reversal": _l("Bank took a deposit back"),
    "refund_payout": _l("Refund sent to the guest's account"), "payout_return": _l("A transfer came back"),
    "settlement_payout": _l("Payment to a partner"), "bank_fee": _l("Bank fee"),
    "unrelated": _l("Bank money not for a booking"), "coupon_issued": _l("Coupon given"),
}


@dataclass
class Entry:
    at: datetime
    lane: str                       # audit | job | message | money
    title: str
    who: str = ""
    where: str = ""                 # web | worker
    ok: bool | None = None          # False: something went wrong here
    amount: int | None = None
    currency: str | None = None
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)   # codes and ids, folded on the page


@dataclass
class Trace:
    query: str
    kind: str | None = None               # what the query was recognised as; None: nothing found
    reservation_codes: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.kind is not None


def normalize(query: str | None) -> str | None:
    """The query when it is a plausible id (letters, digits and . _ : -; at most 100), else None."""
    query = (query or "").strip()
    return query if _SAFE.match(query) else None


def find(query: str | None) -> Trace:
    """The timeline of whatever `query` names (see module doc). Read-only."""
    from app.booking.models import Reservation
    from app.deposits.models import StatementLine
    from app.payments.models import Payment
    from app.remittance.models import Payout

    q = normalize(query)
    trace = Trace(query=(query or "").strip()[:100])
    if q is None:
        return trace
    reservations: set[int] = set()
    payments: set[int] = set()
    payouts: set[int] = set()
    lines: set[int] = set()
    request_ids: set[str] = set()

    upper = q.upper()
    if _BOOKING_CODE.match(upper):
        rid = db.session.scalar(select(Reservation.id).where(Reservation.code == upper.replace("-", "")))
        if rid is not None:
            trace.kind = "booking"
            reservations.add(rid)
    if trace.kind is None:
        payment = db.session.execute(select(Payment.id, Payment.reservation_id).where(Payment.public_id == q)).first()
        if payment is not None:
            trace.kind = "payment"
            payments.add(payment.id)
            reservations.add(payment.reservation_id)
    if trace.kind is None:
        payout = db.session.execute(select(Payout.id, Payout.reservation_id).where(Payout.public_id == q)).first()
        if payout is not None:
            trace.kind = "payout"
            payouts.add(payout.id)
            if payout.reservation_id:
                reservations.add(payout.reservation_id)
    if trace.kind is None:
        line = db.session.execute(select(StatementLine.id, StatementLine.payout_id)
                                  .where(StatementLine.public_id == q)).first()
        if line is not None:
            trace.kind = "statement_line"
            lines.add(line.id)
            if line.payout_id:
                payouts.add(line.payout_id)
    if trace.kind is None and _request_id_known(q):
        trace.kind = "request"
        request_ids.add(q)
    if trace.kind is None:
        return trace

    _expand(reservations, payments, payouts, lines, request_ids)
    trace.request_ids = sorted(request_ids)[:MAX_REQUEST_IDS]
    trace.reservation_codes = [c for c in db.session.scalars(
        select(Reservation.code).where(Reservation.id.in_(sorted(reservations))))] if reservations else []
    rq = set(trace.request_ids)
    entries = (_audit_entries(reservations, payments, payouts, lines, rq)
               + _message_entries(reservations, rq)
               + _money_entries(reservations, payments, payouts, lines, rq))
    entries += _job_entries(rq, _expected_job_prefixes(reservations, payouts))
    trace.entries = sorted(entries, key=lambda e: (e.at, _LANE_ORDER[e.lane]))
    return trace


_LANE_ORDER = {"audit": 0, "money": 1, "message": 2, "job": 3}


def _request_id_known(q: str) -> bool:
    from app.core.audit import AuditEvent
    from app.ledger.models import LedgerEntry
    from app.notifications.models import OutboxMessage
    from app.observability.models import JobRun

    for model in (AuditEvent, JobRun, OutboxMessage, LedgerEntry):
        if db.session.scalar(select(model.id).where(model.request_id == q).limit(1)) is not None:
            return True
    return False


def _expand(reservations: set[int], payments: set[int], payouts: set[int], lines: set[int],
            request_ids: set[str]) -> None:
    """Add what belongs together: a booking's payments, payouts and lines; the request's booking."""
    from app.core.audit import AuditEvent
    from app.ledger.models import LedgerEntry
    from app.payments.models import Payment
    from app.remittance.models import Payout

    if request_ids:   # a request id: the bookings it touched
        reservations.update(r for r in db.session.scalars(
            select(AuditEvent.reservation_id).where(AuditEvent.request_id.in_(sorted(request_ids)),
                                                    AuditEvent.reservation_id.is_not(None)).limit(MAX_ROWS)))
    if lines:
        for row in db.session.execute(select(LedgerEntry.reservation_id, LedgerEntry.payout_id)
                                      .where(LedgerEntry.statement_line_id.in_(sorted(lines))).limit(MAX_ROWS)):
            if row.reservation_id:
                reservations.add(row.reservation_id)
            if row.payout_id:
                payouts.add(row.payout_id)
    if reservations:
        payments.update(db.session.scalars(select(Payment.id).where(Payment.reservation_id.in_(sorted(reservations)))
                                           .limit(MAX_ROWS)))
        payouts.update(db.session.scalars(select(Payout.id).where(Payout.reservation_id.in_(sorted(reservations)))
                                          .limit(MAX_ROWS)))
        lines.update(l for l in db.session.scalars(
            select(LedgerEntry.statement_line_id).where(LedgerEntry.reservation_id.in_(sorted(reservations)),
                                                        LedgerEntry.statement_line_id.is_not(None)).limit(MAX_ROWS)))
    # every request that touched these: the booking's own, the operator's, the webhook's
    found = select(AuditEvent.request_id).where(AuditEvent.request_id.is_not(None), or_(
        AuditEvent.reservation_id.in_(list(reservations) or [-1]),
        _entity_match(AuditEvent, payments, payouts, lines))).distinct().limit(MAX_REQUEST_IDS)
    request_ids.update(db.session.scalars(found))


def _entity_match(AuditEvent, payments, payouts, lines):
    from app.deposits.models import StatementLine
    from app.payments.models import Payment
    from app.remittance.models import Payout

    keys: list = []
    for model, ids, kind in ((Payment, payments, "payment"), (Payout, payouts, "payout"),
                             (StatementLine, lines, "statement_line")):
        if not ids:
            continue
        values = [str(i) for i in ids] + list(db.session.scalars(select(model.public_id).where(model.id.in_(sorted(ids)))))
        keys.append((AuditEvent.entity_type == kind) & AuditEvent.entity_id.in_(values))
    return or_(*keys) if keys else (AuditEvent.id == -1)


def _audit_entries(reservations, payments, payouts, lines, request_ids) -> list[Entry]:
    from app.core.audit import AuditEvent

    conditions = [_entity_match(AuditEvent, payments, payouts, lines)]
    if reservations:
        conditions.append(AuditEvent.reservation_id.in_(sorted(reservations)))
    if request_ids:
        conditions.append(AuditEvent.request_id.in_(sorted(request_ids)))
    rows = db.session.scalars(select(AuditEvent).where(or_(*conditions))
                              .order_by(AuditEvent.created_at, AuditEvent.id).limit(MAX_ROWS))
    out = []
    for e in rows:
        title = ACTION_LABELS.get(e.action)
        if title is None:
            title = ENTITY_LABELS.get(e.entity_type, _l("Record"))
        out.append(Entry(at=e.created_at, lane="audit", title=str(title), who=_who(e.actor_kind, e.actor_name),
                         where="worker" if e.actor_kind in ("system", "worker", "job") else "web",
                         ok=False if e.action.endswith(("failed", "refused", "abandoned")) else None,
                         request_id=e.request_id,
                         details={"action": e.action, "entity": f"{e.entity_type} {e.entity_id}",
                                  "states": f"{e.from_state or '—'} → {e.to_state or '—'}"
                                  if (e.from_state or e.to_state) else "",
                                  "reason": e.reason or "", "actor": f"{e.actor_kind} {e.actor_name}",
                                  "audit id": e.id}))
    return out


#: Who acted, for actors that are not a person with a name.
ACTOR_LABELS = {"system": _l("System"), "guest": _l("Guest")}


def _who(kind: str, name: str) -> str:
    """An operator's name; "System" or "Guest" for the others (their technical names go in the details)."""
    if kind == "operator":
        return name or ""
    return str(ACTOR_LABELS.get(kind, _l("System")))


def _message_entries(reservations, request_ids) -> list[Entry]:
    from app.notifications.models import OutboxMessage

    conditions = []
    if reservations:
        conditions.append(OutboxMessage.reservation_id.in_(sorted(reservations)))
    if request_ids:
        conditions.append(OutboxMessage.request_id.in_(sorted(request_ids)))
    if not conditions:
        return []
    out = []
    for m in db.session.scalars(select(OutboxMessage).where(or_(*conditions)).order_by(OutboxMessage.id)
                                .limit(MAX_ROWS)):
        channel = str(CHANNEL_LABELS.get(m.channel, m.channel))
        status = str(MESSAGE_STATUS_LABELS.get(m.status, m.status))
        out.append(Entry(at=m.sent_at or m.created_at, lane="message", title=f"{channel}: {status}",
                         where="worker" if m.sent_at else "web", ok=False if m.status == "failed" else None,
                         request_id=m.request_id,
                         details={"message id": m.id, "event": m.event, "status": m.status, "tries": m.attempts,
                                  "language": m.language, "subject": m.subject or "",
                                  "error": m.last_error or "", "provider": m.provider or ""}))
    return out


def _money_entries(reservations, payments, payouts, lines, request_ids) -> list[Entry]:
    from app.ledger.models import LedgerEntry

    conditions = []
    for column, ids in ((LedgerEntry.reservation_id, reservations), (LedgerEntry.payment_id, payments),
                        (LedgerEntry.payout_id, payouts), (LedgerEntry.statement_line_id, lines)):
        if ids:
            conditions.append(column.in_(sorted(ids)))
    if request_ids:
        conditions.append(LedgerEntry.request_id.in_(sorted(request_ids)))
    if not conditions:
        return []
    out = []
    for e in db.session.scalars(select(LedgerEntry).where(or_(*conditions)).order_by(LedgerEntry.occurred_at)
                                .limit(MAX_ROWS)):
        out.append(Entry(at=e.occurred_at, lane="money", title=str(MONEY_LABELS.get(e.kind, e.kind)),
                         amount=e.amount, currency=e.currency, request_id=e.request_id,
                         details={"ledger id": e.id, "kind": e.kind, "source": e.source, "actor": e.actor_name,
                                  "reference": e.external_ref or "", "undoes": e.undoes_id or ""}))
    return out


def _expected_job_prefixes(reservations, payouts) -> list[str]:
    """Job ids of work on these messages, payouts and refunds (app.core.jobs.job_id_for names)."""
    from app.notifications.models import OutboxMessage
    from app.refunds.models import Refund

    prefixes = [f"remittance-attempt-{p}-" for p in sorted(payouts)[:50]]
    if reservations:
        for mid in db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.reservation_id.in_(sorted(reservations)))
                                      .limit(50)):
            prefixes.append(f"notifications-send-{mid}-")
        for fid in db.session.scalars(select(Refund.id).where(Refund.reservation_id.in_(sorted(reservations))).limit(50)):
            prefixes += [f"refunds-card-{fid}", f"refunds-check-{fid}-"]
    return prefixes


def _job_entries(request_ids, prefixes: list[str]) -> list[Entry]:
    from app.observability.models import JobRun

    conditions = [JobRun.job_id.startswith(p, autoescape=True) for p in prefixes]
    if request_ids:
        conditions.append(JobRun.request_id.in_(sorted(request_ids)))
    if not conditions:
        return []
    out = []
    for run in db.session.scalars(select(JobRun).where(or_(*conditions)).order_by(JobRun.started_at, JobRun.id)
                                  .limit(MAX_ROWS)):
        label = str(JOB_LABELS.get(run.func, _l("Background task")))
        status = str(JOB_STATUS_LABELS.get(run.status, run.status))
        out.append(Entry(at=run.started_at, lane="job", title=f"{label}: {status}", where="worker",
                         ok=False if run.status == "failed" else (True if run.status == "finished" else None),
                         request_id=run.request_id,
                         details={"job id": run.job_id, "function": run.func, "queue": run.queue or "",
                                  "outcome": run.status, "finished": run.finished_at.isoformat()
                                  if run.finished_at else "", "error": run.error or ""}))
    return out
