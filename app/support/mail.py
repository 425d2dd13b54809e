"""Inbound email → tickets: parse a message (multipart, ISO-2022-JP, UTF-8, HTML-only), thread a reply
to its ticket by the reference "T-…" in the subject or by In-Reply-To/References, else open a new
ticket. `fetch_mailbox` reads unseen messages of an IMAP mailbox (SUPPORT_IMAP_URL,
imaps://user:password@host[:port]/MAILBOX) and marks each seen once imported.

Importing the same message twice adds nothing (its Message-ID is unique).
"""
from __future__ import annotations

import email
import email.policy
import html
import imaplib
import logging
import re
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from sqlalchemy import select

from app.core.actor import Actor
from app.extensions import db
from app.support import services
from app.support.models import Ticket, TicketMessage

log = logging.getLogger(__name__)

TICKET_REF = re.compile(r"\bT-[0-9A-Z]{7}\b")
_TAGS = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.I)
_DROP = re.compile(r"<(script|style)\b.*?</\1>", re.I | re.S)


@dataclass
class Inbound:
    message_id: str
    sender_name: str
    sender_email: str
    subject: str
    body: str
    references: list[str]
    language: str


def _html_to_text(markup: str) -> str:
    text = _DROP.sub("", markup)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAGS.sub("", text))
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def _guess_language(text: str) -> str:
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7a3]", text):
        return "ko"
    return "en"


def parse_message(raw: bytes) -> Inbound:
    """The parts of an email the desk needs; text/plain preferred, else the HTML made plain."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        body = part.get_content()
    else:
        part = msg.get_body(preferencelist=("html",))
        body = _html_to_text(part.get_content()) if part is not None else ""
    name, addr = parseaddr(str(msg.get("From", "")))
    subject = str(msg.get("Subject", "") or "")
    refs = " ".join(str(msg.get(h, "") or "") for h in ("In-Reply-To", "References"))
    message_id = str(msg.get("Message-ID", "") or "").strip()[:300]
    return Inbound(message_id=message_id, sender_name=name.strip(), sender_email=addr.strip().lower(),
                   subject=subject.strip(), body=body.strip(), references=re.findall(r"<[^>]+>", refs),
                   language=_guess_language(subject + body))


def _thread(inbound: Inbound) -> Ticket | None:
    match = TICKET_REF.search(inbound.subject)
    if match:
        ticket = db.session.scalar(select(Ticket).where(Ticket.public_id == match.group(0)))
        if ticket is not None and (not ticket.guest_email or ticket.guest_email == inbound.sender_email):
            return ticket
    for ref in inbound.references:
        ticket = db.session.scalar(select(Ticket).where(Ticket.email_message_id == ref))
        if ticket is None:
            owner = db.session.scalar(select(TicketMessage.ticket_id).where(TicketMessage.email_message_id == ref))
            ticket = db.session.get(Ticket, owner) if owner else None
        if ticket is not None:
            return ticket
    return None


def import_message(raw: bytes) -> tuple[str, str]:
    """Add one email: ("threaded"|"created"|"duplicate", ticket public id or "")."""
    inbound = parse_message(raw)
    if inbound.message_id and (
            db.session.scalar(select(Ticket.id).where(Ticket.email_message_id == inbound.message_id))
            or db.session.scalar(select(TicketMessage.id).where(TicketMessage.email_message_id == inbound.message_id))):
        return "duplicate", ""
    if not inbound.sender_email:
        raise ValueError("the message has no sender address")
    ticket = _thread(inbound)
    if ticket is not None:
        services.add_guest_message(ticket.public_id, body=inbound.body or inbound.subject,
                                   email_message_id=inbound.message_id or None,
                                   actor=Actor.guest(inbound.sender_email))
        return "threaded", ticket.public_id
    from app.booking.models import Reservation

    reservation = None
    code = re.search(r"\bFD-?([0-9A-Z]{6})\b", inbound.subject + "\n" + inbound.body)
    if code:
        reservation = db.session.scalar(select(Reservation).where(Reservation.code == "FD" + code.group(1),
                                                                  Reservation.guest_email == inbound.sender_email))
    purpose = inbound.subject or " ".join(inbound.body.split())[:120] or "(email)"
    ticket = services.create_ticket(
        channel="email", category="other", purpose=purpose, body=inbound.body or inbound.subject,
        actor=Actor.guest(inbound.sender_email), reservation=reservation, guest_name=inbound.sender_name,
        guest_email=inbound.sender_email, language=reservation.language if reservation else inbound.language,
        email_message_id=inbound.message_id or None)
    return "created", ticket.public_id


def fetch_mailbox(url: str, limit: int = 50) -> dict[str, int]:
    """Import the unseen messages of the IMAP mailbox at `url`; each is marked seen after import."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError("SUPPORT_IMAP_URL must start with imap:// or imaps://")
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    client = imaplib.IMAP4_SSL(parts.hostname, port) if parts.scheme == "imaps" else imaplib.IMAP4(parts.hostname,
                                                                                                      port)
    counts = {"created": 0, "threaded": 0, "duplicate": 0, "failed": 0}
    try:
        client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        client.select(unquote(parts.path.strip("/")) or "INBOX")
        _typ, data = client.search(None, "UNSEEN")
        for num in (data[0] or b"").split()[:limit]:
            _typ, fetched = client.fetch(num, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:
                continue
            try:
                outcome, _ = import_message(raw)
                counts[outcome] += 1
            except Exception:
                db.session.rollback()
                counts["failed"] += 1
                log.exception("support mail: a message could not be imported")
                continue
            client.store(num, "+FLAGS", "\\Seen")
    finally:
        try:
            client.logout()
        except Exception:
            pass
    return counts
