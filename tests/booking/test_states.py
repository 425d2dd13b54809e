"""The reservation transition table, allowed pairs and forbidden pairs alike."""
import itertools

import pytest

from app.booking.states import HOLDS_INVENTORY, TRANSITIONS, ReservationStatus as S, next_state
from app.core.errors import IllegalTransition

ALLOWED = {
    (S.PENDING, S.PAID), (S.PENDING, S.CANCELED),
    (S.PAID, S.CHECKED_IN), (S.PAID, S.CANCELED),
    (S.CHECKED_IN, S.CHECKED_OUT),
    (S.CANCELED, S.REFUNDED),
    (S.CANCELED, S.PAID),  # revival of an expired bank-transfer order (seed 004 §2.1)
    (S.PAID, S.PENDING),   # the bank reversed the deposit while the hold still runs (issue 9)
    (S.REFUNDED, S.CANCELED),  # a refund's payout came back from the bank (issue 9)
}


@pytest.mark.parametrize("current,target", sorted(ALLOWED))
def test_allowed_transitions_follow_the_seed(current, target):
    assert next_state(current, target) == target


@pytest.mark.parametrize("current,target",
                         sorted(set(itertools.product(list(S), list(S))) - ALLOWED))
def test_every_other_transition_is_refused(current, target):
    with pytest.raises(IllegalTransition):
        next_state(current, target)


def test_table_has_every_status_and_only_the_allowed_pairs():
    assert set(TRANSITIONS) == set(S)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


def test_only_pending_paid_and_checked_in_hold_rooms():
    assert HOLDS_INVENTORY == {S.PENDING, S.PAID, S.CHECKED_IN}
