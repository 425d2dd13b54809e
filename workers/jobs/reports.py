"""Report jobs: thin wrappers around app.reports.services (which re-checks everything)."""
from app.reports import services
from workers import job


@job
def run_daily_report() -> dict:
    """18:00 KST: today's daily report, computed, stored and emailed once. Safe twice: the second run
    re-computes the figures and sends nothing."""
    run = services.run_report("daily", from_replica=True)
    return {"kind": run.kind, "periodStart": run.period_start.isoformat(), "sent": run.sent_at is not None}


@job
def run_periodic_reports() -> list[dict]:
    """09:00 KST every day: on Monday the weekly report (the previous Monday–Sunday), on the 1st the
    monthly one (the previous month); nothing on other days. Safe twice."""
    return [{"kind": run.kind, "periodStart": run.period_start.isoformat(), "sent": run.sent_at is not None}
            for run in services.run_scheduled_morning()]
