"""Writers at the same moment still make one chain: real threads, own connections, real commits."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auditlog import chain
from app.core import audit
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.db import run_in_transaction
from app.extensions import db
from tests.concurrency import at_once, second_app

pytestmark = pytest.mark.committing

THREADS = 8
ROUNDS = 6


def test_concurrent_transactions_extend_one_unbroken_chain(app):
    def write(i: int) -> int:
        for r in range(ROUNDS):
            def work() -> None:
                audit.record("test.concurrent", entity_type="test", entity_id=f"t{i}-{r}", actor=Actor.system("t"))
                db.session.flush()
                audit.record_many([{"actor_kind": "system", "actor_name": "t", "action": "test.concurrent",
                                    "entity_type": "test", "entity_id": f"t{i}-{r}-{k}"} for k in range(2)])
            run_in_transaction(work, retries=3)
        return i

    with second_app(app, pool_size=THREADS, max_overflow=0, pool_timeout=60) as other:
        results = at_once(other, THREADS, write, wait=60, join=300)
    assert results == list(range(THREADS)), results
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == THREADS * ROUNDS * 3
    report = chain.verify_chain(batch_size=7)
    assert report.intact, [chain.describe(p) for p in report.problems]
    assert report.row_count == THREADS * ROUNDS * 3
