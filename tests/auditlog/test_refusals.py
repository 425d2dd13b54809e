"""Every refusal is in the audit log: a 403 on /v1, from a role decorator, or raised inside a view."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from tests.api.helpers import bearer
from tests.factories import future, make_hotel, make_operator, make_room_type


def _refusals(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_403_on_the_api_is_audited_with_the_tokens_operator(client, api_token):
    room_type = make_room_type(make_hotel())
    operator, token = api_token("staff")
    body = {"from": future(5).isoformat(), "to": future(6).isoformat(), "price": {"amount": 1000, "currency": "KRW"}}
    response = client.put(f"/v1/hotels/{room_type.hotel_id}/room-types/{room_type.id}/rates", json=body,
                          headers=bearer(token))
    assert response.status_code == 403
    [event] = _refusals("request.refused")
    assert (event.actor_kind, event.actor_id) == ("operator", operator.id)
    assert event.data["via"] == "api" and event.data["method"] == "PUT" and "/rates" in event.data["path"]


def test_a_role_refused_page_is_audited_once(client, login_as):
    staff = login_as("staff")
    response = client.get("/auth/admin/operators")
    assert response.status_code == 403
    assert [e.actor_id for e in _refusals("operator.permission_refused")] == [staff.id]
    assert _refusals("request.refused") == []          # the same refusal is not written twice


def test_an_anonymous_refusal_is_audited_too(app):
    """A 403 for nobody in particular (e.g. a guest's forbidden action) names the address instead."""
    from werkzeug.exceptions import Forbidden

    from app.core.web import audit_refusal

    with app.test_request_context("/booking/x/cancel", method="POST"):
        audit_refusal(Forbidden().description)
        audit_refusal("twice")                          # once per request
    [event] = _refusals("request.refused")
    assert event.actor_kind == "system" and event.actor_name == "anonymous"
    assert event.data["via"] == "page" and event.data["path"] == "/booking/x/cancel"


def test_the_loser_of_a_refund_decision_race_is_audited(client, login_as, monkeypatch):
    """Two managers approve the same refund at once: the one who lost is in the audit log too."""
    from app.core.actor import Actor
    from app.refunds import decisions
    from tests.factories import make_operator
    from tests.refunds.conftest import cancelled_request

    refund = cancelled_request(days=10)
    first = make_operator("manager", email="first@example.com")
    second = login_as("manager")
    real_approve = decisions.approve_refund

    def approve_after_the_other_manager(refund_id, **kwargs):
        real_approve(refund_id, actor=Actor.operator(first), may_override=True)   # the winner, a moment earlier
        return real_approve(refund_id, **kwargs)

    monkeypatch.setattr(decisions, "approve_refund", approve_after_the_other_manager)
    response = client.post(f"/ops/refunds/{refund.public_id}/decide/approve", data={"confirmed": "yes"})
    assert response.status_code == 302
    [lost] = _refusals("refund.decision_not_done")
    assert (lost.actor_kind, lost.actor_id, lost.entity_id) == ("operator", second.id, refund.public_id)
    assert lost.reason == "already_decided" and lost.data["choice"] == "approve"
    assert [e.actor_id for e in _refusals("refund.approved")] == [first.id]
    # a second click after the decision is recorded as well
    client.post(f"/ops/refunds/{refund.public_id}/decide/approve", data={"confirmed": "yes"})
    assert len(_refusals("refund.decision_not_done")) == 2


def test_capacity_and_price_changes_keep_their_before_values():
    from app.catalog import services as catalog

    room_type = make_room_type(make_hotel(), base_price=100_000, percent=110)
    catalog.update_room_type(room_type, overbooking_percent=120, base_price=90_000, name=room_type.name)
    [changed] = [e for e in _refusals("room_type.updated")]
    assert changed.data["changes"] == {"overbooking_percent": {"before": 110, "after": 120},
                                       "base_price": {"before": 100_000, "after": 90_000}}
    first, second = future(5), future(6)
    catalog.set_rates(room_type, first, second, 150_000)
    catalog.set_rates(room_type, first, future(7), 170_000)
    last = _refusals("rates.set")[-1]
    assert last.data["before"] == {first.isoformat(): 150_000, second.isoformat(): None}
    assert last.data["base_price"] == 90_000


def test_a_hotels_coordinates_changed_over_the_api_keep_exact_before_and_after_values(client, app):
    """Found by schemathesis: a stored coordinate (a Decimal) in the audit row's before value was a 500."""
    from app.auth.services import create_api_token
    from app.catalog.models import Hotel

    hotel = make_hotel()
    hotel.latitude, hotel.longitude = Decimal("37.566500"), Decimal("126.978000")
    db.session.commit()
    _token, raw = create_api_token(make_operator("admin").email, "coordinates")
    response = client.put(f"/v1/hotels/{hotel.id}", json={"latitude": 35.1796, "longitude": None},
                            headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    [changed] = _refusals("hotel.updated")
    assert changed.data["changes"]["latitude"]["before"] == "37.566500"
    assert float(changed.data["changes"]["latitude"]["after"]) == 35.1796
    assert changed.data["changes"]["longitude"] == {"before": "126.978000", "after": None}
    assert db.session.get(Hotel, hotel.id).longitude is None
