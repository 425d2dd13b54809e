"""RQ's failed jobs in the back office: listed with what staff need, Requeue and Delete."""
from __future__ import annotations

import pytest
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db, get_queue
from app.notifications.views import failed_jobs_today, failed_messages_today

JOB = "tests.workers.failing_jobs.explode"


@pytest.fixture
def failed_job(run_worker, redis):
    get_queue("low").enqueue(JOB, "FD-AB12CD", job_id="payouts-send-77", meta={"request_id": "req_trace123"})
    run_worker(["low"])
    assert "payouts-send-77" in FailedJobRegistry("low", connection=redis).get_job_ids()
    return "payouts-send-77"


def test_failed_jobs_are_listed_with_function_error_time_and_request_id(failed_job, login_as, client):
    login_as("staff")
    page = client.get("/ops/system/failed-jobs").get_data(as_text=True)
    assert failed_job in page and JOB in page and "(&#39;FD-AB12CD&#39;)" in page
    assert "RuntimeError: the sandbox bank refused booking FD-AB12CD" in page
    assert "req_trace123" in page and "low" in page
    assert failed_jobs_today().count == 1 and failed_jobs_today().severity == "bad"


def test_requeue_puts_the_job_back_after_a_confirm_step(failed_job, login_as, client, redis, run_worker):
    operator = login_as("staff")
    confirm = client.get(f"/ops/system/failed-jobs/low/{failed_job}/requeue").get_data(as_text=True)
    assert "“low”" in confirm and failed_job in confirm and 'name="confirm"' in confirm
    assert FailedJobRegistry("low", connection=redis).get_job_ids() == [failed_job]  # GET changed nothing
    response = client.post(f"/ops/system/failed-jobs/low/{failed_job}/requeue", data={"confirm": "yes"})
    assert response.status_code == 302
    assert FailedJobRegistry("low", connection=redis).get_job_ids() == []
    assert Job.fetch(failed_job, connection=redis).get_status() == "queued"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "job.requeued"))
    assert (event.entity_id, event.actor_id, event.data["queue"]) == (failed_job, operator.id, "low")
    run_worker(["low"])  # it fails again and is back on the list
    assert FailedJobRegistry("low", connection=redis).get_job_ids() == [failed_job]


def test_delete_removes_the_job_for_good(failed_job, login_as, client, redis):
    login_as("staff")
    response = client.post(f"/ops/system/failed-jobs/low/{failed_job}/delete", data={"confirm": "yes"})
    assert response.status_code == 302
    assert FailedJobRegistry("low", connection=redis).get_job_ids() == []
    with pytest.raises(NoSuchJobError):
        Job.fetch(failed_job, connection=redis)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == failed_job)) == "job.deleted"
    page = client.get("/ops/system/failed-jobs").get_data(as_text=True)
    assert failed_job not in page
    again = client.post(f"/ops/system/failed-jobs/low/{failed_job}/delete", data={"confirm": "yes"},
                        follow_redirects=True).get_data(as_text=True)
    assert "no longer in the failed list" in again or "더 이상" in again


def test_job_actions_need_a_signed_in_operator_a_csrf_token_and_a_confirm(failed_job, client, login_as, redis):
    assert client.get("/ops/system/failed-jobs").status_code == 302  # to the sign-in page
    assert client.post(f"/ops/system/failed-jobs/low/{failed_job}/delete", data={"confirm": "yes"}).status_code == 401
    login_as("staff")
    assert client.post(f"/ops/system/failed-jobs/low/{failed_job}/delete", data={"confirm": "yes"},
                       csrf=False).status_code == 400
    no_confirm = client.post(f"/ops/system/failed-jobs/low/{failed_job}/delete", data={})
    assert no_confirm.status_code == 200  # the confirm page again
    assert client.get(f"/ops/system/failed-jobs/low/{failed_job}/explode").status_code == 404
    assert client.get("/ops/system/failed-jobs/nope/x/delete").status_code == 302
    assert FailedJobRegistry("low", connection=redis).get_job_ids() == [failed_job]


def test_today_counts_failed_messages():
    from app.notifications.models import OutboxMessage

    db.session.add(OutboxMessage(event="booking_received", channel="email", recipient="a@example.com",
                                 language="ko", dedupe_key="x:1", context={}, status="failed", attempts=5))
    db.session.flush()
    item = failed_messages_today()
    assert (item.count, item.severity, item.endpoint) == (1, "bad", "notifications.messages")
