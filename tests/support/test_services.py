"""Ticket use cases on the real database: owners (round-robin, on-call), replies through the outbox,
pauses, severity changes, CSAT, SLA alerts through the alert engine, the monthly figures."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.alerts import services as alert_services
from app.alerts.models import Alert, OnCallEntry
from app.alerts.rules import RULES
from app.core.errors import NotFound, ValidationFailed
from app.extensions import db
from app.support import queries, services
from app.support.models import Ticket
from tests.factories import make_operator
from tests.support.conftest import TUESDAY_10, audits, booking, outbox, ticket

SUPPORT_RULES = (RULES["support_sla_warning"], RULES["support_sla_breached_urgent"], RULES["support_sla_breached"])


def test_round_robin_within_the_queue(at_tuesday):
    a, b, c = (make_operator(language="ko") for _ in range(3))
    owners = [ticket().owner_id for _ in range(4)]
    assert owners == [a.id, b.id, c.id, a.id]
    assert [ticket(language="ja").owner_id for _ in range(2)] == [a.id, b.id]   # the JP queue rotates on its own
    assert ticket().owner_id == b.id                                          # KR goes on after a


def test_urgent_tickets_go_to_the_on_call_person(at_tuesday):
    make_operator(language="ko")
    oncall = make_operator(language="ko")
    db.session.add(OnCallEntry(area="transactions", position=1, operator_id=oncall.id, language="ko"))
    db.session.commit()
    assert ticket(severity="S1").owner_id == oncall.id
    arriving = booking(days=1)
    t = ticket(reservation=arriving)
    assert t.severity == "S2" and t.owner_id == oncall.id        # arrives tomorrow → S2 → on call


def test_severity_suggested_from_the_booking(at_tuesday):
    assert ticket(reservation=booking(days=0)).severity == "S2"
    assert ticket(reservation=booking(days=10)).severity == "S3"
    assert ticket(category="howto").severity == "S4"


def test_clocks_on_creation_and_queue(at_tuesday):
    t = ticket(severity="S3", language="ja")
    assert t.queue == "JP" and t.status == "new"
    assert t.first_response_due_at == TUESDAY_10 + timedelta(hours=4)
    assert t.resolution_due_at == TUESDAY_10 + timedelta(days=3)        # 3 business days: Friday 10:00
    [created] = audits("ticket.created")
    assert created.entity_id == t.public_id and created.data["severity"] == "S3"


def test_reply_stops_the_first_response_clock_and_queues_the_email(at_tuesday, clock):
    staff = make_operator()
    t = ticket(severity="S2", language="ja", email="hanako@example.jp")
    clock.advance(minutes=20)
    services.send_reply(t.public_id, body="山田様、確認いたしました。", operator=staff, version=t.version)
    t = services.get_ticket(t.public_id)
    assert t.status == "open" and t.first_response_met is True
    assert t.next_update_due_at == TUESDAY_10 + timedelta(minutes=20 + 60)   # S2 update cadence 60 min
    [mail] = outbox("support_reply")
    assert mail.recipient == "hanako@example.jp" and mail.language == "ja"
    assert mail.body == "山田様、確認いたしました。" and t.public_id in mail.subject and "お問い合わせ" in mail.subject
    clock.advance(minutes=90)
    services.send_reply(t.public_id, body="更新です。", operator=staff)
    t = services.get_ticket(t.public_id)
    assert (t.updates_sent, t.updates_late) == (1, 1)


def test_a_stale_reply_is_refused_unless_forced(at_tuesday):
    staff = make_operator()
    t = ticket()
    version = t.version
    services.add_note(t.public_id, body="called the hotel", operator=staff)
    with pytest.raises(services.StaleTicket):
        services.send_reply(t.public_id, body="hello", operator=staff, version=version)
    services.send_reply(t.public_id, body="hello", operator=staff, version=version, force=True)
    assert len(outbox("support_reply")) == 1


def test_waiting_on_the_customer_pauses_the_clocks(at_tuesday, clock):
    staff = make_operator()
    t = ticket(severity="S1")
    clock.advance(minutes=5)
    services.change_status(t.public_id, "waiting_on_customer", operator=staff)
    clock.advance(minutes=30)
    assert queries.list_queue(include_waiting=False) == []               # no running clock while waiting
    services.add_guest_message(t.public_id, body="Here is my answer", email_message_id="<a1@guest>")
    assert services.add_guest_message(t.public_id, body="again", email_message_id="<a1@guest>") is None
    t = services.get_ticket(t.public_id)
    assert t.status == "open"
    assert t.first_response_due_at == TUESDAY_10 + timedelta(minutes=15 + 30)  # the 30 paused minutes added
    assert t.resolution_due_at == TUESDAY_10 + timedelta(hours=4, minutes=30)


def test_severity_change_recomputes_from_creation_and_needs_a_reason(at_tuesday, clock):
    staff = make_operator()
    t = ticket(severity="S3")
    clock.advance(minutes=20)
    with pytest.raises(ValidationFailed):
        services.change_severity(t.public_id, "S1", operator=staff, reason=" ")
    services.change_severity(t.public_id, "S1", operator=staff, reason="many guests cannot pay")
    t = services.get_ticket(t.public_id)
    assert t.first_response_due_at == TUESDAY_10 + timedelta(minutes=15)     # from creation: already late
    [row] = audits("ticket.severity_changed")
    assert row.data == {"before": "S3", "after": "S1"} and row.reason == "many guests cannot pay"


def test_breach_raises_an_alert_through_the_engine_and_a_reply_resolves_it(at_tuesday, clock):
    staff = make_operator()
    t = ticket(severity="S1")
    clock.advance(minutes=3)
    alert_services.evaluate(rules=SUPPORT_RULES)
    [warning] = db.session.scalars(select(Alert).where(Alert.rule == "support_sla_warning")).all()
    assert warning.subject == f"ticket:{t.public_id}:first_response" and warning.severity == "WARNING"
    clock.advance(minutes=13)                                             # 16 minutes: past 15
    alert_services.evaluate(rules=SUPPORT_RULES)
    [breach] = db.session.scalars(select(Alert).where(Alert.rule == "support_sla_breached_urgent")).all()
    assert breach.severity == "CRITICAL" and breach.status == "open"
    services.send_reply(t.public_id, body="We are on it.", operator=staff)
    alert_services.evaluate(rules=SUPPORT_RULES)
    db.session.expire_all()
    breach = db.session.get(Alert, breach.id)
    assert breach.resolved_at is not None
    s3 = ticket(severity="S3")
    clock.advance(hours=5)
    alert_services.evaluate(rules=SUPPORT_RULES)
    assert db.session.scalar(select(Alert).where(Alert.rule == "support_sla_breached",
                                                 Alert.subject == f"ticket:{s3.public_id}:first_response"))


def test_csat_link_once_only_and_bad_tokens_refused(at_tuesday):
    staff = make_operator()
    t = ticket(language="en")
    services.send_reply(t.public_id, body="Done.", operator=staff, then_status="resolved")
    [survey] = outbox("support_csat")
    assert survey.language == "en" and "/support/rate/" in survey.body
    token = survey.body.split("/support/rate/")[1].split()[0]
    with pytest.raises(NotFound):
        services.csat_ticket(token[:-2] + "xx")
    with pytest.raises(NotFound):
        services.csat_ticket("nonsense")
    services.record_csat(token, 5, "quick")
    with pytest.raises(ValidationFailed):
        services.record_csat(token, 1)
    assert services.get_ticket(t.public_id).csat_score == 5


def test_monthly_figures_from_known_data(at_tuesday, clock):
    staff = make_operator()
    # S1: answered in 10 min, solved in 2 h → met.  S1: answered after 20 min → missed.
    a = ticket(severity="S1")
    b = ticket(severity="S1")
    clock.advance(minutes=10)
    services.send_reply(a.public_id, body="on it", operator=staff)
    clock.advance(minutes=10)
    services.send_reply(b.public_id, body="on it", operator=staff)
    clock.advance(minutes=100)
    services.change_status(a.public_id, "resolved", operator=staff)
    services.change_status(b.public_id, "resolved", operator=staff)
    c = ticket(severity="S3")                                             # still running, on time: not judged
    token = services.csat_token(services.get_ticket(a.public_id))
    services.record_csat(token, 4)
    report = queries.monthly_report(date(2026, 12, 1))
    assert report.created == 3
    assert report.by_severity["S1"] == {"total": 2, "judged": 2, "met": 1, "rate": 50.0, "target": 98, "ok": False}
    assert report.by_severity["S3"]["judged"] == 0 and report.by_severity["S3"]["rate"] is None
    assert report.first_response_minutes_median == 15.0                  # 10 and 20
    assert report.resolution_minutes_median == 120.0
    assert report.csat_average == 4 and report.csat_count == 1
    assert c.status == "new"


def test_queue_is_most_urgent_first(at_tuesday, clock):
    s3 = ticket(severity="S3")
    s1 = ticket(severity="S1")
    clock.advance(minutes=5)
    rows = queries.list_queue()
    assert [r.ticket.public_id for r in rows] == [s1.public_id, s3.public_id]
    clock.advance(minutes=6)                                               # 4 minutes left
    assert queries.count_attention() == (1, 0)
    assert isinstance(db.session.get(Ticket, s1.id), Ticket)
