"""Email subscribers: double opt-in through a signed link, mail of each published update in the
subscriber's language (ko/ja/en) delivered to a real SMTP server by a real worker, an unsubscribe
link in every mail, a throttled subscribe form with CSRF."""
from __future__ import annotations

import email
import email.policy
import re

from sqlalchemy import select

from app.extensions import db
from app.status import services
from app.status.models import StatusSubscriber
from tests.status.conftest import MONDAY, TEXTS, actor, published


def _text(message) -> tuple[str, str]:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    return str(parsed["Subject"]), parsed.get_body(preferencelist=("plain",)).get_content()


def _mail_to(smtp_server, address):
    return [_text(m["message"]) for m in smtp_server.messages if address in m["to"]]


def _link(body: str, part: str) -> str:
    [url] = [u for u in re.findall(r"https?://\S+", body) if part in u]
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_double_opt_in_then_mail_in_each_language(client, clock, smtp_server, run_worker):
    clock.freeze(MONDAY)
    for lang in ("ko", "ja", "en"):
        page = client.post(f"/status/subscribe?lang={lang}", data={"email": f"{lang}@guest.example",
                                                                    "language": lang}, follow_redirects=True)
        assert page.status_code == 200
    run_worker()
    confirmations = {lang: _mail_to(smtp_server, f"{lang}@guest.example") for lang in ("ko", "ja", "en")}
    assert "링크" in confirmations["ko"][0][1] and "リンク" in confirmations["ja"][0][1] \
        and "link" in confirmations["en"][0][1]
    # Nothing is sent to an address that has not confirmed.
    published("S1")
    run_worker()
    assert all(len(_mail_to(smtp_server, f"{lang}@guest.example")) == 1 for lang in ("ko", "ja", "en"))
    for lang in ("ko", "ja", "en"):
        confirm = _link(confirmations[lang][0][1], "/status/subscribe/confirm/")
        assert client.get(confirm).status_code == 302
    notice_id = published("S1").public_id
    run_worker()
    for lang, phrase in (("ko", "영향"), ("ja", "影響"), ("en", "Impact")):
        subject, body = _mail_to(smtp_server, f"{lang}@guest.example")[-1]
        assert TEXTS[lang]["title"] in subject and TEXTS[lang]["body"] in body and phrase in body
        assert "/status/unsubscribe/" in body and f"status.{lang}.html" in body
    # An update mails again, once; running the worker twice sends nothing more.
    services.post_update(notice_id, status="identified", texts=TEXTS, actor=actor())
    run_worker()
    run_worker()
    assert len(_mail_to(smtp_server, "en@guest.example")) == 3
    # Unsubscribing (a page with a button, so mail scanners do not unsubscribe anyone).
    _, body = _mail_to(smtp_server, "en@guest.example")[-1]
    stop = _link(body, "/status/unsubscribe/")
    assert client.get(stop).status_code == 200
    assert client.post(stop, data={}).status_code == 302
    services.post_update(notice_id, status="resolved", texts=TEXTS, actor=actor())
    run_worker()
    assert len(_mail_to(smtp_server, "en@guest.example")) == 3
    assert len(_mail_to(smtp_server, "ja@guest.example")) == 4


def test_a_forged_confirmation_link_is_refused(client):
    services.subscribe("a@guest.example", "ko")
    assert client.get("/status/subscribe/confirm/not-a-token").status_code == 404
    assert client.get("/status/unsubscribe/" + "x" * 3000).status_code == 404
    sub = db.session.scalar(select(StatusSubscriber))
    assert sub.confirmed_at is None


def test_subscribe_form_needs_csrf_and_a_real_address(client):
    assert client.post("/status/subscribe", data={"email": "a@guest.example", "language": "ko"},
                       csrf=False).status_code in (400, 422)
    assert client.post("/status/subscribe", data={"email": "not an address", "language": "ko"}).status_code == 422
    assert db.session.scalar(select(StatusSubscriber)) is None


def test_subscribe_form_is_throttled(client, app):
    limit = app.config["STATUS_SUBSCRIBE_PER_HOUR"]
    for i in range(limit):
        client.post("/status/subscribe", data={"email": f"g{i}@guest.example", "language": "ko"})
    page = client.post("/status/subscribe", data={"email": "late@guest.example", "language": "ko"},
                       follow_redirects=True)
    assert page.status_code == 200
    emails = set(db.session.scalars(select(StatusSubscriber.email)))
    assert len(emails) == limit and "late@guest.example" not in emails
