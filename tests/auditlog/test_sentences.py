"""History in sentences: every audit action and state has words in ko/ja/en, actors are
names with a role word or "자동 처리"/"고객", and codes stay in the folded support details."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from app.auditlog import sentences
from app.booking.states import ReservationStatus
from app.catalog.states import HotelStatus, RoomStatus
from app.notifications.states import OutboxStatus
from app.payments.states import PaymentStatus
from app.refunds.states import RefundStatus
from app.remittance.states import PayoutStatus
from tests.factories import make_paid_reservation, make_reservation, make_room_type

APP = Path(__file__).resolve().parents[2] / "app"
_LITERAL = re.compile(r"[\"']([a-z_]+\.[a-z_]+)[\"']")
#: lines that hand an action name to the audit log (directly or through a package's helper)
_AUDIT_CALL = re.compile(r"audit\.record\(|audit_attempt_not_done\(|\b_audit\w*\(|\baction=|[\"']action[\"']:")
#: actions built at run time: (the code that builds them, the names it can build)
_DYNAMIC = {
    'f"refund.{target}"': [f"refund.{s.value}" for s in RefundStatus],
    'f"refund.{new}"': [f"refund.{s.value}" for s in RefundStatus],
    'f"payout.{target}"': [f"payout.{s.value}" for s in PayoutStatus],
    '"deposit.reversal_" + choice': ["deposit.reversal_collect_again", "deposit.reversal_cancel_booking"],
    'f"approval.{choice}_refused"': ["approval.approve_refused", "approval.refuse_refused",
                                     "approval.withdraw_refused"],
}


def all_actions() -> set[str]:
    """Every action name the code writes to the audit log, read from the source."""
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if _AUDIT_CALL.search(line):
                found.update(m for m in _LITERAL.findall(line) if not m.startswith(("auth.", "app.")))
        for code, names in _DYNAMIC.items():
            if code in text:
                found.update(names)
    # the prefix of a concatenated name is not an action itself
    return {a for a in found if not a.endswith("_")}


ALL_ACTIONS = sorted(all_actions())
HANGUL = re.compile(r"[\uac00-\ud7a3]")
KANA_KANJI = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_the_source_scan_finds_the_actions_people_meet_every_day():
    for action in ("reservation.created", "payment.completed", "refund.approved", "payout.requested",
                   "deposit.manual_mark_paid", "ticket.replied", "notification.sent", "operator.signed_in"):
        assert action in ALL_ACTIONS
    assert len(ALL_ACTIONS) > 100


@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_action_has_a_sentence_in_korean_japanese_and_english(app, action):
    assert action in sentences.ACTION_SENTENCES, f"no sentence for {action} in app/auditlog/sentences.py"
    with app.test_request_context():
        with force_locale("en"):
            en = sentences.action_sentence(action)
        with force_locale("ko"):
            ko = sentences.action_sentence(action)
        with force_locale("ja"):
            ja = sentences.action_sentence(action)
    assert en and "." not in en.split()[0], en
    assert HANGUL.search(ko) and not re.search(r"[A-Za-z]", ko), (action, ko)
    assert KANA_KANJI.search(ja) and not re.search(r"[A-Za-z]", ja), (action, ja)
    assert "%(" not in ko + ja + en


@pytest.mark.parametrize("entity_type, states", [
    ("reservation", ReservationStatus), ("payment", PaymentStatus), ("refund", RefundStatus),
    ("payout", PayoutStatus), ("notification", OutboxStatus), ("hotel", HotelStatus), ("room", RoomStatus)])
def test_every_state_has_words(app, entity_type, states):
    with app.test_request_context():
        for state in states:
            with force_locale("ko"):
                ko = sentences.state_words(entity_type, state.value)
            with force_locale("ja"):
                ja = sentences.state_words(entity_type, state.value)
            assert ko and HANGUL.search(ko) and not re.search(r"[A-Za-z_]", ko), (entity_type, state, ko)
            assert ja and KANA_KANJI.search(ja), (entity_type, state, ja)
        with force_locale("ko"):
            assert sentences.state_words("reservation", "pending") == "결제 대기"
            # the same code means different things on different records
            assert sentences.state_words("payout", "completed") != sentences.state_words("refund", "completed")


def test_actors_are_names_with_a_role_word_or_automatic_or_guest(app, operator_factory):
    manager = operator_factory("manager")
    with app.test_request_context():
        with force_locale("ko"):
            assert sentences.actor_words("operator", manager.email, manager.id) == f"{manager.name} 매니저"
            assert sentences.actor_words("operator", "박지훈", None) == "박지훈 직원"
            for name in ("system", "notifications", "worker", "cron"):
                assert sentences.actor_words("system", name) == "자동 처리"
            assert sentences.actor_words("guest", "guest@example.com") == "고객"
        with force_locale("ja"):
            assert sentences.actor_words("guest", "guest@example.com") == "お客様"


def test_reasons_the_system_wrote_in_english_are_shown_translated(app):
    with app.test_request_context():
        with force_locale("ko"):
            assert sentences.reason_words("Canceled by the guest on the booking page") == "고객이 예약 페이지에서 취소했습니다"
            assert sentences.reason_words("Canceled through the API") == "연동 시스템을 통해 취소되었습니다"
            assert sentences.reason_words("고객 요청으로 변경") == "고객 요청으로 변경"   # a person's words stay
            assert sentences.reason_words(None) is None


def _main_text(page: str) -> str:
    """The text a reader sees without opening the folded support details (no tags, no attributes)."""
    page = re.sub(r"<details class=\"history-codes\">.*?</details>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_reservation_history_reads_as_sentences_with_codes_only_in_details(client, login_as):
    login_as("staff")
    r = make_paid_reservation(make_room_type())
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    history = history[:history.index("</section>")]
    main = _main_text(history)
    assert "예약을 만들었습니다" in main
    assert "결제가 완료되었습니다" in main
    assert "자동 처리" in main or "고객" in main
    assert "reservation.created" not in main and "pay_" not in main and "→ paid" not in main
    assert "reservation.created" in history          # still there for support, folded
    assert "지원용 상세 정보" in history


def test_guest_cancellation_reason_is_translated_on_the_reservation_page(client, login_as):
    from app.booking.services import change_status

    r = make_reservation(make_room_type())
    change_status(r.id, "canceled", reason="Canceled by the guest on the booking page")
    login_as("staff")
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    main = _main_text(page)
    assert "고객이 예약 페이지에서 취소했습니다" in main
    assert "Canceled by the guest" not in main
    assert "결제 대기" in main and "취소됨" in main     # the change of state in words


def test_audit_log_page_main_column_speaks_korean(client, login_as):
    operator = login_as("manager")
    make_reservation(make_room_type())
    page = client.get("/ops/audit").get_data(as_text=True)
    main = _main_text(page)
    assert "예약을 만들었습니다" in main
    assert "reservation.created" not in main
    assert "reservation.created" in page
    assert f"{operator.name} 매니저" in main            # the sign-in, by name and role word
    assert client.get("/ops/audit", query_string={"action": "x" * 500, "code": "'; --"}).status_code == 200


def test_english_operator_reads_english_sentences(client, login_as):
    login_as("staff", language="en")
    r = make_reservation(make_room_type())
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    assert "Made the booking" in _main_text(page)
