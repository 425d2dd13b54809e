"""Seed 003's catalog at full size, written into the real schema with COPY.

    python bench/seed_scale.py                   # 5,000 hotels, 365 nights, 300,000 bookings (minutes)
    python bench/seed_scale.py --small           # 50 hotels, 60 nights, 2,000 bookings (seconds)
    python bench/seed_scale.py --hotels 500 --nights 120 --bookings 20000 --database-url postgresql://…

What it writes (the database is created if missing, emptied and migrated with the project's
migrations first; everything in it is lost):

* hotels in 30 Korean and Japanese cities, weighted as travellers weigh them (Seoul, Tokyo, Busan,
  Osaka and Jeju big, Andong and Beppu a handful): the city stored in English as the app and its
  demo data do ("Seoul", "Tokyo"), the name in Korean (the back office's language) with
  ko/ja/en in `name_i18n` and `description_i18n`, the address in the local language, Japanese
  hotels in Asia/Tokyo; every price in KRW, as the demo data has it;
* five room types per hotel with their names in three languages, 20–80 numbered rooms each,
  200 rooms per hotel on average: exactly 1,000,000 rooms at 5,000 hotels;
* the inventory calendar: one row per room type and night for `--nights` nights from today
  (Asia/Seoul), `total` = the room type's rooms;
* rates as the demo data sets them (Fridays and Saturdays +25 %, July–August +30 %, holidays +50 %;
  Golden Week, Obon and the New Year for the Japanese hotels);
* `--bookings` reservations, most of them in the next 60 nights and in the popular cities and hotels
  (popular hotels sell out): paid, pending (their holds still running) and canceled ones mixed,
  and `reserved` in the calendar equal to the rooms the holding ones take on every night
  (DESIGN invariant 1), never above a night's cap; checked with one query at the end.

Bulk loading: the secondary indexes and the foreign keys of the big tables (and the primary and
unique keys no foreign key points at) are dropped before loading and created again afterwards;
the indexes and constraints at the end must equal the migrated schema's (checked). Then
VACUUM ANALYZE. Each step's time and the row counts are printed.

`generate(url, hotels=…, nights=…, bookings=…)` does the same from Python and returns a summary
(bench/search.py uses it).
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checks import HELD_NIGHTS  # noqa: E402
from bench.seed import psycopg_url, reset_schema

DEFAULT_URL = os.environ.get("BENCH_SCALE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/fd_scale")
SMALL_URL = os.environ.get("BENCH_SCALE_SMALL_DATABASE_URL",
                           "postgresql://postgres@127.0.0.1:5432/fd_scale_small")
FULL = {"hotels": 5_000, "nights": 365, "bookings": 300_000}
SMALL = {"hotels": 50, "nights": 60, "bookings": 2_000}
TYPES_PER_HOTEL = 5
ROOMS_PER_HOTEL = 200            # 5,000 hotels → 1,000,000 rooms
ROOMS_PER_TYPE = (20, 80)
OVERBOOKING_PERCENT = 110
NEAR_NIGHTS = 60                 # where most bookings fall
KST = ZoneInfo("Asia/Seoul")

# Tables loaded in bulk: their indexes and keys are dropped while loading (see _BulkSchema).
BULK_TABLES = ("rooms", "rates", "inventory_nights", "reservations")

# (English name as stored in hotels.city, Korean, Japanese, country, latitude, longitude, share of the
#  hotels, bookings per hotel relative to the average, areas as (ko, ja, en)).
CITIES = (
    ("Seoul", "서울", "ソウル", "KR", 37.5665, 126.9780, 22.0, 1.3,
     (("명동", "明洞", "Myeongdong"), ("강남", "江南", "Gangnam"), ("홍대", "弘大", "Hongdae"),
      ("종로", "鍾路", "Jongno"), ("이태원", "梨泰院", "Itaewon"), ("여의도", "汝矣島", "Yeouido"),
      ("잠실", "蚕室", "Jamsil"), ("동대문", "東大門", "Dongdaemun"), ("인사동", "仁寺洞", "Insadong"),
      ("성수", "聖水", "Seongsu"))),
    ("Busan", "부산", "釜山", "KR", 35.1796, 129.0756, 9.0, 1.2,
     (("해운대", "海雲台", "Haeundae"), ("광안리", "広安里", "Gwangalli"), ("서면", "西面", "Seomyeon"),
      ("남포", "南浦", "Nampo"), ("기장", "機張", "Gijang"))),
    ("Jeju", "제주", "済州", "KR", 33.4996, 126.5312, 8.0, 1.2,
     (("중문", "中文", "Jungmun"), ("서귀포", "西帰浦", "Seogwipo"), ("애월", "涯月", "Aewol"),
      ("성산", "城山", "Seongsan"), ("함덕", "咸徳", "Hamdeok"))),
    ("Incheon", "인천", "仁川", "KR", 37.4563, 126.7052, 3.0, 0.9,
     (("송도", "松島", "Songdo"), ("영종도", "永宗島", "Yeongjongdo"), ("월미도", "月尾島", "Wolmido"))),
    ("Daegu", "대구", "大邱", "KR", 35.8714, 128.6014, 2.0, 0.7,
     (("동성로", "東城路", "Dongseongno"), ("수성", "寿城", "Suseong"))),
    ("Daejeon", "대전", "大田", "KR", 36.3504, 127.3845, 1.5, 0.6,
     (("유성", "儒城", "Yuseong"), ("둔산", "屯山", "Dunsan"))),
    ("Gwangju", "광주", "光州", "KR", 35.1595, 126.8526, 1.2, 0.6,
     (("상무", "尚武", "Sangmu"), ("충장로", "忠壮路", "Chungjang-ro"))),
    ("Gyeongju", "경주", "慶州", "KR", 35.8562, 129.2247, 2.0, 0.9,
     (("보문", "普門", "Bomun"), ("황리단길", "皇理団通り", "Hwangnidan-gil"))),
    ("Gangneung", "강릉", "江陵", "KR", 37.7519, 128.8761, 2.5, 1.0,
     (("경포", "鏡浦", "Gyeongpo"), ("안목", "安木", "Anmok"))),
    ("Jeonju", "전주", "全州", "KR", 35.8242, 127.1480, 1.5, 0.8,
     (("한옥마을", "韓屋村", "Hanok Village"), ("객사", "客舎", "Gaeksa"))),
    ("Sokcho", "속초", "束草", "KR", 38.2070, 128.5918, 1.5, 0.9,
     (("영랑호", "永郎湖", "Yeongnangho"), ("대포항", "大浦港", "Daepo Port"))),
    ("Yeosu", "여수", "麗水", "KR", 34.7604, 127.6622, 1.5, 0.8,
     (("돌산", "突山", "Dolsan"), ("오동도", "梧桐島", "Odongdo"))),
    ("Suwon", "수원", "水原", "KR", 37.2636, 127.0286, 1.0, 0.6,
     (("화성", "華城", "Hwaseong"), ("인계동", "仁渓洞", "Ingye-dong"))),
    ("Tongyeong", "통영", "統営", "KR", 34.8544, 128.4331, 0.6, 0.6, (("강구안", "江口岸", "Gangguan"),)),
    ("Andong", "안동", "安東", "KR", 36.5684, 128.7294, 0.4, 0.5, (("하회마을", "河回村", "Hahoe Village"),)),
    ("Tokyo", "도쿄", "東京", "JP", 35.6762, 139.6503, 18.0, 1.3,
     (("신주쿠", "新宿", "Shinjuku"), ("시부야", "渋谷", "Shibuya"), ("긴자", "銀座", "Ginza"),
      ("아사쿠사", "浅草", "Asakusa"), ("이케부쿠로", "池袋", "Ikebukuro"), ("우에노", "上野", "Ueno"),
      ("시나가와", "品川", "Shinagawa"), ("롯폰기", "六本木", "Roppongi"))),
    ("Osaka", "오사카", "大阪", "JP", 34.6937, 135.5023, 9.0, 1.2,
     (("난바", "難波", "Namba"), ("우메다", "梅田", "Umeda"), ("신사이바시", "心斎橋", "Shinsaibashi"),
      ("덴노지", "天王寺", "Tennoji"))),
    ("Kyoto", "교토", "京都", "JP", 35.0116, 135.7681, 5.0, 1.1,
     (("기온", "祇園", "Gion"), ("가와라마치", "河原町", "Kawaramachi"), ("아라시야마", "嵐山", "Arashiyama"),
      ("교토역", "京都駅", "Kyoto Station"))),
    ("Fukuoka", "후쿠오카", "福岡", "JP", 33.5904, 130.4017, 3.5, 1.1,
     (("하카타", "博多", "Hakata"), ("덴진", "天神", "Tenjin"))),
    ("Sapporo", "삿포로", "札幌", "JP", 43.0618, 141.3545, 3.0, 0.9,
     (("스스키노", "すすきの", "Susukino"), ("오도리", "大通", "Odori"))),
    ("Naha", "나하", "那覇", "JP", 26.2124, 127.6809, 2.5, 1.0,
     (("국제거리", "国際通り", "Kokusai-dori"), ("도마리", "泊", "Tomari"))),
    ("Nagoya", "나고야", "名古屋", "JP", 35.1815, 136.9066, 1.5, 0.6,
     (("사카에", "栄", "Sakae"), ("메이에키", "名駅", "Meieki"))),
    ("Yokohama", "요코하마", "横浜", "JP", 35.4437, 139.6380, 1.5, 0.7,
     (("미나토미라이", "みなとみらい", "Minatomirai"), ("간나이", "関内", "Kannai"))),
    ("Kobe", "고베", "神戸", "JP", 34.6901, 135.1955, 1.0, 0.6, (("산노미야", "三宮", "Sannomiya"),)),
    ("Hiroshima", "히로시마", "広島", "JP", 34.3853, 132.4553, 0.8, 0.6, (("가미야초", "紙屋町", "Kamiyacho"),)),
    ("Nara", "나라", "奈良", "JP", 34.6851, 135.8048, 0.6, 0.6, (("나라공원", "奈良公園", "Nara Park"),)),
    ("Hakone", "하코네", "箱根", "JP", 35.2324, 139.1069, 0.6, 0.8, (("유모토", "湯本", "Yumoto"),)),
    ("Kanazawa", "가나자와", "金沢", "JP", 36.5613, 136.6562, 0.5, 0.6, (("고린보", "香林坊", "Korinbo"),)),
    ("Beppu", "벳푸", "別府", "JP", 33.2846, 131.4912, 0.4, 0.6, (("간나와", "鉄輪", "Kannawa"),)),
    ("Nikko", "닛코", "日光", "JP", 36.7199, 139.6982, 0.3, 0.5, (("도쇼구", "東照宮", "Toshogu"),)),
)

# (ko, ja, en, lowest and highest star rating, price factor, only in country)
KINDS = (
    ("호텔", "ホテル", "Hotel", 3, 5, 1.0, None),
    ("비즈니스호텔", "ビジネスホテル", "Business Hotel", 2, 3, 0.7, None),
    ("게스트하우스", "ゲストハウス", "Guesthouse", 1, 2, 0.45, None),
    ("리조트", "リゾート", "Resort", 4, 5, 1.5, None),
    ("레지던스", "レジデンス", "Residence", 3, 4, 0.9, None),
    ("스테이", "ステイ", "Stay", 2, 4, 0.8, None),
    ("한옥스테이", "韓屋ステイ", "Hanok Stay", 3, 4, 1.1, "KR"),
    ("료칸", "旅館", "Ryokan", 3, 5, 1.4, "JP"),
)
ADJECTIVES = (
    ("센트럴", "セントラル", "Central"), ("그랜드", "グランド", "Grand"), ("시티", "シティ", "City"),
    ("프리미어", "プレミア", "Premier"), ("하버", "ハーバー", "Harbor"), ("가든", "ガーデン", "Garden"),
    ("스카이", "スカイ", "Sky"), ("로열", "ロイヤル", "Royal"), ("파크", "パーク", "Park"),
    ("리버사이드", "リバーサイド", "Riverside"), ("스테이션", "ステーション", "Station"),
    ("힐탑", "ヒルトップ", "Hilltop"), ("브리즈", "ブリーズ", "Breeze"), ("모던", "モダン", "Modern"),
)
FEATURES = (
    ("역까지 걸어서 5분입니다.", "駅まで徒歩5分です。", "Five minutes' walk from the station."),
    ("조식 뷔페가 인기입니다.", "朝食ビュッフェが人気です。", "Known for its breakfast buffet."),
    ("옥상 라운지에서 야경이 보입니다.", "屋上ラウンジから夜景が見えます。", "Night views from the rooftop lounge."),
    ("가족 여행객을 위한 넓은 객실이 있습니다.", "家族旅行向けの広い客室があります。", "Roomy rooms for families."),
    ("공항 리무진 버스가 앞에 섭니다.", "空港リムジンバスが目の前に停まります。", "The airport bus stops outside."),
    ("대욕장과 사우나가 있습니다.", "大浴場とサウナがあります。", "A large public bath and sauna."),
)
# (ko, ja, en, occupancy, bed (ko, ja, en), m², price factor, only in country)
ROOM_TYPES = (
    ("싱글룸", "シングルルーム", "Single Room", 1, ("싱글 침대", "シングルベッド", "Single bed"), 14, 0.65, None),
    ("스탠다드 트윈룸", "スタンダード・ツイン", "Standard Twin", 2, ("싱글 침대 2개", "シングルベッド2台", "Twin beds"),
     22, 1.0, None),
    ("디럭스 더블룸", "デラックス・ダブル", "Deluxe Double", 2, ("킹 침대", "キングベッド", "King bed"), 28, 1.3, None),
    ("디럭스 트윈룸", "デラックス・ツイン", "Deluxe Twin", 3, ("싱글 침대 2개", "シングルベッド2台", "Twin beds"),
     30, 1.4, None),
    ("패밀리룸", "ファミリールーム", "Family Room", 4, ("퀸 침대와 싱글 침대", "クイーンベッドとシングルベッド",
                                                    "Queen and single bed"), 38, 1.7, None),
    ("스위트", "スイート", "Suite", 4, ("킹 침대", "キングベッド", "King bed"), 55, 2.6, None),
    ("온돌룸", "オンドル部屋", "Ondol Room", 3, ("요 이부자리", "布団（ヨ）", "Floor mattress (yo)"), 24, 1.2, "KR"),
    ("화실", "和室", "Japanese-style Room", 4, ("후톤", "布団", "Futon"), 30, 1.5, "JP"),
)
STANDARD = ("스탠다드 더블룸", "スタンダード・ダブル", "Standard Double", 2, ("퀸 침대", "クイーンベッド", "Queen bed"),
            20, 1.0, None)
AMENITIES = ("Pool", "Gym", "Parking", "Breakfast", "Garden", "Spa")
STAR_PRICE = {1: 40_000, 2: 60_000, 3: 95_000, 4: 160_000, 5: 280_000}

KO_FAMILY = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권")
KO_GIVEN = ("민준", "서연", "지호", "하은", "도윤", "지유", "서준", "수아", "예준", "지민", "현우", "유진")
KO_ROMAN = ("minjun", "seoyeon", "jiho", "haeun", "doyun", "jiyu", "seojun", "sua", "yejun", "jimin",
            "hyunwoo", "yujin")
JA_FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
JA_GIVEN = ("陽翔", "結衣", "蓮", "葵", "湊", "陽菜", "悠真", "美咲", "大和", "花子")
JA_ROMAN = ("haruto", "yui", "ren", "aoi", "minato", "hina", "yuma", "misaki", "yamato", "hanako")
EN_FAMILY = ("Smith", "Brown", "Wilson", "Taylor", "Martin", "Lee", "Nguyen", "Garcia", "Miller", "Clark")
EN_GIVEN = ("Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Mia", "Lucas", "Chloe", "Ethan")
CANCEL_REASONS = (("Hold expired", 0.55), ("Guest canceled", 0.30), ("Changed travel plans", 0.10),
                  ("Found another hotel", 0.05))


def log(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(msg, flush=True)


# --- prices (the demo data's rule, plus the Japanese holidays) --------------------------------------

def _peak(night: date, country: str) -> bool:
    if country == "JP":
        md = (night.month, night.day)
        return md >= (12, 29) or md <= (1, 3) or (4, 29) <= md <= (5, 5) or (8, 13) <= md <= (8, 16)
    return (night.month, night.day) in {(12, 31), (1, 1)} or (night.month == 9 and 15 <= night.day <= 18)


def _category(night: date, country: str) -> tuple[bool, bool, bool]:
    """What a night's price depends on besides the base price: (weekend, July–August, peak)."""
    return night.weekday() in (4, 5), night.month in (7, 8), _peak(night, country)


def _price_for(base: int, category: tuple[bool, bool, bool]) -> int:
    weekend, summer, peak = category
    price = base
    if weekend:
        price = price * 125 // 100
    if summer:
        price = price * 130 // 100
    if peak:
        price = price * 150 // 100
    return price // 1000 * 1000


def night_price(base: int, night: date, country: str) -> int:
    """The price of one night (app.catalog.demo._seed_rates' rule); a rate row exists when it differs."""
    return _price_for(base, _category(night, country))


# Same rule in SQL, for INSERT … SELECT over generate_series (integer arithmetic, as above).
RATES_SQL = """
    INSERT INTO rates (room_type_id, night, price)
    SELECT room_type_id, night, price FROM (
        SELECT rt.id AS room_type_id, n.night, rt.base_price AS base,
               (CASE WHEN s.peak THEN s.p2 * 150 / 100 ELSE s.p2 END) / 1000 * 1000 AS price
        FROM room_types rt
        JOIN hotels h ON h.id = rt.hotel_id
        CROSS JOIN LATERAL (SELECT d::date AS night FROM generate_series(%(a)s::date, %(b)s::date, '1 day') AS d) n
        CROSS JOIN LATERAL (
            SELECT CASE WHEN extract(month FROM n.night) IN (7, 8) THEN p1 * 130 / 100 ELSE p1 END AS p2,
                   CASE WHEN h.country = 'JP' THEN
                            to_char(n.night, 'MM-DD') >= '12-29' OR to_char(n.night, 'MM-DD') <= '01-03'
                            OR to_char(n.night, 'MM-DD') BETWEEN '04-29' AND '05-05'
                            OR to_char(n.night, 'MM-DD') BETWEEN '08-13' AND '08-16'
                        ELSE to_char(n.night, 'MM-DD') IN ('12-31', '01-01')
                            OR to_char(n.night, 'MM-DD') BETWEEN '09-15' AND '09-18' END AS peak
            FROM (SELECT CASE WHEN extract(isodow FROM n.night) IN (5, 6) THEN rt.base_price * 125 / 100
                              ELSE rt.base_price END AS p1) p0
        ) s
        ORDER BY rt.id, n.night
    ) priced
    WHERE price <> base
"""


# --- the catalog, built in Python ------------------------------------------------------------------

def _allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of `total` by `weights` (sums to total exactly)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[:total - sum(out)]:
        out[i] += 1
    return out


def build_catalog(n_hotels: int, rng: random.Random) -> tuple[list[tuple], list[tuple], list[int], dict]:
    """(hotel rows, room type rows, rooms per room type, per-city info) with ids from 1."""
    now = datetime.now(UTC)
    per_city = _allocate(n_hotels, [c[6] for c in CITIES])
    hotels, types, rooms = [], [], []
    cities: dict[str, dict] = {}
    used_names: dict[str, int] = {}
    hotel_id = type_id = 0
    for city, count in zip(CITIES, per_city):
        name, ko, ja, country, lat, lon, _share, boost, areas = city
        cities[name] = {"ko": ko, "ja": ja, "country": country, "hotels": count, "boost": boost, "ids": []}
        tz = "Asia/Tokyo" if country == "JP" else "Asia/Seoul"
        kinds = [k for k in KINDS if k[6] in (None, country)]
        kind_weights = [3 if k[2] == "Hotel" else 2 if k[2] in ("Business Hotel", "Stay") else 1 for k in kinds]
        for _ in range(count):
            hotel_id += 1
            area = rng.choice(areas)
            kind = rng.choices(kinds, kind_weights)[0]
            adj = rng.choice(ADJECTIVES)
            names = {"ko": f"{area[0]} {adj[0]} {kind[0]}", "ja": f"{area[1]}{adj[1]}{kind[1]}",
                     "en": f"{adj[2]} {kind[2]} {area[2]}"}
            seen = used_names.get(names["ko"], 0) + 1
            used_names[names["ko"]] = seen
            if seen > 1:  # a second house of the same name: a branch
                names = {"ko": f"{names['ko']} {seen}호점", "ja": f"{names['ja']} {seen}号店",
                         "en": f"{names['en']} {seen}"}
            feature = rng.choice(FEATURES)
            descriptions = {"ko": f"{ko} {area[0]}에 있는 {kind[0]}입니다. {feature[0]}",
                            "ja": f"{ja}・{area[1]}にある{kind[1]}です。{feature[1]}",
                            "en": f"A {kind[2].lower()} in {area[2]}, {name}. {feature[2]}"}
            if country == "JP":
                address = f"{ja}{area[1]}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
            else:
                address = f"{ko} {area[0]}로 {rng.randint(1, 300)}"
            stars = rng.randint(kind[3], kind[4])
            amenities = ["WiFi"] + sorted(a for a in AMENITIES if rng.random() < (0.15 + 0.12 * stars))
            check_in = dtime(15, 0) if country == "KR" else dtime(rng.choice((14, 15, 16)), 0)
            hotels.append((hotel_id, names["ko"], address, name, country,
                           round(lat + rng.uniform(-0.05, 0.05), 6), round(lon + rng.uniform(-0.05, 0.05), 6),
                           stars, descriptions["ko"], json.dumps(names, ensure_ascii=False),
                           json.dumps(descriptions, ensure_ascii=False), json.dumps(amenities), tz, check_in,
                           dtime(11, 0) if country == "KR" else dtime(10, 0), "KRW", "active", now, now))
            cities[name]["ids"].append(hotel_id)
            base = STAR_PRICE[stars] * kind[5] * rng.uniform(0.85, 1.25)
            specs = [STANDARD] + rng.sample([t for t in ROOM_TYPES if t[7] in (None, country)], TYPES_PER_HOTEL - 1)
            specs.sort(key=lambda t: t[6])
            counts = sorted((int(rng.triangular(*ROOMS_PER_TYPE, 32)) for _ in specs), reverse=True)
            for spec, n_rooms in zip(specs, counts):
                type_id += 1
                rt_names = {"ko": spec[0], "ja": spec[1], "en": spec[2]}
                bed = spec[4]
                size = spec[5] + rng.randint(0, 6)
                rt_desc = {"ko": f"{bed[0]}, {size}㎡", "ja": f"{bed[1]}、{size}㎡", "en": f"{bed[2]}, {size} m²"}
                price = max(20_000, int(base * spec[6]) // 1000 * 1000)
                types.append((type_id, hotel_id, spec[0], rt_desc["ko"], json.dumps(rt_names, ensure_ascii=False),
                              json.dumps(rt_desc, ensure_ascii=False), spec[3], bed[0], size,
                              json.dumps(["Air conditioning", "Hair dryer"] + (["Bathtub"] if spec[6] >= 1.3 else [])),
                              price, OVERBOOKING_PERCENT, True, now, now))
                rooms.append(n_rooms)
    _adjust_rooms(rooms, n_hotels * ROOMS_PER_HOTEL, rng)
    return hotels, types, rooms, cities


def _adjust_rooms(rooms: list[int], target: int, rng: random.Random) -> None:
    """Move the room counts (each kept within ROOMS_PER_TYPE) until they sum to `target`."""
    low, high = ROOMS_PER_TYPE
    if not low * len(rooms) <= target <= high * len(rooms):
        raise ValueError(f"{target} rooms do not fit {len(rooms)} room types of {low}–{high} rooms")
    diff = target - sum(rooms)
    step = 1 if diff > 0 else -1
    while diff:
        i = rng.randrange(len(rooms))
        if low <= rooms[i] + step <= high:
            rooms[i] += step
            diff -= step


# --- bookings, built in Python ---------------------------------------------------------------------

def build_bookings(n: int, hotels: list[tuple], types: list[tuple], rooms: list[int], cities: dict,
                   today: date, n_nights: int, rng: random.Random) -> tuple[list[tuple], array, dict]:
    """`n` reservation rows and the rooms they hold per (room type, night): reserved[t * nights + d]."""
    now = datetime.now(UTC)
    country_of = {h[0]: h[4] for h in hotels}
    types_of: dict[int, list[int]] = {}
    for i, t in enumerate(types):
        types_of.setdefault(t[1], []).append(i)
    # Popular cities get more bookings per hotel, and inside a city a few hotels get most of them
    # (Zipf over a shuffled order), so the popular hotels sell out on their busy nights.
    weights = {}
    for info in cities.values():
        ids = info["ids"][:]
        rng.shuffle(ids)
        for rank, hotel_id in enumerate(ids):
            weights[hotel_id] = info["boost"] / (rank + 1) ** 0.8 * (len(ids) ** 0.8 / 5 + 1)
    hotel_ids = list(weights)
    cum = list(accumulate(weights[h] for h in hotel_ids))
    reserved = array("H", bytes(2 * len(types) * n_nights))
    caps = [r * OVERBOOKING_PERCENT // 100 for r in rooms]
    near = min(NEAR_NIGHTS, n_nights)
    near_cum = list(accumulate(1.0 / (1 + d / 20) for d in range(near)))
    codes: set[str] = set()
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    rows = []
    stats = {"paid": 0, "pending": 0, "canceled": 0, "checked_in": 0, "redrawn": 0, "room_nights": 0}
    reasons, reason_weights = zip(*CANCEL_REASONS)
    while len(rows) < n:
        hotel_id = hotel_ids[bisect.bisect(cum, rng.random() * cum[-1])]
        nights = rng.choices((1, 2, 3, 4, 5, 7), (45, 30, 14, 5, 4, 2))[0]
        nights = min(nights, n_nights - 1) if n_nights > 1 else 1
        if rng.random() < 0.88 or n_nights <= near:
            offset = bisect.bisect(near_cum, rng.random() * near_cum[-1])
        else:
            offset = rng.randrange(near, n_nights)
        offset = min(offset, n_nights - nights)
        n_rooms = rng.choices((1, 2, 3), (88, 9, 3))[0]
        roll = rng.random()
        status = "paid" if roll < 0.62 else "pending" if roll < 0.73 else "canceled"
        if status == "paid" and offset == 0 and rng.random() < 0.4:
            status = "checked_in"
        candidates = types_of[hotel_id]
        t = rng.choices(candidates, [rooms[i] for i in candidates])[0]
        if status != "canceled":
            # A holding booking takes rooms: the chosen type if it has them every night, else
            # another type of the hotel; a hotel full on those nights is drawn again.
            base = offset
            fits = [i for i in [t] + candidates
                    if all(reserved[i * n_nights + base + d] + n_rooms <= caps[i] for d in range(nights))]
            if not fits:
                stats["redrawn"] += 1
                if stats["redrawn"] > 50 * n + 1000:
                    raise RuntimeError("the hotels are full: fewer bookings or more nights")
                continue
            t = fits[0]
            for d in range(nights):
                reserved[t * n_nights + base + d] += n_rooms
            stats["room_nights"] += n_rooms * nights
        stats[status] += 1
        rid = len(rows) + 1
        check_in = today + timedelta(days=offset)
        check_out = check_in + timedelta(days=nights)
        country = country_of[hotel_id]
        type_row = types[t]
        total = sum(night_price(type_row[10], check_in + timedelta(days=d), country) for d in range(nights)) * n_rooms
        language = rng.choices(("ko", "ja", "en"), (75, 12, 13) if country == "KR" else (55, 35, 10))[0]
        k = rng.randrange(len(KO_GIVEN))
        if language == "ko":
            first, last = KO_GIVEN[k], rng.choice(KO_FAMILY)
            email, phone = f"{KO_ROMAN[k]}{rid}@example.com", f"010-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        elif language == "ja":
            k %= len(JA_GIVEN)
            first, last = JA_GIVEN[k], rng.choice(JA_FAMILY)
            email, phone = f"{JA_ROMAN[k]}{rid}@example.jp", f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        else:
            first, last = rng.choice(EN_GIVEN), rng.choice(EN_FAMILY)
            email, phone = f"{first.lower()}.{last.lower()}{rid}@example.com", f"+1-555-{rng.randint(1000, 9999)}"
        method = "card" if rng.random() < 0.7 else "bank_transfer"
        lead = timedelta(hours=max(1.0, rng.expovariate(1 / 400)))       # booked this long before check-in
        created = min(now - timedelta(minutes=30), datetime.combine(check_in, dtime(15), KST) - lead)
        hold = paid_at = canceled_at = reason = None
        if status == "pending":  # holds still running: made in the last 15 minutes (card) or day (transfer)
            window = timedelta(minutes=15) if method == "card" else timedelta(hours=24)
            created = now - window * rng.uniform(0.05, 0.9)
            hold = created + window
        elif status in ("paid", "checked_in"):
            paid_at = created + (timedelta(minutes=rng.uniform(1, 10)) if method == "card"
                                 else timedelta(hours=rng.uniform(1, 20)))
            paid_at = min(paid_at, now - timedelta(minutes=1))
        else:
            reason = rng.choices(reasons, reason_weights)[0]
            window = timedelta(minutes=15) if method == "card" else timedelta(hours=24)
            hold = created + window
            canceled_at = min(now - timedelta(minutes=1), hold if reason == "Hold expired"
                              else created + timedelta(hours=rng.uniform(2, 300)))
        while True:
            code = "FD" + "".join(rng.choice(alphabet) for _ in range(6))
            if code not in codes:
                codes.add(code)
                break
        rows.append((rid, f"rsv_{rng.getrandbits(80):020x}", code, hotel_id, type_row[0], check_in, check_out,
                     n_rooms, rng.randint(n_rooms, n_rooms * type_row[6]), first, last, email, phone, language,
                     "", method, status, total, "KRW", hold, status != "canceled", f"{rng.getrandbits(64):016x}",
                     rng.choices(("web", "api"), (7, 3))[0], paid_at, canceled_at, reason,
                     f"req_{rng.getrandbits(64):016x}", created, max(created, paid_at or canceled_at or created)))
    return rows, reserved, stats


RESERVATION_COLUMNS = ("id, public_id, code, hotel_id, room_type_id, check_in, check_out, number_of_rooms, "
                       "number_of_guests, guest_first_name, guest_last_name, guest_email, guest_phone, language, "
                       "special_requests, payment_method, status, total_amount, currency, hold_expires_at, "
                       "inventory_held, access_salt, channel, paid_at, canceled_at, cancel_reason, request_id, "
                       "created_at, updated_at")


# --- indexes and keys while loading ----------------------------------------------------------------

def schema_snapshot(conn) -> tuple[list[tuple], list[tuple]]:
    """Every index (pg_indexes) and every constraint of the public schema, as comparable rows."""
    indexes = conn.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                           "ORDER BY 1, 2").fetchall()
    constraints = conn.execute("""
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), convalidated
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2""").fetchall()
    return indexes, constraints


class BulkSchema:
    """The indexes and keys of BULK_TABLES that can go while loading, and how to put them back.

    Dropped: every index not backing a constraint; every foreign key of these tables; their primary
    and unique keys that no remaining foreign key points at. Restored in the order keys, indexes,
    foreign keys, with the definitions PostgreSQL reports (pg_get_indexdef, pg_get_constraintdef).
    """

    def __init__(self, conn):
        tables = list(BULK_TABLES)
        self.fkeys = conn.execute("""
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2""", (tables,)).fetchall()
        self.keys = conn.execute("""
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.contype IN ('p', 'u') AND c.conrelid::regclass::text = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid
                              AND NOT (f.conrelid::regclass::text = ANY(%s)))
            ORDER BY 1, 2""", (tables, tables)).fetchall()
        self.indexes = conn.execute("""
            SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                              WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))
            ORDER BY 1, 2""", (tables,)).fetchall()

    def drop(self, conn) -> None:
        for table, name, _ in self.fkeys:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for table, name, _ in self.keys:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for _, name, _ in self.indexes:
            conn.execute(f'DROP INDEX "{name}"')

    def restore(self, conn, timings: dict, quiet: bool) -> None:
        for table, name, definition in self.keys:
            with _step(timings, f"key {name}", quiet):
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, name, definition in self.indexes:
            with _step(timings, f"index {name}", quiet):
                conn.execute(definition)
        for table, name, definition in self.fkeys:
            with _step(timings, f"foreign key {name}", quiet):
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


class _step:
    """Times a step into `timings` and prints it."""

    def __init__(self, timings: dict, name: str, quiet: bool):
        self.timings, self.name, self.quiet = timings, name, quiet

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        took = time.perf_counter() - self.t0
        self.timings[self.name] = took
        if exc[0] is None:
            log(f"  {self.name:<58} {took:8.1f} s", self.quiet)


# --- loading ---------------------------------------------------------------------------------------

def _copy(conn, table: str, columns: str, rows) -> None:
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _inventory_rows(types: list[tuple], rooms: list[int], reserved: array, today: date, n_nights: int,
                    countries: dict[int, str]):
    nights = [today + timedelta(days=d) for d in range(n_nights)]
    categories = {country: [_category(night, country) for night in nights] for country in set(countries.values())}
    row_id = 0
    for i, t in enumerate(types):
        type_id, hotel_id, total, base_price = t[0], t[1], rooms[i], t[10]
        night_categories = categories[countries[hotel_id]]
        prices = {}
        for category in set(night_categories):
            price = _price_for(base_price, category)
            prices[category] = price if price != base_price else None  # as the rates: a row where it differs
        base = i * n_nights
        for d, night in enumerate(nights):
            row_id += 1
            yield row_id, hotel_id, type_id, night, total, reserved[base + d], prices[night_categories[d]]


def load_inventory_copy(conn, types, rooms, reserved, today, n_nights, countries) -> None:
    """COPY FREEZE (binary) of every (room type, night) row, `reserved` and the night's rate computed
    in Python (the rule the rates were written with)."""
    conn.execute("TRUNCATE inventory_nights")  # same transaction: lets COPY write the rows frozen
    with conn.cursor().copy("COPY inventory_nights (id, hotel_id, room_type_id, night, total, reserved, price) "
                            "FROM STDIN (FORMAT BINARY, FREEZE)") as copy:
        copy.set_types(["int4", "int4", "int4", "date", "int4", "int4", "int4"])
        for row in _inventory_rows(types, rooms, reserved, today, n_nights, countries):
            copy.write_row(row)


def load_inventory_sql(conn, types, rooms, reserved, today, n_nights, countries) -> None:
    """INSERT … SELECT over generate_series; `reserved` joined from a COPYed table of the held nights,
    the night's rate from the rates."""
    conn.execute("CREATE TEMP TABLE bench_held (room_type_id int, night date, rooms int) ON COMMIT DROP")
    conn.execute("CREATE TEMP TABLE bench_totals (room_type_id int, hotel_id int, total int) ON COMMIT DROP")

    def held():
        for i, t in enumerate(types):
            base = i * n_nights
            for d in range(n_nights):
                if reserved[base + d]:
                    yield t[0], today + timedelta(days=d), reserved[base + d]

    _copy(conn, "bench_held", "room_type_id, night, rooms", held())
    _copy(conn, "bench_totals", "room_type_id, hotel_id, total", ((t[0], t[1], rooms[i]) for i, t in enumerate(types)))
    conn.execute("ANALYZE bench_held")
    conn.execute("ANALYZE bench_totals")
    conn.execute("""
        INSERT INTO inventory_nights (hotel_id, room_type_id, night, total, reserved, price)
        SELECT t.hotel_id, t.room_type_id, n.night, t.total, coalesce(h.rooms, 0), r.price
        FROM bench_totals t
        CROSS JOIN (SELECT d::date AS night FROM generate_series(%s::date, %s::date, '1 day') AS d) n
        LEFT JOIN bench_held h ON h.room_type_id = t.room_type_id AND h.night = n.night
        LEFT JOIN rates r ON r.room_type_id = t.room_type_id AND r.night = n.night
        ORDER BY t.room_type_id, n.night""", (today, today + timedelta(days=n_nights - 1)))


INVENTORY_METHODS = {"copy": load_inventory_copy, "sql": load_inventory_sql}

CONSISTENCY_SQL = HELD_NIGHTS + """
    SELECT
        (SELECT count(*) FROM inventory_nights i
         FULL JOIN held h ON h.room_type_id = i.room_type_id AND h.night = i.night
         WHERE coalesce(i.reserved, -1) <> coalesce(h.rooms, 0)),
        (SELECT count(*) FROM inventory_nights i JOIN room_types rt ON rt.id = i.room_type_id
         WHERE i.reserved > i.total * rt.overbooking_percent / 100),
        (SELECT count(*) FROM reservations
         WHERE inventory_held <> (status IN ('pending', 'paid', 'checked_in'))),
        (SELECT count(*) FROM inventory_nights i JOIN room_types rt ON rt.id = i.room_type_id
         LEFT JOIN (SELECT room_type_id, count(*) AS rooms FROM rooms
                    WHERE active AND status IN ('available', 'occupied', 'cleaning') GROUP BY 1) c
                ON c.room_type_id = i.room_type_id
         WHERE i.hotel_id <> rt.hotel_id OR i.total <> coalesce(c.rooms, 0)),
        (SELECT count(*) FROM inventory_nights i
         LEFT JOIN rates r ON r.room_type_id = i.room_type_id AND r.night = i.night
         WHERE i.price IS DISTINCT FROM r.price)
"""


def generate(url: str, hotels: int = FULL["hotels"], nights: int = FULL["nights"], bookings: int = FULL["bookings"],
             *, seed: int = 3, quiet: bool = False, inventory_method: str = "copy",
             drop_indexes: bool = True) -> dict:
    """Empty and migrate the database at `url`, then write the data set. Returns a summary:
    counts, step timings, cities (hotels per city), today, and whether the checks passed."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    rng = random.Random(seed)
    today = datetime.now(KST).date()
    log(f"Seed-scale data → {url}: {hotels:,} hotels, {nights} nights from {today}, {bookings:,} bookings · "
        f"{os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f}", quiet)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + secrets.token_hex(8),
           "FRONTDESK_INSTANCE_DIR": tempfile.mkdtemp(prefix="frontdesk-scale-"), "LOG_LEVEL": "WARNING",
           "RATELIMIT_ENABLED": "false"}
    env["REDIS_URL"] = os.environ.get("BENCH_SCALE_REDIS_URL", "redis://127.0.0.1:6379/12")
    with _step(timings, "create, empty and migrate the database", quiet):
        try:
            reset_schema(url, env)
        except subprocess.CalledProcessError as exc:
            print((exc.stderr or b"").decode(errors="replace")[-3000:], file=sys.stderr)
            raise
    with _step(timings, "build hotels, room types and rooms in Python", quiet):
        hotel_rows, type_rows, rooms, cities = build_catalog(hotels, rng)
    with _step(timings, "build bookings and their nights in Python", quiet):
        booking_rows, reserved, booking_stats = build_bookings(bookings, hotel_rows, type_rows, rooms, cities,
                                                               today, nights, rng)
    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("SET work_mem = '64MB'")
        before = schema_snapshot(conn)
        bulk = BulkSchema(conn)
        if drop_indexes:
            with _step(timings, f"drop {len(bulk.indexes)} indexes, {len(bulk.keys)} keys, "
                                f"{len(bulk.fkeys)} foreign keys", quiet):
                bulk.drop(conn)
        with _step(timings, f"COPY hotels ({len(hotel_rows):,})", quiet):
            _copy(conn, "hotels", "id, name, address, city, country, latitude, longitude, star_rating, description, "
                  "name_i18n, description_i18n, amenities, timezone, check_in_time, check_out_time, currency, "
                  "status, created_at, updated_at", hotel_rows)
        with _step(timings, f"COPY room types ({len(type_rows):,})", quiet):
            _copy(conn, "room_types", "id, hotel_id, name, description, name_i18n, description_i18n, max_occupancy, "
                  "bed_type, size_sqm, amenities, base_price, overbooking_percent, active, created_at, updated_at",
                  type_rows)
        with _step(timings, f"rooms ({sum(rooms):,}, INSERT … SELECT generate_series)", quiet):
            conn.execute("CREATE TEMP TABLE bench_type_rooms (room_type_id int, hotel_id int, rooms int) "
                         "ON COMMIT DROP")
            _copy(conn, "bench_type_rooms", "room_type_id, hotel_id, rooms",
                  ((t[0], t[1], rooms[i]) for i, t in enumerate(type_rows)))
            # Numbered floor by floor across the hotel's types: 201–220, 301–320, … (unique per hotel).
            conn.execute("""
                INSERT INTO rooms (hotel_id, room_type_id, room_number, floor, status, active, created_at, updated_at)
                SELECT t.hotel_id, t.room_type_id, (2 + k / 20)::text || lpad((k % 20 + 1)::text, 2, '0'),
                       2 + k / 20,
                       CASE WHEN (t.room_type_id * 31 + k) % 40 = 0 THEN 'cleaning'
                            WHEN (t.room_type_id * 17 + k) % 9 = 0 THEN 'occupied' ELSE 'available' END,
                       true, now(), now()
                FROM (SELECT *, sum(rooms) OVER (PARTITION BY hotel_id ORDER BY room_type_id) - rooms AS first
                      FROM bench_type_rooms) t
                CROSS JOIN LATERAL generate_series(t.first, t.first + t.rooms - 1) AS k
                ORDER BY t.hotel_id, k""")
        with _step(timings, "rates (INSERT … SELECT generate_series)", quiet):
            conn.execute(RATES_SQL, {"a": today, "b": today + timedelta(days=nights - 1)})
        with _step(timings, f"COPY reservations ({len(booking_rows):,})", quiet):
            _copy(conn, "reservations", RESERVATION_COLUMNS, booking_rows)
        with _step(timings, f"inventory nights ({len(type_rows) * nights:,}, {inventory_method})", quiet):
            INVENTORY_METHODS[inventory_method](conn, type_rows, rooms, reserved, today, nights,
                                                {h[0]: h[4] for h in hotel_rows})
        for table in ("hotels", "room_types", "reservations", "inventory_nights"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        if drop_indexes:
            bulk.restore(conn, timings, quiet)
        with _step(timings, "COMMIT", quiet):
            conn.commit()
        after = schema_snapshot(conn)
        conn.commit()
        schema_same = before == after
        if not schema_same:
            for kind, a, b in (("index", before[0], after[0]), ("constraint", before[1], after[1])):
                for row in sorted(set(a) ^ set(b)):
                    log(f"  schema differs ({kind}, {'migrated' if row in a else 'now'}): {row}")
        conn.autocommit = True
        with _step(timings, "VACUUM ANALYZE", quiet):
            conn.execute("VACUUM ANALYZE")
        with _step(timings, "consistency check (one query)", quiet):
            differ, over, held_flag, totals, prices = conn.execute(CONSISTENCY_SQL).fetchone()
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("hotels", "room_types", "rooms", "rates", "inventory_nights", "reservations")}
        by_status = dict(conn.execute("SELECT status, count(*) FROM reservations GROUP BY 1 ORDER BY 1").fetchall())
        sold_out = conn.execute("""
            SELECT count(*) FROM inventory_nights i JOIN room_types rt ON rt.id = i.room_type_id
            WHERE i.reserved + 1 > i.total * rt.overbooking_percent / 100""").fetchone()[0]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    total = time.perf_counter() - started
    consistent = differ == over == held_flag == totals == prices == 0
    log(f"  {'total':<58} {total:8.1f} s", quiet)
    log("Rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + f"; database {size}", quiet)
    log("Reservations: " + ", ".join(f"{s} {n:,}" for s, n in by_status.items())
        + f"; {booking_stats['room_nights']:,} room-nights held; {sold_out:,} sold-out room-type nights; "
        f"{booking_stats['redrawn']:,} bookings drawn again because their hotel was full", quiet)
    city_counts = {name: info["hotels"] for name, info in cities.items() if info["hotels"]}
    log("Hotels per city: " + ", ".join(f"{c} {n}" for c, n in sorted(city_counts.items(), key=lambda x: -x[1])),
        quiet)
    log(f"{'ok' if schema_same else 'NOT OK':<6}  indexes and constraints equal the migrated schema's "
        f"({len(after[0])} indexes, {len(after[1])} constraints)", quiet)
    log(f"{'ok' if consistent else 'NOT OK':<6}  reserved = rooms of pending/paid/checked-in bookings on every night "
        f"({differ} nights differ), no night above its cap ({over}), inventory_held matches the status "
        f"({held_flag} differ), totals = the rooms of each type ({totals} differ), each night's price = its "
        f"rate ({prices} differ)", quiet)
    return {"url": url, "today": today, "hotels": hotels, "nights": nights, "bookings": bookings,
            "counts": counts, "by_status": by_status, "timings": timings, "total_seconds": total,
            "cities": city_counts, "schema_same": schema_same, "consistent": consistent, "sold_out": sold_out,
            "database_size": size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="50 hotels, 60 nights, 2,000 bookings (into "
                        "fd_scale_small unless --database-url is given)")
    parser.add_argument("--hotels", type=int)
    parser.add_argument("--nights", type=int)
    parser.add_argument("--bookings", type=int)
    parser.add_argument("--database-url")
    parser.add_argument("--inventory-method", choices=sorted(INVENTORY_METHODS), default="copy",
                        help="COPY from Python (default) or INSERT … SELECT generate_series")
    parser.add_argument("--keep-indexes", action="store_true", help="load with every index in place")
    args = parser.parse_args(argv)
    size = SMALL if args.small else FULL
    url = args.database_url or (SMALL_URL if args.small else DEFAULT_URL)
    summary = generate(url, hotels=args.hotels or size["hotels"], nights=args.nights or size["nights"],
                       bookings=args.bookings if args.bookings is not None else size["bookings"],
                       inventory_method=args.inventory_method, drop_indexes=not args.keep_indexes)
    return 0 if summary["schema_same"] and summary["consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
