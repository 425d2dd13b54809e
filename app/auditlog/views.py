"""/ops/audit: who did what, before → after, why, with the request id. Read-only:
audit rows cannot be changed or deleted through the application."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.auth.decorators import role_required
from app.auth.models import Operator
from app.booking.models import Reservation
from app.core.audit import AuditEvent
from app.extensions import db
from app.ops.checklist import nav_link

bp = Blueprint("auditlog", __name__)
PAGE_SIZE = 50

nav_link("audit", "auditlog.audit", _l("Audit log"), role="staff", order=95)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters() -> dict:
    args = request.args
    return {"code": (args.get("code") or "").strip()[:40], "operator": (args.get("operator") or "").strip()[:200],
            "action": (args.get("action") or "").strip()[:80], "start": _date(args.get("start")),
            "end": _date(args.get("end"))}


def _query(f: dict):
    q = select(AuditEvent, Reservation.code).outerjoin(Reservation, Reservation.id == AuditEvent.reservation_id)
    if f["code"]:
        code = f["code"].upper().replace("-", "")
        q = q.where(Reservation.code == code)
    if f["operator"]:
        q = q.where(func.lower(AuditEvent.actor_name).contains(f["operator"].lower(), autoescape=True))
    if f["action"]:
        q = q.where(or_(AuditEvent.action == f["action"], AuditEvent.action.startswith(f["action"] + ".",
                                                                                         autoescape=True)))
    tz = ZoneInfo(current_app.config.get("FRONTDESK_TIMEZONE", "Asia/Seoul"))
    if f["start"]:
        q = q.where(AuditEvent.created_at >= datetime.combine(f["start"], time.min, tz))
    if f["end"]:
        q = q.where(AuditEvent.created_at < datetime.combine(f["end"] + timedelta(days=1), time.min, tz))
    return q


@bp.get("/ops/audit")
@role_required("staff")
def audit():
    f = _filters()
    bad_dates = bool(request.args.get("start") and not f["start"]) or bool(request.args.get("end") and not f["end"])
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    q = _query(f)
    total = db.session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.session.execute(q.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    actions = list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    operators = list(db.session.scalars(select(Operator.email).order_by(Operator.email)))
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("auditlog/index.html", rows=rows, f=f, total=total, page=page, pages=pages,
                           actions=actions, operators=operators, args=args, bad_dates=bad_dates)
