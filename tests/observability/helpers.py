"""Small builders for the observability tests."""
from __future__ import annotations

import uuid
from datetime import date, datetime


def make_statement_line(*, public_id: str, amount: int):
    """A bank statement with one deposit line (rows written directly; the import itself is tested elsewhere)."""
    from app.deposits.models import BankStatement, StatementLine
    from app.extensions import db

    statement = BankStatement(public_id="bst_" + uuid.uuid4().hex[:12], source_format="csv",
                              account="110-123-456789", file_sha256=uuid.uuid4().hex * 2)
    db.session.add(statement)
    db.session.flush()
    line = StatementLine(public_id=public_id, statement_id=statement.id, account="110-123-456789",
                         dedupe_key=f"test-{uuid.uuid4().hex}", booked_on=date.today(), amount=amount,
                         currency="KRW", memo="test", depositor="KIM MINJI")
    db.session.add(line)
    db.session.flush()
    return line


def make_card_payments(good: int, failed: int, at: datetime) -> None:
    """`good` completed and `failed` failed card payments of one booking, created at `at` (flushed)."""
    from app.extensions import db
    from app.payments.models import Payment
    from tests.factories import make_reservation

    reservation = make_reservation()
    for status in ["completed"] * good + ["failed"] * failed:
        db.session.add(Payment(public_id="pay_" + uuid.uuid4().hex[:16], reservation_id=reservation.id,
                               method="card", amount=1000, currency="KRW", status=status, created_at=at,
                               updated_at=at))
    db.session.flush()
