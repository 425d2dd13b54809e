"""Helpers of the support tests: a booking, tickets, outbox messages, audit rows."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.core import clock as app_clock
from app.core.actor import Actor
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.support import services

KST = ZoneInfo("Asia/Seoul")
#: Tuesday 2026-12-08 10:00 in Seoul: inside business hours.
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=KST)


@pytest.fixture
def at_tuesday(clock):
    return clock.freeze(TUESDAY_10)


def booking(days: int = 10, language: str = "ko", **kw):
    from tests.factories import make_reservation

    check_in = app_clock.local_today("Asia/Seoul") + timedelta(days=days)
    first, last = {"ja": ("Hanako", "Yamada"), "ko": ("Minji", "Kim"), "en": ("Anna", "Smith")}[language]
    return make_reservation(check_in=check_in, language=language, first_name=first, last_name=last, **kw)


def ticket(*, severity=None, category="booking", reservation=None, language="ko", email="guest@example.com",
           channel="web", body="Can I check in early?"):
    return services.create_ticket(channel=channel, category=category, purpose=body[:60], body=body,
                                  actor=Actor.guest(email), reservation=reservation, guest_name="김민지",
                                  guest_email=email, language=language, severity=severity)


def outbox(event: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == event)
                                   .order_by(OutboxMessage.id)))


def audits(action: str) -> list:
    from app.core.audit import AuditEvent

    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
