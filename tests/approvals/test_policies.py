"""The four-eyes rule as a table: threshold boundary, who may act alone, who may approve."""
from __future__ import annotations

import pytest

from app.approvals.policies import KINDS, may_act_alone, may_approve, needs_second_person


@pytest.mark.parametrize("amount, two", [(0, False), (999_999, False), (1_000_000, True), (2_600_000, True),
                                         (-1_000_000, True), (-999_999, False)])
def test_the_threshold_is_inclusive(amount, two):
    assert needs_second_person(amount, 1_000_000) is two


@pytest.mark.parametrize("amount, role, manager_decision, alone", [
    (999_999, "staff", False, True),
    (999_999, "staff", True, False),       # case C / another amount: a manager's call
    (999_999, "manager", True, True),
    (999_999, "admin", True, True),
    (1_000_000, "staff", False, False),
    (1_000_000, "manager", False, False),  # at the threshold a second person, whoever asks
    (1_000_000, "admin", True, False),
    (500, "", False, True),
])
def test_who_may_act_alone(amount, role, manager_decision, alone):
    assert may_act_alone(amount, 1_000_000, role=role, manager_decision=manager_decision) is alone


@pytest.mark.parametrize("approver_id, role, ok", [(2, "manager", True), (2, "admin", True), (2, "staff", False),
                                                   (1, "manager", False), (None, "manager", False)])
def test_who_may_approve(approver_id, role, ok):
    for kind in KINDS:
        assert may_approve(approver_id=approver_id, approver_role=role, requester_id=1, kind=kind) is ok


def test_every_kind_names_an_executor_that_exists():
    import importlib

    assert set(KINDS) == {"refund_approval", "refund_our_fault", "refund_account", "payout_account", "write_off",
                          "mark_paid", "fund_top_up"}
    for kind in KINDS.values():
        module, _, name = kind.executor.partition(":")
        assert callable(getattr(importlib.import_module(module), name))


def test_the_threshold_is_a_setting(app):
    assert app.config["FOUR_EYES_ABOVE"] == 1_000_000
