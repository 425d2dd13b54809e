"""Catalog page fixtures: a frozen clock, a Seoul hotel with one room type, signed-in clients per role."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.extensions import db
from tests.auth.helpers import sign_in
from tests.factories import make_hotel, make_operator, make_room_type

#: Monday 2026-11-23, 10:00 in Seoul.
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.freeze(T0)


@pytest.fixture
def room_type():
    """“Deluxe Double”: 5 rooms at 100,000 KRW, 110 % (sells 5 a night)."""
    return make_room_type(make_hotel(name="Hanok Stay", city="Seoul"), rooms=5, base_price=100_000,
                          name="Deluxe Double")


@pytest.fixture
def hotel(room_type):
    return room_type.hotel


@pytest.fixture
def as_role(app):
    """as_role("manager") → a test client signed in as a new operator of that role."""
    clients = {}

    def _client(role: str):
        if role not in clients:
            c = app.test_client()
            assert sign_in(c, make_operator(role).email).status_code == 302
            clients[role] = c
        return clients[role]

    return _client


#: Written when a test signs an operator in; not what the tests look for.
SIGN_IN_ACTIONS = ("operator.created", "operator.signed_in")


def audit_actions(since_id: int = 0) -> list[str]:
    """Audit actions written after `since_id`, in order (signing in left out)."""
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.id > since_id, AuditEvent.action.not_in(SIGN_IN_ACTIONS)).order_by(AuditEvent.id)))


def last_audit_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
