"""Service levels (seed 001 Appendix A): one table, and `measure` computing each from recorded data.

| key                  | SLI (seed's formula)                                     | target     | breach |
|----------------------|----------------------------------------------------------|------------|--------|
| payment_success      | (PAID + PAID then canceled) / (PAID + FAILED)            | ≥ 98 %     | P2     |
| payout_success       | COMPLETED / (COMPLETED + TRANSFER_FAILED + ABANDONED)    | ≥ 99 %     | P2     |
| api_p95              | 95th percentile of request durations                     | < 500 ms   | P3     |
| reconciliation_match | MATCHED / TOTAL                                          | ≥ 99.9 %   | P2     |
| failed_jobs          | background jobs that failed (the seed's DLQ backlog)     | = 0        | P3     |

Every measurement also has `good` and `total` events, so the error budget is
the same sum for all: bad events allowed = (1 − target share) × total.
For api_p95 the events are requests and "good" is answered within 500 ms (p95 <
500 ms ⇔ at least 95 % within 500 ms); for failed_jobs the events are job runs
and no bad one is allowed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db


@dataclass(frozen=True)
class SLO:
    key: str
    label: object          # lazy text, for pages and alerts
    kind: str              # "ratio" (value = good/total ≥ target), "p95_ms" (value < target), "zero" (value == 0)
    target: float          # a share (0.98) for ratios and p95's "within" share; ms for p95; 0 for zero
    severity: str          # the seed's breach level: P2 or P3
    area: str              # on-call area (seed 001 §10): transactions, system, money
    good_share: float      # share of events that must be good (the error budget is 1 − good_share)


#: Seed 001 Appendix A: the one table read by measure(), the SLO page, the alert checks and the tests.
SLOS: tuple[SLO, ...] = (
    SLO("payment_success", _l("Payment success rate"), "ratio", 0.98, "P2", "transactions", 0.98),
    SLO("payout_success", _l("Payout success rate"), "ratio", 0.99, "P2", "money", 0.99),
    SLO("api_p95", _l("Response time (95 % of requests)"), "p95_ms", 500.0, "P3", "system", 0.95),
    SLO("reconciliation_match", _l("Reconciliation match rate"), "ratio", 0.999, "P2", "money", 0.999),
    SLO("failed_jobs", _l("Failed background jobs"), "zero", 0.0, "P3", "system", 1.0),
)
SLO_BY_KEY = {slo.key: slo for slo in SLOS}
#: The API p95 SLO counts every recorded request under this prefix (pages and the /v1 API alike).
API_P95_PATH_PREFIX = "/"


@dataclass(frozen=True)
class Measurement:
    good: int
    total: int
    value: float | None     # the SLI: a share for ratios, ms for api_p95, a count for failed_jobs
    target: float
    met: bool | None        # None: nothing to measure in the range

    @property
    def bad(self) -> int:
        return self.total - self.good


def budget_used(slo: SLO, m: Measurement) -> float | None:
    """Share of the error budget used (1.0 = all of it; above 1 = breached); None when nothing was measured.

    A zero-tolerance SLO (failed jobs) has no budget: any bad event uses "infinitely" much (returned as inf).
    """
    if not m.total:
        return None
    allowed = (1.0 - slo.good_share) * m.total
    if allowed <= 0:
        return 0.0 if m.bad == 0 else float("inf")
    return m.bad / allowed


def _ratio(slo: SLO, good: int, total: int) -> Measurement:
    if not total:
        return Measurement(good, total, None, slo.target, None)
    value = good / total
    return Measurement(good, total, value, slo.target, value >= slo.target)


def _payment_success(since: datetime, until: datetime) -> tuple[int, int]:
    from app.payments.models import Payment
    from app.payments.states import PaymentStatus as S

    # "Paid then canceled": the money arrived and was later taken back (reversed) or refunded (still completed).
    rows = db.session.execute(
        select(Payment.status, func.count()).where(
            Payment.created_at >= since, Payment.created_at < until,
            Payment.status.in_([S.COMPLETED, S.REVERSED, S.FAILED])).group_by(Payment.status)).all()
    by_status = {status: int(n) for status, n in rows}
    good = by_status.get(S.COMPLETED, 0) + by_status.get(S.REVERSED, 0)
    return good, good + by_status.get(S.FAILED, 0)


def _payout_success(since: datetime, until: datetime) -> tuple[int, int]:
    from app.remittance.models import Payout
    from app.remittance.states import PayoutStatus as S

    # RETURNED payouts were completed by the bank first (the money came back later): counted as completed.
    rows = db.session.execute(
        select(Payout.status, func.count()).where(
            Payout.requested_at >= since, Payout.requested_at < until,
            Payout.status.in_([S.COMPLETED, S.RETURNED, S.TRANSFER_FAILED, S.ABANDONED])).group_by(Payout.status)).all()
    by_status = {status: int(n) for status, n in rows}
    good = by_status.get(S.COMPLETED, 0) + by_status.get(S.RETURNED, 0)
    return good, good + by_status.get(S.TRANSFER_FAILED, 0) + by_status.get(S.ABANDONED, 0)


def _local_dates(since: datetime, until: datetime):
    from flask import current_app

    from app.core.clock import to_local

    tz = current_app.config["FRONTDESK_TIMEZONE"]
    first = to_local(since, tz).date()
    last = to_local(until - timedelta(microseconds=1), tz).date()
    return first, last


def _reconciliation_match(since: datetime, until: datetime) -> tuple[int, int]:
    from app.reconcile.models import ReconciliationRun

    first, last = _local_dates(since, until)
    row = db.session.execute(
        select(func.coalesce(func.sum(ReconciliationRun.matched_count), 0),
               func.coalesce(func.sum(ReconciliationRun.total_count), 0)).where(
            ReconciliationRun.business_date >= first, ReconciliationRun.business_date <= last,
            ReconciliationRun.status == "completed")).one()
    return int(row[0]), int(row[1])


def _failed_jobs(since: datetime, until: datetime) -> tuple[int, int]:
    from app.observability.models import JobRun

    rows = db.session.execute(
        select(JobRun.status, func.count()).where(
            JobRun.started_at >= since, JobRun.started_at < until,
            JobRun.status.in_(["finished", "failed"])).group_by(JobRun.status)).all()
    by_status = {status: int(n) for status, n in rows}
    return by_status.get("finished", 0), by_status.get("finished", 0) + by_status.get("failed", 0)


def measure(key: str, since: datetime, until: datetime) -> Measurement:
    """The SLO `key` over [since, until) from recorded data (seed 001 Appendix A's formulas). Read-only."""
    slo = SLO_BY_KEY[key]
    if key == "payment_success":
        return _ratio(slo, *_payment_success(since, until))
    if key == "payout_success":
        return _ratio(slo, *_payout_success(since, until))
    if key == "reconciliation_match":
        return _ratio(slo, *_reconciliation_match(since, until))
    if key == "api_p95":
        from app.observability.models import BUCKETS_MS
        from app.observability.requests import histogram, quantile_from_buckets

        counts, slowest = histogram(since, until, API_P95_PATH_PREFIX)
        good, total = sum(counts[:BUCKETS_MS.index(int(slo.target)) + 1]), sum(counts)
        value = quantile_from_buckets(counts, 0.95, slowest)
        return Measurement(good, total, value, slo.target, None if value is None else value < slo.target)
    if key == "failed_jobs":
        good, total = _failed_jobs(since, until)
        failed = total - good
        return Measurement(good, total, float(failed), slo.target, failed == 0)
    raise KeyError(key)
