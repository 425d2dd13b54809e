"""The catalog pages through the client: roles, forms, bad input, audit events."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.catalog.models import Hotel, Rate, Room, RoomType
from app.catalog.views import PAGE_ROLES
from app.extensions import db
from tests.catalog.conftest import audit_actions, last_audit_id
from tests.factories import make_hotel


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(obj):
    return db.session.get(type(obj), obj.id, populate_existing=True)


def page_urls(hotel, room_type):
    room = room_type.rooms[0]
    base = f"/ops/catalog/hotels/{hotel.id}"
    return {
        "catalog.hotels": ("/ops/catalog/", "staff"),
        "catalog.hotel": (base, "staff"),
        "catalog.hotel_new": ("/ops/catalog/hotels/new", "manager"),
        "catalog.hotel_edit": (base + "/edit", "manager"),
        "catalog.room_type_new": (base + "/room-types/new", "manager"),
        "catalog.room_type_edit": (f"{base}/room-types/{room_type.id}/edit", "manager"),
        "catalog.room_new": (base + "/rooms/new", "manager"),
        "catalog.room_edit": (f"{base}/rooms/{room.id}/edit", "staff"),
        "catalog.room_status": (f"{base}/rooms/{room.id}/status", "staff"),
        "catalog.rates": (base + "/rates", "staff"),
        "catalog.inventory": (base + "/inventory", "staff"),
        "catalog.deactivate": (base + "/deactivate", "staff"),
    }


RANK = {"staff": 0, "manager": 1, "admin": 2}


def test_every_page_answers_each_role_as_the_table_says(app, as_role, hotel, room_type):
    pages = page_urls(hotel, room_type)
    catalog_endpoints = {r.endpoint for r in app.url_map.iter_rules()
                         if r.endpoint.startswith("catalog.") and "GET" in r.methods}
    assert catalog_endpoints == set(pages) | {"catalog.reactivate"}
    for endpoint, (url, needed) in pages.items():
        for role in ("staff", "manager", "admin"):
            response = as_role(role).get(url)
            expected = 200 if RANK[role] >= RANK[needed] else 403
            assert response.status_code == expected, (endpoint, role, response.status_code)


def test_the_page_roles_agree_with_the_api(app):
    from app.api.catalog import REQUIRED_ROLE

    assert PAGE_ROLES["hotels.write"] == REQUIRED_ROLE["hotels.write"] == "manager"
    assert PAGE_ROLES["room_types.write"] == REQUIRED_ROLE["room_types.write"]
    assert PAGE_ROLES["rates.write"] == REQUIRED_ROLE["rates.write"]
    assert PAGE_ROLES["rooms.add"] == REQUIRED_ROLE["rooms.add_remove"]
    assert PAGE_ROLES["rooms.status"] == REQUIRED_ROLE["rooms.read_update"] == "staff"


def test_hotels_link_in_the_navigation_and_the_list(as_role, hotel):
    html = as_role("staff").get("/ops/").get_data(as_text=True)
    assert 'href="/ops/catalog/"' in html
    listing = as_role("staff").get("/ops/catalog/").get_data(as_text=True)
    assert f'data-hotel="{hotel.id}"' in listing and "Hanok Stay" in listing


def test_staff_crafted_posts_are_refused_and_change_nothing(as_role, hotel, room_type):
    staff = as_role("staff")
    base = f"/ops/catalog/hotels/{hotel.id}"
    before = last_audit_id()
    posts = {
        "/ops/catalog/hotels/new": {"name": "X", "city": "Busan", "timezone": "Asia/Seoul", "currency": "KRW",
                                    "country": "KR"},
        base + "/edit": {"name": "Renamed", "city": "Seoul", "timezone": "Asia/Seoul", "country": "KR"},
        base + "/room-types/new": {"name": "Suite", "base_price": "300000", "max_occupancy": "2",
                                   "overbooking_percent": "110"},
        f"{base}/room-types/{room_type.id}/edit": {"name": "Renamed", "base_price": "1", "max_occupancy": "2",
                                                   "overbooking_percent": "110"},
        base + "/rooms/new": {"room_type_id": str(room_type.id), "room_number": "999", "floor": "9"},
        base + "/rates": {"room_type_id": str(room_type.id), "first_night": "2026-12-01",
                          "last_night": "2026-12-31", "weekdays": ["5", "6"], "price": "150000", "confirmed": "yes"},
        base + "/deactivate": {"bookings": "cancel", "reason": "closing", "confirmed": "yes"},
        base + "/reactivate": {"reason": "open", "confirmed": "yes"},
    }
    for url, data in posts.items():
        assert staff.post(url, data=data).status_code == 403, url
    other = room_type.rooms[0]
    second_type = RoomType(hotel_id=hotel.id, name="Twin", base_price=1, max_occupancy=2)
    db.session.add(second_type)
    db.session.flush()
    moved = staff.post(f"{base}/rooms/{other.id}/edit", data={"room_type_id": str(second_type.id),
                                                               "room_number": other.room_number, "floor": "2"})
    assert moved.status_code == 403
    assert audit_actions(before) == ["operator.permission_refused"] * (len(posts) + 1)
    assert fresh(hotel).name == "Hanok Stay" and fresh(hotel).status == "active"
    assert fresh(room_type).name == "Deluxe Double" and fresh(room_type).base_price == 100_000
    assert fresh(other).room_type_id == room_type.id
    assert count(Hotel) == 1 and count(Rate) == 0 and count(Room) == 5


def test_a_manager_adds_a_hotel_room_type_and_room(as_role):
    manager = as_role("manager")
    response = manager.post("/ops/catalog/hotels/new", data={
        "name": "Busan Bay", "city": "Busan", "address": "1 Haeundae-ro", "country": "KR", "star_rating": "4",
        "amenities": "WiFi, Pool", "timezone": "Asia/Seoul", "check_in_time": "15:00", "check_out_time": "11:00",
        "currency": "KRW"})
    assert response.status_code == 302
    hotel = db.session.scalar(select(Hotel).where(Hotel.name == "Busan Bay"))
    assert hotel.amenities == ["WiFi", "Pool"] and hotel.check_in_time.hour == 15
    base = f"/ops/catalog/hotels/{hotel.id}"
    assert manager.post(base + "/room-types/new", data={
        "name": "Ocean Twin", "max_occupancy": "3", "bed_type": "2 single", "size_sqm": "28",
        "amenities": "WiFi", "base_price": "150,000", "overbooking_percent": "110"}).status_code == 302
    rt = db.session.scalar(select(RoomType).where(RoomType.hotel_id == hotel.id))
    assert rt.base_price == 150_000 and rt.max_occupancy == 3 and rt.size_sqm == 28
    assert manager.post(base + "/rooms/new", data={"room_type_id": str(rt.id), "room_number": "1201",
                                                    "floor": "12"}).status_code == 302
    assert [r.room_number for r in fresh(rt).rooms] == ["1201"]
    assert audit_actions(0)[-3:] == ["hotel.created", "room_type.created", "room.created"]


def test_a_manager_edits_a_room_type_and_it_is_audited(as_role, hotel, room_type):
    before = last_audit_id()
    response = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/room-types/{room_type.id}/edit", data={
        "name": "Deluxe King", "max_occupancy": "3", "bed_type": "1 king", "size_sqm": "33",
        "amenities": "WiFi, Bathtub", "base_price": "130000", "overbooking_percent": "105"})
    assert response.status_code == 302
    rt = fresh(room_type)
    assert (rt.name, rt.max_occupancy, rt.bed_type, rt.size_sqm, rt.base_price, rt.overbooking_percent) == \
        ("Deluxe King", 3, "1 king", 33, 130_000, 105)
    assert audit_actions(before) == ["room_type.updated"]


HOTEL_OK = {"name": "Busan Bay", "city": "Busan", "country": "KR", "timezone": "Asia/Seoul", "currency": "KRW",
            "star_rating": "3"}


@pytest.mark.parametrize("bad, field", [
    ({"name": ""}, "name"),
    ({"city": ""}, "city"),
    ({"timezone": "Mars/Base"}, "timezone"),
    ({"star_rating": "6"}, "star_rating"),
    ({"star_rating": "four"}, "star_rating"),
    ({"check_in_time": "3pm"}, "check_in_time"),
    ({"country": "Korea"}, "country"),
    ({"currency": "KR"}, "currency"),
])
def test_a_bad_new_hotel_is_refused_next_to_the_field(as_role, bad, field):
    before = last_audit_id()
    response = as_role("manager").post("/ops/catalog/hotels/new", data={**HOTEL_OK, **bad})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field has-error"' in html and f'name="{field}"' in html
    assert count(Hotel) == 0 and audit_actions(before) == []


def test_a_bad_hotel_edit_changes_nothing(as_role, hotel):
    before = last_audit_id()
    response = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/edit", data={
        "name": "Renamed", "city": "Seoul", "country": "KR", "timezone": "Nowhere/City", "star_rating": "4"})
    assert response.status_code == 422
    assert fresh(hotel).name == "Hanok Stay" and audit_actions(before) == []


@pytest.mark.parametrize("bad", [
    {"name": ""}, {"base_price": "-5"}, {"base_price": "abc"}, {"overbooking_percent": "250"},
    {"max_occupancy": "0"}, {"size_sqm": "0"},
])
def test_a_bad_room_type_edit_changes_nothing(as_role, hotel, room_type, bad):
    before = last_audit_id()
    data = {"name": "Deluxe King", "max_occupancy": "2", "base_price": "130000", "overbooking_percent": "110",
            **bad}
    response = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/room-types/{room_type.id}/edit", data=data)
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)
    rt = fresh(room_type)
    assert (rt.name, rt.base_price, rt.overbooking_percent) == ("Deluxe Double", 100_000, 110)
    assert audit_actions(before) == []


def test_a_bad_new_room_type_adds_nothing(as_role, hotel):
    response = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/room-types/new",
                                       data={"name": "Suite", "max_occupancy": "2"})
    assert response.status_code == 422 and count(RoomType) == 1


@pytest.mark.parametrize("bad", [{"room_number": ""}, {"room_number": "DUP"}, {"floor": "300"},
                                 {"room_type_id": "0"}])
def test_a_bad_room_changes_nothing(as_role, hotel, room_type, bad):
    existing = room_type.rooms[0]
    if bad.get("room_number") == "DUP":
        bad = {"room_number": room_type.rooms[1].room_number}
    before = last_audit_id()
    data = {"room_type_id": str(room_type.id), "room_number": "NEW-1", "floor": "3", **bad}
    added = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/rooms/new", data=data)
    assert added.status_code == 422 and count(Room) == 5
    edit = {"room_type_id": str(room_type.id), "room_number": existing.room_number, "floor": "3", **bad}
    edited = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/rooms/{existing.id}/edit", data=edit)
    assert edited.status_code == 422
    room = fresh(existing)
    assert (room.room_number, room.floor) == (existing.room_number, existing.floor) and audit_actions(before) == []


def test_staff_edits_a_room_number_and_floor(as_role, hotel, room_type):
    room = room_type.rooms[0]
    response = as_role("staff").post(f"/ops/catalog/hotels/{hotel.id}/rooms/{room.id}/edit",
                                     data={"room_type_id": str(room_type.id), "room_number": "501", "floor": "5"})
    assert response.status_code == 302
    assert (fresh(room).room_number, fresh(room).floor) == ("501", 5)


def test_pages_of_another_hotels_objects_are_not_found(as_role, hotel, room_type):
    other = make_hotel(name="Elsewhere")
    room = room_type.rooms[0]
    manager = as_role("manager")
    assert manager.get(f"/ops/catalog/hotels/{other.id}/room-types/{room_type.id}/edit").status_code == 404
    assert manager.get(f"/ops/catalog/hotels/{other.id}/rooms/{room.id}/status").status_code == 404
    assert manager.get("/ops/catalog/hotels/999999").status_code == 404


def test_the_catalog_domain_has_every_korean_and_japanese_translation():
    from app.core.i18n_tools import problems

    assert problems(["catalog"]) == []


def test_a_manager_edits_a_hotel_and_it_is_audited(as_role, hotel):
    before = last_audit_id()
    response = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/edit", data={
        "name": "Hanok Stay Bukchon", "city": "Seoul", "country": "KR", "timezone": "Asia/Seoul",
        "star_rating": "5", "amenities": "WiFi, Breakfast", "check_in_time": "16:00", "check_out_time": "10:30",
        "currency": "USD"})
    assert response.status_code == 302
    h = fresh(hotel)
    assert (h.name, h.star_rating, h.amenities, h.check_in_time.hour, h.check_out_time.minute) == \
        ("Hanok Stay Bukchon", 5, ["WiFi", "Breakfast"], 16, 30)
    assert h.currency == "KRW"                                       # a hotel's currency never changes
    assert audit_actions(before) == ["hotel.updated"]


def test_the_pages_speak_the_operators_language(app, hotel, room_type):
    from tests.auth.helpers import sign_in
    from tests.factories import make_operator

    for language, word in (("ko", "비활성화"), ("ja", "無効"), ("en", "Deactivate")):
        c = app.test_client()
        sign_in(c, make_operator("manager", language="en" if language == "en" else "ko").email)
        html = c.get(f"/ops/catalog/hotels/{hotel.id}/deactivate?lang={language}").get_data(as_text=True)
        assert word in html, language
