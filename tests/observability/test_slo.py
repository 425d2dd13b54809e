"""Service levels (seed 001 Appendix A) measured from known recorded data."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.observability import requests as recorder
from app.observability.slo import SLO_BY_KEY, SLOS, budget_used, measure

DAY = (datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc), datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc))
INSIDE = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)     # 2026-12-02 10:00 in Seoul
OUTSIDE = DAY[0] - timedelta(minutes=1)


def test_the_table_holds_the_seeds_targets_and_breach_levels():
    assert [(s.key, s.target, s.severity) for s in SLOS] == [
        ("payment_success", 0.98, "P2"), ("payout_success", 0.99, "P2"), ("api_p95", 500.0, "P3"),
        ("reconciliation_match", 0.999, "P2"), ("failed_jobs", 0.0, "P3")]


def _payments(statuses_at):
    from app.payments.models import Payment
    from tests.factories import make_reservation

    reservation = make_reservation()
    for status, at in statuses_at:
        db.session.add(Payment(public_id="pay_" + uuid.uuid4().hex[:16], reservation_id=reservation.id, method="card",
                               amount=1000, currency="KRW", status=status, created_at=at, updated_at=at))
    db.session.flush()


def test_payment_success_counts_paid_and_paid_then_reversed_against_failed():
    _payments([("completed", INSIDE)] * 96 + [("reversed", INSIDE)] + [("failed", INSIDE)] * 3
              + [("pending", INSIDE), ("canceled", INSIDE), ("failed", OUTSIDE)])
    m = measure("payment_success", *DAY)
    assert (m.good, m.total) == (97, 100)
    assert m.value == pytest.approx(0.97)
    assert m.met is False
    assert budget_used(SLO_BY_KEY["payment_success"], m) == pytest.approx(3 / 2)   # 3 bad of 2 allowed: 150 %


def _payouts(statuses):
    from app.remittance.models import Payout

    for status in statuses:
        db.session.add(Payout(public_id="po_" + uuid.uuid4().hex[:16], purpose="settlement", amount=1000,
                              currency="KRW", bank_code="004", account_number="1234", account_holder="Kim",
                              transfer_id="tr_" + uuid.uuid4().hex[:16], status=status,
                              requested_at=INSIDE, status_changed_at=INSIDE, round_started_at=INSIDE))
    db.session.flush()


def test_payout_success_is_completed_over_completed_failed_and_abandoned():
    _payouts(["completed"] * 198 + ["returned"] + ["transfer_failed", "abandoned"] + ["requested", "processing"])
    m = measure("payout_success", *DAY)
    assert (m.good, m.total) == (199, 201)
    assert m.met is True    # 99.005 % ≥ 99 %
    assert m.value == pytest.approx(199 / 201)


def test_reconciliation_match_rate_sums_the_days_runs():
    from app.reconcile.models import ReconciliationRun

    for source, matched, total in (("gateway", 999, 1000), ("payouts", 500, 500)):
        db.session.add(ReconciliationRun(business_date=date(2026, 12, 2), source=source, status="completed",
                                         started_at=INSIDE, matched_count=matched, total_count=total))
    db.session.add(ReconciliationRun(business_date=date(2026, 12, 1), source="gateway", status="completed",
                                     started_at=INSIDE, matched_count=0, total_count=10))
    db.session.flush()
    m = measure("reconciliation_match", *DAY)
    assert (m.good, m.total) == (1499, 1500)
    assert m.met is True
    assert budget_used(SLO_BY_KEY["reconciliation_match"], m) == pytest.approx(1 / 1.5)


def test_api_p95_counts_requests_within_500_ms(flush_metrics):
    for _ in range(94):
        recorder.record("/v1/reservations", "api.create_reservation_endpoint", "POST", 201, 80.0, at=INSIDE)
    for _ in range(6):
        recorder.record("/booking/new", "booking.new", "POST", 200, 1200.0, at=INSIDE)
    recorder.record("/v1/hotels", "api.search_hotels_endpoint", "GET", 200, 9000.0, at=OUTSIDE)
    flush_metrics()
    m = measure("api_p95", *DAY)
    assert (m.good, m.total) == (94, 100)
    assert m.value == pytest.approx(1000 + 1500 * 1 / 6)    # rank 95 is the 1st of 6 in the 1000–2500 ms bucket
    assert m.met is False
    assert budget_used(SLO_BY_KEY["api_p95"], m) == pytest.approx(6 / 5)


def test_failed_jobs_must_be_zero():
    from app.observability.models import JobRun

    for status in ("finished", "finished", "failed", "started"):
        db.session.add(JobRun(job_id=f"x-{uuid.uuid4().hex[:8]}", func="workers.jobs.x", status=status,
                              started_at=INSIDE))
    db.session.add(JobRun(job_id="old", func="workers.jobs.x", status="failed", started_at=OUTSIDE))
    db.session.flush()
    m = measure("failed_jobs", *DAY)
    assert (m.good, m.total, m.value, m.met) == (2, 3, 1.0, False)
    assert budget_used(SLO_BY_KEY["failed_jobs"], m) == float("inf")


@pytest.mark.parametrize("key", [s.key for s in SLOS])
def test_nothing_recorded_measures_nothing(key):
    m = measure(key, *DAY)
    assert m.total == 0
    assert m.met is (True if key == "failed_jobs" else None)
