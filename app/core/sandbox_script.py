"""Per-call scripts for the sandbox bank and gateway: what their next calls will do.

A script is an ordered list of outcomes per adapter and operation (the bank's
`transfer`/`inquire`, the gateway's `charge`/`refund`/`retrieve`/`refund_status`),
kept in the app's Redis (a list under `frontdesk:sandbox-script:<adapter>:<operation>`)
so the web process, the workers and their work horses share it. Each call of that
operation takes the first outcome (LPOP: exactly one caller gets it); an empty
script falls back to the sandbox's usual rules (account digits, test cards).

Outcomes of calls that do something (transfer, charge, refund):

| outcome           | what the sandbox does                                               |
|-------------------|---------------------------------------------------------------------|
| accept            | carries it out and answers                                          |
| refuse[:CODE]     | refuses it (nothing moves) with CODE                                |
| timeout_before    | times out before it arrives: nothing happened                       |
| timeout_after     | carries it out, then times out: it happened but no answer came back |
| unavailable       | refuses the connection: nothing was received                        |

Outcomes of questions (inquire, retrieve, refund_status):

| outcome           | the answer                                                          |
|-------------------|---------------------------------------------------------------------|
| done              | what happened, as recorded (e.g. after timeout_after: done)         |
| failed[:CODE]     | failed with CODE, unless the money already moved (then: done)       |
| unknown           | no answer in time (a timeout)                                       |
| not_found         | "never received"                                                    |
| unavailable       | refuses the connection                                              |

For demos a setting (SANDBOX_BANK_SCRIPT / SANDBOX_GATEWAY_SCRIPT) gives a script such as
`timeout_after,accept` (the bank's transfers, the gateway's charges) or, per operation,
`transfer=timeout_after,accept;inquire=unknown,done`. It is copied into Redis once per
distinct value (a marker key), so every process consumes the same one list.

Redis down: the script is skipped (usual rules) for 30 seconds, and a call never fails
because of it.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

PREFIX = "frontdesk:sandbox-script"
ACTIONS = ("accept", "refuse", "timeout_before", "timeout_after", "unavailable")
QUESTIONS = ("done", "failed", "unknown", "not_found", "unavailable")
#: Outcomes that carry a code after a colon.
WITH_CODE = ("refuse", "failed")
#: After a Redis error, scripts are not looked at for this long (a call must not wait on a dead Redis).
SKIP_AFTER_ERROR_SECONDS = 30
_skip_until = 0.0


class ScriptError(ValueError):
    """A script names an outcome, code or operation the sandbox does not know."""


@dataclass(frozen=True)
class Outcome:
    kind: str
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}" if self.code else self.kind


@dataclass(frozen=True)
class Scriptable:
    """What one sandbox accepts: its operations (→ ACTIONS or QUESTIONS), codes and settings."""

    adapter: str                        # "bank" | "gateway"
    operations: dict[str, tuple[str, ...]]
    codes: dict[str, tuple[str, ...]]   # operation → the codes refuse/failed may carry
    default_codes: dict[str, str]       # operation → the code of a bare refuse/failed
    main_operation: str
    setting: str

    def parse(self, operation: str, item: str) -> Outcome:
        """One outcome ("refuse:LIMIT_EXCEEDED") of `operation`, checked; raises ScriptError."""
        if operation not in self.operations:
            raise ScriptError(f"the sandbox {self.adapter} has no operation {operation!r} "
                              f"(one of: {', '.join(self.operations)})")
        kind, _, code = item.strip().partition(":")
        allowed = self.operations[operation]
        if kind not in allowed:
            raise ScriptError(f"{item!r} is not an outcome of the sandbox {self.adapter}'s {operation} "
                              f"(one of: {', '.join(allowed)})")
        if kind not in WITH_CODE:
            if code:
                raise ScriptError(f"{kind!r} takes no code (got {item!r})")
            return Outcome(kind)
        codes = self.codes.get(operation, ())
        code = code.strip() or self.default_codes[operation]
        if code not in codes:
            raise ScriptError(f"{code!r} is not a code the sandbox {self.adapter} knows for {operation} "
                              f"(one of: {', '.join(codes)})")
        return Outcome(kind, code)

    def key(self, operation: str) -> str:
        return f"{PREFIX}:{self.adapter}:{operation}"

    # -- writing -----------------------------------------------------------------------

    def set(self, outcomes, operation: str | None = None, *, append: bool = False) -> list[Outcome]:
        """Replace (or extend) the script of `operation` (default: the main one). Checks every
        outcome first: a bad one changes nothing. Needs an app context (the app's Redis)."""
        operation = operation or self.main_operation
        parsed = [self.parse(operation, item) for item in outcomes]
        conn = _redis()
        pipe = conn.pipeline(transaction=True)
        if not append:
            pipe.delete(self.key(operation))
        if parsed:
            pipe.rpush(self.key(operation), *[str(o) for o in parsed])
        pipe.execute()
        return parsed

    def clear(self) -> None:
        """Forget every operation's script (the sandbox follows its usual rules again)."""
        _redis().delete(*[self.key(op) for op in self.operations])

    def pending(self) -> dict[str, list[str]]:
        """The outcomes still to come, per operation (empty operations left out)."""
        conn = _redis()
        out = {}
        for op in self.operations:
            items = [v.decode() if isinstance(v, bytes) else v for v in conn.lrange(self.key(op), 0, -1)]
            if items:
                out[op] = items
        return out

    def parse_setting(self, value: str) -> dict[str, list[Outcome]]:
        """`a,b` (the main operation) or `op=a,b;op2=c` → outcomes per operation; raises ScriptError."""
        plan: dict[str, list[Outcome]] = {}
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            operation, sep, items = part.partition("=")
            if not sep:
                operation, items = self.main_operation, part
            operation = operation.strip()
            plan.setdefault(operation, []).extend(
                self.parse(operation, item) for item in items.split(",") if item.strip())
        return plan

    # -- reading (the sandbox itself) --------------------------------------------------------

    def next(self, operation: str, config=None) -> Outcome | None:
        """Take the next outcome of `operation`, or None (no script, no app, or Redis down)."""
        global _skip_until
        if time.monotonic() < _skip_until:
            return None
        try:
            from flask import current_app, has_app_context

            if not has_app_context():
                return None
            conn = _redis()
            setting = (config or current_app.config).get(self.setting)
            if setting:
                self._seed(conn, setting)
            raw = conn.lpop(self.key(operation))
        except ScriptError as exc:  # a bad setting: reported at start-up; never fail a call for it
            log.warning("sandbox %s script ignored: %s", self.adapter, exc)
            return None
        except Exception as exc:  # Redis down or refusing: the usual rules apply
            _skip_until = time.monotonic() + SKIP_AFTER_ERROR_SECONDS
            log.warning("sandbox %s script not readable (%s); usual rules apply", self.adapter, exc)
            return None
        if raw is None:
            return None
        item = raw.decode() if isinstance(raw, bytes) else raw
        try:
            return self.parse(operation, item)
        except ScriptError as exc:  # written to Redis by hand: skipped, said in the log
            log.warning("sandbox %s script step %r skipped: %s", self.adapter, item, exc)
            return None

    def _seed(self, conn, setting: str) -> None:
        """Copy the setting's script into Redis once per distinct value."""
        digest = hashlib.sha256(setting.encode()).hexdigest()[:16]
        if conn.set(f"{PREFIX}:{self.adapter}:seeded:{digest}", "1", nx=True):
            for operation, outcomes in self.parse_setting(setting).items():
                conn.rpush(self.key(operation), *[str(o) for o in outcomes])


def _redis():
    from app.extensions import redis_connection

    return redis_connection()
