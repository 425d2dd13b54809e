"""The sandbox payment gateway: a stand-in processor that behaves like a real one.

Its state lives in its own SQLite file (SANDBOX_STATE_DIR/sandbox_gateway.sqlite3),
outside Frontdesk's database and transactions, as a real processor's would.

Test cards (any future expiry, any 3-digit CVC):

| number              | what happens                                           |
|---------------------|--------------------------------------------------------|
| 4242 4242 4242 4242 | approved                                               |
| 5555 5555 5555 4444 | approved (Mastercard)                                  |
| 4000 0000 0000 0002 | declined: card_declined                                |
| 4000 0000 0000 9995 | declined: insufficient_funds                           |
| 4000 0000 0000 0069 | declined: expired_card                                 |
| 4000 0000 0000 0119 | failed: processing_error (nothing charged)             |
| 4000 0000 0000 3220 | times out, but the charge went through (webhook later) |
| 4000 0000 0000 3238 | times out, and nothing was charged                     |
| 4000 0000 0000 5126 | approved; its refunds go through but every answer is lost (timeout) |
| 4000 0000 0000 5134 | approved; its refund requests never arrive (timeout, nothing refunded) |
| 4000 0000 0000 5142 | approved; its first refund request never arrives (timeout), later ones do |
| 4000 0000 0000 5159 | approved; its refunds are refused: refund_declined (nothing refunded) |

A refund of more than is left of its charge (or in another currency) is refused:
amount_too_large; a refund of an unknown or unpaid charge: no_such_charge.

A per-call script (app.core.sandbox_script) overrides the cards, one outcome per call
of `charge`, `refund`, `retrieve` or `refund_status`: `script(["timeout_after"],
"refund")` from Python, `flask sandbox script gateway --operation refund timeout_after`
from a shell, SANDBOX_GATEWAY_SCRIPT for a demo. Codes: the decline codes above for
charges, REFUND_CODES for refunds.

Every call waits SANDBOX_GATEWAY_LATENCY_MS first. The same idempotency key
returns the first result and never charges twice; refunds likewise, and
`refund_status(key)` says what became of a refund (None: never received).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from app.core.sandbox_script import Scriptable
from app.payments.gateway import (
    CardDetails,
    ChargeResult,
    GatewayTimeout,
    GatewayUnavailable,
    RefundResult,
    card_brand,
)

DECLINES = {
    "4000000000000002": ("declined", "card_declined", "The card was declined."),
    "4000000000009995": ("declined", "insufficient_funds", "The card has insufficient funds."),
    "4000000000000069": ("declined", "expired_card", "The card has expired."),
    "4000000000000119": ("failed", "processing_error", "The card could not be processed."),
}
TIMEOUT_CHARGED = "4000000000003220"
TIMEOUT_NOT_CHARGED = "4000000000003238"
#: card → what happens to the refunds of its charges (kept per charge in `refund_faults`).
REFUND_FAULTS = {
    "4000000000005126": "answer_lost",   # refunded, but the answer never comes back
    "4000000000005134": "never_arrives",  # no refund request of this charge gets through
    "4000000000005142": "first_lost",    # the first refund request is lost, later ones get through
    "4000000000005159": "refused",       # every refund is refused (refund_declined)
}
#: Why the gateway refuses a refund, with the words it answers.
REFUND_CODES = {
    "refund_declined": "The card company declined the refund.",
    "amount_too_large": "The refund is larger than what is left of the charge.",
    "no_such_charge": "There is no paid charge to refund.",
    "processing_error": "The refund could not be processed.",
}
CHARGE_CODES = {code: (status, message) for status, code, message in DECLINES.values()}
#: What a script may say to this gateway (app.core.sandbox_script).
SCRIPT = Scriptable(
    adapter="gateway",
    operations={"charge": ("accept", "refuse", "timeout_before", "timeout_after", "unavailable"),
                "refund": ("accept", "refuse", "timeout_before", "timeout_after", "unavailable"),
                "retrieve": ("done", "failed", "unknown", "not_found", "unavailable"),
                "refund_status": ("done", "failed", "unknown", "not_found", "unavailable")},
    codes={"charge": tuple(CHARGE_CODES), "retrieve": tuple(CHARGE_CODES),
           "refund": tuple(REFUND_CODES), "refund_status": tuple(REFUND_CODES)},
    default_codes={"charge": "card_declined", "retrieve": "processing_error",
                   "refund": "refund_declined", "refund_status": "refund_declined"},
    main_operation="charge",
    setting="SANDBOX_GATEWAY_SCRIPT",
)


def script(outcomes, operation: str = "charge", *, append: bool = False):
    """Script the sandbox gateway's next calls of `operation` (charge, refund, retrieve,
    refund_status), e.g. `script(["timeout_after"], "refund")`; replaces that operation's
    script unless `append`. Raises ScriptError (nothing changed) for an unknown outcome or
    code. Needs an app context."""
    return SCRIPT.set(outcomes, operation, append=append)


def clear_script() -> None:
    """The sandbox gateway follows its usual rules (test cards) again."""
    SCRIPT.clear()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
    idempotency_key TEXT PRIMARY KEY, charge_id TEXT UNIQUE, amount INTEGER, currency TEXT,
    status TEXT, last4 TEXT, brand TEXT, card_token TEXT, failure_code TEXT, failure_message TEXT,
    refunded INTEGER NOT NULL DEFAULT 0, created_at TEXT);
CREATE TABLE IF NOT EXISTS refunds (
    idempotency_key TEXT PRIMARY KEY, refund_id TEXT UNIQUE, charge_id TEXT, amount INTEGER,
    status TEXT, failure_code TEXT, created_at TEXT);
CREATE TABLE IF NOT EXISTS refund_faults (charge_id TEXT PRIMARY KEY, mode TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refund_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT, charge_id TEXT, outcome TEXT, received_at TEXT);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT, payload TEXT, created_at TEXT,
    delivered_at TEXT, attempts INTEGER NOT NULL DEFAULT 0);
"""
_init_lock = threading.Lock()
_initialised: set[str] = set()


def _now() -> str:
    """The processor's clock: Frontdesk's (app.core.clock), so tests that move time move it too;
    in production both are the wall clock."""
    from app.core import clock

    return clock.now().astimezone(timezone.utc).isoformat()


def _before_arrival(step) -> None:
    """A scripted call that never arrives: refused connection, or a timeout before it got through."""
    if step is not None and step.kind == "unavailable":
        raise GatewayUnavailable("the gateway refused the connection (sandbox script)")
    if step is not None and step.kind == "timeout_before":
        raise GatewayTimeout("the gateway did not answer in time (sandbox script: nothing received)")


def _before_question(step) -> None:
    """A scripted question with no answer: refused connection, a timeout, or "never received"."""
    if step is not None and step.kind == "unavailable":
        raise GatewayUnavailable("the gateway refused the connection (sandbox script)")
    if step is not None and step.kind == "unknown":
        raise GatewayTimeout("the gateway did not answer in time (sandbox script)")


class SandboxGateway:
    name = "sandbox"

    def __init__(self, state_path: Path, latency_ms: int = 0, webhook_secret: str = ""):
        self.path = Path(state_path)
        self.latency = latency_ms / 1000
        self.webhook_secret = webhook_secret

    @classmethod
    def from_config(cls, config) -> "SandboxGateway":
        return cls(Path(config["SANDBOX_STATE_DIR"]) / "sandbox_gateway.sqlite3",
                   config["SANDBOX_GATEWAY_LATENCY_MS"], config["GATEWAY_WEBHOOK_SECRET"])

    @contextmanager
    def _db(self):
        key = str(self.path)
        if key not in _initialised:
            with _init_lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
                conn.close()
                _initialised.add(key)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    # -- the processor's API ---------------------------------------------------

    def charge(self, *, idempotency_key: str, amount: int, currency: str, card: CardDetails,
               description: str = "") -> ChargeResult:
        step = SCRIPT.next("charge")
        self._wait()
        _before_arrival(step)
        number = card.number
        with self._db() as conn:
            row = conn.execute("SELECT * FROM charges WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is None and (step is not None or number != TIMEOUT_NOT_CHARGED):
                if step is not None and step.kind == "refuse":
                    status, message = CHARGE_CODES[step.code]
                    code = step.code
                elif step is not None:
                    status, code, message = "succeeded", None, None
                else:
                    status, code, message = DECLINES.get(number, ("succeeded", None, None))
                charge_id = "ch_" + secrets.token_hex(10)
                conn.execute(
                    "INSERT INTO charges (idempotency_key, charge_id, amount, currency, status, last4, brand,"
                    " card_token, failure_code, failure_message, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (idempotency_key, charge_id, amount, currency, status, card.last4, card_brand(number),
                     "tok_" + secrets.token_hex(8), code, message, _now()))
                if number in REFUND_FAULTS:
                    conn.execute("INSERT OR IGNORE INTO refund_faults (charge_id, mode) VALUES (?, ?)",
                                 (charge_id, REFUND_FAULTS[number]))
                self._queue_webhook(conn, "charge." + status, {"idempotencyKey": idempotency_key,
                                                               "chargeId": charge_id})
                row = conn.execute("SELECT * FROM charges WHERE idempotency_key = ?",
                                   (idempotency_key,)).fetchone()
        if (step.kind == "timeout_after") if step is not None else number in (TIMEOUT_CHARGED, TIMEOUT_NOT_CHARGED):
            raise GatewayTimeout("the gateway did not answer in time")
        return self._charge_result(row)

    def retrieve(self, idempotency_key: str) -> ChargeResult | None:
        step = SCRIPT.next("retrieve")
        self._wait()
        _before_question(step)
        if step is not None and step.kind == "not_found":
            return None
        with self._db() as conn:
            row = conn.execute("SELECT * FROM charges WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        if step is not None and step.kind == "failed" and (row is None or row["status"] != "succeeded"):
            status, message = CHARGE_CODES[step.code]
            return ChargeResult(status, row["charge_id"] if row else None, failure_code=step.code,
                                failure_message=message)
        return self._charge_result(row) if row else None

    def refund(self, *, idempotency_key: str, charge_id: str, amount: int, currency: str) -> RefundResult:
        step = SCRIPT.next("refund")
        self._wait()
        if step is not None and step.kind == "unavailable":
            raise GatewayUnavailable("the gateway refused the connection (sandbox script)")
        refuse = step.code if step is not None and step.kind == "refuse" else None
        with self._db() as conn:
            if step is not None:
                lost = step.kind == "timeout_before"
                outcome = "lost" if lost else "answer_lost" if step.kind == "timeout_after" else "answered"
            else:
                fault = conn.execute("SELECT mode FROM refund_faults WHERE charge_id = ?", (charge_id,)).fetchone()
                fault = fault["mode"] if fault else None
                earlier = conn.execute("SELECT COUNT(*) FROM refund_requests WHERE charge_id = ?",
                                       (charge_id,)).fetchone()[0]
                lost = fault == "never_arrives" or (fault == "first_lost" and earlier == 0)
                outcome = "lost" if lost else "answer_lost" if fault == "answer_lost" else "answered"
                refuse = "refund_declined" if fault == "refused" else None
            conn.execute("INSERT INTO refund_requests (idempotency_key, charge_id, outcome, received_at)"
                         " VALUES (?,?,?,?)", (idempotency_key, charge_id, outcome, _now()))
            row = None if lost else self._refund_once(conn, idempotency_key, charge_id, amount, currency, refuse)
        if outcome != "answered":
            raise GatewayTimeout("the gateway did not answer in time")
        return self._refund_result(row)

    def _refund_once(self, conn, idempotency_key: str, charge_id: str, amount: int, currency: str,
                     refuse: str | None = None):
        """The refund of this key: the first request's result (a key refunds once), or a new one
        (refused with `refuse` when given)."""
        row = conn.execute("SELECT * FROM refunds WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        if row is None:
            charge = conn.execute("SELECT * FROM charges WHERE charge_id = ?", (charge_id,)).fetchone()
            if refuse is not None:
                status, code = "failed", refuse
            elif charge is None or charge["status"] != "succeeded":
                status, code = "failed", "no_such_charge"
            elif charge["currency"] != currency or charge["refunded"] + amount > charge["amount"]:
                status, code = "failed", "amount_too_large"
            else:
                status, code = "succeeded", None
                conn.execute("UPDATE charges SET refunded = refunded + ? WHERE charge_id = ?",
                             (amount, charge_id))
            refund_id = "re_" + secrets.token_hex(10)
            conn.execute("INSERT INTO refunds (idempotency_key, refund_id, charge_id, amount, status,"
                         " failure_code, created_at) VALUES (?,?,?,?,?,?,?)",
                         (idempotency_key, refund_id, charge_id, amount, status, code, _now()))
            row = conn.execute("SELECT * FROM refunds WHERE idempotency_key = ?",
                               (idempotency_key,)).fetchone()
        return row

    def refund_status(self, idempotency_key: str) -> RefundResult | None:
        """What became of the refund with this key; None when no request of it ever arrived."""
        step = SCRIPT.next("refund_status")
        self._wait()
        _before_question(step)
        if step is not None and step.kind == "not_found":
            return None
        with self._db() as conn:
            row = conn.execute("SELECT * FROM refunds WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        if step is not None and step.kind == "failed" and (row is None or row["status"] != "succeeded"):
            return RefundResult("failed", row["refund_id"] if row else None, step.code, REFUND_CODES[step.code])
        return self._refund_result(row) if row else None

    @staticmethod
    def _refund_result(row) -> RefundResult:
        return RefundResult(row["status"], row["refund_id"], row["failure_code"],
                            None if row["status"] == "succeeded"
                            else REFUND_CODES.get(row["failure_code"], "The refund was refused by the gateway."))

    # -- webhooks ----------------------------------------------------------------

    def _queue_webhook(self, conn, event: str, data: dict) -> None:
        conn.execute("INSERT INTO webhooks (event, payload, created_at) VALUES (?,?,?)",
                     (event, json.dumps({"event": event, "data": data}), _now()))

    def sign(self, body: bytes) -> str:
        return hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()

    def undelivered_webhooks(self, limit: int = 100) -> list[tuple[int, bytes]]:
        with self._db() as conn:
            rows = conn.execute("SELECT id, payload FROM webhooks WHERE delivered_at IS NULL ORDER BY id LIMIT ?",
                                (limit,)).fetchall()
        return [(row["id"], row["payload"].encode()) for row in rows]

    def mark_webhook(self, webhook_id: int, delivered: bool) -> None:
        with self._db() as conn:
            if delivered:
                conn.execute("UPDATE webhooks SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?",
                             (_now(), webhook_id))
            else:
                conn.execute("UPDATE webhooks SET attempts = attempts + 1 WHERE id = ?", (webhook_id,))

    # -- the daily settlement file (app.payments.settlement) ---------------------------

    def settlement_file(self, business_date: date, tz: str = "Asia/Seoul") -> bytes:
        """The settlement file of `business_date` (local to `tz`): every succeeded charge (APPROVAL,
        fee SANDBOX_FEE_BASIS_POINTS) and refund (CANCEL, no fee given back) made that day, as a real
        processor sends it the next morning. Reading it changes nothing."""
        from app.payments import settlement

        zone = ZoneInfo(tz)
        start = datetime.combine(business_date, datetime.min.time(), tzinfo=zone)
        end = start + timedelta(days=1)

        def on_the_day(stamp: str) -> datetime | None:
            at = datetime.fromisoformat(stamp)
            return at.astimezone(zone) if start <= at < end else None

        rows = []
        with self._db() as conn:
            for c in conn.execute("SELECT * FROM charges WHERE status = 'succeeded' ORDER BY created_at, charge_id"):
                at = on_the_day(c["created_at"])
                if at is not None:
                    fee = settlement.compute_fee(c["amount"])
                    rows.append({"record_type": settlement.APPROVAL, "transaction_id": c["charge_id"],
                                 "order_id": c["idempotency_key"], "transacted_at": at, "amount": c["amount"],
                                 "fee": fee})
            for r in conn.execute("SELECT r.*, c.idempotency_key AS order_id FROM refunds r JOIN charges c"
                                  " ON c.charge_id = r.charge_id WHERE r.status = 'succeeded'"
                                  " ORDER BY r.created_at, r.refund_id"):
                at = on_the_day(r["created_at"])
                if at is not None:
                    rows.append({"record_type": settlement.CANCEL, "transaction_id": r["refund_id"],
                                 "order_id": r["order_id"], "original_transaction_id": r["charge_id"],
                                 "transacted_at": at, "amount": -r["amount"], "fee": 0})
        rows.sort(key=lambda row: (row["transacted_at"], row["transaction_id"]))
        return settlement.write(business_date, rows)

    def settlement_payment(self, business_date: date) -> tuple[date, int, str]:
        """How the sandbox pays a day's card money: (the day it lands on our bank statement, the file's
        net, the memo), i.e. the next day, with settlement.settlement_memo(business_date)."""
        from app.payments import settlement

        net = settlement.parse(self.settlement_file(business_date)).total_net
        return business_date + timedelta(days=1), net, settlement.settlement_memo(business_date)

    # -- inspection (tests, back office) -------------------------------------------

    def charges_for(self, idempotency_key: str) -> int:
        with self._db() as conn:
            return conn.execute("SELECT COUNT(*) FROM charges WHERE idempotency_key = ? AND status = 'succeeded'",
                                (idempotency_key,)).fetchone()[0]

    def refund_requests_for(self, idempotency_key: str) -> list[str]:
        """The outcome of every refund request sent with this key, in order
        ("answered", "answer_lost" or "lost")."""
        with self._db() as conn:
            rows = conn.execute("SELECT outcome FROM refund_requests WHERE idempotency_key = ? ORDER BY id",
                                (idempotency_key,)).fetchall()
        return [row[0] for row in rows]

    def refunded_total(self, charge_id: str) -> int:
        with self._db() as conn:
            row = conn.execute("SELECT refunded FROM charges WHERE charge_id = ?", (charge_id,)).fetchone()
        return row[0] if row else 0

    @staticmethod
    def _charge_result(row) -> ChargeResult:
        return ChargeResult(row["status"], row["charge_id"], row["card_token"], row["last4"], row["brand"],
                            row["failure_code"], row["failure_message"], row["amount"], row["currency"])
