"""The search page and the hotel page, through the test client."""
from __future__ import annotations

import re
from datetime import timedelta

from app.catalog import services as catalog
from app.catalog.models import Hotel
from app.extensions import db
from tests.booking.conftest import stay_args
from tests.factories import future, make_hotel, make_reservation, make_room_type


def search(client, city="Seoul", start=None, nights=2, guests=2, **extra):
    return client.get("/", query_string={"location": city, **stay_args(start or future(10), nights, guests), **extra})


def hotel_names(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/hotels/\d+\?[^"]*">([^<]+)</a></h3>', html)


def room_card(html: str, room_type_id: int) -> str:
    """The <article> of one room type on the hotel page."""
    start = html.rindex("<article", 0, html.index(f'id="room-type-{room_type_id}"'))
    return html[start:html.index("</article>", start)]


def test_the_search_page_suggests_the_demo_cities(client):
    html = client.get("/").get_data(as_text=True)
    for city in ("Seoul", "Busan", "Jeju"):
        assert f'<option value="{city}">' in html
    assert 'type="date"' in html and 'name="guests"' in html


def test_search_shows_each_hotels_lowest_price_per_night_and_free_room_types(client):
    hotel = make_hotel(name="River Hotel", city="Seoul")
    make_room_type(hotel, base_price=180_000)
    make_room_type(hotel, base_price=120_000)
    make_room_type(make_hotel(name="Far Away", city="Busan"))
    html = search(client).get_data(as_text=True)
    assert hotel_names(html) == ["River Hotel"]
    assert "from ₩120,000" in html and "2 room types free" in html
    assert "1 hotel with free rooms in Seoul" in html


def test_search_understands_the_city_in_korean_and_japanese(client):
    make_room_type(make_hotel(name="Jeju Garden", city="Jeju"))
    assert hotel_names(search(client, city="제주").get_data(as_text=True)) == ["Jeju Garden"]
    assert hotel_names(search(client, city="済州").get_data(as_text=True)) == ["Jeju Garden"]


def test_search_sorts_by_price_rating_and_name(client):
    make_room_type(make_hotel(name="Bravo", city="Seoul", star_rating=3), base_price=90_000)
    make_room_type(make_hotel(name="Alpha", city="Seoul", star_rating=5), base_price=300_000)
    make_room_type(make_hotel(name="Charlie", city="Seoul", star_rating=4), base_price=150_000)
    assert hotel_names(search(client).get_data(as_text=True)) == ["Bravo", "Charlie", "Alpha"]
    assert hotel_names(search(client, sortBy="rating").get_data(as_text=True)) == ["Alpha", "Charlie", "Bravo"]
    html = search(client, sortBy="name").get_data(as_text=True)
    assert hotel_names(html) == ["Alpha", "Bravo", "Charlie"]
    assert '<strong aria-current="true">Name</strong>' in html


def test_the_amenity_filter_keeps_hotels_that_have_them_all(client):
    make_room_type(make_hotel(name="Pool Place", city="Seoul", amenities=["WiFi", "Pool"]))
    make_room_type(make_hotel(name="Plain Place", city="Seoul", amenities=["WiFi"]))
    html = search(client).get_data(as_text=True)
    assert 'name="amenities" value="Pool"' in html
    filtered = client.get("/?" + "&".join(f"{k}={v}" for k, v in stay_args(future(10)).items())
                          + "&location=Seoul&amenities=Pool&amenities=WiFi").get_data(as_text=True)
    assert hotel_names(filtered) == ["Pool Place"]
    assert re.search(r'value="Pool" checked', filtered)


def test_search_results_come_in_pages_of_ten(client):
    for n in range(12):
        make_room_type(make_hotel(name=f"Hotel {n:02d}", city="Daegu"), rooms=1, base_price=100_000 + n * 1000)
    first = search(client, city="Daegu").get_data(as_text=True)
    second = search(client, city="Daegu", page=2).get_data(as_text=True)
    assert len(hotel_names(first)) == 10 and hotel_names(second) == ["Hotel 10", "Hotel 11"]
    assert "Page 1 of 2" in first and "page=2" in first and "Page 2 of 2" in second
    beyond = search(client, city="Daegu", page=5).get_data(as_text=True)
    assert "There are no more results on this page" in beyond


def test_an_invalid_search_says_kindly_what_to_change(client):
    response = client.get("/", query_string={"location": "", "checkInDate": future(5).isoformat(),
                                             "checkOutDate": future(3).isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please check what is marked below" in html
    assert 'id="location-error">Required: a city.' in html
    assert 'id="checkOutDate-error">Check-out must be after check-in.' in html
    garbled = client.get("/?location=Seoul&checkInDate=tomorrow&checkOutDate=2026-02-30")
    assert garbled.status_code == 422 and "Not a real date" in garbled.get_data(as_text=True)


def test_a_city_without_hotels_suggests_our_cities(client):
    html = search(client, city="Tokyo").get_data(as_text=True)
    assert "We have no hotels in “Tokyo” yet" in html
    assert "location=Busan" in html


def test_no_free_rooms_suggests_other_dates(client):
    room_type = make_room_type(make_hotel(city="Seoul"), rooms=1)
    make_reservation(room_type, check_in=future(10))
    html = search(client).get_data(as_text=True)
    assert "No free rooms in Seoul for these dates and 2 guests" in html and "Try other dates" in html


# --- the hotel page ---------------------------------------------------------------------

def test_the_hotel_page_shows_nightly_prices_the_stay_total_and_rooms_left(client):
    hotel = make_hotel(name="Ocean Breeze", city="Busan", description="Across from the beach.",
                       amenities=["WiFi", "Pool"])
    few = make_room_type(hotel, rooms=2, base_price=100_000, name="Ocean Double")
    many = make_room_type(hotel, rooms=8, base_price=90_000, name="City Twin")
    start = future(10)
    catalog.set_rates(few, start + timedelta(days=1), start + timedelta(days=2), 150_000)
    response = client.get(f"/hotels/{hotel.id}", query_string=stay_args(start, nights=3))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Across from the beach." in html and "Check-in from 15:00" in html and "11:00" in html
    assert "₩350,000" in html and "₩150,000" in html  # stay total, and the dearer night
    assert "₩270,000" in html
    ocean = room_card(html, few.id)
    assert "2 left" in ocean and f"/rooms/{few.id}/book?" in ocean
    assert "left" not in room_card(html, many.id)


def test_a_sold_out_room_type_is_greyed_with_the_reason(client):
    hotel = make_hotel(city="Busan")
    full = make_room_type(hotel, rooms=1, name="Tiny Single")
    make_room_type(hotel, rooms=3, name="Big Double")
    start = future(10)
    make_reservation(full, check_in=start + timedelta(days=1), nights=1)
    html = client.get(f"/hotels/{hotel.id}", query_string=stay_args(start, nights=3)).get_data(as_text=True)
    card = room_card(html, full.id)
    assert "sold-out" in card and "Fully booked on" in card and "/book?" not in card
    assert html.index("Big Double") < html.index("Tiny Single")  # free rooms first


def test_a_group_too_big_for_one_room_books_enough_rooms(client):
    hotel = make_hotel()
    room_type = make_room_type(hotel, rooms=4, max_occupancy=2)
    html = client.get(f"/hotels/{hotel.id}", query_string=stay_args(future(10), guests=5)).get_data(as_text=True)
    assert "rooms=3" in html and "3 rooms, 2 nights in all" in html and "₩600,000" in html
    assert f"/rooms/{room_type.id}/book?" in html


def test_the_hotel_page_without_dates_asks_for_them(client):
    hotel = make_hotel(name="Quiet Inn")
    make_room_type(hotel, name="Garden Room")
    html = client.get(f"/hotels/{hotel.id}").get_data(as_text=True)
    assert "Choose your dates above" in html and "Garden Room" in html and "/book?" not in html


def test_the_hotel_page_explains_bad_dates(client):
    hotel = make_hotel()
    make_room_type(hotel)
    response = client.get(f"/hotels/{hotel.id}?checkInDate=2020-01-01&checkOutDate=2020-01-03&guests=2")
    assert response.status_code == 422
    assert 'id="checkInDate-error">Check-in cannot be in the past.' in response.get_data(as_text=True)
    too_long = client.get(f"/hotels/{hotel.id}", query_string=stay_args(future(10), nights=31))
    assert "A stay is at most 30 nights." in too_long.get_data(as_text=True)


def test_an_unknown_or_closed_hotel_is_not_found(client):
    assert client.get("/hotels/987654").status_code == 404
    hotel = make_hotel()
    catalog.deactivate_hotel(db.session.get(Hotel, hotel.id), reason="closed for works")
    response = client.get(f"/hotels/{hotel.id}")
    assert response.status_code == 404 and "This page does not exist" in response.get_data(as_text=True)


def test_switching_language_keeps_the_dates(client):
    hotel = make_hotel()
    make_room_type(hotel)
    html = client.get(f"/hotels/{hotel.id}", query_string=stay_args(future(10))).get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)" class="[^"]*" hreflang="ja"', html)
    assert links and "checkInDate=" in links[0] and "lang=ja" in links[0]
