"""Back-office pages: service levels (managers) and the trace (staff). Read-only pages (GET only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.decorators import role_required
from app.core import clock
from app.observability import slo as slos
from app.observability import trace as tracing
from app.observability.requests import day_bounds
from app.observability.views import bp
from app.ops.checklist import nav_link

nav_link("service_levels", "observability.service_levels", _l("Service levels"), role="manager", order=82)
nav_link("trace", "observability.trace", _l("Trace"), role="staff", order=96)

#: What a person does when an SLO is missed (plain words), by SLO key.
SLO_TODO = {
    "payment_success": _l("Look at the failed payments of the day and ask the card company whether something is "
                          "wrong on their side; tell the operations lead."),
    "payout_success": _l("Look at the transfers that failed or wait for a person, check the operating fund and "
                         "ask the bank; tell the operations lead."),
    "api_p95": _l("Tell the developer on duty that pages and the API answer slowly."),
    "reconciliation_match": _l("Open the reconciliation page and handle the differences; tell the finance team."),
    "failed_jobs": _l("Open the System page, read why the background tasks failed and run them again or tell the "
                      "developer on duty."),
}
#: The seed's breach levels in words (the code itself is shown in the folded details).
SEVERITY_WORDS = {"P2": _l("a serious incident"), "P3": _l("an incident")}
DAYS = 30


@dataclass
class DayFigure:
    day: date
    m: slos.Measurement


@dataclass
class SloRow:
    slo: slos.SLO
    rolling: slos.Measurement
    today: slos.Measurement
    budget: float | None
    days: list[DayFigure]

    @property
    def breached(self) -> bool:
        return self.rolling.met is False or self.today.met is False


def _rows() -> list[SloRow]:
    tz = current_app.config["FRONTDESK_TIMEZONE"]
    today = clock.local_today(tz)
    now = clock.now()
    today_start, _end = day_bounds(today, tz)
    rows = []
    for slo in slos.SLOS:
        rolling = slos.measure(slo.key, now - timedelta(days=DAYS), now)
        days = []
        for back in range(DAYS):
            day = today - timedelta(days=back)
            start, end = day_bounds(day, tz)
            days.append(DayFigure(day, slos.measure(slo.key, start, min(end, now) if back == 0 else end)))
        rows.append(SloRow(slo, rolling, slos.measure(slo.key, today_start, now),
                           slos.budget_used(slo, rolling), days))
    return rows


def target_text(slo: slos.SLO) -> str:
    """The objective in words: "at least 98 %", "under 0.5 seconds for 95 % of requests", "none"."""
    if slo.kind == "ratio":
        return _("at least %(percent)s %%", percent=format_decimal(slo.target * 100, format="#,##0.##"))
    if slo.kind == "p95_ms":
        return _("under %(seconds)s seconds for 95 %% of requests",
                 seconds=format_decimal(slo.target / 1000, format="0.0#"))
    return _("none")


def value_text(slo: slos.SLO, m: slos.Measurement) -> str:
    """The measured value in words; "no data" when nothing happened in the range."""
    if slo.kind == "zero":
        return _("%(count)s failed of %(total)s", count=m.bad, total=m.total) if m.total else _("no tasks ran")
    if m.value is None:
        return _("no data")
    if slo.kind == "ratio":
        return _("%(percent)s %% (%(good)s of %(total)s)", percent=format_decimal(m.value * 100, format="#,##0.0#"),
                 good=format_decimal(m.good), total=format_decimal(m.total))
    return _("%(seconds)s seconds (%(total)s requests)", seconds=format_decimal(m.value / 1000, format="0.00"),
             total=format_decimal(m.total))


def budget_text(slo: slos.SLO, used: float | None) -> str:
    """How much of the error budget the rolling 30 days used, in words."""
    if used is None:
        return _("nothing to measure yet")
    if used == float("inf"):
        return _("no failure is allowed, and there were failures")
    if slo.kind == "zero":
        return _("no failures")
    return _("%(percent)s %% of the allowed failures used", percent=format_decimal(used * 100, format="#,##0"))


@bp.app_template_global("slo_words")
def slo_words():
    """The sentence helpers, for templates."""
    return {"target": target_text, "value": value_text, "budget": budget_text}


@bp.app_template_filter("trace_moment")
def trace_moment(value) -> str:
    """A moment to the second, as operators read it: "2026. 12. 7. 오후 9:50:37" (Korean: 오전/오후)."""
    from app.core.language import moment

    return moment(value, seconds=True) if value is not None else ""


@bp.app_template_global("footer_trace_link")
def footer_trace_link() -> bool:
    """The footer's request id links to the trace for signed-in staff (read without loading anyone:
    an error page while the database is down must not try)."""
    from flask import g

    from app.auth.roles import has_role

    user = g.get("_login_user")
    try:
        return bool(user is not None and user.is_authenticated and has_role(user.role, "staff"))
    except Exception:  # noqa: BLE001 - a detached or broken user object: no link
        return False


@bp.get("/ops/service-levels")
@role_required("manager")
def service_levels():
    """Each service level of seed 001 Appendix A: the rolling 30 days with its error budget, today, per day."""
    rows = _rows()
    return render_template("observability/service_levels.html", rows=rows, days=DAYS, todo=SLO_TODO,
                           severity_words=SEVERITY_WORDS, breached=[r for r in rows if r.breached])


@bp.get("/ops/trace")
@role_required("staff")
def trace():
    """One search box → one timeline (seed 001 Appendix B)."""
    raw = request.args.get("q", "")
    query = raw.strip()[:100]
    result = tracing.find(query) if query else None
    return render_template("observability/trace.html", q=query, result=result,
                           invalid=bool(query) and tracing.normalize(query) is None,
                           kind_labels=tracing.KIND_LABELS, lane_labels=tracing.LANE_LABELS)
