"""The watchdog: when the engine's periodic job has not run for minutes (no clock to enqueue it,
or no worker to run it), the process still alive runs the engine itself and sends the alert
messages directly, so "no worker" and "no clock" still reach a person."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.alerts import services, watchdog
from app.alerts.models import Alert
from app.alerts.rules import RULES
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests.factories import make_operator

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)


def _subjects(smtp_server) -> list[str]:
    return [str(email.message_from_bytes(m["message"].as_bytes(), policy=email.policy.default)["Subject"])
            for m in smtp_server.messages]


@pytest.mark.committing
def test_a_stale_engine_is_run_here_and_its_email_sent_without_any_worker(app, smtp_server, alert_config, clock):
    clock.freeze(T0)
    alert_config["ALERT_CHANNELS_CRITICAL"] = "email"
    duty = make_operator("manager", email="duty@frontdesk.example", language="ko")
    services.set_oncall("system", [{"operator_id": duty.id}], make_operator("admin"))
    db.session.commit()

    assert watchdog.evaluation_is_stale()            # the engine never ran
    assert watchdog.tick("test") is True

    db.session.remove()
    rules = set(db.session.scalars(select(Alert.rule).where(Alert.status == "open")))
    assert {"no_worker", "no_clock"} <= rules        # nothing runs in this test's Redis
    with force_locale("ko"):
        no_worker = str(RULES["no_worker"].title)
    assert any(no_worker in subject for subject in _subjects(smtp_server)), _subjects(smtp_server)
    assert all(m["to"] == ["duty@frontdesk.example"] for m in smtp_server.messages)
    pending = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event.like("alert.%"),
                                                            OutboxMessage.status != "sent")).all()
    assert pending == []                             # sent here, not left for a worker

    # the engine ran just now: the next tick leaves it to the periodic job
    sent = len(smtp_server.messages)
    assert watchdog.tick("test") is False
    assert len(smtp_server.messages) == sent
    # three minutes later without a run, the watchdog steps in again (the alerts stay one each)
    clock.advance(minutes=3, seconds=1)
    assert watchdog.tick("test") is True
    db.session.remove()
    assert db.session.scalar(select(Alert.id).where(Alert.rule == "no_worker").limit(2).offset(1)) is None


def test_a_fresh_engine_is_left_alone(app, alert_config, clock):
    clock.freeze(T0)
    services.evaluate(T0 - timedelta(minutes=1), rules=(RULES["conflicts_info"],))  # the job ran a minute ago
    assert watchdog.evaluation_is_stale() is False
    assert watchdog.tick("test") is False
    assert db.session.scalars(select(Alert)).all() == []   # "no worker" was not checked here


def test_every_evaluation_leaves_its_mark(app, alert_config, clock):
    clock.freeze(T0)
    assert watchdog.last_evaluated() is None
    services.evaluate(rules=(RULES["conflicts_info"],))
    assert watchdog.last_evaluated() == T0
