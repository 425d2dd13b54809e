"""Sending outbox messages through a real RQ worker to a real SMTP server:
never twice, retried on schedule, skipped when no longer true."""
from __future__ import annotations

import email
import email.policy
import logging
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.booking.services import cancel_reservation, expire_due_holds, revive_reservation
from app.core.audit import AuditEvent
from app.extensions import db, get_queue
from app.notifications import delivery
from app.notifications.models import OutboxMessage
from app.notifications.policies import MAX_ATTEMPTS, RETRY_DELAYS, SENDING_LEASE
from app.notifications.relay import relay_outbox, send_job_id
from app.notifications.services import queue_notification, resend_message
from app.payments.gateway import CardDetails
from app.payments.services import pay_by_card
from tests.factories import make_reservation, make_room_type

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)


def _messages(reservation_id: int, **where) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.reservation_id == reservation_id)
    for key, value in where.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return list(db.session.scalars(query.order_by(OutboxMessage.id).execution_options(populate_existing=True)))


def _one(reservation_id: int, event: str, channel: str = "email") -> OutboxMessage:
    [message] = _messages(reservation_id, event=event, channel=channel)
    return message


def _booking(**kwargs) -> int:
    return make_reservation(make_room_type(), **kwargs).id


def _pay(reservation_id: int) -> None:
    from app.booking.models import Reservation

    r = db.session.get(Reservation, reservation_id)
    pay_by_card(r, amount=r.total_amount, currency=r.currency,
                card=CardDetails("4242424242424242", 12, 2099, "123", "Minji Kim"), idempotency_key=str(uuid.uuid4()))


def _mail_to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.messages if address in m["to"]]


def _parsed(mail):
    return email.message_from_bytes(mail["message"].as_bytes(), policy=email.policy.default)


def _subject(mail) -> str:
    return str(_parsed(mail)["Subject"])


def _text(mail) -> str:
    return _parsed(mail).get_content()


def test_a_booking_email_is_sent_once_even_when_its_job_runs_twice(smtp_server, run_worker):
    rid = _booking(email="twice@example.com", language="ja")
    message_id = _one(rid, "booking_received").id
    get_queue("default").enqueue("workers.jobs.notifications.send_message", message_id, job_id="notifications-dup-1")
    run_worker(["default"])  # the after-commit job and the duplicate
    assert delivery.send_message(message_id) == "nothing"  # and once more by hand
    [mail] = _mail_to(smtp_server, "twice@example.com")
    message = _one(rid, "booking_received")
    assert (message.status, message.attempts, message.provider) == ("sent", 1, "smtp")
    assert mail["message"]["Message-ID"] == message.message_id
    assert _subject(mail) == message.subject and "ご予約" in message.subject
    assert mail["message"]["Content-Language"] == "ja"
    assert message.body.strip() == _text(mail).strip()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "notification",
                                                                 AuditEvent.entity_id == str(message.id))).all()
    assert actions == ["notification.sent"]


@pytest.mark.committing
def test_two_workers_with_the_same_message_at_once_send_one_email(smtp_server, thread_app):
    import threading

    from tests.workers.test_expiry_race import _connect

    rid = _booking(email="race@example.com")
    message_id = _one(rid, "booking_received").id
    db.session.remove()
    barrier, results = threading.Barrier(2), []
    saved = {k: thread_app.config[k] for k in ("MAIL_BACKEND", "SMTP_HOST", "SMTP_PORT")}
    thread_app.config.update(MAIL_BACKEND="smtp", SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port)

    def run():
        with thread_app.app_context():
            _connect()
            barrier.wait(timeout=30)
            results.append(delivery.send_message(message_id))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    thread_app.config.update(saved)
    assert sorted(results) == ["nothing", "sent"]
    assert len(_mail_to(smtp_server, "race@example.com")) == 1


async def _try_later(server, session, envelope):
    return "451 4.3.0 Mailbox temporarily unavailable, try again later"


async def _no_such_user(server, session, envelope):
    return "550 5.1.1 No such user here"


def test_a_temporary_smtp_failure_retries_on_schedule_then_fails_and_resend_sends_it(
        smtp_server, run_worker, clock, login_as, client):
    clock.freeze(T0)
    smtp_server.handle_DATA = _try_later  # the mail server answers 451 for now
    rid = _booking(email="later@example.com")
    run_worker(["default"])
    message = _one(rid, "booking_received")
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at == T0 + RETRY_DELAYS[0] and "451" in message.last_error
    for attempt, delay in enumerate(RETRY_DELAYS, start=1):
        clock.advance(seconds=delay.total_seconds() - 1)
        assert relay_outbox()["enqueued"] == 0  # not due yet: nothing is tried early
        run_worker(["default"])
        assert _one(rid, "booking_received").attempts == attempt
        clock.advance(seconds=1)
        assert relay_outbox()["enqueued"] == 1
        run_worker(["default"])
        assert _one(rid, "booking_received").attempts == attempt + 1
    message = _one(rid, "booking_received")
    assert (message.status, message.attempts, message.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    clock.advance(hours=3)
    assert relay_outbox()["enqueued"] == 0  # a failed message waits for a person
    assert smtp_server.messages == []

    login_as("staff")
    page = client.get("/ops/messages").get_data(as_text=True)
    assert "l***@example.com" in page and "451" in page and f"/ops/messages/{message.id}/resend" in page
    confirm = client.get(f"/ops/messages/{message.id}/resend").get_data(as_text=True)
    assert "l***@example.com" in confirm
    del smtp_server.handle_DATA  # the mail server is fine again
    assert client.post(f"/ops/messages/{message.id}/resend", data={}).status_code == 200  # no confirm: nothing
    assert _one(rid, "booking_received").status == "failed"
    response = client.post(f"/ops/messages/{message.id}/resend", data={"confirm": "yes"})
    assert response.status_code == 302
    run_worker(["default"])
    [mail] = _mail_to(smtp_server, "later@example.com")
    message = _one(rid, "booking_received")
    assert message.status == "sent" and mail["message"]["Message-ID"] == message.message_id
    resend_event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification.resend"))
    assert resend_event.actor_kind == "operator" and resend_event.from_state == "failed"


def test_resend_is_refused_for_a_message_that_has_not_failed(smtp_server, run_worker, login_as, client):
    from app.core.errors import IllegalTransition

    rid = _booking()
    run_worker(["default"])
    message = _one(rid, "booking_received")
    with pytest.raises(IllegalTransition):
        resend_message(message.id)
    login_as("staff")
    response = client.post(f"/ops/messages/{message.id}/resend", data={"confirm": "yes"})
    assert response.status_code == 302 and _one(rid, "booking_received").status == "sent"
    assert client.post(f"/ops/messages/{message.id}/resend", data={"confirm": "yes"},
                       csrf=False).status_code == 400


def test_a_permanent_refusal_fails_at_once(smtp_server, run_worker):
    smtp_server.handle_DATA = _no_such_user
    rid = _booking()
    run_worker(["default"])
    message = _one(rid, "booking_received")
    assert (message.status, message.attempts) == ("failed", 1) and "550" in message.last_error


def test_the_mail_server_being_down_is_a_temporary_failure(app, run_worker, clock):
    clock.freeze(T0)
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens there
    try:
        rid = _booking()
        run_worker(["default"])
    finally:
        app.config.update(MAIL_BACKEND="outbox")
    message = _one(rid, "booking_received")
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at == T0 + RETRY_DELAYS[0]


def test_a_message_no_longer_true_at_send_time_is_skipped(smtp_server, run_worker, clock):
    clock.freeze(T0)
    rid = _booking(email="stale@example.com")
    clock.advance(minutes=16)
    assert expire_due_holds() == 1  # hold_expired is queued…
    revive_reservation(rid, reason="deposit arrived late")  # …but the booking is paid again before it goes out
    db.session.commit()
    run_worker(["default"])
    hold_expired = _one(rid, "hold_expired")
    assert (hold_expired.status, hold_expired.skip_reason) == ("skipped", "booking is now paid")
    assert _one(rid, "hold_expired", "sms").status == "skipped"
    assert _one(rid, "booking_received").status == "sent"  # paid: the booking was received, still true
    assert [_subject(m) for m in _mail_to(smtp_server, "stale@example.com")] == [
        _one(rid, "booking_received").subject]


def test_no_payment_confirmation_goes_to_a_booking_canceled_meanwhile(smtp_server, run_worker):
    rid = _booking(email="undo@example.com")
    _pay(rid)
    cancel_reservation(rid, reason="guest changed plans")
    run_worker(["default"])
    assert _one(rid, "payment_confirmed").status == "skipped"
    assert _one(rid, "payment_confirmed", "sms").status == "skipped"
    assert _one(rid, "booking_canceled").status == "sent"
    assert _one(rid, "booking_received").status == "skipped"  # by send time it was canceled
    assert sorted(_subject(m) for m in _mail_to(smtp_server, "undo@example.com")) == sorted(
        [_one(rid, "booking_canceled").subject, _one(rid, "refund_requested").subject])


def test_development_outbox_keeps_the_message_on_the_row_and_shows_it(app, run_worker, login_as, client):
    assert app.config["MAIL_BACKEND"] == "outbox"
    rid = _booking()
    run_worker(["default"])
    message = _one(rid, "booking_received")
    assert (message.status, message.provider) == ("sent", "outbox")
    assert message.subject and message.reservation.display_code in message.body
    login_as("staff")
    page = client.get(f"/ops/messages/{message.id}").get_data(as_text=True)
    assert message.reservation.display_code in page
    assert 'class="message-body"' in page and message.message_id.strip("<>") in page.replace("&lt;", "<")


def test_sms_goes_to_the_console_provider_with_a_masked_number(run_worker, caplog):
    rid = _booking(phone="+82 10-1234-5678")
    _pay(rid)
    with caplog.at_level(logging.INFO, logger="app.notifications.channels"):
        run_worker(["default"])
    sms = _one(rid, "payment_confirmed", "sms")
    assert (sms.status, sms.provider, sms.subject) == ("sent", "console", None)
    assert sms.reservation.display_code in sms.body
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "+82 10-****-5678" in logged and "1234" not in logged


def test_a_send_abandoned_mid_way_is_sent_again_with_the_same_message_id(smtp_server, run_worker, clock):
    clock.freeze(T0)
    rid = _booking(email="crash@example.com")
    get_queue("default").empty()  # no worker picked it up…
    message_id = _one(rid, "booking_received").id
    claim = delivery.claim(message_id)  # …until one claimed it and died before recording anything
    assert claim.attempt == 1 and _one(rid, "booking_received").status == "sending"
    assert delivery.send_message(message_id) == "nothing"  # the row is claimed: nobody else sends it
    clock.advance(seconds=SENDING_LEASE.total_seconds() - 1)
    assert relay_outbox()["recovered"] == 0
    clock.advance(seconds=1)
    result = relay_outbox()
    assert (result["recovered"], result["enqueued"]) == (1, 1)
    assert "same Message-ID" in _one(rid, "booking_received").last_error
    run_worker(["default"])
    message = _one(rid, "booking_received")
    assert (message.status, message.attempts) == ("sent", 2)
    [mail] = _mail_to(smtp_server, "crash@example.com")
    assert mail["message"]["Message-ID"] == message.message_id


def test_an_abandoned_send_on_its_last_try_waits_for_a_person(clock):
    clock.freeze(T0)
    rid = _booking()
    message = _one(rid, "booking_received")
    message.attempts = MAX_ATTEMPTS - 1
    db.session.commit()
    assert delivery.claim(message.id).attempt == MAX_ATTEMPTS
    clock.advance(seconds=SENDING_LEASE.total_seconds())
    assert relay_outbox()["recovered"] == 1
    message = _one(rid, "booking_received")
    assert message.status == "failed" and "check with the guest" in message.last_error


def test_relay_leaves_a_message_with_a_live_job_alone_and_rings_again_when_redis_lost_it(redis):
    rid = _booking()
    message = _one(rid, "booking_received")
    job_id = send_job_id(message.id, 0)
    assert get_queue("default").fetch_job(job_id) is not None  # enqueued after commit
    assert relay_outbox()["enqueued"] == 0
    redis.flushdb()  # Redis restarted without persistence / evicted the job
    assert relay_outbox()["enqueued"] == 1
    assert get_queue("default").fetch_job(job_id) is not None
    assert relay_outbox()["enqueued"] == 0


def test_queueing_an_event_without_its_context_is_refused_and_adds_nothing():
    from app.booking.models import Reservation

    rid = _booking()
    reservation = db.session.get(Reservation, rid)
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(ValueError, match="amount, currency, method"):
        queue_notification("refund_approved", reservation=reservation, key="r1", context={})
    with pytest.raises(ValueError, match="unknown"):
        queue_notification("party_invitation", reservation=reservation, key="r1")
    with pytest.raises(ValueError, match="guest_name"):
        queue_notification("booking_conflict_apology", key="c1", recipient_email="a@example.com",
                           context={"alternatives": [], "compensation": {}})
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_a_message_that_cannot_be_rendered_fails_with_the_reason(run_worker):
    rid = _booking()
    message = _one(rid, "booking_received")
    message.event = "refund_refused"  # its context lacks the guest text: a data bug
    db.session.commit()
    run_worker(["default"])
    message = _one(rid, "refund_refused")
    assert message.status == "failed" and "could not render" in message.last_error
