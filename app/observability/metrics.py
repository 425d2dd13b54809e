"""/metrics in Prometheus' text format, with the official prometheus_client.

Two kinds of figures:
- per-process request counters and durations (`frontdesk_http_requests_total`,
  `frontdesk_http_request_duration_seconds`), labelled by endpoint, method and
  status class. Under gunicorn, PROMETHEUS_MULTIPROC_DIR makes prometheus_client
  keep them in shared files, summed at scrape time (gunicorn.conf.py marks dead
  workers' files);
- business figures read from the database and Redis at scrape time (a few
  COUNT queries): bookings, sold-outs (booking conflicts), payouts by status,
  queue lengths, failed jobs and the operating fund's balance. Counting rows
  keeps them right across every process and restart without a counter to
  maintain.
"""
from __future__ import annotations

import ipaddress
import logging
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from app.observability.models import BUCKETS_MS

log = logging.getLogger(__name__)

#: Per-process metrics live here (and, in multiprocess mode, in PROMETHEUS_MULTIPROC_DIR's files).
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter("frontdesk_http_requests", "Requests answered, by endpoint, method and status class.",
                        ["endpoint", "method", "status"], registry=PROCESS_REGISTRY)
HTTP_DURATION = Histogram("frontdesk_http_request_duration_seconds", "Time to answer a request.",
                          ["endpoint", "method"], buckets=[b / 1000 for b in BUCKETS_MS] + [float("inf")],
                          registry=PROCESS_REGISTRY)


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (called by the request hook)."""
    try:
        HTTP_REQUESTS.labels(endpoint, method, f"{status // 100}xx").inc()
        HTTP_DURATION.labels(endpoint, method).observe(seconds)
    except Exception:  # noqa: BLE001 - a metrics file problem must never fail a request
        log.warning("could not count the request for /metrics", exc_info=True)


class BusinessCollector:
    """Reads the business figures at scrape time (inside the scraping request's app context)."""

    def collect(self):
        up = GaugeMetricFamily("frontdesk_database_up", "1 when the database answered this scrape.")
        try:
            figures = list(self._database())
        except Exception as exc:  # noqa: BLE001 - database down: say so instead of failing the scrape
            from app.extensions import db

            db.session.rollback()
            log.warning("business figures unavailable for /metrics (%s)", exc.__class__.__name__)
            figures = []
        up.add_metric([], 1 if figures else 0)
        yield from figures
        yield up
        yield from self._queues()

    def _database(self):
        from sqlalchemy import func, select

        from app.booking.models import BookingConflict, Reservation
        from app.extensions import db
        from app.observability.models import JobRun
        from app.remittance.models import OperatingFund, Payout

        bookings = CounterMetricFamily("frontdesk_bookings", "Reservations made (every status).")
        bookings.add_metric([], db.session.scalar(select(func.count()).select_from(Reservation)) or 0)
        yield bookings
        sold_out = CounterMetricFamily("frontdesk_sold_outs",
                                       "Bookings refused because the rooms were gone (booking conflicts).")
        sold_out.add_metric([], db.session.scalar(select(func.count()).select_from(BookingConflict)) or 0)
        yield sold_out
        payouts = GaugeMetricFamily("frontdesk_payouts", "Payouts by current status.", labels=["status"])
        for status, count in db.session.execute(select(Payout.status, func.count()).group_by(Payout.status)):
            payouts.add_metric([status], count)
        yield payouts
        job_runs = CounterMetricFamily("frontdesk_job_runs", "Background job runs by outcome.", labels=["outcome"])
        for status, count in db.session.execute(select(JobRun.status, func.count()).group_by(JobRun.status)):
            job_runs.add_metric([status], count)
        yield job_runs
        fund = GaugeMetricFamily("frontdesk_fund_balance", "Operating fund balance (minor units).",
                                 labels=["currency"])
        for currency, balance in db.session.execute(select(OperatingFund.currency, OperatingFund.balance)):
            fund.add_metric([currency], balance)
        yield fund

    def _queues(self):
        from rq.registry import FailedJobRegistry

        from app.extensions import QUEUE_NAMES, get_queue

        lengths = GaugeMetricFamily("frontdesk_queue_length", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily("frontdesk_queue_failed_jobs", "Jobs in each queue's failed-job registry.",
                                   labels=["queue"])
        up = GaugeMetricFamily("frontdesk_redis_up", "1 when Redis answered this scrape.")
        try:
            for name in QUEUE_NAMES:
                queue = get_queue(name)
                lengths.add_metric([name], queue.count)
                failed.add_metric([name], FailedJobRegistry(queue=queue).count)
            up.add_metric([], 1)
            yield lengths
            yield failed
        except Exception as exc:  # noqa: BLE001 - Redis down: say so instead of failing the scrape
            log.warning("queue lengths unavailable for /metrics (%s)", exc.__class__.__name__)
            up.add_metric([], 0)
        yield up


def render() -> tuple[bytes, str]:
    """The scrape's body and content type."""
    from prometheus_client import CONTENT_TYPE_LATEST

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(BusinessCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _ProcessMetrics:
    """This process's own request metrics (single-process mode)."""

    def collect(self):
        yield from PROCESS_REGISTRY.collect()


def parse_networks(value: str | None) -> list:
    """METRICS_ALLOW_FROM: comma-separated CIDRs (e.g. "10.0.0.0/8, 127.0.0.1/32"). A bad entry raises
    ValueError (checked when the app is created, so a typo stops start-up)."""
    if not value:
        return []
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def access(config: dict, authorization: str | None, remote_addr: str | None) -> int:
    """200 when the scrape may read /metrics, else 401 (no or wrong token) or 403 (closed / not allowed)."""
    import hmac

    token = config.get("METRICS_TOKEN")
    networks = parse_networks(config.get("METRICS_ALLOW_FROM"))
    if token and authorization and authorization.startswith("Bearer "):
        if hmac.compare_digest(authorization[7:].strip().encode(), token.encode()):
            return 200
        return 401
    if networks and remote_addr:
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:
            return 403
        if any(address in network for network in networks):
            return 200
    if token:
        return 401
    if networks:
        return 403
    # Neither set: open in development and tests, closed in production.
    return 403 if config.get("FRONTDESK_ENV") == "production" else 200
