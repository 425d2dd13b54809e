"""The mail (MailBackend) and SMS (SmsProvider) contracts, run against every backend that
ships: `send` answers a Delivery naming the backend, with the message id as its
reference, once the message was accepted; an unreachable provider is a temporary failure
(the message waits and is tried again, with the same id)."""
from __future__ import annotations

import logging

import pytest

from app.notifications.channels import (
    Delivery,
    Outgoing,
    TemporaryFailure,
    deliver,
    get_mail_backend,
    get_sms_provider,
)


def email(message_id="<m-1@frontdesk.example>"):
    return Outgoing("email", "minji@example.com", "ja", "ご予約", "本文です。", message_id)


def sms(message_id="<s-1@frontdesk.example>"):
    return Outgoing("sms", "+821012345678", "ko", None, "예약이 확정되었습니다.", message_id)


@pytest.fixture(params=["outbox", "smtp"])
def mail(request, settings):
    """(backend, what the server received: a list, or None for a backend that sends nothing)."""
    if request.param == "smtp":
        server = request.getfixturevalue("smtp_server")   # sets MAIL_BACKEND=smtp, pointed at it
        return get_mail_backend(), server.messages
    settings(MAIL_BACKEND=request.param)
    return get_mail_backend(), None


@pytest.fixture(params=["console"])
def sms_provider(request, settings):
    settings(SMS_BACKEND=request.param)
    return get_sms_provider()


def test_a_mail_backend_answers_with_its_name_and_the_message_id(mail):
    backend, received = mail
    first = deliver(email())
    assert first == Delivery(backend.name, "<m-1@frontdesk.example>")
    assert deliver(email()) == first                       # the same message: the same reference
    if received is not None:
        assert len(received) == 2
        message = received[0]["message"]
        assert message["Message-ID"] == "<m-1@frontdesk.example>" and message["Content-Language"] == "ja"
        assert received[0]["to"] == ["minji@example.com"]
        assert message.get_payload(decode=True).decode("utf-8").strip() == "本文です。"


def test_smtp_unreachable_is_a_temporary_failure(settings):
    settings(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TIMEOUT_SECONDS=2)  # nothing listens
    with pytest.raises(TemporaryFailure, match="cannot connect to the mail server"):
        deliver(email())


def test_an_sms_provider_answers_with_its_name_and_the_message_id_and_logs_no_number(sms_provider, caplog):
    with caplog.at_level(logging.INFO, logger="app.notifications.channels"):
        first = deliver(sms())
    assert first == Delivery(sms_provider.name, "<s-1@frontdesk.example>")
    assert deliver(sms()) == first
    assert "SMS to" in caplog.text and "5678" in caplog.text               # one masked line…
    assert "+821012345678" not in caplog.text and "1012345678" not in caplog.text   # …never the number
