"""Today's seed 001 checks added by issue 11: today's statement, the fund against today's payouts,
the afternoon figures, the closing checks and the handover note."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.booking.models import BookingConflict
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.extensions import db
from app.ops.models import HandoverNote
from tests.factories import make_operator, make_paid_reservation, make_reservation, make_room_type
from tests.ops.test_today import entries_by_key, shown_count

# 10:00 in Seoul on Monday 2026-11-23 (01:00 UTC); 15:00 and 18:30 the same day.
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
AFTERNOON = datetime(2026, 11, 23, 6, 0, tzinfo=timezone.utc)
EVENING = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
TEST_ACTOR = Actor.system("test")


@pytest.fixture
def staff():
    return make_operator("staff")


def entry(operator, key, lang: str = "en"):
    """One Today entry computed in `lang` (English by default: the assertions read English)."""
    from flask_babel import force_locale

    with force_locale(lang):
        return entries_by_key(operator)[key]


def import_todays_statement():
    from app.deposits import services
    from tests.deposits.conftest import ACCOUNT, MAPPING, korean_csv, today

    return services.import_statement(korean_csv([(today(), "홍길동", 50_000, 0)]), source_format="csv",
                                     file_name="today.csv", account=ACCOUNT, bank="국민은행", mapping=MAPPING,
                                     actor=TEST_ACTOR)


# --- morning: today's statement --------------------------------------------------------------

def test_deposit_matching_is_not_done_until_todays_statement_is_uploaded(staff, client, login_as, clock):
    clock.freeze(MORNING)
    statement = entry(staff, "statement_today")
    assert statement.count.count == 1 and not statement.done
    assert str(statement.count.title) == "Today's bank statement has not been uploaded yet"
    # nothing to match, yet not ✓: the input has not arrived
    lines = entry(staff, "deposit_lines")
    assert lines.count.count == 0 and lines.awaiting and not lines.done
    assert not entry(staff, "waiting_transfers").done

    login_as(operator=staff)
    page = client.get("/ops/").get_data(as_text=True)
    assert "오늘 은행 거래내역" in page and "아직 올라오지 않았습니다" in page
    assert re.search(r'data-key="deposit_lines">\s*<span class="today-count awaiting"', page)

    clock.advance(minutes=20)
    import_todays_statement()
    assert entry(staff, "statement_today").done
    # the statement is in: the items show what it brought (one deposit nobody could match) or ✓
    lines = entry(staff, "deposit_lines")
    assert not lines.awaiting and lines.count.count == 1
    assert entry(staff, "waiting_transfers").done
    page = client.get("/ops/").get_data(as_text=True)
    assert shown_count(page, "deposit_lines") == "1" and shown_count(page, "statement_today") == "✓"
    assert shown_count(page, "waiting_transfers") == "✓"
    assert "오전 10:20" in page   # when it was uploaded, Korean time


def test_yesterdays_statement_does_not_count_for_today(staff, clock):
    clock.freeze(MORNING - timedelta(days=1))
    import_todays_statement()
    clock.freeze(MORNING)
    assert entry(staff, "statement_today").count.count == 1
    assert entry(staff, "deposit_lines").awaiting


# --- morning: the fund against today's payouts --------------------------------------------------

def test_the_fund_is_not_done_while_empty_or_short_of_todays_payouts(staff, clock):
    from app.remittance import fund, services
    from tests.remittance.conftest import account

    clock.freeze(MORNING)
    empty = entry(staff, "fund_vs_payouts")
    assert empty.count.count == 1 and empty.count.severity == "bad" and not empty.done
    assert "empty" in str(empty.count.detail)

    fund.top_up_fund(100_000_000, "opening balance", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    covered = entry(staff, "fund_vs_payouts")
    assert covered.done, covered.count.detail
    assert [str(f) for f in covered.count.facts] == ["Fund balance: ₩100,000,000",
                                                       "Payouts expected today: 0, together ₩0"]

    services.create_payout(purpose="settlement", amount=70_000_000, currency="KRW", account=account(),
                           actor=TEST_ACTOR)
    services.create_payout(purpose="settlement", amount=50_000_000, currency="KRW", account=account(),
                           actor=TEST_ACTOR)
    db.session.commit()
    short = entry(staff, "fund_vs_payouts")
    assert short.count.count == 1 and not short.done
    assert "₩20,000,000 is missing" in str(short.count.detail)
    assert "Payouts expected today: 2, together ₩120,000,000" in [str(f) for f in short.count.facts]


def test_an_open_breaker_is_never_done_even_with_money(staff, clock):
    from app.remittance import fund
    from app.remittance.models import OperatingFund

    clock.freeze(MORNING)
    fund.top_up_fund(100_000_000, "opening balance", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    assert entry(staff, "fund_vs_payouts").done
    row = db.session.scalar(select(OperatingFund))
    row.breaker_state = "open"
    db.session.commit()
    found = entry(staff, "fund_vs_payouts")
    assert found.count.count == 1 and "stopped" in str(found.count.detail)


# --- afternoon: volume, success rates, error rate ------------------------------------------------

def test_volume_so_far_against_the_same_weekday_last_week(staff, clock):
    clock.freeze(AFTERNOON - timedelta(days=7, hours=2))    # last Monday 13:00 Seoul
    room_type = make_room_type(rooms=20)
    stay = date(2026, 12, 20)
    for _ in range(4):
        make_reservation(room_type, check_in=stay)
    clock.freeze(AFTERNOON - timedelta(days=7) + timedelta(hours=1))   # last Monday 16:00: after "now"
    make_reservation(room_type, check_in=stay)
    clock.freeze(AFTERNOON - timedelta(hours=1))             # today 14:00
    make_reservation(room_type, check_in=stay)
    clock.freeze(AFTERNOON)
    found = entry(staff, "volume_today")
    facts = [str(f) for f in found.count.facts]
    assert facts == ["Today until now: 1", "Same weekday last week, until the same time: 4", "Change: −75%"]
    assert found.count.count == 1 and found.count.severity == "warn"   # below half of last week's
    make_reservation(room_type, check_in=stay)
    assert entry(staff, "volume_today").done                        # 2 of 4: not below half


def _pay(reservation, card="4242424242424242"):
    from app.core import clock as app_clock
    from app.payments.gateway import CardDetails
    from app.payments.services import pay_by_card

    return pay_by_card(reservation, amount=reservation.total_amount, currency=reservation.currency,
                       card=CardDetails(card, 12, app_clock.now().year + 2, "123", "Minji Kim"),
                       idempotency_key=str(uuid.uuid4()))


def test_success_rates_wait_for_todays_payments_then_show_them(staff, clock):
    clock.freeze(AFTERNOON)
    waiting = entry(staff, "success_rates")
    assert waiting.awaiting and not waiting.done
    room_type = make_room_type(rooms=20)
    for _ in range(3):
        make_paid_reservation(room_type)
    ok = entry(staff, "success_rates")
    assert ok.done
    assert str(ok.count.facts[0]) == "Payments: 100.0% (3 of 3; target 98%)"
    assert str(ok.count.facts[1]) == "Payouts: nothing yet today"
    declined = _pay(make_reservation(room_type), card="4000000000000002")
    assert declined.payment.status == "failed"
    below = entry(staff, "success_rates")
    assert below.count.count == 1 and below.count.severity == "bad" and not below.done
    assert str(below.count.facts[0]) == "Payments: 75.0% (3 of 4; target 98%)"


def test_error_rate_below_one_percent_is_normal(staff, clock):
    from app.observability import requests as recorded

    clock.freeze(AFTERNOON)
    assert entry(staff, "error_rate").awaiting
    recorded.discard_pending()
    earlier = AFTERNOON - timedelta(minutes=5)
    for _ in range(199):
        recorded.record("/v1/search", "api.search", "GET", 200, 12.0, at=earlier)
    recorded.record("/v1/search", "api.search", "GET", 500, 30.0, at=earlier)
    recorded.record("/v1/search", "api.search", "GET", 500, 30.0, at=earlier - timedelta(days=1))  # yesterday
    recorded.flush(db.session.connection())
    normal = entry(staff, "error_rate")
    assert normal.done and str(normal.count.facts[0]) == "Errors today: 1 of 200 requests (0.5%)"
    recorded.record("/v1/search", "api.search", "GET", 503, 30.0, at=earlier)
    recorded.record("/v1/search", "api.search", "GET", 500, 30.0, at=earlier)
    recorded.flush(db.session.connection())
    high = entry(staff, "error_rate")       # 3 of 202 = 1.49 %
    assert high.count.count == 1 and high.count.severity == "bad"


# --- closing: the daily report, the handover, tomorrow's busy hours ----------------------------

def test_daily_report_sent_is_done_only_once_the_report_went_out(staff, clock):
    from app.reports.models import ReportRun

    clock.freeze(EVENING)
    assert entry(staff, "daily_report_sent").count.count == 1
    run = ReportRun(kind="daily", period_start=date(2026, 11, 23), period_end=date(2026, 11, 23), as_of=EVENING,
                    figures={}, recipients=[])
    db.session.add(run)
    db.session.commit()
    assert entry(staff, "daily_report_sent").count.count == 1      # computed, not sent yet
    run.sent_at = EVENING
    db.session.commit()
    assert entry(staff, "daily_report_sent").done


def test_tomorrows_busy_hours_come_from_the_same_weekday(staff, clock):
    room_type = make_room_type()
    # Tomorrow is Tuesday 24th; last Tuesday (17th) 20:10 and 20:40 Seoul, two weeks ago (10th) 09:05.
    for when in (datetime(2026, 11, 17, 11, 10), datetime(2026, 11, 17, 11, 40), datetime(2026, 11, 10, 0, 5),
                 datetime(2026, 11, 16, 11, 10)):   # a Monday: another weekday, not counted
        at = when.replace(tzinfo=timezone.utc)
        db.session.add(BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id,
                                       check_in=date(2026, 12, 1), check_out=date(2026, 12, 2), number_of_rooms=1,
                                       created_at=at, updated_at=at))
    db.session.commit()
    clock.freeze(EVENING)
    facts = [str(f) for f in entry(staff, "tomorrow_peak_hours", "ko").count.facts]
    assert len(facts) == 2
    assert facts[0].startswith("오전 9:00–오전 10:00") and "1" in facts[0]
    assert facts[1].startswith("오후 8:00–오후 9:00") and "2" in facts[1]


def test_handover_note_written_then_the_next_shift_reads_and_acknowledges_it(client, login_as, clock, app):
    clock.freeze(EVENING)
    evening = make_operator("staff")
    make_reservation(method="bank_transfer")          # an open item at handover time
    login_as(operator=evening)
    assert entry(evening, "handover_written").count.count == 1

    page = client.post("/ops/handover", data={"note": ""})
    assert page.status_code == 422                      # refused without a note; nothing saved
    assert db.session.scalar(select(HandoverNote.id)) is None
    confirm = client.post("/ops/handover", data={"note": "302호 손님께 내일 오전에 전화 드리기로 했습니다."})
    assert confirm.status_code == 200 and 'name="confirmed" value="yes"' in confirm.get_data(as_text=True)
    assert db.session.scalar(select(HandoverNote.id)) is None   # the confirm step saves nothing
    done = client.post("/ops/handover", data={"note": "302호 손님께 내일 오전에 전화 드리기로 했습니다.",
                                              "confirmed": "yes"})
    assert done.status_code == 302
    note = db.session.scalar(select(HandoverNote))
    assert note.written_by_id == evening.id
    assert note.open_items["waiting_transfers"]["count"] == 1
    assert entry(evening, "handover_written").done

    # the writer cannot acknowledge their own note (refused, audited)
    refused = client.post(f"/ops/handover/{note.id}/acknowledge", data={})
    assert refused.status_code == 302
    assert db.session.scalar(select(HandoverNote.acknowledged_at)) is None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "handover.acknowledge_refused"))

    # next morning, another operator sees it at the top of the morning check
    clock.freeze(MORNING + timedelta(days=1))
    morning = make_operator("staff")
    other = app.test_client()
    login_as(operator=morning, test_client=other)
    today = other.get("/ops/").get_data(as_text=True)
    assert "302호 손님께 내일 오전에 전화 드리기로 했습니다." in today
    assert entry(morning, "handover_to_read").count.count == 1
    assert other.post(f"/ops/handover/{note.id}/acknowledge", data={}).status_code == 302
    db.session.refresh(note)
    assert note.acknowledged_by_id == morning.id and note.acknowledged_at == MORNING + timedelta(days=1)
    assert entry(morning, "handover_to_read").done
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "handover.acknowledged"))
    assert event.actor_id == morning.id
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "handover.written"))
    # a second acknowledgement changes nothing
    assert other.post(f"/ops/handover/{note.id}/acknowledge", data={}).status_code == 302
    db.session.refresh(note)
    assert note.acknowledged_by_id == morning.id
    assert other.post("/ops/handover/99999999999/acknowledge", data={}).status_code == 404
