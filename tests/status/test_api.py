"""The status API (seed 002 G): operator tokens, per-language fields, the same completeness and
timing rules as the pages (422 naming the fields), transitions (409), the public summary, and
its place in the OpenAPI document."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.status.conftest import MONDAY, TEXTS


def _langs(field, drop=()):
    return {lang: TEXTS[lang][field] for lang in TEXTS if (lang, field) not in drop}


def _body(**extra):
    body = {"severity": "S1", "components": {"payments": "major_outage"}, "title": _langs("title"),
            "body": _langs("body"), "impact": _langs("impact"), "publish": True}
    body.update(extra)
    return body


def _update(status):
    return {"status": status, "title": _langs("title"), "body": _langs("body"), "impact": _langs("impact")}


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_needs_an_operator_token(client):
    assert client.post("/v1/status/incidents", json=_body()).status_code == 401
    assert client.patch("/v1/status/sts_x", json={}).status_code == 401
    assert client.post("/v1/status/incidents", json=_body(), headers=_auth("fdt_nope")).status_code == 401


def test_create_and_publish_an_s1_incident(client, api_token, clock, site):
    clock.freeze(MONDAY)
    _, token = api_token("staff")
    response = client.post("/v1/status/incidents", json=_body(nextUpdateAt="2026-12-07T04:30:00Z"),
                           headers=_auth(token))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["status"] == "investigating" and data["publishedAt"].startswith("2026-12-07T04:00")
    assert data["updates"][0]["texts"]["ja"]["title"] == TEXTS["ja"]["title"]
    summary = client.get("/v1/status").get_json()
    assert summary["components"]["payments"] == "major_outage" and summary["notices"][0]["id"] == data["id"]
    assert TEXTS["en"]["title"] in (site / "status.en.html").read_text(encoding="utf-8")
    # Updates in three languages; a wrong move is 409.
    upd = client.patch(f"/v1/status/{data['id']}", json=_update("monitoring"), headers=_auth(token))
    assert upd.status_code == 200 and upd.get_json()["status"] == "monitoring"
    resolved = client.patch(f"/v1/status/{data['id']}", json=_update("resolved"), headers=_auth(token))
    assert resolved.get_json()["resolvedAt"] is not None
    again = client.patch(f"/v1/status/{data['id']}", json=_update("investigating"), headers=_auth(token))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"
    assert client.get("/v1/status").get_json()["components"]["payments"] == "operational"


def test_missing_language_is_a_422_naming_the_fields(client, api_token, clock):
    clock.freeze(MONDAY)
    _, token = api_token("staff")
    response = client.post("/v1/status/incidents", json=_body(title=_langs("title", drop={("ja", "title")})),
                           headers=_auth(token))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"ja.title": "Missing."}
    assert client.get("/v1/status").get_json()["notices"] == []


def test_an_update_missing_a_language_is_refused(client, api_token, clock):
    clock.freeze(MONDAY)
    _, token = api_token("staff")
    notice_id = client.post("/v1/status/incidents", json=_body(), headers=_auth(token)).get_json()["id"]
    body = {**_update("identified"), "impact": _langs("impact", drop={("en", "impact")})}
    response = client.patch(f"/v1/status/{notice_id}", json=body, headers=_auth(token))
    assert response.status_code == 422 and response.get_json()["error"]["fields"] == {"en.impact": "Missing."}


@pytest.mark.parametrize("change, field", [
    ({"severity": "S9"}, "severity"), ({"kind": "outage"}, "kind"), ({"components": {"moon": "degraded"}}, None),
    ({"components": []}, "components"), ({"title": "just text"}, "title"), ({"title": {"fr": "x"}}, "title"),
    ({"publish": "yes"}, "publish"), ({"nextUpdateAt": "tomorrow"}, "nextUpdateAt"),
    ({"nextUpdateAt": "2026-12-07T04:30:00"}, "nextUpdateAt"), ({"surprise": 1}, "surprise"),
    ({"overrideReason": 5}, "overrideReason"), ({"title": {"ko": "a\x00b", "ja": "x", "en": "y"}}, None),
])
def test_bad_input_is_a_422(client, api_token, change, field):
    _, token = api_token("staff")
    response = client.post("/v1/status/incidents", json=_body(**change), headers=_auth(token))
    assert response.status_code == 422, response.get_json()
    if field:
        assert field in response.get_json()["error"]["fields"]


def test_s2_timing_and_the_managers_override(client, api_token, clock):
    clock.freeze(MONDAY)
    _, staff = api_token("staff")
    early = client.post("/v1/status/incidents", json=_body(severity="S2"), headers=_auth(staff))
    assert early.status_code == 422 and "publish" in early.get_json()["error"]["fields"]
    forced = client.post("/v1/status/incidents", json=_body(severity="S2", overrideReason="calls"),
                         headers=_auth(staff))
    assert forced.status_code == 403
    _, manager = api_token("manager")
    ok = client.post("/v1/status/incidents", json=_body(severity="S2", overrideReason="calls"),
                     headers=_auth(manager))
    assert ok.status_code == 201 and ok.get_json()["publishedAt"]
    assert len(client.get("/v1/status").get_json()["notices"]) == 1


def test_draft_then_publish_by_patch(client, api_token, clock):
    clock.freeze(MONDAY)
    _, token = api_token("staff")
    created = client.post("/v1/status/incidents", json=_body(severity="S2", publish=False), headers=_auth(token))
    assert created.status_code == 201 and created.get_json()["publishedAt"] is None
    notice_id = created.get_json()["id"]
    assert client.patch(f"/v1/status/{notice_id}", json={"publish": True}, headers=_auth(token)).status_code == 422
    clock.advance(minutes=10)
    done = client.patch(f"/v1/status/{notice_id}", json={"publish": True}, headers=_auth(token))
    assert done.status_code == 200 and done.get_json()["publishedAt"]


def test_maintenance_three_business_days(client, api_token, clock):
    clock.freeze(MONDAY)
    _, token = api_token("staff")
    body = _body(kind="maintenance", severity="S4", components={"payments": "maintenance"},
                 scheduledStart=(MONDAY + timedelta(days=2)).isoformat(),
                 scheduledEnd=(MONDAY + timedelta(days=2, hours=1)).isoformat())
    assert client.post("/v1/status/incidents", json=body, headers=_auth(token)).status_code == 422
    body.update(scheduledStart=(MONDAY + timedelta(days=3)).isoformat(),
                scheduledEnd=(MONDAY + timedelta(days=3, hours=1)).isoformat())
    created = client.post("/v1/status/incidents", json=body, headers=_auth(token))
    assert created.status_code == 201 and created.get_json()["status"] == "scheduled"


def test_unknown_ids_are_404(client, api_token):
    _, token = api_token("staff")
    for notice_id in ("sts_nope", "9" * 80, "%00"):
        response = client.patch(f"/v1/status/{notice_id}", json={"publish": True}, headers=_auth(token))
        assert response.status_code in (404, 422)


def test_openapi_lists_the_status_endpoints(client):
    paths = client.get("/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/v1/status/incidents"] and "patch" in paths["/v1/status/{noticeID}"]
    assert "get" in paths["/v1/status"]
