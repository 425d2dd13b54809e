"""The reports pages: staff read, managers compute; the figures as plain tables (no JavaScript needed);
the CSV (UTF-8 with BOM, the same figures); no 500 for any address."""
from __future__ import annotations

import csv
import io

import pytest

from app.reports.services import run_report
from tests.reports.conftest import kst


@pytest.fixture
def daily(known_data, clock):
    clock.freeze(kst(12, 3, 18))
    return run_report("daily", send=False)


def test_staff_reads_the_daily_report_in_korean_with_every_figure_in_a_table(daily, client, login_as):
    login_as("staff")
    page = client.get("/ops/reports/daily/2026-12-03").get_data(as_text=True)
    assert "일간 리포트 · 2026년 12월 3일 목요일" in page
    for text in ('data-figure="bookings.made"><th scope="row">예약 건수</th><td class="num">3</td>',
                 'data-figure="revenue.net"><th scope="row">순수입</th><td class="num">₩280,000</td>',
                 'data-figure="payments.successRate"><th scope="row">결제 성공률 (목표 98 % 이상)</th>'
                 '<td class="num">75.00 %</td>',
                 'data-figure="payouts.late"><th scope="row">지연된 송금 (1시간 안에 끝나지 않음)</th><td class="num">3</td>',
                 'data-figure="fund.closing"><th scope="row">마감 잔액</th><td class="num">₩1,420,000</td>',
                 'data-figure="reconciliation.matchRate"><th scope="row">대사 일치율 (목표 99.9 % 이상)</th>'
                 '<td class="num">99.80 %</td>',
                 'data-figure="messages.failed"><th scope="row">보내지 못한 메시지</th><td class="num">1</td>',
                 "가장 많았던 시간대:", "<strong>오후 2:00–오후 3:00</strong>", "<strong>오전 12:00–오전 1:00</strong>", "한강 호텔 · 디럭스",
                 'data-severity="CRITICAL"><td>긴급</td><td class="num">2</td><td class="num">2</td>'
                 '<td class="num">1</td><td class="num">25분</td>',
                 'canvas data-chart="hours"', 'id="report-charts"', "vendor/chart.js/chart.umd.min.js",
                 "2026년 12월 3일 (목) 오후 6:00까지 집계했습니다."):
        assert text in page, text
    # codes only in the folded details
    assert "payment_confirmed" in page.split("<details")[1] and "payment_confirmed" not in page.split("<details")[0]
    assert "다시 세기" not in page            # staff cannot compute


def test_the_csv_has_a_bom_and_the_same_figures(daily, client, login_as):
    login_as("staff")
    response = client.get("/ops/reports/daily/2026-12-03.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "report-daily-2026-12-03.csv" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["구분", "항목", "값", "화면 표시"]
    assert rows[1] == ["리포트", "일간 리포트", "2026-12-03", "2026-12-03"]
    by_label = {(r[0], r[1]): r[2:] for r in rows[2:]}
    assert by_label[("예약", "예약 건수")] == ["3", "3"]
    assert by_label[("들어오고 나간 돈 (장부 기준)", "순수입")] == ["280000", "₩280,000"]
    assert by_label[("결제", "결제 성공률 (목표 98 % 이상)")] == ["0.7500", "75.00 %"]
    assert by_label[("송금 (우리가 보내는 돈)", "지연된 송금 (1시간 안에 끝나지 않음)")] == ["3", "3"]
    assert by_label[("운영 자금", "가장 낮았던 잔액")] == ["850000", "₩850,000"]
    assert by_label[("호텔별 충돌", "한강 호텔")] == ["2", "2"]
    assert by_label[("숙박일별 충돌", "2026-12-24")] == ["2", "2"]
    assert by_label[("시간대별 충돌", "14:00")] == ["2", "2"]
    figure_rows = [r for r in rows[2:] if r[0] in {"예약", "결제", "송금 (우리가 보내는 돈)", "환불", "대사", "운영 자금",
                                                  "예약 충돌", "고객 메시지", "알림", "들어오고 나간 돈 (장부 기준)"}]
    assert len(figure_rows) == 5 + 7 + 5 + 8 + 5 + 6 + 6 + 1 + 3 + 1


def test_the_csv_follows_the_operators_language(daily, client, login_as):
    login_as("staff", language="en")
    client.get("/ops/reports/?lang=en")
    rows = list(csv.reader(io.StringIO(client.get("/ops/reports/daily/2026-12-03.csv?lang=en")
                                       .get_data().decode("utf-8-sig"))))
    assert ["Bookings", "Bookings made", "3", "3"] in rows


def test_the_list_shows_the_runs_and_the_open_form_goes_to_the_period(daily, client, login_as):
    login_as("staff")
    page = client.get("/ops/reports/").get_data(as_text=True)
    assert 'data-run="daily-2026-12-03"' in page and "보내지 않음" in page
    response = client.get("/ops/reports/?kind=weekly&day=2026-12-03")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ops/reports/weekly/2026-11-30")


def test_a_manager_computes_a_report_staff_may_not(known_data, clock, client, login_as):
    clock.freeze(kst(12, 7, 9))
    login_as("staff")
    assert client.post("/ops/reports/compute", data={"kind": "weekly", "day": "2026-12-03"}).status_code == 403
    missing = client.get("/ops/reports/weekly/2026-11-30")
    assert missing.status_code == 404 and "아직 만들어지지 않았습니다" in missing.get_data(as_text=True)
    client.post("/auth/logout")
    login_as("manager")
    response = client.post("/ops/reports/compute", data={"kind": "weekly", "day": "2026-12-03"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/ops/reports/weekly/2026-11-30")
    page = client.get("/ops/reports/weekly/2026-11-30").get_data(as_text=True)
    assert "주간 리포트" in page and 'data-day="2026-12-03"' in page and 'canvas data-chart="trend"' in page
    assert "이메일은 보내지 않았습니다." in page
    future = client.post("/ops/reports/compute", data={"kind": "daily", "day": "2026-12-08"},
                         follow_redirects=True)
    assert "아직 시작되지 않은 기간입니다" in future.get_data(as_text=True)
    bad = client.post("/ops/reports/compute", data={"kind": "yearly", "day": "x"}, follow_redirects=True)
    assert bad.status_code == 200


def test_the_pages_need_a_sign_in(client):
    assert client.get("/ops/reports/").status_code == 302
    assert client.get("/ops/reports/daily/2026-12-03.csv").status_code == 302


@pytest.mark.parametrize("path", ["/ops/reports/yearly/2026-12-03", "/ops/reports/daily/2026-13-03",
                                  "/ops/reports/weekly/2026-12-03", "/ops/reports/monthly/2026-12-02",
                                  "/ops/reports/daily/99999999-01-01", "/ops/reports/daily/%00",
                                  "/ops/reports/daily/2026-12-03.csv", "/ops/reports/daily/0001-01-01",
                                  "/ops/reports/?kind=daily&day=99999-99-99", "/ops/reports/?kind=x&day=2026-12-03"])
def test_no_address_gives_a_500(path, client, login_as, app):
    login_as("manager")
    assert client.get(path).status_code in (200, 400, 404, 422)


def test_the_monthly_page_in_english_shows_growth_fees_and_service_levels(known_data, clock, client, login_as):
    clock.freeze(kst(1, 1, 9, year=2027))
    run_report("monthly", send=False)
    login_as("manager", language="en")
    page = client.get("/ops/reports/monthly/2026-12-01?lang=en").get_data(as_text=True)
    assert "Monthly report · December 2026" in page
    assert 'data-figure="growth.bookings"><th scope="row">Change in bookings</th><td class="num">+500.0 %</td>' in page
    assert 'data-figure="fees.gateway"><th scope="row">Card gateway fees</th><td class="num">₩3,000</td>' in page
    assert 'data-figure="chargebacks.amount"><th scope="row">Amount taken back</th><td class="num">₩100,000</td>' \
        in page
    assert 'data-slo="payment_success"><th scope="row">Payment success</th><td class="num">60.00 %</td>' in page
    assert 'canvas data-chart="trend"' in page and page.count("<tr data-day=") == 31


def test_a_date_before_2000_is_refused_in_words(app, clock, client, login_as):
    clock.freeze(kst(12, 3, 18))
    login_as("manager")
    page = client.post("/ops/reports/compute", data={"kind": "daily", "day": "1999-12-31"}, follow_redirects=True)
    assert "2000년 이후의 날짜를 고르세요." in page.get_data(as_text=True)
