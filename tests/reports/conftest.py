"""Known data for the reports: rows written straight into each domain's tables at exact Korean times, so
every figure of a report can be stated in advance (see EXPECTED_DAILY in test_figures.py).

The day under test is Thursday 2026-12-03 (Korean time); the daily report runs at 18:00 that day.
"""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.alerts.models import Alert
from app.booking.models import BookingConflict, Reservation
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.notifications.models import OutboxMessage
from app.observability.models import RequestMetric
from app.payments.models import Payment
from app.reconcile.models import ReconciliationItem, ReconciliationRun
from app.refunds.models import Refund
from app.remittance.models import FundEntry, OperatingFund, Payout
from tests.factories import make_hotel, make_room_type

KST = ZoneInfo("Asia/Seoul")
DAY = date(2026, 12, 3)
_seq = itertools.count(1)


def kst(month: int, day: int, hour: int, minute: int = 0, second: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=KST)


def uid() -> str:
    return uuid.uuid4().hex[:20]


class Builder:
    def __init__(self):
        self.h1 = make_hotel(name="한강 호텔")
        self.rt1 = make_room_type(self.h1, rooms=1, name="디럭스")
        self.h2 = make_hotel(name="바다 호텔")
        self.rt2 = make_room_type(self.h2, rooms=1, name="스탠다드")

    def reservation(self, at: datetime, *, rooms=1, amount=100_000, paid_at=None, canceled_at=None,
                    status="pending", currency="KRW") -> Reservation:
        n = next(_seq)
        r = Reservation(public_id=uid(), code=f"RP{n:08d}", hotel_id=self.h1.id, room_type_id=self.rt1.id,
                        check_in=date(2026, 12, 24), check_out=date(2026, 12, 25), number_of_rooms=rooms,
                        number_of_guests=rooms, guest_first_name="Minji", guest_last_name="Kim",
                        guest_email=f"g{n}@example.com", payment_method="card", status=status,
                        total_amount=amount, currency=currency, access_salt=uid(), inventory_held=False,
                        paid_at=paid_at, canceled_at=canceled_at, created_at=at, updated_at=at)
        db.session.add(r)
        db.session.flush()
        return r

    def payment(self, reservation: Reservation, at: datetime, status: str, amount=100_000, refunded=0) -> Payment:
        p = Payment(public_id=uid(), reservation_id=reservation.id, method="card", amount=amount, currency="KRW",
                    status=status, refunded_amount=refunded, created_at=at, updated_at=at)
        db.session.add(p)
        db.session.flush()
        return p

    def ledger(self, kind: str, amount: int, at: datetime, currency="KRW", source="gateway") -> LedgerEntry:
        e = LedgerEntry(kind=kind, amount=amount, currency=currency, source=source, occurred_at=at,
                        business_date=at.astimezone(KST).date(), dedupe_key=f"test:{uid()}", created_at=at)
        db.session.add(e)
        return e

    def payout(self, requested_at: datetime, status: str, completed_at=None, amount=10_000) -> Payout:
        p = Payout(public_id=uid(), purpose="refund", amount=amount, currency="KRW", bank_code="004",
                   account_number="12345678901", account_holder="김민지", transfer_id=uid(), status=status,
                   status_changed_at=completed_at or requested_at, requested_at=requested_at,
                   round_started_at=requested_at, completed_at=completed_at, created_at=requested_at,
                   updated_at=requested_at)
        db.session.add(p)
        return p

    def refund(self, reservation: Reservation, created: datetime, status: str, *, completed_at=None,
               decided_at=None, amount=50_000) -> Refund:
        r = Refund(public_id=uid(), reservation_id=reservation.id, amount=amount, currency="KRW", status=status,
                   policy_case="A", policy_percent=100, policy_amount=amount, policy_reason="test",
                   completed_at=completed_at, decided_at=decided_at, created_at=created, updated_at=created)
        db.session.add(r)
        return r

    def recon_run(self, business_date: date, source: str, status: str, finished: datetime, matched=0, total=0,
                  details=None) -> ReconciliationRun:
        run = ReconciliationRun(business_date=business_date, source=source, status=status, started_at=finished,
                                finished_at=finished, matched_count=matched, total_count=total, details=details)
        db.session.add(run)
        db.session.flush()
        return run

    def recon_item(self, run: ReconciliationRun, type_: str, first_seen: datetime, due: datetime, *,
                   resolved_at=None, resolution=None) -> ReconciliationItem:
        item = ReconciliationItem(public_id=uid(), natural_key=f"test:{uid()}", source=run.source,
                                  business_date=run.business_date, run_id=run.id, type=type_,
                                  first_seen_at=first_seen, last_seen_at=first_seen, due_at=due,
                                  status="resolved" if resolved_at else "open", resolution=resolution,
                                  resolved_at=resolved_at)
        db.session.add(item)
        return item

    def fund_entries(self, entries: list[tuple[str, int, datetime]]) -> None:
        fund = OperatingFund(currency="KRW", balance=0, breaker_state="closed", level="normal",
                             state_changed_at=entries[0][2])
        db.session.add(fund)
        db.session.flush()
        balance = 0
        for kind, amount, at in entries:
            balance += amount
            db.session.add(FundEntry(fund_id=fund.id, kind=kind, amount=amount, balance_after=balance,
                                     dedupe_key=f"test:{uid()}", created_at=at))
        fund.balance = balance

    def conflict(self, at: datetime, room_type, check_in: date, nights: int) -> None:
        db.session.add(BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id, check_in=check_in,
                                       check_out=check_in + timedelta(days=nights), number_of_rooms=1,
                                       created_at=at, updated_at=at))

    def message(self, at: datetime, status: str, event="booking_received", operator=False) -> None:
        db.session.add(OutboxMessage(event=event, channel="email", recipient="g@example.com", language="ko",
                                     dedupe_key=f"test:{uid()}", context={"operator_message": True} if operator else {},
                                     status=status, created_at=at, updated_at=at))

    def alert(self, severity: str, opened: datetime, acked=None, resolved=None) -> None:
        status = "resolved" if resolved else "acknowledged" if acked else "open"
        db.session.add(Alert(public_id=uid(), rule=f"test_rule_{next(_seq)}", subject="s", severity=severity,
                             area="system", status=status, opened_at=opened, last_seen_at=opened,
                             acknowledged_at=acked, resolved_at=resolved, details={}))

    def requests(self, at: datetime, status_class: str, count: int) -> None:
        db.session.add(RequestMetric(minute=at, route="/v1/reservations", endpoint="api.create_reservation",
                                     method="POST", status_class=status_class, count=count, total_ms=10.0 * count,
                                     max_ms=10.0))


def build_known_data() -> Builder:
    """The known week around Thursday 2026-12-03 (and one November day for the monthly growth)."""
    b = Builder()
    # --- bookings -----------------------------------------------------------------------------------
    r0 = b.reservation(kst(11, 15, 12), amount=80_000)                                  # November
    r1 = b.reservation(kst(12, 3, 0, 0, 0), rooms=2, amount=200_000, paid_at=kst(12, 3, 0, 5), status="paid")
    r2 = b.reservation(kst(12, 2, 23, 59, 59), amount=90_000)                           # the day before
    r3 = b.reservation(kst(12, 3, 10), amount=100_000, canceled_at=kst(12, 3, 11), status="canceled")
    r4 = b.reservation(kst(12, 3, 17, 59), amount=150_000)
    b.reservation(kst(12, 3, 18, 30), amount=120_000)                                   # after 18:00
    b.reservation(kst(12, 3, 23, 59, 59), amount=110_000)                               # after 18:00
    # --- payments -------------------------------------------------------------------------------------
    b.payment(r1, kst(12, 3, 0, 1), "completed", 200_000)
    b.payment(r3, kst(12, 3, 10, 1), "failed")
    b.payment(r4, kst(12, 3, 17, 59, 30), "completed", 150_000, refunded=50_000)
    b.payment(r3, kst(12, 3, 10, 30), "reversed", 100_000)
    b.payment(r4, kst(12, 3, 17, 59, 40), "pending", 150_000)
    b.payment(r2, kst(12, 2, 23, 59, 59), "failed")                                     # the day before
    # --- ledger -----------------------------------------------------------------------------------------
    b.ledger("card_charge", 200_000, kst(12, 3, 0, 5))
    b.ledger("card_charge", 150_000, kst(12, 3, 17, 59, 35))
    b.ledger("bank_deposit", 100_000, kst(12, 3, 10, 35), source="bank")
    b.ledger("deposit_reversal", -100_000, kst(12, 3, 12), source="bank")
    b.ledger("card_refund", -50_000, kst(12, 3, 12, 30))
    b.ledger("refund_payout", -30_000, kst(12, 3, 13), source="bank")
    b.ledger("payout_return", 10_000, kst(12, 3, 14), source="bank")
    b.ledger("bank_fee", -500, kst(12, 3, 13), source="bank")
    b.ledger("settlement_payout", -70_000, kst(12, 3, 15), source="bank")
    b.ledger("card_charge", 999, kst(12, 2, 23, 59, 59))                                # the day before
    b.ledger("card_charge", 10, kst(12, 3, 9), currency="USD")                          # another currency
    b.ledger("card_charge", 5_000, kst(12, 3, 19))                                      # after 18:00
    b.ledger("card_charge", 100_000, kst(11, 15, 12))                                   # November
    # --- payouts ------------------------------------------------------------------------------------------
    b.payout(kst(12, 3, 9), "completed", kst(12, 3, 9, 10))
    b.payout(kst(12, 3, 10), "completed", kst(12, 3, 11, 30))            # late
    b.payout(kst(12, 3, 11), "abandoned")                                # failed, late
    b.payout(kst(12, 3, 17, 30), "transferring")                         # on the way, not late at 18:00
    b.payout(kst(12, 3, 12), "transferring")                             # on the way, late
    b.payout(kst(12, 3, 12), "canceled")
    b.payout(kst(12, 3, 8), "returned", kst(12, 3, 8, 20))
    # --- refunds ----------------------------------------------------------------------------------------------
    b.refund(r4, kst(12, 3, 12), "completed", completed_at=kst(12, 3, 12, 30))
    b.refund(r3, kst(12, 3, 12), "refused", decided_at=kst(12, 3, 13))
    b.refund(r2, kst(12, 2, 20), "failed", decided_at=kst(12, 3, 14))
    # --- reconciliation -----------------------------------------------------------------------------------------
    gateway = b.recon_run(date(2026, 12, 2), "gateway", "completed", kst(12, 3, 6, 20), 998, 1000,
                          details={"fee": 3_000, "net": 0})
    b.recon_run(date(2026, 12, 2), "payouts", "failed", kst(12, 3, 6, 40))
    b.recon_item(gateway, "GHOST_TRANSACTION", kst(12, 3, 6, 20), kst(12, 3, 6, 20))
    b.recon_item(gateway, "AMOUNT_MISMATCH", kst(12, 3, 6, 20), kst(12, 3, 10, 20), resolved_at=kst(12, 3, 9),
                 resolution="explained")
    b.recon_item(gateway, "TIMING_MISMATCH", kst(12, 1, 6, 20), kst(12, 2, 6, 20))
    # --- operating fund -----------------------------------------------------------------------------------------
    b.fund_entries([("top_up", 1_000_000, kst(12, 2, 10)), ("payout_debit", -100_000, kst(12, 3, 9)),
                    ("payout_debit", -50_000, kst(12, 3, 10)), ("payout_reversal", 50_000, kst(12, 3, 10, 5)),
                    ("top_up", 500_000, kst(12, 3, 12)), ("return_credit", 20_000, kst(12, 3, 13)),
                    ("payout_debit", -20_000, kst(12, 3, 19))])
    # --- conflicts ----------------------------------------------------------------------------------------------
    b.conflict(kst(12, 3, 0, 30), b.rt1, date(2026, 12, 24), 2)
    b.conflict(kst(12, 3, 14, 10), b.rt1, date(2026, 12, 24), 1)
    b.conflict(kst(12, 3, 14, 50), b.rt2, date(2026, 12, 31), 1)
    b.conflict(kst(12, 3, 18, 30), b.rt2, date(2026, 12, 31), 1)                        # after 18:00
    # --- messages -----------------------------------------------------------------------------------------------
    b.message(kst(12, 3, 9), "sent")
    b.message(kst(12, 3, 10), "sent")
    b.message(kst(12, 3, 11), "failed", event="payment_confirmed")
    b.message(kst(12, 3, 17), "pending")
    b.message(kst(12, 3, 12), "failed", event="alert_test", operator=True)          # an operator's: not counted
    # --- alerts -------------------------------------------------------------------------------------------------
    b.alert("CRITICAL", kst(12, 3, 10), acked=kst(12, 3, 10, 10), resolved=kst(12, 3, 10, 50))
    b.alert("CRITICAL", kst(12, 3, 11), acked=kst(12, 3, 11, 40))
    b.alert("WARNING", kst(12, 3, 12), acked=kst(12, 3, 12, 20), resolved=kst(12, 3, 17))
    b.alert("INFO", kst(12, 3, 13))
    b.alert("CRITICAL", kst(12, 2, 13))                                                 # the day before
    # --- requests (for the weekly error rate) -------------------------------------------------------------------
    b.requests(kst(12, 3, 9), "2xx", 98)
    b.requests(kst(12, 3, 9), "5xx", 2)
    db.session.flush()
    b.r0 = r0
    return b


@pytest.fixture
def known_data(app):
    return build_known_data()
