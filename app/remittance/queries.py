"""Read helpers for the back office and the Today page (no changes here)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from app.core import clock
from app.core.audit import AuditEvent
from app.core.errors import NotFound
from app.extensions import db
from app.remittance import fund as fund_service
from app.remittance.models import FundEntry, OperatingFund, Payout, PayoutAttempt
from app.remittance.policies import IN_DOUBT_ESCALATE_AFTER, FundThresholds, gate_payout
from app.remittance.states import NEEDS_ATTENTION, AttemptOutcome, PayoutStatus


def get_payout(public: str) -> Payout:
    payout = db.session.scalar(select(Payout).where(Payout.public_id == public)) if isinstance(public, str) else None
    if payout is None:
        raise NotFound()
    return payout


def list_needing_attention(limit: int = 200) -> list[Payout]:
    """ABANDONED, WAITING_FOR_ACCOUNT, RETURNED and HELD_BY_BREAKER payouts, oldest first."""
    return list(db.session.scalars(select(Payout).where(Payout.status.in_([s.value for s in NEEDS_ATTENTION]))
                                   .order_by(Payout.status_changed_at, Payout.id).limit(limit)))


def _in_doubt():
    """Payouts sent over an hour ago whose outcome the bank has not yet told us (seed 001 §6.3)."""
    cutoff = clock.now() - IN_DOUBT_ESCALATE_AFTER
    return (select(Payout).join(PayoutAttempt, and_(PayoutAttempt.payout_id == Payout.id,
                                                    PayoutAttempt.number == Payout.attempt_count))
            .where(Payout.status == PayoutStatus.TRANSFERRING,
                   PayoutAttempt.outcome.in_([AttemptOutcome.SENDING, AttemptOutcome.UNKNOWN]),
                   PayoutAttempt.started_at <= cutoff))


def list_in_doubt(limit: int = 100) -> list[Payout]:
    """Payouts sent over an hour ago whose outcome the bank has not yet told us (seed 001 §6.3)."""
    return list(db.session.scalars(_in_doubt().order_by(PayoutAttempt.started_at).limit(limit)))


def list_recent(limit: int = 30) -> list[Payout]:
    return list(db.session.scalars(select(Payout).order_by(Payout.id.desc()).limit(limit)))


@dataclass
class AttentionSummary:
    count: int                  # payouts a person decides on (Today's count)
    by_status: dict[str, int]   # of those, by status
    oldest_since: datetime | None
    in_doubt: int
    held: int                   # held by the fund: one task, the fund's top-up (counted by the fund's items)
    waiting_approval: int       # a decision was asked for: the approver's task (counted by the approvals item)


def attention_summary() -> AttentionSummary:
    """Today's payouts in tasks, not rows: each payout a person must decide on counts once; a
    returned refund payout has its own 🛑 item; held payouts are one task, topping up the fund; a
    payout whose new account waits for a second person is the approver's task."""
    from app.approvals.queries import awaiting_approval

    decide = (Payout.status.in_([s.value for s in NEEDS_ATTENTION if s != PayoutStatus.HELD_BY_BREAKER]),
              ~and_(Payout.status == PayoutStatus.RETURNED, Payout.refund_id.is_not(None)))
    asked = Payout.id.in_(awaiting_approval("payout"))
    rows = db.session.execute(select(Payout.status, func.count(Payout.id), func.min(Payout.status_changed_at))
                              .where(*decide, ~asked).group_by(Payout.status)).all()
    oldest = min((r[2] for r in rows), default=None)
    in_doubt = db.session.scalar(select(func.count()).select_from(_in_doubt().subquery())) or 0
    held = db.session.scalar(select(func.count(Payout.id)).where(Payout.status == PayoutStatus.HELD_BY_BREAKER)) or 0
    waiting = db.session.scalar(select(func.count(Payout.id)).where(*decide, asked)) or 0
    return AttentionSummary(sum(r[1] for r in rows), {r[0]: r[1] for r in rows}, oldest, in_doubt, held, waiting)


def count_returned_refund_payouts() -> tuple[int, datetime | None]:
    """Refund payouts that came back and were not replaced or given up yet: (count, oldest return)."""
    count, oldest = db.session.execute(select(func.count(Payout.id), func.min(Payout.returned_at)).where(
        Payout.status == PayoutStatus.RETURNED, Payout.refund_id.is_not(None))).one()
    return count or 0, oldest


def attempts_of(payout: Payout) -> list[PayoutAttempt]:
    return list(db.session.scalars(select(PayoutAttempt).where(PayoutAttempt.payout_id == payout.id)
                                   .order_by(PayoutAttempt.number)))


def history_of(payout: Payout) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "payout",
                                                           AuditEvent.entity_id == payout.public_id)
                                   .order_by(AuditEvent.id)))


def held_reason_now(payout: Payout) -> str | None:
    """Why the fund would hold this payout right now (None: it would go out)."""
    fund = fund_service.get_fund(payout.currency)
    return gate_payout(fund.breaker_state, fund.balance, payout.amount, fund_service.thresholds()).reason


@dataclass
class FundOverview:
    fund: OperatingFund
    thresholds: FundThresholds
    entries: list[FundEntry]
    held_count: int
    held_amount: int


def fund_overview(limit: int = 50) -> FundOverview:
    fund = fund_service.get_fund()
    entries = list(db.session.scalars(select(FundEntry).where(FundEntry.fund_id == fund.id)
                                      .order_by(FundEntry.id.desc()).limit(limit))) if fund.id else []
    held_count, held_amount = db.session.execute(
        select(func.count(Payout.id), func.coalesce(func.sum(Payout.amount), 0))
        .where(Payout.status == PayoutStatus.HELD_BY_BREAKER, Payout.currency == fund.currency)).one()
    return FundOverview(fund, fund_service.thresholds(), entries, held_count, int(held_amount))
