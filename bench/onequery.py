"""The framework's ceiling: a one-query Flask page.

`GET /one?id=N` runs one indexed SELECT (a room type by primary key) and
returns it as JSON, through the same stack as the app: Flask, SQLAlchemy
with the app's engine options (psycopg 3, pool_pre_ping), gunicorn sync
workers. Nothing else: no blueprints, sessions, auth or logging.
"""
from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

from app.config import normalize_database_url

app = Flask(__name__)
engine = create_engine(normalize_database_url(os.environ["DATABASE_URL"]), pool_pre_ping=True, pool_size=10,
                       max_overflow=20)
QUERY = text("SELECT id, hotel_id, name, base_price FROM room_types WHERE id = :id")


@app.get("/one")
def one():
    with engine.connect() as conn:
        row = conn.execute(QUERY, {"id": int(request.args.get("id", "1"))}).first()
    if row is None:
        return jsonify({"error": "not found"}), 404
    return jsonify({"roomTypeID": str(row.id), "hotelID": str(row.hotel_id), "name": row.name,
                    "basePrice": {"amount": row.base_price, "currency": "KRW"}})
