"""Failed sign-ins: one answer for every failure, a short growing wait, never a permanent lock."""
from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.auth.models import SignInFailure
from app.auth.policies import THROTTLE, compute_account_wait, compute_address_wait, minutes_to_wait
from app.extensions import db
from tests.auth.helpers import audit_actions, sign_in
from tests.factories import make_operator

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
WRONG = "not the password"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.mark.parametrize("failures, wait", [
    (4, None),                 # below the limit: no wait
    (5, minutes(1)),           # the 5th failure: 1 minute
    (6, minutes(2)),           # then it doubles
    (7, minutes(4)),
    (8, minutes(8)),
    (9, minutes(15)),          # 16 → capped at 15
    (15, minutes(15)),
])
def test_account_wait_grows_from_one_to_fifteen_minutes(failures, wait):
    times = [T0 + timedelta(seconds=10 * i) for i in range(failures)]
    until = compute_account_wait(times, now=times[-1])
    assert (until - times[-1] if until else None) == wait


def test_account_wait_ends_and_old_failures_leave_the_window():
    times = [T0 + timedelta(seconds=i) for i in range(5)]
    assert compute_account_wait(times, now=times[-1] + minutes(1)) is None
    assert compute_account_wait(times, now=T0 + THROTTLE["account"]["window"] + minutes(1)) is None


@pytest.mark.parametrize("gap, waits", [(minutes(14), True), (minutes(16), False)])
def test_a_run_of_failures_ends_after_fifteen_quiet_minutes(gap, waits):
    times = [T0 + gap * i for i in range(5)]
    assert (compute_account_wait(times, now=times[-1]) is not None) is waits


def test_address_wait_starts_at_twenty_failures_and_ends_with_the_window():
    times = [T0 + timedelta(seconds=30 * i) for i in range(20)]
    assert compute_address_wait(times[:19], now=times[18]) is None
    until = compute_address_wait(times, now=times[-1])
    assert until == times[0] + minutes(15)
    assert compute_address_wait(times, now=until) is None


def test_minutes_to_wait_rounds_up_and_is_at_least_one():
    assert minutes_to_wait(T0 + timedelta(seconds=1), T0) == 1
    assert minutes_to_wait(T0 + timedelta(seconds=61), T0) == 2
    assert minutes_to_wait(T0, T0) == 1


def _visible_text(response) -> str:
    """The page without what differs per request (CSRF token, request id, echoed email)."""
    text = response.get_data(as_text=True)
    text = re.sub(r'name="csrf_token"[^>]*>', "", text)
    text = re.sub(r"req_[0-9a-f]+", "", text)
    return re.sub(r'value="[^"]*@[^"]*"', "", text)


def test_unknown_email_and_wrong_password_get_the_same_answer(client, app):
    operator = make_operator("staff")
    disabled = make_operator("staff")
    disabled.active = False
    db.session.commit()
    answers = [sign_in(app.test_client(), email, WRONG if email == operator.email else "correct horse battery",
                       query_string={"lang": "en"})
               for email in (operator.email, "nobody@frontdesk.example", disabled.email)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert _visible_text(answers[0]) == _visible_text(answers[1]) == _visible_text(answers[2])
    assert "The email or password is not right" in answers[0].get_data(as_text=True)
    assert audit_actions("operator.sign_in_failed") == ["operator.sign_in_failed"] * 3


def test_unknown_email_takes_as_long_as_a_wrong_password(app):
    """The password-hashing work is done either way (no timing oracle for which emails exist)."""
    operator = make_operator("staff")
    sign_in(app.test_client(), "warm-up@frontdesk.example")  # the dummy hash is made once

    def fastest(email: str) -> float:
        timings = []
        for i in range(3):
            c = app.test_client()
            started = time.perf_counter()
            sign_in(c, email, WRONG, environ_base={"REMOTE_ADDR": f"10.9.{len(email)}.{i}"})
            timings.append(time.perf_counter() - started)
        return min(timings)

    known, unknown = fastest(operator.email), fastest("nobody-here@frontdesk.example")
    assert unknown >= 0.5 * known, (known, unknown)


def test_five_failures_make_the_account_wait_a_minute_then_the_right_password_works(client, app, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    for _ in range(5):
        assert sign_in(client, operator.email, WRONG).status_code == 200
    response = sign_in(client, operator.email, query_string={"lang": "en"})  # even the right password waits
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    assert "Wait 1 minute(s)" in response.get_data(as_text=True)
    clock.advance(seconds=61)
    assert sign_in(client, operator.email).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)
                             .where(SignInFailure.email == operator.email)) == 0


def test_attempts_during_the_wait_are_not_counted_so_the_wait_cannot_be_stretched(client, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    for _ in range(5):
        sign_in(client, operator.email, WRONG)
    for _ in range(10):  # someone keeps hammering during the wait
        assert sign_in(client, operator.email, WRONG).status_code == 429
        clock.advance(seconds=5)
    clock.advance(seconds=15)  # 65 s after the 5th failure
    assert sign_in(client, operator.email).status_code == 302


def test_the_wait_grows_but_never_beyond_fifteen_minutes(client, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    waits = []
    for _ in range(5):
        sign_in(client, operator.email, WRONG)
    for _ in range(5):
        response = sign_in(client, operator.email, WRONG)
        assert response.status_code == 429
        waits.append(int(response.headers["Retry-After"]) // 60)
        clock.advance(minutes=waits[-1], seconds=1)
        sign_in(client, operator.email, WRONG)  # one more failure once the wait is over
    assert waits == [1, 2, 4, 8, 15]
    assert max(waits) <= THROTTLE["account"]["max_wait"].total_seconds() // 60


def test_a_successful_sign_in_clears_the_account_counter(client, app, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    for _ in range(4):
        sign_in(client, operator.email, WRONG)
    assert sign_in(client, operator.email).status_code == 302
    other = app.test_client()
    for _ in range(4):
        assert sign_in(other, operator.email, WRONG).status_code == 200
    assert sign_in(other, operator.email).status_code == 302  # 8 failures in 15 min, yet no wait


def test_twenty_failures_from_one_address_make_that_address_wait(app, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    office, elsewhere = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.9"}
    attacker = app.test_client()
    for i in range(20):  # different accounts, so no single account reaches its limit
        assert sign_in(attacker, f"guess{i % 5}-{i}@frontdesk.example", WRONG, environ_base=office).status_code == 200
    assert sign_in(app.test_client(), operator.email, environ_base=office).status_code == 429
    assert sign_in(app.test_client(), operator.email, environ_base=elsewhere).status_code == 302
    clock.advance(minutes=15)
    assert sign_in(app.test_client(), operator.email, environ_base=office).status_code == 302


def test_throttling_works_without_redis(app, clock):
    """Failures are rows in the database: the wait holds even with Redis unreachable."""
    clock.freeze(T0)
    operator = make_operator("staff")
    saved = app.extensions["frontdesk"].pop("redis", None)
    app.config["REDIS_URL"], old_url = "redis://127.0.0.1:1/0", app.config["REDIS_URL"]
    try:
        c = app.test_client()
        for _ in range(5):
            sign_in(c, operator.email, WRONG)
        assert sign_in(c, operator.email).status_code == 429
    finally:
        app.config["REDIS_URL"] = old_url
        app.extensions["frontdesk"].pop("redis", None)
        if saved is not None:
            app.extensions["frontdesk"]["redis"] = saved


def test_failures_and_sign_ins_are_logged_as_json_lines_without_the_password(client, caplog):
    operator = make_operator("staff")
    with caplog.at_level(logging.INFO, logger="app.auth.sessions"):
        sign_in(client, operator.email, "my secret guess 123")
        sign_in(client, operator.email)
    events = [getattr(r, "event", None) for r in caplog.records]
    assert "auth.sign_in_failed" in events and "auth.signed_in" in events
    assert all("my secret guess 123" not in r.getMessage() and "my secret guess 123" not in str(r.__dict__)
               for r in caplog.records)


def test_sign_in_without_a_csrf_token_is_refused_and_records_nothing(client):
    operator = make_operator("staff")
    response = client.post("/auth/login", data={"email": operator.email, "password": WRONG}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SignInFailure)) == 0
