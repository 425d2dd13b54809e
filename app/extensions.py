"""The Flask extensions, created once and bound in create_app()."""
from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

QUEUE_NAMES = ("high", "default", "low")


def redis_connection() -> Redis:
    """The app's Redis client (one per process, created lazily).

    Connecting never happens here: redis-py connects on first command, so an
    app whose Redis is down still starts and serves bookings (invariant 5).
    """
    ext = current_app.extensions["frontdesk"]
    conn = ext.get("redis")
    if conn is None:
        conn = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_connect_timeout=1,
            socket_timeout=5,
            health_check_interval=30,
            # No retries with back-off: when Redis is down a request must not wait
            # seconds for it (the outbox and the sweeps catch up afterwards).
            retry=Retry(NoBackoff(), 0),
        )
        ext["redis"] = conn
    return conn


def get_queue(name: str = "default"):
    """An RQ queue by name (`high`, `default` or `low`)."""
    from rq import Queue

    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection())
