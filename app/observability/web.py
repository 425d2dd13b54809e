"""The request hook: every answered request is recorded (durations per route) and counted for /metrics."""
from __future__ import annotations

import time

from flask import Flask, g, request

from app.observability import requests as recorder


def init_app(app: Flask) -> None:
    """Install the after-request hook (once per app) and, outside tests, the background flusher."""
    if app.extensions.get("observability_hooks"):
        return
    app.extensions["observability_hooks"] = True
    from app.config import ConfigError
    from app.observability.metrics import parse_networks

    try:
        parse_networks(app.config.get("METRICS_ALLOW_FROM"))
    except ValueError as exc:
        raise ConfigError(f"METRICS_ALLOW_FROM must be a comma list of networks such as 10.0.0.0/8: {exc}") from exc
    enabled = app.config.get("REQUEST_METRICS_ENABLED", True)
    interval = 0 if app.testing else int(app.config.get("REQUEST_METRICS_FLUSH_SECONDS", 10))

    @app.after_request
    def _record_request(response):
        started = getattr(g, "request_started", None)
        path = request.path
        if started is None or not enabled or path.startswith(recorder.UNRECORDED_PREFIXES):
            return response
        duration_ms = (time.perf_counter() - started) * 1000.0
        rule = request.url_rule
        route = rule.rule if rule is not None else "<unmatched>"
        endpoint = request.endpoint or "<unmatched>"
        recorder.record(route, endpoint, request.method, response.status_code, duration_ms)
        from app.observability import metrics

        metrics.observe_request(endpoint, request.method, response.status_code, duration_ms / 1000.0)
        if interval:
            recorder.start_flusher(app, interval)
        return response
