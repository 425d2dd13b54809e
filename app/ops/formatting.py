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


def format_local_time(moment: datetime | None) -> str:
    """A time of day in the operator's time zone and language (Korean: 오후 3:05)."""
    if moment is None:
        return ""
    from flask_babel import format_time

    return format_time(moment, _time_pattern())


def format_hour_range(hour: int) -> str:
    """One local hour as a range, e.g. 20 → 오후 8:00–9:00 in Korean."""
    from datetime import time

    from flask_babel import get_locale
    from babel.dates import format_time

    locale = get_locale() or "ko"
    start = format_time(time(hour % 24, 0), _time_pattern(), locale=locale)
    end = format_time(time((hour + 1) % 24, 0), _time_pattern(), locale=locale)
    return f"{start}–{end}"


def format_rate(good: int, total: int) -> str:
    """good/total as a percent with one decimal ("97.5%"); "—" when there is nothing to divide."""
    if not total:
        return "—"
    from flask_babel import format_percent

    return format_percent(good / total, "#,##0.0%")


def format_target(share: float) -> str:
    """A target share (0.98) as a percent ("98%", "99.9%")."""
    from flask_babel import format_percent

    return format_percent(share, "#,##0.#%")


def format_percent_change(current: int, previous: int) -> str:
    """Change from previous to current, signed ("+50%", "−20%"); "—" when previous is 0."""
    if not previous:
        return "—"
    from flask_babel import format_percent

    change = (current - previous) / previous
    text = format_percent(abs(change), "#,##0.#%")
    return ("+" if change > 0 else "−" if change < 0 else "±") + text


def _time_pattern() -> str:
    """Babel's short time, except Korean: CLDR's short Korean time says "AM 9:00"; operators read 오전 9:00."""
    from flask_babel import get_locale

    locale = get_locale()
    return "aaaa h:mm" if locale is not None and locale.language == "ko" else "short"
