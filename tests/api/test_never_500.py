"""Property-based: generated requests from the OpenAPI document never get a 500.

Schemathesis builds requests from the document (valid ones and edge cases:
odd strings, huge numbers, empty bodies) for the public read endpoints and
POST /v1/reservations, and calls the app through its WSGI interface. Every
answer must be a documented status with a body matching the documented
schema, and never a server error. Derandomized and bounded, so a run is the
same every time and takes seconds.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.factories import future, make_hotel, make_room_type

OPERATIONS = [
    ("GET", "/v1/hotels/search"),
    ("GET", "/v1/hotels/{hotelID}"),
    ("GET", "/v1/hotels/{hotelID}/room-types"),
    ("GET", "/v1/hotels/{hotelID}/availability"),
    ("GET", "/v1/openapi.json"),
    ("POST", "/v1/reservations"),
]
EXAMPLES = 40


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/v1/openapi.json", app)


def ground(case, room_type, offset: int) -> None:
    """Point a generated case at real things (an existing hotel, bookable dates), keeping
    its other values, so the checks reach past "not found" into the real code paths."""
    check_in = future(1 + offset % 20)
    dates = {"checkInDate": check_in.isoformat(), "checkOutDate": (check_in + timedelta(days=2)).isoformat()}
    if case.path_parameters and "hotelID" in case.path_parameters:
        case.path_parameters["hotelID"] = str(room_type.hotel_id)
    if isinstance(case.query, dict):
        if "checkInDate" in case.query:
            case.query.update(dates)
        if "location" in case.query:
            case.query["location"] = "Seoul"
    if isinstance(case.body, dict):
        case.body.update(dates, hotelID=str(room_type.hotel_id), roomTypeID=str(room_type.id), numberOfRooms=1,
                         numberOfGuests=1)
        case.headers = {**(case.headers or {}), "Idempotency-Key": f"generated-{offset}"}


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_never_get_a_server_error(api_schema, method, path):
    room_type = make_room_type(make_hotel(city="Seoul"), rooms=2, max_occupancy=4)
    operation = api_schema[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases, grounded=st.booleans(), offset=st.integers(min_value=0, max_value=100))
    def check(case, grounded, offset):
        if grounded:
            ground(case, room_type, offset)
        case.call_and_validate(checks=[not_a_server_error, status_code_conformance, response_schema_conformance])

    check()
