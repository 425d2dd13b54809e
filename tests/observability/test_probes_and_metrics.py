"""/healthz, /readyz and /metrics: for load balancers and the people who run the servers."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families



def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    """GET /metrics parsed with prometheus_client's own parser → {(sample name, labels): value}."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.mark.committing  # a second app on its own (unreachable) database: not the test's session
def test_healthz_answers_without_touching_the_database(client, other_app):
    down = other_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                     REDIS_URL="redis://127.0.0.1:1/0")
    for c in (client, down.test_client()):
        response = c.get("/healthz")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}
        assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_when_database_redis_and_migrations_are(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


@pytest.mark.committing  # a second app on its own (unreachable) database: not the test's session
@pytest.mark.parametrize("override, failing", [
    ({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, "database"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-dir/frontdesk.sqlite3"}, "database"),
    ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "redis"),
])
def test_readyz_is_503_with_a_reason_when_a_dependency_is_down(other_app, override, failing):
    other = other_app(**override)
    response = other.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready"
    assert body["checks"][failing] == "down"
    assert any(failing in reason for reason in body["reasons"])


def test_readyz_is_503_when_migrations_are_behind(client, monkeypatch):
    from app.observability import views

    monkeypatch.setattr(views, "migration_heads", lambda: frozenset({"9999"}))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "behind"
    assert "flask db upgrade" in response.get_json()["reasons"][0]


def test_probes_need_no_sign_in_and_no_csrf(client):
    for path in ("/healthz", "/readyz"):
        assert client.get(path).status_code == 200
        assert client.head(path).status_code == 200


@pytest.mark.parametrize("config, headers, remote, status", [
    ({"METRICS_TOKEN": "s3cret-token"}, {}, "10.1.2.3", 401),
    ({"METRICS_TOKEN": "s3cret-token"}, {"Authorization": "Bearer wrong"}, "10.1.2.3", 401),
    ({"METRICS_TOKEN": "s3cret-token"}, {"Authorization": "Bearer s3cret-token"}, "10.1.2.3", 200),
    ({"METRICS_ALLOW_FROM": "10.0.0.0/8, 192.168.1.7/32"}, {}, "10.1.2.3", 200),
    ({"METRICS_ALLOW_FROM": "10.0.0.0/8"}, {}, "172.16.0.1", 403),
    ({"METRICS_TOKEN": "s3cret-token", "METRICS_ALLOW_FROM": "10.0.0.0/8"}, {}, "10.9.9.9", 200),
    ({"FRONTDESK_ENV": "production"}, {}, "127.0.0.1", 403),       # production with neither: closed
    ({"FRONTDESK_ENV": "production"}, {"Authorization": "Bearer x"}, "127.0.0.1", 403),
    ({}, {}, "127.0.0.1", 200),                                    # development with neither: open
])
def test_metrics_access_by_token_or_network(app, client, monkeypatch, config, headers, remote, status):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", config.get("METRICS_TOKEN"))
    monkeypatch.setitem(app.config, "METRICS_ALLOW_FROM", config.get("METRICS_ALLOW_FROM", ""))
    monkeypatch.setitem(app.config, "FRONTDESK_ENV", config.get("FRONTDESK_ENV", "test"))
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == status
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if status != 200:
        assert b"frontdesk_" not in response.data


def test_one_booking_adds_one_to_the_bookings_counter_and_requests_are_counted(app, client, monkeypatch):
    from tests.api.helpers import book
    from tests.factories import make_room_type

    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token")
    auth = {"Authorization": "Bearer s3cret-token"}
    room_type = make_room_type(rooms=1)
    before = scrape(client, **auth)
    assert book(client, room_type).status_code == 201
    assert book(client, room_type).status_code == 409      # 110 % of 1 room is 1: the second is sold out
    after = scrape(client, **auth)
    assert after[("frontdesk_bookings_total", ())] == before.get(("frontdesk_bookings_total", ()), 0) + 1
    assert after[("frontdesk_sold_outs_total", ())] == before.get(("frontdesk_sold_outs_total", ()), 0) + 1
    key = ("frontdesk_http_requests_total",
           (("endpoint", "api.create_reservation_endpoint"), ("method", "POST"), ("status", "2xx")))
    assert after[key] - before.get(key, 0) == 1
    conflict = ("frontdesk_http_requests_total",
                (("endpoint", "api.create_reservation_endpoint"), ("method", "POST"), ("status", "4xx")))
    assert after[conflict] - before.get(conflict, 0) == 1
    duration = ("frontdesk_http_request_duration_seconds_count",
                (("endpoint", "api.create_reservation_endpoint"), ("method", "POST")))
    assert after[duration] - before.get(duration, 0) == 2
    assert after[("frontdesk_database_up", ())] == 1
    assert after[("frontdesk_redis_up", ())] == 1
    assert after[("frontdesk_queue_length", (("queue", "default"),))] >= 0


def test_metrics_show_payouts_by_status_fund_balance_and_failed_jobs(app, client):
    import uuid
    from datetime import datetime, timezone

    from app.extensions import db
    from app.observability.models import JobRun
    from app.remittance.models import OperatingFund, Payout

    db.session.add(OperatingFund(currency="KRW", balance=12_345_000, breaker_state="closed", level="normal"))
    for status in ("completed", "completed", "abandoned"):
        db.session.add(Payout(public_id="po_" + uuid.uuid4().hex[:16], purpose="settlement", amount=1000,
                              currency="KRW", bank_code="004", account_number="1", account_holder="Kim",
                              transfer_id="tr_" + uuid.uuid4().hex[:16], status=status))
    db.session.add(JobRun(job_id="j-1", func="workers.jobs.x", status="failed",
                          started_at=datetime.now(timezone.utc)))
    db.session.flush()
    samples = scrape(client)
    assert samples[("frontdesk_payouts", (("status", "completed"),))] == 2
    assert samples[("frontdesk_payouts", (("status", "abandoned"),))] == 1
    assert samples[("frontdesk_fund_balance", (("currency", "KRW"),))] == 12_345_000
    assert samples[("frontdesk_job_runs_total", (("outcome", "failed"),))] == 1


@pytest.mark.committing  # a second app on its own (unreachable) database: not the test's session
def test_metrics_say_redis_is_down_instead_of_failing(other_app):
    other = other_app(REDIS_URL="redis://127.0.0.1:1/0")
    samples = scrape(other.test_client())
    assert samples[("frontdesk_redis_up", ())] == 0


def test_a_malformed_allow_list_stops_start_up():
    from app import create_app
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="METRICS_ALLOW_FROM"):
        create_app({"TESTING": True, "METRICS_ALLOW_FROM": "10.0.0.0/8, not-a-network"})
