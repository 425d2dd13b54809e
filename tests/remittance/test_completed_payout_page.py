"""A paid payout has nothing left to decide: no red 🛑 box; bank answer codes are folded."""
from __future__ import annotations

import re

from tests.remittance.conftest import fresh


def _page(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _visible(html: str) -> str:
    html = re.sub(r"<details class=\"history-codes\">.*?</details>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_a_paid_payout_shows_no_decision_box_but_can_still_record_a_return(client, login_as, settlement, top_up,
                                                                           payout_worker):
    top_up(60_000_000)
    payout = settlement(500_000)
    payout_worker()
    assert fresh(payout).status == "completed"
    login_as("staff")
    html = _page(client.get(f"/ops/payouts/{fresh(payout).public_id}"))
    assert "🛑" not in html and '<section class="decision">' not in html
    assert 'data-decision="done"' in html and "송금 완료: 결정할 일이 없습니다" in html
    assert f"/ops/payouts/{fresh(payout).public_id}/mark_returned" in html      # the optional later step
    assert "송금 요청" in _visible(html) or "은행 송금" in _visible(html)          # history in sentences
    assert "payout.requested" not in _visible(html)


def test_bank_error_codes_are_folded_on_the_payout_page(client, login_as, settlement, top_up, payout_worker):
    from tests.remittance.conftest import TAILS

    top_up(60_000_000)
    payout = settlement(500_000, tail=TAILS["BANK_ERROR"])
    payout_worker()
    login_as("staff")
    html = _page(client.get(f"/ops/payouts/{fresh(payout).public_id}"))
    assert "BANK_ERROR" in html and "BANK_ERROR" not in _visible(html)
