"""The pages of every direction, in Korean: an import's result counted in plain words, the page of
each kind of line, and the 🛑 decisions of a reversal whose hold has ended and of a payout proposal."""
import base64
from datetime import date
from io import BytesIO

import pytest

from app.deposits.models import LineStatus
from tests.deposits.money import booking, fresh, import_file, line, mt940, outbox, refunded_by_payout, seoul
from tests.deposits.test_every_direction import camt_world, mt940_world  # noqa: F401  (fixtures)


def import_through_the_pages(client, raw: bytes, name: str):
    preview = client.post("/ops/deposits/upload", data={"statement": (BytesIO(raw), name), "bank": "", "account": ""},
                          content_type="multipart/form-data")
    assert preview.status_code == 200 and 'value="yes"' in preview.get_data(as_text=True)
    fmt = "mt940" if name.endswith(".sta") else "camt053"
    return client.post("/ops/deposits/import", data={"content": base64.b64encode(raw).decode(), "file_name": name,
                                                      "source_format": fmt, "bank": "", "account": "",
                                                      "confirmed": "yes"})


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_import_result_counts_every_line_in_plain_korean(client, login_as, mt940_world):  # noqa: F811
    *_rest, raw = mt940_world
    login_as("staff")
    done = import_through_the_pages(client, raw, "거래내역.sta")
    assert done.status_code == 302 and "/ops/deposits/imports/imp_" in done.location
    page = text(client.get(done.location))
    assert "가져오기 결과" in page and "flash-success" in page
    for phrase in ("입금 1건이 예약을 저절로 결제했습니다", "2건은 담당자가", "송금(환불이나 정산) 1건을 은행이 처리했습니다",
                   "은행 수수료 1건을 기록했습니다", "2건은 은행이 되돌린 돈이거나", "보낸 송금 1건이 돌아왔습니다",
                   "그 밖의 1건"):
        assert phrase in page, phrase
    assert page.count('data-line="sln_') == 9 and 'data-count="pending"' not in page
    again = import_through_the_pages(client, raw, "거래내역.sta")
    assert again.status_code == 302 and again.location.endswith("/ops/deposits/")
    assert "이미 가져온 파일입니다 (9건)" in text(client.get(again.location))


def test_each_kind_of_line_has_its_own_page_in_korean(client, login_as, camt_world):  # noqa: F811
    import_file(camt_world["raw"], "camt053")
    login_as("staff")
    pages = {amount: text(client.get(f"/ops/deposits/lines/{line(amount).public_id}"))
             for amount in (-180_000, -500, 99_000, -75_000, 75_000, 60_000)}
    assert "은행이 우리 송금을 처리했습니다" in pages[-180_000] and "받는 분" in pages[-180_000]
    assert "송금의 비용으로 기록했습니다" in pages[-500] and "송금 보기" in pages[-500]
    assert "은행이 아직 처리하지 않은 거래입니다" in pages[99_000]
    assert "되돌린 것입니다" in pages[-75_000] and "그 내역 보기" in pages[-75_000]
    assert "이 입금을 되돌렸습니다" in pages[75_000]
    assert "해지된 계좌" in pages[60_000] and "다른 계좌를 알려 달라고" in pages[60_000]


@pytest.fixture
def hold_ended(clock):
    """FD7K3M9Q paid on day 1, its deposit taken back on day 2 after the hold ended: a 🛑 decision."""
    clock.freeze(seoul(2026, 11, 20, 9))
    r = booking("FD7K3M9Q", 120_000)
    clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(date(2026, 11, 20), [("C", 120_000, "B1", "FD7K3M9Q 김민지")])]), "mt940")
    clock.freeze(seoul(2026, 11, 21, 12))
    import_file(mt940([(date(2026, 11, 21), [("RC", 120_000, "B2", "입금취소 B1")])], opening=1_120_000), "mt940")
    return r, line(-120_000)


def test_a_person_cancels_a_booking_whose_deposit_the_bank_took_back(client, login_as, hold_ended):
    r, reversal = hold_ended
    url = f"/ops/deposits/lines/{reversal.public_id}"
    assert client.get(url).status_code == 302                              # signed out: to the sign-in page
    login_as("staff")
    page = text(client.get(url))
    assert "🛑" in page and "입금 기한도 이미 지났습니다" in page and "오전 9:00에 끝나서" in page
    assert 'data-choice="collect_again"' in page and 'data-choice="cancel_booking"' in page
    assert client.get(f"{url}/confirm").status_code == 302                 # a deposit's choice does not apply
    refused = client.post(f"{url}/settle/cancel_booking", data={"reason": ""})
    assert refused.status_code == 422 and "이유를" in text(refused)
    confirm = client.post(f"{url}/settle/cancel_booking", data={"reason": "고객과 연락이 안 됨"})
    assert confirm.status_code == 200 and 'class="effect"' in text(confirm) and "FD-7K3M9Q" in text(confirm)
    assert fresh(r).status == "paid" and line(-120_000).status == LineStatus.NEEDS_DECISION  # nothing yet
    done = client.post(f"{url}/settle/cancel_booking", data={"reason": "고객과 연락이 안 됨", "confirmed": "yes"})
    assert done.status_code == 302
    assert fresh(r).status == "canceled" and outbox(r, "booking_canceled") == 1
    twice = client.post(f"{url}/settle/collect_again", data={"confirmed": "yes"})
    assert twice.status_code == 302 and fresh(r).status == "canceled"


def test_a_person_asks_the_guest_to_pay_again(client, login_as, hold_ended):
    r, reversal = hold_ended
    login_as("staff")
    url = f"/ops/deposits/lines/{reversal.public_id}/settle/collect_again"
    assert client.post(url, data={}, csrf=False).status_code == 400             # no CSRF token, nothing done
    assert client.post(url, data={}).status_code == 200
    assert client.post(url, data={"confirmed": "yes"}).status_code == 302
    assert fresh(r).status == "pending" and outbox(r, "deposit_amount_mismatch") == 1


def test_bad_addresses_are_not_found(client, login_as, hold_ended):
    _r, reversal = hold_ended
    login_as("staff")
    assert client.get(f"/ops/deposits/lines/{reversal.public_id}/settle/burn").status_code == 404
    assert client.get("/ops/deposits/lines/sln_nope/settle/collect_again").status_code == 404
    assert client.get("/ops/deposits/imports/imp_nope").status_code == 404
    assert client.get("/ops/deposits/imports/%00").status_code == 422         # a NUL: refused before any lookup


def test_a_person_links_money_out_to_the_payout_it_is(client, login_as, clock):
    clock.freeze(seoul(2026, 11, 20, 10))
    _r, _refund, payout = refunded_by_payout(77_000)
    clock.freeze(seoul(2026, 11, 21, 18))
    import_file(mt940([(date(2026, 11, 21), [("D", 77_000, "B1", "이체 이영희")])]), "mt940")
    out = line(-77_000)
    login_as("staff")
    page = text(client.get(f"/ops/deposits/lines/{out.public_id}"))
    assert "우리 송금 번호 없이 돈이 나갔습니다" in page and f'data-payout="{payout.public_id}"' in page
    url = f"/ops/deposits/lines/{out.public_id}/settle/link_payout"
    bad = client.post(url, data={"payout": "po_someone_else"})
    assert bad.status_code == 422 and "제안된 송금 중 하나를 고르세요" in text(bad)
    confirm = client.post(url, data={"payout": payout.public_id})
    assert confirm.status_code == 200 and "은행이 처리한 것으로 기록합니다" in text(confirm)
    assert client.post(url, data={"payout": payout.public_id, "confirmed": "yes"}).status_code == 302
    assert (line(-77_000).outcome, line(-77_000).payout_id) == ("payout_confirmed", payout.id)


def test_the_deposits_domain_has_every_korean_and_japanese_translation():
    from app.core.i18n_tools import problems

    assert problems(["deposits"]) == []
