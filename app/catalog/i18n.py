"""Hotel and room-type names and descriptions in the reader's language.

`name` / `description` are the primary text (Korean for the demo data, and what the back office
shows); `name_i18n` / `description_i18n` hold {"ja": …, "en": …} (and "ko") for guests reading
another language. A missing translation falls back to the primary text.
"""
from __future__ import annotations

from typing import Any

LANGUAGES = ("ko", "ja", "en")
PRIMARY = "ko"


def current_language() -> str:
    from flask_babel import get_locale  # noqa: PLC0415

    locale = get_locale()
    language = locale.language if locale is not None else PRIMARY
    return language if language in LANGUAGES else "en"


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """obj.<field> in `language` (default: the request's): the translation when there is one and
    the language is not the primary one, else the primary text."""
    primary = getattr(obj, field, "") or ""
    language = language or current_language()
    if language == PRIMARY:
        return primary
    translations = getattr(obj, f"{field}_i18n", None) or {}
    value = translations.get(language) if isinstance(translations, dict) else None
    return value if isinstance(value, str) and value.strip() else primary


def localized_name(obj: Any, language: str | None = None) -> str:
    return localized(obj, "name", language)


def localized_description(obj: Any, language: str | None = None) -> str:
    return localized(obj, "description", language)
