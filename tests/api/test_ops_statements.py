"""POST /v1/ops/statements and GET /v1/ops/statements/lines: a real statement file uploaded by an
operator's token, 201 with every line, 200 "already imported" the second time, 422 in the API's
error shape for a bad file (nothing imported), and the lines waiting for a person, paged."""
from __future__ import annotations

from io import BytesIO

from sqlalchemy import func, select

from app.deposits.models import StatementLine
from app.extensions import db
from tests.api.helpers import bearer
from tests.deposits.conftest import ACCOUNT, fresh, korean_csv, today, transfer_booking


def upload(client, headers, raw: bytes, name: str = "거래내역.csv", **form):
    return client.post("/v1/ops/statements", headers=headers, content_type="multipart/form-data",
                       data={"file": (BytesIO(raw), name), **form})


def lines_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(StatementLine))


def test_a_staff_token_imports_a_file_and_gets_every_line(client, staff):
    r = transfer_booking()
    raw = korean_csv([(today(), f"{r.code} 김민지", r.total_amount, 0), (today(), "모르는입금", 12_345, 0)])
    response = upload(client, staff, raw, account=ACCOUNT)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["format"] == "csv" and body["alreadyImported"] is False and body["importID"].startswith("imp_")
    assert body["counts"]["depositsMatched"] == 1 and body["counts"]["decisionsNeeded"] == 1
    outcomes = sorted((line["amount"], line["outcome"], line["bookingCode"]) for line in body["lines"])
    assert outcomes == [(12_345, "needs_decision", None), (r.total_amount, "auto_confirmed", r.code)]
    assert fresh(r).status == "paid"
    again = upload(client, staff, raw, account=ACCOUNT)
    assert again.status_code == 200
    assert again.get_json()["alreadyImported"] is True and again.get_json()["counts"]["duplicates"] == 2
    assert lines_stored() == 2


def test_a_bad_file_is_422_in_the_error_shape_and_imports_nothing(client, staff):
    text = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)]).decode("cp949")
    response = upload(client, {**staff, "X-Request-Id": "req-bad-file", "Accept-Language": "ko"},
                      text.replace('"20,000"', "이만원", 1).encode("cp949"))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"]["code"] == "validation_error" and body["error"]["requestId"] == "req-bad-file"
    assert body["error"]["fields"]["file"] == body["error"]["message"]
    assert [p["row"] for p in body["problems"]] == [6]
    assert lines_stored() == 0


def test_missing_columns_are_named_in_the_callers_language(client, staff):
    raw = "거래일시,입금액,출금액,잔액\n2026.12.07 10:00,89000,0,1089000\n".encode()
    response = upload(client, {**staff, "Accept-Language": "ko"}, raw)
    assert response.status_code == 422
    body = response.get_json()
    assert body["missingColumns"] == ["memo"] and "열을 골라 주세요" in body["error"]["message"]
    assert lines_stored() == 0


def test_broken_balances_are_refused_with_the_rows(client, staff):
    raw = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)], balances={1: 1_031_000})
    response = upload(client, staff, raw, account=ACCOUNT)
    assert response.status_code == 422
    assert [(b["expected"], b["found"]) for b in response.get_json()["breaks"]] == [(1_030_000, 1_031_000)]
    assert lines_stored() == 0


def test_the_form_is_checked_field_by_field(client, staff):
    empty = client.post("/v1/ops/statements", headers=staff, content_type="multipart/form-data",
                        data={"format": "pdf", "account": "1" * 61})
    assert empty.status_code == 422
    assert set(empty.get_json()["error"]["fields"]) == {"file", "format", "account"}
    as_json = client.post("/v1/ops/statements", headers=staff, json={"file": "x"})
    assert as_json.status_code == 422 and "file" in as_json.get_json()["error"]["fields"]


def test_an_operator_token_is_required(client, api_token):
    raw = korean_csv([(today(), "홍길동", 50_000, 0)])
    assert upload(client, {}, raw).status_code == 401
    assert upload(client, bearer("fdt_not-a-real-token"), raw).status_code == 401
    assert client.get("/v1/ops/statements/lines").status_code == 401
    guest = transfer_booking()
    from app.booking.services import access_token_for

    assert upload(client, bearer(access_token_for(guest)), raw).status_code == 401
    assert lines_stored() == 0
    _manager, token = api_token("manager")  # a higher role may too
    assert upload(client, bearer(token), raw).status_code == 201


def test_the_lines_waiting_for_a_person_are_listed_oldest_first_and_paged(client, staff):
    r = transfer_booking()
    raw = korean_csv([(today(), f"{r.code} 김민지", r.total_amount - 1, 0), (today(), "모르는입금", 12_345, 0),
                      (today(), "또모르는입금", 777, 0)])
    assert upload(client, staff, raw, account=ACCOUNT).status_code == 201
    first = client.get("/v1/ops/statements/lines?status=needs_decision&pageSize=2", headers=staff)
    assert first.status_code == 200
    body = first.get_json()
    assert (body["total"], body["page"], body["pageSize"], len(body["results"])) == (3, 1, 2, 2)
    second = client.get("/v1/ops/statements/lines?page=2&pageSize=2", headers=staff).get_json()
    results = body["results"] + second["results"]
    ids = [line["lineID"] for line in results]
    stored = list(db.session.scalars(select(StatementLine.public_id).order_by(StatementLine.id)))
    assert ids == stored
    short = next(line for line in results if line["amount"] == r.total_amount - 1)
    assert (short["status"], short["problem"], short["kind"]) == ("needs_decision", "short", "deposit")
    assert client.get("/v1/ops/statements/lines?status=done", headers=staff).get_json()["total"] == 0
    assert client.get("/v1/ops/statements/lines?status=everything", headers=staff).status_code == 422
    assert client.get("/v1/ops/statements/lines?pageSize=0", headers=staff).status_code == 422
