"""GET /v1/openapi.json (placeholder while the document is written)."""
from flask import jsonify

from app.api import bp

DOCUMENT: dict = {"openapi": "3.1.0", "info": {"title": "Frontdesk", "version": "1"}, "paths": {}}


@bp.get("/openapi.json")
def openapi_document_endpoint():
    return jsonify(DOCUMENT)
