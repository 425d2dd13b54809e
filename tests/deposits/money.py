"""Helpers for the every-direction tests: bookings with the codes and amounts of the files in
tests/deposits/files/, a refund paid out through the sandbox bank, and reading what the ledger,
the outbox and the statement lines hold afterwards."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.core.actor import Actor
from app.deposits import services
from app.deposits.models import BankStatement, StatementLine
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry
from app.notifications.models import OutboxMessage
from app.payments.models import Payment
from tests.deposits.conftest import transfer_booking
from tests.factories import make_room_type

FILES = Path(__file__).resolve().parent / "files"
TEST_ACTOR = Actor.system("test")
SEOUL = ZoneInfo("Asia/Seoul")
#: The transfer ids written in the files; each test puts its own payouts' ids in their place.
MT940_PAYOUT = "FDT4F2A9C0B1D2E3F4A5B6C"
CAMT_PAYOUT = "FDT9A8B7C6D5E4F3A2B1C0D"
CAMT_RETURN = "FDT1234567890ABCDEF1234"


def seoul(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SEOUL)


def read(name: str, **replace: str) -> bytes:
    """A file of tests/deposits/files/, with `old=new` text replaced (e.g. our payouts' transfer ids)."""
    raw = (FILES / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def booking(code: str, amount: int, *, first: str = "민지", last: str = "김"):
    """A pending bank-transfer booking with this code and amount (as the files name them)."""
    r = transfer_booking(make_room_type(rooms=3), first_name=first, last_name=last)
    r.code, r.total_amount = code, amount
    db.session.flush()
    return r


def refunded_by_payout(amount: int, *, code: str | None = None):
    """A booking paid by bank transfer, canceled at the guest's request, its refund approved and paid
    out through the sandbox bank: (reservation, refund, payout), the payout completed."""
    from app.booking.services import cancel_reservation
    from app.payments.services import record_completed_payment
    from app.refunds.decisions import approve_refund
    from app.remittance import fund
    from app.remittance.services import open_payout_for_refund, run_payout_attempt
    from tests.remittance.conftest import account

    fund.top_up_fund(100_000_000, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    r = transfer_booking(make_room_type(rooms=3), first_name="영희", last_name="이")
    if code:
        r.code = code
    r.total_amount = amount
    db.session.flush()
    record_completed_payment(r, method="bank_transfer", amount=amount, actor=TEST_ACTOR, reference=r.code)
    refund = cancel_reservation(r.id, actor=TEST_ACTOR, reason="Plans changed").refund
    approve_refund(refund.id, actor=TEST_ACTOR, may_override=False, account=account())
    payout = open_payout_for_refund(refund.id)
    assert run_payout_attempt(payout.id, 1) == "completed"
    return fresh(r), fresh(refund), fresh(payout)


def import_file(raw: bytes, fmt: str, *, account: str = "", file_name: str = "statement"):
    return services.import_statement(raw, source_format=fmt, file_name=file_name, account=account,
                                     actor=TEST_ACTOR)


def fresh(obj):
    from sqlalchemy import inspect

    return db.session.get(type(obj), inspect(obj).identity[0], populate_existing=True)


def line(amount: int, nth: int = 0, **where) -> StatementLine:
    rows = db.session.scalars(select(StatementLine).where(StatementLine.amount == amount, *(
        getattr(StatementLine, k) == v for k, v in where.items())).order_by(StatementLine.id)
        .execution_options(populate_existing=True)).all()
    return rows[nth]


def entries(reservation) -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in ledger.entries_of(reservation.id)]


def outbox(reservation, event: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.reservation_id == reservation.id, OutboxMessage.event == event,
        OutboxMessage.channel == "email"))


def payments(reservation) -> list[tuple[int, str]]:
    return [(p.amount, p.status) for p in db.session.scalars(
        select(Payment).where(Payment.reservation_id == reservation.id).order_by(Payment.id)
        .execution_options(populate_existing=True))]


def table_counts() -> dict[str, int]:
    """How many rows the tables an import may write hold (to prove a second import wrote none)."""
    from app.booking.models import Reservation
    from app.core.audit import AuditEvent
    from app.deposits.models import ImportRun, StatementGap
    from app.refunds.models import Refund
    from app.remittance.models import Payout

    out = {}
    for model in (StatementLine, BankStatement, ImportRun, StatementGap, Payment, LedgerEntry, OutboxMessage,
                  AuditEvent, Refund, Payout):
        out[model.__tablename__] = db.session.scalar(select(func.count()).select_from(model))
    out["statuses"] = tuple(db.session.scalars(select(Reservation.status).order_by(Reservation.id)))
    return out


def mt940(days: list[tuple], *, account: str = "999-0001-234560", opening: int = 1_000_000) -> bytes:
    """An MT940 file, one statement per `(date, [(mark, amount, bank_ref, memo), …])`, balances chained
    from `opening`. Marks: C, D, RC (a credit taken back), RD (a debit undone)."""
    out, balance = [], opening
    for n, (day, lines) in enumerate(days, start=1):
        out += [f":20:ST{day:%Y%m%d}", f":25:{account}", f":28C:{n:05d}/001", f":60F:C{day:%y%m%d}KRW{balance},"]
        for mark, amount, ref, memo in lines:
            balance += amount if mark in ("C", "RD") else -amount
            out += [f":61:{day:%y%m%d}{day:%m%d}{mark}{amount},NTRFNONREF//{ref}", f":86:{memo}"]
        out += [f":62F:C{day:%y%m%d}KRW{balance},", "-"]
    return ("\r\n".join(out) + "\r\n").encode()


CAMT_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
             "<BkToCstmrStmt><GrpHdr><MsgId>{msg}</MsgId></GrpHdr>")


def camt(day, opening: int, credits: list[tuple[int, str]], *, account: str = "110-123-456789",
         statement_id: str | None = None, pending: bool = False) -> bytes:
    """A one-day CAMT.053 statement: credits (amount, memo) after `opening`, booked (or all pending:
    Sts=PDNG, not in the closing balance)."""
    closing = opening + (0 if pending else sum(a for a, _m in credits))
    status = "PDNG" if pending else "BOOK"
    entries = "".join(
        f'<Ntry><Amt Ccy="KRW">{a}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>{status}</Sts>'

        f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><AcctSvcrRef>{day:%Y%m%d}-{i}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls><RmtInf><Ustrd>{m}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        for i, (a, m) in enumerate(credits, start=1))
    bal = ('<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="KRW">{amount}</Amt>'
           "<CdtDbtInd>CRDT</CdtDbtInd></Bal>")
    text = (CAMT_HEAD.format(msg=f"M{day:%Y%m%d}") + f"<Stmt><Id>{statement_id or f'S-{day:%Y%m%d}'}</Id>"
            f"<FrToDt><FrDtTm>{day.isoformat()}T00:00:00+09:00</FrDtTm><ToDtTm>{day.isoformat()}T23:59:59+09:00"
            f"</ToDtTm></FrToDt><Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>KRW</Ccy></Acct>"
            + bal.format(code="OPBD", amount=opening) + bal.format(code="CLBD", amount=closing) + entries
            + "</Stmt></BkToCstmrStmt></Document>")
    return text.encode()
