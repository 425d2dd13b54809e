"""/ops/audit: who did what, before → after, why, with the request id. Read-only:
audit rows cannot be changed or deleted through the application.

/ops/audit/chain: what the last check of the hash chain found (app.auditlog.chain),
and an admin's written acknowledgement of a break. The red banner on every
back-office page (templates/auditlog/_chain_banner.html) reads `audit_chain_alert`."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.auditlog import chain, sentences
from app.auditlog.forms import AcknowledgeBreakForm
from app.auth.decorators import role_required
from app.auth.roles import has_role
from app.core.actor import Actor
from app.auth.models import Operator
from app.booking.models import Reservation
from app.core.audit import AuditEvent
from app.extensions import db
from app.ops.checklist import nav_link

log = logging.getLogger(__name__)
bp = Blueprint("auditlog", __name__)
PAGE_SIZE = 50

# History in sentences for every template (templates/_history.html, the audit log, ticket history).
bp.add_app_template_global(sentences.describe, "history_line")
bp.add_app_template_global(sentences.state_words, "state_words")
bp.add_app_template_global(sentences.reason_words, "reason_words")
bp.add_app_template_global(sentences.HISTORY_WORDS, "history_words")
bp.add_app_template_global(sentences.action_sentence, "action_sentence")

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


# --- the hash chain ---------------------------------------------------------------------------------

def _chain_alert():
    """The `broken` check the banner shows, or None (never raises: a banner must not break a page)."""
    try:
        return chain.current_alert()
    except Exception:
        log.exception("could not read the audit chain's state")
        return None


@bp.app_template_filter("iso_datetime")
def _iso_datetime(value) -> str:
    """An ISO timestamp kept in JSON, shown as the pages show times ("—" when unreadable)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return "—"
    return current_app.jinja_env.filters["local_datetime"](parsed)


@bp.app_context_processor
def _chain_banner_helpers():
    return {"audit_chain_alert": _chain_alert}


def _chain_page(form: AcknowledgeBreakForm, status: int = 200):
    latest = chain.latest_outcome()
    checkpoint = chain.known_checkpoints()
    can_acknowledge = has_role(current_user.role, "admin") and latest is not None and latest.kind == "broken"
    return render_template("auditlog/chain.html", latest=latest, checkpoints=checkpoint, form=form,
                           can_acknowledge=can_acknowledge), status


@bp.get("/ops/integrity")
@role_required("staff")
def chain_status():
    return _chain_page(AcknowledgeBreakForm())


@bp.post("/ops/integrity/acknowledge")
@role_required("admin")
def chain_acknowledge():
    form = AcknowledgeBreakForm()
    if not form.validate_on_submit():
        return _chain_page(form, 422)
    try:
        chain.acknowledge_breaks(form.reason.data, actor=Actor.operator(current_user))
    except chain.NothingToAcknowledge as exc:
        flash(str(exc.message), "warning")
        return redirect(url_for("auditlog.chain_status"))
    flash(_("Acknowledged. The red banner is gone for everyone; the nightly check still lists this break but no "
            "longer raises an alarm for it. A new break raises one again."), "success")
    return redirect(url_for("auditlog.chain_status"))
