"""Subscribers' mail, written in the subscriber's language and queued in the outbox.

The texts are rendered here (flask_babel.force_locale) and stored ready to send, so the
outbox's pre-rendered path (queue_operator_message) carries them; nothing is tied to a booking.
Each message has a dedupe key (subscriber + update), so publishing twice never mails twice.
"""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.notifications.services import queue_operator_message
from app.status import policies


def _absolute(endpoint: str, **values) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def queue_confirmation(sub) -> None:
    from app.status.services import subscriber_token

    link = _absolute("status.confirm", token=subscriber_token(sub, "confirm"))
    with force_locale(sub.language):
        subject = _("Confirm your status mail")
        body = "\n\n".join([
            _("You (or someone with your address) asked for mail when our service has a problem or planned "
              "maintenance."),
            _("To confirm, open this link:") + "\n" + link,
            _("If it was not you, ignore this mail: nothing will be sent."),
        ])
    queue_operator_message(event="status_subscribe_confirm", channel="email", recipient=sub.email,
                           language=sub.language, subject=subject, body=body,
                           dedupe_key=f"status-confirm:{sub.id}:{sub.confirmations_sent}")


def status_label(kind_status: str) -> str:
    return {"investigating": _("Investigating"), "identified": _("Cause identified"),
            "monitoring": _("Monitoring the fix"), "resolved": _("Resolved"), "scheduled": _("Scheduled"),
            "in_progress": _("In progress"), "completed": _("Completed")}.get(kind_status, kind_status)


def queue_update_mail(sub, notice, update) -> None:
    from app.status.services import subscriber_token

    lang = sub.language if sub.language in policies.LANGUAGES else "en"
    part = (update.texts or {}).get(lang) or {}
    page = current_app.config["STATUS_PAGE_URL"].rstrip("/") + f"/status.{lang}.html"
    stop = _absolute("status.unsubscribe", token=subscriber_token(sub, "unsubscribe"))
    with force_locale(lang):
        lines = [part.get("body", ""), _("Impact: %(impact)s", impact=part.get("impact", ""))]
        if update.next_update_at:
            utc, local = policies.timeline_times(update.next_update_at, lang)
            lines.append(_("Next update: %(local)s (%(utc)s)", local=local, utc=utc))
        lines += [_("Status page: %(url)s", url=page), _("To stop these mails, open: %(url)s", url=stop)]
        subject = f"[{status_label(update.status)}] {part.get('title', '')}"
    queue_operator_message(event="status_update", channel="email", recipient=sub.email, language=lang,
                           subject=subject, body="\n\n".join(lines),
                           dedupe_key=f"status-update:{update.id}:{sub.id}")
