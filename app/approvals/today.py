"""The approvals' Today item (managers) and navigation link."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.approvals import queries
from app.ops.checklist import TodayCount, nav_link, today_item

nav_link("approvals", "approvals.approvals", _l("Approvals"), role="manager", order=14)


@today_item("morning", order=5, role="manager", title=_l("Money waiting for your approval"),
            endpoint="approvals.approvals")
def approvals_waiting() -> TodayCount:
    from app.ops.views import _time_ago

    count, oldest = queries.count_pending()
    title = _l("Money waiting for your approval")
    return TodayCount(key="approvals_waiting", title=f"🛑 {title}" if count else title,
                      why=_l("A colleague asked to move a large amount (or to go against the refund policy); nothing "
                             "moves until a second person with manager rights approves it."),
                      count=count, endpoint="approvals.approvals", severity="warn" if count else "ok",
                      detail=_l("oldest: %(ago)s", ago=_time_ago(oldest)) if oldest else None)
