"""The /v1 JSON API (API.md). Thin: parse, call a service, serialize."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/v1")

from app.api import auth, reservations  # noqa: E402,F401  (routes and hooks)
