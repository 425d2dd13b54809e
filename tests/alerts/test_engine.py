"""The engine as it runs for real: two evaluators at once open one alert and send one message
(real commits from two connections; PostgreSQL in CI, SQLite too); the periodic job through a
real RQ worker, twice; delivery of an alert to a real SMTP server and a real webhook receiver,
in the recipient's language; push-style raise_alert."""
from __future__ import annotations

import dataclasses
import email
import email.policy
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.alerts import services
from app.alerts.firing import Firing
from app.alerts.models import Alert
from app.alerts.rules import RULES
from app.core import clock as app_clock
from app.extensions import db, get_queue
from app.notifications.models import OutboxMessage
from tests.alerts.scenarios import SCENARIOS
from tests.concurrency import at_once, second_app
from tests.factories import make_operator

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)


def _count(model, *where) -> int:
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.committing
def test_two_evaluators_at_once_open_one_alert_and_send_one_message(app, alert_config):
    app_clock.freeze(T0)
    db.session.commit()
    both_checked = threading.Barrier(2)

    def check() -> list[Firing]:
        both_checked.wait(timeout=30)  # both evaluators have seen the condition before either writes
        return [Firing("fund:KRW", {"balance": 5_000_000, "currency": "KRW"})]

    rule = dataclasses.replace(RULES["fund_breaker_open"], check=check)
    with second_app(app, pool_size=4) as other:
        other.config.update({k: v for k, v in alert_config.items() if k.startswith(("ALERT_", "PUBLIC_"))})
        results = at_once(other, 2, lambda i: services.evaluate(rules=(rule,)))
        assert not any(isinstance(r, Exception) for r in results), results
        assert sorted(r["opened"] for r in results) == [0, 1]
        assert _count(Alert) == 1
        webhook_messages = _count(OutboxMessage, OutboxMessage.channel == "webhook")
        assert webhook_messages == 1
        # the repeat, due for both at the same moment: claimed once
        app_clock.advance(RULES["fund_breaker_open"].repeat)
        both_checked.reset()
        results = at_once(other, 2, lambda i: services.evaluate(rules=(rule,)))
        assert sorted(r["repeated"] for r in results) == [0, 1], results
        assert _count(OutboxMessage, OutboxMessage.channel == "webhook") == 2
        assert db.session.scalars(select(Alert)).one().notifications_sent == 2


@pytest.mark.committing
def test_the_periodic_job_runs_through_a_real_worker_and_twice_changes_nothing(app, run_worker, alert_config):
    SCENARIOS["fund_breaker_open"].make()
    for n in (1, 2):
        get_queue("high").enqueue("workers.jobs.alerts.evaluate_alerts", job_id=f"alerts-evaluate-test-{n}")
    run_worker(["high"])
    db.session.remove()
    alerts = db.session.scalars(select(Alert).where(Alert.rule == "fund_breaker_open")).all()
    assert len(alerts) == 1 and alerts[0].notifications_sent == 1
    assert _count(OutboxMessage, OutboxMessage.channel == "webhook",
                  OutboxMessage.dedupe_key.like(f"alert:{alerts[0].id}:%")) == 1
    from workers.cron import PERIODIC_JOBS

    assert PERIODIC_JOBS["alerts-evaluate"][0] == "workers.jobs.alerts.evaluate_alerts"
    assert PERIODIC_JOBS["alerts-evaluate"][2]["interval"] == 60


@pytest.mark.committing
def test_an_alert_reaches_email_sms_and_the_chat_in_each_persons_language_and_resolves(
        app, smtp_server, webhook_receiver, run_worker, alert_config, clock):
    clock.freeze(T0)
    alert_config["ALERT_WEBHOOK_URL"] = webhook_receiver.url
    korean = make_operator("manager", email="minji@frontdesk.example", language="ko")
    english = make_operator("manager", email="oncall-en@frontdesk.example", language="en")
    services.set_oncall("money", [{"operator_id": korean.id, "phone": "+82 10-1234-5678"},
                                  {"operator_id": english.id}], make_operator("admin"))
    SCENARIOS["fund_breaker_open"].make()
    services.evaluate(rules=(RULES["fund_breaker_open"],))
    run_worker(["default"])
    [mail] = smtp_server.messages
    parsed = email.message_from_bytes(mail["message"].as_bytes(), policy=email.policy.default)
    assert mail["to"] == ["minji@frontdesk.example"]
    assert str(parsed["Subject"]) == "[긴급] 운영 자금이 너무 적어 송금이 멈췄습니다"
    body = parsed.get_content()
    assert "운영 자금 잔액: 5,000,000 KRW" in body and "오전 10:00" in body and "할 일:" in body
    public_id = db.session.scalars(select(Alert.public_id)).one()
    assert f"https://fd.example/ops/alerts/{public_id}" in body
    [posted] = webhook_receiver.posts
    assert set(posted) == {"text"} and posted["text"].startswith("[긴급] 운영 자금이 너무 적어 송금이 멈췄습니다")
    sms = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one()
    assert sms.status == "sent" and sms.recipient == "+82 10-1234-5678" and "긴급" in sms.body

    # nobody acknowledged within 15 minutes: the 2nd person, in English
    clock.advance(minutes=15)
    services.evaluate(rules=(RULES["fund_breaker_open"],))
    run_worker(["default"])
    english_mail = [m for m in smtp_server.messages if m["to"] == ["oncall-en@frontdesk.example"]]
    [escalated] = english_mail
    subject = str(email.message_from_bytes(escalated["message"].as_bytes(), policy=email.policy.default)["Subject"])
    assert subject == "[Urgent] (no one answered yet) Payouts are stopped: the operating fund is too low"

    # the fund is topped up: everyone told hears it is resolved
    SCENARIOS["fund_breaker_open"].clear()
    clock.advance(minutes=1)
    services.evaluate(rules=(RULES["fund_breaker_open"],))
    run_worker(["default"])
    resolved_subjects = sorted(str(email.message_from_bytes(m["message"].as_bytes(),
                                                            policy=email.policy.default)["Subject"])
                               for m in smtp_server.messages[-2:])
    assert resolved_subjects == ["[Resolved] Payouts are stopped: the operating fund is too low",
                                 "[해결] 운영 자금이 너무 적어 송금이 멈췄습니다"]
    assert webhook_receiver.texts()[-1].startswith("[해결]")
    assert len(webhook_receiver.posts) == 3   # opened, escalated, resolved
    db.session.remove()
    assert db.session.scalars(select(Alert)).one().status == "resolved"


def test_raise_alert_pushes_an_event_once(alert_config, clock):
    clock.freeze(T0)
    first = services.raise_alert("chargeback", "gateway:dispute:dp_123", {"amount": 89000, "currency": "KRW"})
    again = services.raise_alert("chargeback", "gateway:dispute:dp_123", {"amount": 89000, "currency": "KRW"})
    assert first is not None and again is None
    db.session.commit()
    services.evaluate(rules=(RULES["chargeback"],))   # the pull check sees no reversal: the event stays open
    assert db.session.get(Alert, first.id, populate_existing=True).status == "open"
    with pytest.raises(ValueError):
        services.raise_alert("no_such_rule", "x")


def test_a_check_that_breaks_leaves_its_alerts_alone(alert_config, clock):
    clock.freeze(T0)
    SCENARIOS["fund_low"].make()
    services.evaluate(rules=(RULES["fund_low"],))

    def broken() -> list[Firing]:
        raise RuntimeError("database hiccup")

    result = services.evaluate(rules=(dataclasses.replace(RULES["fund_low"], check=broken),))
    assert result["failed_checks"] == 1
    assert db.session.scalars(select(Alert)).one().status == "open"
    assert timedelta(0) == clock.now() - T0


def test_the_same_exception_in_three_failed_jobs_is_one_same_error_alert(alert_config, clock):
    from tests.alerts.scenarios import _failed_jobs

    _failed_jobs(3)()
    services.evaluate(rules=(RULES["same_error"], RULES["failed_jobs"]))
    same = db.session.scalars(select(Alert).where(Alert.rule == "same_error")).one()
    assert same.subject.startswith("job:") and same.details["count"] == 3
    assert "503 Service Unavailable" in same.details["error"]
    failed = db.session.scalars(select(Alert).where(Alert.rule == "failed_jobs")).one()
    assert (failed.subject, failed.details["count"]) == ("queue:low", 3)


def test_the_messages_page_never_shows_a_webhook_address(alert_config, login_as, client, clock):
    alert_config["ALERT_WEBHOOK_URL"] = "https://hooks.slack.example/services/T000/B000/secret-part"
    SCENARIOS["fund_breaker_open"].make()
    services.evaluate(rules=(RULES["fund_breaker_open"],))
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()
    login_as("staff")
    page = client.get(f"/ops/messages/{message.id}").get_data(as_text=True)
    assert "secret-part" not in page and "hooks.slack.example" in page
