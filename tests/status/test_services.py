"""Status services on the database: drafts stay private, publishing follows the seed's rules
(completeness, S2 timing, maintenance notice, manager override with a reason, audited),
updates move by the table, the reminder and RCA alerts fire, and the static site is written
atomically and readable with the app not serving it."""
from __future__ import annotations

import functools
import http.server
import threading
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.errors import Forbidden, IllegalTransition, ValidationFailed
from app.extensions import db
from app.status import checks, queries, services
from app.status.static import publish_site, register_static_files
from tests.status.conftest import MONDAY, TEXTS, actor, draft, published, texts


def audits(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_draft_is_not_public_until_published(clock, site):
    clock.freeze(MONDAY)
    notice = draft("S1")
    assert queries.open_published() == [] and not site.exists()
    services.publish_notice(notice.public_id, actor=actor())
    assert [n.public_id for n in queries.open_published()] == [notice.public_id]
    assert queries.component_levels()["payments"] == "major_outage"
    assert queries.component_levels()["api"] == "operational"
    assert audits("status.notice_published")
    assert "카드 결제 장애" in (site / "status.ko.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang, field", [("ko", "title"), ("ja", "body"), ("en", "impact")])
def test_publishing_refused_while_a_language_is_missing(clock, lang, field):
    clock.freeze(MONDAY)
    notice = draft("S1", texts=texts(**{lang: [field]}))
    with pytest.raises(ValidationFailed) as refused:
        services.publish_notice(notice.public_id, actor=actor())
    assert refused.value.fields == {f"{lang}.{field}": "Missing."}
    assert refused.value.extra["missing"] == {lang: [field]}
    assert queries.get_notice(notice.public_id).published_at is None


def test_s2_waits_ten_minutes_then_publishes(clock):
    clock.freeze(MONDAY)
    notice = draft("S2")
    with pytest.raises(ValidationFailed) as refused:
        services.publish_notice(notice.public_id, actor=actor())
    assert refused.value.extra["rule"] == "too_early"
    clock.advance(minutes=10)
    assert services.publish_notice(notice.public_id, actor=actor()).published_at == MONDAY + timedelta(minutes=10)


def test_override_needs_a_manager_and_a_reason(clock):
    clock.freeze(MONDAY)
    notice = draft("S2")
    with pytest.raises(Forbidden):
        services.publish_notice(notice.public_id, actor=actor("staff"), override_reason="guests are calling")
    assert audits("status.override_refused")
    assert queries.get_notice(notice.public_id).published_at is None
    with pytest.raises(ValidationFailed):
        services.publish_notice(notice.public_id, actor=actor("manager"))          # no reason, no override
    done = services.publish_notice(notice.public_id, actor=actor("manager"), override_reason="guests are calling")
    assert done.published_at == MONDAY and done.override_reason == "guests are calling"
    [event] = audits("status.notice_published")
    assert event.reason == "guests are calling" and event.data["override"] is True


def test_maintenance_short_notice_refused_then_three_business_days_publish(clock):
    clock.freeze(MONDAY)
    soon = draft("S4", kind="maintenance", scheduled_start=MONDAY + timedelta(days=2),
                 scheduled_end=MONDAY + timedelta(days=2, hours=2))
    with pytest.raises(ValidationFailed) as refused:
        services.publish_notice(soon.public_id, actor=actor())
    assert refused.value.extra["rule"] == "short_notice"
    later = draft("S4", kind="maintenance", scheduled_start=MONDAY + timedelta(days=3),
                  scheduled_end=MONDAY + timedelta(days=3, hours=2))
    assert services.publish_notice(later.public_id, actor=actor()).published_at == MONDAY
    # Scheduled maintenance does not change components before it starts.
    assert queries.component_levels()["payments"] == "operational"
    clock.advance(days=3, minutes=1)
    assert queries.component_levels()["payments"] == "maintenance"


def test_publishing_twice_changes_nothing(clock):
    clock.freeze(MONDAY)
    notice = published("S1")
    clock.advance(minutes=5)
    again = services.publish_notice(notice.public_id, actor=actor())
    assert again.published_at == MONDAY and len(audits("status.notice_published")) == 1


def test_updates_follow_the_transition_table_and_resolve(clock):
    clock.freeze(MONDAY)
    notice = published("S1")
    services.post_update(notice.public_id, status="identified", texts=TEXTS, actor=actor())
    services.post_update(notice.public_id, status="resolved", texts=TEXTS, actor=actor())
    fresh = queries.get_notice(notice.public_id)
    assert fresh.status == "resolved" and fresh.resolved_at == MONDAY
    assert queries.component_levels()["payments"] == "operational"
    with pytest.raises(IllegalTransition):
        services.post_update(notice.public_id, status="monitoring", texts=TEXTS, actor=actor())
    with pytest.raises(ValidationFailed):
        services.post_update(notice.public_id, status="resolved", texts=texts(en=["body"]), actor=actor())


def test_reminder_fires_when_the_next_update_is_late(clock):
    clock.freeze(MONDAY)
    notice = published("S1", next_update_at=MONDAY + timedelta(minutes=30))
    assert checks.check_status_update_overdue() == []
    clock.advance(minutes=31)
    [firing] = checks.check_status_update_overdue()
    assert firing.subject == f"status:{notice.public_id}"
    services.post_update(notice.public_id, status="identified", texts=TEXTS, actor=actor(),
                         next_update_at=clock.now() + timedelta(minutes=30))
    assert checks.check_status_update_overdue() == []


def test_reminder_rule_is_in_the_alert_table():
    from app.alerts.rules import RULES

    assert RULES["status_update_overdue"].severity == "WARNING" and RULES["status_update_overdue"].area == "system"
    assert RULES["rca_overdue"].check_function() is checks.check_rca_overdue


@pytest.mark.parametrize("severity, hours", [("S1", 48), ("S2", 72)])
def test_rca_overdue_after_48_or_72_hours(clock, severity, hours):
    clock.freeze(MONDAY)
    notice = published(severity, override_reason="now")
    services.post_update(notice.public_id, status="resolved", texts=TEXTS, actor=actor())
    clock.advance(hours=hours - 1)
    assert checks.check_rca_overdue() == [] and len(queries.rca_waiting()) == 1
    clock.advance(hours=2)
    assert [f.subject for f in checks.check_rca_overdue()] == [f"status:{notice.public_id}"]
    rca = {lang: {f: f"{lang} {f}" for f in ("overview", "cause", "mitigation", "prevention", "evidence",
                                             "contact")} for lang in ("ko", "ja", "en")}
    with pytest.raises(ValidationFailed):
        services.save_rca(notice.public_id, texts={**rca, "ja": {}}, actor=actor(), publish=True)
    services.save_rca(notice.public_id, texts=rca, actor=actor(), publish=True)
    assert checks.check_rca_overdue() == [] and queries.rca_waiting() == []


def test_s3_needs_no_rca(clock):
    clock.freeze(MONDAY)
    notice = published("S3")
    services.post_update(notice.public_id, status="resolved", texts=TEXTS, actor=actor())
    clock.advance(days=10)
    assert checks.check_rca_overdue() == [] and queries.rca_waiting() == []


def test_static_site_is_read_with_the_app_not_serving(clock, site):
    """Render, then serve the directory with a plain http.server (no Flask, no database)."""
    clock.freeze(MONDAY)
    notice = published("S1", next_update_at=MONDAY + timedelta(minutes=30))
    names = sorted(p.name for p in site.iterdir())
    assert {"index.html", "status.ko.html", "status.ja.html", "status.en.html"} <= set(names)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"

        def read(path):
            return urllib.request.urlopen(base + path, timeout=5).read().decode("utf-8")

        index = read("/")
        assert "status.ko.html" in index and "status.ja.html" in index and "status.en.html" in index
        ko, ja, en = read("/status.ko.html"), read("/status.ja.html"), read("/status.en.html")
    finally:
        server.shutdown()
        server.server_close()
    assert "카드 결제 장애" in ko and "13:00 KST" in ko and "04:00 UTC" in ko and "13:30 KST" in ko
    assert "カード決済の障害" in ja and "13:00 JST" in ja
    assert "Card payments down" in en and "All card payments fail" in en and "04:00 UTC" in en
    assert "<style>" in ko and "/static/" not in ko                 # the CSS travels with the page
    assert "2026-12-07 13:00 KST" in ko                                # when it was generated
    assert notice.public_id in ko


def test_static_render_swaps_atomically_and_keeps_no_leftovers(clock, site):
    clock.freeze(MONDAY)
    publish_site()
    first = (site / "status.ko.html").read_text(encoding="utf-8")
    clock.advance(minutes=1)
    publish_site()
    assert (site / "status.ko.html").read_text(encoding="utf-8") != first
    assert [p.name for p in site.parent.iterdir() if p.name.startswith(".status-site")] == []


def test_other_packages_add_files_to_the_static_site(clock, site):
    def extra(directory):
        (site.parent / "marker").write_text("x")
        import pathlib

        pathlib.Path(directory, "hello.html").write_text("<p>hello</p>", encoding="utf-8")
        return ["hello.html"]

    register_static_files(extra)
    try:
        names = publish_site()
    finally:
        from app.status import static

        static.CONTRIBUTORS.remove(extra)
    assert "hello.html" in names and (site / "hello.html").exists()


def test_the_refresh_job_renders_the_same_pages_twice(clock, site, run_worker):
    from workers.jobs.status import refresh_static_status_site

    clock.freeze(MONDAY)
    published("S1")
    first = refresh_static_status_site()
    second = refresh_static_status_site()
    assert first == second and first["files"] >= 4
    assert "카드 결제 장애" in (site / "status.ko.html").read_text(encoding="utf-8")


def test_server_down_pages_are_published_alongside(clock, site):
    clock.freeze(MONDAY)
    names = publish_site()
    assert "server-down.ko.html" in names and (site / "server-down.ko.html").exists()


def test_flask_status_publish_renders_the_site(runner, clock, site):
    clock.freeze(MONDAY)
    published("S1")
    result = runner.invoke(args=["status", "publish"])
    assert result.exit_code == 0 and "files written" in result.output
    assert "카드 결제 장애" in (site / "status.ko.html").read_text(encoding="utf-8")
