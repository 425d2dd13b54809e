"""/v1/ops/reconciliation…: an accountant's nightly script uploads the gateway's file, reconciles the day
and reads the open items — with an operator token, in the API's error shape for bad input."""
from __future__ import annotations

from datetime import timedelta

from app.core import clock as app_clock
from app.payments.settlement import write
from tests.reconcile.conftest import file_rows_of, kst, new_day, pay_by_card


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_upload_reconcile_and_read_the_open_items(client, api_token):
    _operator, token = api_token("staff")
    day = new_day()
    paid, missing = pay_by_card(day), pay_by_card(day, hour=12)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    raw = write(day, file_rows_of([paid], day))

    stored = client.post("/v1/ops/reconciliation/settlement-files", data=raw, headers={
        **auth(token), "Content-Type": "text/csv", "X-File-Name": "pg.csv"})
    assert stored.status_code == 201
    assert stored.get_json()["file"]["rows"] == 1 and stored.get_json()["alreadyStored"] is False
    again = client.post("/v1/ops/reconciliation/settlement-files", data=raw, headers={
        **auth(token), "Content-Type": "text/csv"})
    assert again.status_code == 200 and again.get_json()["alreadyStored"] is True

    ran = client.post(f"/v1/ops/reconciliation/days/{day.isoformat()}/runs", json={"sources": ["gateway"]},
                      headers=auth(token))
    assert ran.status_code == 200
    body = ran.get_json()
    [run] = body["runs"]
    assert (run["source"], run["status"], run["matched"], run["total"], run["matchRate"]) == \
        ("gateway", "completed", 1, 2, "0.500000")
    assert run["internal"] == {"count": 2, "amount": paid.amount + missing.amount}
    assert run["external"] == {"count": 1, "amount": paid.amount} and run["meetsSlo"] is False
    [item] = body["openItems"]
    assert (item["type"], item["internalAmount"], item["externalAmount"]) == ("INTERNAL_ONLY", missing.amount, None)

    listed = client.get("/v1/ops/reconciliation/items", query_string={"date": day.isoformat()}, headers=auth(token))
    assert [i["itemID"] for i in listed.get_json()["results"]] == [item["itemID"]]
    one = client.get(f"/v1/ops/reconciliation/items/{item['itemID']}", headers=auth(token))
    assert one.status_code == 200 and one.get_json()["key"] == f"gateway:tx:{missing.gateway_charge_id}"
    day_body = client.get(f"/v1/ops/reconciliation/days/{day.isoformat()}", headers=auth(token)).get_json()
    assert [r["status"] for r in day_body["runs"]] == ["completed", None, None]


def test_bad_input_gets_the_api_error_shape_and_changes_nothing(client, api_token):
    _operator, token = api_token("staff")
    day = new_day()
    app_clock.freeze(kst(day, 12))
    cut = write(day, [{"record_type": "APPROVAL", "transaction_id": "ch_1", "order_id": "pay_1",
                       "transacted_at": kst(day, 9), "amount": 1000, "fee": 25}]).rsplit(b"\r\nTOTAL", 1)[0]
    refused = client.post("/v1/ops/reconciliation/settlement-files", data=cut,
                          headers={**auth(token), "Content-Type": "text/csv"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "validation_error"
    assert "file" in refused.get_json()["error"]["fields"]
    empty = client.post("/v1/ops/reconciliation/settlement-files", data=b"", headers=auth(token))
    assert empty.status_code == 422
    assert client.post(f"/v1/ops/reconciliation/days/{day.isoformat()}/runs", json={"sources": ["bank"]},
                       headers=auth(token)).status_code == 422
    assert client.post(f"/v1/ops/reconciliation/days/{day.isoformat()}/runs", json={"x": 1},
                       headers=auth(token)).status_code == 422
    future = client.post(f"/v1/ops/reconciliation/days/{(day + timedelta(days=3)).isoformat()}/runs",
                         headers=auth(token))
    assert future.status_code == 422 and "date" in future.get_json()["error"]["fields"]
    assert client.get("/v1/ops/reconciliation/days/2026-02-30", headers=auth(token)).status_code == 404
    assert client.get("/v1/ops/reconciliation/items/" + "9" * 60, headers=auth(token)).status_code == 404
    assert client.get("/v1/ops/reconciliation/items", query_string={"status": "x", "type": "y", "source": "z"},
                      headers=auth(token)).get_json()["error"]["fields"].keys() == {"status", "type", "source"}
    assert client.get("/v1/ops/reconciliation/items", query_string={"date": "yesterday"},
                      headers=auth(token)).status_code == 422


def test_an_operator_token_is_required(client):
    assert client.get("/v1/ops/reconciliation/items").status_code == 401
    assert client.post("/v1/ops/reconciliation/settlement-files", data=b"x").status_code == 401
    assert client.get("/v1/ops/reconciliation/items", headers=auth("fdt_made_up")).status_code == 401
