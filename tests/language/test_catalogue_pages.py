"""The catalogue test: every page (each GET route that takes no argument, plus the detail pages of one
seeded hotel, room type, reservation and operator) rendered in ko, ja and en as a guest and as each
role, failing on an untranslated message, a leftover placeholder, an English sentence on a Korean page,
or a known-wrong pairing (a card payment labelled as a remittance)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from app.core.i18n import DOMAINS_WITH_TRANSLATIONS
from app.core.i18n_tools import po_path
from tests.factories import make_hotel, make_operator, make_paid_reservation, make_room_type

LANGS = ("ko", "ja", "en")
ROLES = (None, "staff", "manager", "admin")
#: GET routes that change the session or only serve files; not pages.
NOT_PAGES = ("/auth/logout", "/healthz", "/readyz", "/metrics", "/favicon.ico", "/robots.txt")
FILLABLE = {"hotel_id", "room_type_id", "reservation_id", "operator_id"}
#: Words that are English on purpose on a Korean page: product and brand names, units.
ALLOWED_ENGLISH = re.compile(r"\b(Frontdesk|Visa|Mastercard|Chart\.js|Seoul|Busan|Jeju|Test Hotel)\b")
#: (text, why): text that must never be on any Korean page.
WRONG_PAIRINGS_KO = (("AM ", "Korean times read 오전"), ("PM ", "Korean times read 오후"),
                     ("..", "double period after a date"), ("이(가)", "particle chosen by the final sound"),
                     ("을(를)", "particle chosen by the final sound"), ("(으)로", "particle chosen by the final sound"))


class VisibleText(HTMLParser):
    """The text a person reads: without <script>, <style>, <code>, <pre>, <details> and attributes, and
    without elements marked as another language (lang="en" on a Korean page: sentences shown in every
    language on purpose, e.g. the outage notice to copy in three languages)."""

    HIDDEN = {"script", "style", "code", "pre", "details", "textarea", "template"}

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang
        self.depth = 0
        self.foreign: list[str] = []   # open tags of an element in another language (and same-named inner ones)

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1
        attrs = dict(attrs)
        if self.foreign and tag == self.foreign[0]:
            self.foreign.append(tag)
        elif not self.foreign and attrs.get("lang") and attrs["lang"] != self.lang and tag != "html":
            self.foreign.append(tag)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1
        if self.foreign and tag == self.foreign[0]:
            self.foreign.pop()

    def handle_data(self, data):
        if not self.depth and not self.foreign:
            self.parts.append(data)

    parts: list[str]

    def feed(self, data):
        self.parts = getattr(self, "parts", [])
        super().feed(data)


def visible_text(html: str, lang: str = "ko") -> str:
    parser = VisibleText(lang)
    parser.feed(html)
    return "\n".join(p.strip() for p in parser.parts if p.strip())


def _msgids(lang: str) -> set[str]:
    """Source texts of three words or more that have a different translation in `lang`."""
    ids = set()
    for domain in DOMAINS_WITH_TRANSLATIONS:
        path = po_path(domain, lang)
        if not path.exists():
            continue
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                if isinstance(message.id, str) and message.string and message.string != message.id \
                        and "%(" not in message.id and len(message.id.split()) >= 3:
                    ids.add(message.id)
    return ids


ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}\b")


def page_problems(lang: str, url: str, html: str, msgids: set[str]) -> list[str]:
    text = visible_text(html, lang)
    found = []
    for leftover in ("%(", "{{", "{%"):
        if leftover in text:
            found.append(f"{url} [{lang}]: leftover {leftover!r}")
    if lang in ("ko", "ja"):
        for msgid in msgids:
            if msgid in text:
                found.append(f"{url} [{lang}]: untranslated {msgid!r}")
        for run in ENGLISH_RUN.findall(ALLOWED_ENGLISH.sub("", text)):
            found.append(f"{url} [{lang}]: English text {run!r}")
    if lang == "ko":
        for wrong, why in WRONG_PAIRINGS_KO:
            if wrong in text:
                at = text.index(wrong)
                found.append(f"{url} [ko]: {why}: …{text[max(0, at - 30):at + 30]!r}…")
    return found


@pytest.fixture
def dataset(app):
    hotel = make_hotel()
    room_type = make_room_type(hotel)
    reservation = make_paid_reservation(room_type)
    operator = make_operator("staff")
    return {"hotel_id": hotel.id, "room_type_id": room_type.id, "reservation_id": reservation.public_id,
            "operator_id": operator.id, "code": reservation.public_id}


def page_urls(app, dataset) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/static", "/v1")) or rule.rule in NOT_PAGES:
            continue
        if not set(rule.arguments) <= FILLABLE:
            continue
        values = {name: dataset[name] for name in rule.arguments}
        built = rule.build(values, append_unknown=False)
        if built:
            urls.append(built[1])
    return sorted(set(urls))


def crawl(app, client, login_as, dataset) -> tuple[list[str], int]:
    msgids = {lang: _msgids(lang) for lang in ("ko", "ja")}
    urls = page_urls(app, dataset)
    problems: list[str] = []
    pages = 0
    for role in ROLES:
        with app.test_client() as c:
            if role:
                login_as(role, test_client=c)
            for lang in LANGS:
                for url in urls:
                    joiner = "&" if "?" in url else "?"
                    response = c.get(f"{url}{joiner}lang={lang}")
                    assert response.status_code < 500, f"{url} as {role or 'guest'} in {lang}: {response.status_code}"
                    if response.status_code != 200 or "html" not in (response.content_type or ""):
                        continue
                    pages += 1
                    problems += page_problems(lang, url, response.get_data(as_text=True), msgids.get(lang, set()))
    return sorted(set(problems)), pages


def test_every_page_speaks_the_readers_language(app, client, login_as, dataset):
    problems, pages = crawl(app, client, login_as, dataset)
    assert pages > 100, pages
    assert not problems, f"{len(problems)} problems on {pages} pages:\n" + "\n".join(problems)


def test_a_card_payment_is_never_called_a_remittance(app, client, login_as, dataset):
    login_as("staff")
    page = client.get(f"/ops/reservations/{dataset['reservation_id']}?lang=ko").get_data(as_text=True)
    assert "결제 완료" in visible_text(page)
    assert "송금 완료" not in visible_text(page)
