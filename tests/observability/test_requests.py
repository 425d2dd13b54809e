"""Request durations: recorded per route and minute, read back as percentiles and error rates."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.observability import requests as recorder
from app.observability.models import BUCKETS_MS, RequestMetric

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("duration, index", [(0.1, 0), (5, 0), (5.01, 1), (499.9, 7), (500, 7), (500.5, 8),
                                             (10000, 12), (10001, 13)])
def test_durations_fall_in_fixed_buckets_with_inclusive_upper_bounds(duration, index):
    assert recorder.bucket_index(duration) == index
    assert BUCKETS_MS[7] == 500


def test_quantile_interpolates_inside_the_bucket_like_prometheus():
    counts = [0] * 14
    counts[0] = 50     # ≤ 5 ms
    counts[7] = 50     # 300–500 ms
    assert recorder.quantile_from_buckets(counts, 0.5) == pytest.approx(5.0)
    assert recorder.quantile_from_buckets(counts, 0.95) == pytest.approx(300 + 200 * 45 / 50)
    assert recorder.quantile_from_buckets([0] * 14, 0.95) is None
    only_slow = [0] * 13 + [10]
    assert recorder.quantile_from_buckets(only_slow, 0.95, slowest_ms=20000) == pytest.approx(10000 + 10000 * 0.95)


def test_recorded_durations_give_p95_and_error_rate_over_any_range(flush_metrics):
    for i in range(90):
        recorder.record("/v1/reservations", "api.create_reservation", "POST", 201, 40.0, at=T0 + timedelta(seconds=i))
    for _ in range(10):
        recorder.record("/v1/reservations", "api.create_reservation", "POST", 503, 800.0, at=T0 + timedelta(minutes=5))
    recorder.record("/ops/today", "ops.today", "GET", 200, 3000.0, at=T0)
    assert flush_metrics() == 4   # two minutes of 2xx POSTs, one of 5xx, one page

    day = (T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    # /v1: 90 within 25–50 ms, 10 within 750–1000 ms → p95 falls at rank 95, the 5th of the 10 slow ones
    assert recorder.percentile_ms(*day) == pytest.approx(750 + 250 * 5 / 10)
    assert recorder.percentile_ms(*day, q=0.5) == pytest.approx(25 + 25 * 50 / 90)
    assert recorder.percentile_ms(T0 + timedelta(minutes=5), T0 + timedelta(minutes=6)) == pytest.approx(750 + 250 * 9.5 / 10)
    assert recorder.percentile_ms(T0 + timedelta(hours=2), T0 + timedelta(hours=3)) is None
    assert recorder.error_rate(*day) == (10, 101)
    assert recorder.count_within(*day, 500, path_prefix="/") == (90, 101)


def test_flushing_twice_adds_to_the_same_minute(flush_metrics):
    recorder.record("/v1/hotels", "api.list_hotels", "GET", 200, 12.0, at=T0)
    flush_metrics()
    recorder.record("/v1/hotels", "api.list_hotels", "GET", 200, 30.0, at=T0 + timedelta(seconds=30))
    flush_metrics()
    rows = db.session.scalars(select(RequestMetric).where(RequestMetric.endpoint == "api.list_hotels")).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.count, row.le_25, row.le_50, row.status_class) == (2, 1, 1, "2xx")
    assert row.total_ms == pytest.approx(42.0)
    assert row.max_ms == pytest.approx(30.0)
    assert row.minute == T0


def test_real_requests_are_recorded_per_route_endpoint_method_and_status(client, clock, flush_metrics):
    from tests.factories import make_room_type

    room_type = make_room_type()
    clock.freeze(T0 + timedelta(seconds=10))
    assert client.get(f"/v1/hotels/{room_type.hotel_id}").status_code == 200
    assert client.get(f"/v1/hotels/{room_type.hotel_id}").status_code == 200
    assert client.get("/v1/hotels/999999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/healthz").status_code == 200   # probes are not traffic
    flush_metrics()
    rows = {(r.route, r.endpoint, r.method, r.status_class): r.count
            for r in db.session.scalars(select(RequestMetric).where(RequestMetric.minute == T0))}
    assert rows == {("/v1/hotels/<hotel_id>", "api.get_hotel_endpoint", "GET", "2xx"): 2,
                    ("/v1/hotels/<hotel_id>", "api.get_hotel_endpoint", "GET", "4xx"): 1,
                    ("<unmatched>", "<unmatched>", "GET", "4xx"): 1}
    assert recorder.percentile_ms(T0, T0 + timedelta(minutes=1)) is not None
    assert recorder.error_rate(T0, T0 + timedelta(minutes=1)) == (0, 4)


def test_a_failed_flush_keeps_the_figures_for_the_next_one(app, flush_metrics):
    recorder.record("/v1/hotels", "api.list_hotels", "GET", 200, 12.0, at=T0)
    closed = db.engine.connect()
    closed.close()
    assert recorder.flush(closed) == 0      # the database "is down": nothing written, nothing lost
    assert recorder.pending_count() == 1
    assert flush_metrics() == 1
