"""Pages of the reports package: the list of reports, one report (tables + charts), its CSV, and a
manager's "compute now" (figures only; the email goes out with the scheduled run).

Staff may read the reports (they hold no guest's personal data, only counts and sums); managers may
compute them. Thin: check the role → validate → call one service → flash → redirect.
"""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.decorators import role_required
from app.core import clock
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.ops.checklist import nav_link
from app.ops.formatting import format_hour_range
from app.reports import labels, policies, queries, services
from app.reports.forms import ComputeForm, OpenReportForm
from app.reports.policies import KINDS

bp = Blueprint("reports", __name__, url_prefix="/ops/reports", cli_group="report")

nav_link("reports", "reports.index", _l("Reports"), role="staff", order=80)

from app.reports import cli as _cli  # noqa: E402

_cli.register(bp)


def period_title(run) -> str:
    """"2026년 12월 7일 (월)" / "2026년 11월 30일 – 12월 6일" / "2026년 11월", in the current language."""
    if run.kind == "daily":
        return format_date(run.period_start, "full")
    if run.kind == "monthly":
        lang = str(get_locale() or "ko")
        if lang == "ko":
            return f"{run.period_start.year}년 {run.period_start.month}월"
        if lang == "ja":
            return f"{run.period_start.year}年{run.period_start.month}月"
        return format_date(run.period_start, "MMMM y")
    return f"{format_date(run.period_start, 'long')} – {format_date(run.period_end, 'long')}"


@bp.app_template_filter("report_moment")
def _report_moment(value) -> str:
    """A moment as the operator reads it: "2026. 12. 3. 오후 6:00" (오전/오후 in Korean)."""
    from app.core.language import moment

    return moment(value) if value else ""


def _parse_start(kind: str, start: str) -> date:
    if kind not in KINDS:
        abort(404)
    try:
        day = date.fromisoformat(start)
    except ValueError:
        abort(404)
    if not policies.is_valid_period_start(kind, day):
        abort(404)
    return day


@bp.get("/")
@role_required("staff")
def index():
    form = OpenReportForm(request.args)
    if request.args and form.validate():
        period = policies.period_for(form.kind.data, form.day.data)
        return redirect(url_for("reports.report_page", kind=period.kind, start=period.start.isoformat()))
    compute_form = ComputeForm()
    return render_template("reports/index.html", runs=queries.list_runs(), form=form, compute_form=compute_form,
                           kind_labels=labels.KIND_LABELS, period_title=period_title,
                           recipients=policies.parse_recipients(_config("REPORT_RECIPIENTS")))


def _config(name: str):
    from flask import current_app

    return current_app.config.get(name)


@bp.post("/compute")
@role_required("manager")
def compute():
    form = ComputeForm()
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "warning")
        return redirect(url_for("reports.index"))
    try:
        run = services.run_report(form.kind.data, form.day.data, send=False,
                                  actor=Actor.operator(current_user._get_current_object()))
    except ValidationFailed:
        if form.day.data > policies.korean_today(clock.now()):
            flash(_("That period has not started yet. Choose a day up to today."), "warning")
        else:
            flash(_("Choose a day from the year 2000 on."), "warning")
        return redirect(url_for("reports.index"))
    flash(_("The report was computed from the latest records. No email was sent; the scheduled report "
            "is emailed by itself."), "success")
    return redirect(url_for("reports.report_page", kind=run.kind, start=run.period_start.isoformat()))


@bp.get("/<kind>/<start>")
@role_required("staff")
def report_page(kind: str, start: str):
    day = _parse_start(kind, start)
    run = queries.get_run(kind, day)
    if run is None:
        return render_template("reports/missing.html", kind=kind, day=day, kind_labels=labels.KIND_LABELS,
                               compute_form=ComputeForm(),
                               can_compute=current_user.has_role("manager")), 404
    locale = str(get_locale() or "ko")
    return render_template("reports/report.html", run=run, f=run.figures, sections=labels.rows(run.figures, locale),
                           title=labels.KIND_LABELS[run.kind], when=period_title(run), chart=_chart_data(run, locale),
                           severity_labels=labels.SEVERITY_LABELS, hour_range=format_hour_range,
                           slo_labels=labels.SLO_LABELS,
                           compute_form=ComputeForm(), now=clock.now(),
                           fmt=lambda v, k: labels.format_value(v, k, run.figures.get("currency", "KRW"), locale))


@bp.get("/<kind>/<start>.csv")
@role_required("staff")
def report_csv(kind: str, start: str):
    day = _parse_start(kind, start)
    run = queries.get_run(kind, day)
    if run is None:
        abort(404)
    locale = str(get_locale() or "ko")
    return Response(render_csv(run, locale).encode("utf-8-sig"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="report-{kind}-{start}.csv"'})


def render_csv(run, locale: str) -> str:
    """The report's figures as CSV rows: section, figure, value (plain number), as written on the page."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Section"), _("Figure"), _("Value"), _("As shown")])
    writer.writerow([_("Report"), str(labels.KIND_LABELS[run.kind]), run.period_start.isoformat(),
                     run.period_end.isoformat()])
    for section in labels.rows(run.figures, locale):
        for row in section["rows"]:
            writer.writerow([str(section["title"]), str(row["label"]),
                             "" if row["value"] is None else row["value"], row["text"]])
    f = run.figures
    conflicts = f.get("conflicts") or {}
    for entry in conflicts.get("byHotel", []):
        writer.writerow([_("Conflicts by hotel"), entry["name"], entry["count"], entry["count"]])
    for entry in conflicts.get("byRoomType", []):
        writer.writerow([_("Conflicts by room type"), f"{entry['hotel']} · {entry['name']}", entry["count"],
                         entry["count"]])
    for entry in conflicts.get("byNight", []):
        writer.writerow([_("Conflicts by night"), entry["night"], entry["count"], entry["count"]])
    for hour, count in enumerate(conflicts.get("byHour", [])):
        if count:
            writer.writerow([_("Conflicts by hour of day"), f"{hour:02d}:00", count, count])
    for entry in f.get("trend", []):
        writer.writerow([_("Day by day"), entry["day"], entry["bookings"], entry["net"]])
    return out.getvalue()


def _chart_data(run, locale: str) -> dict:
    """What static/js/reports.js draws (the same numbers are in the tables)."""
    f = run.figures
    conflicts = f.get("conflicts") or {}
    payouts = f.get("payouts") or {}
    revenue = f.get("revenue") or {}
    data = {
        "hours": {"labels": [f"{h}" for h in range(24)], "values": conflicts.get("byHour", [0] * 24),
                  "title": _("Booking conflicts by hour of day")},
        "payouts": {"labels": [_("Completed"), _("Failed"), _("On the way"), _("Late")],
                    "values": [payouts.get("succeeded", 0), payouts.get("failed", 0), payouts.get("inProgress", 0),
                               payouts.get("late", 0)], "title": _("Payouts")},
        "money": {"labels": [_("Card payments"), _("Bank transfers received"), _("Refunded to guests"),
                             _("Taken back by the bank")],
                  "values": [revenue.get("card", 0), revenue.get("bank", 0), revenue.get("refunded", 0),
                             revenue.get("reversed", 0)], "title": _("Money in and out")},
    }
    if f.get("trend"):
        data["trend"] = {"labels": [format_date(date.fromisoformat(t["day"]), "M/d") for t in f["trend"]],
                         "bookings": [t["bookings"] for t in f["trend"]], "net": [t["net"] for t in f["trend"]],
                         "title": _("Day by day"), "bookingsLabel": _("Bookings made"), "netLabel": _("Net takings")}
    return data
