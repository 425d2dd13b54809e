"""The support pages through the client: the guests' contact form (ko/ja/en, with and without a
booking, CSRF, throttled), a phone call typed by an operator, the ticket page (notes marked, reply
with a ready reply → preview → send, stale warning, collision warning), changes with a confirm step,
the queue, the report, the rating link; the guest's email arrives in their language through SMTP and
never carries an internal note."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.support import macros, services
from app.support.models import Ticket
from tests.factories import make_operator
from tests.support.conftest import booking, outbox, ticket

NOTE = "내부 메모: 호텔 매니저와 통화함 (비밀)"


def _only_ticket() -> Ticket:
    [t] = db.session.scalars(select(Ticket)).all()
    return t


def test_contact_form_in_japanese_without_a_booking(client, at_tuesday):
    page = client.get("/contact?lang=ja").get_data(as_text=True)
    assert "お問い合わせ" in page and "お名前" in page and 'name="csrf_token"' in page
    r = client.post("/contact", data={"name": "山田 花子", "email": "Hanako@Example.jp", "category": "howto",
                                      "message": "駐車場はありますか？"})
    assert r.status_code == 201
    t = _only_ticket()
    assert (t.language, t.queue, t.channel, t.reservation_id, t.severity) == ("ja", "JP", "web", None, "S4")
    assert t.guest_email == "hanako@example.jp"


def test_contact_form_links_the_booking_only_when_code_and_email_match(client, at_tuesday):
    r = booking(language="en")
    client.post("/contact?lang=en", data={"name": "A", "email": "intruder@example.com", "code": r.code,
                                          "category": "booking", "message": "Cancel it"})
    client.post("/contact?lang=en", data={"name": "A", "email": r.guest_email, "code": r.code.lower(),
                                          "category": "booking", "message": "Late arrival"})
    first, second = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert first.reservation_id is None and second.reservation_id == r.id


def test_contact_form_from_the_signed_in_booking_page(client, at_tuesday):
    r = booking(days=1, language="ja")
    client.post("/find", data={"code": r.code, "email": r.guest_email})
    page = client.get(f"/booking/{r.public_id}").get_data(as_text=True)
    assert f"/contact?booking={r.public_id}" in page
    form = client.get(f"/contact?booking={r.public_id}").get_data(as_text=True)
    assert r.guest_email in form
    client.post("/contact", data={"booking": r.public_id, "name": "Yamada Hanako", "email": r.guest_email,
                                  "category": "booking", "message": "到着が遅れます"})
    t = _only_ticket()
    assert t.reservation_id == r.id and t.severity == "S2"               # arrives tomorrow


def test_contact_form_refuses_without_csrf_and_when_throttled(client, app, at_tuesday, monkeypatch):
    data = {"name": "A", "email": "a@example.com", "category": "other", "message": "hi"}
    assert client.post("/contact", data=data, csrf=False).status_code == 400
    assert client.post("/contact", data={**data, "email": "bad"}).status_code == 422
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "SUPPORT_CONTACT_PER_15_MIN", 2)
    codes = [client.post("/contact", data=data).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_operator_types_a_phone_call(client, login_as, at_tuesday):
    login_as("staff")
    r = booking(days=0)
    page = client.get(f"/ops/support/new?q={r.code}").get_data(as_text=True)
    assert f"reservation={r.public_id}" in page
    page = client.get(f"/ops/support/new?reservation={r.public_id}").get_data(as_text=True)
    assert "추천 긴급도: 긴급" in page and r.guest_email in page
    data = {"reservation": r.public_id, "name": "김민지", "email": r.guest_email, "phone": "010-1234-5678",
            "language": "ko", "category": "booking", "purpose": "체크인 시간 변경", "message": "오후 9시에 도착",
            "severity": ""}
    confirm = client.post("/ops/support/new", data=data)
    assert confirm.status_code == 200 and 'class="effect"' in confirm.get_data(as_text=True)
    assert db.session.scalar(select(Ticket)) is None                    # nothing before confirming
    done = client.post("/ops/support/new", data={**data, "confirmed": "yes"})
    assert done.status_code == 303
    t = _only_ticket()
    assert (t.channel, t.severity, t.reservation_id) == ("phone", "S2", r.id)


@pytest.mark.parametrize("language", ["ko", "ja", "en"])
def test_every_macro_renders_without_a_placeholder_left(app, language, at_tuesday):
    t = ticket(language=language)
    values = services.reply_values(t, "https://example.com/help")
    for key in macros.MACROS:
        text = macros.render_macro(key, language, values)
        assert not re.search(r"\{\w*\}", text) and t.public_id in text + values["ticket"]
    subject = services.reply_subject(t)
    assert not re.search(r"\{\w*\}", subject)


def test_reply_with_a_macro_preview_confirm_and_smtp_in_the_guests_language(client, login_as, at_tuesday,
                                                                            smtp_server, run_worker):
    staff_email = login_as("staff").email
    r = booking(language="ja")
    t = ticket(language="ja", reservation=r, email=r.guest_email)
    guest_email, public_id = r.guest_email, t.public_id
    page = client.get(f"/ops/support/{t.public_id}").get_data(as_text=True)
    assert "내부 메모 — 고객에게 보이지 않음" in page
    client.post(f"/ops/support/{t.public_id}/note", data={"body": NOTE})
    page = client.get(f"/ops/support/{t.public_id}").get_data(as_text=True)
    assert NOTE in page and "🔒" in page
    version = services.get_ticket(t.public_id).version
    body = services.values_for_preview(t)
    text = macros.render_macro("received", "ja", body)
    preview = client.post(f"/ops/support/{t.public_id}/reply",
                          data={"macro": "received", "body": text, "then_status": "open", "version": version})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "guest-preview" in html and "お問い合わせを承りました" in html
    assert not outbox("support_reply")
    done = client.post(f"/ops/support/{t.public_id}/reply",
                       data={"macro": "received", "body": text, "then_status": "open", "version": version,
                             "confirmed": "yes"})
    assert done.status_code == 303
    run_worker()
    from email.header import decode_header, make_header

    def subject_of(m):
        return str(make_header(decode_header(m["message"]["Subject"])))

    [sent] = [m for m in smtp_server.messages if m["to"] == [guest_email] and public_id in subject_of(m)]
    message = sent["message"]
    subject = subject_of(sent)
    assert "お問い合わせへのご回答" in subject and public_id in subject
    payload = "".join(part.get_content() if hasattr(part, "get_content") else
                      part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                      for part in message.walk() if part.get_content_maintype() == "text")
    assert "お問い合わせを承りました" in payload
    assert NOTE not in payload and "내부 메모" not in payload and staff_email not in payload
    assert services.get_ticket(public_id).first_responded_at is not None


def test_stale_reply_warns_before_sending(client, login_as, app, at_tuesday):
    login_as("staff")
    t = ticket()
    version = t.version
    services.add_note(t.public_id, body="colleague wrote", operator=make_operator())
    r = client.post(f"/ops/support/{t.public_id}/reply",
                    data={"body": "hello", "then_status": "open", "version": version, "confirmed": "yes"})
    assert r.status_code == 200 and "stale" in r.get_data(as_text=True)
    assert not outbox("support_reply")
    forced = client.post(f"/ops/support/{t.public_id}/reply",
                         data={"body": "hello", "then_status": "open", "version": version, "confirmed": "yes",
                               "force": "yes"})
    assert forced.status_code == 303 and len(outbox("support_reply")) == 1


def test_two_operators_on_one_ticket_see_each_other(client, app, login_as, at_tuesday):
    first = login_as("staff")
    other_client = app.test_client()
    second = login_as("staff", test_client=other_client)
    t = ticket()
    assert "collision" not in client.get(f"/ops/support/{t.public_id}").get_data(as_text=True)
    page = other_client.get(f"/ops/support/{t.public_id}").get_data(as_text=True)
    assert "collision" in page and first.name in page
    assert second.name in client.get(f"/ops/support/{t.public_id}").get_data(as_text=True)


def test_changes_need_a_confirm_step(client, login_as, at_tuesday):
    login_as("staff")
    t = ticket(severity="S3")
    r = client.post(f"/ops/support/{t.public_id}/change/severity", data={"severity": "S1", "reason": "많은 고객"})
    assert r.status_code == 200 and 'class="effect"' in r.get_data(as_text=True)
    assert services.get_ticket(t.public_id).severity == "S3"
    client.post(f"/ops/support/{t.public_id}/change/severity",
                data={"severity": "S1", "reason": "많은 고객", "confirmed": "yes"})
    assert services.get_ticket(t.public_id).severity == "S1"
    client.post(f"/ops/support/{t.public_id}/change/status",
                data={"status": "resolved", "reason": "", "confirmed": "yes"})
    assert services.get_ticket(t.public_id).status == "resolved" and outbox("support_csat")
    assert client.post(f"/ops/support/{t.public_id}/change/bogus", data={}).status_code == 404
    colleague = make_operator()
    confirm = client.post(f"/ops/support/{t.public_id}/change/owner", data={"owner": str(colleague.id)})
    assert colleague.name in confirm.get_data(as_text=True)
    client.post(f"/ops/support/{t.public_id}/change/owner", data={"owner": str(colleague.id), "confirmed": "yes"})
    assert services.get_ticket(t.public_id).owner_id == colleague.id
    assert client.post(f"/ops/support/{t.public_id}/change/owner",
                       data={"owner": "99999999999999999999", "confirmed": "yes"}).status_code == 302


def test_pages_list_report_and_bad_ids(client, login_as, at_tuesday, clock):
    assert client.get("/ops/support").status_code in (302, 303)           # signed-in operators only
    login_as("staff")
    ticket(severity="S1")
    clock.advance(minutes=12)
    page = client.get("/ops/support").get_data(as_text=True)
    assert "🛑" in page and "3분 남음" in page and "매우 긴급" in page and "S1" not in page.split("<details")[0]
    assert client.get("/ops/support/report?month=2026-12").status_code == 200
    assert client.get("/ops/support/report?month=99999-99").status_code == 200
    assert client.get("/ops/support/T-NOPE").status_code == 404
    assert client.get("/ops/support/T-NOPE%00").status_code == 422                # the input guard
    assert client.get("/ops/support/" + "x" * 5000).status_code == 404


def test_the_rating_page_once_only(client, at_tuesday):
    t = ticket(language="ko")
    token = services.csat_token(t)
    assert client.get(f"/support/rate/{token}x").status_code == 404
    assert client.get(f"/support/rate/{token}").status_code == 200
    assert client.post(f"/support/rate/{token}", data={"score": "9"}).status_code == 422
    done = client.post(f"/support/rate/{token}", data={"score": "5", "comment": "친절해요"})
    assert done.status_code == 200 and services.get_ticket(t.public_id).csat_score == 5
    again = client.post(f"/support/rate/{token}", data={"score": "1"}).get_data(as_text=True)
    assert services.get_ticket(t.public_id).csat_score == 5 and "form" not in again.split("<main")[-1][:0] + ""


def test_no_internal_note_on_any_guest_page_or_message(client, at_tuesday):
    staff = make_operator()
    r = booking(language="ko")
    t = ticket(reservation=r, email=r.guest_email)
    services.add_note(t.public_id, body=NOTE, operator=staff)
    services.send_reply(t.public_id, body="답변드립니다.", operator=staff, then_status="resolved")
    client.post("/find", data={"code": r.code, "email": r.guest_email})
    token = services.csat_token(t)
    for url in (f"/booking/{r.public_id}", f"/contact?booking={r.public_id}", f"/support/rate/{token}"):
        assert NOTE not in client.get(url).get_data(as_text=True)
    for message in outbox("support_reply") + outbox("support_csat"):
        assert NOTE not in (message.body or "") and NOTE not in (message.subject or "")
        assert "내부" not in message.body and "support_reply" not in message.body


def test_today_lists_inquiries_due_and_counts_todays(client, login_as, at_tuesday, clock):
    login_as("staff")
    ticket(severity="S1")
    ticket(severity="S3")
    clock.advance(minutes=12)                                              # S1: 3 minutes left
    page = client.get("/ops/").get_data(as_text=True)
    assert "약속한 시간이 다 되었거나 지난 고객 문의" in page and "15분 안에 마감 1건" in page
    assert "오늘 들어온 고객 문의" in page
    assert "/ops/support" in page and 'data-nav-badge="support">1<' in page
    from app.support import today

    assert today.inquiries_today().count == 2 and today.inquiries_due().count == 1
