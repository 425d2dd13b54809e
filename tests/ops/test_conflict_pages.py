"""Seed 000 on the conflicts pages: patterns and weekly/monthly statistics, DISMISSED with an
internal reason, and the clean-up of old conflict logs."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.booking.models import BookingConflict
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.extensions import db
from app.ops import services
from tests.factories import make_hotel, make_operator, make_room_type

UTC = timezone.utc
# Wednesday 2026-11-25 10:00 in Seoul.
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def seoul(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


def add_conflict(room_type, created_at: datetime, *, resolution: str = "PENDING_REVIEW", name: str = "김민지",
                 email: str = "minji@example.com", check_in: date = date(2026, 12, 24), nights: int = 1):
    conflict = BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id, check_in=check_in,
                               check_out=check_in + timedelta(days=nights), number_of_rooms=1, guest_name=name,
                               guest_email=email, guest_phone="010-1234-5678", resolution=resolution,
                               alternatives=[{"check_in": "2026-12-26"}], request_id="req_x",
                               idempotency_key=f"k-{created_at.isoformat()}-{name}-{resolution}",
                               created_at=created_at, updated_at=created_at)
    db.session.add(conflict)
    db.session.flush()
    return conflict


# --- patterns and statistics ------------------------------------------------------------------

def test_the_patterns_page_shows_known_counts_in_korean(client, login_as, clock):
    clock.freeze(NOW)
    deluxe = make_room_type(make_hotel(name="바다호텔"), name="디럭스")
    twin = make_room_type(make_hotel(name="시티호텔"), name="트윈")
    for minute in (5, 20, 40):
        add_conflict(deluxe, seoul(date(2026, 11, 24), 20, minute))
    add_conflict(twin, seoul(date(2026, 11, 23), 9, 30), resolution="DISMISSED")
    add_conflict(twin, seoul(date(2026, 11, 10), 9, 30))           # outside the default 7 days
    db.session.commit()
    login_as("staff")
    response = client.get("/ops/conflicts/patterns")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "충돌 4건" in page
    assert "오후 8:00–오후 9:00" in page and "오전 9:00–오전 10:00" in page
    assert page.index("디럭스") < page.index("트윈")              # most often full first
    assert "PENDING_REVIEW" not in page and "DISMISSED" not in page   # no codes on a Korean page
    # a chosen range
    wide = client.get("/ops/conflicts/patterns", query_string={"start": "2026-11-01", "end": "2026-11-25"})
    assert "충돌 5건" in wide.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    {"start": "2026-11-25", "end": "2026-11-01"},       # backwards
    {"start": "1900-01-01", "end": "2026-11-01"},       # out of range
    {"start": "2020-01-01", "end": "2026-11-01"},       # too long
    {"start": "not a date"},
    {"end": "99999-01-01"},
])
def test_a_bad_range_is_explained_not_a_500(client, login_as, clock, query):
    clock.freeze(NOW)
    login_as("staff")
    response = client.get("/ops/conflicts/patterns", query_string=query)
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)


def test_weekly_and_monthly_statistics_against_the_period_before():
    from app.ops.conflict_stats import monthly_stats, weekly_stats

    room_type = make_room_type()
    # last complete week: Mon 16 – Sun 22 Nov; the week before: Mon 9 – Sun 15 Nov
    for day, hour in ((date(2026, 11, 16), 20), (date(2026, 11, 18), 20), (date(2026, 11, 22), 23)):
        add_conflict(room_type, seoul(day, hour, 30))
    add_conflict(room_type, seoul(date(2026, 11, 9), 0, 0))
    add_conflict(room_type, seoul(date(2026, 11, 23), 0, 0))      # this week: not in a complete week
    add_conflict(room_type, seoul(date(2026, 10, 31), 23, 59))    # October
    weeks = weekly_stats(date(2026, 11, 25), 2)
    assert [(w.first_day, w.last_day, w.patterns.total, w.previous_total) for w in weeks] == [
        (date(2026, 11, 16), date(2026, 11, 22), 3, 1), (date(2026, 11, 9), date(2026, 11, 15), 1, 0)]
    assert weeks[0].change_percent == 200.0 and weeks[0].patterns.peak_hours(1) == [20]
    assert weeks[1].change_percent is None
    months = monthly_stats(date(2026, 12, 2), 2)
    assert [(m.first_day, m.last_day, m.patterns.total, m.previous_total) for m in months] == [
        (date(2026, 11, 1), date(2026, 11, 30), 5, 1), (date(2026, 10, 1), date(2026, 10, 31), 1, 0)]
    assert months[1].change_percent is None   # nothing the month before: no percentage


# --- DISMISSED ------------------------------------------------------------------------------

def test_dismissing_needs_a_written_reason_a_confirm_step_and_is_audited(client, login_as, clock):
    clock.freeze(NOW)
    conflict = add_conflict(make_room_type(), NOW - timedelta(hours=1))
    db.session.commit()
    staff = login_as("staff")
    url = f"/ops/conflicts/{conflict.id}/dismiss"
    form = client.get(url)
    assert form.status_code == 200 and "🛑" in form.get_data(as_text=True)

    refused = client.post(url, data={"reason": "  "})
    assert refused.status_code == 422
    db.session.refresh(conflict)
    assert conflict.resolution == "PENDING_REVIEW"

    confirm = client.post(url, data={"reason": "같은 손님이 바로 다른 날짜로 예약했습니다"})
    assert confirm.status_code == 200 and 'name="confirmed" value="yes"' in confirm.get_data(as_text=True)
    db.session.refresh(conflict)
    assert conflict.resolution == "PENDING_REVIEW"    # the confirm step changes nothing

    done = client.post(url, data={"reason": "같은 손님이 바로 다른 날짜로 예약했습니다", "confirmed": "yes"})
    assert done.status_code == 302
    db.session.refresh(conflict)
    assert (conflict.resolution, conflict.resolved_by_id, conflict.resolution_note) == (
        "DISMISSED", staff.id, "같은 손님이 바로 다른 날짜로 예약했습니다")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "conflict.dismissed"))
    assert (event.actor_id, event.from_state, event.to_state, event.reason) == (
        staff.id, "PENDING_REVIEW", "DISMISSED", "같은 손님이 바로 다른 날짜로 예약했습니다")
    from app.notifications.models import OutboxMessage
    assert db.session.scalar(select(OutboxMessage.id)) is None   # nothing goes to the guest

    # no longer on the review list; a second dismissal changes nothing
    assert "김민지" not in client.get("/ops/conflicts").get_data(as_text=True)
    again = client.post(url, data={"reason": "중복", "confirmed": "yes"})
    assert again.status_code == 302
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "conflict.dismissed")
                             .where(AuditEvent.id != event.id)) is None
    assert client.get("/ops/conflicts/2147483648/dismiss").status_code == 404
    assert client.get("/ops/conflicts/999999/dismiss").status_code == 404


def test_the_service_refuses_a_dismissal_without_reason_or_after_compensation():
    from app.core.errors import ValidationFailed
    from app.refunds.compensation import compensate_conflict

    manager = make_operator("manager")
    conflict = add_conflict(make_room_type(), NOW)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.dismiss_conflict(conflict.id, reason="", actor=Actor.operator(manager))
    compensate_conflict(conflict.id, actor=Actor.operator(manager))
    with pytest.raises(services.ConflictAlreadyClosed):
        services.dismiss_conflict(conflict.id, reason="중복", actor=Actor.operator(manager))
    db.session.refresh(conflict)
    assert conflict.resolution == "RESOLVED"


# --- clean-up of old conflict logs ----------------------------------------------------------------

def test_cleanup_anonymises_old_closed_conflicts_and_never_unresolved_ones(clock, run_worker, app):
    from app.extensions import get_queue

    clock.freeze(NOW)
    room_type = make_room_type()
    old = NOW - timedelta(days=366)
    old_resolved = add_conflict(room_type, old, resolution="RESOLVED", name="Old Resolved")
    old_dismissed = add_conflict(room_type, old, resolution="DISMISSED", name="Old Dismissed")
    old_waiting = add_conflict(room_type, old, resolution="PENDING_REVIEW", name="Old Waiting")
    recent = add_conflict(room_type, NOW - timedelta(days=364), resolution="RESOLVED", name="Recent")
    db.session.commit()
    before = (room_type.hotel_id, old_resolved.check_in, old_resolved.created_at)
    ids = [row.id for row in (old_resolved, old_dismissed, old_waiting, recent)]

    get_queue("low").enqueue("workers.jobs.ops.clean_up_old_conflicts", job_id="ops-conflict-cleanup-test")
    run_worker(["low"])
    db.session.expire_all()
    old_resolved, old_dismissed, old_waiting, recent = (db.session.get(BookingConflict, i) for i in ids)
    for gone in (old_resolved, old_dismissed):
        assert (gone.guest_name, gone.guest_email, gone.guest_phone, gone.alternatives, gone.idempotency_key,
                gone.request_id) == ("", "", "", [], None, None)
    assert (old_resolved.hotel_id, old_resolved.check_in, old_resolved.created_at) == before  # stats keep
    assert old_waiting.guest_name == "Old Waiting" and old_waiting.guest_email == "minji@example.com"
    assert recent.guest_name == "Recent"
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "conflict.cleanup")))
    assert len(events) == 1 and events[0].data["count"] == 2

    assert services.clean_up_old_conflicts() == 0     # twice: nothing more, no second audit row
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "conflict.cleanup",
                                                         AuditEvent.id != events[0].id)) is None


def test_retention_days_come_from_the_settings(app, clock):
    clock.freeze(NOW)
    room_type = make_room_type()
    add_conflict(room_type, NOW - timedelta(days=40), resolution="RESOLVED")
    db.session.commit()
    assert app.config["CONFLICT_RETENTION_DAYS"] == 365
    assert services.clean_up_old_conflicts() == 0
    assert services.clean_up_old_conflicts(retention_days=30) == 1
    with pytest.raises(ValueError):
        services.clean_up_old_conflicts(retention_days=0)


def test_the_cleanup_is_a_periodic_job():
    from workers.cron import PERIODIC_JOBS

    func, queue, schedule = PERIODIC_JOBS["ops-conflict-cleanup"]
    assert func == "workers.jobs.ops.clean_up_old_conflicts" and queue == "low" and "cron" in schedule
