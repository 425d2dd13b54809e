"""History in sentences: one table that says, in the reader's language, what each audit
event and each state means ("입금을 직접 확인했습니다", "결제 대기"), who did it ("박지훈 직원",
"자동 처리", "고객"), and system-written reasons translated at display time.

Every action written through `audit.record` has a row in ACTION_SENTENCES (a test renders
them all in ko/ja/en). Codes (action, states, ids, request id) are for the folded
"details for support" only: see `describe` and templates/_history.html.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_pgettext as pgettext

#: audit action → what happened, as a sentence without its subject (the actor is shown beside it).
ACTION_SENTENCES = {
    'alert.acknowledged': pgettext("history", 'Acknowledged the alert'),
    'alert.escalated': pgettext("history", 'Passed the alert to the next person'),
    'alert.notified': pgettext("history", 'Sent the alert to the person on duty'),
    'alert.oncall_changed': pgettext("history", 'Changed who is on duty'),
    'alert.opened': pgettext("history", 'Raised an alert'),
    'alert.repeated': pgettext("history", 'The alert happened again'),
    'alert.resolved': pgettext("history", 'The alert was cleared'),
    'alert.silence_created': pgettext("history", 'Paused alerts for a while'),
    'alert.silence_ended': pgettext("history", 'Ended the pause on alerts'),
    'alert.silenced': pgettext("history", 'The alert was held back by a pause'),
    'api_token.created': pgettext("history", 'Created an access key for a partner system'),
    'approval.approved': pgettext("history", 'Approved the request'),
    'approval.refused': pgettext("history", 'Refused the request'),
    'approval.requested': pgettext("history", 'Asked a manager for approval'),
    'approval.stale': pgettext("history", 'The approval request expired'),
    'approval.withdrawn': pgettext("history", 'Withdrew the approval request'),
    'approval.approve_refused': pgettext("history", 'Tried to approve, but it was not allowed'),
    'approval.refuse_refused': pgettext("history", 'Tried to refuse, but it was not allowed'),
    'approval.withdraw_refused': pgettext("history", 'Tried to withdraw, but it was not allowed'),
    'audit_chain.acknowledged': pgettext("history", 'Acknowledged a break in the change record'),
    'audit_chain.broken': pgettext("history", 'Found a break in the change record'),
    'bank_statement.balance_override': pgettext("history", 'Accepted a statement whose balance did not match'),
    'bank_statement.imported': pgettext("history", 'Uploaded the bank statement'),
    'compensation.given': pgettext("history", 'Gave the guest compensation'),
    'conflict.cleanup': pgettext("history", 'Cleared old booking conflicts'),
    'conflict.dismissed': pgettext("history", 'Closed the booking conflict'),
    'conflict.resolved': pgettext("history", 'Resolved the booking conflict'),
    'booking.codes_sent': pgettext("history", 'Emailed the guest the links to their bookings'),
    'coupon.given': pgettext("history", 'Gave the guest a coupon'),
    'coupon.given_back': pgettext("history", 'Gave the guest their coupon back'),
    'coupon.not_taken_again': pgettext("history", 'Could not use the coupon again: it was used elsewhere or expired'),
    'coupon.taken_again': pgettext("history", 'Used the coupon again for the revived booking'),
    'deposit.assigned': pgettext("history", 'Matched the deposit to a booking'),
    'deposit.decision_not_done': pgettext("history", 'Tried to decide on a deposit, but it was not done'),
    'deposit.manual_mark_paid': pgettext("history", 'Confirmed the deposit by hand'),
    'deposit.reversal_collect_again': pgettext("history", 'The bank took the deposit back; asked the guest to pay again'),
    'deposit.reversal_cancel_booking': pgettext("history", 'The bank took the deposit back; canceled the booking'),
    'deposit.reversed': pgettext("history", 'The bank took the deposit back'),
    'emergency.contact_added': pgettext("history", 'Added an emergency contact'),
    'emergency.contact_changed': pgettext("history", 'Changed an emergency contact'),
    'emergency.contact_removed': pgettext("history", 'Removed an emergency contact'),
    'fund.breaker_changed': pgettext("history", 'Payouts were stopped or restarted because of the fund level'),
    'fund.level_changed': pgettext("history", 'Set the operating fund balance'),
    'fund.topped_up': pgettext("history", 'Added money to the operating fund'),
    'handover.acknowledged': pgettext("history", 'Read the handover note'),
    'handover.acknowledge_refused': pgettext("history", 'Tried to confirm a handover note, but it was not allowed'),
    'handover.written': pgettext("history", 'Wrote a handover note'),
    'hotel.closure_bookings_canceled': pgettext("history", 'Canceled bookings because the hotel closed'),
    'hotel.created': pgettext("history", 'Added the hotel'),
    'hotel.deactivated': pgettext("history", 'Stopped taking bookings for the hotel'),
    'hotel.reactivated': pgettext("history", 'Started taking bookings for the hotel again'),
    'hotel.updated': pgettext("history", "Changed the hotel's details"),
    'inventory.total_changed': pgettext("history", 'Changed how many rooms can be sold'),
    'job.deleted': pgettext("history", 'Removed a failed background task'),
    'job.requeued': pgettext("history", 'Ran a failed background task again'),
    'notification.abandoned': pgettext("history", 'Gave up sending a message'),
    'notification.failed': pgettext("history", 'A message could not be sent'),
    'notification.resend': pgettext("history", 'Sent a message again'),
    'notification.retry': pgettext("history", 'Will try sending a message again'),
    'notification.sent': pgettext("history", 'Sent a message'),
    'notification.skipped': pgettext("history", 'Did not send a message (not needed)'),
    'operator.created': pgettext("history", 'Added a staff account'),
    'operator.disabled': pgettext("history", 'Turned off a staff account'),
    'operator.enabled': pgettext("history", 'Turned on a staff account'),
    'operator.password_changed': pgettext("history", 'Changed a password'),
    'operator.permission_refused': pgettext("history", 'Tried something this role may not do'),
    'operator.profile_changed': pgettext("history", "Changed a staff member's details"),
    'operator.role_changed': pgettext("history", "Changed a staff member's role"),
    'operator.sign_in_failed': pgettext("history", 'A sign-in failed'),
    'operator.signed_in': pgettext("history", 'Signed in'),
    'operator.signed_out': pgettext("history", 'Signed out'),
    'operator.told_of_failed_sign_ins': pgettext("history", 'Told the staff member about failed sign-ins'),
    'payment.canceled': pgettext("history", 'The payment was canceled'),
    'payment.completed': pgettext("history", 'The payment went through'),
    'payment.failed': pgettext("history", 'The payment failed'),
    'payment.reversed': pgettext("history", 'The payment was taken back'),
    'payment.started': pgettext("history", 'The guest started paying'),
    'payout.attempt_unknown': pgettext("history", 'Not known whether the bank transfer went out'),
    'payout.booked_by_bank': pgettext("history", 'The bank confirmed the transfer'),
    'payout.decision_not_done': pgettext("history", 'Tried to decide on a transfer, but it was not done'),
    'payout.delay_notified': pgettext("history", 'Told the guest the transfer is late'),
    'payout.requested': pgettext("history", 'Asked for a bank transfer to the guest'),
    'payout.return_not_completed': pgettext("history", 'The returned transfer could not be finished'),
    'payout.status': pgettext("history", "Changed the transfer's state"),
    'rates.set': pgettext("history", 'Changed room prices'),
    'reconciliation.completed': pgettext("history", 'Finished checking payments against the gateway'),
    'reconciliation.failed': pgettext("history", 'Checking payments against the gateway failed'),
    'reconciliation_item.owner_changed': pgettext("history", 'Changed who handles the mismatch'),
    'reconciliation_item.refund_refused': pgettext("history", 'The gateway refused to give the money back'),
    'reconciliation_item.resolved': pgettext("history", 'Resolved the mismatch'),
    'reconciliation_item.written_off': pgettext("history", 'Closed the mismatch without recovering the money'),
    'refund.account_entered': pgettext("history", "The guest's bank account was entered"),
    'refund.approved': pgettext("history", 'Approved the refund'),
    'refund.awaiting_account': pgettext("history", "Waiting for the guest's bank account"),
    'refund.awaiting_payout': pgettext("history", 'Waiting for the bank transfer'),
    'refund.check_scheduled': pgettext("history", 'Will check the refund again later'),
    'refund.completed': pgettext("history", 'The money was returned to the guest'),
    'refund.decision_not_done': pgettext("history", 'Tried to decide on a refund, but it was not done'),
    'refund.failed': pgettext("history", 'The refund failed'),
    'refund.processing': pgettext("history", 'Sent the refund to the card company'),
    'refund.refused': pgettext("history", 'Refused the refund'),
    'refund.requested': pgettext("history", 'A refund was requested'),
    'refund.sent_again': pgettext("history", 'Sent the refund again'),
    'refund.status': pgettext("history", "Changed the refund's state"),
    'report.sent': pgettext("history", 'Sent a report'),
    'request.refused': pgettext("history", 'A request was refused'),
    'reservation.changed': pgettext("history", 'Changed the booking'),
    'reservation.created': pgettext("history", 'Made the booking'),
    'reservation.note_added': pgettext("history", 'Added a note to the booking'),
    'reservation.payment_shortfall': pgettext("history", 'Less money arrived than the booking costs'),
    'reservation.room_assigned': pgettext("history", 'Assigned a room'),
    'reservation.shortfall_canceled': pgettext("history", 'Canceled the booking because the payment was short'),
    'reservation.shortfall_rest_requested': pgettext("history", 'Asked the guest to pay the rest'),
    'reservation.shortfall_written_off': pgettext("history", 'Accepted the short payment as paid'),
    'reservation.status': pgettext("history", "Changed the booking's state"),
    'room.created': pgettext("history", 'Added a room'),
    'room.features': pgettext("history", "Changed a room's features"),
    'room.removed': pgettext("history", 'Removed a room'),
    'room.taken_out_over_cap': pgettext("history", 'Took a room out of sale although it was needed'),
    'room.updated': pgettext("history", 'Changed a room'),
    'room_type.created': pgettext("history", 'Added a room type'),
    'room_type.deactivated': pgettext("history", 'Stopped selling a room type'),
    'room_type.updated': pgettext("history", 'Changed a room type'),
    'settlement_file.stored': pgettext("history", "Stored the card company's settlement file"),
    'status.draft_changed': pgettext("history", 'Changed the draft notice'),
    'status.notice_drafted': pgettext("history", 'Drafted a service notice'),
    'status.notice_published': pgettext("history", 'Published a service notice'),
    'status.override_refused': pgettext("history", 'Tried to change the status page, but it was not allowed'),
    'status.rca_published': pgettext("history", 'Published the cause analysis'),
    'status.rca_saved': pgettext("history", 'Saved the cause analysis'),
    'status.update_posted': pgettext("history", 'Posted an update to the notice'),
    'ticket.created': pgettext("history", 'Opened a support request'),
    'ticket.guest_wrote': pgettext("history", 'The guest wrote'),
    'ticket.noted': pgettext("history", 'Added an internal note'),
    'ticket.owner_changed': pgettext("history", 'Changed who handles the request'),
    'ticket.rated': pgettext("history", 'The guest rated the help'),
    'ticket.replied': pgettext("history", 'Replied to the guest'),
    'ticket.severity_changed': pgettext("history", 'Changed how urgent the request is'),
    'ticket.status_changed': pgettext("history", "Changed the request's state"),
    'payout.processing': pgettext("history", 'Started preparing the transfer'),
    'payout.held_by_breaker': pgettext("history", 'Held the transfer: the operating fund is too low'),
    'payout.transferring': pgettext("history", 'Sent the transfer to the bank'),
    'payout.transfer_failed': pgettext("history", 'The bank refused the transfer; it will be tried again'),
    'payout.waiting_for_account': pgettext("history", 'Waiting for a correct bank account'),
    'payout.abandoned': pgettext("history", 'Stopped trying the transfer; a person decides'),
    'payout.completed': pgettext("history", 'The bank transfer was completed'),
    'payout.returned': pgettext("history", 'The transferred money came back'),
    'payout.canceled': pgettext("history", 'Canceled the transfer'),
    'conflict.alternative_booked': pgettext("history", 'Booked an alternative for the guest'),
    'coupon.redeemed': pgettext("history", 'The guest used a coupon'),
}

#: (entity type, state) → the state in words.
STATE_WORDS = {
    ('reservation', 'pending'): pgettext("history state", 'Waiting for payment'),
    ('reservation', 'paid'): pgettext("history state", 'Paid'),
    ('reservation', 'checked_in'): pgettext("history state", 'Checked in'),
    ('reservation', 'checked_out'): pgettext("history state", 'Checked out'),
    ('reservation', 'canceled'): pgettext("history state", 'Canceled'),
    ('reservation', 'refunded'): pgettext("history state", 'Refunded'),
    ('payment', 'pending'): pgettext("history state", 'Payment under way'),
    ('payment', 'completed'): pgettext("history state", 'Payment received'),
    ('payment', 'failed'): pgettext("history state", 'Payment failed'),
    ('payment', 'canceled'): pgettext("history state", 'Payment canceled'),
    ('payment', 'reversed'): pgettext("history state", 'Payment taken back'),
    ('refund', 'requested'): pgettext("history state", 'Waiting for a decision'),
    ('refund', 'approved'): pgettext("history state", 'Approved'),
    ('refund', 'refused'): pgettext("history state", 'Refused'),
    ('refund', 'processing'): pgettext("history state", 'Being refunded'),
    ('refund', 'awaiting_account'): pgettext("history state", "Waiting for the guest's account"),
    ('refund', 'awaiting_payout'): pgettext("history state", 'Waiting for the transfer'),
    ('refund', 'completed'): pgettext("history state", 'Refund done'),
    ('refund', 'failed'): pgettext("history state", 'Refund failed'),
    ('payout', 'requested'): pgettext("history state", 'Waiting to be sent'),
    ('payout', 'processing'): pgettext("history state", 'Being prepared'),
    ('payout', 'held_by_breaker'): pgettext("history state", 'Held: the fund is too low'),
    ('payout', 'transferring'): pgettext("history state", 'Sent to the bank'),
    ('payout', 'transfer_failed'): pgettext("history state", 'The bank refused; will retry'),
    ('payout', 'waiting_for_account'): pgettext("history state", 'Waiting for a correct account'),
    ('payout', 'abandoned'): pgettext("history state", 'Stopped; a person decides'),
    ('payout', 'completed'): pgettext("history state", 'Transfer done'),
    ('payout', 'returned'): pgettext("history state", 'The money came back'),
    ('payout', 'canceled'): pgettext("history state", 'Canceled'),
    ('notification', 'pending'): pgettext("history state", 'Waiting to be sent'),
    ('notification', 'sending'): pgettext("history state", 'Sending'),
    ('notification', 'sent'): pgettext("history state", 'Sent'),
    ('notification', 'skipped'): pgettext("history state", 'Not sent (not needed)'),
    ('notification', 'failed'): pgettext("history state", 'Could not be sent'),
    ('hotel', 'active'): pgettext("history state", 'Taking bookings'),
    ('hotel', 'inactive'): pgettext("history state", 'Not taking bookings'),
    ('room', 'available'): pgettext("history state", 'Available'),
    ('room', 'occupied'): pgettext("history state", 'Occupied'),
    ('room', 'maintenance'): pgettext("history state", 'Under repair'),
    ('room', 'cleaning'): pgettext("history state", 'Being cleaned'),
}

#: English reasons the system itself writes into audit rows, translated at display time.
SYSTEM_REASONS = {
    'Canceled by the guest on the booking page': pgettext("history reason", 'Canceled by the guest on the booking page'),
    'Canceled through the API': pgettext("history reason", 'Canceled through the API'),
    'Deposit larger than the amount owed.': pgettext("history reason", 'Deposit larger than the amount owed.'),
    'Revived by a late deposit': pgettext("history reason", 'Revived by a late deposit'),
    'Payment arrived after the booking was canceled.': pgettext("history reason", 'Payment arrived after the booking was canceled.'),
    'The bank took the deposit back': pgettext("history reason", 'The bank took the deposit back'),
    'The bank took the deposit back; collect again': pgettext("history reason", 'The bank took the deposit back; collect again'),
    'A payout to another account replaces it.': pgettext("history reason", 'A payout to another account replaces it.'),
    'The customer corrected the account.': pgettext("history reason", 'The customer corrected the account.'),
    'The customer gave another account.': pgettext("history reason", 'The customer gave another account.'),
    'Paid: the payment arrived': pgettext("history reason", 'Paid: the payment arrived'),
    'Paid back to the guest': pgettext("history reason", 'Paid back to the guest'),
    'The refund transfer came back': pgettext("history reason", 'The refund transfer came back'),
    'The transfer came back': pgettext("history reason", 'The transfer came back'),
    'The bank refused a transfer try': pgettext("history reason", 'The bank refused a transfer try'),
    'A transfer try': pgettext("history reason", 'A transfer try'),
    'Because of a booking conflict': pgettext("history reason", 'Because of a booking conflict'),
    'Room upgrade because of a booking conflict': pgettext("history reason", 'Room upgrade because of a booking conflict'),
    'An apology to the guest': pgettext("history reason", 'An apology to the guest'),
}


_ACTOR_WORDS = {
    "system": pgettext("history actor", "Automatic"),
    "guest": pgettext("history actor", "Guest"),
}
_ROLE_WORDS = {
    "staff": pgettext("history actor", "%(name)s (staff)"),
    "manager": pgettext("history actor", "%(name)s (manager)"),
    "admin": pgettext("history actor", "%(name)s (admin)"),
}
_FALLBACK_ACTION = pgettext("history", "Something changed")
_CHANGE = pgettext("history", "Changed: %(before)s → %(after)s")
_NOW = pgettext("history", "Now: %(after)s")


@dataclass
class HistoryLine:
    """One audit row as people read it; `codes` is for the folded support details."""

    sentence: str
    actor: str
    change: str | None
    reason: str | None
    codes: dict[str, Any] = field(default_factory=dict)


def action_sentence(action: str) -> str:
    """The sentence for an audit action; unknown actions (old rows) get a neutral sentence."""
    text = ACTION_SENTENCES.get(action)
    return str(text) if text is not None else str(_FALLBACK_ACTION)


def state_words(entity_type: str | None, state: str | None) -> str | None:
    """A state in words for its kind of record (a payment's `completed` is not a payout's)."""
    if not state:
        return None
    text = STATE_WORDS.get((entity_type or "", state))
    if text is None:  # an event about a payment recorded on its booking, etc.: any kind that knows the state
        text = next((v for (_t, s), v in STATE_WORDS.items() if s == state), None)
    return str(text) if text is not None else None


#: reasons the system writes with an id or a number in them: (pattern, words); the raw text
#: stays in the support details.
PATTERN_REASONS = [
    (re.compile(r"^payment pay_\w+$"), pgettext("history reason", "Paid: the payment arrived")),
    (re.compile(r"^refund \w+$"), pgettext("history reason", "Paid back to the guest")),
    (re.compile(r"^refund payout \S+ came back$"), pgettext("history reason", "The refund transfer came back")),
    (re.compile(r"^payout \S+ came back"), pgettext("history reason", "The transfer came back")),
    (re.compile(r"^payout \S+ attempt \d+ refused$"), pgettext("history reason", "The bank refused a transfer try")),
    (re.compile(r"^payout \S+ attempt \d+$"), pgettext("history reason", "A transfer try")),
    (re.compile(r"^booking conflict #"), pgettext("history reason", "Because of a booking conflict")),
    (re.compile(r"^upgrade for conflict "), pgettext("history reason", "Room upgrade because of a booking conflict")),
    (re.compile(r"^apology: "), pgettext("history reason", "An apology to the guest")),
]


_BANK_CODE = re.compile(r"^[A-Z][A-Z_]{2,40}$")


def reason_words(reason: str | None) -> str | None:
    """A reason as written by a person, or a system-written English reason in the reader's language."""
    if not reason:
        return None
    text = SYSTEM_REASONS.get(reason.strip())
    if text is None:
        text = next((words for pattern, words in PATTERN_REASONS if pattern.search(reason.strip())), None)
    if text is None and _BANK_CODE.match(reason.strip()):
        from app.remittance.policies import FAILURE_TYPES

        found = FAILURE_TYPES.get(reason.strip())   # the bank's answer code (BANK_ERROR, INVALID_ACCOUNT…)
        text = found.meaning if found is not None else None
    return str(text) if text is not None else reason


def _operators() -> dict[int, tuple[str, str]]:
    """operator id → (name, role), read once per request (audit rows keep the e-mail only)."""
    cached = getattr(request, "_history_operators", None) if has_request_context() else None
    if cached is not None:
        return cached
    from sqlalchemy import select

    from app.auth.models import Operator
    from app.extensions import db

    found = {i: (name, role) for i, name, role in
             db.session.execute(select(Operator.id, Operator.name, Operator.role)).all()}
    if has_request_context():
        request._history_operators = found
    return found


def actor_words(actor_kind: str | None, actor_name: str | None, actor_id: int | None = None) -> str:
    """"박지훈 직원" for an operator (name and role word), "자동 처리" for the system, workers
    and notifications, "고객" for the guest."""
    if actor_kind == "operator":
        name, role = _operators().get(actor_id, ("", None)) if actor_id is not None else ("", None)
        name = (name or "").strip() or (actor_name or "").strip() or "—"
        return str(_ROLE_WORDS.get(role or "staff", _ROLE_WORDS["staff"])) % {"name": name}
    if actor_kind == "guest":
        return str(_ACTOR_WORDS["guest"])
    return str(_ACTOR_WORDS["system"])


def describe(event) -> HistoryLine:
    """An AuditEvent (or anything with its attributes) as a HistoryLine."""
    entity_type = getattr(event, "entity_type", None)
    before = state_words(entity_type, event.from_state)
    after = state_words(entity_type, event.to_state)
    if before and after and before != after:
        change = str(_CHANGE) % {"before": before, "after": after}
    elif after and event.action.endswith((".status", ".status_changed")):
        change = str(_NOW) % {"after": after}
    else:
        change = None
    codes = {"action": event.action, "entity": f"{entity_type} {event.entity_id}",
             "states": (f"{event.from_state or '—'} → {event.to_state or '—'}"
                        if (event.from_state or event.to_state) else None),
             "actor": f"{event.actor_kind} {event.actor_name}".strip(),
             "request": getattr(event, "request_id", None), "reason": None}
    reason = reason_words(event.reason)
    if reason and reason != event.reason:
        codes["reason"] = event.reason
    return HistoryLine(sentence=action_sentence(event.action),
                       actor=actor_words(event.actor_kind, event.actor_name, getattr(event, "actor_id", None)),
                       change=change, reason=reason, codes=codes)


#: the few words templates/_history.html needs, kept with the sentences (one catalog).
HISTORY_WORDS = {
    "details": pgettext("history", "Codes for support"),
    "empty": pgettext("history", "No history yet."),
    "title": pgettext("history", "History"),
}
