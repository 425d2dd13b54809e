"""Who may move how much alone: the four-eyes rule as pure functions over one table.

DESIGN invariant 11: a single movement of money at or above the threshold
(`FOUR_EYES_ABOVE`, default ₩1,000,000) is requested by one operator and approved by a
different operator with manager rights. Below it, choosing "our fault" (refund case C)
or an amount other than the policy's is a manager's call: staff asks, a manager approves.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.auth.roles import has_role

#: The role an approver needs (whatever the kind); the requester never approves their own.
APPROVER_ROLE = "manager"


@dataclass(frozen=True)
class ApprovalKind:
    key: str
    label: object          # what it is, for lists and pages
    effect: object         # the approver's confirm sentence; %(amount)s, %(subject)s, %(account)s
    subject_type: str
    executor: str          # "module:function" run with (request, approver actor), no commit of its own
    approver_role: str = APPROVER_ROLE


#: Every kind of movement that can wait for a second person. The views, the service and the
#: tests read this table.
KINDS: dict[str, ApprovalKind] = {k.key: k for k in (
    ApprovalKind("refund_approval", _l("Refund approval"),
                 _l("Approve the refund %(subject)s: %(amount)s goes back to the customer."),
                 "refund", "app.approvals.executors:approve_refund"),
    ApprovalKind("refund_our_fault", _l("Refund as our fault (case C)"),
                 _l("Open the refund of booking %(subject)s as our fault and approve it: %(amount)s goes back to "
                    "the customer with an apology coupon."),
                 "reservation", "app.approvals.executors:refund_our_fault"),
    ApprovalKind("refund_account", _l("Refund to an account typed by an operator"),
                 _l("Send the refund %(subject)s, %(amount)s, to the account %(account)s."),
                 "refund", "app.approvals.executors:refund_account"),
    ApprovalKind("payout_account", _l("Payout to a changed account"),
                 _l("Send %(subject)s, %(amount)s, to the new account %(account)s."),
                 "payout", "app.approvals.executors:payout_account"),
    ApprovalKind("write_off", _l("Reconciliation write-off"),
                 _l("Accept the difference of %(amount)s on %(subject)s and close it."),
                 "reconciliation_item", "app.approvals.executors:write_off"),
    ApprovalKind("mark_paid", _l("Mark a booking paid without a deposit"),
                 _l("Record %(amount)s as paid by bank transfer for booking %(subject)s and confirm it."),
                 "reservation", "app.approvals.executors:mark_paid"),
    ApprovalKind("fund_top_up", _l("Operating fund top-up"),
                 _l("Add %(amount)s to the operating fund's balance."),
                 "operating_fund", "app.approvals.executors:top_up"),
)}


def needs_second_person(amount: int, threshold: int) -> bool:
    """True when one movement of `amount` (minor units) must be approved by a second
    person: at or above the threshold (₩999,999 alone; ₩1,000,000 needs two)."""
    return abs(int(amount)) >= int(threshold)


def may_act_alone(amount: int, threshold: int, *, role: str, manager_decision: bool = False) -> bool:
    """Whether an operator of `role` may do this movement without anyone else.

    At or above the threshold never; below it, a manager's decision (case C, another
    amount than the policy's) needs a manager; anything else is anyone's work."""
    if needs_second_person(amount, threshold):
        return False
    if manager_decision:
        return has_role(role, APPROVER_ROLE)
    return True


def may_approve(*, approver_id: int | None, approver_role: str, requester_id: int, kind: str) -> bool:
    """A different operator, with the kind's approver role."""
    wanted = KINDS[kind].approver_role
    return approver_id is not None and approver_id != requester_id and has_role(approver_role, wanted)
