"""The status pages through the client: the operator's editor (three languages, preview, confirm
step, missing languages named, S2 wait and the manager's override), updates and the RCA, the public
page in the guest's language, the banner on the booking pages, roles and bad ids."""
from __future__ import annotations

from datetime import timedelta

from app.status import queries
from tests.status.conftest import MONDAY, TEXTS, published


def _form(severity="S1", drop=(), **extra):
    data = {"kind": "incident", "severity": severity, "started_at": "", "scheduled_start": "", "scheduled_end": "",
            "next_update": "30", "component_payments": "major_outage"}
    for lang, part in TEXTS.items():
        for field, value in part.items():
            data[f"{field}_{lang}"] = "" if (lang, field) in drop else value
    data.update(extra)
    return data


def _new(client, **kw) -> str:
    response = client.post("/ops/status/new", data=_form(**kw))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_operator_publishes_an_s1_incident_in_three_languages(client, login_as, clock, site):
    clock.freeze(MONDAY)
    login_as("staff")
    assert "새 안내 쓰기" in client.get("/ops/status/").get_data(as_text=True)
    public_id = _new(client)
    page = client.get(f"/ops/status/{public_id}").get_data(as_text=True)
    assert "미리 보기" in page and all(TEXTS[lang]["title"] in page for lang in TEXTS)
    assert "13:00 KST" in page and "13:00 JST" in page and "04:00 UTC" in page
    # The first post only shows the confirm step; nothing is public yet.
    confirm = client.post(f"/ops/status/{public_id}/publish", data={"override_reason": ""})
    assert "지금 게시할까요" in confirm.get_data(as_text=True) and queries.open_published() == []
    done = client.post(f"/ops/status/{public_id}/publish", data={"override_reason": "", "confirmed": "yes"},
                       follow_redirects=True)
    assert "한국어, 일본어, 영어로 게시했습니다" in done.get_data(as_text=True)
    assert queries.get_notice(public_id).published_at == MONDAY
    assert TEXTS["ja"]["title"] in (site / "status.ja.html").read_text(encoding="utf-8")


def test_missing_language_is_named_and_refused(client, login_as, clock):
    clock.freeze(MONDAY)
    login_as("staff")
    public_id = _new(client, drop={("ja", "title"), ("en", "impact")})
    page = client.get(f"/ops/status/{public_id}").get_data(as_text=True)
    assert "missing-languages" in page and "일본어: title" in page and "영어: impact" in page
    refused = client.post(f"/ops/status/{public_id}/publish", data={"confirmed": "yes"})
    assert refused.status_code == 422 and "아직 다 쓰지 않은 언어가 있습니다" in refused.get_data(as_text=True)
    assert queries.get_notice(public_id).published_at is None


def test_s2_before_ten_minutes_needs_a_manager(client, app, login_as, clock):
    clock.freeze(MONDAY)
    login_as("staff")
    public_id = _new(client, severity="S2")
    page = client.get(f"/ops/status/{public_id}").get_data(as_text=True)
    assert "10분 동안 이어진 뒤에 게시합니다" in page and "관리자만" in page
    refused = client.post(f"/ops/status/{public_id}/publish", data={"override_reason": "전화가 많음",
                                                                    "confirmed": "yes"})
    assert refused.status_code == 422 and queries.get_notice(public_id).published_at is None
    other = app.test_client()
    login_as("manager", test_client=other)
    ok = other.post(f"/ops/status/{public_id}/publish", data={"override_reason": "전화가 많음", "confirmed": "yes"})
    assert ok.status_code == 302 and queries.get_notice(public_id).override_reason == "전화가 많음"


def test_update_with_confirm_then_rca(client, login_as, clock):
    clock.freeze(MONDAY)
    login_as("staff")
    notice_id = published("S1").public_id
    data = {f"{f}_{lang}": v for lang, part in TEXTS.items() for f, v in part.items()}
    data.update(status="resolved", next_update="")
    confirm = client.post(f"/ops/status/{notice_id}/update", data=data)
    assert "세 언어로 지금 게시할까요" in confirm.get_data(as_text=True)
    assert queries.get_notice(notice_id).status == "investigating"
    client.post(f"/ops/status/{notice_id}/update", data={**data, "confirmed": "yes"})
    assert queries.get_notice(notice_id).status == "resolved"
    page = client.get(f"/ops/status/{notice_id}").get_data(as_text=True)
    assert "장애 보고서" in page and "게시 기한" in page and "2026-12-09 13:00 KST" in page
    rca = {f"{f}_{lang}": f"{lang}-{f}" for lang in ("ko", "ja", "en")
           for f in ("overview", "cause", "mitigation", "prevention", "evidence", "contact")}
    refused = client.post(f"/ops/status/{notice_id}/rca", data={**rca, "cause_ja": "", "action": "publish"})
    assert refused.status_code == 422 and queries.get_notice(notice_id).rca_published_at is None
    client.post(f"/ops/status/{notice_id}/rca", data={**rca, "action": "publish"})
    assert queries.get_notice(notice_id).rca_published_at == MONDAY
    public = client.get("/status?lang=ja").get_data(as_text=True)
    assert "ja-cause" in public and "障害報告書" in public


def test_public_page_and_banner_in_the_guests_language(client, clock):
    clock.freeze(MONDAY)
    assert "모든 서비스가 정상입니다" in client.get("/status?lang=ko").get_data(as_text=True)
    assert "status-banner" not in client.get("/?lang=ja").get_data(as_text=True)
    published("S1")
    ja = client.get("/status?lang=ja").get_data(as_text=True)
    assert TEXTS["ja"]["title"] in ja and "カード決済" in ja and "13:00 JST" in ja
    booking = client.get("/?lang=ja").get_data(as_text=True)
    assert "status-banner" in booking and TEXTS["ja"]["title"] in booking and "/status?lang=ja" in booking
    en = client.get("/?lang=en").get_data(as_text=True)
    assert TEXTS["en"]["title"] in en


def test_banner_announces_maintenance_within_24_hours(client, clock):
    clock.freeze(MONDAY)
    published("S4", kind="maintenance", scheduled_start=MONDAY + timedelta(days=4),
              scheduled_end=MONDAY + timedelta(days=4, hours=2))
    assert "status-banner" not in client.get("/?lang=ko").get_data(as_text=True)
    clock.advance(days=3, hours=1)
    page = client.get("/?lang=ko").get_data(as_text=True)
    assert "status-banner" in page and "점검" in page


def test_roles_and_bad_ids(client, login_as):
    assert client.get("/ops/status/").status_code == 302                    # sign in first
    assert client.post("/ops/status/sts_x/publish", data={}).status_code == 401
    login_as("staff")
    assert client.get("/ops/status/sts_nope").status_code == 404
    assert client.get("/ops/status/" + "9" * 60).status_code == 404
    assert client.post("/ops/status/new", data=_form(started_at="99999-01-01T00:00")).status_code == 200
    assert client.post("/ops/status/new", data=_form(severity="S9")).status_code == 200
    assert client.get("/status/subscribe/confirm/%00").status_code in (404, 422)   # never a 500


def test_the_rendered_static_site_is_served_at_status_site_and_nothing_else(client, clock, site):
    from app.status.static import publish_site

    def get(path: str) -> tuple[int, str]:
        response = client.get(path)
        try:
            return response.status_code, response.get_data(as_text=True)
        finally:
            response.close()

    clock.freeze(MONDAY)
    assert get("/status-site/")[0] == 404          # nothing rendered yet
    publish_site()
    status, index = get("/status-site/")
    assert status == 200 and "status.ko.html" in index
    status, korean = get("/status-site/status.ko.html")
    assert status == 200 and "서비스" in korean
    assert get("/status-site/server-down.ko.html")[0] == 200
    for outside in ("/status-site/../config.py", "/status-site/%2e%2e/%2e%2e/etc/passwd", "/status-site/missing.html"):
        assert get(outside)[0] == 404, outside
