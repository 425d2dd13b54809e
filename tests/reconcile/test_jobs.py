"""The morning jobs: at seed 001's Korean times, for yesterday; run by a real worker twice, the second
run changes nothing; the day before is run again so a cross-midnight pair clears by itself."""
from __future__ import annotations

from datetime import time, timedelta, timezone
from zoneinfo import ZoneInfo

from app.core import clock as app_clock
from app.extensions import get_queue
from app.payments.services import settle_pending_card_payments
from app.reconcile.policies import cron_for_korean_time, previous_business_date
from tests.reconcile.conftest import TIMEOUT_CHARGED, items, kst, new_day, pay_by_card
from workers.cron import PERIODIC_JOBS


def test_the_three_batches_run_at_seed_001s_korean_times_which_are_the_evening_before_in_utc():
    assert cron_for_korean_time(time(6, 0), timezone.utc) == "0 21 * * *"
    assert cron_for_korean_time(time(6, 30), timezone.utc) == "30 21 * * *"
    assert cron_for_korean_time(time(7, 0), timezone.utc) == "0 22 * * *"
    assert cron_for_korean_time(time(6, 0), ZoneInfo("Asia/Seoul")) == "0 6 * * *"
    local = kst(new_day(), 6).astimezone().tzinfo
    for name, hour_minute in (("reconcile-gateway", time(6, 0)), ("reconcile-payouts", time(6, 30)),
                              ("reconcile-settlement", time(7, 0))):
        function, queue, schedule = PERIODIC_JOBS[name]
        assert function.startswith("workers.jobs.reconcile.") and queue == "low"
        assert schedule["cron"] == cron_for_korean_time(hour_minute, local)


def test_yesterday_is_the_korean_date_before_today():
    day = new_day()
    assert previous_business_date(kst(day, 6)) == day - timedelta(days=1)
    assert previous_business_date(kst(day, 0, 0, 1)) == day - timedelta(days=1)
    assert previous_business_date(kst(day, 23, 59)) == day - timedelta(days=1)


def test_the_gateway_job_run_twice_by_a_worker_fetches_the_file_once_and_clears_timing_the_next_morning(app,
                                                                                                       run_worker):
    day = new_day()
    next_day = day + timedelta(days=1)
    amount = pay_by_card(day, hour=23, minute=59, second=55, number=TIMEOUT_CHARGED).amount
    app_clock.freeze(kst(next_day, 0, 2))
    settle_pending_card_payments(older_than=timedelta(seconds=30))
    app_clock.freeze(kst(next_day, 6))
    jobs = [get_queue("low").enqueue("workers.jobs.reconcile.reconcile_gateway", job_id=f"reconcile-test-{i}")
            for i in (1, 2)]
    run_worker(["low"])
    results = [job.latest_result().return_value for job in jobs]
    assert results[0] == results[1] == {day.isoformat(): {"status": "completed", "matched": 0, "total": 1}}
    [item] = items("gateway")
    assert (item.type, item.status) == ("TIMING_MISMATCH", "open")
    item_id = item.id

    app_clock.freeze(kst(next_day + timedelta(days=1), 6))
    job = get_queue("low").enqueue("workers.jobs.reconcile.reconcile_gateway", job_id="reconcile-test-3")
    run_worker(["low"])
    assert set(job.latest_result().return_value) == {next_day.isoformat()}   # nothing open left on the day before
    [again] = items("gateway")
    assert again.id == item_id and (again.status, again.resolution) == ("resolved", "cleared")
    assert amount == again.internal_amount == again.external_amount


def test_the_morning_job_runs_the_day_before_again_while_it_has_open_items(app):
    from app.reconcile import services
    from tests.reconcile.conftest import completed_payout, statement_line

    day = new_day()
    payout = completed_payout(day, 30_000)
    app_clock.freeze(kst(day + timedelta(days=1), 6, 30))
    assert services.reconcile_scheduled("payouts") == {day.isoformat(): {"status": "completed", "matched": 0,
                                                                         "total": 1}}
    assert [i.type for i in items("payouts")] == ["INTERNAL_ONLY"]      # the statement was not imported yet
    statement_line(day, -30_000, kind="payout", payout_id=payout.id)      # imported later that day
    app_clock.freeze(kst(day + timedelta(days=2), 6, 30))

    done = services.reconcile_scheduled("payouts")

    assert done[day.isoformat()] == {"status": "completed", "matched": 1, "total": 1}
    assert [(i.status, i.resolution) for i in items("payouts")] == [("resolved", "gone")]


def test_no_partial_file_is_fetched_during_the_day_and_the_morning_job_takes_the_whole_days(app):
    from app.reconcile import services
    from app.reconcile.loaders import latest_file

    day = new_day()
    pay_by_card(day, hour=9)
    app_clock.freeze(kst(day, 12))
    [(source, run, error)] = [r for r in services.reconcile_all(day) if r[0] == "gateway"]
    assert run.status == "failed" and error and latest_file(day) is None
    pay_by_card(day, hour=15)
    app_clock.freeze(kst(day + timedelta(days=1), 6))

    done = services.reconcile_scheduled("gateway")

    assert done[day.isoformat()] == {"status": "completed", "matched": 2, "total": 2}
    assert latest_file(day).row_count == 2 and items("gateway") == []
