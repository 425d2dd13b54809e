"""Frontdesk: a booking service and the back office that runs it."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from app.config import load_config
from app.core.context import accept_request_id, request_id_var
from app.core.logging import configure_logging
from app.extensions import babel, csrf, db, login_manager, migrate

log = logging.getLogger("app.request")

#: Blueprints, by module; each module exposes `bp`.
BLUEPRINTS = (
    "app.booking.views",
    "app.api",
    "app.auth.views",
    "app.ops.views",
    "app.remittance.views",
    "app.deposits.views",
    "app.notifications.views",
    "app.adjust.views",
    "app.refunds.views",
    "app.auditlog.views",
    "app.catalog.views",
    "app.reconcile.views",
    "app.approvals.views",
    "app.alerts.views",
    "app.reports.views",
    "app.observability.views",
    "app.support.views",
    "app.status.views",
    "app.emergency.views",
)


def create_app(overrides: dict | None = None) -> Flask:
    """The application factory: settings from the environment (plus `overrides`)."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.update(load_config(overrides))
    from app.core.adapters import check_adapters

    check_adapters(app.config)  # a bad BANK_ADAPTER / PAYMENT_GATEWAY / MAIL_BACKEND / SMS_BACKEND stops here
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_JSON"])
    app.extensions["frontdesk"] = {}

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    from app.core.i18n import init_i18n

    init_i18n(app, babel)

    with app.app_context():
        from app.core.db import configure_engine

        configure_engine(db.engine)

    import importlib

    importlib.import_module("app.models")  # every model registered with SQLAlchemy
    _register_request_hooks(app)
    from app.core.input_guard import init_input_guard

    init_input_guard(app)
    from app.core.security import init_security

    init_security(app)
    from app.core.web import register_error_handlers, register_template_helpers

    register_error_handlers(app)
    from app.core.outage import register_outage_handlers

    register_outage_handlers(app)  # the database unreachable: a 503 page, not a 500
    register_template_helpers(app)
    for module_name in BLUEPRINTS:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp)
    from app.cli import register_cli

    register_cli(app)
    return app


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _start_request():
        g.request_id = accept_request_id(request.headers.get("X-Request-Id"))
        g.request_id_token = request_id_var.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish_request(response):
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-Id"] = request_id
        started = getattr(g, "request_started", None)
        if started is not None and not request.path.startswith("/static/"):
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"status": response.status_code,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        return response

    from app.core.replica import close_reading_session

    app.teardown_appcontext(close_reading_session)

    @app.teardown_request
    def _end_request(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)
