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

Every call waits SANDBOX_GATEWAY_LATENCY_MS first. The same idempotency key
returns the first result and never charges twice.
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
from datetime import datetime, timezone
from pathlib import Path

from app.payments.gateway import (
    CardDetails,
    ChargeResult,
    GatewayTimeout,
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
    idempotency_key TEXT PRIMARY KEY, charge_id TEXT UNIQUE, amount INTEGER, currency TEXT,
    status TEXT, last4 TEXT, brand TEXT, card_token TEXT, failure_code TEXT, failure_message TEXT,
    refunded INTEGER NOT NULL DEFAULT 0, created_at TEXT);
CREATE TABLE IF NOT EXISTS refunds (
    idempotency_key TEXT PRIMARY KEY, refund_id TEXT UNIQUE, charge_id TEXT, amount INTEGER,
    status TEXT, failure_code TEXT, created_at TEXT);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT, payload TEXT, created_at TEXT,
    delivered_at TEXT, attempts INTEGER NOT NULL DEFAULT 0);
"""
_init_lock = threading.Lock()
_initialised: set[str] = set()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


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
        self._wait()
        number = card.number
        with self._db() as conn:
            row = conn.execute("SELECT * FROM charges WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is None and number != TIMEOUT_NOT_CHARGED:
                status, code, message = DECLINES.get(number, ("succeeded", None, None))
                charge_id = "ch_" + secrets.token_hex(10)
                conn.execute(
                    "INSERT INTO charges (idempotency_key, charge_id, amount, currency, status, last4, brand,"
                    " card_token, failure_code, failure_message, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (idempotency_key, charge_id, amount, currency, status, card.last4, card_brand(number),
                     "tok_" + secrets.token_hex(8), code, message, _now()))
                self._queue_webhook(conn, "charge." + status, {"idempotencyKey": idempotency_key,
                                                               "chargeId": charge_id})
                row = conn.execute("SELECT * FROM charges WHERE idempotency_key = ?",
                                   (idempotency_key,)).fetchone()
        if number in (TIMEOUT_CHARGED, TIMEOUT_NOT_CHARGED):
            raise GatewayTimeout("the gateway did not answer in time")
        return self._charge_result(row)

    def retrieve(self, idempotency_key: str) -> ChargeResult | None:
        self._wait()
        with self._db() as conn:
            row = conn.execute("SELECT * FROM charges WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        return self._charge_result(row) if row else None

    def refund(self, *, idempotency_key: str, charge_id: str, amount: int, currency: str) -> RefundResult:
        self._wait()
        with self._db() as conn:
            row = conn.execute("SELECT * FROM refunds WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is None:
                charge = conn.execute("SELECT * FROM charges WHERE charge_id = ?", (charge_id,)).fetchone()
                if charge is None or charge["status"] != "succeeded":
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
        return RefundResult(row["status"], row["refund_id"], row["failure_code"],
                            None if row["status"] == "succeeded" else "The refund was refused by the gateway.")

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

    # -- inspection (tests, back office) -------------------------------------------

    def charges_for(self, idempotency_key: str) -> int:
        with self._db() as conn:
            return conn.execute("SELECT COUNT(*) FROM charges WHERE idempotency_key = ? AND status = 'succeeded'",
                                (idempotency_key,)).fetchone()[0]

    def refunded_total(self, charge_id: str) -> int:
        with self._db() as conn:
            row = conn.execute("SELECT refunded FROM charges WHERE charge_id = ?", (charge_id,)).fetchone()
        return row[0] if row else 0

    @staticmethod
    def _charge_result(row) -> ChargeResult:
        return ChargeResult(row["status"], row["charge_id"], row["card_token"], row["last4"], row["brand"],
                            row["failure_code"], row["failure_message"], row["amount"], row["currency"])
