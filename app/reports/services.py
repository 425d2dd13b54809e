"""Running a report: compute its figures, keep them (one row per kind + period) and email them once.

`run_report` is the only code that writes report_runs. Running the same period again re-computes the
figures (reproducible: the same data give the same figures) and never emails twice: the row is
locked, `sent_at` is checked, and each recipient's message has a dedupe key in the outbox.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit, clock
from app.core.actor import Actor
from app.core.replica import replica_reads_allowed
from app.core.db import insert_unless_present, run_in_transaction
from app.core.errors import ValidationFailed
from app.extensions import db
from app.reports import figures as figures_mod
from app.reports import labels, policies
from app.reports.models import ReportRun
from app.reports.policies import KINDS, Period

log = logging.getLogger(__name__)

SYSTEM = Actor.system("reports")
EVENT = "report"


def resolve_period(kind: str, day: date | None, now: datetime) -> Period:
    """The period to run: the one containing `day`, or the scheduled default. ValidationFailed for an
    unknown kind or a period that has not started yet (in Korea)."""
    if kind not in KINDS:
        raise ValidationFailed(fields={"kind": f"unknown report kind {kind!r}"})
    period = policies.period_for(kind, day) if day is not None else policies.default_period(kind, now)
    if period.start > policies.korean_today(now):
        raise ValidationFailed(fields={"date": "That period has not started yet."})
    if period.start.year < 2000:
        raise ValidationFailed(fields={"date": "Choose a date from the year 2000 on."})
    return period


def run_report(kind: str, day: date | None = None, *, send: bool = True, actor: Actor | None = None,
               from_replica: bool = False) -> ReportRun:
    """Compute the report of `kind` for the period containing `day` (default: the scheduled one), store it,
    and (with `send`) email it to REPORT_RECIPIENTS once. Commits.

    Safe twice and concurrently: the second run re-computes the figures and sends nothing.
    `from_replica`: the figures may be read from the read replica (`DATABASE_REPLICA_URL`), as the
    scheduled runs do; the stored run is written to the primary either way.
    """
    actor = actor or SYSTEM
    now = clock.now()
    period = resolve_period(kind, day, now)
    as_of = policies.compute_as_of(period, now)
    with replica_reads_allowed(from_replica):  # read-only; outside the write transaction
        figures = figures_mod.compute_figures(period, as_of)
    recipients = policies.parse_recipients(current_app.config.get("REPORT_RECIPIENTS")) if send else []

    def work() -> ReportRun:
        insert_unless_present(ReportRun, {
            "kind": period.kind, "period_start": period.start, "period_end": period.end, "as_of": as_of,
            "figures": figures, "times_computed": 0, "computed_by": actor.name[:200], "recipients": [],
            "created_at": now, "updated_at": now}, ["kind", "period_start"])
        run = db.session.execute(select(ReportRun).where(ReportRun.kind == period.kind,
                                                         ReportRun.period_start == period.start)
                                 .with_for_update().execution_options(populate_existing=True)).scalar_one()
        run.figures, run.as_of, run.period_end = figures, as_of, period.end
        run.times_computed += 1
        run.computed_by = actor.name[:200]
        run.updated_at = now
        if recipients and run.sent_at is None:
            for email, language in recipients:
                _queue_email(run, email, language)
            run.sent_at = now
            run.recipients = [{"email": e, "language": lang} for e, lang in recipients]
            audit.record("report.sent", entity_type="report", entity_id=f"{run.kind}:{run.period_start}",
                         actor=actor, data={"recipients": len(recipients)})
        return run

    run = run_in_transaction(work)
    log.info("report %s %s computed (%s time(s))%s", run.kind, run.period_start, run.times_computed,
             ", emailed" if run.sent_at == now else "",
             extra={"report": run.kind, "period_start": run.period_start.isoformat()})
    return run


def run_scheduled_morning() -> list[ReportRun]:
    """The morning job: the weekly report on Monday, the monthly one on the 1st (Korean days)."""
    return [run_report(kind, from_replica=True) for kind in policies.due_kinds(clock.now())]


def report_url(run: ReportRun) -> str:
    """The report's page, absolute (PUBLIC_BASE_URL), for the email."""
    path = current_app.url_map.bind("localhost").build(
        "reports.report_page", {"kind": run.kind, "start": run.period_start.isoformat()})
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def render_email(run: ReportRun, language: str) -> tuple[str, str, str]:
    """(subject, text body, html body) in `language`."""
    from app.reports.views import period_title  # the page's own words for the period

    with force_locale(language):
        title = str(labels.KIND_LABELS[run.kind])
        when = period_title(run)
        subject = _("%(report)s: %(period)s", report=title, period=when)
        figures = run.figures
        lines = [f"{title} · {when}", ""]
        key_rows = []
        for path in labels.KEY_FIGURES:
            label, kind = labels.label_of(path)
            label = labels.EMAIL_LABELS.get(path, label)
            text = labels.format_value(labels.lookup(figures, path), kind, figures.get("currency", "KRW"), language)
            key_rows.append((str(label), text))
            lines.append(f"- {label}: {text}")
        url = report_url(run)
        lines += ["", _("The whole report, with charts and a CSV download:"), url]
        html = render_template("reports/email.html", title=title, when=when, key_rows=key_rows, url=url)
        return subject, "\n".join(lines), html


def _queue_email(run: ReportRun, email: str, language: str) -> None:
    from app.notifications.services import queue_operator_message

    subject, body, html = render_email(run, language)
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:16]
    queue_operator_message(event=f"{EVENT}_{run.kind}", channel="email", recipient=email, language=language,
                           subject=subject, body=body, html=html,
                           dedupe_key=f"report:{run.kind}:{run.period_start.isoformat()}:{digest}")
