"""Two audiences, two texts (DESIGN invariant 13) on the refund refusal: the internal note
stays in the history; the guest reads only the chosen or written guest text, in their
language; the confirm page shows the exact email before anything is sent."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.notifications.guest_text import READY_SENTENCES, guest_text, preview
from app.refunds import decisions
from app.refunds.states import RefundStatus
from tests.refunds.conftest import fresh, outbox

INTERNAL = "고객이 전화로 욕설함 — 블랙리스트 검토"


def url(refund, choice):
    return f"/ops/refunds/{refund.public_id}/decide/{choice}"


def _page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _sent(rows, run_worker):
    """The rows as the outbox sent them (subject and body are written at send time)."""
    from app.notifications.models import OutboxMessage

    ids = [row.id for row in rows]
    run_worker(["default"])
    return [db.session.get(OutboxMessage, i, populate_existing=True) for i in ids]


def _assert_never_leaks(rows, *secrets):
    for row in rows:
        for secret in secrets:
            assert secret not in (row.subject or "") and secret not in (row.body or "")
            assert secret not in str(row.context)


@pytest.mark.parametrize("language", ["ko", "ja", "en"])
def test_a_ready_sentence_reaches_the_guest_in_their_language_and_the_note_never(
        client, login_as, refund_request, run_worker, language):
    login_as("staff")
    refund = refund_request(days=0, language=language)                 # case B: staff may refuse
    data = {"reason": INTERNAL, "guest_choice": "stay_used"}
    confirm = client.post(url(refund, "refuse"), data=data)
    assert confirm.status_code == 200 and fresh(refund).status == RefundStatus.REQUESTED
    assert not outbox("refund_refused", refund.reservation_id)         # nothing sent before confirming
    expected = preview("refund_refused", reservation=refund.reservation,
                       context={"guest_text": READY_SENTENCES["refund_refused"]["stay_used"][language]})
    page = _page_text(confirm)
    assert expected.subject in page and expected.body.strip() in page  # the exact email, shown first
    assert READY_SENTENCES["refund_refused"]["stay_used"][language] in expected.body
    assert INTERNAL not in expected.body

    done = client.post(url(refund, "refuse"), data={**data, "confirmed": "yes"})
    assert done.status_code == 302 and fresh(refund).status == RefundStatus.REFUSED
    [sent] = _sent(outbox("refund_refused", refund.reservation_id), run_worker)
    assert sent.status == "sent" and sent.language == language
    assert (sent.subject, sent.body) == (expected.subject, expected.body)   # what was shown is what was sent
    _assert_never_leaks([sent], INTERNAL)
    refused = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "refund.refused"))
    assert refused.reason == INTERNAL                                   # the note is kept in the history


def test_a_written_guest_text_is_sent_as_written(client, login_as, refund_request, run_worker):
    login_as("staff")
    refund = refund_request(days=0, language="ja")
    written = "ご宿泊当日のキャンセルのため、規定によりご返金できません。"
    data = {"reason": INTERNAL, "guest_choice": "custom", "guest_written": written}
    confirm = _page_text(client.post(url(refund, "refuse"), data=data))
    assert written in confirm and "理由：" + written in confirm
    client.post(url(refund, "refuse"), data={**data, "confirmed": "yes"})
    [sent] = _sent(outbox("refund_refused", refund.reservation_id), run_worker)
    assert written in sent.body
    _assert_never_leaks([sent], INTERNAL)


def test_no_guest_text_means_no_reason_at_all(client, login_as, refund_request, run_worker):
    login_as("staff")
    refund = refund_request(days=0, language="ko")
    data = {"reason": INTERNAL, "guest_choice": "none", "confirmed": "yes"}
    assert client.post(url(refund, "refuse"), data=data).status_code == 302
    [sent] = _sent(outbox("refund_refused", refund.reservation_id), run_worker)
    assert "사유" not in sent.body and "환불해 드리기 어렵습니다" in sent.body
    _assert_never_leaks([sent], INTERNAL)


def test_custom_without_text_is_refused_and_changes_nothing(client, login_as, refund_request):
    login_as("staff")
    refund = refund_request(days=0)
    response = client.post(url(refund, "refuse"),
                           data={"reason": INTERNAL, "guest_choice": "custom", "guest_written": "  ",
                                 "confirmed": "yes"})
    assert response.status_code == 422 and "준비된 문장" in response.get_data(as_text=True)
    assert fresh(refund).status == RefundStatus.REQUESTED and not outbox("refund_refused")


@pytest.mark.parametrize("choice", ["nope", "<script>", "\x00"])
def test_a_crafted_guest_choice_is_a_clear_error(client, login_as, refund_request, choice):
    login_as("staff")
    refund = refund_request(days=0)
    response = client.post(url(refund, "refuse"), data={"guest_choice": choice, "confirmed": "yes"})
    assert response.status_code in (400, 422)
    assert fresh(refund).status == RefundStatus.REQUESTED and not outbox("refund_refused")


def test_the_form_labels_the_two_audiences_in_korean(client, login_as, refund_request):
    login_as("staff")
    refund = refund_request(days=0)
    page = client.get(url(refund, "refuse")).get_data(as_text=True)
    assert "내부 메모 (기록에만 남고 고객에게 보내지 않습니다)" in page
    assert "고객에게 보낼 사유" in page and 'name="guest_choice"' in page and 'name="guest_written"' in page


def test_the_service_never_puts_the_note_in_the_message(refund_request):
    from app.core.actor import Actor
    from tests.factories import make_operator

    manager = Actor.operator(make_operator("manager"))
    refund = refund_request(days=10, language="en")                    # case A: a manager refuses, with a note
    decisions.refuse_refund(refund.id, actor=manager, may_override=True, reason=INTERNAL)
    [message] = outbox("refund_refused", refund.reservation_id)
    assert message.context == {"guest_text": ""}


def test_every_ready_sentence_exists_in_every_guest_language():
    for kind, table in READY_SENTENCES.items():
        for key, sentences in table.items():
            assert set(sentences) == {"ko", "ja", "en"}, (kind, key)
            assert all(text.strip() for text in sentences.values())
            assert guest_text(kind, key, None, "xx") == sentences["en"]   # unknown language → English
    assert guest_text("refund_refused", "none", "ignored", "ko") == ""
    assert guest_text("refund_refused", "custom", "  hi  ", "ko") == "hi"
