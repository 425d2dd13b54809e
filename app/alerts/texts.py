"""Words of the alerts: severity names, the facts of each rule in a sentence, and the
messages sent to people (rendered in the recipient's language by the caller's locale)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_datetime
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

SEVERITY_LABELS = {"CRITICAL": _l("Urgent"), "WARNING": _l("Warning"), "INFO": _l("Notice")}
AREA_LABELS = {"transactions": _l("Transactions"), "system": _l("System"), "security": _l("Security"),
               "money": _l("Funds")}
STATUS_LABELS = {"open": _l("Waiting for a person"), "acknowledged": _l("Someone is on it"),
                 "resolved": _l("Resolved")}

#: rule → one sentence of facts from the alert's details (placeholders are detail keys).
FACTS: dict[str, Any] = {
    "conflicts_critical": _l("Booking conflicts in the last hour: %(count)s"),
    "conflicts_warning": _l("Booking conflicts in the last hour: %(count)s"),
    "conflicts_info": _l("Booking conflicts in the last hour: %(count)s"),
    "fund_breaker_open": _l("Operating fund balance: %(balance)s %(currency)s"),
    "fund_critical": _l("Operating fund balance: %(balance)s %(currency)s"),
    "fund_low": _l("Operating fund balance: %(balance)s %(currency)s"),
    "payout_failure_rate": _l("Payout tries refused in the last hour: %(failed)s of %(total)s (%(percent)s %%)"),
    "payouts_abandoned": _l("Payouts waiting for a person: %(count)s"),
    "same_error": _l("Times in the last hour: %(count)s"),
    "recon_ghost": _l("Open differences of this kind: %(count)s"),
    "recon_external_only": _l("Open differences of this kind: %(count)s"),
    "recon_overdue": _l("Open differences past their deadline: %(count)s"),
    "audit_chain_broken": _l("Problems found in the audit log: %(problems)s"),
    "failed_jobs": _l("Failed background tasks: %(count)s"),
    "api_p95": _l("The slowest 5 %% of requests in the last %(minutes)s minutes took %(p95_ms)s ms or more "
                  "(limit: %(limit_ms)s ms)."),
    "slo_breach_p2": _l("%(slo_name)s: %(value_percent)s %% measured, the target is %(target_percent)s %%."),
    "slo_breach_p3": _l("%(slo_name)s: %(bad)s of %(total)s did not meet the target."),
    "batch_failed": _l("Business day concerned: %(date)s"),
    "batch_slow": _l("Business day concerned: %(date)s"),
    "chargeback": _l("Amount taken back: %(amount)s %(currency)s"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value


def facts_sentence(rule: str, details: dict[str, Any] | None) -> str:
    """The rule's facts sentence, or "" when the details lack a value it needs."""
    template = FACTS.get(rule)
    if template is None:
        return ""
    values = {k: _plain(v) for k, v in (details or {}).items()}
    if "slo" in values:  # a service level: its name in the reader's language
        from app.observability.slo import SLO_BY_KEY

        slo = SLO_BY_KEY.get(str(values["slo"]))
        values["slo_name"] = str(slo.label) if slo is not None else values["slo"]
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return ""


def local_time(moment: datetime, language: str, tz: str | None = None) -> str:
    """A moment in the operators' time zone and language (오전/오후 in Korean)."""
    zone = ZoneInfo(tz or current_app.config.get("FRONTDESK_TIMEZONE", "Asia/Seoul"))
    # CLDR's Korean pattern says "PM 3:30"; operators read 오후 3:30.
    pattern = "y. M. d. aaaa h:mm" if (language or "ko") == "ko" else "medium"
    return babel_datetime(moment, pattern, tzinfo=zone, locale=language or "ko")


def alert_link(public_id: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/ops/alerts/{public_id}"


def render_message(kind: str, alert, rule, language: str) -> tuple[str, str]:
    """(subject, body) of one message about `alert`, in the current locale (the caller wraps
    this in force_locale(language)). kind: opened | repeat | escalated | resolved."""
    label = str(SEVERITY_LABELS.get(alert.severity, alert.severity))
    title = str(rule.title) if rule is not None else alert.rule
    since = local_time(alert.opened_at, language)
    if kind == "resolved":
        subject = _("[Resolved] %(title)s", title=title)
        how = (_("It cleared by itself.") if alert.resolved_how == "cleared"
               else _("A person marked it resolved."))
        lines = [subject, _("Open since: %(time)s", time=since), how]
    else:
        prefix = {"opened": "", "repeat": _("(still open)"), "escalated": _("(no one answered yet)")}[kind]
        subject = " ".join(part for part in (f"[{label}]", prefix, title) if part)
        lines = [subject, _("Since: %(time)s", time=since)]
        facts = facts_sentence(alert.rule, alert.details)
        if facts:
            lines.append(facts)
        if rule is not None:
            lines.append(_("What to do: %(todo)s", todo=str(rule.todo)))
        if kind == "escalated":
            lines.append(_("Nobody acknowledged this alert in time, so it now comes to you."))
    lines.append(_("Open the alert: %(link)s", link=alert_link(alert.public_id)))
    return subject[:300], "\n".join(lines)
