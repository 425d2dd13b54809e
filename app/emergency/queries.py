"""Reading the contact list."""
from __future__ import annotations

from sqlalchemy import select

from app.emergency.models import EmergencyContact
from app.emergency.policies import CALL_WHEN_STILL_DOWN
from app.extensions import db


def list_contacts() -> list[EmergencyContact]:
    return list(db.session.scalars(select(EmergencyContact)
                                   .order_by(EmergencyContact.position, EmergencyContact.id)))


def get_contact(contact_id: int) -> EmergencyContact | None:
    if not 0 < contact_id < 2**31:
        return None
    return db.session.get(EmergencyContact, contact_id)


def who_to_call(contacts: list[EmergencyContact]) -> list[EmergencyContact]:
    """Step 4's people when the site stays down: the developer first, then the overall lead."""
    order = {role: i for i, role in enumerate(CALL_WHEN_STILL_DOWN)}
    return sorted((c for c in contacts if c.role in order), key=lambda c: (order[c.role], c.position, c.id))


def missing_roles() -> list[str]:
    """Roles step 4 calls that have nobody on the list (developer, overall lead)."""
    present = set(db.session.scalars(select(EmergencyContact.role).distinct()))
    return [role for role in CALL_WHEN_STILL_DOWN if role not in present]
