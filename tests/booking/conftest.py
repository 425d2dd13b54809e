"""Helpers for the customer-page tests: a hotel to book and the booking form's fields."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.extensions import db
from tests.conftest import CSRFClient
from tests.factories import future, make_hotel, make_room_type


def stay_args(check_in: date, nights: int = 2, guests: int = 2, **extra) -> dict:
    return {"checkInDate": check_in.isoformat(), "checkOutDate": (check_in + timedelta(days=nights)).isoformat(),
            "guests": guests, **extra}


def form_data(start: date, nights: int = 2, **overrides) -> dict:
    """What a guest's browser posts from the booking form."""
    data = {"check_in": start.isoformat(), "check_out": (start + timedelta(days=nights)).isoformat(),
            "first_name": "Minji", "last_name": "Kim", "email": "minji@example.com", "phone": "+82 10-1234-5678",
            "language": "ko", "rooms": "1", "guests": "2", "special_requests": "", "payment_method": "card",
            "idempotency_key": str(uuid.uuid4())}
    data.update(overrides)
    return data


def book_url(room_type, check_in: date, nights: int = 2, guests: int = 2) -> str:
    from urllib.parse import urlencode

    return f"/hotels/{room_type.hotel_id}/rooms/{room_type.id}/book?" + urlencode(stay_args(check_in, nights, guests))


def reservation_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Reservation))


def hidden_value(html: str, name: str) -> str | None:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or \
        re.search(rf'value="([^"]*)"[^>]*name="{name}"', html)
    return match.group(1) if match else None


class PageClient(CSRFClient):
    """The shared CSRF test client, reading the pages in English (the source language).

    Each test keeps one app context around all its requests, so `g` — and the
    locale Flask-Babel caches in it — would outlive a request; a browser gets a
    fresh one each time, so this client drops the cached locale before each request.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def open(self, *args, **kwargs):
        g.pop("_flask_babel", None)
        return super().open(*args, **kwargs)


def english_client(app) -> PageClient:
    """A browser of its own (no session shared with other clients), in English."""
    return PageClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def client(app):
    return english_client(app)


@pytest.fixture
def room_type():
    """A Seoul hotel with one room type of 5 rooms at ₩100,000 a night."""
    hotel = make_hotel(name="Hanok Test Stay", city="Seoul", amenities=["WiFi", "Breakfast"],
                       description="Quiet rooms around a courtyard.")
    return make_room_type(hotel, rooms=5, base_price=100_000, name="Ondol Double")


@pytest.fixture
def check_in():
    return future(10)


@pytest.fixture
def booked(client, room_type, check_in):
    """Book through the form; returns (reservation, its page URL)."""

    def _book(test_client=None, **overrides):
        c = test_client or client
        response = c.post(book_url(room_type, check_in), data=form_data(check_in, **overrides))
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        public_id = response.headers["Location"].rsplit("/", 1)[-1]
        reservation = db.session.scalar(select(Reservation).where(Reservation.public_id == public_id))
        return reservation, response.headers["Location"]

    return _book
