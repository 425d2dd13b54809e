"""Back-office pages: customer messages (failed ones first, with Resend), the
system's health (workers, clock, Redis) and RQ's failed jobs (Requeue,
Delete). Thin: role → form → one service → flash → redirect.

Also registers the navigation links, the Today counts and the health
banner shown on every back-office page (templates/ops/_banners.html).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from redis.exceptions import RedisError

from app.auth.decorators import role_required
from app.core.actor import Actor
from app.core.errors import DomainError
from app.notifications import queries
from app.notifications.forms import ConfirmForm
from app.notifications.policies import MAX_ATTEMPTS, RETRY_DELAYS, mask_email, mask_phone
from app.notifications.services import resend_message
from app.ops import health
from app.ops.checklist import TodayCount, nav_link, today_item

bp = Blueprint("notifications", __name__, url_prefix="/ops")

nav_link("messages", "notifications.messages", _l("Messages"), role="staff", order=70)
nav_link("system", "notifications.system", _l("System"), role="staff", order=90)


@bp.app_context_processor
def _health_banner_helpers():
    return {"ops_health_problems": health.banner_problems}


@bp.app_template_filter("masked_recipient")
def _masked_recipient(message) -> str:
    if message.channel == "webhook":  # a chat hook's URL holds its secret: show the host only
        from urllib.parse import urlsplit
        return f"{urlsplit(message.recipient).hostname or '?'}/…"
    return mask_email(message.recipient) if message.channel == "email" else mask_phone(message.recipient)


def _actor() -> Actor:
    return Actor.operator(current_user)


# --- messages ------------------------------------------------------------------------------

@bp.get("/messages")
@role_required("staff")
def messages():
    return render_template("notifications/ops/messages.html", failed=queries.list_failed_messages(),
                           recent=queries.list_recent_messages(), counts=queries.count_by_status(),
                           retry_minutes=[int(d.total_seconds() // 60) for d in RETRY_DELAYS],
                           max_attempts=MAX_ATTEMPTS)


@bp.get("/messages/<int:message_id>")
@role_required("staff")
def message_detail(message_id: int):
    message = queries.get_message(message_id) or abort(404)
    return render_template("notifications/ops/message_detail.html", message=message)


@bp.route("/messages/<int:message_id>/resend", methods=["GET", "POST"])
@role_required("staff")
def resend(message_id: int):
    message = queries.get_message(message_id) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            resend_message(message_id, actor=_actor())
        except DomainError as exc:
            flash(str(exc.fields.get("status") or exc.message), "error")
            return redirect(url_for("notifications.message_detail", message_id=message_id))
        flash(_("The message is queued again. The guest gets it within a minute; this page shows when it "
                "has gone out."), "success")
        return redirect(url_for("notifications.message_detail", message_id=message_id))
    return render_template("notifications/ops/resend_confirm.html", message=message, form=form)


# --- system health and failed jobs ------------------------------------------------------------

@bp.get("/system")
@role_required("staff")
def system():
    health.clear_health_cache()  # this page always shows the state right now
    report = health.check_health()
    from workers.cron import PERIODIC_JOBS

    return render_template("notifications/ops/system.html", report=report, periodic=PERIODIC_JOBS,
                           stale_after=health.STALE_AFTER)


@bp.get("/system/failed-jobs")
@role_required("staff")
def failed_jobs():
    try:
        jobs, redis_error = health.list_failed_jobs(), None
    except RedisError as exc:
        jobs, redis_error = [], str(exc)
    return render_template("notifications/ops/failed_jobs.html", jobs=jobs, redis_error=redis_error)


_JOB_ACTIONS = {"requeue": health.requeue_failed_job, "delete": health.delete_failed_job}


@bp.route("/system/failed-jobs/<queue>/<job_id>/<action>", methods=["GET", "POST"])
@role_required("staff")
def failed_job_action(queue: str, job_id: str, action: str):
    if action not in _JOB_ACTIONS:
        abort(404)
    try:
        job = health.get_failed_job(queue, job_id)
    except RedisError as exc:
        flash(_("Redis is not answering, so the list cannot be read: %(error)s", error=str(exc)), "error")
        return redirect(url_for("notifications.system"))
    except DomainError:
        flash(_("This job is no longer in the failed list: someone else may have handled it already."), "warning")
        return redirect(url_for("notifications.failed_jobs"))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            _JOB_ACTIONS[action](queue, job_id, actor=_actor())
        except RedisError as exc:
            flash(_("Redis is not answering, so the list cannot be read: %(error)s", error=str(exc)), "error")
            return redirect(url_for("notifications.system"))
        except DomainError:
            flash(_("This job is no longer in the failed list: someone else may have handled it already."),
                  "warning")
            return redirect(url_for("notifications.failed_jobs"))
        if action == "requeue":
            flash(_("The job is back in the “%(queue)s” queue. A worker runs it within a minute; if it fails "
                    "again it comes back to this list.", queue=queue), "success")
        else:
            flash(_("The job was deleted. It will not run."), "success")
        return redirect(url_for("notifications.failed_jobs"))
    return render_template("notifications/ops/failed_job_confirm.html", job=job, action=action, form=form)


# --- Today ------------------------------------------------------------------------------------

@today_item("morning", order=12, title=_l("Background jobs that failed"), endpoint="notifications.failed_jobs")
def failed_jobs_today() -> TodayCount:
    """Failed RQ jobs of every queue. Redis down → raises, and Today says it could not be counted."""
    count = sum(health.failed_job_counts().values())
    return TodayCount(key="failed_jobs", title=_l("Background jobs that failed"),
                      why=_l("Each one is work that did not happen. This list should always be empty."),
                      count=count, endpoint="notifications.failed_jobs", severity="bad" if count else "ok")


@today_item("morning", order=13, title=_l("Messages to guests that could not be sent"),
            endpoint="notifications.messages")
def failed_messages_today() -> TodayCount:
    count = queries.count_failed_messages()
    return TodayCount(key="failed_messages", title=_l("Messages to guests that could not be sent"),
                      why=_l("The guest has not been told. Send it again, or call them."), count=count,
                      endpoint="notifications.messages", severity="bad" if count else "ok")
