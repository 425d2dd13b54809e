"""Inbound email (.eml files, real-shaped): ISO-2022-JP multipart, UTF-8 Korean, HTML-only; replies
threaded by the ticket reference in the subject or by In-Reply-To; importing twice adds nothing."""
from __future__ import annotations

from email.mime.text import MIMEText
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.support import mail, services
from app.support.models import Ticket, TicketMessage
from tests.factories import make_operator

HERE = Path(__file__).parent / "mail"


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_parse_three_real_shapes():
    ja = mail.parse_message((HERE / "ja_iso2022jp_multipart.eml").read_bytes())
    assert ja.subject == "予約の変更について" and ja.sender_email == "hanako@example.jp"
    assert ja.sender_name == "山田 花子" and ja.body.startswith("チェックインを一日遅らせたいです。")
    assert ja.language == "ja"
    ko = mail.parse_message((HERE / "ko_utf8_plain.eml").read_bytes())
    assert ko.subject == "주차 문의" and "주차가 가능한지" in ko.body and ko.language == "ko"
    en = mail.parse_message((HERE / "en_html_only.eml").read_bytes())
    assert en.body == "Hello,\nIs breakfast included?\xa0Thanks & regards" and en.language == "en"
    assert "x()" not in en.body and "<" not in en.body


def test_import_mail_cli_creates_tickets_once(runner, at_tuesday):
    files = [str(HERE / name) for name in ("ja_iso2022jp_multipart.eml", "ko_utf8_plain.eml", "en_html_only.eml")]
    result = runner.invoke(args=["support", "import-mail", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count("created T-") == 3
    tickets = {t.guest_email: t for t in db.session.scalars(select(Ticket))}
    assert tickets["hanako@example.jp"].language == "ja" and tickets["hanako@example.jp"].queue == "JP"
    assert tickets["minji@example.kr"].channel == "email" and tickets["minji@example.kr"].purpose == "주차 문의"
    again = runner.invoke(args=["support", "import-mail", *files])
    assert again.output.count("duplicate") == 3 and _count(Ticket) == 3


def _reply_eml(subject: str, sender: str, message_id: str, in_reply_to: str = "") -> bytes:
    m = MIMEText("お返事ありがとうございます。12日に変更してください。", "plain", "iso-2022-jp")
    m["From"], m["Subject"], m["Message-ID"] = sender, subject, message_id
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    return m.as_bytes()


def test_a_reply_is_threaded_by_the_reference_in_the_subject(at_tuesday):
    staff = make_operator()
    _, public_id = mail.import_message((HERE / "ja_iso2022jp_multipart.eml").read_bytes())
    services.send_reply(public_id, body="確認いたします。", operator=staff, then_status="waiting_on_customer")
    subject = services.reply_subject(services.get_ticket(public_id))
    outcome, same = mail.import_message(_reply_eml("Re: " + subject, "hanako@example.jp", "<jp-2@mail.example.jp>"))
    assert (outcome, same) == ("threaded", public_id)
    t = services.get_ticket(public_id)
    assert t.status == "open" and [m.kind for m in t.messages] == ["guest", "reply", "guest"]
    # Someone else quoting the reference does not join the thread.
    outcome, other = mail.import_message(_reply_eml("Re: " + subject, "someone@else.example", "<x-1@else>"))
    assert outcome == "created" and other != public_id


def test_a_reply_is_threaded_by_in_reply_to(at_tuesday):
    _, public_id = mail.import_message((HERE / "ko_utf8_plain.eml").read_bytes())
    outcome, same = mail.import_message(_reply_eml("no reference", "minji@example.kr", "<ko-2@x>",
                                                   in_reply_to="<ko-1@mail.example.kr>"))
    assert (outcome, same) == ("threaded", public_id)
    assert _count(TicketMessage) == 2


def test_fetch_mail_without_a_mailbox_says_so(runner, app):
    result = runner.invoke(args=["support", "fetch-mail"])
    assert result.exit_code != 0 and "SUPPORT_IMAP_URL" in result.output
