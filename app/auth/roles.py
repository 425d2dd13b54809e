"""Operator roles and what each may do. One table, read by views and tests."""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    STAFF = "staff"      # day-to-day work
    MANAGER = "manager"  # approvals, overrides, larger amounts, reports
    ADMIN = "admin"      # operators and settings


#: Each role includes the ones ranked below it.
RANK = {Role.STAFF: 1, Role.MANAGER: 2, Role.ADMIN: 3}

#: What each role is called and may do, in plain words (pages and confirm steps).
ROLE_LABELS = {Role.STAFF: _l("Staff"), Role.MANAGER: _l("Manager"), Role.ADMIN: _l("Admin")}
ROLE_DESCRIPTIONS = {
    Role.STAFF: _l("Does the day-to-day work: orders, deposits, guests' questions."),
    Role.MANAGER: _l("Everything staff can do, plus approvals, refunds, larger amounts and reports."),
    Role.ADMIN: _l("Everything a manager can do, plus adding operators and changing their roles."),
}

#: Languages an operator can choose for the back office (Korean first).
OPERATOR_LANGUAGES = ("ko", "en")
LANGUAGE_LABELS = {"ko": "한국어", "en": "English"}


def has_role(actual: str, required: str) -> bool:
    """True when `actual` is `required` or ranks above it."""
    try:
        return RANK[Role(actual)] >= RANK[Role(required)]
    except ValueError:
        return False
