"""Time spans in plain words, as the back office shows them."""
from datetime import datetime, timedelta, timezone

import pytest

from app.ops.formatting import format_time_ago, format_time_left

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=-1), "past due"),
    (timedelta(0), "past due"),
    (timedelta(seconds=20), "1 min"),
    (timedelta(minutes=9, seconds=1), "10 min"),
    (timedelta(hours=2), "2 h"),
    (timedelta(hours=2, minutes=15), "2 h 15 min"),
    (timedelta(hours=24), "24 h"),
    (timedelta(days=3, hours=4), "3 d 4 h"),
    (timedelta(days=3), "3 d"),
])
def test_time_left(app, delta, text):
    with app.test_request_context("/?lang=en"):
        assert format_time_left(NOW + delta, NOW) == text


@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=30), "just now"),
    (timedelta(minutes=5), "5 min ago"),
    (timedelta(hours=1), "1 h ago"),
    (timedelta(hours=1, minutes=5), "1 h 5 min ago"),
    (timedelta(days=3), "3 d ago"),
])
def test_time_ago(app, delta, text):
    with app.test_request_context("/?lang=en"):
        assert format_time_ago(NOW - delta, NOW) == text


def test_time_left_in_korean(app):
    with app.test_request_context("/?lang=ko"):
        assert format_time_left(NOW + timedelta(hours=2, minutes=15), NOW) == "2시간 15분"
