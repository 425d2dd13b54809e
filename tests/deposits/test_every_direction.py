"""Statement lines for every direction, imported from real-shaped files (tests/deposits/files/):
deposits, a credit and its reversal in one file, a payout and its fee, a returned payout, a pending
entry, a gateway's batch. Each booking, payout, refund, line and ledger row is checked as it ends."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.deposits.models import BankStatement, LineKind, LineStatus, StatementLine
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from tests.deposits.money import (CAMT_PAYOUT, CAMT_RETURN, MT940_PAYOUT, booking, entries, fresh, import_file, line,
                                  outbox, payments, read, refunded_by_payout, seoul, table_counts)

D = EntryKind


@pytest.fixture
def on_the_bank_day(clock):
    """Bookings are made on the statement's first day (20 Nov 2026, Seoul), the file comes that evening."""
    clock.freeze(seoul(2026, 11, 20, 9))
    yield
    clock.freeze(seoul(2026, 11, 20, 18))


@pytest.fixture
def mt940_world(clock):
    clock.freeze(seoul(2026, 11, 20, 9))
    paid = booking("FD7K3M9Q", 120_000)
    reversed_ = booking("FD2B8C4D", 89_000, first="철수", last="박")
    returned, refund, payout = refunded_by_payout(250_000)
    clock.freeze(seoul(2026, 11, 20, 18))
    raw = read("mt940_two_statements_rc_rd.sta", **{MT940_PAYOUT: payout.transfer_id})
    return paid, reversed_, (returned, refund, payout), raw


def test_an_mt940_file_with_a_reversal_a_payout_its_fee_and_its_return(mt940_world):
    paid, reversed_, (returned, refund, payout), raw = mt940_world
    before_return = entries(returned)
    assert before_return == [(D.BANK_DEPOSIT, 250_000), (D.REFUND_PAYOUT, -250_000)]

    result = import_file(raw, "mt940")

    # The exact deposit pays its booking; its guest is told once, at the end.
    assert fresh(paid).status == "paid" and payments(paid) == [(120_000, "completed")]
    assert entries(paid) == [(D.BANK_DEPOSIT, 120_000)] and outbox(paid, "payment_confirmed") == 1
    # The credit and its reversal in the same file: the booking is not paid and nobody is told anything.
    credit, reversal = line(89_000), line(-89_000)
    r = fresh(reversed_)
    assert r.status == "pending" and r.hold_expires_at == r.created_at + timedelta(hours=24)
    assert payments(r) == [(89_000, "reversed")]
    assert entries(r) == [(D.BANK_DEPOSIT, 89_000), (D.DEPOSIT_REVERSAL, -89_000)]
    assert sum(amount for _k, amount in entries(r)) == 0
    deposit_row, reversal_row = (db.session.scalar(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id,
                                                                              LedgerEntry.kind == k))
                                 for k in (D.BANK_DEPOSIT, D.DEPOSIT_REVERSAL))
    assert reversal_row.undoes_id == deposit_row.id and reversal_row.statement_line_id == reversal.id
    assert outbox(r, "payment_confirmed") == 0 and outbox(r, "deposit_amount_mismatch") == 0
    assert (credit.kind, credit.status, credit.outcome) == (LineKind.DEPOSIT, LineStatus.DONE, "reversed")
    assert (reversal.kind, reversal.reverses_line_id, reversal.outcome) == (LineKind.REVERSAL, credit.id, "reversal")
    # The payout is booked by the bank, its fee is its bank charge, then the bank returns it.
    out, fee, back = line(-250_000), line(-500), line(250_000, kind=LineKind.PAYOUT_RETURN)
    assert (out.kind, out.payout_id, out.outcome) == (LineKind.PAYOUT, payout.id, "payout_confirmed")
    assert (fee.kind, fee.payout_id, fee.outcome, fee.reservation_id) == (LineKind.FEE, payout.id, "fee", None)
    assert (back.kind, back.payout_id, back.outcome, back.reverses_line_id) == (
        LineKind.PAYOUT_RETURN, payout.id, "returned", out.id)
    fee_row = db.session.scalar(select(LedgerEntry).where(LedgerEntry.kind == D.BANK_FEE))
    assert (fee_row.amount, fee_row.payout_id, fee_row.statement_line_id, fee_row.reservation_id) == (
        -500, payout.id, fee.id, returned.id)
    assert fresh(payout).status == "returned" and fresh(refund).status == "awaiting_account"
    assert fresh(returned).status == "canceled" and outbox(returned, "refund_account_needed") == 1
    assert entries(returned) == before_return + [(D.BANK_FEE, -500), (D.PAYOUT_RETURN, 250_000)]
    # The same person sent 30,000 twice: two lines, each for a person to decide; one line is other money out.
    twins = db.session.scalars(select(StatementLine).where(StatementLine.amount == 30_000)).all()
    assert [t.status for t in twins] == [LineStatus.NEEDS_DECISION] * 2 and twins[0].dedupe_key != twins[1].dedupe_key
    assert (line(-1_000).kind, line(-1_000).outcome) == (LineKind.OTHER, "money_out")
    # Every line is counted once, and the counts are what was stored.
    assert result.counts == {"deposits_matched": 1, "decisions_needed": 2, "payouts_confirmed": 1, "fees": 1,
                             "reversals": 2, "returns": 1, "pending": 0, "duplicates": 0, "other": 1}
    assert sum(result.counts.values()) == len(result.lines) == 9
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 9
    assert [o.outcome for o in result.lines] == ["auto_confirmed", "reversed", "reversal", "payout_confirmed", "fee",
                                                 "returned", "needs_decision", "needs_decision", "money_out"]
    assert [o.booking for o in result.lines][:3] == ["FD7K3M9Q", "FD2B8C4D", None]
    assert result.lines[3].payout == payout.public_id
    # The old attributes keep their meaning: new money-in lines, those confirmed by themselves, those left.
    assert (result.new_lines, result.skipped, result.auto_confirmed, result.needs_decision) == (4, 0, 1, 2)


def test_the_same_mt940_file_again_is_already_imported_and_changes_nothing(mt940_world):
    _paid, _reversed, _returned, raw = mt940_world
    import_file(raw, "mt940")
    before = table_counts()
    again = import_file(raw, "mt940")
    assert again.counts["duplicates"] == again.already_imported == 9 and again.run is None
    assert sum(again.counts.values()) == 9 and again.statement_ids == []
    assert {o.line for o in again.lines} == set(db.session.scalars(select(StatementLine.public_id)))
    assert table_counts() == before


def test_statements_of_one_account_chain_whatever_way_its_number_is_written(mt940_world, on_the_bank_day):
    *_rest, raw = mt940_world
    import_file(raw, "mt940", account="ignored: the file names its account")
    camt = import_file(read("camt053_shared_ref_pending_reversal_batch.xml"), "camt053")
    # `999-0001-234560` in both files: one account, and the CAMT statement opens where the MT940 one closed.
    assert set(db.session.scalars(select(StatementLine.account))) == {"9990001234560"}
    assert set(db.session.scalars(select(BankStatement.account))) == {"9990001234560"}
    assert camt.gaps == []


@pytest.fixture
def camt_world(clock):
    clock.freeze(seoul(2026, 11, 22, 9))
    undone = booking("FD5H6J7K8L", 75_000, first="우성", last="정")
    waiting = booking("FD8M9N2P", 99_000, first="지민", last="한")
    first, second = booking("FD3C4D5E", 90_000), booking("FD7G8H9J", 120_000, first="철수", last="박")
    _r, _f, sent = refunded_by_payout(180_000)
    returned, refund, came_back = refunded_by_payout(60_000)
    clock.freeze(seoul(2026, 11, 22, 18))
    raw = read("camt053_shared_ref_pending_reversal_batch.xml",
               **{CAMT_PAYOUT: sent.transfer_id, CAMT_RETURN: came_back.transfer_id})
    return dict(undone=undone, waiting=waiting, first=first, second=second, sent=sent, returned=returned,
                refund=refund, came_back=came_back, raw=raw)


def test_a_camt_payout_its_fee_a_pending_entry_a_reversal_a_batch_and_a_return(camt_world):
    w = camt_world
    result = import_file(w["raw"], "camt053")
    out, fee = line(-180_000), line(-500)
    # The payout (EndToEndId = our transfer id) is booked by the bank; its fee shares its AcctSvcrRef.
    assert out.bank_ref == fee.bank_ref == "9990001234560/BK20261122-0007" and out.dedupe_key != fee.dedupe_key
    assert (out.kind, out.payout_id, out.our_ref) == (LineKind.PAYOUT, w["sent"].id, w["sent"].transfer_id)
    assert (fee.kind, fee.payout_id, fee.status) == (LineKind.FEE, w["sent"].id, LineStatus.OUTGOING)
    [fee_row] = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == D.BANK_FEE)).all()
    assert (fee_row.amount, fee_row.payout_id, fee_row.statement_line_id) == (-500, w["sent"].id, fee.id)
    assert fresh(w["sent"]).status == "completed"   # booked by the bank: nothing more to do
    # The pending entry is shown as not yet booked: it pays nothing and is in no balance.
    pending = line(99_000)
    assert (pending.kind, pending.status, pending.pending, pending.payment_ids) == (
        LineKind.PENDING, LineStatus.PENDING, True, None)
    assert fresh(w["waiting"]).status == "pending" and payments(w["waiting"]) == []
    # Credit and reversal in one file: nothing paid, nothing sent.
    assert fresh(w["undone"]).status == "pending" and payments(w["undone"]) == [(75_000, "reversed")]
    assert sum(a for _k, a in entries(w["undone"])) == 0 and outbox(w["undone"], "payment_confirmed") == 0
    assert line(-75_000).reverses_line_id == line(75_000).id
    # The batch pays its two bookings; the return reopens the refund of its payout.
    assert fresh(w["first"]).status == fresh(w["second"]).status == "paid"
    assert outbox(w["first"], "payment_confirmed") == outbox(w["second"], "payment_confirmed") == 1
    back = line(60_000)
    assert (back.kind, back.payout_id, back.return_reason) == (LineKind.PAYOUT_RETURN, w["came_back"].id, "AC04")
    assert fresh(w["came_back"]).status == "returned" and fresh(w["refund"]).status == "awaiting_account"
    assert fresh(w["returned"]).status == "canceled" and outbox(w["returned"], "refund_account_needed") == 1
    # Stored lines add up to the closing balance (the pending one left out); the counts are what was stored.
    statement = db.session.scalar(select(BankStatement))
    booked = db.session.scalar(select(func.sum(StatementLine.amount)).where(StatementLine.pending.is_(False)))
    assert statement.opening_balance + booked == statement.closing_balance == 5_268_000
    assert (statement.statement_id, statement.copy_duplicate) == ("STMT-9990001234560-20261122", False)
    assert result.counts == {"deposits_matched": 2, "decisions_needed": 0, "payouts_confirmed": 1, "fees": 1,
                             "reversals": 2, "returns": 1, "pending": 1, "duplicates": 0, "other": 0}
    assert sum(result.counts.values()) == db.session.scalar(select(func.count()).select_from(StatementLine)) == 8


def test_the_banks_copy_of_a_statement_is_already_imported_and_changes_nothing(camt_world):
    import_file(camt_world["raw"], "camt053")
    before = table_counts()
    copy = read("camt053_shared_ref_pending_reversal_batch_dupl.xml",
                **{CAMT_PAYOUT: camt_world["sent"].transfer_id, CAMT_RETURN: camt_world["came_back"].transfer_id})
    result = import_file(copy, "camt053")
    assert (result.already_imported, result.run, result.statement_ids) == (8, None, [])
    assert result.counts == {"deposits_matched": 0, "decisions_needed": 0, "payouts_confirmed": 0, "fees": 0,
                             "reversals": 0, "returns": 0, "pending": 0, "duplicates": 8, "other": 0}
    assert table_counts() == before


def test_a_copy_of_a_statement_never_imported_is_imported(camt_world):
    copy = read("camt053_shared_ref_pending_reversal_batch_dupl.xml",
                **{CAMT_PAYOUT: camt_world["sent"].transfer_id, CAMT_RETURN: camt_world["came_back"].transfer_id})
    result = import_file(copy, "camt053")
    assert result.counts["duplicates"] == 0 and sum(result.counts.values()) == 8
    assert db.session.scalar(select(BankStatement.copy_duplicate)) is True


def test_the_preview_counts_what_is_new_and_the_pending_entry(camt_world):
    from app.deposits import services

    preview = services.preview_import(camt_world["raw"], source_format="camt053", mapping=None, account="")
    assert (preview.new, preview.already, preview.pending) == (8, 0, 1)
    import_file(camt_world["raw"], "camt053")
    again = services.preview_import(camt_world["raw"], source_format="camt053", mapping=None, account="")
    assert (again.new, again.already) == (0, 8)
