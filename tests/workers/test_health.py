"""Heartbeats and the back office's health banner."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rq import Worker
from rq.cron import CronScheduler

from app.core import clock as app_clock
from app.core.db import run_in_transaction
from app.extensions import get_queue
from app.ops import health


def _banner_codes(client) -> set[str]:
    import re

    health.clear_health_cache()
    page = client.get("/ops/").get_data(as_text=True)
    return set(re.findall(r'data-health="([a-z_]+)"', page))


def _everything_alive(redis) -> None:
    worker = Worker([get_queue("default")], connection=redis)
    worker.register_birth()
    worker.heartbeat()
    scheduler = CronScheduler(connection=redis)
    scheduler.register_birth()
    scheduler.heartbeat()
    health.record_health_snapshot(worker_name=worker.name)


def test_the_health_snapshot_job_leaves_a_heartbeat_from_a_real_worker(run_worker):
    get_queue("high").enqueue("workers.jobs.health.record_health_snapshot", job_id="health-snapshot-test")
    worker = run_worker(["high"])
    beat = health.last_heartbeat(health.PERIODIC_HEARTBEAT)
    assert beat is not None and beat.details["worker"] == worker.name
    assert set(beat.details["queues"]) == {"high", "default", "low"}
    assert abs((beat.seen_at - app_clock.now()).total_seconds()) < 60


def test_red_banner_appears_when_heartbeats_are_stale_and_disappears_when_fresh(banners, login_as, client, redis,
                                                                                clock):
    login_as("staff")
    assert {"no_worker", "no_cron"} <= _banner_codes(client)  # nothing has ever run
    _everything_alive(redis)
    assert _banner_codes(client) == set()
    clock.advance(minutes=10)  # ten minutes without a sign of life
    assert {"no_worker", "no_cron"} <= _banner_codes(client)
    page = client.get("/ops/").get_data(as_text=True)
    assert 'class="banner bad"' in page and "/ops/system" in page


def test_banner_says_scheduled_jobs_stopped_when_only_they_are_stale(banners, login_as, client, redis):
    login_as("staff")
    _everything_alive(redis)
    run_in_transaction(lambda: health.record_heartbeat(
        health.PERIODIC_HEARTBEAT, {}, app_clock.now() - health.STALE_AFTER["periodic"] - timedelta(seconds=1)))
    assert _banner_codes(client) == {"periodic_stale"}


def test_banner_warns_when_redis_may_throw_jobs_away(banners, own_redis, login_as, client):
    from app.extensions import redis_connection

    login_as("staff")
    _everything_alive(redis_connection())
    redis_connection().config_set("maxmemory-policy", "allkeys-lru")  # our own throwaway server
    page = client.get("/ops/").get_data(as_text=True)
    assert 'data-health="redis_eviction"' in page and "allkeys-lru" in page and 'class="banner warn"' in page


def test_banner_says_redis_is_down_and_pages_still_open(banners, own_redis, login_as, client):
    login_as("staff")
    own_redis.stop()
    assert _banner_codes(client) == {"redis_down"}
    system = client.get("/ops/system")
    assert system.status_code == 200
    assert client.get("/ops/system/failed-jobs").status_code == 200


def test_the_health_check_is_cached_briefly(banners, login_as, client, redis):
    login_as("staff")
    health.clear_health_cache()
    assert 'data-health="no_worker"' in client.get("/ops/").get_data(as_text=True)
    _everything_alive(redis)
    assert 'data-health="no_worker"' in client.get("/ops/").get_data(as_text=True)  # still the cached answer
    health.clear_health_cache()
    assert 'data-health' not in client.get("/ops/").get_data(as_text=True)


def test_the_system_page_walks_through_what_to_do(login_as, client):
    login_as("staff")
    page = client.get("/ops/system").get_data(as_text=True)
    assert 'class="steps"' in page and 'class="decision"' in page
    for name in ("hold-expiry", "bank-transfer-auto-cancel", "outbox-relay", "health-snapshot"):
        assert name in page


def test_today_says_failed_jobs_could_not_be_counted_while_redis_is_down(own_redis, login_as, client):
    login_as("staff")
    own_redis.stop()
    page = client.get("/ops/").get_data(as_text=True)
    assert 'data-key="failed_jobs"' not in page and 'class="today-item failed"' in page
    assert client.get("/ops/system/failed-jobs/low/some-job/delete").status_code == 302


NOW = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)
FRESH, STALE = NOW - timedelta(seconds=30), NOW - timedelta(minutes=30)


@pytest.mark.parametrize("redis_ok,worker_beat,cron_beat,periodic_beat,policy,expected", [
    (True, FRESH, FRESH, FRESH, "noeviction", []),
    (True, FRESH, FRESH, FRESH, None, []),  # CONFIG disabled by a managed Redis: nothing to say
    (True, None, FRESH, FRESH, "noeviction", ["no_worker"]),
    (True, STALE, FRESH, STALE, "noeviction", ["no_worker"]),  # the stale run follows from it
    (True, FRESH, STALE, STALE, "noeviction", ["no_cron"]),
    (True, STALE, None, None, "noeviction", ["no_worker", "no_cron"]),
    (True, FRESH, FRESH, STALE, "noeviction", ["periodic_stale"]),
    (True, FRESH, FRESH, None, "noeviction", ["periodic_stale"]),
    (True, FRESH, FRESH, FRESH, "allkeys-lru", ["redis_eviction"]),
    (False, STALE, STALE, STALE, "allkeys-lru", ["redis_down"]),  # everything else follows from it
])
def test_problems_are_named_most_important_first(redis_ok, worker_beat, cron_beat, periodic_beat, policy, expected):
    report = health.HealthReport(checked_at=NOW, redis_ok=redis_ok, maxmemory_policy=policy,
                                 cron_last_seen=cron_beat, periodic_last_seen=periodic_beat,
                                 workers=[health.WorkerInfo("w1", "idle", ["default"], worker_beat)])
    assert [p.code for p in health.find_problems(report)] == expected
