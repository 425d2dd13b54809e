"""The sandbox bank behaves like a real one: scripted outcomes, status inquiries,
idempotency by transfer id, and a record of the money it actually moved."""
import uuid

import pytest

from app.remittance.bank import BankTimeout, get_bank
from app.remittance.sandbox_bank import SandboxBank
from tests.remittance.conftest import GOOD, TAILS


def send(bank, number, transfer_id=None, request_no=1, amount=50_000):
    return bank.send_transfer(transfer_id=transfer_id or f"T{uuid.uuid4().hex}", request_no=request_no,
                              amount=amount, currency="KRW", bank_code="004", account_number=number,
                              account_holder="홍길동")


def test_the_configured_bank_is_the_sandbox(app):
    assert isinstance(get_bank(), SandboxBank)


def test_a_good_account_moves_the_money(bank):
    result = send(bank, GOOD)
    assert result.completed and result.bank_reference.startswith("BNK")
    assert bank.moved(result.transfer_id) == (1, 50_000)
    assert bank.inquire(result.transfer_id) == result


@pytest.mark.parametrize("code", ["INVALID_ACCOUNT", "CLOSED_ACCOUNT", "DORMANT_ACCOUNT", "NAME_MISMATCH",
                                  "LIMIT_EXCEEDED", "BANK_ERROR"])
def test_scripted_refusals_move_nothing(bank, code):
    result = send(bank, "110123" + TAILS[code])
    assert result.status == "failed" and result.failure_type == code and result.bank_reference is None
    assert bank.moved(result.transfer_id) == (0, 0)
    assert bank.inquire(result.transfer_id).failure_type == code


def test_timeout_after_moving_the_money_is_found_by_an_inquiry(bank):
    with pytest.raises(BankTimeout):
        send(bank, "110123" + TAILS["TIMEOUT_MOVED"], transfer_id="T-moved")
    assert bank.inquire("T-moved").completed
    assert bank.moved("T-moved") == (1, 50_000)


def test_timeout_without_moving_leaves_no_trace(bank):
    with pytest.raises(BankTimeout):
        send(bank, "110123" + TAILS["TIMEOUT_LOST"], transfer_id="T-lost")
    assert bank.inquire("T-lost") is None and bank.moved("T-lost") == (0, 0)


def test_the_same_transfer_id_never_moves_money_twice(bank):
    first = send(bank, GOOD, transfer_id="T-twice")
    again = send(bank, GOOD, transfer_id="T-twice", request_no=2)
    assert again == first
    assert bank.moved("T-twice") == (1, 50_000)
    assert bank.requests_received("T-twice") == [(1, "completed"), (2, "duplicate")]


def test_a_flaky_account_fails_n_times_then_succeeds(bank):
    results = [send(bank, "1101230093", transfer_id="T-flaky", request_no=n) for n in range(1, 5)]
    assert [r.status for r in results] == ["failed", "failed", "failed", "completed"]
    assert bank.inquire("T-flaky").request_no == 4
    assert bank.moved("T-flaky") == (1, 50_000)


def test_latency_is_a_setting(app, tmp_path):
    import time

    slow = SandboxBank(tmp_path / "bank.sqlite3", latency_ms=120)
    started = time.perf_counter()
    send(slow, GOOD)
    assert time.perf_counter() - started >= 0.12
