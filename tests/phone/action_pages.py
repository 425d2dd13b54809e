"""Helpers of the action-page browser tests (tests/phone/test_action_pages_*.py).

The crawl of tests/phone/test_layout.py follows links; the pages these tests measure appear only
after a form was filled and sent (a confirm step restating the effect, a decision step). An
operator drives the forms on a 390 px phone in Korean; each page reached is measured at 390 px,
then the same page again at 1280 px (the window is resized, the page is not sent again), with the
crawl's MEASURE script: the document is no wider than the window and the page's main button is
inside it. A screenshot at 390 px is kept as docs/screenshots/phone_action_<name>.png.
"""
from __future__ import annotations

from app.core.db import end_transaction
from tests.fixtures_browser import screenshot, sign_in
from tests.phone.test_layout import MEASURE, PRIMARY

PHONE, LAPTOP = 390, 1280


def phone_page(browser, live_server, role: str | None = None, *, locale: str = "ko-KR"):
    """A fresh browser at 390 px (Korean unless told), signed in as a new operator of `role`."""
    context = browser.new_context(locale=locale, timezone_id="Asia/Seoul", viewport={"width": PHONE, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    page.base_url = live_server.url
    if role:
        end_transaction()                  # SQLite: the test holds no write lock while the server works
        sign_in(page, role)
    return page


class ActionPages:
    """Measures pages and keeps what was wrong, so one test reports every page at once."""

    def __init__(self):
        self.problems: list[str] = []
        self.seen: list[str] = []

    def check(self, page, name: str, *, expect: str, button: bool = True) -> None:
        """The page just reached must show `expect` (the action's page, not the form again or an
        error); at 390 and 1280 px nothing is wider than the window and the main button (required
        unless `button=False`) lies inside it."""
        end_transaction()
        page.wait_for_selector(expect)
        for width in (PHONE, LAPTOP):
            page.set_viewport_size({"width": width, "height": 900})
            found = page.evaluate(MEASURE, PRIMARY)
            if found["scroll"] > width + 1:
                self.problems.append(f"{name} at {width}px: the page is {found['scroll']}px wide "
                                     f"({', '.join(found['wide'])})")
            found_button = found["button"]
            if found_button is None and button:
                self.problems.append(f"{name} at {width}px: no main button is shown")
            elif found_button and (found_button["left"] < -1 or found_button["right"] > width + 1):
                self.problems.append(f"{name} at {width}px: the button '{found_button['text']}' lies at "
                                     f"{found_button['left']:.0f}–{found_button['right']:.0f}")
            if width == PHONE:
                screenshot(page, f"phone_action_{name}")
        page.set_viewport_size({"width": PHONE, "height": 900})
        self.seen.append(name)

    def assert_all(self, expected: list[str]) -> None:
        assert self.seen == expected, f"measured {self.seen}, expected {expected}"
        assert not self.problems, "\n".join(self.problems)


def submit(page, selector: str = "main form button[type=submit]") -> None:
    """Send the form of this button (the first one matching) and wait for the next page."""
    end_transaction()
    with page.expect_navigation():
        page.locator(selector).first.click()


#: What operators paste into notes: a link with no space to break it (a long word must wrap, not
#: widen the page).
PASTED = (" 확인: https://internetbanking.example-bank.co.kr/statements/2026/11/23/transaction-detail"
          "?account=110123456789&reference=FDT4F2A9C0B1D2E3F4A5B6C")
