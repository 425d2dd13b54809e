"""Checking the audit log's hash chain, its checkpoints, the alert and the acknowledgement.

`verify_chain()` walks `audit_events` in id order, in batches (keyset pages,
each its own short transaction, so writers are never held up and a million
rows stay a matter of seconds), recomputes every row's hash and checks every
link. What it can find:

* `changed`  — a row's content no longer matches its own hash (edited in place);
* `unlinked` — a row's `prev_hash` is not the hash of the row before it (a row
  before it was deleted, inserted or rewritten with a new hash);
* `truncated` — the chain is shorter than the last checkpoint said;
* `rewound`  — the chain no longer holds the last checkpoint's row and hash
  (it was emptied and written again, or rebuilt).

Gaps in the ids are normal (a transaction that rolled back used a number) and
are not problems: only the links count. After a break the walk goes on from
the broken row's stored hash, so one old break cannot hide a newer one.

Checkpoints: every check that finds nothing new stores (last id, last hash,
row count, time) as an `audit_checkpoints` row *and* in Redis, two places a
TRUNCATE of `audit_events` does not reach. `run_verification()` is what the
CLI and the daily job call: it stores the outcome and, on a new break, raises
the CRITICAL alert (a log line, the audit event `audit_chain.broken`, and the
red banner every back-office page shows until a later check passes or an
admin acknowledges the break with a written reason, `acknowledge_breaks`).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from redis.exceptions import RedisError
from sqlalchemy import select

from app.auditlog.hashing import GENESIS, HASHED_FIELDS, compute_hash
from app.auditlog.models import ACKNOWLEDGED, BROKEN, VERIFIED, AuditCheckpoint
from app.core import audit, clock
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.db import end_transaction, run_in_transaction
from app.core.errors import DomainError
from app.extensions import db, redis_connection

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
#: How many problems a check lists (the count goes on past it).
MAX_LISTED = 50
#: The Redis copy of the last checkpoint (one per database: see redis_key()).
REDIS_KEY = "frontdesk:audit-chain:checkpoint"


def redis_key() -> str:
    """REDIS_KEY plus a short digest of the database's name, so two databases sharing a Redis
    (staging and production, two developers) never compare with each other's checkpoint."""
    name = str(db.engine.url.database or "")
    return f"{REDIS_KEY}:{hashlib.sha256(name.encode()).hexdigest()[:12]}"


@dataclass
class Problem:
    kind: str                  # changed | unlinked | truncated | rewound
    row_id: int | None         # the first bad row (or the checkpoint's row)
    fingerprint: str           # what an acknowledgement names
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Checkpoint:
    last_id: int | None
    last_hash: str | None
    row_count: int
    checked_at: str | None = None
    source: str = "table"      # table | redis


@dataclass
class ChainReport:
    checked_at: datetime
    row_count: int = 0
    last_id: int | None = None
    last_hash: str | None = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    new_problems: list[Problem] = field(default_factory=list)  # not acknowledged by an admin

    @property
    def intact(self) -> bool:
        return self.problem_count == 0

    @property
    def alarming(self) -> bool:
        """A break no admin acknowledged (problems past the listed ones count as new)."""
        return bool(self.new_problems) or self.problem_count > len(self.problems)

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


# --- checkpoints ---------------------------------------------------------------------------------

def _table_checkpoint() -> Checkpoint | None:
    row = db.session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.kind == VERIFIED)
                             .order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    if row is None:
        return None
    return Checkpoint(row.last_id, row.last_hash, row.row_count, row.created_at.isoformat(), "table")


def _redis_checkpoint() -> Checkpoint | None:
    try:
        raw = redis_connection().get(redis_key())
    except RedisError:
        log.warning("the Redis copy of the audit checkpoint could not be read")
        return None
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return Checkpoint(data.get("last_id"), data.get("last_hash"), int(data.get("row_count") or 0),
                          data.get("checked_at"), "redis")
    except (ValueError, TypeError, AttributeError):
        log.warning("the Redis copy of the audit checkpoint is not readable")
        return None


def known_checkpoints() -> list[Checkpoint]:
    """The last checkpoint from the table and from Redis (one entry when they agree)."""
    found: list[Checkpoint] = []
    for cp in (_table_checkpoint(), _redis_checkpoint()):
        if cp is not None and cp.last_id is not None \
                and not any((c.last_id, c.last_hash) == (cp.last_id, cp.last_hash) for c in found):
            found.append(cp)
    return found


def acknowledged_fingerprints() -> set[str]:
    rows = db.session.scalars(select(AuditCheckpoint.problems).where(AuditCheckpoint.kind == ACKNOWLEDGED))
    return {p.get("fingerprint") for problems in rows for p in (problems or []) if isinstance(p, dict)}


# --- the walk ------------------------------------------------------------------------------------

def verify_chain(batch_size: int = BATCH_SIZE, checkpoints: list[Checkpoint] | None = None) -> ChainReport:
    """Walk the whole chain and list what is wrong (first problem first). Changes nothing.

    Ends the caller's transaction (each batch is read in a short transaction of
    its own). `checkpoints`: what to compare with (default: known_checkpoints()).
    """
    if checkpoints is None:
        checkpoints = known_checkpoints()
    end_transaction()
    report = ChainReport(checked_at=clock.now())
    table = AuditEvent.__table__
    columns = [table.c[name] for name in HASHED_FIELDS] + [table.c.prev_hash, table.c.row_hash]
    seen_at_checkpoint: dict[int, tuple[str, int]] = {}
    wanted = {cp.last_id for cp in checkpoints}
    prev_hash, prev_id, last_id = GENESIS, None, 0

    def add(problem: Problem) -> None:
        report.problem_count += 1
        if len(report.problems) < MAX_LISTED:
            report.problems.append(problem)

    while True:
        rows = db.session.execute(select(*columns).where(table.c.id > last_id)
                                  .order_by(table.c.id).limit(batch_size)).all()
        end_transaction()
        for row in rows:
            values = row._asdict()
            report.row_count += 1
            if values["prev_hash"] != prev_hash:
                add(Problem("unlinked", row.id, f"unlinked:{row.id}",
                            {"previous_id": prev_id, "expected": prev_hash, "found": values["prev_hash"]}))
            if compute_hash(values, values["prev_hash"]) != values["row_hash"]:
                add(Problem("changed", row.id, f"changed:{row.id}", {"action": values["action"]}))
            if row.id in wanted:
                seen_at_checkpoint[row.id] = (values["row_hash"], report.row_count)
            prev_hash, prev_id = values["row_hash"], row.id
        if len(rows) < batch_size:
            if rows:
                last_id = rows[-1].id
            break
        last_id = rows[-1].id
    if report.row_count:
        report.last_id, report.last_hash = prev_id, prev_hash
    for cp in checkpoints:
        _compare(report, cp, seen_at_checkpoint.get(cp.last_id), add)
    return report


def _compare(report: ChainReport, cp: Checkpoint, seen: tuple[str, int] | None, add) -> None:
    facts = {"checkpoint_id": cp.last_id, "checkpoint_rows": cp.row_count, "checkpoint_at": cp.checked_at,
             "rows_now": report.row_count, "last_id_now": report.last_id, "source": cp.source}
    if seen is None:
        shorter = report.last_id is None or report.last_id < cp.last_id
        kind = "truncated" if shorter else "rewound"
        add(Problem(kind, cp.last_id, f"{kind}:{cp.last_id}:{cp.last_hash}", facts))
    elif seen[0] != cp.last_hash:
        add(Problem("rewound", cp.last_id, f"rewound:{cp.last_id}:{cp.last_hash}", facts))
    elif seen[1] < cp.row_count:
        add(Problem("truncated", cp.last_id, f"truncated:{cp.last_id}:{cp.last_hash}", facts))


# --- the check that stores and alerts --------------------------------------------------------------

def run_verification(actor: Actor | None = None, batch_size: int = BATCH_SIZE) -> ChainReport:
    """Verify, store the outcome, alert on a new break. Commits.

    Intact (or only breaks an admin acknowledged): a `verified` row and the Redis
    copy become the new checkpoint. A new break: a `broken` row, the audit event
    `audit_chain.broken` and a CRITICAL log line; the banner shows from then on.
    Safe to run twice: a second run stores a second, identical outcome.
    """
    actor = actor or Actor.system("audit-verify")
    report = verify_chain(batch_size)
    acknowledged = acknowledged_fingerprints() if report.problems else set()
    report.new_problems = [p for p in report.problems if p.fingerprint not in acknowledged]
    broken = report.alarming
    problems = [asdict(p) for p in report.problems]

    def work() -> None:
        db.session.add(AuditCheckpoint(kind=BROKEN if broken else VERIFIED, created_at=report.checked_at,
                                       last_id=report.last_id, last_hash=report.last_hash,
                                       row_count=report.row_count, problems=problems or None,
                                       actor_name=actor.name[:200]))
        if broken:
            first = (report.new_problems or report.problems)[0]
            audit.record("audit_chain.broken", entity_type="audit_chain", entity_id=first.row_id or 0, actor=actor,
                         data={"problems": report.problem_count, "first": asdict(first)})

    run_in_transaction(work)
    if broken:
        first = (report.new_problems or report.problems)[0]
        log.critical("[CRITICAL] the audit log was changed: %s (%s problems)", describe(first),
                     report.problem_count, extra={"alert": "CRITICAL", "audit_chain": first.kind,
                                                  "row_id": first.row_id})
    else:
        _save_redis_checkpoint(report)
        log.info("audit chain intact: %s rows up to id %s", report.row_count, report.last_id)
    return report


def _save_redis_checkpoint(report: ChainReport) -> None:
    value = json.dumps({"last_id": report.last_id, "last_hash": report.last_hash, "row_count": report.row_count,
                        "checked_at": report.checked_at.isoformat()})
    try:
        redis_connection().set(redis_key(), value)
    except RedisError:
        log.warning("the audit checkpoint could not be copied to Redis (the table still has it)")


def describe(problem: Problem) -> str:
    """One plain English sentence about a problem (CLI and logs; the pages have their own words)."""
    f = problem.facts
    if problem.kind == "changed":
        return f"audit row {problem.row_id} was changed after it was written (its hash no longer matches)"
    if problem.kind == "unlinked":
        before = f"after row {f.get('previous_id')}" if f.get("previous_id") else "at the start of the log"
        return (f"audit row {problem.row_id} does not follow the row before it: rows {before} were deleted, "
                "added or rewritten")
    if problem.kind == "truncated":
        return (f"the audit log is shorter than at the last check ({f.get('checkpoint_at')}): it had "
                f"{f.get('checkpoint_rows')} rows up to row {problem.row_id}, now {f.get('rows_now')} rows")
    return (f"the audit log no longer holds row {problem.row_id} as it was at the last check "
            f"({f.get('checkpoint_at')}): it was emptied and written again, or rebuilt")


# --- what the pages read, and the admin's acknowledgement --------------------------------------------

def latest_outcome() -> AuditCheckpoint | None:
    """The last check or acknowledgement (None before the first check)."""
    return db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()


def current_alert() -> AuditCheckpoint | None:
    """The `broken` outcome the banner shows, or None when the last word was a pass or an acknowledgement."""
    latest = latest_outcome()
    return latest if latest is not None and latest.kind == BROKEN else None


class NothingToAcknowledge(DomainError):
    code = "nothing_to_acknowledge"
    status = 409
    default_message = _l("There is no break to acknowledge: the last check found the audit log intact.")


def acknowledge_breaks(reason: str, *, actor: Actor) -> AuditCheckpoint:
    """An admin's written acknowledgement of the current break (audited, commits).

    The banner goes; later checks still list the break but no longer alert on it,
    and store checkpoints again. A break found later alerts anew. Pressing it twice:
    the second finds nothing to acknowledge (NothingToAcknowledge), changes nothing.
    """
    reason = (reason or "").strip()

    def work() -> AuditCheckpoint:
        alert = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
                                   .with_for_update()).first()
        if alert is None or alert.kind != BROKEN:
            raise NothingToAcknowledge()
        row = AuditCheckpoint(kind=ACKNOWLEDGED, created_at=clock.now(), last_id=alert.last_id,
                              last_hash=alert.last_hash, row_count=alert.row_count, problems=alert.problems,
                              reason=reason, actor_name=actor.name[:200])
        db.session.add(row)
        audit.record("audit_chain.acknowledged", entity_type="audit_chain", entity_id=alert.id, actor=actor,
                     reason=reason, data={"fingerprints": [p.get("fingerprint") for p in alert.problems or []]})
        return row

    return run_in_transaction(work)
