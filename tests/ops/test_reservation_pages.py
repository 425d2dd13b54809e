"""The back office's reservation pages: search, and everything about one reservation."""
from __future__ import annotations

from app.booking.services import change_status
from app.ops import checklist
from tests.factories import make_paid_reservation, make_reservation, make_room_type


def test_search_finds_by_code_in_any_spelling_and_by_email(client, login_as):
    login_as("staff")
    r = make_reservation(make_room_type())
    loose = "-".join([r.code[:4].lower(), r.code[4:]])
    for term in (r.code, loose, f"  {r.code.lower()} ", r.guest_email.upper()):
        page = client.get("/ops/reservations", query_string={"q": term}).get_data(as_text=True)
        assert f"/ops/reservations/{r.public_id}" in page, term
    page = client.get("/ops/reservations", query_string={"q": "NO-SUCH-CODE"}).get_data(as_text=True)
    assert f"/ops/reservations/{r.public_id}" not in page
    assert "NO-SUCH-CODE" in page


def test_reservation_page_shows_facts_money_and_history(client, login_as):
    login_as("staff")
    r = make_paid_reservation(make_room_type())
    change_status(r.id, "checked_in", reason="Arrived early")
    response = client.get(f"/ops/reservations/{r.public_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert r.guest_email in page
    assert 'data-status="checked_in"' in page
    assert "Arrived early" in page          # the history carries the reason
    assert "reservation.paid" in page or "payment" in page


def test_unknown_reservation_is_a_plain_404(client, login_as):
    login_as("staff")
    response = client.get("/ops/reservations/res_nope")
    assert response.status_code == 404


def test_not_signed_in_is_sent_to_sign_in(client):
    r = make_reservation(make_room_type())
    response = client.get(f"/ops/reservations/{r.public_id}")
    assert response.status_code in (302, 303)
    assert "/auth/login" in response.headers["Location"]


def test_registered_actions_and_panels_show_for_the_right_role_and_state(app, client, login_as, monkeypatch):
    monkeypatch.setattr(checklist, "RESERVATION_ACTIONS", {})
    monkeypatch.setattr(checklist, "RESERVATION_PANELS", {})
    checklist.reservation_action("for_paid", "ops.reservation", "Paid-only action", order=1,
                                 when=lambda res: res.status == "paid")
    checklist.reservation_action("managers", "ops.reservation", "Manager action", role="manager", order=2)
    checklist.reservation_panel("facts_again", "ops/_test_panel.html")
    from jinja2 import ChoiceLoader, DictLoader

    monkeypatch.setattr(app, "jinja_loader", ChoiceLoader([DictLoader({"ops/_test_panel.html":
                                                                       '<p id="test-panel">{{ r.code }}</p>'}),
                                                           app.jinja_loader]))
    app.jinja_env.loader = app.jinja_loader
    try:
        login_as("staff")
        paid = make_paid_reservation(make_room_type())
        pending = make_reservation(make_room_type())
        page = client.get(f"/ops/reservations/{paid.public_id}").get_data(as_text=True)
        assert "Paid-only action" in page and "Manager action" not in page
        assert f'<p id="test-panel">{paid.code}</p>' in page
        page = client.get(f"/ops/reservations/{pending.public_id}").get_data(as_text=True)
        assert "Paid-only action" not in page
    finally:
        app.jinja_env.loader = app.jinja_loader.loaders[1]


def test_waiting_transfers_link_to_the_reservation_and_offer_mark_paid_to_staff_too(app, login_as):
    r = make_reservation(make_room_type(), method="bank_transfer")
    staff_client, manager_client = app.test_client(), app.test_client()
    login_as("staff", test_client=staff_client)
    login_as("manager", test_client=manager_client)
    staff_page = staff_client.get("/ops/orders").get_data(as_text=True)
    manager_page = manager_client.get("/ops/orders").get_data(as_text=True)
    assert f"/ops/reservations/{r.public_id}" in staff_page
    assert f"/mark-paid/{r.public_id}" in staff_page               # seed 004 §2.1: staff press [결제 완료]
    assert f"/mark-paid/{r.public_id}" in manager_page
