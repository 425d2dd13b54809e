"""Two managers approving the same request at the same moment, for real: two web clients
of a second app (own connection pool), released together, committing. The request row
lock decides: one approval, one refund at the gateway, one ledger row."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.approvals import services
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.core.actor import Actor
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.payments.gateway import get_gateway
from app.refunds.models import Refund
from app.refunds.states import RefundStatus
from tests.approvals.conftest import audits, big_refund
from tests.concurrency import at_once, second_app
from tests.factories import DEFAULT_PASSWORD, make_operator

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def race_app(app):
    from tests.conftest import CSRFClient

    with second_app(app, test_client_class=CSRFClient, pool_size=4, max_overflow=0, pool_timeout=60) as other:
        yield other


def test_two_managers_approving_at_once_move_the_money_once(race_app, run_worker):
    refund = big_refund()
    refund_id, reservation_id, charge = refund.id, refund.reservation_id, refund.payment.gateway_charge_id
    asker = make_operator("staff")
    managers = [make_operator("manager") for _ in range(2)]
    emails, manager_ids = [m.email for m in managers], {m.id for m in managers}
    db.session.commit()
    req = services.request_approval("refund_approval", subject_id=refund_id, amount=refund.amount, currency="KRW",
                                    reason="policy", actor=Actor.operator(asker), reservation_id=reservation_id,
                                    subject_public_id=refund.public_id)
    url = f"/ops/approvals/{req.public_id}/approve"

    def sign_in(i):
        client = race_app.test_client()
        assert client.post("/auth/login", data={"email": emails[i], "password": DEFAULT_PASSWORD}).status_code == 302
        return client

    results = at_once(race_app, 2, lambda i, client: client.post(url, data={"note": "", "confirmed": "yes"}),
                      ready=sign_in)
    assert all(getattr(r, "status_code", None) == 302 for r in results), results
    run_worker(queues=("high",))
    assert db.session.get(Refund, refund_id, populate_existing=True).status == RefundStatus.COMPLETED
    assert get_gateway().refunded_total(charge) == 2_000_000
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.reservation_id == reservation_id, LedgerEntry.kind == EntryKind.CARD_REFUND)) == 1
    decided = db.session.get(ApprovalRequest, req.id, populate_existing=True)
    assert decided.status == ApprovalStatus.APPROVED and decided.decided_by_id in manager_ids
    assert len(audits("approval.approved")) == 1 and len(audits("approval.approve_refused")) == 1
