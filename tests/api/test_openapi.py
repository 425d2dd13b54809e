"""GET /v1/openapi.json: complete (every /v1 route, nothing more) and valid OpenAPI 3.1."""
from __future__ import annotations

from openapi_spec_validator import validate

from app.api.openapi import DOCUMENT, openapi_path

METHODS = {"get", "put", "post", "delete", "patch"}


def served_operations(app) -> set[tuple[str, str]]:
    return {(openapi_path(rule.rule), method.lower())
            for rule in app.url_map.iter_rules() if rule.rule.startswith("/v1/")
            for method in rule.methods if method.lower() in METHODS}


def documented_operations(document) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item if method in METHODS}


def test_document_is_served_as_json(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == DOCUMENT


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    document = client.get("/v1/openapi.json").get_json()
    served, documented = served_operations(app), documented_operations(document)
    assert served - documented == set(), "routes missing from the document"
    assert documented - served == set(), "documented routes the app does not serve"
    assert len(served) == 34  # 24, the reconciliation (5), the bank statements (2) and the status page (3)


def test_document_is_valid_openapi_3_1(client):
    document = client.get("/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_path_parameters_match_the_path(client):
    document = client.get("/v1/openapi.json").get_json()
    parameters = document["components"]["parameters"]
    for path, item in document["paths"].items():
        in_path = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        for method, operation in item.items():
            declared = set()
            for p in operation["parameters"]:
                p = parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                if p["in"] == "path":
                    declared.add(p["name"])
            assert declared == in_path, (path, method)


def test_both_token_schemes_and_every_error_code_are_described(client):
    document = client.get("/v1/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["operatorToken"]["scheme"] == schemes["reservationToken"]["scheme"] == "bearer"
    codes = set(document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    assert {"validation_error", "not_found", "unauthorized", "forbidden", "sold_out", "idempotency_conflict",
            "idempotency_in_progress", "invalid_transition", "rate_limited"} <= codes
    for path, item in document["paths"].items():
        for operation in item.values():
            assert "429" in operation["responses"], path
