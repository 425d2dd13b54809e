"""Back-office pages."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.auth.decorators import role_required

bp = Blueprint("ops", __name__, url_prefix="/ops")


@bp.get("/")
@role_required("staff")
def today():
    return render_template("ops/today.html")
