"""What an alert rule's check returns: one Firing per subject that is in trouble now.

A check is a function `() -> list[Firing]` run by the alert engine every minute.
An empty list means "all clear" and resolves the rule's open alerts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Firing:
    #: What the alert is about, stable while the incident lasts (dedupe key with the rule):
    #: e.g. "all", "hotel:12", "queue:default", "slo:payment_success".
    subject: str
    #: Plain values for the message (numbers, names); never internal notes of a guest.
    details: dict[str, Any] = field(default_factory=dict)
