"""Operator endpoints for bank statements, and the import that `flask statements import` runs too.

    POST /v1/ops/statements          a statement file (multipart: file, account, format, bank) → 201 with
                                     every line and what it did, 200 when every line was imported before,
                                     422 for a file that cannot be read (nothing is imported)
    GET  /v1/ops/statements/lines    the lines waiting for a person (status=needs_decision), oldest first, paged

Thin: check the token's role → read the form → `import_file` → serialize. Who may: any operator
(staff) — importing only records what the bank says; a statement whose balances do not add up
is refused here and imported from the back office with a manager's reason.

`import_file` is shared with the command line (app.cli): the format is detected when not given;
for CSV and Excel the bank's remembered column mapping is used, else the guessed one, and a file
whose required columns cannot be found is refused with the columns named.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.api import bp
from app.api.auth import require_operator
from app.api.common import page_args
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.deposits import parsers, services
from app.deposits.models import CsvMapping, LineStatus, StatementLine
from app.extensions import db

REQUIRED_ROLE = "staff"
FORMATS = ("csv", "xlsx", "xls", "mt940", "camt053")
LINE_STATUSES = (LineStatus.NEEDS_DECISION, LineStatus.DONE, LineStatus.OUTGOING, LineStatus.PENDING)
#: ImportResult.counts keys → the API's names.
COUNT_NAMES = {"deposits_matched": "depositsMatched", "decisions_needed": "decisionsNeeded",
               "payouts_confirmed": "payoutsConfirmed", "fees": "fees", "reversals": "reversals",
               "returns": "returns", "pending": "pending", "duplicates": "duplicates", "other": "other"}


class StatementRefused(ValidationFailed):
    """The file cannot be imported as it is (422); `extra` says why, row by row where it can."""


# --- the import (the API and the command line) -----------------------------------------------

def _mapping_for(raw: bytes, bank: str) -> tuple[dict[str, str], bool]:
    """(the column mapping to use, whether it is the bank's remembered one). Raises StatementRefused
    naming the required columns the file lacks."""
    saved = db.session.scalar(select(CsvMapping.columns).where(CsvMapping.bank == bank)) if bank else None
    try:
        preview = parsers.preview_csv(raw, saved)
    except parsers.StatementError as exc:
        raise _refused(exc) from None
    mapping = preview.mapping
    missing = [role for role in parsers.REQUIRED_ROLES if not mapping.get(role)]
    if missing:
        try:  # the parser's own sentence, naming the columns ("Choose a column for: Memo …")
            parsers.parse_csv(raw, mapping, account="")
            message = None  # (never: a required column is missing)
        except parsers.StatementError as exc:
            message = exc.message
        raise StatementRefused(message, fields={f"mapping.{r}": parsers.ROLE_LABELS[r] for r in missing},
                               missingColumns=missing, headers=preview.headers)
    return mapping, bool(saved) and mapping == saved


def _refused(exc: parsers.StatementError) -> StatementRefused:
    return StatementRefused(exc.message, fields={"file": exc.message},
                            problems=[{"row": row, "problem": str(what)} for row, what in exc.rows[:100]])


def import_file(raw: bytes, *, file_name: str, account: str | None, source_format: str | None, bank: str,
                actor: Actor) -> tuple[dict[str, Any], bool]:
    """Import a statement file as the preview page would, without the page. Commits (once, in
    app.deposits.importing). Returns (the result's JSON body, whether anything new was stored);
    raises StatementRefused (nothing imported) for a file that cannot be read or whose balances
    do not add up. Importing the same file twice stores nothing the second time."""
    bank = (bank or "").strip()[:60]
    account = (account or current_app.config["DEPOSIT_ACCOUNT_NUMBER"]).strip()
    fmt = source_format or parsers.detect_format(raw)
    mapping: dict[str, str] | None = None
    remembered = False
    if fmt in parsers.TABULAR_FORMATS and len(raw) <= services.MAX_FILE_BYTES:
        mapping, remembered = _mapping_for(raw, bank)
    saved_exists = bool(bank) and db.session.scalar(select(CsvMapping.id).where(CsvMapping.bank == bank))
    try:
        result = services.import_statement(
            raw, source_format=fmt, file_name=file_name, account=account,
            # a guess never replaces a mapping a person checked for this bank
            bank=bank if (remembered or not saved_exists) else "", mapping=mapping, actor=actor)
    except services.BalanceRefused as exc:
        raise StatementRefused(exc.message, fields={"file": exc.message},
                               breaks=[{"row": b.row, "expected": b.expected, "found": b.found, "what": b.what}
                                       for b in exc.breaks]) from None
    except parsers.StatementError as exc:
        raise _refused(exc) from None
    stored = result.run is not None
    return result_body(result, source_format=fmt, account=account), stored


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def result_body(result, *, source_format: str, account: str) -> dict[str, Any]:
    """An ImportResult as JSON: every line with what it did, the counts, and the account's gaps."""
    from app.deposits.models import BankStatement

    statements = [s for s, in db.session.execute(select(BankStatement.public_id).where(
        BankStatement.id.in_(result.statement_ids)).order_by(BankStatement.id))] if result.statement_ids else []
    lines = [{"lineID": o.line, "row": o.row, "bookedOn": o.booked_on.isoformat(), "amount": o.amount,
              "kind": o.kind, "outcome": o.outcome, "problem": o.problem, "bookingCode": o.booking,
              "payoutID": o.payout} for o in result.lines]
    return {"importID": result.run, "alreadyImported": result.run is None and bool(result.lines),
            "format": source_format, "account": parsers.normalize_account(account)[:60], "statements": statements,
            "counts": {COUNT_NAMES.get(k, _camel(k)): v for k, v in result.counts.items()}, "lines": lines,
            "gaps": [{_camel(k): v for k, v in gap.items()} for gap in result.gaps]}


# --- the endpoints -----------------------------------------------------------------------------

@bp.post("/ops/statements")
def import_statement_endpoint():
    require_operator(REQUIRED_ROLE)
    errors: dict[str, Any] = {}
    upload = request.files.get("file")
    raw = upload.read() if upload is not None else b""
    if not raw:
        errors["file"] = _l("Required.")
    fmt = (request.form.get("format") or "").strip() or None
    if fmt is not None and fmt not in FORMATS:
        errors["format"] = _l("One of %(values)s.", values=", ".join(FORMATS))
    account = (request.form.get("account") or "").strip()
    bank = (request.form.get("bank") or "").strip()
    for name, value in (("account", account), ("bank", bank)):
        if len(value) > 60:
            errors[name] = _l("At most %(n)s characters.", n=60)
    if errors:
        raise ValidationFailed(fields=errors)
    body, stored = import_file(raw, file_name=(upload.filename or "")[:200], account=account or None,
                               source_format=fmt, bank=bank, actor=g.actor)
    return jsonify(body), 201 if stored else 200


def line_body(line: StatementLine, codes: dict[int, str]) -> dict[str, Any]:
    return {"lineID": line.public_id, "account": line.account, "bookedOn": line.booked_on.isoformat(),
            "amount": line.amount, "currency": line.currency, "memo": line.memo, "depositor": line.depositor,
            "kind": line.kind, "status": line.status, "problem": line.problem, "outcome": line.outcome,
            "bookingCode": codes.get(line.reservation_id), "proposals": [codes[i] for i in line.proposals or []
                                                                          if i in codes],
            "importedAt": line.created_at.isoformat()}


@bp.get("/ops/statements/lines")
def statement_lines_endpoint():
    require_operator(REQUIRED_ROLE)
    page, size = page_args()
    status = request.args.get("status") or LineStatus.NEEDS_DECISION
    if status not in LINE_STATUSES:
        raise ValidationFailed(fields={"status": _l("One of %(values)s.", values=", ".join(LINE_STATUSES))})
    where = StatementLine.status == status
    total = db.session.scalar(select(func.count()).select_from(StatementLine).where(where))
    found = list(db.session.scalars(select(StatementLine).where(where).order_by(StatementLine.id)
                                    .limit(size).offset((page - 1) * size)))
    from app.booking.models import Reservation

    ids = {line.reservation_id for line in found} | {i for line in found for i in (line.proposals or [])}
    ids.discard(None)
    codes = dict(db.session.execute(select(Reservation.id, Reservation.code).where(
        Reservation.id.in_(sorted(ids)))).all()) if ids else {}
    return jsonify({"results": [line_body(line, codes) for line in found], "page": page, "pageSize": size,
                    "total": total})
