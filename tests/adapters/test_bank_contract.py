"""The bank contract (app.remittance.bank.Bank), run against every bank that ships: by
transfer id money moves once; a timeout is followed by an inquiry that tells the truth;
a refused request moves nothing and may be tried again. Faults are made with the
sandbox's per-call script (the `next_call` fixture)."""
from __future__ import annotations

import uuid

import pytest
from flask import current_app

from app.remittance import sandbox_bank
from app.remittance.bank import BankTimeout, BankUnavailable, get_bank
from app.remittance.policies import FAILURE_TYPES
from app.remittance.sandbox_bank import SandboxBank

GOOD = "1101234567"


@pytest.fixture(params=["sandbox", "app.remittance.sandbox_bank:SandboxBank"])
def bank(request, settings):
    settings(BANK_ADAPTER=request.param)
    return get_bank()


@pytest.fixture
def next_call():
    """next_call(operation, *outcomes): what the bank's next calls of `operation` do."""
    return lambda operation, *outcomes: sandbox_bank.script(list(outcomes), operation)


def moved(transfer_id):
    """(movements, amount) the bank really made for a transfer id."""
    return SandboxBank.from_config(current_app.config).moved(transfer_id)


def send(bank, transfer_id, request_no=1, amount=50_000):
    return bank.send_transfer(transfer_id=transfer_id, request_no=request_no, amount=amount, currency="KRW",
                              bank_code="004", account_number=GOOD, account_holder="홍길동")


def tid():
    return f"T{uuid.uuid4().hex}"


def test_a_transfer_id_moves_money_once_and_answers_the_same_twice(bank):
    transfer_id = tid()
    first = send(bank, transfer_id)
    again = send(bank, transfer_id, request_no=2)
    assert first.completed and again.completed and again.bank_reference == first.bank_reference
    assert bank.inquire(transfer_id).bank_reference == first.bank_reference
    assert moved(transfer_id) == (1, 50_000)


def test_an_unknown_transfer_id_was_never_received(bank):
    assert bank.inquire(tid()) is None


def test_timeout_after_the_money_moved_is_told_by_the_inquiry_and_never_moves_twice(bank, next_call):
    transfer_id = tid()
    next_call("transfer", "timeout_after")
    with pytest.raises(BankTimeout):
        send(bank, transfer_id)
    status = bank.inquire(transfer_id)
    assert status.completed and status.request_no == 1
    assert send(bank, transfer_id, request_no=2).bank_reference == status.bank_reference
    assert moved(transfer_id) == (1, 50_000)


def test_timeout_before_arriving_leaves_no_trace_and_may_be_sent_again(bank, next_call):
    transfer_id = tid()
    next_call("transfer", "timeout_before")
    with pytest.raises(BankTimeout):
        send(bank, transfer_id)
    assert bank.inquire(transfer_id) is None and moved(transfer_id) == (0, 0)
    assert send(bank, transfer_id, request_no=2).completed
    assert moved(transfer_id) == (1, 50_000)


def test_a_refused_connection_received_nothing(bank, next_call):
    transfer_id = tid()
    next_call("transfer", "unavailable")
    with pytest.raises(BankUnavailable):
        send(bank, transfer_id)
    assert bank.inquire(transfer_id) is None


@pytest.mark.parametrize("code", sorted(FAILURE_TYPES))
def test_a_refusal_moves_nothing_and_the_transfer_may_be_tried_again(bank, next_call, code):
    transfer_id = tid()
    next_call("transfer", f"refuse:{code}")
    refused = send(bank, transfer_id)
    assert (refused.status, refused.failure_type, refused.bank_reference) == ("failed", code, None)
    assert refused.message
    assert bank.inquire(transfer_id).failure_type == code and moved(transfer_id) == (0, 0)
    assert send(bank, transfer_id, request_no=2).completed        # the script is used up: usual rules
    assert moved(transfer_id) == (1, 50_000)


def test_inquiries_can_time_out_or_miss_but_never_deny_money_that_moved(bank, next_call):
    transfer_id = tid()
    send(bank, transfer_id)
    next_call("inquire", "unknown", "not_found", "failed:BANK_ERROR", "unavailable", "done")
    with pytest.raises(BankTimeout):
        bank.inquire(transfer_id)
    assert bank.inquire(transfer_id) is None
    assert bank.inquire(transfer_id).completed                    # "failed", but the money moved
    with pytest.raises(BankUnavailable):
        bank.inquire(transfer_id)
    assert bank.inquire(transfer_id).completed


def test_an_inquiry_may_report_a_failure_of_a_transfer_that_did_not_move(bank, next_call):
    transfer_id = tid()
    next_call("transfer", "timeout_before")
    next_call("inquire", "failed:LIMIT_EXCEEDED")
    with pytest.raises(BankTimeout):
        send(bank, transfer_id)
    status = bank.inquire(transfer_id)
    assert status.status == "failed" and status.failure_type == "LIMIT_EXCEEDED" and moved(transfer_id) == (0, 0)
