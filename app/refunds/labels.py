"""The words the back office and the customer see for the refund policy's codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.refunds.policies import OurFault
from app.refunds.states import RefundStatus

#: policy reason code → one plain sentence (operators and customers).
POLICY_REASONS = {
    "full_window": _l("Canceled 7 or more days before check-in: the whole amount is refunded."),
    "partial_window": _l("Canceled 1 to 6 days before check-in: half is refunded."),
    "window_passed": _l("Canceled on the day of check-in: the rules give no refund."),
    "stay_started": _l("The stay has already started (or the check-in date has passed): the rules give no refund."),
    "price_difference": _l("The booking was changed to a cheaper one: the difference is refunded."),
    "overpayment": _l("More money arrived than the booking costs (or after it was canceled): the extra is paid back."),
    "unpaid_booking": _l("The booking was canceled before it was fully paid: everything paid is paid back."),
    "our_fault:service_error": _l("Our service made a mistake: full refund and an apology coupon, whatever the rules say."),
    "our_fault:overbooking": _l("We could not give the room we sold (overbooking): full refund and an apology coupon."),
    "our_fault:hotel_closure": _l("The hotel is closed: full refund and an apology coupon."),
    "our_fault:hold_expired_while_paying": _l("The booking expired while the customer was paying: full refund and an "
                                              "apology coupon."),
}

#: Why an operator opens a refund from a reservation page.
OPEN_REASONS = {
    "": _l("The customer asked (the rules decide the amount)"),
    OurFault.OVERBOOKING.value: _l("Our fault: overbooking — we cannot give the room"),
    OurFault.SERVICE_ERROR.value: _l("Our fault: a mistake of our service"),
    OurFault.HOTEL_CLOSURE.value: _l("Our fault: the hotel is closed"),
    OurFault.HOLD_EXPIRED_WHILE_PAYING.value: _l("Our fault: the booking expired while paying"),
}

CASE_LABELS = {
    "A": _l("Case A — refund by the rules"),
    "B": _l("Case B — no refund by the rules"),
    "C": _l("Case C — our fault: full refund and apology coupon"),
}

STATUS_LABELS = {
    RefundStatus.REQUESTED: _l("Waiting for a decision"),
    RefundStatus.APPROVED: _l("Approved"),
    RefundStatus.REFUSED: _l("Refused"),
    RefundStatus.PROCESSING: _l("Being refunded to the card"),
    RefundStatus.AWAITING_ACCOUNT: _l("Waiting for the customer's account"),
    RefundStatus.AWAITING_PAYOUT: _l("Bank transfer under way"),
    RefundStatus.COMPLETED: _l("Refunded"),
    RefundStatus.FAILED: _l("Failed — needs a person"),
}

METHOD_LABELS = {"card": _l("card"), "bank_transfer": _l("bank transfer")}


def policy_reason(code: str) -> str:
    return str(POLICY_REASONS.get(code, code))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(RefundStatus(status), status))
