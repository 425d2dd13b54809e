"""The sandboxes' per-call scripts: kept in Redis (shared by every process), one outcome per
call, set from Python, from `flask sandbox` or from a setting for demos."""
from __future__ import annotations

import pytest

from app.core.sandbox_script import ScriptError
from app.payments import sandbox
from app.remittance import sandbox_bank
from app.remittance.bank import BankTimeout, get_bank
from tests.adapters.test_bank_contract import send, tid


def test_a_script_lives_in_redis_and_is_used_one_outcome_per_call(redis):
    sandbox_bank.script(["timeout_after", "accept"])
    assert redis.lrange("frontdesk:sandbox-script:bank:transfer", 0, -1) == [b"timeout_after", b"accept"]
    bank, transfer_id = get_bank(), tid()
    with pytest.raises(BankTimeout):
        send(bank, transfer_id)
    assert sandbox_bank.SCRIPT.pending() == {"transfer": ["accept"]}
    assert send(bank, transfer_id, request_no=2).completed
    assert sandbox_bank.SCRIPT.pending() == {}


def test_setting_a_script_replaces_it_append_extends_it_and_clear_forgets_all(redis):
    sandbox.script(["refuse:card_declined"])
    sandbox.script(["timeout_before"], "charge")
    sandbox.script(["accept"], "charge", append=True)
    sandbox.script(["unknown"], "refund_status")
    assert sandbox.SCRIPT.pending() == {"charge": ["timeout_before", "accept"], "refund_status": ["unknown"]}
    sandbox.clear_script()
    assert sandbox.SCRIPT.pending() == {}


@pytest.mark.parametrize("outcomes, operation, words", [
    (["accept", "explode"], "transfer", "'explode' is not an outcome of the sandbox bank's transfer"),
    (["refuse:STOLEN"], "transfer", "'STOLEN' is not a code the sandbox bank knows for transfer"),
    (["done"], "transfer", "'done' is not an outcome of the sandbox bank's transfer"),
    (["timeout_after:BANK_ERROR"], "transfer", "'timeout_after' takes no code"),
    (["accept"], "wire", "the sandbox bank has no operation 'wire'"),
])
def test_a_bad_script_is_refused_and_changes_nothing(outcomes, operation, words):
    sandbox_bank.script(["accept"], "transfer")
    with pytest.raises(ScriptError, match=words):
        sandbox_bank.script(outcomes, operation)
    assert sandbox_bank.SCRIPT.pending() == {"transfer": ["accept"]}


def test_a_step_written_to_redis_by_hand_that_makes_no_sense_is_skipped(redis):
    redis.rpush("frontdesk:sandbox-script:bank:transfer", "explode")
    assert send(get_bank(), tid()).completed                       # usual rules, said in the log


def test_the_demo_setting_is_copied_into_redis_once(settings):
    settings(SANDBOX_BANK_SCRIPT="timeout_after, accept; inquire=unknown")
    bank, transfer_id = get_bank(), tid()
    with pytest.raises(BankTimeout):
        send(bank, transfer_id)                                    # the first call copies the setting
    assert sandbox_bank.SCRIPT.pending() == {"transfer": ["accept"], "inquire": ["unknown"]}
    with pytest.raises(BankTimeout):
        bank.inquire(transfer_id)
    assert send(bank, transfer_id, request_no=2).completed
    assert send(bank, tid()).completed                             # used up: not copied again
    assert sandbox_bank.SCRIPT.pending() == {}


def test_the_cli_scripts_shows_and_clears(runner):
    result = runner.invoke(args=["sandbox", "script", "bank", "timeout_after", "accept"])
    assert result.exit_code == 0, result.output
    assert "The sandbox bank's next transfer calls: timeout_after, accept; then its usual rules." in result.output
    result = runner.invoke(args=["sandbox", "script", "gateway", "-o", "refund", "refuse:refund_declined"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(args=["sandbox", "show"]).output
    assert "bank transfer: timeout_after, accept" in shown and "gateway refund: refuse:refund_declined" in shown
    result = runner.invoke(args=["sandbox", "script", "gateway", "-o", "refund", "vanish"])
    assert result.exit_code == 1 and "Nothing was scripted: 'vanish' is not an outcome" in result.output
    assert runner.invoke(args=["sandbox", "clear", "bank"]).exit_code == 0
    assert sandbox_bank.SCRIPT.pending() == {} and sandbox.SCRIPT.pending() == {"refund": ["refuse:refund_declined"]}
    runner.invoke(args=["sandbox", "clear"])
    assert "gateway: nothing scripted" in runner.invoke(args=["sandbox", "show"]).output
