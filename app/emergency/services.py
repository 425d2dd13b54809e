"""Changing the contact list (the only code that does). Every change is audited with the row
before and after, then the static server-down pages are published again so the copy that
survives an outage is never older than the list."""
from __future__ import annotations

import logging
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import run_in_transaction
from app.core.errors import NotFound, ValidationFailed
from app.emergency import policies
from app.emergency.models import EmergencyContact
from app.extensions import db

log = logging.getLogger(__name__)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    role = values.get("role")
    name = (values.get("name") or "").strip()
    phone = (values.get("phone") or "").strip()
    note = (values.get("note") or "").strip()
    try:
        position = int(values.get("position") or 100)
    except (TypeError, ValueError):
        position = -1
    fields = {}
    if role not in policies.CONTACT_ROLES:
        fields["role"] = "Unknown role."
    if not name or len(name) > 200:
        fields["name"] = "A name of 1 to 200 characters."
    if not policies.PHONE_PATTERN.match(phone):
        fields["phone"] = "A phone number."
    if len(note) > 2000:
        fields["note"] = "At most 2000 characters."
    if not 0 <= position <= 9999:
        fields["position"] = "0 to 9999."
    if fields:
        raise ValidationFailed(fields=fields)
    return {"role": role, "name": name, "phone": phone, "note": note, "position": position}


def create_contact(values: dict[str, Any], operator) -> EmergencyContact:
    cleaned = _clean(values)

    def work() -> EmergencyContact:
        contact = EmergencyContact(**cleaned)
        db.session.add(contact)
        db.session.flush()
        audit.record("emergency.contact_added", entity_type="emergency_contact", entity_id=contact.id,
                     actor=Actor.operator(operator), data={"before": None, "after": contact.snapshot()})
        return contact

    contact = run_in_transaction(work)
    republish()
    return contact


def update_contact(contact_id: int, values: dict[str, Any], operator) -> EmergencyContact:
    cleaned = _clean(values)

    def work() -> EmergencyContact:
        contact = db.session.get(EmergencyContact, contact_id, with_for_update=True)
        if contact is None:
            raise NotFound()
        before = contact.snapshot()
        for key, value in cleaned.items():
            setattr(contact, key, value)
        db.session.flush()
        audit.record("emergency.contact_changed", entity_type="emergency_contact", entity_id=contact.id,
                     actor=Actor.operator(operator), data={"before": before, "after": contact.snapshot()})
        return contact

    contact = run_in_transaction(work)
    republish()
    return contact


def delete_contact(contact_id: int, operator) -> None:
    def work() -> None:
        contact = db.session.get(EmergencyContact, contact_id, with_for_update=True)
        if contact is None:
            raise NotFound()
        audit.record("emergency.contact_removed", entity_type="emergency_contact", entity_id=contact.id,
                     actor=Actor.operator(operator), data={"before": contact.snapshot(), "after": None})
        db.session.delete(contact)

    run_in_transaction(work)
    republish()


def republish() -> list[str]:
    """Publish the static site again after a commit: the whole status site when the status package
    is there (its publisher adds these pages and copies everything to the bucket, if one is set),
    else only the server-down pages. A failure is logged, never raised: the list is saved either way,
    and the next change, the hourly job or `flask emergency publish` writes the pages."""
    from app.emergency.publish import default_directory, render_static_files

    directory = default_directory()
    try:
        from app.status.static import publish_site
    except ImportError:
        publish_site = None
    if publish_site is not None:
        try:
            return publish_site(directory)
        except Exception:  # noqa: BLE001 — fall back to our own pages
            log.exception("the status site could not be published; writing the server-down pages alone")
    try:
        return render_static_files(directory)
    except OSError:
        log.exception("the server-down pages could not be written")
        return []
