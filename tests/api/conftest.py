"""Fixtures for the /v1 API tests: auth headers and a room type to book."""
from __future__ import annotations

import pytest

from tests.api.helpers import bearer
from tests.factories import make_hotel, make_room_type


@pytest.fixture
def manager(api_token):
    """Headers of a manager's API token."""
    _operator, token = api_token("manager")
    return bearer(token)


@pytest.fixture
def staff(api_token):
    """Headers of a staff member's API token."""
    _operator, token = api_token("staff")
    return bearer(token)


@pytest.fixture
def room_type():
    """A Seoul hotel's room type: 5 rooms at 100,000 KRW a night, 110 % cap (sells 5)."""
    return make_room_type(make_hotel(city="Seoul"), rooms=5, base_price=100_000, name="Deluxe Double")
