"""gunicorn entry point for the bench: the real app (`wsgi:app`).

When the branch does not have `GET /v1/hotels/search` yet, a stand-in route
is added that does what API.md describes with the real
`app.booking.search` (parse → search → serialize), so the search figure
measures the real search code. `STANDIN_SEARCH` says which it is.
"""
from __future__ import annotations

from wsgi import app

STANDIN_SEARCH = not any(rule.rule == "/v1/hotels/search" for rule in app.url_map.iter_rules())

if STANDIN_SEARCH:
    from flask import jsonify, request

    from app.booking.search import parse_search_args, search_hotels

    def _bench_search():
        result = search_hotels(parse_search_args(request.args))
        return jsonify({
            "results": [{"hotelID": str(h.hotel.id), "name": h.hotel.name, "city": h.hotel.city,
                         "starRating": h.hotel.star_rating, "amenities": h.hotel.amenities,
                         "lowestPrice": {"amount": h.lowest_price, "currency": h.hotel.currency},
                         "availableRoomTypes": h.available_room_types} for h in result.hits],
            "page": result.query.page, "pageSize": result.query.page_size, "total": result.total,
        })

    app.add_url_rule("/v1/hotels/search", "bench_search", _bench_search)
