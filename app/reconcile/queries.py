"""Read helpers of the reconciliation pages, the API, the CLI and Today. Read-only."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from app.core import clock
from app.core.audit import AuditEvent
from app.extensions import db
from app.reconcile.models import ReconciliationItem, ReconciliationRun, SettlementFile
from app.reconcile.policies import (
    EXTERNAL_ONLY,
    GHOST_TRANSACTION,
    KOREA,
    MISMATCH_TYPES,
    SOURCE_ORDER,
    TYPE_ORDER,
    ItemStatus,
    RunStatus,
    meets_slo,
)

LIST_LIMIT = 200
#: Types that need a person at once, whatever their due time (seed 001 §3.3 "즉시").
URGENT_TYPES = (GHOST_TRANSACTION, EXTERNAL_ONLY)


def korean_today() -> date:
    return clock.now().astimezone(KOREA).date()


@dataclass
class SourceSummary:
    source: str
    run: ReconciliationRun | None
    open_by_type: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def open_count(self) -> int:
        return sum(self.open_by_type.values())

    @property
    def meets_slo(self) -> bool:
        return self.run is not None and self.run.status == RunStatus.COMPLETED and meets_slo(self.run.match_rate)


def day_summary(day: date) -> list[SourceSummary]:
    """Per source: the run (or None), its open items by type and how many are past due."""
    runs = {r.source: r for r in db.session.scalars(select(ReconciliationRun).where(
        ReconciliationRun.business_date == day))}
    now = clock.now()
    summaries = {s: SourceSummary(s, runs.get(s)) for s in SOURCE_ORDER}
    rows = db.session.execute(select(ReconciliationItem.source, ReconciliationItem.type, func.count(),
                                     func.sum(case((ReconciliationItem.due_at <= now, 1), else_=0)))
                              .where(ReconciliationItem.business_date == day,
                                     ReconciliationItem.status == ItemStatus.OPEN)
                              .group_by(ReconciliationItem.source, ReconciliationItem.type))
    for source, kind, count, overdue in rows:
        summary = summaries[source]
        summary.open_by_type[kind] = count
        summary.overdue += int(overdue or 0)
    return [summaries[s] for s in SOURCE_ORDER]


def items_of_day(day: date) -> list[ReconciliationItem]:
    """The day's items: open ones first (soonest due first), then resolved ones."""
    return list(db.session.scalars(select(ReconciliationItem).options(joinedload(ReconciliationItem.owner))
                                   .where(ReconciliationItem.business_date == day)
                                   .order_by(case((ReconciliationItem.status == ItemStatus.OPEN, 0), else_=1),
                                             ReconciliationItem.due_at, ReconciliationItem.id)))


def list_items(*, status: str | None = ItemStatus.OPEN, source: str | None = None, kind: str | None = None,
               day: date | None = None, limit: int = LIST_LIMIT,
               offset: int = 0) -> tuple[list[ReconciliationItem], int]:
    """Items filtered, oldest due first; and how many there are in all."""
    stmt = select(ReconciliationItem)
    if status:
        stmt = stmt.where(ReconciliationItem.status == status)
    if source:
        stmt = stmt.where(ReconciliationItem.source == source)
    if kind:
        stmt = stmt.where(ReconciliationItem.type == kind)
    if day:
        stmt = stmt.where(ReconciliationItem.business_date == day)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    found = db.session.scalars(stmt.options(joinedload(ReconciliationItem.owner))
                               .order_by(ReconciliationItem.due_at, ReconciliationItem.id).limit(limit).offset(offset))
    return list(found), int(total or 0)


@dataclass
class RecentDay:
    day: date
    runs: dict[str, ReconciliationRun]
    open_items: int


def recent_days(count: int = 14) -> list[RecentDay]:
    """The last `count` days up to yesterday (Korea), each with its runs and open items."""
    last = korean_today() - timedelta(days=1)
    days = [last - timedelta(days=i) for i in range(count)]
    runs: dict[date, dict[str, ReconciliationRun]] = {d: {} for d in days}
    for run in db.session.scalars(select(ReconciliationRun).where(ReconciliationRun.business_date.in_(days))):
        runs[run.business_date][run.source] = run
    open_counts = dict(db.session.execute(select(ReconciliationItem.business_date, func.count()).where(
        ReconciliationItem.business_date.in_(days), ReconciliationItem.status == ItemStatus.OPEN)
        .group_by(ReconciliationItem.business_date)).all())
    return [RecentDay(d, runs[d], int(open_counts.get(d, 0))) for d in days]


@dataclass
class Urgent:
    count: int
    oldest_due: datetime | None
    failed_runs: int


def urgent_items() -> Urgent:
    """Today's 🛑: open items past their due time or of an "immediate" type, and runs that failed
    in the last two days (seed 001 §3.2: FAILED → escalate)."""
    now = clock.now()
    # Tasks, not rows: a booking with several differences is one thing to look at (its page shows
    # them all); a difference with no booking is a task of its own. A write-off asked of a second
    # person is the approver's task (the approvals item counts it).
    from sqlalchemy import case

    from app.approvals.queries import awaiting_approval

    bookings, loose, oldest = db.session.execute(select(
        func.count(func.distinct(ReconciliationItem.reservation_id)),
        func.coalesce(func.sum(case((ReconciliationItem.reservation_id.is_(None), 1), else_=0)), 0),
        func.min(ReconciliationItem.due_at)).where(
        ReconciliationItem.status == ItemStatus.OPEN,
        ReconciliationItem.id.not_in(awaiting_approval("reconciliation_item")),
        or_(ReconciliationItem.due_at <= now, ReconciliationItem.type.in_(URGENT_TYPES)))).one()
    count = int(bookings or 0) + int(loose or 0)
    since = korean_today() - timedelta(days=2)
    failed = db.session.scalar(select(func.count()).select_from(ReconciliationRun).where(
        ReconciliationRun.status == RunStatus.FAILED, ReconciliationRun.business_date >= since))
    if oldest is not None and oldest.tzinfo is None:
        from datetime import timezone
        oldest = oldest.replace(tzinfo=timezone.utc)
    return Urgent(int(count or 0), oldest, int(failed or 0))


def sort_types(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(t, counts[t]) for t in TYPE_ORDER if counts.get(t)]


def history_of(item: ReconciliationItem) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "reconciliation_item",
                                                            AuditEvent.entity_id == item.public_id)
                                   .order_by(AuditEvent.id)))


def files_of(day: date) -> list[SettlementFile]:
    return list(db.session.scalars(select(SettlementFile).where(SettlementFile.business_date == day)
                                   .order_by(SettlementFile.id.desc())))


@dataclass
class Related:
    """What an item's two sides point at, for links and plain words on its page."""
    reservation: Any = None
    payment: Any = None
    refund: Any = None
    payout: Any = None
    lines: list = field(default_factory=list)


def related_to(item: ReconciliationItem) -> Related:
    from app.booking.models import Reservation
    from app.deposits.models import StatementLine
    from app.payments.models import Payment
    from app.refunds.models import Refund
    from app.remittance.models import Payout

    facts = item.facts or {}
    found = Related()
    if item.reservation_id:
        found.reservation = db.session.get(Reservation, item.reservation_id)
    entries = (item.internal or {}).get("entries") or []
    payment_id = facts.get("payment_id") or next((e["paymentId"] for e in entries if e.get("paymentId")), None)
    if payment_id:
        found.payment = db.session.get(Payment, payment_id)
    refund_id = facts.get("refund_id") or next((e["refundId"] for e in entries if e.get("refundId")), None)
    if refund_id:
        found.refund = db.session.get(Refund, refund_id)
    payout_id = facts.get("payout_id") or next((e["payoutId"] for e in entries if e.get("payoutId")), None)
    if payout_id:
        found.payout = db.session.get(Payout, payout_id)
    line_ids = [ln["id"] for ln in (item.external or {}).get("lines") or []]
    if line_ids:
        found.lines = list(db.session.scalars(select(StatementLine).where(StatementLine.id.in_(line_ids))))
    if found.reservation is None and found.payment is not None:
        found.reservation = found.payment.reservation
    return found


def type_meta(kind: str) -> dict:
    return MISMATCH_TYPES[kind]


# --- JSON for the API and the CLI ---------------------------------------------------------------------

def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value.isoformat()


def run_body(source: str, run: ReconciliationRun | None, error: str | None = None) -> dict[str, Any]:
    """A run as the API and `flask reconcile --json` print it (a source never run: status null)."""
    if run is None:
        return {"source": source, "status": None, "error": error}
    return {
        "source": source, "businessDate": run.business_date.isoformat(), "status": run.status,
        "startedAt": _iso(run.started_at), "finishedAt": _iso(run.finished_at), "trigger": run.trigger,
        "timesRun": run.times_run, "currency": run.currency,
        "internal": {"count": run.internal_count, "amount": run.internal_amount},
        "external": {"count": run.external_count, "amount": run.external_amount},
        "matched": run.matched_count, "total": run.total_count,
        "matchRate": str(run.match_rate) if run.match_rate is not None else None,
        "meetsSlo": run.status == RunStatus.COMPLETED and meets_slo(run.match_rate),
        "details": run.details or {}, "error": error or run.error,
    }


def item_body(item: ReconciliationItem) -> dict[str, Any]:
    resolution = None
    if item.status == ItemStatus.RESOLVED:
        resolution = {"action": item.resolution, "reason": item.resolution_reason, "by": item.resolved_by,
                      "at": _iso(item.resolved_at)}
    return {
        "itemID": item.public_id, "key": item.natural_key, "source": item.source,
        "businessDate": item.business_date.isoformat(), "type": item.type, "status": item.status,
        "currency": item.currency, "internalAmount": item.internal_amount, "externalAmount": item.external_amount,
        "difference": item.difference, "internal": item.internal, "external": item.external,
        "firstSeenAt": _iso(item.first_seen_at), "dueAt": _iso(item.due_at),
        "overdue": item.status == ItemStatus.OPEN and item.due_at <= clock.now(),
        "owner": item.owner.email if item.owner is not None else None, "resolution": resolution,
    }


def file_body(stored: SettlementFile) -> dict[str, Any]:
    return {"fileID": stored.public_id, "businessDate": stored.business_date.isoformat(), "origin": stored.origin,
            "fileName": stored.file_name, "sha256": stored.sha256, "rows": stored.row_count,
            "amount": stored.total_amount, "fee": stored.total_fee, "net": stored.total_net,
            "currency": stored.currency, "receivedAt": _iso(stored.created_at)}


def day_body(day: date, runs: list[tuple[str, ReconciliationRun | None, str | None]] | None = None) -> dict[str, Any]:
    """A day's three runs and its open items (what a nightly script reads)."""
    if runs is None:
        found = {r.source: r for r in db.session.scalars(select(ReconciliationRun).where(
            ReconciliationRun.business_date == day))}
        runs = [(s, found.get(s), None) for s in SOURCE_ORDER]
    open_items, _total = list_items(day=day, limit=10_000)
    return {"businessDate": day.isoformat(), "runs": [run_body(s, r, e) for s, r, e in runs],
            "openItems": [item_body(i) for i in open_items]}
