"""Messages to operators through the outbox (queue_operator_message): sent as
stored, never twice, to email (a real SMTP server) and to a chat webhook (a
real HTTP receiver), with webhook failures classified like SMTP's."""
from __future__ import annotations

import email
import email.policy

from sqlalchemy import select

from app.extensions import db
from app.notifications import delivery
from app.notifications.models import OutboxMessage
from app.notifications.services import queue_operator_message


def _queue(**kwargs) -> OutboxMessage | None:
    values = {"event": "alert.opened", "channel": "email", "recipient": "oncall@example.com", "language": "ko",
              "subject": "[긴급] 운영 자금이 부족합니다", "body": "운영 자금이 1,000만 원 아래입니다.\nhttp://x/ops/alerts/1",
              "dedupe_key": "alert:1:1:email:oncall@example.com"}
    values.update(kwargs)
    return queue_operator_message(**values)


def test_an_operator_email_is_sent_as_stored_and_only_once(smtp_server, run_worker):
    message = _queue(html="<p>운영 자금</p>")
    assert message is not None and message.reservation_id is None
    message_id = message.id
    assert _queue() is None  # the same dedupe key: nothing more
    db.session.commit()
    run_worker(["default"])
    assert delivery.send_message(message_id) == "nothing"
    [mail] = smtp_server.messages
    parsed = email.message_from_bytes(mail["message"].as_bytes(), policy=email.policy.default)
    assert mail["to"] == ["oncall@example.com"]
    assert str(parsed["Subject"]) == "[긴급] 운영 자금이 부족합니다"
    assert "1,000만 원" in parsed.get_body(("plain",)).get_content()
    assert "<p>운영 자금</p>" in parsed.get_body(("html",)).get_content()
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert (row.status, row.attempts, row.provider) == ("sent", 1, "smtp")


def test_a_webhook_message_posts_slack_json(webhook_receiver, run_worker):
    message_id = _queue(channel="webhook", recipient=webhook_receiver.url, dedupe_key="alert:2:1:webhook").id
    db.session.commit()
    run_worker(["default"])
    assert webhook_receiver.posts == [{"text": "운영 자금이 1,000만 원 아래입니다.\nhttp://x/ops/alerts/1"}]
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert (row.status, row.provider) == ("sent", "webhook")
    assert webhook_receiver.headers[0]["X-Frontdesk-Message-Id"] == row.message_id


def test_a_webhook_5xx_is_retried_later_and_a_4xx_fails(webhook_receiver):
    webhook_receiver.status = 503
    retried = _queue(channel="webhook", recipient=webhook_receiver.url, dedupe_key="alert:3:1:webhook").id
    db.session.commit()
    assert delivery.send_message(retried) == "retry"
    webhook_receiver.status = 404
    failed = _queue(channel="webhook", recipient=webhook_receiver.url, dedupe_key="alert:4:1:webhook").id
    db.session.commit()
    assert delivery.send_message(failed) == "failed"
    rows = {m.id: m for m in db.session.scalars(select(OutboxMessage).execution_options(populate_existing=True))}
    assert rows[retried].status == "pending" and "503" in rows[retried].last_error
    assert rows[failed].status == "failed" and "404" in rows[failed].last_error
    assert webhook_receiver.posts == []


def test_an_unreachable_webhook_is_a_temporary_failure():
    message_id = _queue(channel="webhook", recipient="http://127.0.0.1:9/hook", dedupe_key="alert:5:1:webhook").id
    db.session.commit()
    assert delivery.send_message(message_id) == "retry"
