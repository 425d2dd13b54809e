"""Customer pages: search, hotel, booking form, confirmation, find my booking."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("booking", __name__)


@bp.get("/")
def index():
    return render_template("booking/index.html")
