"""The refunds' Today items and navigation links."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.ops.checklist import TodayCount, nav_link, today_item
from app.refunds import queries

nav_link("refunds", "refunds.refunds", _l("Refunds"), role="staff", order=15)
nav_link("compensation", "refunds.compensation_list", _l("Compensation"), role="staff", order=25)


@today_item("morning", order=15, title=_l("Refund requests waiting"), endpoint="refunds.refunds")
def refund_requests_waiting() -> TodayCount:
    from app.ops.views import _time_ago

    count, oldest = queries.count_waiting()
    return TodayCount(key="refund_requests_waiting", title=_l("Refund requests waiting"),
                      why=_l("The customer has canceled and waits to hear how much comes back; decide each one "
                             "by the policy shown on its page."),
                      count=count, endpoint="refunds.refunds", severity="warn" if count else "ok",
                      detail=_l("oldest: %(ago)s", ago=_time_ago(oldest)) if oldest else None)


@today_item("afternoon", order=15, title=_l("Refunds that failed or are stuck"), endpoint="refunds.refunds")
def refunds_failed() -> TodayCount:
    count = queries.count_failed()
    return TodayCount(key="refunds_failed", title=_l("Refunds that failed or are stuck"),
                      why=_l("The card company or the bank refused to pay the money back, or the card company "
                             "never answered although it was asked again and again; the customer is still waiting "
                             "for it. Open it and press “Send again”, or pay it back another way."),
                      count=count, endpoint="refunds.refunds", severity="bad" if count else "ok")
