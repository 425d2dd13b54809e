"""Settings instead of hard-coded text: the brand, support phone, email and hours, and the status
page address come from configuration into guest emails (ko/ja/en, through a real SMTP server) and
guest pages; the demo values are marked as demo and refused in production. Also the health
banner's plain words with the technical details folded away."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from flask import render_template

from app.config import DEMO_CONTACTS, ConfigError, load_config
from app.ops.health import Problem
from tests.factories import make_reservation, make_room_type

ROOT = Path(__file__).resolve().parents[2]
REAL = {"BRAND_NAME": "Hanok Stay", "SUPPORT_PHONE": "02-777-8888", "SUPPORT_EMAIL": "help@hanok.example",
        "STATUS_PAGE_URL": "https://status.hanok.example",
        "SUPPORT_HOURS": {"ko": "매일 오전 8시~오후 10시", "ja": "毎日 8:00〜22:00", "en": "Daily 8 am – 10 pm"}}


@pytest.fixture
def real_settings(app, monkeypatch):
    for key, value in REAL.items():
        monkeypatch.setitem(app.config, key, value)


def _text(mail) -> str:
    return email.message_from_bytes(mail["message"].as_bytes(), policy=email.policy.default).get_content()


def _subject(mail) -> str:
    return str(email.message_from_bytes(mail["message"].as_bytes(), policy=email.policy.default)["Subject"])


@pytest.mark.parametrize("language, hours, phone_line", [
    ("ko", "매일 오전 8시~오후 10시", "전화: 02-777-8888"),
    ("ja", "毎日 8:00〜22:00", "お電話：02-777-8888"),
    ("en", "Daily 8 am – 10 pm", "Phone: 02-777-8888"),
])
def test_guest_emails_show_the_configured_brand_and_support_line(real_settings, smtp_server, run_worker,
                                                                 language, hours, phone_line):
    address = f"settings-{language}@example.com"
    make_reservation(make_room_type(), email=address, language=language)
    run_worker(["default"])
    [mail] = [m for m in smtp_server.messages if address in m["to"]]
    body, subject = _text(mail), _subject(mail)
    assert "Hanok Stay" in subject and "Hanok Stay" in body
    assert phone_line in body and hours in body and "help@hanok.example" in body
    assert "https://status.hanok.example" in body
    assert "1588-0000" not in body and "Frontdesk" not in body and "Frontdesk" not in subject


def test_no_guest_template_hard_codes_the_phone_the_brand_or_the_support_email():
    guest_templates = [p for p in (ROOT / "templates" / "notifications").rglob("*")
                       if p.is_file() and "ops" not in p.parts]
    guest_templates += list((ROOT / "templates" / "booking").rglob("*.html"))
    guest_templates += list((ROOT / "templates" / "remittance").rglob("*.html"))
    guest_templates += list((ROOT / "templates" / "errors").rglob("*.html"))
    assert len(guest_templates) > 50
    for path in guest_templates:
        text = path.read_text(encoding="utf-8")
        for hard_coded in ("1588-0000", "Frontdesk", DEMO_CONTACTS["SUPPORT_EMAIL"]):
            assert hard_coded not in text, f"{path.relative_to(ROOT)} has {hard_coded!r}"
    rendering = (ROOT / "app" / "notifications" / "rendering.py").read_text()
    assert "1588-0000" not in rendering and '"brand": "Frontdesk"' not in rendering


@pytest.mark.parametrize("lang, expected", [("ko", "문의: 전화 02-777-8888 (매일 오전 8시~오후 10시)"),
                                            ("ja", "お問い合わせ：お電話 02-777-8888（毎日 8:00〜22:00）"),
                                            ("en", "Questions? Call 02-777-8888 (Daily 8 am – 10 pm)")])
def test_guest_pages_show_the_brand_and_support_line_from_the_settings(real_settings, client, lang, expected):
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert "<title>" in page and "· Hanok Stay</title>" in page
    assert '<a class="brand" href="/">Hanok Stay</a>' in page
    assert expected in page and "help@hanok.example" in page
    assert 'href="https://status.hanok.example"' in page
    assert "data-demo-contact" not in page and "Frontdesk" not in page


def test_the_demo_values_are_marked_as_demo_on_guest_pages(app, client):
    assert app.config["SUPPORT_PHONE"] == DEMO_CONTACTS["SUPPORT_PHONE"]
    page = client.get("/?lang=ko").get_data(as_text=True)
    assert "1588-0000" in page and "data-demo-contact" in page and "(데모)" in page


def test_operator_pages_have_no_guest_support_line(login_as, client):
    login_as("staff")
    assert "data-support-line" not in client.get("/ops/emergency/").get_data(as_text=True)


from tests.adapters.test_loader import production  # noqa: E402,F401  (a production start with real contacts)


def test_production_starts_with_real_support_contacts(production):
    cfg = load_config()
    assert cfg["SUPPORT_PHONE"] == "02-123-4567" and cfg["SUPPORT_EMAIL"] == "help@hotel.example"


@pytest.mark.parametrize("name", ["SUPPORT_PHONE", "SUPPORT_EMAIL"])
@pytest.mark.parametrize("how", ["unset", "demo"])
def test_production_refuses_the_demo_support_contacts(production, name, how):
    if how == "unset":
        production.delenv(name)
    else:
        production.setenv(name, DEMO_CONTACTS[name])
    with pytest.raises(ConfigError, match=f"{name} is the demo value"):
        load_config()


def test_a_demo_site_in_production_may_keep_the_demo_contacts(production):
    production.delenv("SUPPORT_PHONE")
    production.setenv("ALLOW_SANDBOX_ADAPTERS", "true")
    assert load_config()["SUPPORT_PHONE"] == DEMO_CONTACTS["SUPPORT_PHONE"]


@pytest.mark.parametrize("code, facts, plain, technical", [
    ("db_down", {}, "지금 시스템이 아무것도 읽거나 저장하지 못하고 있습니다", "데이터베이스"),
    ("redis_down", {}, "뒤에서 처리되는 작업이 멈췄습니다", "Redis"),
    ("no_worker", {"last_seen": None}, "메일이 발송되지 않고", "실행 중인 워커가 없습니다"),
    ("no_cron", {"last_seen": None}, "정해진 시간에 하는 작업이 돌지 않습니다", "시계(clock) 프로세스가 멈춰 있습니다"),
    ("periodic_stale", {"last_seen": None}, "정해진 작업이 멈췄습니다", "“worker”"),
    ("redis_eviction", {"policy": "allkeys-lru"}, "서버 설정 하나가 위험합니다", "allkeys-lru"),
])
def test_health_banners_speak_plainly_and_fold_the_technical_details(app, code, facts, plain, technical):
    with app.test_request_context("/ops/?lang=ko"):
        html = render_template("notifications/ops/_health_banner.html",
                               ops_health_problems=lambda: [Problem(code, "bad", facts)])
    before_details, details = html.split("<details", 1)
    assert plain in before_details and "10분" in before_details or code == "redis_eviction"
    assert technical not in before_details and technical in details
    for word in ("Redis", "worker", "clock", "cron", "maxmemory"):
        assert word not in before_details.replace('data-health="', "").split(">", 1)[1], (code, word)
    assert "기술 정보 (개발자용)" in details and f"<code>{code}</code>" in details


def test_the_mail_sender_carries_the_brand_unless_mail_from_is_set(monkeypatch):
    monkeypatch.delenv("MAIL_FROM", raising=False)
    monkeypatch.setenv("BRAND_NAME", "Hanok Stay")
    assert load_config()["MAIL_FROM"] == "Hanok Stay <no-reply@frontdesk.example>"
    monkeypatch.setenv("MAIL_FROM", "Bookings <bookings@hanok.example>")
    assert load_config()["MAIL_FROM"] == "Bookings <bookings@hanok.example>"
