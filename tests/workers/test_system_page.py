"""The System page answers first: everything is running, or what stopped and what to do.
Process names, Redis settings, worker ids and schedules are folded for the developer."""
from __future__ import annotations

import re

from app.ops import health
from tests.workers.test_health import _everything_alive


def _split(page: str) -> tuple[str, str]:
    """(what a reader sees without opening the technical details, the folded part)."""
    start = page.index("<details class=\"card system-technical\"")
    end = page.index("</details>", start)
    return page[:start] + page[end:], page[start:end]


def _text(html: str) -> str:
    return re.sub(r"<details class=\"health-details\".*?</details>", "", re.sub(r"\s+", " ", html), flags=re.S)


def test_all_running_leads_with_everything_is_running(banners, login_as, client, redis):
    login_as("staff")
    _everything_alive(redis)
    health.clear_health_cache()
    page = client.get("/ops/system").get_data(as_text=True)
    main, folded = _split(page)
    body = main[main.index("<h1>"):]
    assert body.index('data-system-summary="ok"') < body.index("<h2>")     # the answer comes first
    assert "모두 정상 작동 중입니다" in body
    assert "🛑" not in body                                               # nothing to decide
    worker_names = re.findall(r"<code>([0-9a-f]{32})</code>", folded)
    for name in worker_names:
        assert name not in main
    assert "maxmemory-policy" not in main and "cron" not in re.sub(r"<[^>]+>", " ", main).lower()
    assert "hold-expiry" in folded and "hold-expiry" not in main       # job names only for the developer


def test_a_stopped_worker_leads_with_what_stopped_and_what_to_do(banners, login_as, client):
    login_as("staff")
    health.clear_health_cache()
    page = client.get("/ops/system").get_data(as_text=True)
    main, folded = _split(page)
    body = main[main.index("<h1>"):]
    assert 'data-system-summary="problems"' in body
    assert "무엇이 멈췄고 무엇을 하면 되는지" in body
    assert body.index('data-system-summary="problems"') < body.index("<h2>", body.index("<h2>") + 1)
    assert 'class="decision"' in body and 'class="steps"' in body
    assert "<code>no_worker</code>" in folded and "<code>no_worker</code>" not in _text(body)
