"""Headers of the Statement Resource: X-Experience-API-Consistent-Through on every response, whatever
its status (xAPI 1.0.3 Communication 2.1.3.s2.b5, 2.0 4.1.6.1), and Last-Modified (2.0 4.1.6.1)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from werkzeug.http import parse_date

from tests.api.test_xapi_slice import statement

CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"statementId": "not-a-uuid"},
        {"statementId": str(uuid.uuid4()), "verb": "http://example.com/v"},
        {"statementId": str(uuid.uuid4())},
        {"colour": "blue"},
    ],
    ids=["query", "bad-id", "misused", "missing", "unknown-parameter"],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_statement_read_declares_consistent_through(client, xapi_headers, query, method):
    response = client.open("/xapi/statements", method=method, query_string=query, headers=xapi_headers)
    assert _moment(response.headers[CONSISTENT_THROUGH]).tzinfo is not None


def test_consistent_through_is_declared_without_credentials_too(client):
    response = client.get("/xapi/statements", headers={"X-Experience-API-Version": "2.0.0"})
    assert response.status_code == 401
    assert CONSISTENT_THROUGH in response.headers


def test_consistent_through_covers_what_was_stored_before_the_read(client, xapi_headers):
    [statement_id] = client.post("/xapi/statements", json=statement(), headers=xapi_headers).json
    stored = client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=xapi_headers)
    later = client.get("/xapi/statements", headers=xapi_headers)
    assert _moment(later.headers[CONSISTENT_THROUGH]) >= _moment(stored.json["stored"])


def test_writes_declare_consistent_through_too(client, xapi_headers):
    # 1.0.3 Communication 2.1.3.s2.b5: "on all responses to Statements Resource requests".
    assert (
        CONSISTENT_THROUGH in client.post("/xapi/statements", json=statement(), headers=xapi_headers).headers
    )
    bad = client.put("/xapi/statements", json=statement(), headers=xapi_headers)
    assert bad.status_code == 400
    assert CONSISTENT_THROUGH in bad.headers


def test_a_page_declares_the_latest_stored_as_last_modified(client, xapi_headers):
    client.post("/xapi/statements", json=[statement(), statement()], headers=xapi_headers)
    [newest] = client.post("/xapi/statements", json=[statement()], headers=xapi_headers).json
    page = client.get("/xapi/statements", headers=xapi_headers)
    stored = _moment(next(s["stored"] for s in page.json["statements"] if s["id"] == newest))
    assert parse_date(page.headers["Last-Modified"]) == stored.replace(microsecond=0)
    empty = client.get(
        "/xapi/statements", query_string={"verb": "http://example.com/none"}, headers=xapi_headers
    )
    assert "Last-Modified" not in empty.headers
