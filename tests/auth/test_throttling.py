"""Failed sign-ins: one answer for every failure, a growing wait for the guesser's own network,
only a short back-off for the person whose email is guessed, and that person told on their next sign-in."""
from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.auth.models import SignInFailure
from app.core.audit import AuditEvent
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
def test_wait_for_one_email_from_one_address_grows_from_one_to_fifteen_minutes(failures, wait):
    times = [T0 + timedelta(seconds=10 * i) for i in range(failures)]
    until = compute_account_wait(times, now=times[-1], rule=THROTTLE["pair"])
    assert (until - times[-1] if until else None) == wait


def test_account_wait_ends_and_old_failures_leave_the_window():
    times = [T0 + timedelta(seconds=i) for i in range(5)]
    assert compute_account_wait(times, now=times[-1] + minutes(1), rule=THROTTLE["pair"]) is None
    assert compute_account_wait(times, now=T0 + THROTTLE["pair"]["window"] + minutes(1),
                                rule=THROTTLE["pair"]) is None


@pytest.mark.parametrize("failures, wait", [
    (4, None),
    (5, timedelta(seconds=5)),   # the account as a whole: a short back-off only
    (6, timedelta(seconds=10)),
    (7, timedelta(seconds=20)),
    (8, timedelta(seconds=30)),  # 40 → capped at 30 seconds
    (50, timedelta(seconds=30)),
])
def test_wait_for_an_account_from_anywhere_is_a_short_back_off_of_at_most_thirty_seconds(failures, wait):
    times = [T0 + timedelta(seconds=10 * i) for i in range(failures)]
    until = compute_account_wait(times, now=times[-1], rule=THROTTLE["account"])
    assert (until - times[-1] if until else None) == wait


@pytest.mark.parametrize("gap, waits", [(minutes(14), True), (minutes(16), False)])
def test_a_run_of_failures_ends_after_fifteen_quiet_minutes(gap, waits):
    times = [T0 + gap * i for i in range(5)]
    assert (compute_account_wait(times, now=times[-1], rule=THROTTLE["pair"]) is not None) is waits


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
    assert max(waits) <= THROTTLE["pair"]["max_wait"].total_seconds() // 60


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


ATTACKER, OFFICE = {"REMOTE_ADDR": "198.51.100.66"}, {"REMOTE_ADDR": "203.0.113.7"}


def test_someone_failing_a_colleagues_password_elsewhere_keeps_them_out_thirty_seconds_at_most(app, clock):
    """A patient attacker, one try a second from ever new addresses (so no network rule
    binds them), never keeps the person at the office out for longer than 30 seconds."""
    clock.freeze(T0)
    operator = make_operator("staff")
    attacker, refused_attacks, office_waits = app.test_client(), 0, []
    for step in range(90):
        attack = sign_in(attacker, operator.email, WRONG, environ_base={"REMOTE_ADDR": f"198.51.100.{step + 1}"})
        refused_attacks += attack.status_code == 429
        if step % 15 == 14:  # the real person signs in now and then, right password
            office = sign_in(app.test_client(), operator.email, environ_base=OFFICE)
            if office.status_code == 429:
                office_waits.append(int(office.headers["Retry-After"]))
                clock.advance(seconds=office_waits[-1])
                office = sign_in(app.test_client(), operator.email, environ_base=OFFICE)
            assert office.status_code == 302
        clock.advance(seconds=1)
    assert refused_attacks > 30            # the attack was slowed down …
    assert office_waits and max(office_waits) <= 30  # … the person only ever waited the short back-off


def test_the_guessers_network_keeps_its_long_wait_after_the_real_person_signs_in(app, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    for _ in range(5):
        assert sign_in(app.test_client(), operator.email, WRONG, environ_base=ATTACKER).status_code == 200
    clock.advance(seconds=31)
    assert sign_in(app.test_client(), operator.email, environ_base=OFFICE).status_code == 302
    refused = sign_in(app.test_client(), operator.email, WRONG, environ_base=ATTACKER)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60


def test_the_throttled_page_says_seconds_for_a_short_wait(app, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    for i in range(5):
        sign_in(app.test_client(), operator.email, WRONG, environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"})
    response = sign_in(app.test_client(), operator.email, environ_base=OFFICE, query_string={"lang": "en"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "5"
    assert "Wait 5 seconds" in response.get_data(as_text=True)


def _flashes(client) -> str:
    return client.get("/ops/").get_data(as_text=True)


def test_an_operator_is_told_on_their_next_sign_in_that_others_failed_their_password(app, clock):
    clock.freeze(T0)
    operator = make_operator("staff", language="en")
    for i in range(3):
        sign_in(app.test_client(), operator.email, WRONG, environ_base={"REMOTE_ADDR": f"198.51.100.{i % 2 + 1}"})
        clock.advance(minutes=1)
    clock.advance(hours=2)
    office = app.test_client()
    assert sign_in(office, operator.email, environ_base=OFFICE).status_code == 302
    page = _flashes(office)
    assert "a wrong password was typed for your account 3 time(s), from 2 network(s)" in page
    told = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "operator.told_of_failed_sign_ins")).all()
    assert [(e.entity_id, e.data["count"], e.data["addresses"]) for e in told] == [(str(operator.id), 3, 2)]
    # Told once: the next sign-in has nothing new to tell.
    clock.advance(minutes=5)
    again = app.test_client()
    assert sign_in(again, operator.email, environ_base=OFFICE).status_code == 302
    assert "wrong password was typed" not in _flashes(again)


def test_an_operators_own_typos_just_before_signing_in_are_not_reported_as_an_attack(app, clock):
    clock.freeze(T0)
    operator = make_operator("staff", language="en")
    office = app.test_client()
    for _ in range(2):
        assert sign_in(office, operator.email, WRONG, environ_base=OFFICE).status_code == 200
    assert sign_in(office, operator.email, environ_base=OFFICE).status_code == 302
    assert "wrong password was typed" not in _flashes(office)
    assert audit_actions("operator.told_of") == []


def test_the_warning_is_in_korean_for_a_korean_operator(app, clock):
    clock.freeze(T0)
    operator = make_operator("staff")
    sign_in(app.test_client(), operator.email, WRONG, environ_base=ATTACKER)
    clock.advance(hours=1)
    office = app.test_client()
    assert sign_in(office, operator.email, environ_base=OFFICE).status_code == 302
    page = office.get("/ops/").get_data(as_text=True)
    assert "🛑 지난 로그인 이후 내 계정에 잘못된 비밀번호가 1회 입력되었습니다" in page
