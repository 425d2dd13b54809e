"""The operating fund: the payout account's ledger and its circuit breaker (seed 001 §5).

Services here change the fund; like app.remittance.services they are the only
code that does. The balance lives in one row per currency; every change:

1. locks that row (`SELECT … FOR UPDATE`; SQLite's BEGIN IMMEDIATE),
2. skips itself if its ledger entry (`dedupe_key`) already exists (safe twice),
3. updates the balance with a guarded UPDATE (`WHERE balance = :seen`), so two
   payouts can never both spend the last of the fund,
4. adds the ledger entry, and moves the breaker and the alert level, with an
   audit event and a log line for each change — all in the same transaction.

Lock order everywhere: the payout row first, then the fund row.
"""
from __future__ import annotations

import logging
import uuid

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.core import audit, clock
from app.core.actor import Actor, current_actor
from app.core.context import current_request_id
from app.core.db import insert_ignoring_duplicates, run_in_transaction
from app.core.errors import ValidationFailed
from app.core.money import format_money
from app.extensions import db
from app.remittance.models import FundEntry, FundEntryKind, OperatingFund, Payout
from app.remittance.policies import (
    LEVEL_ORDER,
    FundThresholds,
    Gate,
    alert_for,
    fund_level,
    gate_payout,
    next_breaker_state,
)
from app.remittance.states import BreakerState

log = logging.getLogger(__name__)

SYSTEM = Actor.system("remittance")
MAX_TOP_UP = 10_000_000_000  # a typo guard: ten billion of the fund currency at once


def thresholds() -> FundThresholds:
    return FundThresholds.from_config(current_app.config)


def fund_currency() -> str:
    return current_app.config["FUND_CURRENCY"]


def get_fund(currency: str | None = None) -> OperatingFund:
    """The fund row for reading (a fresh, empty one if it was never used; not added)."""
    currency = currency or fund_currency()
    fund = db.session.scalar(select(OperatingFund).where(OperatingFund.currency == currency))
    if fund is None:
        t = thresholds()
        fund = OperatingFund(currency=currency, balance=0, breaker_state=next_breaker_state(
            BreakerState.OPEN, 0, t), level=fund_level(0, t), state_changed_at=clock.now())
    return fund


def lock_fund(currency: str) -> OperatingFund:
    """The fund row under a row lock, created (empty, breaker OPEN) on first use. No commit."""
    query = (select(OperatingFund).where(OperatingFund.currency == currency)
             .with_for_update().execution_options(populate_existing=True))
    fund = db.session.execute(query).scalar_one_or_none()
    if fund is None:
        t, now = thresholds(), clock.now()
        insert_ignoring_duplicates(OperatingFund, [{
            "currency": currency, "balance": 0, "breaker_state": next_breaker_state(BreakerState.OPEN, 0, t),
            "level": fund_level(0, t), "state_changed_at": now, "created_at": now, "updated_at": now}],
            ["currency"])
        fund = db.session.execute(query).scalar_one()
    return fund


def _entry_exists(dedupe_key: str) -> bool:
    return db.session.scalar(select(FundEntry.id).where(FundEntry.dedupe_key == dedupe_key)) is not None


def _post(fund: OperatingFund, kind: str, amount: int, dedupe_key: str, *, actor: Actor,
          payout: Payout | None = None, reason: str | None = None) -> FundEntry | None:
    """Apply a signed amount to a LOCKED fund row, with its ledger entry. No commit.

    Returns None (and changes nothing) when the entry was already posted.
    """
    if _entry_exists(dedupe_key):
        log.info("fund entry already posted", extra={"dedupe_key": dedupe_key})
        return None
    t = thresholds()
    seen, new_balance = fund.balance, fund.balance + amount
    if new_balance < 0:
        raise RuntimeError(f"fund {fund.currency} would go below zero")  # callers gate first
    old_state, old_level = fund.breaker_state, fund.level
    new_state = next_breaker_state(old_state, new_balance, t)
    new_level = fund_level(new_balance, t)
    now = clock.now()
    values = {"balance": new_balance, "breaker_state": new_state, "level": new_level, "updated_at": now}
    if new_state != old_state:
        values["state_changed_at"] = now
    changed = db.session.execute(update(OperatingFund).where(
        OperatingFund.id == fund.id, OperatingFund.balance == seen).values(**values)).rowcount
    if changed != 1:
        raise RuntimeError("the fund changed under its lock")  # never expected: rolled back by the caller
    db.session.refresh(fund)
    entry = FundEntry(fund_id=fund.id, kind=kind, amount=amount, balance_after=new_balance,
                      payout_id=payout.id if payout is not None else None, reason=reason,
                      actor_name=actor.name[:200], dedupe_key=dedupe_key, request_id=current_request_id())
    db.session.add(entry)
    _announce(fund, old_state, new_state, old_level, new_level, actor)
    return entry


def _announce(fund: OperatingFund, old_state: str, new_state: str, old_level: str, new_level: str,
              actor: Actor) -> None:
    """Audit events, log lines and alerts (seed 001 §5.1, §7.1) for breaker/level changes."""
    balance = format_money(fund.balance, fund.currency, "en")
    if new_level != old_level:
        audit.record("fund.level_changed", entity_type="operating_fund", entity_id=fund.currency, actor=actor,
                     from_state=old_level, to_state=new_level, data={"balance": fund.balance})
        worse = LEVEL_ORDER.index(new_level) > LEVEL_ORDER.index(old_level)
        alert = alert_for(new_level)
        if worse and alert:
            log.log(logging.CRITICAL if alert == "CRITICAL" else logging.WARNING,
                    "[%s] operating fund %s: balance %s", alert, new_level, balance,
                    extra={"alert": alert, "fund_level": new_level, "balance": fund.balance})
        else:
            log.info("operating fund back to %s: balance %s", new_level, balance,
                     extra={"fund_level": new_level, "balance": fund.balance})
    if new_state != old_state:
        audit.record("fund.breaker_changed", entity_type="operating_fund", entity_id=fund.currency, actor=actor,
                     from_state=old_state, to_state=new_state, data={"balance": fund.balance})
        if new_state == BreakerState.OPEN:
            log.critical("[CRITICAL] circuit breaker OPEN: no payout starts until the fund is topped up "
                         "(balance %s)", balance, extra={"alert": "CRITICAL", "breaker": new_state,
                                                         "balance": fund.balance})
        else:
            log.warning("circuit breaker %s (balance %s)", new_state.upper(), balance,
                        extra={"breaker": new_state, "balance": fund.balance})


# --- used by the payout services (no commit) -------------------------------------------------


def debit_for_payout(payout: Payout, attempt_number: int) -> Gate:
    """Gate a payout through the breaker and, if it passes, debit the fund for this attempt.

    Call with the payout row locked; no commit. Safe twice: the debit of an
    attempt is posted once (dedupe key), and a second call passes without charging.
    """
    fund = lock_fund(payout.currency)
    key = f"debit:{payout.id}:{attempt_number}"
    if _entry_exists(key):
        return Gate(True, None)
    gate = gate_payout(fund.breaker_state, fund.balance, payout.amount, thresholds())
    if gate.allowed:
        _post(fund, FundEntryKind.PAYOUT_DEBIT, -payout.amount, key, actor=SYSTEM, payout=payout,
              reason=f"payout {payout.public_id} attempt {attempt_number}")
    return gate


def credit_reversal(payout: Payout, attempt_number: int) -> None:
    """The bank refused an attempt: its debit comes back. No commit; safe twice."""
    if not _entry_exists(f"debit:{payout.id}:{attempt_number}"):
        return
    fund = lock_fund(payout.currency)
    _post(fund, FundEntryKind.PAYOUT_REVERSAL, payout.amount, f"reversal:{payout.id}:{attempt_number}",
          actor=SYSTEM, payout=payout, reason=f"payout {payout.public_id} attempt {attempt_number} refused")


def credit_return(payout: Payout, *, actor: Actor, reference: str) -> None:
    """A completed payout's money came back to the account. No commit; safe twice."""
    fund = lock_fund(payout.currency)
    _post(fund, FundEntryKind.RETURN_CREDIT, payout.amount, f"return:{payout.id}", actor=actor, payout=payout,
          reason=f"payout {payout.public_id} returned ({reference})")


# --- use cases ----------------------------------------------------------------------------------


def new_top_up_key() -> str:
    """A key for the top-up form, so a double submit adds the money once."""
    return uuid.uuid4().hex


def top_up_fund(amount: int, reason: str, *, key: str, actor: Actor | None = None,
                currency: str | None = None) -> FundEntry | None:
    """A manager put money into the payout account. Commits.

    Moves the breaker (OPEN → HALF_OPEN or CLOSED); held payouts resume with the
    next sweep. Safe twice: the same `key` adds the money once (returns None).
    At or above FOUR_EYES_ABOVE a second person approves first (guard.NeedsApproval,
    nothing changes; app.approvals).
    """
    actor = actor or current_actor()
    currency = currency or fund_currency()
    errors = {}
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = _l("Enter a whole amount above zero.")
    elif amount > MAX_TOP_UP:
        errors["amount"] = _l("That is more than one top-up can be; check the number of zeros.")
    if not (reason or "").strip():
        errors["reason"] = _l("Write where the money came from.")
    if not key or len(key) > 64:
        errors["key"] = _l("This form expired; open it again.")
    if errors:
        raise ValidationFailed(fields=errors)
    from app.approvals import guard

    guard.require("fund_top_up", amount, actor=actor, currency=currency)

    def work() -> FundEntry | None:
        fund = lock_fund(currency)
        entry = _post(fund, FundEntryKind.TOP_UP, amount, f"topup:{key}", actor=actor, reason=reason.strip())
        if entry is not None:
            audit.record("fund.topped_up", entity_type="operating_fund", entity_id=currency, actor=actor,
                         reason=reason.strip(), data={"amount": amount, "balance": fund.balance})
        return entry

    return run_in_transaction(work)
