"""Plain-language time spans for the back office ("2 h 15 min")."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _


def format_time_left(deadline: datetime | None, now: datetime) -> str:
    """How long until `deadline`, in words; "past due" once it has passed."""
    if deadline is None:
        return ""
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return _("past due")
    minutes = (seconds + 59) // 60
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return _("%(d)s d %(h)s h", d=days, h=hours) if hours else _("%(d)s d", d=days)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=minutes) if minutes else _("%(h)s h", h=hours)
    return _("%(m)s min", m=minutes)


def format_time_ago(moment: datetime | None, now: datetime) -> str:
    """How long ago `moment` was, in words."""
    if moment is None:
        return ""
    seconds = max(0, int((now - moment).total_seconds()))
    minutes = seconds // 60
    if minutes < 1:
        return _("just now")
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _("%(d)s d ago", d=hours // 24)
    if hours:
        return _("%(h)s h %(m)s min ago", h=hours, m=minutes) if minutes else _("%(h)s h ago", h=hours)
    return _("%(m)s min ago", m=minutes)
