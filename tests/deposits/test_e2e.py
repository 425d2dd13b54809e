"""A staff operator, in Korean, imports a Korean bank's CP949 export and resolves every
line through its decision box; Today's count goes down to zero.
Screenshots land in docs/screenshots/deposits-*.png."""
import pytest
from sqlalchemy import select

from app.core.db import end_transaction
from app.deposits.models import StatementLine
from app.extensions import db
from tests.deposits.conftest import fresh, korean_csv, payments_of, today, transfer_booking
from tests.factories import make_room_type
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def today_count(page) -> str:
    page.goto(page.base_url + "/ops/")
    item = page.locator("li.today-item[data-key=deposit_lines]")
    return "0" if "done" in (item.get_attribute("class") or "") else item.locator(".today-count").inner_text()


def status(r) -> str:
    value = fresh(r).status
    end_transaction()                                      # SQLite: no write lock held while the server works
    return value


def paid_total(r) -> int:
    value = sum(p.amount for p in payments_of(r))
    end_transaction()
    return value


def line_id(amount: int, nth: int = 0) -> str:
    ids = db.session.scalars(select(StatementLine.public_id).where(StatementLine.amount == amount)
                             .order_by(StatementLine.id)).all()
    end_transaction()
    return ids[nth]


def open_line(page, public_id: str, shot: str | None = None):
    page.goto(page.base_url + f"/ops/deposits/lines/{public_id}")
    page.wait_for_selector("section.decision")
    if shot:
        screenshot(page, shot)


def choose(page, choice: str, *, reason: str | None = None, code: str | None = None, shot: str | None = None):
    page.click(f"div.choice[data-choice={choice}] a.button")
    if code:
        page.fill("input[name=code]", code)
    if reason:
        page.fill("textarea[name=reason]", reason)
    page.click("form.decide button[type=submit]")
    page.wait_for_selector("p.effect")
    if shot:
        screenshot(page, shot)
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-success")


def test_a_staff_operator_imports_a_korean_statement_and_resolves_every_line(page):
    room_type = make_room_type(rooms=9)
    exact, short, other_name, halves = (transfer_booking(room_type, nights=n) for n in (1, 2, 3, 4))
    half = halves.total_amount // 2
    raw = korean_csv([
        (today(), f"{exact.code} 김민지", exact.total_amount, 0),
        (today(), f"{short.code[:2]}-{short.code[2:].lower()} 김민지", short.total_amount - 1, 0),
        (today(), "박철수", other_name.total_amount, 0),
        (today(), "모르는입금", 12_345, 0),
        (today(), f"{halves.code} 김민지", half, 0),
        (today(), f"{halves.code} 김민지", half, 0),
        (today(), "카드대금", 0, 3_000),
    ])
    db.session.commit()
    codes = {r: r.code for r in (exact, short, other_name, halves)}
    short_total, halves_total = short.total_amount, halves.total_amount
    end_transaction()

    sign_in(page, "staff")
    assert today_count(page) == "…"     # not ✓ before today's statement is uploaded (issue 11)
    page.goto(page.base_url + "/ops/deposits/")
    page.set_input_files("input[name=statement]", files=[{"name": "거래내역조회.csv", "mimeType": "text/csv",
                                                          "buffer": raw}])
    page.fill("input[name=bank]", "국민은행")
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("button.import")
    assert page.locator("select[name=map_memo]").input_value() == "기재내용"
    screenshot(page, "deposits-preview")
    page.click("button.import")
    page.wait_for_selector(".flash-success")
    screenshot(page, "deposits-lines")
    assert status(exact) == "paid"                               # code + exact amount: no person needed
    assert today_count(page) == "5"

    open_line(page, line_id(short.total_amount - 1), "deposits-decision-short")
    choose(page, "partial", shot="deposits-confirm-short")
    assert status(short) == "pending" and paid_total(short) == short_total - 1

    open_line(page, line_id(other_name.total_amount), "deposits-decision-other-name")
    page.click(f"ul.proposals li[data-code={codes[other_name]}] a.button")
    page.fill("textarea[name=reason]", "주문자 김민지의 남편 박철수가 입금 (전화로 확인)")
    page.click("form.decide button[type=submit]")
    page.wait_for_selector("p.effect")
    screenshot(page, "deposits-confirm-other-name")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert status(other_name) == "paid"

    open_line(page, line_id(12_345), "deposits-decision-unknown")
    choose(page, "not_ours", reason="본사 계좌에서 옮긴 돈", shot="deposits-confirm-unknown")

    open_line(page, line_id(half, 0), "deposits-decision-identical-first")
    choose(page, "partial")
    open_line(page, line_id(half, 1), "deposits-decision-identical-second")   # now exactly what is still owed
    choose(page, "confirm")
    assert status(halves) == "paid" and paid_total(halves) == halves_total

    assert today_count(page) == "0"
    screenshot(page, "deposits-today")
    end_transaction()
