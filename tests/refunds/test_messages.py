"""What the guest is told about a refund: the approval promises no time the system cannot keep
and says a second message follows; "refund sent" goes out once per movement of money, when
the money has actually left (gateway success, payout completed), in Korean, Japanese or English."""
from __future__ import annotations

import pytest

from app.core.actor import Actor
from app.notifications.models import OutboxMessage
from app.notifications.rendering import message_context, render
from app.refunds import card, decisions
from app.refunds.states import RefundStatus
from app.remittance import decisions as payout_decisions
from app.remittance import fund as fund_service
from app.remittance import tokens
from app.remittance.policies import BankAccount
from tests.factories import make_operator, make_reservation
from tests.refunds.conftest import fresh, outbox

pytestmark = pytest.mark.usefixtures("app")

#: What "a second message follows" reads like in each language, and words that would promise a time.
SECOND_MESSAGE = {"ko": "한 번 더 알려 드리겠습니다", "ja": "あらためてメールでお知らせいたします",
                  "en": "send you a second message as soon as the money has left us"}
PROMISES = ("minute", "분 안에", "1분", "分以内", "within")


def rendered(event: str, language: str, context: dict, method: str = "card"):
    reservation = make_reservation(method=method, language=language)
    message = OutboxMessage(event=event, channel="email", recipient="guest@example.com", language=language,
                            reservation_id=reservation.id, dedupe_key=f"{event}:email:{language}:test",
                            context=context, status="pending", attempts=0)
    message.reservation = reservation
    return render(event, language, "email", message_context(message))


@pytest.mark.parametrize("language", ["ko", "ja", "en"])
@pytest.mark.parametrize("method", ["card", "bank_transfer"])
def test_the_approval_says_a_second_message_follows_and_promises_no_time(language, method):
    text = rendered("refund_approved", language, {"amount": 120000, "currency": "KRW", "method": method},
                    method=method)
    body = text.subject + text.body
    assert SECOND_MESSAGE[language] in body
    assert not any(word in body for word in PROMISES), body


@pytest.mark.parametrize("language, sent, card_text", [
    ("ko", "환불금을 보내 드렸습니다", "카드 끝자리 4242"),
    ("ja", "ご返金をお送りしました", "カード末尾 4242"),
    ("en", "has been sent", "card ending in 4242"),
])
def test_refund_sent_renders_for_a_card_in_every_language(language, sent, card_text):
    text = rendered("refund_sent", language, {"amount": 120000, "currency": "KRW", "method": "card",
                                              "card_last4": "4242"})
    assert sent in text.subject + text.body and card_text in text.body
    assert "120,000" in text.body
    assert "None" not in text.body and "{{" not in text.body


@pytest.mark.parametrize("language, account_line", [
    ("ko", "받으실 계좌: 국민은행 ***-***-4567 (홍길동)"),
    ("ja", "お振込先：KB Kookmin Bank ***-***-4567 (홍길동)"),
    ("en", "Account: KB Kookmin Bank ***-***-4567 (홍길동)"),
])
def test_refund_sent_renders_for_a_bank_transfer_in_every_language(language, account_line):
    label = BankAccount("004", "1101234567", "홍길동").label("ko" if language == "ko" else "en")
    text = rendered("refund_sent", language, {"amount": 120000, "currency": "KRW", "method": "bank_transfer",
                                              "account": label}, method="bank_transfer")
    assert account_line in text.body and "1101234567" not in text.body
    assert "120,000" in text.body and "None" not in text.body


def test_a_card_refund_is_announced_once_when_the_gateway_confirms_it(refund_request, run_worker):
    refund = refund_request(days=10, language="ja")
    decisions.approve_refund(refund.id, actor=Actor.operator(make_operator("staff")), may_override=False)
    assert not outbox("refund_sent", refund.reservation_id)          # approved is not sent
    run_worker(queues=("high",))
    refund = fresh(refund)
    assert card.run_card_refund(refund.id) == "nothing"               # the job again: nothing new
    assert refund.status == RefundStatus.COMPLETED
    [message] = outbox("refund_sent", refund.reservation_id)
    assert message.language == "ja" and message.context == {
        "amount": refund.amount, "currency": "KRW", "method": "card", "card_last4": "4242"}
    body = render("refund_sent", "ja", "email", message_context(message)).body
    assert "ご返金をお送りしました" in body


def test_a_bank_refund_is_announced_once_when_its_payout_completes(refund_request, run_worker):
    fund_service.top_up_fund(10_000_000, "test top-up", key=fund_service.new_top_up_key(), actor=Actor.system("test"))
    refund = refund_request(method="bank_transfer", days=10)
    decisions.approve_refund(refund.id, actor=Actor.operator(make_operator("staff")), may_override=False)
    token = tokens.make_token(tokens.REFUND, refund.public_id)
    payout = payout_decisions.submit_account(token, BankAccount("004", "1101234567", "홍길동"))
    assert not outbox("refund_sent", refund.reservation_id)           # nothing has left yet
    rid = refund.reservation_id
    run_worker(queues=("high",))
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED
    [message] = outbox("refund_sent", rid)
    assert message.context["method"] == "bank_transfer"
    assert message.context["account"] == "국민은행 ***-***-4567 (홍길동)"
    assert message.dedupe_key.endswith(f"{refund.public_id}:{fresh(payout).public_id}")
