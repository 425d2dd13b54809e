"""A Korean operator refuses a Japanese guest's refund in a real browser: the confirm page
shows the guest's email in Japanese, exactly as it is then sent (real worker, real SMTP),
and the internal note never reaches the guest (DESIGN invariant 13).
Screenshots: docs/screenshots/refund_refusal_*.png."""
import email.header

import pytest

from app.core.db import end_transaction
from app.notifications.guest_text import READY_SENTENCES
from app.refunds.states import RefundStatus
from tests.fixtures_browser import screenshot, sign_in
from tests.refunds.conftest import cancelled_request, outbox

pytestmark = [pytest.mark.e2e, pytest.mark.committing]

INTERNAL = "고객이 전화로 욕설함"


def _body(message) -> str:
    part = message.get_body(("plain",)) if hasattr(message, "get_body") else None
    if part is None:
        for p in message.walk():
            if p.get_content_type() == "text/plain":
                part = p
                break
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def _subject(message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def test_a_refusal_shows_and_sends_only_the_guest_text(page, run_worker, smtp_server):
    refund = cancelled_request(days=0, language="ja")                # case B: staff may refuse
    public_id, reservation_id, address = refund.public_id, refund.reservation_id, refund.reservation.guest_email
    end_transaction()
    sign_in(page, "staff")
    page.goto(page.base_url + f"/ops/refunds/{public_id}/decide/refuse")
    assert "내부 메모 (기록에만 남고 고객에게 보내지 않습니다)" in page.inner_text("main")
    page.fill("textarea[name=reason]", INTERNAL)
    page.select_option("select[name=guest_choice]", "stay_used")
    screenshot(page, "refund_refusal_form")
    page.click("main form button[type=submit]")
    page.wait_for_selector("section.guest-message-preview")
    shown_subject = page.inner_text(".guest-message-subject")
    shown_body = page.inner_text(".guest-message-body")
    sentence = READY_SENTENCES["refund_refused"]["stay_used"]["ja"]
    assert "返金" in shown_subject and sentence in shown_body and "様" in shown_body
    assert INTERNAL not in shown_body
    screenshot(page, "refund_refusal_confirm")
    page.click("section.decision form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert fresh_status(public_id) == RefundStatus.REFUSED
    end_transaction()                                   # SQLite: hold no lock while the worker writes
    run_worker(["default"])
    mails = [m for m in smtp_server.messages if address in m["to"] and "確認結果" in _subject(m["message"])]
    assert len(mails) == 1, [(m["to"], _subject(m["message"])) for m in smtp_server.messages]
    [mail] = mails
    sent_body, sent_subject = _body(mail["message"]), _subject(mail["message"])
    assert sentence in sent_body and INTERNAL not in sent_body and INTERNAL not in sent_subject
    assert sent_subject == shown_subject
    assert " ".join(shown_body.split()) == " ".join(sent_body.split())   # what was shown is what was sent
    [row] = outbox("refund_refused", reservation_id)
    assert INTERNAL not in (row.body or "") and INTERNAL not in str(row.context)
    screenshot(page, "refund_refusal_done")


def fresh_status(public_id: str) -> str:
    from sqlalchemy import select

    from app.extensions import db
    from app.refunds.models import Refund

    return db.session.scalar(select(Refund.status).where(Refund.public_id == public_id)
                             .execution_options(populate_existing=True))
