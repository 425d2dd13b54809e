"""Deposit fixtures: bank-transfer bookings and statement files as banks write them."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.core.actor import Actor
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.payments.models import Payment

TEST_ACTOR = Actor.system("test")
ACCOUNT = "110-123-456789"
HEADER = ["거래일시", "적요", "기재내용", "찾으신금액", "맡기신금액", "거래후잔액", "취급점"]


def transfer_booking(room_type=None, **kwargs):
    """A pending bank-transfer booking (Korean guest 김민지 unless told otherwise)."""
    from tests.factories import make_reservation

    kwargs.setdefault("first_name", "민지")
    kwargs.setdefault("last_name", "김")
    return make_reservation(room_type, method="bank_transfer", **kwargs)


def korean_csv(rows, *, opening: int = 1_000_000, encoding: str = "cp949", balances: dict[int, int] | None = None,
               preamble: bool = True, total: bool = True) -> bytes:
    """A Korean bank's export: rows given oldest first as (date, memo, deposit, withdrawal), written
    newest first with a running balance, thousands separators, preamble rows and a total row."""
    balance = opening
    written = []
    for i, (day, memo, deposit, withdrawal) in enumerate(rows):
        balance += deposit - withdrawal
        shown = (balances or {}).get(i, balance)
        written.append([f"{day:%Y.%m.%d} 1{i % 10}:0{i % 10}:00", "인터넷", memo,
                        f"{withdrawal:,}" if withdrawal else "0", f"{deposit:,}" if deposit else "0", f"{shown:,}",
                        "본점"])
    lines = []
    if preamble:
        lines += ["거래내역조회", "계좌번호,110-123-456789", "조회기간,2026.11.01 ~ 2026.11.30", ""]
    lines.append(",".join(HEADER))
    for row in reversed(written):
        lines.append(",".join(f'"{c}"' if "," in c else c for c in row))
    if total:
        lines.append(f',합계,,"{sum(r[3] for r in rows):,}","{sum(r[2] for r in rows):,}",,')
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


MAPPING = {"date": "거래일시", "memo": "기재내용", "deposit": "맡기신금액", "withdrawal": "찾으신금액",
           "balance": "거래후잔액", "depositor": ""}


def payments_of(reservation) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.reservation_id == reservation.id)
                                   .execution_options(populate_existing=True)))


def messages(reservation, event: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.reservation_id == reservation.id, OutboxMessage.event == event, OutboxMessage.channel == "email"))


def fresh(obj):
    from sqlalchemy import inspect

    return db.session.get(type(obj), inspect(obj).identity[0], populate_existing=True)


@pytest.fixture
def import_csv(app):
    """import_csv(raw) → ImportResult (as the statement service would from the preview page)."""
    from app.deposits import services

    def _import(raw: bytes, override_reason: str | None = None, mapping=None, file_name: str = "statement.csv"):
        return services.import_statement(raw, source_format="csv", file_name=file_name, account=ACCOUNT,
                                         bank="국민은행", mapping=mapping or MAPPING, actor=TEST_ACTOR,
                                         override_reason=override_reason)

    return _import


def today() -> date:
    from app.core import clock

    return clock.local_today("Asia/Seoul")
