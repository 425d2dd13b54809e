"""Adapters of our own making, for the loader tests: plugged in by import path, as an
integrator would plug theirs (tests.adapters.plugins:Class)."""
from __future__ import annotations

from app.notifications.channels import Delivery
from app.remittance.bank import TransferResult


class InMemoryBank:
    """A complete bank built with no arguments: every transfer completes, once per transfer id."""

    name = "in-memory"
    transfers: dict[str, TransferResult] = {}

    def send_transfer(self, *, transfer_id, request_no, amount, currency, bank_code, account_number,
                      account_holder):
        return self.transfers.setdefault(transfer_id, TransferResult("completed", transfer_id, request_no, "MEM1"))

    def inquire(self, transfer_id):
        return self.transfers.get(transfer_id)


class ConfiguredSms:
    """An SMS provider built with the Flask config (its one constructor argument)."""

    name = "configured-sms-provider-with-a-long-name"

    def __init__(self, config):
        self.sender = config["MAIL_FROM"]

    def send(self, outgoing):
        return Delivery(self.name, f"{self.sender}/{outgoing.message_id}")


class FromConfigMail:
    """A mail backend with a from_config classmethod."""

    name = "from-config"

    def __init__(self, marker: str):
        self.marker = marker

    @classmethod
    def from_config(cls, config):
        return cls(config["FRONTDESK_TIMEZONE"])

    def send(self, outgoing):
        return Delivery(self.name, outgoing.message_id)


class BankWithoutInquire:
    """Forgot inquire(): refused at start-up."""

    name = "half"

    def send_transfer(self, **kwargs):
        raise NotImplementedError


class NeedsTwoArguments:
    """A constructor the loader cannot call."""

    def __init__(self, host, port):
        self.host, self.port = host, port

    def send(self, outgoing):
        raise NotImplementedError


NOT_A_CLASS = 42


class OfflineGateway:
    """A complete gateway that is never reachable (every call: GatewayUnavailable)."""

    name = "offline"

    def _down(self, *args, **kwargs):
        from app.payments.gateway import GatewayUnavailable

        raise GatewayUnavailable("offline")

    charge = retrieve = refund = refund_status = _down
