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

HOTELS = [
    {"name": "Hanok Stay Bukchon", "city": "Seoul", "address": "37 Bukchon-ro 11-gil, Jongno-gu",
     "latitude": 37.5826, "longitude": 126.9836, "star_rating": 4,
     "description": "Quiet hanok rooms around a courtyard, ten minutes from Gyeongbokgung.",
     "amenities": ["WiFi", "Breakfast", "Garden"], "rooms": [
         ("Ondol Double", 2, "Floor mattress (yo)", 18, 120_000, 4, ["Heated floor", "Tea set"]),
         ("Courtyard Twin", 2, "Twin", 22, 150_000, 3, ["Courtyard view"]),
         ("Family Hanok Suite", 5, "Queen + floor mattresses", 40, 260_000, 2, ["Kitchenette", "Courtyard view"]),
     ]},
    {"name": "Han River Tower Hotel", "city": "Seoul", "address": "120 Yeouidong-ro, Yeongdeungpo-gu",
     "latitude": 37.5219, "longitude": 126.9245, "star_rating": 5,
     "description": "High-rise rooms with river views, a gym and an indoor pool.",
     "amenities": ["WiFi", "Pool", "Gym", "Parking"], "rooms": [
         ("Standard Double", 2, "Queen", 24, 180_000, 10, ["City view"]),
         ("Deluxe Twin", 3, "Twin", 30, 230_000, 8, ["River view"]),
         ("Executive Suite", 4, "King", 55, 420_000, 3, ["River view", "Lounge access"]),
     ]},
    {"name": "Haeundae Ocean Breeze", "city": "Busan", "address": "30 Haeundaehaebyeon-ro, Haeundae-gu",
     "latitude": 35.1587, "longitude": 129.1604, "star_rating": 4,
     "description": "Across the road from Haeundae beach.",
     "amenities": ["WiFi", "Pool", "Breakfast"], "rooms": [
         ("Ocean View Double", 2, "Queen", 26, 160_000, 8, ["Ocean view", "Balcony"]),
         ("City View Twin", 2, "Twin", 24, 130_000, 6, ["City view"]),
         ("Ocean Suite", 4, "King", 48, 350_000, 2, ["Ocean view", "Bathtub"]),
     ]},
    {"name": "Gamcheon Guesthouse", "city": "Busan", "address": "203 Gamnae 2-ro, Saha-gu",
     "latitude": 35.0975, "longitude": 129.0106, "star_rating": 2,
     "description": "A small, colourful guesthouse in the culture village.",
     "amenities": ["WiFi"], "rooms": [
         ("Single Room", 1, "Single", 10, 45_000, 4, []),
         ("Double Room", 2, "Double", 14, 65_000, 4, []),
     ]},
    {"name": "Jeju Stone Garden Resort", "city": "Jeju", "address": "88 Jungmungwangwang-ro, Seogwipo",
     "latitude": 33.2496, "longitude": 126.4120, "star_rating": 5,
     "description": "Villas among basalt gardens near Jungmun beach.",
     "amenities": ["WiFi", "Pool", "Spa", "Parking", "Breakfast"], "rooms": [
         ("Garden Double", 2, "King", 35, 220_000, 6, ["Garden view", "Terrace"]),
         ("Hallasan View Twin", 3, "Twin", 38, 240_000, 4, ["Mountain view"]),
         ("Private Pool Villa", 6, "2 King", 90, 650_000, 2, ["Private pool", "Kitchen"]),
     ]},
]


def seed_demo(days: int = 365) -> list[Hotel]:
    """Create the demo hotels (skipping those that exist). Returns all of them."""
    hotels = []
    for spec in HOTELS:
        hotel = db.session.scalar(select(Hotel).where(Hotel.name == spec["name"]))
        if hotel is not None:
            hotels.append(hotel)
            continue
        fields = {k: v for k, v in spec.items() if k != "rooms"}
        hotel = services.create_hotel(actor=ACTOR, country="KR", timezone="Asia/Seoul", currency="KRW",
                                      check_in_time=time(15, 0), check_out_time=time(11, 0), **fields)
        for index, (name, occupancy, bed, size, price, count, amenities) in enumerate(spec["rooms"]):
            room_type = services.create_room_type(
                hotel, actor=ACTOR, name=name, description=f"{name} — {bed}, {size} m²",
                max_occupancy=occupancy, bed_type=bed, size_sqm=size, base_price=price,
                amenities=amenities)
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
    db.session.commit()
