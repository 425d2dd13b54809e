"""The audit-log page: filters, pagination, roles; and audit rows stay as written."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from app.core import audit
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.extensions import db
from tests.factories import make_paid_reservation

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


def test_staff_sees_who_what_before_after_reason_and_request_id(client, login_as):
    operator = login_as("staff")
    reservation = make_paid_reservation()
    audit.record("reservation.status", entity_type="reservation", entity_id=reservation.public_id,
                 reservation_id=reservation.id, actor=Actor.operator(operator), from_state="paid",
                 to_state="canceled", reason="고객 요청으로 취소")
    db.session.commit()
    page = client.get("/ops/audit?code=" + reservation.code).get_data(as_text=True)
    assert "감사 기록" in page
    assert operator.email in page and "paid → canceled" in page and "고객 요청으로 취소" in page
    rows = page.count('data-audit="')
    assert rows == len(list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.reservation_id == reservation.id))))


def test_filters_by_operator_action_and_dates(client, login_as, clock):
    clock.freeze(T0)
    me = login_as("staff")
    other = Actor("operator", 999, "someone@frontdesk.example")
    audit.record("refund.approved", entity_type="refund", entity_id="rfd_1", actor=Actor.operator(me))
    audit.record("refund.refused", entity_type="refund", entity_id="rfd_2", actor=other)
    db.session.flush()                                     # created_at is set when the row is written
    clock.freeze(datetime(2026, 12, 5, 1, 0, tzinfo=timezone.utc))
    audit.record("payout.completed", entity_type="payout", entity_id="po_1", actor=other)
    db.session.commit()
    clock.freeze(T0)                                       # back, so the sign-in is still fresh

    def ids(query: str) -> set[str]:
        page = client.get("/ops/audit?" + query).get_data(as_text=True)
        return {e for e in ("rfd_1", "rfd_2", "po_1") if e in page}

    assert ids("operator=someone") == {"rfd_2", "po_1"}
    assert ids("action=refund") == {"rfd_1", "rfd_2"}
    assert ids("action=refund.refused") == {"rfd_2"}
    assert ids("start=2026-12-01") == {"po_1"}
    assert ids("start=2026-11-23&end=2026-11-23") == {"rfd_1", "rfd_2"}
    page = client.get("/ops/audit?start=not-a-date").get_data(as_text=True)
    assert "달력" in page and "po_1" in page


def test_pages_of_fifty(client, login_as):
    login_as("staff")
    for i in range(60):
        audit.record("test.event", entity_type="test", entity_id=f"e{i:03d}", actor=Actor.system("test"))
    db.session.commit()
    first = client.get("/ops/audit?action=test.event").get_data(as_text=True)
    second = client.get("/ops/audit?action=test.event&page=2").get_data(as_text=True)
    assert first.count('data-audit="') == 50 and second.count('data-audit="') == 10
    assert "e059" in first and "e000" in second and 'rel="next"' in first


def test_the_audit_page_needs_staff(client):
    assert client.get("/ops/audit").status_code in (302, 303, 401)


def test_audit_rows_cannot_be_edited_or_deleted_through_the_orm():
    row = audit.record("test.event", entity_type="test", entity_id="x", actor=Actor.system("test"), reason="first")
    db.session.commit()
    row.reason = "changed"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, row.id))
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEvent, row.id).reason == "first"


def test_audit_rows_cannot_be_edited_or_deleted_by_plain_sql():
    """A trigger refuses even plain SQL, on PostgreSQL and on SQLite."""
    row = audit.record("test.event", entity_type="test", entity_id="y", actor=Actor.system("test"), reason="first")
    db.session.commit()
    with pytest.raises(DBAPIError):
        with db.session.begin_nested():
            db.session.execute(update(AuditEvent).where(AuditEvent.id == row.id).values(reason="changed"))
    with pytest.raises(DBAPIError):
        with db.session.begin_nested():
            db.session.execute(delete(AuditEvent).where(AuditEvent.id == row.id))
    assert db.session.scalar(select(AuditEvent.reason).where(AuditEvent.id == row.id)) == "first"


def test_the_application_has_no_route_that_changes_audit_rows(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
