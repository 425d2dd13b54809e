"""The audit log's hash chain: one canonical form of a row and its SHA-256.

Each audit row stores the hash of the row before it (`prev_hash`; the first
row links to GENESIS) and its own hash (`row_hash`): SHA-256 over the
canonical JSON of all its fields plus `prev_hash`. Changing a row changes its
hash; deleting one breaks the next row's link.

The canonical form is frozen (the migration that backfilled the chain uses
this module too): JSON with sorted keys and no spaces, ASCII only (so no
encoding question arises), timestamps as UTC ISO 8601 with microseconds,
ints as ints (a float with no fractional part is written as an int, because
PostgreSQL's jsonb may give either back). Pure functions; no database here.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

#: The PostgreSQL advisory lock that puts audit writers in a line (any fixed number; "audi" in ASCII).
CHAIN_LOCK_KEY = 0x61756469

#: What the first row of the chain links to.
GENESIS = "0" * 64

#: The fields of an audit row that are hashed, besides `prev_hash` (the row's own hash is not).
HASHED_FIELDS = ("id", "created_at", "actor_kind", "actor_id", "actor_name", "action", "entity_type", "entity_id",
                 "reservation_id", "from_state", "to_state", "reason", "data", "request_id")


def _key(key: Any) -> str:
    """A dict key as JSON writes it (json.dumps turns True into "true", None into "null")."""
    if isinstance(key, str):
        return key
    return json.dumps(key)


def _normalise(value: Any) -> Any:
    """JSON values as a JSON column gives them back: tuples are lists, keys are strings,
    integral floats are ints."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {_key(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def _timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def canonical(fields: dict[str, Any], prev_hash: str) -> str:
    """The canonical JSON text of one audit row (its HASHED_FIELDS) and the previous hash."""
    doc: dict[str, Any] = {name: fields.get(name) for name in HASHED_FIELDS}
    doc["created_at"] = _timestamp(doc["created_at"])
    doc["data"] = _normalise(doc["data"])
    for name in ("id", "actor_id", "reservation_id"):
        if doc[name] is not None:
            doc[name] = int(doc[name])
    doc["prev_hash"] = prev_hash
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def compute_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of the row's canonical form. Pure; the same input always gives the same hash."""
    return hashlib.sha256(canonical(fields, prev_hash).encode("ascii")).hexdigest()
