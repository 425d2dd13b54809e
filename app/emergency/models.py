"""The emergency contact list (seed 004 §3, seed 001 §10): who to call when something breaks.

Kept by admins in the back office, read by every operator, and copied into the static
server-down page so it can be read while Frontdesk itself is down.
"""
from __future__ import annotations

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import TimestampMixin
from app.extensions import db


class EmergencyContact(TimestampMixin, db.Model):
    __tablename__ = "emergency_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One of policies.CONTACT_ROLES: lead | developer | payments | bank | hosting | other
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)   # a person or a company
    phone: Mapped[str] = mapped_column(String(40), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    position: Mapped[int] = mapped_column(nullable=False, default=100)  # smaller first

    __table_args__ = (Index("ix_emergency_contacts_position", "position", "id"),)

    def snapshot(self) -> dict:
        """What the audit log keeps before and after a change."""
        return {"role": self.role, "name": self.name, "phone": self.phone, "note": self.note,
                "position": self.position}
