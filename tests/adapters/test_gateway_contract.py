"""The card gateway contract (app.payments.gateway.PaymentGateway), run against every
gateway that ships: an idempotency key charges and refunds once; a timeout is followed by
a question that tells the truth; a refund of more than was charged is refused. Faults are
made with the sandbox's per-call script (`next_call`) and its refund test card."""
from __future__ import annotations

import uuid

import pytest

from app.payments import sandbox
from app.payments.gateway import CardDetails, GatewayTimeout, GatewayUnavailable, get_gateway

GOOD, REFUSES_REFUNDS = "4242424242424242", "4000000000005159"


@pytest.fixture(params=["sandbox", "app.payments.sandbox:SandboxGateway"])
def gateway(request, settings):
    settings(PAYMENT_GATEWAY=request.param)
    return get_gateway()


@pytest.fixture
def next_call():
    """next_call(operation, *outcomes): what the gateway's next calls of `operation` do."""
    return lambda operation, *outcomes: sandbox.script(list(outcomes), operation)


def key():
    return uuid.uuid4().hex


def charge(gateway, idem=None, amount=120_000, number=GOOD):
    return gateway.charge(idempotency_key=idem or key(), amount=amount, currency="KRW",
                          card=CardDetails(number, 12, 2040, "123", "Minji Kim"), description="test")


def refund(gateway, charge_id, idem=None, amount=20_000, currency="KRW"):
    return gateway.refund(idempotency_key=idem or key(), charge_id=charge_id, amount=amount, currency=currency)


def test_a_key_charges_once_and_answers_the_same_twice(gateway):
    idem = key()
    first, again = charge(gateway, idem), charge(gateway, idem)
    assert first.succeeded and again.charge_id == first.charge_id and gateway.charges_for(idem) == 1
    assert gateway.retrieve(idem).charge_id == first.charge_id
    assert gateway.retrieve(key()) is None


def test_a_charge_timing_out_after_it_went_through_is_found_by_retrieve(gateway, next_call):
    idem = key()
    next_call("charge", "timeout_after")
    with pytest.raises(GatewayTimeout):
        charge(gateway, idem)
    assert gateway.retrieve(idem).succeeded
    assert charge(gateway, idem).succeeded and gateway.charges_for(idem) == 1


def test_a_charge_that_never_arrived_is_unknown_to_the_gateway(gateway, next_call):
    idem = key()
    next_call("charge", "timeout_before", "unavailable")
    with pytest.raises(GatewayTimeout):
        charge(gateway, idem)
    with pytest.raises(GatewayUnavailable):
        charge(gateway, idem)
    assert gateway.retrieve(idem) is None and gateway.charges_for(idem) == 0


@pytest.mark.parametrize("code, status", [("card_declined", "declined"), ("insufficient_funds", "declined"),
                                          ("expired_card", "declined"), ("processing_error", "failed")])
def test_a_refused_charge_takes_nothing(gateway, next_call, code, status):
    idem = key()
    next_call("charge", f"refuse:{code}")
    result = charge(gateway, idem)
    assert (result.status, result.failure_code) == (status, code) and result.failure_message
    assert gateway.charges_for(idem) == 0


def test_a_refund_key_refunds_once(gateway):
    paid = charge(gateway)
    idem = key()
    first, again = refund(gateway, paid.charge_id, idem), refund(gateway, paid.charge_id, idem)
    assert first.status == "succeeded" and again.refund_id == first.refund_id
    assert gateway.refund_status(idem).refund_id == first.refund_id
    assert gateway.refunded_total(paid.charge_id) == 20_000
    assert gateway.refund_status(key()) is None


def test_a_refund_of_more_than_was_charged_is_refused(gateway):
    paid = charge(gateway, amount=50_000)
    assert refund(gateway, paid.charge_id, amount=30_000).status == "succeeded"
    refused = refund(gateway, paid.charge_id, amount=30_000)
    assert (refused.status, refused.failure_code) == ("failed", "amount_too_large") and refused.failure_message
    assert refund(gateway, paid.charge_id, amount=20_000, currency="USD").failure_code == "amount_too_large"
    assert gateway.refunded_total(paid.charge_id) == 30_000


def test_a_refund_timing_out_after_it_went_through_is_told_by_refund_status(gateway, next_call):
    paid, idem = charge(gateway), key()
    next_call("refund", "timeout_after")
    with pytest.raises(GatewayTimeout):
        refund(gateway, paid.charge_id, idem)
    assert gateway.refund_status(idem).status == "succeeded"
    assert refund(gateway, paid.charge_id, idem).status == "succeeded"   # sent again: refunded once
    assert gateway.refunded_total(paid.charge_id) == 20_000
    assert gateway.refund_requests_for(idem) == ["answer_lost", "answered"]


def test_a_refund_that_never_arrived_may_be_sent_again(gateway, next_call):
    paid, idem = charge(gateway), key()
    next_call("refund", "timeout_before", "unavailable")
    with pytest.raises(GatewayTimeout):
        refund(gateway, paid.charge_id, idem)
    with pytest.raises(GatewayUnavailable):
        refund(gateway, paid.charge_id, idem)
    assert gateway.refund_status(idem) is None and gateway.refunded_total(paid.charge_id) == 0
    assert refund(gateway, paid.charge_id, idem).status == "succeeded"


def test_refused_refunds_give_nothing_back_scripted_or_by_card(gateway, next_call):
    paid, idem = charge(gateway), key()
    next_call("refund", "refuse")
    refused = refund(gateway, paid.charge_id, idem)
    assert (refused.status, refused.failure_code) == ("failed", "refund_declined")
    assert refused.failure_message == "The card company declined the refund."
    assert gateway.refund_status(idem).failure_code == "refund_declined"
    by_card = charge(gateway, number=REFUSES_REFUNDS)
    assert by_card.succeeded and refund(gateway, by_card.charge_id).failure_code == "refund_declined"
    assert gateway.refunded_total(paid.charge_id) == gateway.refunded_total(by_card.charge_id) == 0


def test_questions_can_time_out_or_miss_but_never_deny_money_that_moved(gateway, next_call):
    paid, idem = charge(gateway), key()
    refund(gateway, paid.charge_id, idem)
    next_call("refund_status", "unknown", "not_found", "failed", "unavailable", "done")
    with pytest.raises(GatewayTimeout):
        gateway.refund_status(idem)
    assert gateway.refund_status(idem) is None
    assert gateway.refund_status(idem).status == "succeeded"      # "failed", but the money went back
    with pytest.raises(GatewayUnavailable):
        gateway.refund_status(idem)
    assert gateway.refund_status(idem).status == "succeeded"


def test_retrieve_may_report_a_failure_of_a_charge_that_took_nothing(gateway, next_call):
    paid, missing = key(), key()
    charge(gateway, paid)
    next_call("retrieve", "failed:processing_error", "failed", "unknown")
    answer = gateway.retrieve(missing)
    assert (answer.status, answer.failure_code, answer.charge_id) == ("failed", "processing_error", None)
    assert gateway.retrieve(paid).succeeded                         # "failed", but the money was taken
    with pytest.raises(GatewayTimeout):
        gateway.retrieve(paid)
    assert gateway.retrieve(missing) is None                       # script used up: the truth
