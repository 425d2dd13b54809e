"""What guests see of us, from the settings (BRAND_NAME, SUPPORT_PHONE, SUPPORT_EMAIL, SUPPORT_HOURS,
STATUS_PAGE_URL) instead of text written into templates. The built-in phone and email are demo values
(app.config.DEMO_CONTACTS): pages mark them "(demo)"; production refuses to start with them."""
from __future__ import annotations

from typing import Any

from flask import current_app

from app.config import DEMO_CONTACTS


def support_hours(lang: str) -> str:
    hours = current_app.config.get("SUPPORT_HOURS") or {}
    if isinstance(hours, str):
        return hours
    return hours.get(lang) or hours.get("en") or ""


def is_demo(name: str) -> bool:
    return current_app.config.get(name) == DEMO_CONTACTS.get(name)


def guest_settings(lang: str | None = None) -> dict[str, Any]:
    """Template values for guest pages and messages."""
    from flask_babel import get_locale

    cfg = current_app.config
    lang = lang or str(get_locale() or "ko")
    return {"brand_name": cfg.get("BRAND_NAME") or "Frontdesk", "support_phone": cfg.get("SUPPORT_PHONE", ""),
            "support_email": cfg.get("SUPPORT_EMAIL", ""), "support_hours": support_hours(lang),
            "support_is_demo": is_demo("SUPPORT_PHONE") or is_demo("SUPPORT_EMAIL"),
            "status_page_url": (cfg.get("STATUS_PAGE_URL") or "").rstrip("/")}
