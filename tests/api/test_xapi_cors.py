"""CORS on every xAPI resource: preflights answered without credentials, responses readable by
scripts of any origin (headers included), never credentialed CORS."""

from __future__ import annotations

import pytest

from tests.api.test_xapi_slice import statement

ORIGIN = {"Origin": "https://content.example"}
RESOURCES = [
    "/xapi/about",
    "/xapi/statements",
    "/xapi/activities",
    "/xapi/activities/state",
    "/xapi/activities/profile",
    "/xapi/agents",
    "/xapi/agents/profile",
]


@pytest.mark.parametrize("path", RESOURCES)
def test_preflights_are_answered_without_credentials(client, path):
    response = client.options(
        path,
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, x-experience-api-version, if-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed_headers = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {
        "authorization",
        "content-type",
        "x-experience-api-version",
        "if-match",
        "if-none-match",
    } <= allowed_headers
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers["X-Experience-API-Version"]


def test_cross_origin_responses_expose_the_xapi_headers(client, xapi_headers):
    posted = client.post("/xapi/statements", json=statement(), headers={**xapi_headers, **ORIGIN})
    assert posted.headers["Access-Control-Allow-Origin"] == "*"
    listed = client.get("/xapi/statements", headers={**xapi_headers, **ORIGIN})
    exposed = {h.strip() for h in listed.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Experience-API-Version", "X-Experience-API-Consistent-Through", "ETag"} <= exposed
    refused = client.get("/xapi/statements", headers={**ORIGIN, "X-Experience-API-Version": "2.0.0"})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == "*"


def test_same_origin_responses_carry_no_cors_headers(client, xapi_headers):
    response = client.get("/xapi/statements", headers=xapi_headers)
    assert "Access-Control-Allow-Origin" not in response.headers
