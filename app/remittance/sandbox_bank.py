"""The sandbox bank: a stand-in for the payout bank that behaves like a real one.

Its state lives in its own SQLite file (SANDBOX_STATE_DIR/sandbox_bank.sqlite3),
outside Frontdesk's database and transactions, as a real bank's would. It
records every request it receives and, separately, the money it actually
moved: at most one movement per transfer id (a UNIQUE column), so tests can
assert "moved once" whatever happened in between.

Outcomes are chosen by the LAST FOUR DIGITS of the account number:

| account ends in | what happens                                                        |
|-----------------|---------------------------------------------------------------------|
| 0001            | refused: INVALID_ACCOUNT                                            |
| 0002            | refused: CLOSED_ACCOUNT                                             |
| 0003            | refused: DORMANT_ACCOUNT                                            |
| 0004            | refused: NAME_MISMATCH                                              |
| 0005            | refused: LIMIT_EXCEEDED                                             |
| 0006            | refused: BANK_ERROR                                                 |
| 0007            | TIMEOUT: the money moved, but the answer was lost                   |
| 0008            | TIMEOUT: nothing happened (the request never got through)          |
| 009N (N = 1…9)  | BANK_ERROR for the first N requests of a transfer id, then success  |
| anything else   | success                                                             |

A per-call script (app.core.sandbox_script) overrides the digits, one outcome per
call of `transfer` or `inquire`: `script(["timeout_after", "accept"])` from Python,
`flask sandbox script bank timeout_after accept` from a shell, SANDBOX_BANK_SCRIPT
for a demo. Refusal codes are those of policies.FAILURE_TYPES.

Every call waits SANDBOX_BANK_LATENCY_MS first. SANDBOX_BANK_PAUSE_AFTER_ACCEPT_MS
(tests only) makes it sleep after recording a movement and before answering,
so a test can kill the caller at exactly that moment.
"""
from __future__ import annotations

import os
import re
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from app.core.sandbox_script import Scriptable
from app.remittance.bank import BankTimeout, BankUnavailable, TransferResult
from app.remittance.policies import FAILURE_TYPES

REFUSALS = {
    "0001": ("INVALID_ACCOUNT", "No such account."),
    "0002": ("CLOSED_ACCOUNT", "The account is closed."),
    "0003": ("DORMANT_ACCOUNT", "The account is dormant."),
    "0004": ("NAME_MISMATCH", "The holder's name does not match the account."),
    "0005": ("LIMIT_EXCEEDED", "The transfer limit was exceeded."),
    "0006": ("BANK_ERROR", "The bank's system had an error."),
}
TIMEOUT_MOVED = "0007"
TIMEOUT_NOT_MOVED = "0008"
FLAKY_PREFIX = "009"   # 009N: fails N times, then succeeds

#: What a script may say to this bank (app.core.sandbox_script).
SCRIPT = Scriptable(
    adapter="bank",
    operations={"transfer": ("accept", "refuse", "timeout_before", "timeout_after", "unavailable"),
                "inquire": ("done", "failed", "unknown", "not_found", "unavailable")},
    codes={"transfer": tuple(FAILURE_TYPES), "inquire": tuple(FAILURE_TYPES)},
    default_codes={"transfer": "BANK_ERROR", "inquire": "BANK_ERROR"},
    main_operation="transfer",
    setting="SANDBOX_BANK_SCRIPT",
)
MESSAGES = {code: message for code, message in REFUSALS.values()} | {
    "TIMEOUT": "The bank did not answer in time, and the transfer did not happen."}


def script(outcomes, operation: str = "transfer", *, append: bool = False):
    """Script the sandbox bank's next calls of `operation` ("transfer" or "inquire"), e.g.
    `script(["timeout_after", "accept"])`; replaces that operation's script unless `append`.
    Raises ScriptError (nothing changed) for an unknown outcome or code. Needs an app context."""
    return SCRIPT.set(outcomes, operation, append=append)


def clear_script() -> None:
    """The sandbox bank follows its usual rules (account digits) again."""
    SCRIPT.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS transfers (
    transfer_id TEXT PRIMARY KEY, status TEXT NOT NULL, amount INTEGER, currency TEXT, bank_code TEXT,
    account_number TEXT, account_holder TEXT, bank_reference TEXT, failure_type TEXT, message TEXT,
    requests INTEGER NOT NULL DEFAULT 0, last_request_no INTEGER, created_at TEXT, updated_at TEXT);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, transfer_id TEXT NOT NULL, request_no INTEGER, amount INTEGER,
    outcome TEXT, received_at TEXT);
CREATE TABLE IF NOT EXISTS movements (
    id INTEGER PRIMARY KEY AUTOINCREMENT, transfer_id TEXT NOT NULL UNIQUE, amount INTEGER NOT NULL,
    currency TEXT NOT NULL, bank_code TEXT, account_number TEXT, bank_reference TEXT NOT NULL, moved_at TEXT);
CREATE INDEX IF NOT EXISTS ix_requests_transfer ON requests (transfer_id);
"""
_init_lock = threading.Lock()
_initialised: set[str] = set()
_local = threading.local()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def scripted_outcome(account_number: str, earlier_requests: int) -> tuple[str, str | None, str | None]:
    """(kind, failure_type, message) for a request; kind: ok | refuse | timeout_moved | timeout_lost."""
    tail = re.sub(r"\D", "", account_number)[-4:]
    if tail in REFUSALS:
        return ("refuse", *REFUSALS[tail])
    if tail == TIMEOUT_MOVED:
        return "timeout_moved", None, None
    if tail == TIMEOUT_NOT_MOVED:
        return "timeout_lost", None, None
    if tail.startswith(FLAKY_PREFIX) and tail[3] != "0" and earlier_requests < int(tail[3]):
        return "refuse", "BANK_ERROR", "The bank's system had an error (flaky account)."
    return "ok", None, None


def _from_step(step) -> tuple[str, str | None, str | None]:
    """A script step as scripted_outcome's (kind, failure_type, message)."""
    if step.kind == "refuse":
        return "refuse", step.code, MESSAGES.get(step.code, "Refused (sandbox script).")
    if step.kind == "timeout_after":
        return "timeout_moved", None, None
    return "ok", None, None


class SandboxBank:
    name = "sandbox"

    def __init__(self, state_path: Path, latency_ms: int = 0, pause_after_accept_ms: int = 0):
        self.path = Path(state_path)
        self.latency = latency_ms / 1000
        self.pause_after_accept = pause_after_accept_ms / 1000

    @classmethod
    def from_config(cls, config) -> "SandboxBank":
        return cls(Path(config["SANDBOX_STATE_DIR"]) / "sandbox_bank.sqlite3",
                   config["SANDBOX_BANK_LATENCY_MS"], config["SANDBOX_BANK_PAUSE_AFTER_ACCEPT_MS"])

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection to the state file, kept open (opening and closing
        one per call would checkpoint the WAL every time); a forked process opens its own."""
        key = str(self.path)
        cached = getattr(_local, "connections", {}).get(key)
        if cached is not None and cached[0] == os.getpid():
            return cached[1]
        if key not in _initialised:
            with _init_lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
                conn.close()
                _initialised.add(key)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.row_factory = sqlite3.Row
        if not hasattr(_local, "connections"):
            _local.connections = {}
        _local.connections[key] = (os.getpid(), conn)
        return conn

    @contextmanager
    def _db(self):
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    # -- the bank's API -------------------------------------------------------------

    def send_transfer(self, *, transfer_id: str, request_no: int, amount: int, currency: str,
                      bank_code: str, account_number: str, account_holder: str) -> TransferResult:
        step = SCRIPT.next("transfer")
        self._wait()
        if step is not None and step.kind == "unavailable":
            raise BankUnavailable("the bank refused the connection (sandbox script)")
        if step is not None and step.kind == "timeout_before":
            raise BankTimeout("the bank did not answer in time (sandbox script: nothing received)")
        with self._db() as conn:
            row = conn.execute("SELECT * FROM transfers WHERE transfer_id = ?", (transfer_id,)).fetchone()
            if row is not None and row["status"] == "completed":
                # Idempotent: this transfer id already moved its money. Nothing moves again.
                conn.execute("INSERT INTO requests (transfer_id, request_no, amount, outcome, received_at)"
                             " VALUES (?,?,?,?,?)", (transfer_id, request_no, amount, "duplicate", _now()))
                kind = "duplicate"
            else:
                earlier = row["requests"] if row is not None else 0
                kind, failure, message = (_from_step(step) if step is not None
                                          else scripted_outcome(account_number, earlier))
            if kind not in ("duplicate", "timeout_lost"):   # timeout_lost: the bank has no trace of it
                status = "failed" if kind == "refuse" else "completed"
                reference = "BNK" + secrets.token_hex(8).upper() if status == "completed" else None
                now = _now()
                conn.execute(
                    "INSERT INTO transfers (transfer_id, status, amount, currency, bank_code, account_number,"
                    " account_holder, bank_reference, failure_type, message, requests, last_request_no,"
                    " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?,?)"
                    " ON CONFLICT (transfer_id) DO UPDATE SET status = excluded.status, amount = excluded.amount,"
                    " currency = excluded.currency, bank_code = excluded.bank_code,"
                    " account_number = excluded.account_number, account_holder = excluded.account_holder,"
                    " bank_reference = excluded.bank_reference, failure_type = excluded.failure_type,"
                    " message = excluded.message, requests = transfers.requests + 1,"
                    " last_request_no = excluded.last_request_no, updated_at = excluded.updated_at",
                    (transfer_id, status, amount, currency, bank_code, account_number, account_holder, reference,
                     failure, message, request_no, now, now))
                conn.execute("INSERT INTO requests (transfer_id, request_no, amount, outcome, received_at)"
                             " VALUES (?,?,?,?,?)", (transfer_id, request_no, amount, failure or status, now))
                if status == "completed":
                    conn.execute("INSERT INTO movements (transfer_id, amount, currency, bank_code, account_number,"
                                 " bank_reference, moved_at) VALUES (?,?,?,?,?,?,?)",
                                 (transfer_id, amount, currency, bank_code, account_number, reference, now))
                row = conn.execute("SELECT * FROM transfers WHERE transfer_id = ?", (transfer_id,)).fetchone()
        if kind == "duplicate":
            if step is not None and step.kind == "timeout_after":
                raise BankTimeout("the bank did not answer in time")
            return self._result(row)
        if kind == "ok" and self.pause_after_accept:
            time.sleep(self.pause_after_accept)  # the movement is recorded; the answer is not yet sent
        if kind in ("timeout_moved", "timeout_lost"):
            raise BankTimeout("the bank did not answer in time")
        return self._result(row)

    def inquire(self, transfer_id: str) -> TransferResult | None:
        step = SCRIPT.next("inquire")
        self._wait()
        if step is not None and step.kind == "unavailable":
            raise BankUnavailable("the bank refused the connection (sandbox script)")
        if step is not None and step.kind == "unknown":
            raise BankTimeout("the bank did not answer the inquiry in time (sandbox script)")
        if step is not None and step.kind == "not_found":
            return None
        with self._db() as conn:
            row = conn.execute("SELECT * FROM transfers WHERE transfer_id = ?", (transfer_id,)).fetchone()
        if step is not None and step.kind == "failed" and (row is None or row["status"] != "completed"):
            # Money that moved is never reported as not moved; anything else may be.
            return TransferResult("failed", transfer_id, (row["last_request_no"] or 0) if row is not None else 0,
                                  failure_type=step.code, message=MESSAGES.get(step.code, "Refused (sandbox script)."))
        return self._result(row) if row is not None else None

    @staticmethod
    def _result(row) -> TransferResult:
        return TransferResult(row["status"], row["transfer_id"], row["last_request_no"] or 0,
                              row["bank_reference"], row["failure_type"], row["message"])

    # -- inspection (tests, benchmarks) -----------------------------------------------

    def moved(self, transfer_id: str) -> tuple[int, int]:
        """(number of movements, total amount moved) for a transfer id."""
        with self._db() as conn:
            row = conn.execute("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM movements WHERE transfer_id = ?",
                               (transfer_id,)).fetchone()
        return row[0], row[1]

    def requests_received(self, transfer_id: str) -> list[tuple[int, str]]:
        """Every request the bank received for a transfer id: (request_no, outcome)."""
        with self._db() as conn:
            rows = conn.execute("SELECT request_no, outcome FROM requests WHERE transfer_id = ? ORDER BY id",
                                (transfer_id,)).fetchall()
        return [(r[0], r[1]) for r in rows]

    def has_transfer(self, transfer_id: str) -> bool:
        with self._db() as conn:
            return conn.execute("SELECT 1 FROM transfers WHERE transfer_id = ?", (transfer_id,)).fetchone() is not None
