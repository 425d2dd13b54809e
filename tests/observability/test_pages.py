"""The service-level page: managers only, each SLO with its 30 days and budget, 🛑 where breached."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.observability.helpers import make_card_payments

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)   # 15:00 in Seoul




def test_service_levels_are_for_managers(client, login_as):
    assert client.get("/ops/service-levels").status_code == 302    # to sign in
    login_as("staff")
    assert client.get("/ops/service-levels").status_code == 403


def test_a_missed_payment_success_rate_is_a_decision_box_in_plain_korean(client, login_as, clock):
    clock.freeze(NOW)
    make_card_payments(96, 4, NOW - timedelta(days=2))
    make_card_payments(50, 0, NOW - timedelta(hours=1))
    login_as("manager")
    response = client.get("/ops/service-levels")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-slo-breached="payment_success"' in html
    assert "🛑 지키지 못함: 결제 성공률" in html
    assert "98% 이상" in html
    assert "97.33% (150건 중 146건)" in html                # the rolling 30 days
    assert "허용된 실패의 133% 사용" in html               # 4 bad of 3 allowed (2 % of 150)
    assert "심각한 장애에 해당합니다" in html
    assert "100.0% (50건 중 50건)" in html                 # today so far
    assert 'data-slo-breached="payout_success"' not in html
    assert "아직 자료 없음" in html                          # payouts: nothing measured yet
    assert "payment_success" in html.split("<summary>지원팀용 자세한 내용</summary>", 1)[1]


def test_the_page_lists_every_slo_of_the_table(client, login_as):
    from app.observability.slo import SLOS

    login_as("manager")
    html = client.get("/ops/service-levels").get_data(as_text=True)
    for slo in SLOS:
        assert f'data-slo="{slo.key}"' in html
    assert "응답 시간 (요청의 95%)" in html
    assert "요청의 95%가 0.5초 미만" in html
