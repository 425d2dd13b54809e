"""Operator endpoints for the daily reconciliation (an accountant's nightly script: upload the
gateway's file, reconcile a day, read the open items). Thin: check the token's role → parse → call
one reconcile service → serialize. Resolving an item stays on the back-office page (a confirm step
and a written reason).

Who may: any operator (staff) — reconciling only reads the money and records differences.
"""
from __future__ import annotations

from datetime import date

from flask import g, jsonify, request

from app.api import bp
from app.api.auth import require_operator
from app.api.common import field_date, json_body, page_args, reject_unknown
from app.core.errors import NotFound, ValidationFailed
from app.payments.settlement import SettlementFileError
from app.reconcile import actions, queries, services
from app.reconcile.policies import MISMATCH_TYPES, SOURCE_ORDER, ItemStatus
from app.reconcile.services import FILE_NOT_READABLE, NOT_A_SOURCE, NOT_A_STATUS, NOT_A_TYPE

REQUIRED_ROLE = "staff"


def _day(raw: str) -> date:
    errors: dict = {}
    day = field_date(raw, "businessDate", errors)
    if errors:
        raise NotFound()
    return day


@bp.get("/ops/reconciliation/days/<business_date>")
def reconciliation_day_endpoint(business_date: str):
    require_operator(REQUIRED_ROLE)
    return jsonify(queries.day_body(_day(business_date)))


@bp.post("/ops/reconciliation/days/<business_date>/runs")
def reconcile_day_endpoint(business_date: str):
    require_operator(REQUIRED_ROLE)
    day = _day(business_date)
    sources = list(SOURCE_ORDER)
    if request.get_data(cache=True).strip():
        data, errors = json_body(), {}
        reject_unknown(data, {"sources"}, errors)
        if "sources" in data:
            wanted = data["sources"]
            if not isinstance(wanted, list) or not wanted or any(s not in SOURCE_ORDER for s in wanted):
                errors["sources"] = NOT_A_SOURCE
            else:
                sources = [s for s in SOURCE_ORDER if s in wanted]
        if errors:
            raise ValidationFailed(fields=errors)
    services.check_day(day)
    if sources == list(SOURCE_ORDER):
        runs = services.reconcile_all(day, actor=g.actor, trigger="api")
    else:
        runs = []
        for source in sources:
            try:
                runs.append((source, services.reconcile_day(day, source, actor=g.actor, trigger="api"), None))
            except (ValidationFailed, SettlementFileError, services.IllegalTransition) as exc:
                runs.append((source, services.get_run(day, source), str(getattr(exc, "message", exc))))
    return jsonify(queries.day_body(day, runs))


@bp.post("/ops/reconciliation/settlement-files")
def upload_settlement_file_endpoint():
    require_operator(REQUIRED_ROLE)
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else request.get_data(cache=False)
    name = (upload.filename if upload is not None else request.headers.get("X-File-Name", "")) or ""
    if not raw:
        raise ValidationFailed(fields={"file": FILE_NOT_READABLE})
    try:
        stored = services.store_settlement_file(raw, origin="uploaded", file_name=name[:200], actor=g.actor)
    except SettlementFileError as exc:
        fields = {"file": FILE_NOT_READABLE}
        for row, what in exc.problems[:20]:
            fields[f"row{row}"] = what
        raise ValidationFailed(fields=fields) from None
    body = {"file": queries.file_body(stored.file), "alreadyStored": not stored.created}
    return jsonify(body), 201 if stored.created else 200


@bp.get("/ops/reconciliation/items")
def reconciliation_items_endpoint():
    require_operator(REQUIRED_ROLE)
    page, size = page_args()
    errors: dict = {}
    status = request.args.get("status", ItemStatus.OPEN)
    if status not in (ItemStatus.OPEN, ItemStatus.RESOLVED, "all"):
        errors["status"] = NOT_A_STATUS
    source = request.args.get("source") or None
    if source is not None and source not in SOURCE_ORDER:
        errors["source"] = NOT_A_SOURCE
    kind = request.args.get("type") or None
    if kind is not None and kind not in MISMATCH_TYPES:
        errors["type"] = NOT_A_TYPE
    day = field_date(request.args["date"], "date", errors) if request.args.get("date") else None
    if errors:
        raise ValidationFailed(fields=errors)
    found, total = queries.list_items(status=None if status == "all" else status, source=source, kind=kind, day=day,
                                      limit=size, offset=(page - 1) * size)
    return jsonify({"results": [queries.item_body(i) for i in found], "page": page, "pageSize": size,
                    "total": total})


@bp.get("/ops/reconciliation/items/<item_id>")
def reconciliation_item_endpoint(item_id: str):
    require_operator(REQUIRED_ROLE)
    try:
        item = actions.get_item(item_id)
    except NotFound:
        raise NotFound() from None
    return jsonify(queries.item_body(item))
