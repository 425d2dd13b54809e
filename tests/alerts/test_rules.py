"""Every rule of ALERT_RULES, with a real condition for each (tests/alerts/scenarios.py):
it fires once, deduplicates, repeats at its interval, resolves (by itself, or by a person
for events), escalates to the next on-call person after its response time, and is silenced."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.alerts import policies, services
from app.alerts.models import Alert
from app.alerts.rules import ALERT_RULES, RULES
from app.core.audit import AuditEvent
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests.alerts.scenarios import SCENARIOS
from tests.factories import make_operator

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)   # 10:00 KST, a Monday
KEYS = [rule.key for rule in ALERT_RULES]


def test_every_rule_has_a_scenario_and_the_table_covers_the_seeds():
    assert set(SCENARIOS) == set(RULES)
    assert len(RULES) == len(ALERT_RULES)
    for rule in ALERT_RULES:
        assert rule.severity in policies.SEVERITIES and rule.area in policies.AREAS
        assert str(rule.title) and str(rule.todo) and rule.endpoint
    # seed 000 §1: the conflict levels answer in 5 min / 30 min / 2 h
    assert RULES["conflicts_critical"].respond_within == timedelta(minutes=5)
    assert RULES["conflicts_warning"].respond_within == timedelta(minutes=30)
    assert RULES["conflicts_info"].respond_within == timedelta(hours=2)
    # seed 001 §7.2: CRITICAL 15 min / 1 h
    assert RULES["fund_breaker_open"].respond_within == timedelta(minutes=15)
    assert RULES["fund_breaker_open"].resolve_by == timedelta(hours=1)
    assert RULES["api_p95"].check == "app.observability.alert_checks:check_api_p95"
    assert RULES["slo_breach_p2"].check == "app.observability.alert_checks:check_slo_breaches_p2"
    assert RULES["slo_breach_p2"].severity == "CRITICAL"   # seed 001 Appendix A: a P2 incident
    assert RULES["slo_breach_p3"].check == "app.observability.alert_checks:check_slo_breaches_p3"
    assert RULES["slo_breach_p3"].severity == "WARNING"


def _rule(key: str):
    """The rule as the engine runs it: every check reads the scenario's real data."""
    return RULES[key]


def _evaluate(key: str) -> dict:
    return services.evaluate(rules=(_rule(key),))


def _alerts(key: str) -> list[Alert]:
    return list(db.session.scalars(select(Alert).where(Alert.rule == key).order_by(Alert.id)
                                   .execution_options(populate_existing=True)))


def _messages(alert: Alert) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"alert:{alert.id}:%"))
                                   .order_by(OutboxMessage.id)))


def _fire(key: str, clock) -> Alert:
    clock.freeze(T0)
    SCENARIOS[key].make()
    _evaluate(key)
    [alert] = _alerts(key)
    return alert


def _move(clock, delta: timedelta, key: str) -> None:
    clock.advance(seconds=delta.total_seconds())
    if SCENARIOS[key].keep:
        SCENARIOS[key].keep()


@pytest.mark.parametrize("key", KEYS)
def test_fires_once_with_its_first_message(key, clock, alert_config, oncall):
    first, = oncall(1)
    alert = _fire(key, clock)
    rule = RULES[key]
    assert (alert.status, alert.severity, alert.area, alert.notifications_sent) == ("open", rule.severity, rule.area, 1)
    expected_subject = SCENARIOS[key].subject
    if expected_subject:
        assert alert.subject == expected_subject
    channels = {(m.channel, m.recipient) for m in _messages(alert)}
    wanted = set()
    hook = policies.webhook_for(rule.severity, alert_config)
    for channel in policies.channels_for(rule.severity, alert_config):
        wanted.add({"email": ("email", first.email), "sms": ("sms", "+82 10-1234-5671"),
                    "webhook": ("webhook", hook)}[channel])
    assert channels == wanted
    opened = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == alert.public_id, AuditEvent.action == "alert.opened"))
    assert opened == 1


@pytest.mark.parametrize("key", KEYS)
def test_deduplicates_while_the_condition_lasts(key, clock, alert_config, oncall):
    oncall(1)
    alert = _fire(key, clock)
    before = len(_messages(alert))
    _move(clock, timedelta(seconds=30), key)
    _evaluate(key)
    _evaluate(key)
    [again] = _alerts(key)
    assert again.id == alert.id and again.notifications_sent == 1
    assert len(_messages(again)) == before


@pytest.mark.parametrize("key", KEYS)
def test_repeats_at_its_interval_until_acknowledged(key, clock, alert_config, oncall):
    oncall(1)  # one person: nobody to escalate to, so the reminder is a repeat
    alert = _fire(key, clock)
    rule = RULES[key]
    _move(clock, rule.repeat - timedelta(seconds=1), key)
    _evaluate(key)
    assert _alerts(key)[0].notifications_sent == 1
    _move(clock, timedelta(seconds=1), key)
    _evaluate(key)
    [repeated] = _alerts(key)
    assert repeated.notifications_sent == 2
    assert any(m.event == "alert.repeat" for m in _messages(repeated))
    services.acknowledge(alert.public_id, make_operator("manager"))
    _move(clock, rule.repeat * 3, key)
    _evaluate(key)
    [acknowledged] = _alerts(key)
    assert (acknowledged.status, acknowledged.notifications_sent) == ("acknowledged", 2)


@pytest.mark.parametrize("key", KEYS)
def test_resolves_when_the_condition_clears_or_a_person_closes_an_event(key, clock, alert_config, oncall):
    oncall(1)
    alert = _fire(key, clock)
    scenario = SCENARIOS[key]
    if scenario.clear is None:  # an event: it stays until a person resolves it, and is not raised again
        _move(clock, timedelta(hours=2), key)
        _evaluate(key)
        assert _alerts(key)[0].status == "open"
        services.resolve_by_operator(alert.public_id, make_operator("manager"), "called the bank, all explained")
        _evaluate(key)
        [resolved] = _alerts(key)
        assert (resolved.status, resolved.resolved_how) == ("resolved", "operator")
    else:
        scenario.clear()
        clock.advance(minutes=1)   # the condition is gone: nothing keeps it alive now
        if key == "no_scheduled_job":
            scenario.keep()        # (its cleared state needs the worker and the clock alive)
        _evaluate(key)
        [resolved] = _alerts(key)
        assert (resolved.status, resolved.resolved_how) == ("resolved", "cleared")
        assert resolved.resolved_at == clock.now()
    resolved_messages = [m for m in _messages(resolved) if m.event == "alert.resolved"]
    channels = set(policies.channels_for(RULES[key].severity, alert_config)) - {"sms"}
    assert {m.channel for m in resolved_messages} == channels
    assert all(m.subject.startswith("[") for m in resolved_messages)


@pytest.mark.parametrize("key", KEYS)
def test_escalates_to_the_next_person_after_its_response_time(key, clock, alert_config, oncall):
    first, second, third = oncall(3)
    alert = _fire(key, clock)
    rule = RULES[key]
    _move(clock, rule.respond_within - timedelta(seconds=1), key)
    _evaluate(key)
    assert _alerts(key)[0].escalation_step == 0
    _move(clock, timedelta(seconds=1), key)
    _evaluate(key)
    [escalated] = _alerts(key)
    assert escalated.escalation_step == 1 and escalated.escalated_at == clock.now()
    events = [m for m in _messages(escalated) if m.event == "alert.escalated"]
    if "email" in policies.channels_for(rule.severity, alert_config):
        assert {m.recipient for m in events if m.channel == "email"} == {second.email}
    else:
        assert {m.channel for m in events} == {"webhook"}
    _move(clock, rule.respond_within, key)
    _evaluate(key)
    assert _alerts(key)[0].escalation_step == 2   # the 3rd person
    _move(clock, rule.respond_within * 2, key)
    _evaluate(key)
    assert _alerts(key)[0].escalation_step == 2   # nobody after the 3rd
    step = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == alert.public_id, AuditEvent.action == "alert.escalated"))
    assert step == 2


@pytest.mark.parametrize("key", KEYS)
def test_silenced_alerts_are_recorded_but_send_nothing_until_the_silence_ends(key, clock, alert_config, oncall):
    oncall(1)
    clock.freeze(T0)
    manager = make_operator("manager")
    silence = services.create_silence(rule=key, subject=None, ends_at=T0 + timedelta(hours=1),
                                      reason="planned maintenance of the bank", operator=manager)
    SCENARIOS[key].make()
    _evaluate(key)
    [alert] = _alerts(key)
    assert alert.status == "open" and alert.notifications_sent == 0 and alert.silenced_by_id == silence.id
    assert _messages(alert) == []
    _move(clock, timedelta(minutes=20), key)
    _evaluate(key)
    assert _messages(_alerts(key)[0]) == []
    services.end_silence(silence.public_id, manager)
    _evaluate(key)
    [alert] = _alerts(key)
    assert alert.notifications_sent == 1 and alert.silenced_by_id is None
    assert _messages(alert)
