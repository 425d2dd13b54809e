"""The card gateway's daily settlement file: its CSV format, a reader and a writer.

A gateway sends one file per business date (Asia/Seoul) listing every approval
and every cancel it filed under that date, and pays the date's net amount
(amounts less fees) into our bank account on the next day. Reconciliation
(app.reconcile) compares the rows with our ledger and the net with the credit
on the bank statement.

The format (UTF-8, optional BOM, comma separated, one header line, CRLF or LF)::

    record_type,business_date,transaction_id,order_id,original_transaction_id,transacted_at,amount,fee,net,currency
    APPROVAL,2026-12-07,ch_3f9a…,pay_81c2…,,2026-12-07T10:11:12+09:00,120000,3000,117000,KRW
    CANCEL,2026-12-07,re_77d1…,pay_81c2…,ch_3f9a…,2026-12-07T15:00:00+09:00,-50000,0,-50000,KRW
    TOTAL,2026-12-07,2,,,,70000,3000,67000,KRW

- `record_type`: APPROVAL (a capture: money to us) or CANCEL (a refund of a
  capture: money back to the card), and one TOTAL trailer as the last row.
- `business_date`: the gateway's business date of the row (YYYY-MM-DD), the
  same on every row. The gateway's own clock decides it, so a transaction at
  midnight may be filed on the other side of it from our ledger.
- `transaction_id`: the gateway's id of the row (a charge id `ch_…` for an
  approval, a refund id `re_…` for a cancel), unique in the file. On the TOTAL
  row this field holds the number of APPROVAL + CANCEL rows.
- `order_id`: what we sent as the order: our payment's public id (the
  gateway's idempotency key), or a booking code.
- `original_transaction_id`: for a cancel, the approval it gives back.
- `transacted_at`: ISO 8601 with an offset.
- `amount`: whole won, signed: + for an approval, - for a cancel.
- `fee`: what the gateway keeps for the row (+), or gives back on a cancel (-).
- `net`: amount - fee. The TOTAL row holds the sums of amount, fee and net.

`parse()` refuses a file whose rows or trailer do not add up (a cut-off or
edited file must not be reconciled as if it were complete).
`settlement_memo()` / `settlement_date_in()` spell and read the memo of the
gateway's next-day credit on our bank statement.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

COLUMNS = ("record_type", "business_date", "transaction_id", "order_id", "original_transaction_id",
           "transacted_at", "amount", "fee", "net", "currency")
APPROVAL, CANCEL, TOTAL = "APPROVAL", "CANCEL", "TOTAL"
#: The fee the sandbox gateway keeps on an approval, in basis points (2.5 %).
SANDBOX_FEE_BASIS_POINTS = 250
#: Gateways whose next-day credit we recognise on a bank statement, by the name in the memo.
SETTLEMENT_MEMO_NAMES = ("SANDBOXPG",)
_MEMO = re.compile(r"(?<![A-Z0-9])(" + "|".join(SETTLEMENT_MEMO_NAMES) + r")\s*정산\s*(\d{4})-?(\d{2})-?(\d{2})(?!\d)",
                   re.IGNORECASE)
MAX_ROWS = 2_000_000


class SettlementFileError(Exception):
    """The file cannot be read as a settlement file; `problems` says where (row number, what)."""

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class SettlementRow:
    record_type: str          # APPROVAL | CANCEL
    transaction_id: str
    order_id: str
    original_transaction_id: str | None
    transacted_at: datetime
    amount: int               # signed: + approval, - cancel
    fee: int
    net: int
    currency: str
    row: int                  # line number in the file (1 = header)

    def as_dict(self) -> dict:
        """The row's fields as stored on a reconciliation item (JSON)."""
        return {"recordType": self.record_type, "transactionId": self.transaction_id, "orderId": self.order_id,
                "originalTransactionId": self.original_transaction_id,
                "transactedAt": self.transacted_at.isoformat(), "amount": self.amount, "fee": self.fee,
                "net": self.net, "currency": self.currency, "row": self.row}


@dataclass
class SettlementFile:
    business_date: date
    currency: str
    rows: list[SettlementRow] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def total_amount(self) -> int:
        return sum(r.amount for r in self.rows)

    @property
    def total_fee(self) -> int:
        return sum(r.fee for r in self.rows)

    @property
    def total_net(self) -> int:
        return sum(r.net for r in self.rows)


def compute_fee(amount: int, basis_points: int = SANDBOX_FEE_BASIS_POINTS) -> int:
    """The fee on an approval: amount × basis points / 10,000, rounded half up (integers only)."""
    return (amount * basis_points + 5_000) // 10_000


def _int(text: str) -> int:
    if not re.fullmatch(r"-?\d{1,15}", text):
        raise ValueError(text)
    return int(text)


def parse(raw: bytes) -> SettlementFile:
    """Read a settlement file (see the module doc). Raises SettlementFileError listing every bad row."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SettlementFileError("The file is not UTF-8 text.") from exc
    if "\x00" in text:
        raise SettlementFileError("The file is not a settlement file (it contains binary data).")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise SettlementFileError("The file is empty.") from None
    if tuple(h.strip().lower() for h in header) != COLUMNS:
        raise SettlementFileError("The first line must name the columns: " + ",".join(COLUMNS) + ".")
    problems: list[tuple[int, str]] = []
    rows: list[SettlementRow] = []
    total = None
    dates: set[date] = set()
    currencies: set[str] = set()
    seen: dict[str, int] = {}
    number = 1
    try:
        for number, record in enumerate(reader, start=2):
            if not record or all(not c.strip() for c in record):
                continue
            if number > MAX_ROWS:
                raise SettlementFileError(f"The file has more than {MAX_ROWS:,} rows.")
            if len(record) != len(COLUMNS):
                problems.append((number, f"expected {len(COLUMNS)} fields, found {len(record)}"))
                continue
            values = dict(zip(COLUMNS, (c.strip() for c in record)))
            if total is not None:
                problems.append((number, "a row after the TOTAL row"))
                continue
            try:
                dates.add(date.fromisoformat(values["business_date"]))
                amount, fee, net = _int(values["amount"]), _int(values["fee"]), _int(values["net"])
            except ValueError:
                problems.append((number, "the date or an amount is not valid"))
                continue
            currencies.add(values["currency"])
            kind = values["record_type"].upper()
            if kind == TOTAL:
                total = (number, values["transaction_id"], amount, fee, net)
                continue
            row = _data_row(number, kind, values, amount, fee, net, problems)
            if row is None:
                continue
            if row.transaction_id in seen:
                problems.append((number, f"transaction {row.transaction_id} is also on row {seen[row.transaction_id]}"))
                continue
            seen[row.transaction_id] = number
            rows.append(row)
    except csv.Error as exc:
        raise SettlementFileError(f"Row {number} cannot be read: {exc}.") from None
    if len(dates) > 1:
        problems.append((0, "the rows name more than one business date"))
    if len(currencies) > 1 or any(not re.fullmatch(r"[A-Z]{3}", c) for c in currencies):
        problems.append((0, "the rows name more than one currency, or not a 3-letter code"))
    if total is None:
        problems.append((0, "the TOTAL row is missing: the file may be cut off"))
    elif not problems:
        row_no, count, amount, fee, net = total
        found = (len(rows), sum(r.amount for r in rows), sum(r.fee for r in rows), sum(r.net for r in rows))
        if count != str(found[0]) or (amount, fee, net) != found[1:]:
            problems.append((row_no, f"the TOTAL row says {count} rows, {amount}/{fee}/{net} but the rows add up to "
                                     f"{found[0]} rows, {found[1]}/{found[2]}/{found[3]}"))
    if problems:
        raise SettlementFileError("The settlement file does not add up; nothing was stored.", problems)
    return SettlementFile(dates.pop(), currencies.pop(), rows)


def _data_row(number: int, kind: str, values: dict, amount: int, fee: int, net: int,
              problems: list[tuple[int, str]]) -> SettlementRow | None:
    if kind not in (APPROVAL, CANCEL):
        problems.append((number, f"unknown record type {values['record_type'][:20]!r}"))
        return None
    if not values["transaction_id"] or len(values["transaction_id"]) > 100 or len(values["order_id"]) > 100 \
            or len(values["original_transaction_id"]) > 100:
        problems.append((number, "the transaction id is missing or too long"))
        return None
    if (kind == APPROVAL and amount <= 0) or (kind == CANCEL and amount >= 0):
        problems.append((number, "an approval's amount must be positive and a cancel's negative"))
        return None
    if net != amount - fee:
        problems.append((number, f"net {net} is not amount {amount} less fee {fee}"))
        return None
    try:
        at = datetime.fromisoformat(values["transacted_at"])
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        problems.append((number, "the time must be ISO 8601 with an offset, such as 2026-12-07T10:11:12+09:00"))
        return None
    return SettlementRow(kind, values["transaction_id"], values["order_id"],
                         values["original_transaction_id"] or None, at, amount, fee, net, values["currency"], number)


def write(business_date: date, rows: list[dict], currency: str = "KRW") -> bytes:
    """A settlement file for `rows` (dicts with record_type, transaction_id, order_id, amount, fee,
    transacted_at and optionally original_transaction_id, net): the sandbox's writer, and the tests'."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    totals = [0, 0, 0]
    for r in rows:
        net = r.get("net", r["amount"] - r["fee"])
        at = r["transacted_at"]
        writer.writerow([r["record_type"], business_date.isoformat(), r["transaction_id"], r["order_id"],
                         r.get("original_transaction_id") or "", at.isoformat() if isinstance(at, datetime) else at,
                         r["amount"], r["fee"], net, currency])
        totals = [totals[0] + r["amount"], totals[1] + r["fee"], totals[2] + net]
    writer.writerow([TOTAL, business_date.isoformat(), len(rows), "", "", "", *totals, currency])
    return out.getvalue().encode("utf-8")


def settlement_memo(business_date: date, gateway: str = "SANDBOXPG") -> str:
    """The memo of the gateway's credit for `business_date` on our bank statement."""
    return f"{gateway} 정산 {business_date:%Y%m%d}"


def settlement_date_in(memo: str | None) -> date | None:
    """The business date a bank line's memo names as a gateway settlement ("SANDBOXPG 정산 20261207"),
    or None when the memo is not one. The statement import marks such lines "gateway_settlement"."""
    if not memo:
        return None
    found = _MEMO.search(memo)
    if found is None:
        return None
    try:
        return date(int(found.group(2)), int(found.group(3)), int(found.group(4)))
    except ValueError:
        return None
