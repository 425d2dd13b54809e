"""The language conventions: times, dates, relative times, money, names and Korean particles."""
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import render_template_string

from app.core import language as L

AFTERNOON = datetime(2026, 12, 29, 6, 5, tzinfo=timezone.utc)   # 15:05 in Seoul
MORNING = datetime(2026, 12, 29, 1, 12, tzinfo=timezone.utc)    # 10:12 in Seoul


def test_time_of_day_per_language():
    assert L.time_of_day(MORNING, "ko", "Asia/Seoul") == "오전 10:12"
    assert L.time_of_day(AFTERNOON, "ko", "Asia/Seoul") == "오후 3:05"
    assert L.time_of_day(AFTERNOON, "ja", "Asia/Seoul") == "15:05"
    assert L.time_of_day(AFTERNOON, "en", "Asia/Seoul") == "3:05 PM"
    assert "AM" not in L.time_of_day(MORNING, "ko", "Asia/Seoul")


def test_one_date_style_never_iso_never_double_period():
    assert L.day(date(2026, 12, 29), "ko") == "2026년 12월 29일 (화)"
    assert L.day("2026-12-29", "ko") == "2026년 12월 29일 (화)"
    assert L.day(date(2026, 12, 29), "ja") == "2026年12月29日(火)"
    assert L.day(date(2026, 12, 29), "en") == "Tue, Dec 29, 2026"
    assert L.day(date(2026, 12, 29), "ko", weekday=False) == "2026년 12월 29일"
    assert L.day(date(2026, 12, 29), "ko", year=False) == "12월 29일 (화)"
    text = L.moment(AFTERNOON, "ko", "Asia/Seoul")
    assert text == "2026년 12월 29일 (화) 오후 3:05"
    assert ".." not in text and "2026-" not in text
    # the date follows the zone: 23:30 UTC is the next morning in Seoul
    assert L.day(datetime(2026, 12, 28, 23, 30, tzinfo=timezone.utc), "ko", "Asia/Seoul").startswith("2026년 12월 29일")
    assert L.moment("2026-12-29T06:05:00+00:00", "en", "Asia/Seoul") == "Tue, Dec 29, 2026 3:05 PM"
    assert L.moment("not a date", "ko") == "not a date"
    assert L.day(None) == "" and L.moment(None) == "" and L.time_of_day(None) == ""


def test_relative_times():
    assert L.ago(AFTERNOON - timedelta(minutes=2), AFTERNOON, "ko") == "2분 전"
    assert L.ago(AFTERNOON - timedelta(hours=3), AFTERNOON, "ja") == "3時間前"
    assert L.ago(AFTERNOON - timedelta(minutes=2), AFTERNOON, "en") == "2 minutes ago"
    assert L.ago(AFTERNOON - timedelta(seconds=20), AFTERNOON, "ko") == "방금"
    assert L.ago(AFTERNOON.replace(tzinfo=None) - timedelta(days=2), AFTERNOON, "ko") == "2일 전"


def test_money_is_won_with_grouping_in_every_language():
    for lang in ("ko", "ja", "en"):
        assert L.money(300000, "KRW", lang) == "₩300,000"


@pytest.mark.parametrize("first,last,lang,expected", [
    ("지현", "오", "ko", "오지현 님"),
    ("서연", "이", "ko", "이서연 님"),
    ("지현", "오", "en", "지현 오"),
    ("花子", "山田", "ja", "山田 花子 様"),
    ("花子", "山田", "ko", "山田 花子 님"),
    ("John", "Smith", "en", "John Smith"),
    ("John", "Smith", "ko", "John Smith 님"),
    ("John", "Smith", "ja", "John Smith 様"),
    ("", "", "ko", ""),
])
def test_names_in_each_languages_order(first, last, lang, expected):
    assert L.display_name(first, last, lang) == expected


def test_name_without_honorific_and_single_names():
    assert L.display_name("지현", "오", "ko", honorific=False) == "오지현"
    assert L.with_honorific("오지현", "ko") == "오지현 님"
    assert L.with_honorific("山田花子", "ja") == "山田花子 様"
    assert L.with_honorific("Jane Doe", "en") == "Jane Doe"


@pytest.mark.parametrize("word,pair,expected", [
    ("₩300,000", "을/를", "₩300,000을"),      # 삼십만: ㄴ
    ("₩120,000", "이/가", "₩120,000이"),      # 십이만: ㄴ
    ("₩15", "이/가", "₩15가"),                # 십오
    ("₩10", "을/를", "₩10을"),                # 십: ㅂ
    ("₩100", "이/가", "₩100이"),              # 백: ㄱ
    ("1", "으로/로", "1로"),                  # 일: ㄹ takes 로
    ("3", "으로/로", "3으로"),                # 삼: ㅁ
    ("카드", "으로/로", "카드로"),
    ("계좌 이체", "으로/로", "계좌 이체로"),
    ("현금", "으로/로", "현금으로"),
    ("서울", "으로/로", "서울로"),               # ㄹ
    ("호텔", "을/를", "호텔을"),
    ("예약", "이/가", "예약이"),
    ("환불", "은/는", "환불은"),
    ("객실", "과/와", "객실과"),
    ("오지현 님", "이/가", "오지현 님이"),
    ("(주)", "이/가", "(주)가"),
    ("HTML", "을/를", "HTML을"),
    ("API", "를", "API를"),
])
def test_josa(word, pair, expected):
    assert L.josa(word, pair) == expected


def test_josa_reads_past_symbols_and_never_writes_both_forms():
    assert L.josa("호텔 ★", "을/를") == "호텔 ★을"          # the last letter decides
    assert L.josa("みかん", "을/를") == "みかん을" and L.josa("ホテル", "이/가") == "ホテル가"
    assert L.josa("★", "을/를") == "★를"                    # nothing readable: the vowel form
    assert L.particle("東京", "으로/로") == "로"
    for word in ("★", "東京", "", "🙂"):
        for pair in L.PARTICLES:
            assert "(" not in L.particle(word, pair)


def test_template_filters_follow_the_request_language(app):
    with app.test_request_context("/?lang=ko"):
        from flask_babel import refresh

        refresh()
        text = render_template_string(
            "{{ t|moment }} · {{ t|time_of_day }} · {{ d|day }} · {{ display_name('지현', '오') }} · "
            "{{ '₩300,000'|josa('을/를') }}", t=AFTERNOON, d=date(2026, 12, 29))
    assert "오후 3:05" in text and "2026년 12월 29일 (화)" in text
    assert "오지현 님" in text and "₩300,000을" in text
    with app.test_request_context("/?lang=en"):
        from flask_babel import refresh

        refresh()
        text = render_template_string("{{ t|time_of_day }} {{ display_name('John', 'Smith') }}", t=AFTERNOON)
    assert "PM" in text and "John Smith" in text
