"""The back-office pages: Korean words, both sides side by side, the confirm step that restates the
effect, a written reason, roles, CSV export, upload and running a day again."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from app.core import clock as app_clock
from app.payments.settlement import write
from app.reconcile import services
from tests.reconcile.conftest import (
    TIMEOUT_CHARGED,
    file_rows_of,
    fresh,
    items,
    kst,
    new_day,
    pay_by_card,
    statuses,
    store_file,
)


def amount_mismatch_day():
    day = new_day()
    paid = pay_by_card(day)
    rows = file_rows_of([paid], day)
    rows[0]["amount"] -= 2_000
    store_file(day, rows)
    services.reconcile_day(day, "gateway")
    return day, paid, items("gateway")[0]


def test_the_pages_say_what_they_are_in_korean_and_the_nav_has_the_link(client, login_as):
    day, paid, item = amount_mismatch_day()
    login_as("staff")
    index = client.get("/ops/reconciliation/").get_data(as_text=True)
    assert "대사" in index and 'href="/ops/reconciliation/"' in index
    assert item.public_id in index and "금액이 다릅니다" in index

    page = client.get(f"/ops/reconciliation/days/{day.isoformat()}").get_data(as_text=True)
    assert "카드 결제 (PG)" in page and "일치율" in page and "50.00 %" not in page
    assert "0.00 %" in page and "목표 99.9% 미달" in page              # 0 of 1 matched, below seed 001's goal

    detail = client.get(f"/ops/reconciliation/items/{item.public_id}").get_data(as_text=True)
    assert "우리 장부" in detail and "PG사 정산 파일" in detail        # both sides, side by side
    assert "₩118,000" in detail or "₩" in detail
    assert "🛑" in detail and "설명하고 닫기" in detail
    assert paid.reservation.code[2:] in detail


def test_explaining_an_item_goes_through_a_confirm_step_with_a_reason(client, login_as):
    day, _paid, item = amount_mismatch_day()
    login_as("staff")
    url = f"/ops/reconciliation/items/{item.public_id}/explained"

    missing = client.post(url, data={"reason": "  "})
    assert missing.status_code == 422 and fresh(item).status == "open"

    confirm = client.post(url, data={"reason": "카드사 부분취소 2,000원 확인"}).get_data(as_text=True)
    assert 'name="confirmed" value="yes"' in confirm and "다른 것은 바뀌지 않습니다" in confirm
    assert fresh(item).status == "open"

    done = client.post(url, data={"reason": "카드사 부분취소 2,000원 확인", "confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/days/{day.isoformat()}")
    assert (fresh(item).status, fresh(item).resolution_reason) == ("resolved", "카드사 부분취소 2,000원 확인")
    again = client.post(url, data={"reason": "x", "confirmed": "yes"}, follow_redirects=True)
    assert "이제 그 처리를 할 수 없습니다" in again.get_data(as_text=True)
    assert fresh(item).resolution_reason == "카드사 부분취소 2,000원 확인"


def test_writing_off_is_for_managers_only(client, login_as):
    _day, _paid, item = amount_mismatch_day()
    login_as("staff")
    assert client.get(f"/ops/reconciliation/items/{item.public_id}/write_off").status_code == 403
    assert client.post(f"/ops/reconciliation/items/{item.public_id}/write_off",
                       data={"reason": "x", "confirmed": "yes"}).status_code == 403
    assert fresh(item).status == "open"


def test_a_staff_operator_takes_an_item_and_cannot_hand_it_to_someone_else(client, login_as, operator_factory):
    _day, _paid, item = amount_mismatch_day()
    me = login_as("staff")
    other = operator_factory("staff")
    assert client.post(f"/ops/reconciliation/items/{item.public_id}/owner",
                       data={"owner": str(other.id)}).status_code == 403
    assert client.post(f"/ops/reconciliation/items/{item.public_id}/owner",
                       data={"owner": str(me.id)}).status_code == 302
    assert fresh(item).owner_id == me.id


def test_syncing_from_the_page_completes_the_payment(client, login_as):
    day = new_day()
    pending = pay_by_card(day, number=TIMEOUT_CHARGED)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    services.fetch_settlement_file(day)
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")
    login_as("staff")
    url = f"/ops/reconciliation/items/{item.public_id}/sync_status"
    confirm = client.post(url, data={"reason": "PG 승인 확인"}).get_data(as_text=True)
    assert pending.reservation.code[2:] in confirm and "결제 완료" in confirm
    done = client.post(url, data={"reason": "PG 승인 확인", "confirmed": "yes"}, follow_redirects=True)
    assert "완료했습니다" in done.get_data(as_text=True)
    assert statuses([pending]) == [("completed", "paid")] and fresh(item).resolution == "sync_status"


def test_the_csv_export_has_one_row_per_item_with_both_amounts(client, login_as):
    day, paid, item = amount_mismatch_day()
    login_as("staff")
    response = client.get(f"/ops/reconciliation/days/{day.isoformat()}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert (rows[0]["item"], rows[0]["type"], rows[0]["internal_amount"], rows[0]["external_amount"],
            rows[0]["difference"]) == (item.public_id, "AMOUNT_MISMATCH", str(paid.amount), str(paid.amount - 2_000),
                                       "-2000")


def test_uploading_a_settlement_file_stores_it_and_reconciles_that_day(client, login_as):
    day = new_day()
    paid = pay_by_card(day)
    login_as("staff")
    raw = write(day, file_rows_of([paid], day))
    response = client.post("/ops/reconciliation/upload", data={"settlement_file": (io.BytesIO(raw), "pg.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    run = services.get_run(day, "gateway")
    assert (run.status, run.matched_count, run.total_count) == ("completed", 1, 1)
    again = client.post("/ops/reconciliation/upload", data={"settlement_file": (io.BytesIO(raw), "pg.csv")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "전에 올린 파일과 똑같습니다" in again.get_data(as_text=True)
    assert services.get_run(day, "gateway").times_run == 1


def test_a_file_that_does_not_add_up_is_refused_and_nothing_is_stored(client, login_as):
    day = new_day()
    login_as("staff")
    raw = write(day, [{"record_type": "APPROVAL", "transaction_id": "ch_x", "order_id": "pay_x",
                       "transacted_at": kst(day, 9), "amount": 1000, "fee": 25}]).replace(b"TOTAL,", b"TOTAL,")
    cut = raw.rsplit(b"\r\nTOTAL", 1)[0] + b"\r\n"
    response = client.post("/ops/reconciliation/upload", data={"settlement_file": (io.BytesIO(cut), "cut.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "🛑" in response.get_data(as_text=True)
    from app.reconcile.queries import files_of
    assert files_of(day) == []


def test_running_a_day_from_the_page_and_bad_days(client, login_as):
    day = new_day()
    pay_by_card(day)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    login_as("staff")
    response = client.post("/ops/reconciliation/run", data={"day": day.isoformat()})
    assert response.status_code == 302
    assert {s: services.get_run(day, s).status for s in ("gateway", "payouts", "settlement")} == \
        {"gateway": "completed", "payouts": "completed", "settlement": "completed"}   # the sandbox's file was fetched
    future = client.post("/ops/reconciliation/run", data={"day": (day + timedelta(days=5)).isoformat()})
    assert future.status_code == 422
    assert client.post("/ops/reconciliation/run", data={"day": "2026-02-30"}).status_code == 422
    assert client.get("/ops/reconciliation/days/not-a-day").status_code == 404
    assert client.get("/ops/reconciliation/days/2026-13-01").status_code == 404
    assert client.get("/ops/reconciliation/items/rci_nothing").status_code == 404
    assert client.get("/ops/reconciliation/items/" + "x" * 500).status_code == 404


def test_every_message_of_the_reconciliation_pages_is_in_korean_and_japanese():
    from app.core.i18n_tools import problems

    assert problems(["reconcile"]) == []
