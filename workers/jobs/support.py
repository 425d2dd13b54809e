"""Support jobs: read the support mailbox (when SUPPORT_IMAP_URL is set). Safe to run twice:
a message already imported is recognised by its Message-ID."""
from __future__ import annotations

import logging

from flask import current_app

from workers import job

log = logging.getLogger(__name__)


@job
def fetch_support_mail() -> dict:
    url = current_app.config.get("SUPPORT_IMAP_URL")
    if not url:
        return {"skipped": "SUPPORT_IMAP_URL not set"}
    from app.support.mail import fetch_mailbox

    return fetch_mailbox(url)
