"""Read helpers for the approval pages, Today and the subject pages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.core.errors import NotFound
from app.extensions import db


def get_request(public_id: str) -> ApprovalRequest:
    req = db.session.scalar(select(ApprovalRequest).where(ApprovalRequest.public_id == str(public_id)[:40]))
    if req is None:
        raise NotFound()
    return req


def list_pending() -> list[ApprovalRequest]:
    """Waiting requests, oldest first."""
    return list(db.session.scalars(select(ApprovalRequest).where(ApprovalRequest.status == ApprovalStatus.PENDING)
                                   .order_by(ApprovalRequest.created_at, ApprovalRequest.id)))


def list_recent_decided(limit: int = 30) -> list[ApprovalRequest]:
    return list(db.session.scalars(select(ApprovalRequest).where(ApprovalRequest.status != ApprovalStatus.PENDING)
                                   .order_by(ApprovalRequest.decided_at.desc(), ApprovalRequest.id.desc())
                                   .limit(limit)))


def count_pending() -> tuple[int, datetime | None]:
    count, oldest = db.session.execute(select(func.count(ApprovalRequest.id), func.min(ApprovalRequest.created_at))
                                       .where(ApprovalRequest.status == ApprovalStatus.PENDING)).one()
    return int(count or 0), oldest


def awaiting_approval(subject_type: str):
    """A SELECT of the ids of `subject_type` rows with a request waiting for a second person.

    Today counts tasks: once someone asked, what is left is the approver's task (counted by the
    approvals item), not a second one on the subject's own item."""
    return select(ApprovalRequest.subject_id).where(ApprovalRequest.subject_type == subject_type,
                                                    ApprovalRequest.status == ApprovalStatus.PENDING)


def pending_for_subject(subject_type: str, subject_id: int) -> list[ApprovalRequest]:
    return list(db.session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.subject_type == subject_type, ApprovalRequest.subject_id == subject_id,
        ApprovalRequest.status == ApprovalStatus.PENDING).order_by(ApprovalRequest.id)))


def pending_for_reservation(reservation_id: int) -> list[ApprovalRequest]:
    return list(db.session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.reservation_id == reservation_id,
        ApprovalRequest.status == ApprovalStatus.PENDING).order_by(ApprovalRequest.id)))
