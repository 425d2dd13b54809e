"""Balance continuity per account: a statement that does not open where the last one closed is a
gap (a missing statement) until the missing one is imported."""
from datetime import date

from sqlalchemy import select

from app.deposits import continuity
from app.deposits.models import BankStatement, StatementGap
from app.extensions import db
from tests.deposits.money import camt, import_file

D1, D2, D3, D4 = (date(2026, 11, d) for d in (20, 21, 22, 23))


def statement(day) -> BankStatement:
    return db.session.scalar(select(BankStatement).where(BankStatement.from_date == day))


def test_a_missing_statement_is_a_gap_until_it_is_imported():
    first = import_file(camt(D1, 1_000_000, [(100_000, "가")]), "camt053")
    assert first.gaps == [] and first.gaps_closed == []
    third = import_file(camt(D3, 1_300_000, [(50_000, "다")]), "camt053")   # day 2 (+200,000) not imported yet
    [gap] = third.gaps
    assert gap == {"account": "110123456789", "currency": "KRW", "previous_statement": statement(D1).public_id,
                   "next_statement": statement(D3).public_id, "from_date": "2026-11-20", "to_date": "2026-11-22",
                   "expected_opening": 1_100_000, "found_opening": 1_300_000, "difference": 200_000,
                   "closed_by": None}
    assert continuity.count_open() == 1
    # The next day chains on day 3: the gap is still the only one.
    fourth = import_file(camt(D4, 1_350_000, [(1_000, "라")]), "camt053")
    assert [g["to_date"] for g in fourth.gaps] == ["2026-11-22"]
    # The missing statement closes it, and says so.
    second = import_file(camt(D2, 1_100_000, [(200_000, "나")]), "camt053")
    assert second.gaps == [] and [g["previous_statement"] for g in second.gaps_closed] == [statement(D1).public_id]
    assert second.gaps_closed[0]["closed_by"] == statement(D2).public_id
    stored = db.session.scalar(select(StatementGap))
    assert stored.closed_at is not None and stored.closed_by_statement_id == statement(D2).id
    assert continuity.count_open() == 0


def test_statements_of_other_accounts_never_make_a_gap():
    import_file(camt(D1, 1_000_000, [(100_000, "가")], account="110-123-456789"), "camt053")
    other = import_file(camt(D2, 5_000_000, [(1_000, "나")], account="999-0001-234560"), "camt053")
    assert other.gaps == [] and continuity.count_open() == 0


def test_the_same_day_again_with_other_lines_is_not_compared():
    import_file(camt(D1, 1_000_000, [(100_000, "가")], statement_id="S-1"), "camt053")
    # An intraday statement of the same day: its balances overlap the first one's, no gap is claimed.
    later = import_file(camt(D1, 1_050_000, [(7_000, "나")], statement_id="S-1b"), "camt053")
    assert later.gaps == [] and continuity.count_open() == 0


def test_today_counts_the_missing_statements_and_the_list_shows_them_in_korean(client, login_as):
    import_file(camt(D1, 1_000_000, [(100_000, "가")]), "camt053")
    import_file(camt(D3, 1_300_000, [(50_000, "다")]), "camt053")
    login_as("staff")
    today = client.get("/ops/").get_data(as_text=True)
    assert 'data-key="statement_gaps"' in today and "빠진 은행 거래내역" in today
    listing = client.get("/ops/deposits/").get_data(as_text=True)
    assert "🛑" in listing and "거래내역이 빠졌습니다" in listing and "₩1,100,000" in listing and "₩1,300,000" in listing
