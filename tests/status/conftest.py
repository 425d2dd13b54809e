"""Status page fixtures: the static site goes to a temporary directory; notices ready to publish."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.core.actor import Actor
from app.status import services
from tests.factories import make_operator

UTC = timezone.utc
#: Monday 7 December 2026, 13:00 KST.
MONDAY = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)

TEXTS = {
    "ko": {"title": "카드 결제 장애", "body": "오후 1시부터 카드 결제가 되지 않습니다. 원인을 조사하고 있습니다.",
           "impact": "카드 결제 전부 실패"},
    "ja": {"title": "カード決済の障害", "body": "13時からカード決済ができません。原因を調査しています。",
           "impact": "カード決済がすべて失敗"},
    "en": {"title": "Card payments down", "body": "Card payments fail since 1 pm KST. We are investigating.",
           "impact": "All card payments fail"},
}


@pytest.fixture(autouse=True)
def _static_dir(app, tmp_path):
    saved = app.config["STATUS_STATIC_DIR"]
    app.config["STATUS_STATIC_DIR"] = str(tmp_path / "status-site")
    yield tmp_path / "status-site"
    app.config["STATUS_STATIC_DIR"] = saved


@pytest.fixture
def site(_static_dir):
    return _static_dir


def actor(role: str = "staff") -> Actor:
    return Actor.operator(make_operator(role=role))


def texts(**drop) -> dict:
    """TEXTS with some fields blanked: texts(ja=["title"])."""
    out = {lang: dict(part) for lang, part in TEXTS.items()}
    for lang, fields in drop.items():
        for field in fields:
            out[lang][field] = ""
    return out


def draft(severity: str = "S1", *, kind: str = "incident", who: Actor | None = None, **kw):
    if kind == "maintenance":
        kw.setdefault("components", {"payments": "maintenance"})
    return services.create_notice(kind=kind, severity=severity,
                                  components=kw.pop("components", {"payments": "major_outage"}),
                                  texts=kw.pop("texts", TEXTS), actor=who or actor(),
                                  next_update_at=kw.pop("next_update_at", None), **kw)


def published(severity: str = "S1", override_reason: str | None = None, **kw):
    notice = draft(severity, **kw)
    return services.publish_notice(notice.public_id, actor=actor("manager"), override_reason=override_reason)


__all__ = ["MONDAY", "TEXTS", "actor", "draft", "published", "texts"]
