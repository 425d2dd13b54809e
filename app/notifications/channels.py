"""Delivery channels: email through a mail backend (SMTP, or kept on the row in
development) and SMS through a provider adapter (a console provider in development).

MAIL_BACKEND (`smtp`, `outbox`) and SMS_BACKEND (`console`) also accept the import
path `package.module:Class` of your own backend (app.core.adapters): a class with
`send(outgoing) -> Delivery`, built by `from_config(config)`, `Class(config)` or
`Class()` for each message.

Each `deliver_*` returns a Delivery once the provider has *accepted* the
message, or raises TemporaryFailure (try again later) / PermanentFailure
(trying again cannot help). No database access here.
"""
from __future__ import annotations

import json
import logging
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

from flask import current_app

from app.config import ConfigError
from app.core.adapters import AdapterSpec
from app.notifications.policies import EMAIL, SMS, WEBHOOK, mask_phone

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    temporary = True


class TemporaryFailure(DeliveryError):
    """The provider could not take it now (SMTP 4xx, timeout, connection refused)."""


class PermanentFailure(DeliveryError):
    """The provider refused it for good (e.g. SMTP 550 no such mailbox)."""

    temporary = False


@dataclass(frozen=True)
class Outgoing:
    channel: str
    recipient: str
    language: str
    subject: str | None
    body: str
    message_id: str   # the same on every try of this message
    html: str | None = None   # an email's HTML alternative (operator messages such as reports)


@dataclass(frozen=True)
class Delivery:
    provider: str       # smtp | outbox | console | your backend's name (first 20 characters are kept)
    reference: str | None = None


class MailBackend(Protocol):
    """Sends one email. `send` returns a Delivery once the server accepted it, or raises
    TemporaryFailure / PermanentFailure; it is called again for the same `message_id` only
    when it raised (a real backend passes message_id on, so a resend is recognisable).
    Constructor: `from_config(config)`, `Class(config)` or `Class()` (app.core.adapters)."""

    name: str

    def send(self, outgoing: Outgoing) -> Delivery: ...


def sender_domain() -> str:
    """The domain of MAIL_FROM, used in Message-IDs."""
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    return address.rpartition("@")[2] or "frontdesk.invalid"


def deliver(outgoing: Outgoing) -> Delivery:
    """Hand one message to its channel's provider (see module doc)."""
    if outgoing.channel == EMAIL:
        delivery = deliver_email(outgoing)
    elif outgoing.channel == SMS:
        delivery = get_sms_provider().send(outgoing)
    elif outgoing.channel == WEBHOOK:
        delivery = deliver_webhook(outgoing)
    else:
        raise PermanentFailure(f"unknown channel {outgoing.channel!r}")
    return Delivery(str(delivery.provider)[:20], delivery.reference)


# --- email -----------------------------------------------------------------------------

def build_email(outgoing: Outgoing) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    msg["Subject"] = outgoing.subject or ""
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = outgoing.recipient
    msg["Message-ID"] = outgoing.message_id
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(outgoing.body, charset="utf-8")
    if outgoing.html:
        msg.add_alternative(outgoing.html, subtype="html", charset="utf-8")
    msg["Content-Language"] = outgoing.language  # after set_content, which resets Content-* headers
    return msg


def deliver_email(outgoing: Outgoing) -> Delivery:
    """Hand an email to the configured MAIL_BACKEND (see SmtpMailBackend, OutboxMailBackend)."""
    return get_mail_backend().send(outgoing)


class SmtpMailBackend:
    """MAIL_BACKEND=smtp: one SMTP conversation per message (SMTP_* settings, read when sending)."""

    name = "smtp"

    def send(self, outgoing: Outgoing) -> Delivery:
        send_smtp(build_email(outgoing))
        return Delivery(self.name, outgoing.message_id)


class OutboxMailBackend:
    """MAIL_BACKEND=outbox (development): sends nothing; the rendered message stays on its
    row, where the back office shows it."""

    name = "outbox"

    def send(self, outgoing: Outgoing) -> Delivery:
        return Delivery(self.name, outgoing.message_id)


#: MAIL_BACKEND: our short names, and the protocol an import path must satisfy.
MAIL_SPEC = AdapterSpec("MAIL_BACKEND", {"smtp": "app.notifications.channels:SmtpMailBackend",
                                         "outbox": "app.notifications.channels:OutboxMailBackend"}, MailBackend)


def get_mail_backend() -> MailBackend:
    """The configured mail backend, built for this message. A setting changed into something
    unusable after start-up is a TemporaryFailure (the message waits), never a crash."""
    try:
        return MAIL_SPEC.load(current_app.config["MAIL_BACKEND"], current_app.config)
    except ConfigError as exc:
        raise TemporaryFailure(str(exc)[:500]) from exc


def _classify(code: int, text: str) -> DeliveryError:
    message = f"SMTP {code} {text}"[:500]
    return TemporaryFailure(message) if 400 <= code < 500 else PermanentFailure(message)


def send_smtp(msg: EmailMessage) -> None:
    """One SMTP conversation with timeouts. Returns once the server accepted the
    message (250 after DATA); a failure after that point (QUIT) is ignored, so an
    accepted message is never reported as failed and sent again."""
    cfg = current_app.config
    try:
        smtp = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT_SECONDS"])
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure(f"cannot connect to the mail server: {exc}"[:500]) from exc
    try:
        _converse(smtp, msg)
    except BaseException:
        smtp.close()
        raise
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _converse(smtp: smtplib.SMTP, msg: EmailMessage) -> None:
    cfg = current_app.config
    try:
        if cfg["SMTP_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _classify(code, _text(text)) from exc
    except smtplib.SMTPAuthenticationError as exc:  # a setting to fix: worth retrying meanwhile
        raise TemporaryFailure(f"the mail server refused our sign-in ({exc.smtp_code})") from exc
    except smtplib.SMTPResponseException as exc:
        raise _classify(exc.smtp_code, _text(exc.smtp_error)) from exc
    except (OSError, smtplib.SMTPException) as exc:  # timeouts, resets, disconnects
        raise TemporaryFailure(f"{type(exc).__name__}: {exc}"[:500]) from exc


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


# --- SMS ---------------------------------------------------------------------------------

class SmsProvider(Protocol):
    """Sends one SMS. `send` returns a Delivery once the provider accepted it, or raises
    TemporaryFailure / PermanentFailure; pass `outgoing.message_id` as the client reference.
    Constructor: `from_config(config)`, `Class(config)` or `Class()` (app.core.adapters)."""

    name: str

    def send(self, outgoing: Outgoing) -> Delivery: ...


class ConsoleSmsProvider:
    """Development and tests: logs one masked line; the text stays on the outbox row.

    A real provider adapter passes `outgoing.message_id` as its client
    reference, so a resend after a crash is recognisable on its side too.
    """

    name = "console"

    def send(self, outgoing: Outgoing) -> Delivery:
        log.info("SMS to %s (%d characters) %s", mask_phone(outgoing.recipient), len(outgoing.body),
                 outgoing.message_id)
        return Delivery(self.name, outgoing.message_id)


#: SMS_BACKEND: our short names, and the protocol an import path must satisfy.
SMS_SPEC = AdapterSpec("SMS_BACKEND", {"console": "app.notifications.channels:ConsoleSmsProvider"}, SmsProvider)


def get_sms_provider() -> SmsProvider:
    """The configured SMS provider, built for this message (an unusable setting: TemporaryFailure)."""
    try:
        return SMS_SPEC.load(current_app.config["SMS_BACKEND"], current_app.config)
    except ConfigError as exc:
        raise TemporaryFailure(str(exc)[:500]) from exc


# --- webhook (Slack-compatible chat channels, e.g. #plic-alerts) ---------------------------

def deliver_webhook(outgoing: Outgoing) -> Delivery:
    """POST {"text": body} as JSON to the URL in `recipient` (Slack incoming webhooks and
    compatible chats). 2xx: accepted. 5xx, 408, 429, timeouts and connection errors: try
    again later; any other 4xx (bad URL, revoked hook): permanent. The message id goes
    along as a header, so a receiver can recognise a resend."""
    timeout = current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10)
    if not outgoing.recipient.startswith(("http://", "https://")):
        raise PermanentFailure("the webhook address must start with http:// or https://")
    data = json.dumps({"text": outgoing.body}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(outgoing.recipient, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "Frontdesk-alerts",
        "X-Frontdesk-Message-Id": outgoing.message_id})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
            response.read(1024)
            return Delivery(WEBHOOK, outgoing.message_id)
    except urllib.error.HTTPError as exc:
        message = f"webhook HTTP {exc.code} {exc.reason}"[:500]
        if exc.code >= 500 or exc.code in (408, 429):
            raise TemporaryFailure(message) from exc
        raise PermanentFailure(message) from exc
    except (urllib.error.URLError, socket.timeout, TimeoutError, OSError) as exc:
        raise TemporaryFailure(f"webhook not reachable: {exc}"[:500]) from exc
