"""The /v1 JSON API (API.md). Thin: parse, call a service, serialize."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/v1")

# Routes and hooks, in the order their hooks must run (auth before the views).
from app.api import auth, errors, limits, reservations, hotels, catalog, payments, openapi  # noqa: E402,F401,I001
