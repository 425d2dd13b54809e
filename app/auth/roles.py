"""Operator roles and what each may do. One table, read by views and tests."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"      # day-to-day work
    MANAGER = "manager"  # approvals, overrides, larger amounts, reports
    ADMIN = "admin"      # operators and settings


#: Each role includes the ones ranked below it.
RANK = {Role.STAFF: 1, Role.MANAGER: 2, Role.ADMIN: 3}


def has_role(actual: str, required: str) -> bool:
    """True when `actual` is `required` or ranks above it."""
    try:
        return RANK[Role(actual)] >= RANK[Role(required)]
    except ValueError:
        return False
