"""The server-down procedure as static files (seed 004 §2.3), so it opens when Frontdesk does not.

`render_static_files(directory)` writes server-down.ko.html and server-down.en.html: one file each,
CSS inlined, no script, absolute links, the contact list copied in with tel: links. The status page
publisher calls it when it renders its static site; `flask emergency publish [--dir DIR]` does it by
hand; every change of the contact list does it again (services.republish).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from app.core import clock
from app.emergency import policies, queries

LANGUAGES = ("ko", "en")  # operators' languages; Korean first
FILE_NAME = "server-down.{lang}.html"
CSS_FILE = "css/emergency.css"


def default_directory() -> str:
    """STATUS_STATIC_DIR (the status page's static site), else instance/status-site."""
    configured = current_app.config.get("STATUS_STATIC_DIR")
    return str(configured or Path(current_app.instance_path) / "status-site")


def status_page_url() -> str:
    return (current_app.config.get("STATUS_PAGE_URL") or "").rstrip("/")


def server_down_url(lang: str = "ko") -> str:
    """Where the static procedure is read: SERVER_DOWN_URL, else next to the status page."""
    configured = current_app.config.get("SERVER_DOWN_URL")
    if configured:
        return configured if lang == "ko" else configured.replace(".ko.html", f".{lang}.html")
    return f"{status_page_url()}/{FILE_NAME.format(lang=lang)}"


def _public(path: str) -> str:
    return current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + path


def _back_office_path(*endpoints: str) -> str | None:
    """The absolute address of the first of `endpoints` that exists and takes no argument
    (the status editor and the support desk live in their own packages)."""
    rules = {r.endpoint: r for r in current_app.url_map.iter_rules() if not r.arguments}
    for endpoint in endpoints:
        if endpoint in rules:
            return _public(rules[endpoint].rule)
    return None


def procedure_context(live: bool = False) -> dict[str, Any]:
    """Everything the procedure shows; the same for the live page and the static files."""
    cfg = current_app.config
    contacts = queries.list_contacts()
    brand = cfg.get("BRAND_NAME") or "Frontdesk"
    status_url = status_page_url()
    fill = {"brand": brand, "status_url": status_url or "-", "phone": cfg.get("SUPPORT_PHONE", "")}
    return {
        "live": live,
        "brand": brand,
        "contacts": contacts,
        "to_call": queries.who_to_call(contacts),
        "status_url": status_url,
        "status_editor_url": _back_office_path("status.ops_new", "status.ops_list"),
        "record_url": _back_office_path("support.new_ticket", "support.queue"),
        "system_url": _back_office_path("notifications.system"),
        "contacts_url": _back_office_path("emergency.contacts"),
        "backoffice_url": _public("/ops/"),
        "hosting_name": cfg.get("HOSTING_NAME") or "",
        "hosting_console_url": cfg.get("HOSTING_CONSOLE_URL") or "",
        "notice": {lang: policies.fill(text, **fill) for lang, text in policies.NOTICE_SENTENCES.items()},
        "caller": {lang: [policies.fill(t, **fill) for t in texts]
                   for lang, texts in policies.CALLER_SENTENCES.items()},
        "language_names": policies.LANGUAGE_NAMES,
        "wait_minutes": policies.WAIT_MINUTES,
        "restart_minutes": policies.RESTART_MINUTES,
        "published_at": clock.now(),
        "other_files": {lang: FILE_NAME.format(lang=lang) for lang in LANGUAGES},
    }


def render_static_files(directory: str | os.PathLike) -> list[str]:
    """Write the procedure in each language to `directory` (created if missing); returns the file
    names (relative to `directory`, as the status site's publisher and its bucket upload expect).
    Each file is replaced atomically, so a web server never serves half a page."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    css = (Path(current_app.static_folder) / CSS_FILE).read_text(encoding="utf-8")
    context = procedure_context(live=False)
    written = []
    for lang in LANGUAGES:
        with force_locale(lang):
            html = render_template("emergency/server_down_static.html", css=css, lang=lang, **context)
        path = target / FILE_NAME.format(lang=lang)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".server-down.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        written.append(path.name)
    return written
