"""What reconciliation adds to the back office: the "대사" navigation link and a 🛑 Today item
(seed 001 §2.1 morning check: "대사 배치 결과 확인", "대사 불일치 건 확인 및 조치")."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core import clock
from app.ops.checklist import TodayCount, nav_link, today_item
from app.ops.formatting import format_time_ago
from app.reconcile import queries

nav_link("reconciliation", "reconcile.index", _l("Reconciliation"), role="staff", order=45)


@today_item("morning", order=12, title=_l("Reconciliation differences that need a person now"),
            endpoint="reconcile.index")
def urgent_differences() -> TodayCount:
    found = queries.urgent_items()
    count = found.count + found.failed_runs
    details = []
    if found.failed_runs:
        details.append(_l("A daily reconciliation failed (%(n)s): open the day and run it again.", n=found.failed_runs))
    if found.oldest_due is not None:
        details.append(_l("The oldest was due %(ago)s.", ago=format_time_ago(found.oldest_due, clock.now())))
    title = _l("Reconciliation differences that need a person now")
    return TodayCount(key="reconciliation_urgent", title=f"🛑 {title}" if count else title,
                      why=_l("Money the gateway or the bank moved differently from our records: unknown or double "
                             "charges, money we cannot explain, and differences past their time limit."),
                      count=count, endpoint="reconcile.index", severity="bad" if count else "ok",
                      detail=" ".join(str(d) for d in details) or None)
