"""Demo data in Korean with Japanese and English: the back office reads Korean, guests and the
API read their own language."""
from __future__ import annotations

from sqlalchemy import func, select

from app.catalog.demo import HOTELS, seed_demo
from app.catalog.i18n import localized_description, localized_name
from app.catalog.models import Hotel, RoomType
from app.extensions import db


def test_demo_hotels_are_korean_with_ja_and_en_and_seeding_twice_adds_nothing():
    hotels = seed_demo(days=3)
    assert len(hotels) == len(HOTELS)
    hanok = db.session.scalar(select(Hotel).where(Hotel.name == "북촌 한옥스테이"))
    assert hanok.description.startswith("마당을 둘러싼")
    assert (localized_name(hanok, "ko"), localized_name(hanok, "ja"), localized_name(hanok, "en")) == \
        ("북촌 한옥스테이", "北村韓屋ステイ", "Hanok Stay Bukchon")
    assert "景福宮" in localized_description(hanok, "ja")
    ondol = db.session.scalar(select(RoomType).where(RoomType.hotel_id == hanok.id, RoomType.name == "온돌 더블룸"))
    assert localized_name(ondol, "ja") == "オンドル・ダブル" and localized_name(ondol, "en") == "Ondol Double"
    assert ondol.description == "요 이부자리, 18㎡" and localized_description(ondol, "en") == "Floor mattress (yo), 18 m²"
    for spec in HOTELS:   # every hotel and room type has all three languages
        assert set(spec["name"]) == set(spec["description"]) == {"ko", "ja", "en"}
        assert all(set(room[0]) == set(room[2]) == {"ko", "ja", "en"} for room in spec["rooms"])
    count = db.session.scalar(select(func.count()).select_from(Hotel))
    seed_demo(days=3)
    assert db.session.scalar(select(func.count()).select_from(Hotel)) == count


def test_guest_pages_and_the_api_speak_the_readers_language(client):
    seed_demo(days=3)
    hanok = db.session.scalar(select(Hotel).where(Hotel.name == "북촌 한옥스테이"))
    for lang, name, room in (("ko", "북촌 한옥스테이", "온돌 더블룸"), ("ja", "北村韓屋ステイ", "オンドル・ダブル"),
                             ("en", "Hanok Stay Bukchon", "Ondol Double")):
        html = client.get(f"/hotels/{hanok.id}?lang={lang}").get_data(as_text=True)
        assert name in html and room in html, lang
        api = client.get(f"/v1/hotels/{hanok.id}", headers={"Accept-Language": lang}).get_json()
        assert api["name"] == name
        types = client.get(f"/v1/hotels/{hanok.id}/room-types", headers={"Accept-Language": lang}).get_json()
        assert room in [t["name"] for t in types]
    # the other languages' names do not leak onto the Korean page
    html = client.get(f"/hotels/{hanok.id}?lang=ko").get_data(as_text=True)
    assert "Hanok Stay Bukchon" not in html and "北村" not in html
