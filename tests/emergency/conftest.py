"""Emergency fixtures: the static pages go to a temporary directory, never to instance/."""
from __future__ import annotations

import pytest

from app.emergency.models import EmergencyContact
from app.extensions import db


@pytest.fixture(autouse=True)
def site_dir(app, tmp_path, monkeypatch):
    directory = tmp_path / "status-site"
    monkeypatch.setitem(app.config, "STATUS_STATIC_DIR", str(directory))
    return directory


def add_contact(role: str, name: str, phone: str, note: str = "", position: int = 100) -> EmergencyContact:
    contact = EmergencyContact(role=role, name=name, phone=phone, note=note, position=position)
    db.session.add(contact)
    db.session.flush()
    return contact
