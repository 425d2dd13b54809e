"""The support desk's Today items and its navigation link "Customer inquiries" with a badge."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.ops.checklist import TodayCount, nav_link, today_item


def _badge() -> int:
    from app.support import queries

    near, past = queries.count_attention()
    return near + past


nav_link("support", "support.queue", _l("Customer inquiries"), role="staff", order=12, badge=_badge,
         badge_role="staff")


@today_item("morning", order=6, title=_l("Customer inquiries near or past their promised time"),
            endpoint="support.queue")
def inquiries_due() -> TodayCount:
    from app.support import queries

    near, past = queries.count_attention()
    title = _l("Customer inquiries near or past their promised time")
    return TodayCount(key="support_due", title=f"🛑 {title}" if near + past else title,
                      why=_l("We promise guests an answer within a set time (15 minutes for the most urgent); "
                             "answer these first."),
                      count=near + past, endpoint="support.queue", severity="warn" if near + past else "ok",
                      detail=_l("%(past)s past due, %(near)s due within 15 minutes", past=past, near=near)
                      if near + past else None)


@today_item("afternoon", order=20, title=_l("Customer inquiries received today"), endpoint="support.queue")
def inquiries_today() -> TodayCount:
    from app.support import services

    count = services.count_new_today()
    return TodayCount(key="support_new_today", title=_l("Customer inquiries received today"),
                      why=_l("A sudden rise in inquiries often means something is broken for guests: look at "
                             "what they write about."),
                      count=count, endpoint="support.queue", severity="info")
