"""The server-down procedure (seed 004 §2.3): the live page (staff+), the static files in Korean
and English with the contact list and tel: links, readable by a plain web server with the app
out of the picture, `flask emergency publish`, and the links from the 500 page and the System page."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request

import pytest
from flask import render_template

from app.emergency.publish import render_static_files, server_down_url
from tests.emergency.conftest import add_contact


def _contacts():
    add_contact("lead", "이운영", "010-1111-2222", "모든 최종 결정", position=1)
    add_contact("developer", "김개발 (OO개발)", "+82 10-3333-4444", "서버 다운 해결 불가 시", position=2)
    add_contact("payments", "OO페이 고객센터", "1544-0000", "결제 오류 문의", position=3)


def _step_titles(html: str) -> list[str]:
    return re.findall(r'<span class="sd-num">(\d)</span>([^<]+)', html)


def test_the_static_pages_carry_the_steps_in_order_and_the_contact_list(app, tmp_path):
    _contacts()
    written = render_static_files(tmp_path)
    assert written == ["server-down.ko.html", "server-down.en.html"]
    ko = (tmp_path / "server-down.ko.html").read_text()
    en = (tmp_path / "server-down.en.html").read_text()
    assert '<html lang="ko">' in ko and '<html lang="en">' in en
    assert [n for n, _t in _step_titles(ko)] == ["1", "2", "3", "4", "5", "6"]
    titles = [t for _n, t in _step_titles(ko)]
    assert titles[0] == "다른 인터넷으로 확인하기" and titles[1] == "고객 공지를 가장 먼저 올리기"
    assert titles[2] == "서버 재시작하기" and "결정: 10분 뒤에 복구되었나요?" in titles[3]
    assert [t for _n, t in _step_titles(en)][1] == "Post the notice FIRST"
    for html in (ko, en):
        # self-contained: CSS inlined, no script, nothing fetched from elsewhere
        assert "<script" not in html and "<link" not in html and "@media print" in html
        assert 'href="tel:01011112222"' in html and 'href="tel:+821033334444"' in html
        assert 'href="tel:15440000"' in html
        # ready sentences in the three languages, whatever the page's language
        assert 'data-notice="ko"' in html and 'data-notice="ja"' in html and 'data-notice="en"' in html
        assert "緊急点検" in html and "긴급 점검" in html and "Our booking site is down" in html
        assert 'data-caller="ja"' in html and "改めてご予約いただく必要はございません" in html
    # step 4 calls the developer first, then the overall lead
    step4 = ko[ko.index('id="step-4"'):ko.index('id="step-5"')]
    assert step4.index("김개발") < step4.index("이운영") and "OO페이" not in step4
    assert "기록표" in ko and "When did you notice it?" in en


def test_an_empty_contact_list_says_so_instead_of_showing_nothing(app, tmp_path):
    render_static_files(tmp_path)
    assert "비상 연락망이 아직 비어 있습니다" in (tmp_path / "server-down.ko.html").read_text()


def test_hosting_and_status_settings_appear_in_the_steps(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "HOSTING_NAME", "Cafe24")
    monkeypatch.setitem(app.config, "HOSTING_CONSOLE_URL", "https://hosting.cafe24.example/console")
    monkeypatch.setitem(app.config, "STATUS_PAGE_URL", "https://status.hotel.example")
    monkeypatch.setitem(app.config, "BRAND_NAME", "Hanok Stay")
    render_static_files(tmp_path)
    ko = (tmp_path / "server-down.ko.html").read_text()
    assert "호스팅 관리자 페이지(Cafe24)에 로그인합니다." in ko
    assert 'href="https://hosting.cafe24.example/console"' in ko
    assert "[Hanok Stay] 현재 예약 사이트에 접속이 되지 않아" in ko and "https://status.hotel.example" in ko
    assert "https://status.hotel.example/server-down.ko.html" in ko


def test_the_static_page_is_served_by_a_plain_web_server_without_the_app(app, tmp_path):
    """What a CDN or any web server does while Frontdesk is down: serve the files as they are."""
    _contacts()
    render_static_files(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1",
                               "--directory", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        line = server.stdout.readline()
        port = int(re.search(r"port (\d+)", line).group(1))
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server-down.ko.html", timeout=5) as resp:
                    body = resp.read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.1)
        assert "사이트가 열리지 않을 때 대처법" in body and "tel:+821033334444" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server-down.en.html", timeout=5) as resp:
            assert "The site does not open: what to do" in resp.read().decode("utf-8")
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()


def test_flask_emergency_publish_writes_to_the_given_directory(app, runner, tmp_path):
    _contacts()
    result = runner.invoke(args=["emergency", "publish", "--dir", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "server-down.ko.html" in result.output
    assert "김개발 (OO개발)" in (tmp_path / "site" / "server-down.ko.html").read_text()


def test_flask_emergency_publish_defaults_to_the_status_site(app, runner, site_dir):
    result = runner.invoke(args=["emergency", "publish"])
    assert result.exit_code == 0, result.output
    assert (site_dir / "server-down.ko.html").exists() and (site_dir / "server-down.en.html").exists()


@pytest.mark.parametrize("role", ["staff", "manager", "admin"])
def test_the_live_page_is_for_every_operator(login_as, client, role):
    _contacts()
    login_as(role)
    page = client.get("/ops/emergency/").get_data(as_text=True)
    assert "사이트가 열리지 않을 때 대처법" in page and 'href="tel:+821033334444"' in page
    assert "css/emergency.css" in page


def test_the_500_page_links_the_static_procedure_for_operators_and_the_status_page_for_guests(app):
    with app.test_request_context("/ops/refunds/x"):
        page = render_template("errors/error.html", status=500, message="x")
    assert server_down_url("ko") in page and "data-server-down-link" in page
    assert "인쇄용 대처법" in page
    with app.test_request_context("/booking/x"):
        page = render_template("errors/error.html", status=500, message="x")
    assert "data-server-down-link" not in page and "data-status-link" in page
    assert app.config["STATUS_PAGE_URL"] in page


def test_the_server_down_address_follows_the_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "STATUS_PAGE_URL", "https://status.hotel.example/")
    monkeypatch.setitem(app.config, "SERVER_DOWN_URL", "")
    assert server_down_url("ko") == "https://status.hotel.example/server-down.ko.html"
    assert server_down_url("en") == "https://status.hotel.example/server-down.en.html"
    monkeypatch.setitem(app.config, "SERVER_DOWN_URL", "https://cdn.hotel.example/sd/server-down.ko.html")
    assert server_down_url("en") == "https://cdn.hotel.example/sd/server-down.en.html"


def test_the_system_page_links_the_static_procedure(login_as, client, app):
    login_as("staff")
    page = client.get("/ops/system").get_data(as_text=True)
    assert "data-server-down-link" in page and server_down_url("ko") in page


def test_the_hourly_job_publishes_through_a_real_worker(app, site_dir, run_worker):
    from app.extensions import get_queue
    from workers.cron import PERIODIC_JOBS

    func, queue, schedule = PERIODIC_JOBS["emergency-publish"]
    assert schedule == {"interval": 3600}
    _contacts()
    get_queue(queue).enqueue(func)
    run_worker([queue])
    assert "김개발 (OO개발)" in (site_dir / "server-down.ko.html").read_text()
    assert (site_dir / "server-down.en.html").exists()


def test_the_status_editor_and_the_support_desk_are_linked_when_they_exist(app, tmp_path):
    render_static_files(tmp_path)
    ko = (tmp_path / "server-down.ko.html").read_text()
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert f'href="{base}/ops/status/new"' in ko and f'href="{base}/ops/support/new"' in ko


def test_the_status_site_publisher_adds_the_procedure(app, site_dir):
    from app.status.static import publish_site

    _contacts()
    names = publish_site(str(site_dir))
    assert "server-down.ko.html" in " ".join(names) and "server-down.en.html" in " ".join(names)
    assert "김개발 (OO개발)" in (site_dir / "server-down.ko.html").read_text()
    assert (site_dir / "status.ko.html").exists()


def test_the_503_page_links_the_procedure_for_operators_and_the_status_page_for_guests(app):
    with app.test_request_context("/ops/"):
        page = render_template("errors/unavailable.html", operator_page=True)
    assert "data-server-down-link" in page and server_down_url("ko") in page
    with app.test_request_context("/"):
        page = render_template("errors/unavailable.html", operator_page=False)
    assert "data-server-down-link" not in page and "data-status-link" in page
