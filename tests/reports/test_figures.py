"""Every figure of the daily, weekly and monthly report over known data (tests/reports/conftest.py),
worked out by hand from the rows; period boundaries in Korean time."""
from __future__ import annotations

from datetime import date

from app.reports import figures, policies
from app.reports.services import run_report
from tests.reports.conftest import DAY, kst

ALERTS_DAY = {
    "CRITICAL": {"opened": 2, "acknowledged": 2, "resolved": 1, "ackMedianMinutes": 25, "resolveMedianMinutes": 50,
                 "ackWithinTarget": 1, "resolvedWithinTarget": 1},
    "WARNING": {"opened": 1, "acknowledged": 1, "resolved": 1, "ackMedianMinutes": 20, "resolveMedianMinutes": 300,
                "ackWithinTarget": 1, "resolvedWithinTarget": 0},
    "INFO": {"opened": 1, "acknowledged": 0, "resolved": 0, "ackMedianMinutes": None, "resolveMedianMinutes": None,
             "ackWithinTarget": 0, "resolvedWithinTarget": 0},
}


def expected_daily(b) -> dict:
    """Thursday 2026-12-03, run at 18:00 KST: rows after 18:00 and before 00:00 are not counted."""
    return {
        "version": 1, "kind": "daily", "currency": "KRW", "periodStart": "2026-12-03", "periodEnd": "2026-12-03",
        "since": "2026-12-02T15:00:00+00:00", "until": "2026-12-03T09:00:00+00:00",
        # r1 (00:00:00, 2 rooms, paid), r3 (canceled), r4 (17:59); not r2 (23:59:59 the day before) nor 18:30
        "bookings": {"made": 3, "rooms": 4, "bookedAmount": 450_000, "paid": 1, "canceled": 1},
        "revenue": {"card": 350_000, "bank": 100_000, "gross": 450_000, "reversed": 100_000,
                    "refunded": 50_000 + 30_000 - 10_000, "net": 450_000 - 100_000 - 70_000, "bankFees": 500,
                    "partnerPayouts": 70_000, "charges": 3, "reversals": 1, "otherCurrencyRows": 1},
        # (PAID + PAID then canceled) / (PAID + FAILED): completed 2 + reversed 1 over 3 + 1 failed
        "payments": {"paid": 3, "paidThenCanceled": 2, "failed": 1, "pending": 1, "canceledUnpaid": 0,
                     "successRate": "0.7500"},
        "payouts": {"requested": 7, "succeeded": 3, "failed": 1, "abandoned": 1, "inProgress": 2, "canceled": 1,
                    "late": 3, "succeededAmount": 30_000, "successRate": "0.7500"},
        "refunds": {"requested": 2, "completed": 1, "completedAmount": 50_000, "refused": 1, "failed": 1},
        "reconciliation": {"found": 2, "foundByType": {"AMOUNT_MISMATCH": 1, "GHOST_TRANSACTION": 1}, "resolved": 1,
                           "resolvedBy": {"explained": 1}, "open": 2, "overdue": 2, "runs": 2, "runsFailed": 1,
                           "matched": 998, "compared": 1000, "matchRate": "0.9980"},
        "fund": {"currency": "KRW", "opening": 1_000_000, "closing": 1_420_000, "lowest": 850_000,
                 "toppedUp": 500_000, "paidOut": 100_000, "returned": 20_000, "payouts": 1},
        "conflicts": {
            "total": 3,
            "byHotel": [{"hotelId": b.h1.id, "name": "한강 호텔", "count": 2},
                        {"hotelId": b.h2.id, "name": "바다 호텔", "count": 1}],
            "byRoomType": [{"roomTypeId": b.rt1.id, "name": "디럭스", "hotel": "한강 호텔", "count": 2},
                           {"roomTypeId": b.rt2.id, "name": "스탠다드", "hotel": "바다 호텔", "count": 1}],
            "byNight": [{"night": "2026-12-24", "count": 2}, {"night": "2026-12-25", "count": 1},
                        {"night": "2026-12-31", "count": 1}],
            "byHour": [1] + [0] * 13 + [2] + [0] * 9, "peakHours": [14, 0],
            "byResolution": {"PENDING_REVIEW": 3, "RESOLVED": 0, "DISMISSED": 0}},
        "messages": {"total": 4, "sent": 2, "failed": 1, "waiting": 1, "failedByEvent": {"payment_confirmed": 1}},
        "alerts": {"total": 4, "bySeverity": ALERTS_DAY},
    }


def _week_base(b) -> dict:
    """Monday 2026-11-30 – Sunday 12-06 (and, with the same rows, December): the whole of Wednesday and
    Thursday count."""
    f = expected_daily(b)
    f.update({
        "bookings": {"made": 6, "rooms": 7, "bookedAmount": 770_000, "paid": 1, "canceled": 1},
        "revenue": {"card": 355_999, "bank": 100_000, "gross": 455_999, "reversed": 100_000, "refunded": 70_000,
                    "net": 285_999, "bankFees": 500, "partnerPayouts": 70_000, "charges": 5, "reversals": 1,
                    "otherCurrencyRows": 1},
        "payments": {"paid": 3, "paidThenCanceled": 2, "failed": 2, "pending": 1, "canceledUnpaid": 0,
                     "successRate": "0.6000"},
        # the 17:30 payout still on the way is late by now
        "payouts": {**f["payouts"], "late": 4},
        "refunds": {"requested": 3, "completed": 1, "completedAmount": 50_000, "refused": 1, "failed": 1},
        "reconciliation": {**f["reconciliation"], "found": 3,
                           "foundByType": {"AMOUNT_MISMATCH": 1, "GHOST_TRANSACTION": 1, "TIMING_MISMATCH": 1}},
        "fund": {"currency": "KRW", "opening": 0, "closing": 1_400_000, "lowest": 0, "toppedUp": 1_500_000,
                 "paidOut": 120_000, "returned": 20_000, "payouts": 2},
        "alerts": {"total": 5, "bySeverity": {**ALERTS_DAY, "CRITICAL": {**ALERTS_DAY["CRITICAL"], "opened": 3}}},
        "errorRates": {"payments": "0.4000", "payouts": "0.2500",
                       "api": {"requests": 100, "errors": 2, "errorRate": "0.0200"}},
    })
    return f


def _conflicts_whole_day(b) -> dict:
    return {"total": 4,
            "byHotel": sorted([{"hotelId": b.h1.id, "name": "한강 호텔", "count": 2},
                               {"hotelId": b.h2.id, "name": "바다 호텔", "count": 2}], key=lambda x: x["hotelId"]),
            "byRoomType": sorted([{"roomTypeId": b.rt1.id, "name": "디럭스", "hotel": "한강 호텔", "count": 2},
                                  {"roomTypeId": b.rt2.id, "name": "스탠다드", "hotel": "바다 호텔", "count": 2}],
                                 key=lambda x: x["roomTypeId"]),
            "byNight": [{"night": "2026-12-24", "count": 2}, {"night": "2026-12-25", "count": 1},
                        {"night": "2026-12-31", "count": 2}],
            "byHour": [1] + [0] * 13 + [2, 0, 0, 0, 1] + [0] * 5, "peakHours": [14, 0, 18],
            "byResolution": {"PENDING_REVIEW": 4, "RESOLVED": 0, "DISMISSED": 0}}


def _normalize_ties(f: dict) -> dict:
    """Hotels and room types with the same count: their order depends on the database's collation."""
    c = dict(f["conflicts"])
    c["byHotel"] = sorted(c["byHotel"], key=lambda x: x["hotelId"])
    c["byRoomType"] = sorted(c["byRoomType"], key=lambda x: x["roomTypeId"])
    return {**f, "conflicts": c}


EMPTY_DAY = {"bookings": 0, "net": 0, "paymentSuccessRate": None, "payoutSuccessRate": None, "paymentsFailed": 0,
             "payoutsFailed": 0, "conflicts": 0}
DEC_2 = {"day": "2026-12-02", "bookings": 1, "net": 999, "paymentSuccessRate": "0.0000", "payoutSuccessRate": None,
         "paymentsFailed": 1, "payoutsFailed": 0, "conflicts": 0}
DEC_3 = {"day": "2026-12-03", "bookings": 5, "net": 285_000, "paymentSuccessRate": "0.7500",
         "payoutSuccessRate": "0.7500", "paymentsFailed": 1, "payoutsFailed": 1, "conflicts": 4}


def test_daily_report_at_18_counts_every_figure_of_the_korean_day_so_far(known_data, clock):
    clock.freeze(kst(12, 3, 18))
    run = run_report("daily", send=False)
    assert (run.kind, run.period_start, run.period_end) == ("daily", DAY, DAY)
    assert run.figures == expected_daily(known_data)


def test_a_booking_at_23_59_59_kst_belongs_to_that_day_and_one_at_00_00_to_the_next(known_data, clock):
    clock.freeze(kst(12, 3, 18))
    day_before = run_report("daily", date(2026, 12, 2), send=False).figures
    assert day_before["bookings"]["made"] == 1                      # r2 at 23:59:59 on the 2nd
    assert day_before["until"] == "2026-12-02T15:00:00+00:00"       # the whole day: 00:00 KST of the 3rd
    assert day_before["revenue"]["card"] == 999
    assert day_before["payments"] == {"paid": 0, "paidThenCanceled": 0, "failed": 1, "pending": 0,
                                      "canceledUnpaid": 0, "successRate": "0.0000"}
    assert run_report("daily", DAY, send=False).figures["bookings"]["made"] == 3   # r1 at 00:00:00 on the 3rd


def test_weekly_report_on_monday_covers_the_previous_monday_to_sunday_with_trend_and_error_rates(known_data, clock):
    clock.freeze(kst(12, 7, 9))
    run = run_report("weekly", send=False)
    assert (run.period_start, run.period_end) == (date(2026, 11, 30), date(2026, 12, 6))
    expected = _week_base(known_data)
    expected.update({"kind": "weekly", "periodStart": "2026-11-30", "periodEnd": "2026-12-06",
                     "since": "2026-11-29T15:00:00+00:00", "until": "2026-12-06T15:00:00+00:00",
                     "conflicts": _conflicts_whole_day(known_data),
                     "trend": [{"day": "2026-11-30", **EMPTY_DAY}, {"day": "2026-12-01", **EMPTY_DAY}, DEC_2, DEC_3,
                               {"day": "2026-12-04", **EMPTY_DAY}, {"day": "2026-12-05", **EMPTY_DAY},
                               {"day": "2026-12-06", **EMPTY_DAY}]})
    assert _normalize_ties(run.figures) == expected


def test_monthly_report_on_the_first_adds_growth_fees_chargebacks_and_service_levels(known_data, clock):
    clock.freeze(kst(1, 1, 9, year=2027))
    run = run_report("monthly", send=False)
    assert (run.period_start, run.period_end) == (date(2026, 12, 1), date(2026, 12, 31))
    f = _normalize_ties(run.figures)
    expected = _week_base(known_data)
    trend = [{"day": f"2026-12-{d:02d}", **EMPTY_DAY} for d in range(1, 32)]
    trend[1], trend[2] = DEC_2, DEC_3
    expected.update({"kind": "monthly", "periodStart": "2026-12-01", "periodEnd": "2026-12-31",
                     "since": "2026-11-30T15:00:00+00:00", "until": "2026-12-31T15:00:00+00:00",
                     "conflicts": _conflicts_whole_day(known_data), "trend": trend,
                     # November: r0 and its 100,000 card payment
                     "growth": {"previousStart": "2026-11-01", "bookings": "500.0", "net": "186.0",
                                "previousBookings": 1, "previousNet": 100_000},
                     "fees": {"bank": 500, "gateway": 3_000},
                     "chargebacks": {"count": 1, "amount": 100_000}})
    sla = f.pop("sla")
    assert f == expected
    by_key = {m["key"]: m for m in sla}
    # seed 001 appendix A, measured by app.observability.slo over the same month
    assert (by_key["payment_success"]["good"], by_key["payment_success"]["total"]) == (3, 5)
    assert by_key["payment_success"]["met"] is False
    assert (by_key["payout_success"]["good"], by_key["payout_success"]["total"]) == (3, 4)
    assert (by_key["reconciliation_match"]["good"], by_key["reconciliation_match"]["total"]) == (998, 1000)
    assert by_key["reconciliation_match"]["met"] is False


def test_a_figure_stays_the_same_when_computed_again_and_follows_new_rows(known_data, clock):
    clock.freeze(kst(12, 3, 18))
    first = run_report("daily", send=False)
    figures_then = dict(first.figures)
    again = run_report("daily", send=False)
    assert again.id == first.id and again.times_computed == 2 and again.figures == figures_then
    known_data.ledger("card_charge", 1_000, kst(12, 3, 17))
    assert run_report("daily", send=False).figures["revenue"]["card"] == 351_000


def test_an_empty_day_has_no_rates_and_zero_counts(app, clock):
    clock.freeze(kst(12, 3, 18))
    f = figures.compute_figures(policies.period_for("daily", DAY), clock.now())
    assert f["bookings"] == {"made": 0, "rooms": 0, "bookedAmount": 0, "paid": 0, "canceled": 0}
    assert f["payments"]["successRate"] is None and f["payouts"]["successRate"] is None
    assert f["reconciliation"]["matchRate"] is None
    assert f["fund"]["closing"] == 0 and f["conflicts"]["total"] == 0
