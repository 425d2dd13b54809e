"""Per-request and per-job context: the request id and the job id.

Kept in context variables so logging, audit events and enqueued jobs can read
them without passing them through every call (DESIGN invariant 8).
"""
from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("job_id", default=None)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex[:20]


def accept_request_id(header_value: str | None) -> str:
    """The client's X-Request-Id when it is safe to echo, else a fresh one."""
    if header_value and _SAFE_REQUEST_ID.match(header_value):
        return header_value
    return new_request_id()


def current_request_id() -> str | None:
    return request_id_var.get()
