"""Running a report: stored once per kind + period, emailed once to the configured list in each
recipient's language (a real SMTP server), by the jobs (a real worker) and the CLI."""
from __future__ import annotations

import email.policy
import json
from datetime import date, time, timezone

import pytest
from sqlalchemy import func, select

from app.core.errors import ValidationFailed
from app.extensions import db, get_queue
from app.notifications.models import OutboxMessage
from app.reports import queries
from app.reports.models import ReportRun
from app.reports.policies import DAILY_AT, PERIODIC_AT
from app.reports.services import run_report
from app.reconcile.policies import cron_for_korean_time
from tests.reports.conftest import DAY, kst
from workers.cron import PERIODIC_JOBS


@pytest.fixture
def recipients(app):
    saved = app.config["REPORT_RECIPIENTS"]
    app.config["REPORT_RECIPIENTS"] = "ops@example.com:ko, cfo@example.com:en, not-an-address"
    yield
    app.config["REPORT_RECIPIENTS"] = saved


def _mail(smtp_server, to: str):
    found = [m for m in smtp_server.messages if to in m["to"]]
    return [m["message"] for m in found]


def _body(message) -> tuple[str, str]:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",))
    return text, html.get_content() if html is not None else ""


def test_the_daily_report_is_emailed_once_in_korean_and_in_english(known_data, clock, recipients, smtp_server,
                                                                   run_worker, app):
    clock.freeze(kst(12, 3, 18))
    run = run_report("daily")
    assert run.sent_at == clock.now()
    assert run.recipients == [{"email": "ops@example.com", "language": "ko"},
                              {"email": "cfo@example.com", "language": "en"}]
    assert queries.report_sent_at("daily", DAY) == clock.now()
    run_id, sent_at = run.id, run.sent_at
    run_worker(["default"])
    again = run_report("daily")                       # the same period again: computed, not sent
    assert again.id == run_id and again.times_computed == 2 and again.sent_at == sent_at
    run_worker(["default"])
    [ko] = _mail(smtp_server, "ops@example.com")
    [en] = _mail(smtp_server, "cfo@example.com")
    ko_subject = str(email.message_from_bytes(ko.as_bytes(), policy=email.policy.default)["Subject"])
    en_subject = str(email.message_from_bytes(en.as_bytes(), policy=email.policy.default)["Subject"])
    assert "일간 리포트" in ko_subject and "2026년 12월 3일" in ko_subject
    assert en_subject.startswith("Daily report") and "December 3, 2026" in en_subject
    ko_text, ko_html = _body(ko)
    en_text, en_html = _body(en)
    assert "예약 건수: 3" in ko_text and "순수입: ₩280,000" in ko_text and "결제 성공률" in ko_text
    assert "75.00 %" in ko_text and "운영 자금 잔액(마감): ₩1,420,000" in ko_text
    assert "Bookings made: 3" in en_text and "Net takings: ₩280,000" in en_text
    link = app.config["PUBLIC_BASE_URL"].rstrip("/") + "/ops/reports/daily/2026-12-03"
    assert link in ko_text and link in en_text and link in ko_html and "₩280,000" in en_html
    outbox = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "report_daily")).all()
    assert sorted((m.recipient, m.language, m.status) for m in outbox) == [
        ("cfo@example.com", "en", "sent"), ("ops@example.com", "ko", "sent")]


def test_a_report_computed_by_hand_sends_nothing_and_the_scheduled_run_still_emails(known_data, clock, recipients):
    clock.freeze(kst(12, 3, 15))
    run_report("daily", send=False)
    assert queries.report_sent_at("daily", DAY) is None
    clock.freeze(kst(12, 3, 18))
    run = run_report("daily")
    assert run.sent_at == clock.now() and run.times_computed == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.event == "report_daily")) == 2


def test_no_recipients_means_stored_but_not_sent(known_data, clock, app):
    clock.freeze(kst(12, 3, 18))
    app.config["REPORT_RECIPIENTS"] = ""
    run = run_report("daily")
    assert run.sent_at is None and run.recipients == []
    assert queries.report_sent_at("daily", DAY) is None
    assert queries.report_sent_at("weekly", DAY) is None


def test_a_period_that_has_not_started_or_an_unknown_kind_is_refused_and_nothing_is_stored(app, clock):
    clock.freeze(kst(12, 3, 18))
    with pytest.raises(ValidationFailed):
        run_report("daily", date(2026, 12, 4))
    with pytest.raises(ValidationFailed):
        run_report("yearly", DAY)
    with pytest.raises(ValidationFailed):
        run_report("daily", date(1, 1, 1))
    assert db.session.scalar(select(func.count()).select_from(ReportRun)) == 0


def test_the_jobs_run_at_18_and_09_korean_time_and_twice_by_a_worker_store_one_report(known_data, clock,
                                                                                       recipients, run_worker):
    function, queue, schedule = PERIODIC_JOBS["reports-daily"]
    assert function == "workers.jobs.reports.run_daily_report" and queue == "low"
    local = kst(12, 3, 18).astimezone().tzinfo
    assert schedule["cron"] == cron_for_korean_time(DAILY_AT, local)
    assert cron_for_korean_time(DAILY_AT, timezone.utc) == "0 9 * * *"
    assert PERIODIC_JOBS["reports-periodic"][2]["cron"] == cron_for_korean_time(PERIODIC_AT, local)
    assert cron_for_korean_time(PERIODIC_AT, timezone.utc) == "0 0 * * *"
    assert DAILY_AT == time(18, 0)

    clock.freeze(kst(12, 3, 18))
    jobs = [get_queue("low").enqueue("workers.jobs.reports.run_daily_report", job_id=f"reports-daily-test-{i}")
            for i in (1, 2)]
    run_worker(["low"])
    assert [j.latest_result().return_value for j in jobs] == [{"kind": "daily", "periodStart": "2026-12-03",
                                                               "sent": True}] * 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.event == "report_daily")) == 2

    clock.freeze(kst(12, 3, 9))                       # a Thursday morning: nothing
    job = get_queue("low").enqueue("workers.jobs.reports.run_periodic_reports", job_id="reports-periodic-test-1")
    run_worker(["low"])
    assert job.latest_result().return_value == []
    clock.freeze(kst(2, 1, 9, year=2027))            # Monday 1 February 2027: the week and January
    job = get_queue("low").enqueue("workers.jobs.reports.run_periodic_reports", job_id="reports-periodic-test-2")
    run_worker(["low"])
    assert job.latest_result().return_value == [
        {"kind": "weekly", "periodStart": "2027-01-25", "sent": True},
        {"kind": "monthly", "periodStart": "2027-01-01", "sent": True}]


def test_the_cli_runs_a_report_for_a_date_and_refuses_a_bad_one(known_data, clock, runner, app):
    clock.freeze(kst(12, 7, 9))
    result = runner.invoke(args=["report", "run", "weekly", "--date", "2026-12-03", "--no-email", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["periodStart"], body["periodEnd"], body["sentAt"]) == ("2026-11-30", "2026-12-06", None)
    assert body["figures"]["bookings"]["made"] == 6
    result = runner.invoke(args=["report", "run", "daily", "--date", "2026-12-03", "--no-email"])
    assert result.exit_code == 0 and "bookings.made: 3" not in result.output  # the whole day now
    assert "bookings.made: 5" in result.output
    bad = runner.invoke(args=["report", "run", "daily", "--date", "2026-13-01"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    future = runner.invoke(args=["report", "run", "monthly", "--date", "2027-01-05"])
    assert future.exit_code == 2


def test_even_a_forgotten_sent_mark_does_not_email_twice(known_data, clock, recipients):
    clock.freeze(kst(12, 3, 18))
    run = run_report("daily")
    run.sent_at = None                                # as if the mark were lost: the outbox keys still hold
    db.session.commit()
    clock.freeze(kst(12, 3, 18, 5))
    run_report("daily")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.event == "report_daily")) == 2
