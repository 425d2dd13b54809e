"""Demo data: a few hotels in Seoul, Busan and Jeju with a year of rates.

`flask seed-demo` calls `seed_demo()`; running it again adds nothing.
"""
from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from app.catalog import services
from app.catalog.models import Hotel, Rate
from app.core import clock
from app.core.actor import Actor
from app.extensions import db

ACTOR = Actor.system("seed-demo")

# Names and descriptions in Korean (what operators see), with Japanese and English for guests.
# A room row: ({ko, ja, en} name, occupancy, {ko, ja, en} bed, m², won a night, rooms, amenities).
HOTELS = [
    {"name": {"ko": "북촌 한옥스테이", "ja": "北村韓屋ステイ", "en": "Hanok Stay Bukchon"},
     "city": "Seoul", "address": "서울 종로구 북촌로11길 37",
     "latitude": 37.5826, "longitude": 126.9836, "star_rating": 4,
     "description": {"ko": "마당을 둘러싼 조용한 한옥 객실입니다. 경복궁까지 걸어서 10분입니다.",
                     "ja": "中庭を囲む静かな韓屋の客室です。景福宮まで徒歩10分です。",
                     "en": "Quiet hanok rooms around a courtyard, ten minutes' walk from Gyeongbokgung."},
     "amenities": ["WiFi", "Breakfast", "Garden"], "rooms": [
         ({"ko": "온돌 더블룸", "ja": "オンドル・ダブル", "en": "Ondol Double"}, 2,
          {"ko": "요 이부자리", "ja": "布団（ヨ）", "en": "Floor mattress (yo)"}, 18, 120_000, 4,
          ["Heated floor", "Tea set"]),
         ({"ko": "마당 트윈룸", "ja": "中庭ツイン", "en": "Courtyard Twin"}, 2,
          {"ko": "싱글 침대 2개", "ja": "シングルベッド2台", "en": "Twin beds"}, 22, 150_000, 3, ["Courtyard view"]),
         ({"ko": "가족 한옥 스위트", "ja": "ファミリー韓屋スイート", "en": "Family Hanok Suite"}, 5,
          {"ko": "퀸 침대와 요 이부자리", "ja": "クイーンベッドと布団", "en": "Queen bed and floor mattresses"}, 40,
          260_000, 2, ["Kitchenette", "Courtyard view"]),
     ]},
    {"name": {"ko": "한강 타워 호텔", "ja": "漢江タワーホテル", "en": "Han River Tower Hotel"},
     "city": "Seoul", "address": "서울 영등포구 여의동로 120",
     "latitude": 37.5219, "longitude": 126.9245, "star_rating": 5,
     "description": {"ko": "한강이 내려다보이는 고층 객실과 피트니스, 실내 수영장이 있습니다.",
                     "ja": "漢江を見下ろす高層の客室に、ジムと屋内プールがあります。",
                     "en": "High-rise rooms with river views, a gym and an indoor pool."},
     "amenities": ["WiFi", "Pool", "Gym", "Parking"], "rooms": [
         ({"ko": "스탠다드 더블룸", "ja": "スタンダード・ダブル", "en": "Standard Double"}, 2,
          {"ko": "퀸 침대", "ja": "クイーンベッド", "en": "Queen bed"}, 24, 180_000, 10, ["City view"]),
         ({"ko": "디럭스 트윈룸", "ja": "デラックス・ツイン", "en": "Deluxe Twin"}, 3,
          {"ko": "싱글 침대 2개", "ja": "シングルベッド2台", "en": "Twin beds"}, 30, 230_000, 8, ["River view"]),
         ({"ko": "이그제큐티브 스위트", "ja": "エグゼクティブ・スイート", "en": "Executive Suite"}, 4,
          {"ko": "킹 침대", "ja": "キングベッド", "en": "King bed"}, 55, 420_000, 3, ["River view", "Lounge access"]),
     ]},
    {"name": {"ko": "해운대 오션 브리즈", "ja": "海雲台オーシャンブリーズ", "en": "Haeundae Ocean Breeze"},
     "city": "Busan", "address": "부산 해운대구 해운대해변로 30",
     "latitude": 35.1587, "longitude": 129.1604, "star_rating": 4,
     "description": {"ko": "길 하나만 건너면 해운대 해수욕장입니다.",
                     "ja": "道を渡ればすぐ海雲台ビーチです。",
                     "en": "Across the road from Haeundae beach."},
     "amenities": ["WiFi", "Pool", "Breakfast"], "rooms": [
         ({"ko": "오션뷰 더블룸", "ja": "オーシャンビュー・ダブル", "en": "Ocean View Double"}, 2,
          {"ko": "퀸 침대", "ja": "クイーンベッド", "en": "Queen bed"}, 26, 160_000, 8, ["Ocean view", "Balcony"]),
         ({"ko": "시티뷰 트윈룸", "ja": "シティビュー・ツイン", "en": "City View Twin"}, 2,
          {"ko": "싱글 침대 2개", "ja": "シングルベッド2台", "en": "Twin beds"}, 24, 130_000, 6, ["City view"]),
         ({"ko": "오션 스위트", "ja": "オーシャン・スイート", "en": "Ocean Suite"}, 4,
          {"ko": "킹 침대", "ja": "キングベッド", "en": "King bed"}, 48, 350_000, 2, ["Ocean view", "Bathtub"]),
     ]},
    {"name": {"ko": "감천 게스트하우스", "ja": "甘川ゲストハウス", "en": "Gamcheon Guesthouse"},
     "city": "Busan", "address": "부산 사하구 감내2로 203",
     "latitude": 35.0975, "longitude": 129.0106, "star_rating": 2,
     "description": {"ko": "감천문화마을 안에 있는 작고 알록달록한 게스트하우스입니다.",
                     "ja": "甘川文化村の中にある、小さくてカラフルなゲストハウスです。",
                     "en": "A small, colourful guesthouse in the culture village."},
     "amenities": ["WiFi"], "rooms": [
         ({"ko": "싱글룸", "ja": "シングルルーム", "en": "Single Room"}, 1,
          {"ko": "싱글 침대", "ja": "シングルベッド", "en": "Single bed"}, 10, 45_000, 4, []),
         ({"ko": "더블룸", "ja": "ダブルルーム", "en": "Double Room"}, 2,
          {"ko": "더블 침대", "ja": "ダブルベッド", "en": "Double bed"}, 14, 65_000, 4, []),
     ]},
    {"name": {"ko": "제주 돌정원 리조트", "ja": "済州ストーンガーデン・リゾート", "en": "Jeju Stone Garden Resort"},
     "city": "Jeju", "address": "제주 서귀포시 중문관광로 88",
     "latitude": 33.2496, "longitude": 126.4120, "star_rating": 5,
     "description": {"ko": "중문 해변 가까이, 현무암 정원 사이에 자리한 빌라입니다.",
                     "ja": "中文ビーチの近く、玄武岩の庭に囲まれたヴィラです。",
                     "en": "Villas among basalt gardens near Jungmun beach."},
     "amenities": ["WiFi", "Pool", "Spa", "Parking", "Breakfast"], "rooms": [
         ({"ko": "가든 더블룸", "ja": "ガーデン・ダブル", "en": "Garden Double"}, 2,
          {"ko": "킹 침대", "ja": "キングベッド", "en": "King bed"}, 35, 220_000, 6, ["Garden view", "Terrace"]),
         ({"ko": "한라산뷰 트윈룸", "ja": "漢拏山ビュー・ツイン", "en": "Hallasan View Twin"}, 3,
          {"ko": "싱글 침대 2개", "ja": "シングルベッド2台", "en": "Twin beds"}, 38, 240_000, 4, ["Mountain view"]),
         ({"ko": "프라이빗 풀빌라", "ja": "プライベートプール・ヴィラ", "en": "Private Pool Villa"}, 6,
          {"ko": "킹 침대 2개", "ja": "キングベッド2台", "en": "Two king beds"}, 90, 650_000, 2,
          ["Private pool", "Kitchen"]),
     ]},
]

#: "{bed}, {size} m²" in each language (a room type's description).
_ROOM_DESCRIPTION = {"ko": "{bed}, {size}㎡", "ja": "{bed}、{size}㎡", "en": "{bed}, {size} m²"}


def room_description(bed: dict[str, str], size: int) -> dict[str, str]:
    return {lang: pattern.format(bed=bed[lang], size=size) for lang, pattern in _ROOM_DESCRIPTION.items()}


def seed_demo(days: int = 365) -> list[Hotel]:
    """Create the demo hotels (skipping those that exist). Returns all of them."""
    hotels = []
    for spec in HOTELS:
        names = spec["name"]
        # Korean first; an older demo database has the English names: found, not added twice.
        hotel = db.session.scalar(select(Hotel).where(Hotel.name.in_([names["ko"], names["en"]])))
        if hotel is not None:
            hotels.append(hotel)
            continue
        fields = {k: v for k, v in spec.items() if k not in ("rooms", "name", "description")}
        hotel = services.create_hotel(actor=ACTOR, country="KR", timezone="Asia/Seoul", currency="KRW",
                                      check_in_time=time(15, 0), check_out_time=time(11, 0),
                                      name=names["ko"], description=spec["description"]["ko"], **fields)
        hotel.name_i18n, hotel.description_i18n = dict(names), dict(spec["description"])
        for index, (name, occupancy, bed, size, price, count, amenities) in enumerate(spec["rooms"]):
            description = room_description(bed, size)
            room_type = services.create_room_type(
                hotel, actor=ACTOR, name=name["ko"], description=description["ko"],
                max_occupancy=occupancy, bed_type=bed["ko"], size_sqm=size, base_price=price,
                amenities=amenities)
            room_type.name_i18n, room_type.description_i18n = dict(name), description
            for n in range(count):
                floor = 2 + index * 3 + n // 4
                services.create_room(hotel, actor=ACTOR, room_type_id=room_type.id,
                                     room_number=f"{floor}{n % 4 + 1:02d}", floor=floor)
            _seed_rates(room_type, price, days)
        hotels.append(hotel)
    return hotels


def _seed_rates(room_type, base_price: int, days: int) -> None:
    """Weekends (Fri, Sat) +25 %; July–August +30 %; New Year and Chuseok-like peaks +50 %."""
    today = clock.local_today("Asia/Seoul")
    rows = []
    for i in range(days):
        night = today + timedelta(days=i)
        price = base_price
        if night.weekday() in (4, 5):
            price = price * 125 // 100
        if night.month in (7, 8):
            price = price * 130 // 100
        if (night.month, night.day) in {(12, 31), (1, 1)} or (night.month == 9 and 15 <= night.day <= 18):
            price = price * 150 // 100
        price = price // 1000 * 1000
        if price != base_price:
            rows.append({"room_type_id": room_type.id, "night": night, "price": price})
    from app.core.db import upsert

    upsert(Rate, rows, ["room_type_id", "night"], ["price"])
    from app.catalog.services import copy_rates_to_inventory

    copy_rates_to_inventory(room_type.id, today, today + timedelta(days=days))
    db.session.commit()
