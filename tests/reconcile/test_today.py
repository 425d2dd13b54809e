"""Today's 🛑 item: open differences past their time limit or of an "immediate" type, and failed runs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.core import clock as app_clock
from app.ops.checklist import collect_today
from app.reconcile import services
from tests.factories import make_operator
from tests.reconcile.conftest import card, file_rows_of, kst, new_day, pay_by_card, store_file


def entry(operator):
    found = [e for entries in collect_today(operator).values() for e in entries
             if e.count is not None and e.count.key == "reconciliation_urgent"]
    return found[0].count if found else None


def test_the_count_is_ghosts_now_and_other_types_once_past_due(app, sandbox):
    day = new_day()
    staff = make_operator("staff")
    paid, short = pay_by_card(day), pay_by_card(day, hour=11)
    stranger = sandbox.charge(idempotency_key="pay_stranger_today", amount=9_000, currency="KRW", card=card())
    rows = file_rows_of([paid, short], day) + [{"record_type": "APPROVAL", "transaction_id": stranger.charge_id,
                                                 "order_id": "pay_stranger_today", "transacted_at": kst(day, 12),
                                                 "amount": 9_000, "fee": 0}]
    rows[1]["amount"] -= 100
    store_file(day, rows)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    assert entry(staff).count == 0 and entry(staff).severity == "ok"

    services.reconcile_day(day, "gateway")
    now = entry(staff)
    assert (now.count, now.severity) == (1, "bad")                  # the ghost: at once
    app_clock.advance(timedelta(hours=4))
    assert entry(staff).count == 2                                  # the amount difference: past its 4 hours


def test_a_failed_run_counts_too(app):
    day = new_day()
    staff = make_operator("staff")
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    with pytest.raises(services.NoSettlementFile):
        services.reconcile_day(day, "gateway")
    found = entry(staff)
    assert found.count == 1 and "failed (1)" in str(found.detail)
