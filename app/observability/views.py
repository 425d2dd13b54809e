"""Pages of the observability package: the probes, /metrics, the service-level page and the trace."""
from __future__ import annotations

import logging
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, request

from app.extensions import csrf

log = logging.getLogger(__name__)

bp = Blueprint("observability", __name__)

#: Paths for load balancers and scrapers: no sign-in, no session, no CSRF, not recorded as traffic.
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")


@bp.record_once
def _install(state) -> None:
    from app.observability import web

    web.init_app(state.app)


@bp.route("/healthz")
@csrf.exempt
def healthz():
    """The process is alive and answers (touches neither the database nor Redis)."""
    return jsonify(status="ok")


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The revision ids the migrations directory ends at (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    directory = current_app.root_path + "/../migrations"
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def readiness() -> tuple[bool, dict]:
    """(ready, details): the database answers and is migrated to head, and Redis answers."""
    from sqlalchemy import text

    from app.extensions import db, redis_connection

    checks: dict[str, str] = {}
    reasons: list[str] = []
    try:
        # The request's own session: a read-only look, rolled back right after.
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
        try:
            with db.session.begin_nested():
                current = {row[0] for row in db.session.execute(text("SELECT version_num FROM alembic_version"))}
        except Exception:  # noqa: BLE001 - no alembic_version table: never migrated
            current = set()
        db.session.rollback()
        heads = migration_heads()
        if current == set(heads):
            checks["migrations"] = "ok"
        else:
            checks["migrations"] = "behind"
            reasons.append(f"database at {', '.join(sorted(current)) or 'no revision'}, "
                           f"code expects {', '.join(sorted(heads))}: run `flask db upgrade`")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said plainly
        db.session.rollback()
        checks["database"] = "down"
        checks["migrations"] = "unknown"
        reasons.append(f"database does not answer ({exc.__class__.__name__})")
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = "down"
        reasons.append(f"redis does not answer ({exc.__class__.__name__})")
    return not reasons, {"checks": checks, "reasons": reasons}


@bp.route("/readyz")
@csrf.exempt
def readyz():
    """200 when this process can serve: database and Redis answer and migrations are at head; else 503."""
    ready, details = readiness()
    body = {"status": "ready" if ready else "not_ready", **details}
    if not ready:
        log.warning("not ready: %s", "; ".join(details["reasons"]))
    return jsonify(body), (200 if ready else 503)


@bp.route("/metrics")
@csrf.exempt
def metrics():
    """Prometheus text format; needs METRICS_TOKEN (Bearer) or an address in METRICS_ALLOW_FROM."""
    from app.observability import metrics as prom

    status = prom.access(current_app.config, request.headers.get("Authorization"), request.remote_addr)
    if status == 401:
        return Response("unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if status != 200:
        return Response("forbidden\n", status=403, mimetype="text/plain")
    body, content_type = prom.render()
    return Response(body, status=200, content_type=content_type)


from app.observability import pages  # noqa: E402,F401  (the back-office pages register on bp)
