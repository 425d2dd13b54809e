"""Today never shows ✓ for the operating fund before its balance was ever entered."""
from __future__ import annotations

from app.ops.checklist import collect_today
from tests.factories import make_operator


def _fund_entry(operator):
    return next(e for entries in collect_today(operator).values() for e in entries
                if e.count is not None and e.count.key == "operating_fund")


def test_a_fund_never_set_is_not_checked_yet_rather_than_done(app, client, login_as):
    staff = make_operator("staff")
    entry = _fund_entry(staff)
    assert entry.awaiting and not entry.done
    login_as("staff")
    page = client.get("/ops/").get_data(as_text=True)
    start = page.index('data-key="operating_fund"')
    item = page[start:page.index("</li>", start)]
    assert "✓" not in item and "운영 자금 잔액이 아직 입력되지 않았습니다" in item


def test_once_the_fund_is_set_up_it_can_be_done(app, top_up):
    top_up(100_000_000)
    entry = _fund_entry(make_operator("staff"))
    assert not entry.awaiting
