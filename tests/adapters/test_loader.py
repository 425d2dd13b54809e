"""Adapters are chosen by a short name of ours or an import path; a setting that cannot be
used stops the start-up with a message naming the variable and what to set."""
from __future__ import annotations

import pytest

from app import create_app
from app.config import ConfigError
from app.core.adapters import AdapterError, check_adapters, protocol_methods
from app.notifications.channels import (
    ConsoleSmsProvider,
    OutboxMailBackend,
    Outgoing,
    SmtpMailBackend,
    TemporaryFailure,
    deliver,
    get_mail_backend,
    get_sms_provider,
)
from app.payments.gateway import PaymentGateway, get_gateway, uses_sandbox_gateway
from app.payments.sandbox import SandboxGateway
from app.remittance.bank import Bank, get_bank, uses_sandbox_bank
from app.remittance.sandbox_bank import SandboxBank
from tests.adapters import plugins


def sms(message_id="m-1"):
    return Outgoing("sms", "+821012345678", "ko", None, "hello", message_id)


@pytest.mark.parametrize("value, cls", [
    ("sandbox", SandboxBank),
    ("app.remittance.sandbox_bank:SandboxBank", SandboxBank),
    ("tests.adapters.plugins:InMemoryBank", plugins.InMemoryBank),
])
def test_the_bank_is_chosen_by_short_name_or_import_path(settings, value, cls):
    settings(BANK_ADAPTER=value)
    bank = get_bank()
    assert type(bank) is cls
    assert uses_sandbox_bank() is (cls is SandboxBank)


def test_an_import_path_to_our_sandbox_gateway_is_still_the_sandbox(settings):
    settings(PAYMENT_GATEWAY="app.payments.sandbox:SandboxGateway")
    assert isinstance(get_gateway(), SandboxGateway) and uses_sandbox_gateway()


def test_mail_and_sms_backends_by_short_name_and_by_path(settings, app):
    settings(MAIL_BACKEND="smtp", SMS_BACKEND="console")
    assert isinstance(get_mail_backend(), SmtpMailBackend) and isinstance(get_sms_provider(), ConsoleSmsProvider)
    settings(MAIL_BACKEND="outbox")
    assert isinstance(get_mail_backend(), OutboxMailBackend)
    settings(MAIL_BACKEND="tests.adapters.plugins:FromConfigMail", SMS_BACKEND="tests.adapters.plugins:ConfiguredSms")
    mail = get_mail_backend()
    assert mail.marker == app.config["FRONTDESK_TIMEZONE"]          # built by from_config(config)
    assert get_sms_provider().sender == app.config["MAIL_FROM"]     # built with the config
    delivery = deliver(sms("m-9"))
    assert delivery.provider == plugins.ConfiguredSms.name[:20]      # fits the outbox row's column
    assert delivery.reference == f"{app.config['MAIL_FROM']}/m-9"


def test_an_app_starts_with_adapters_of_our_own():
    other = create_app({"TESTING": True, "BANK_ADAPTER": "tests.adapters.plugins:InMemoryBank",
                        "PAYMENT_GATEWAY": "tests.adapters.plugins:OfflineGateway",
                        "SMS_BACKEND": "tests.adapters.plugins:ConfiguredSms"})
    with other.app_context():
        assert isinstance(get_bank(), plugins.InMemoryBank)
        assert isinstance(get_gateway(), plugins.OfflineGateway) and not uses_sandbox_gateway()


@pytest.mark.parametrize("setting, value, words", [
    ("BANK_ADAPTER", "acmebank", ["BANK_ADAPTER='acmebank' is neither one of ours nor an import path",
                                  "Set BANK_ADAPTER to one of ours (sandbox) or to the import path"]),
    ("PAYMENT_GATEWAY", "no_such_package.gateway:Gateway",
     ["PAYMENT_GATEWAY='no_such_package.gateway:Gateway': the module 'no_such_package.gateway' cannot be imported",
      "ModuleNotFoundError", "Set PAYMENT_GATEWAY to one of ours (sandbox)"]),
    ("MAIL_BACKEND", "tests.adapters.plugins:Missing",
     ["MAIL_BACKEND='tests.adapters.plugins:Missing': the module 'tests.adapters.plugins' has no 'Missing'",
      "Set MAIL_BACKEND to one of ours (outbox, smtp)"]),
    ("BANK_ADAPTER", "tests.adapters.plugins:BankWithoutInquire",
     ["the class BankWithoutInquire lacks inquire(), which the Bank protocol (app.remittance.bank) requires"]),
    ("SMS_BACKEND", "tests.adapters.plugins:NOT_A_CLASS", ["'NOT_A_CLASS' is not a class"]),
    ("SMS_BACKEND", "tests.adapters.plugins:NeedsTwoArguments",
     ["must be constructible with the Flask config or with no arguments"]),
    ("SANDBOX_BANK_SCRIPT", "transfer=timeout_after;inquire=maybe",
     ["SANDBOX_BANK_SCRIPT=", "'maybe' is not an outcome of the sandbox bank's inquire"]),
    ("SANDBOX_GATEWAY_SCRIPT", "refund=refuse:stolen_card",
     ["'stolen_card' is not a code the sandbox gateway knows for refund"]),
])
def test_a_setting_that_cannot_be_used_stops_the_start_up_and_says_what_to_set(setting, value, words):
    with pytest.raises(AdapterError) as caught:
        create_app({"TESTING": True, setting: value})
    message = str(caught.value)
    assert isinstance(caught.value, ConfigError) and message.startswith("Frontdesk cannot start")
    for word in words:
        assert word in message


def test_every_problem_is_listed_at_once(app):
    config = {**app.config, "BANK_ADAPTER": "x", "PAYMENT_GATEWAY": "y", "MAIL_BACKEND": "outbox"}
    with pytest.raises(AdapterError) as caught:
        check_adapters(config)
    assert "BANK_ADAPTER='x'" in str(caught.value) and "PAYMENT_GATEWAY='y'" in str(caught.value)
    assert "MAIL_BACKEND" not in str(caught.value)
    check_adapters(app.config)                                       # ours: nothing to say


def test_a_setting_broken_after_start_up_delays_messages_instead_of_crashing(settings):
    settings(SMS_BACKEND="nowhere")
    with pytest.raises(TemporaryFailure, match="SMS_BACKEND='nowhere'"):
        deliver(sms())


def test_the_protocols_name_the_methods_an_adapter_needs():
    assert protocol_methods(Bank) == ["inquire", "send_transfer"]
    assert protocol_methods(PaymentGateway) == ["charge", "refund", "refund_status", "retrieve"]


@pytest.fixture
def production(monkeypatch):
    """A production start with everything set but real adapters (tests choose them)."""
    for name, value in {"FRONTDESK_ENV": "production", "SECRET_KEY": "s" * 40,
                        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
                        "REDIS_URL": "redis://127.0.0.1:6379/0", "GATEWAY_WEBHOOK_SECRET": "w" * 40,
                        "PAYMENT_GATEWAY": "tests.adapters.plugins:OfflineGateway",
                        "BANK_ADAPTER": "tests.adapters.plugins:InMemoryBank",
                        "SMS_BACKEND": "tests.adapters.plugins:ConfiguredSms",
                        "SUPPORT_PHONE": "02-123-4567", "SUPPORT_EMAIL": "help@hotel.example"}.items():
        monkeypatch.setenv(name, value)
    for name in ("ALLOW_SANDBOX_ADAPTERS", "SESSION_SECRET", "LINK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_accepts_adapters_of_our_own(production):
    from app.config import load_config

    assert load_config()["SANDBOX_ADAPTERS_IN_USE"] == []


@pytest.mark.parametrize("name, value", [("BANK_ADAPTER", "app.remittance.sandbox_bank:SandboxBank"),
                                         ("PAYMENT_GATEWAY", "app.payments.sandbox:SandboxGateway"),
                                         ("SMS_BACKEND", "app.notifications.channels:ConsoleSmsProvider"),
                                         ("BANK_ADAPTER", "sandbox")])
def test_production_refuses_our_sandboxes_by_import_path_too(production, name, value):
    from app.config import load_config

    production.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name} is '{value}', which moves no real money or messages"):
        load_config()
    production.setenv("ALLOW_SANDBOX_ADAPTERS", "true")
    assert load_config()["SANDBOX_ADAPTERS_IN_USE"] == [f"{name}={value}"]
