"""The service levels' alert checks fire and clear with recorded data (table-driven)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from tests.observability.helpers import make_card_payments
from app.observability import alert_checks
from app.observability import requests as recorder

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _now(clock):
    clock.freeze(NOW)


@pytest.mark.parametrize("fast, slow, fires", [
    (100, 0, False),      # all fast
    (95, 5, False),       # exactly 5 % slow: p95 is still inside the fast bucket
    (90, 10, True),       # 10 % slow: p95 well over 500 ms
    (10, 9, False),       # too few requests to judge (19 < 20)
    (0, 20, True),        # everything slow
])
def test_api_p95_fires_when_the_last_ten_minutes_are_slow(flush_metrics, fast, slow, fires):
    at = NOW - timedelta(minutes=3)
    for _ in range(fast):
        recorder.record("/v1/hotels/<hotel_id>", "api.get_hotel_endpoint", "GET", 200, 40.0, at=at)
    for _ in range(slow):
        recorder.record("/booking/new", "booking.new", "POST", 200, 1500.0, at=at)
    flush_metrics()
    firings = alert_checks.check_api_p95()
    assert bool(firings) is fires
    if fires:
        (firing,) = firings
        assert firing.subject == "api:p95"
        assert firing.details["requests"] == fast + slow
        assert firing.details["slow"] == slow
        assert firing.details["p95_ms"] >= 1000


def test_api_p95_forgets_slow_requests_older_than_ten_minutes(flush_metrics):
    for _ in range(50):
        recorder.record("/booking/new", "booking.new", "POST", 200, 3000.0, at=NOW - timedelta(minutes=11))
    flush_metrics()
    assert alert_checks.check_api_p95() == []


@pytest.mark.parametrize("good, failed, when, fires, window", [
    (98, 2, timedelta(hours=1), False, None),     # exactly 98 %: met
    (97, 3, timedelta(hours=1), True, "24h"),     # 97 % today
    (9, 1, timedelta(hours=1), False, None),      # 90 % of only 10 payments: not judged on a day …
    (97, 3, timedelta(days=3), True, "30d"),      # … a bad week still shows in the 30 days
    (97, 3, timedelta(days=31), False, None),     # older than the objective's period
])
def test_payment_success_breach_fires_per_window(good, failed, when, fires, window):
    make_card_payments(good, failed, NOW - when)
    firings = [f for f in alert_checks.check_slo_breaches() if f.subject == "slo:payment_success"]
    assert bool(firings) is fires
    if fires:
        details = firings[0].details
        assert (details["window"], details["good"], details["total"], details["severity"]) == \
            (window, good, good + failed, "P2")
        assert details["target_percent"] == 98.0


@pytest.mark.parametrize("statuses, fires", [
    (["finished"] * 3, False),
    (["finished", "failed"], True),   # one failed job is a breach (seed: DLQ = 0)
    (["started"], False),             # still running: not judged
])
def test_failed_jobs_breach_fires_on_the_first_failure(statuses, fires):
    from app.observability.models import JobRun

    for status in statuses:
        db.session.add(JobRun(job_id=f"t-{uuid.uuid4().hex[:8]}", func="workers.jobs.x", status=status,
                              started_at=NOW - timedelta(hours=2)))
    db.session.flush()
    firings = [f for f in alert_checks.check_slo_breaches() if f.subject == "slo:failed_jobs"]
    assert bool(firings) is fires
    if fires:
        assert firings[0].details["count"] == 1
        assert firings[0].details["severity"] == "P3"


def test_all_clear_without_data():
    assert alert_checks.check_api_p95() == []
    assert alert_checks.check_slo_breaches() == []


def test_the_alert_rules_name_these_checks(app):
    from app.alerts.rules import ALERT_RULES

    names = {rule.check for rule in (ALERT_RULES.values() if isinstance(ALERT_RULES, dict) else ALERT_RULES)
             if isinstance(rule.check, str)}
    assert {"app.observability.alert_checks:check_api_p95",
            "app.observability.alert_checks:check_slo_breaches_p2",
            "app.observability.alert_checks:check_slo_breaches_p3"} <= names


@pytest.mark.parametrize("check, subjects", [
    (alert_checks.check_slo_breaches_p2, {"slo:payment_success"}),
    (alert_checks.check_slo_breaches_p3, {"slo:failed_jobs"}),
])
def test_each_level_reports_only_its_own_service_levels(check, subjects):
    from app.observability.models import JobRun

    make_card_payments(97, 3, NOW - timedelta(hours=1))
    db.session.add(JobRun(job_id="t-level", func="workers.jobs.x", status="failed", started_at=NOW - timedelta(hours=1)))
    db.session.flush()
    assert {f.subject for f in check()} == subjects


def test_old_figures_are_purged_by_the_daily_job_and_a_second_run_changes_nothing(app, clock, flush_metrics,
                                                                                  run_worker):
    from sqlalchemy import func, select

    from app.extensions import get_queue
    from app.observability.models import JobRun, RequestMetric
    from workers.cron import PERIODIC_JOBS

    func_path, queue, _schedule = PERIODIC_JOBS["observability-purge"]
    recorder.record("/v1/hotels", "api.get_hotel_endpoint", "GET", 200, 10.0, at=NOW - timedelta(days=91))
    recorder.record("/v1/hotels", "api.get_hotel_endpoint", "GET", 200, 10.0, at=NOW - timedelta(days=89))
    flush_metrics()
    db.session.add(JobRun(job_id="old-1", func="x", status="finished", started_at=NOW - timedelta(days=95)))
    db.session.add(JobRun(job_id="new-1", func="x", status="finished", started_at=NOW - timedelta(days=1)))
    db.session.flush()
    for _ in range(2):
        get_queue(queue).enqueue(func_path, job_id=f"observability-purge-{uuid.uuid4().hex[:8]}")
        run_worker([queue])
        assert db.session.scalar(select(func.count()).select_from(RequestMetric)) == 1
        assert set(db.session.scalars(select(JobRun.job_id).where(JobRun.func == "x"))) == {"new-1"}
    runs = db.session.scalars(select(JobRun).where(JobRun.func == func_path)).all()
    assert [r.status for r in runs] == ["finished", "finished"]
