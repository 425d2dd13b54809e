"""Operator, OperatorSession, SignInFailure and ApiToken."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.roles import Role, has_role
from app.core.db import UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db


class Operator(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), default=Role.STAFF, nullable=False)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    language: Mapped[str] = mapped_column(String(2), default="ko", nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul", nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: The raw id of the OperatorSession this request was loaded through (never stored).
    session_token = None  # str | None; a plain attribute, not a column

    def get_id(self) -> str | None:  # Flask-Login keeps this in the signed cookie
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, required: str) -> bool:
        return self.active and has_role(self.role, required)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


class ApiToken(TimestampMixin, db.Model):
    """A bearer token for the /v1 API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operator: Mapped[Operator] = relationship()


class OperatorSession(db.Model):
    """One signed-in browser. The cookie carries a random id; only its SHA-256 is stored.

    A session counts only while it is not revoked, not past `expires_at`
    (absolute timeout) and seen within the idle timeout.
    """

    __tablename__ = "operator_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    user_agent: Mapped[str] = mapped_column(String(300), default="", nullable=False)

    operator: Mapped[Operator] = relationship()


class SignInFailure(db.Model):
    """One failed sign-in, kept for the throttling window (app.auth.policies.THROTTLE).

    `email` is what was typed (normalized), whether or not such an operator
    exists, so throttling answers the same for unknown and known accounts.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_sign_in_failures_email_created", "email", "created_at"),
        Index("ix_sign_in_failures_address_created", "address", "created_at"),
        Index("ix_sign_in_failures_created_at", "created_at"),
    )
