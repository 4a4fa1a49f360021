"""The LRS's first slice: About, storing and reading statements, Basic authentication, scopes."""

from __future__ import annotations

import time
import uuid

import pytest

from gateway.lrs import cursor
from gateway.lrs.cursor import CURSOR_LIFETIME_S
from tests.conftest import basic_auth

ACTOR = {
    "objectType": "Agent",
    "name": "生徒 一郎",
    "account": {"homePage": "https://id.school.example", "name": "s-001"},
}
VERB = {
    "id": "http://adlnet.gov/expapi/verbs/experienced",
    "display": {"en-US": "experienced", "ja": "学習した"},
}


def statement(**overrides) -> dict:
    body = {
        "actor": ACTOR,
        "verb": VERB,
        "object": {
            "id": "https://kakehashi.example/units/8451503311000000",
            "objectType": "Activity",
        },
    }
    body.update(overrides)
    return body


def test_about_lists_both_versions_without_authentication(client):
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.json["version"] == ["1.0.3", "2.0.0"]
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_post_then_get_a_statement(client, xapi_headers):
    posted = client.post("/xapi/statements", json=statement(), headers=xapi_headers)
    assert posted.status_code == 200
    [statement_id] = posted.json
    fetched = client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=xapi_headers)
    assert fetched.status_code == 200
    body = fetched.json
    assert body["id"] == statement_id
    assert body["actor"] == ACTOR
    assert body["version"] == "2.0.0"
    assert body["authority"]["account"]["homePage"] == "http://gateway.test"
    assert {"stored", "timestamp"} <= body.keys()
    assert fetched.headers["Last-Modified"]
    assert fetched.headers["X-Experience-API-Consistent-Through"]


def test_put_stores_under_the_given_id_and_is_idempotent(client, xapi_headers):
    statement_id = str(uuid.uuid4())
    body = statement()
    first = client.put(
        "/xapi/statements",
        query_string={"statementId": statement_id},
        json=body,
        headers=xapi_headers,
    )
    assert first.status_code == 204
    again = client.put(
        "/xapi/statements",
        query_string={"statementId": statement_id},
        json=body,
        headers=xapi_headers,
    )
    assert again.status_code == 204
    different = client.put(
        "/xapi/statements",
        query_string={"statementId": statement_id},
        json=statement(verb={"id": "http://adlnet.gov/expapi/verbs/completed"}),
        headers=xapi_headers,
    )
    assert different.status_code == 409


def test_query_returns_newest_first_and_pages_with_more(client, xapi_headers):
    ids = client.post("/xapi/statements", json=[statement() for _ in range(5)], headers=xapi_headers).json
    first = client.get("/xapi/statements", query_string={"limit": 3}, headers=xapi_headers)
    assert first.status_code == 200
    assert len(first.json["statements"]) == 3
    assert first.json["more"].startswith("/xapi/statements?more=")
    second = client.get(first.json["more"], headers=xapi_headers)
    assert len(second.json["statements"]) == 2
    assert second.json["more"] == ""
    seen = [s["id"] for s in first.json["statements"] + second.json["statements"]]
    assert sorted(seen) == sorted(ids)


def test_more_is_stable_while_statements_arrive_and_expires_after_a_day(client, xapi_headers, monkeypatch):
    older = client.post("/xapi/statements", json=[statement() for _ in range(4)], headers=xapi_headers).json
    first = client.get("/xapi/statements", query_string={"limit": 2}, headers=xapi_headers)
    client.post("/xapi/statements", json=[statement() for _ in range(3)], headers=xapi_headers)
    second = client.get(first.json["more"], headers=xapi_headers)
    assert [s["id"] for s in first.json["statements"] + second.json["statements"]] == older[::-1]

    issued = time.time()
    monkeypatch.setattr(cursor.time, "time", lambda: issued + CURSOR_LIFETIME_S - 60)
    assert client.get(first.json["more"], headers=xapi_headers).status_code == 200
    monkeypatch.setattr(cursor.time, "time", lambda: issued + CURSOR_LIFETIME_S + 60)
    expired = client.get(first.json["more"], headers=xapi_headers)
    assert expired.status_code == 400
    assert expired.json["error"]["details"] == {"parameter": "more"}


def test_a_batch_with_one_invalid_statement_stores_nothing(client, xapi_headers):
    batch = [statement(id=str(uuid.uuid4())) for _ in range(100)]
    batch[56] = statement(verb={"id": "not an iri"})
    response = client.post("/xapi/statements", json=batch, headers=xapi_headers)
    assert response.status_code == 400
    assert "statements[56]" in response.json["error"]["message"]
    listed = client.get("/xapi/statements", headers=xapi_headers)
    assert listed.json["statements"] == []


def test_missing_or_unsupported_version_header_is_rejected(client, make_credentials):
    auth = basic_auth(*make_credentials())
    assert client.get("/xapi/statements", headers=auth).status_code == 400
    unsupported = client.get("/xapi/statements", headers={**auth, "X-Experience-API-Version": "0.95"})
    assert unsupported.status_code == 400
    assert (
        client.get("/xapi/statements", headers={**auth, "X-Experience-API-Version": "1.0.1"}).headers[
            "X-Experience-API-Version"
        ]
        == "1.0.3"
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic_auth("nobody", "nothing"),
        {"Authorization": "Bearer abc"},
    ],
)
def test_wrong_credentials_get_401_with_a_challenge(client, headers):
    response = client.get("/xapi/statements", headers={**headers, "X-Experience-API-Version": "2.0.0"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_scopes_limit_what_a_client_may_do(client, make_credentials):
    writer = {
        **basic_auth(*make_credentials("statements/write")),
        "X-Experience-API-Version": "2.0.0",
    }
    assert client.post("/xapi/statements", json=statement(), headers=writer).status_code == 200
    forbidden = client.get("/xapi/statements", headers=writer)
    assert forbidden.status_code == 403
    assert forbidden.json["error"]["code"] == "insufficient_scope"
    reader = {
        **basic_auth(*make_credentials("statements/read")),
        "X-Experience-API-Version": "2.0.0",
    }
    assert client.post("/xapi/statements", json=statement(), headers=reader).status_code == 403
    assert len(client.get("/xapi/statements", headers=reader).json["statements"]) == 1


def test_read_mine_sees_only_its_own_statements(client, make_credentials):
    mine = {
        **basic_auth(*make_credentials("statements/write statements/read/mine")),
        "X-Experience-API-Version": "2.0.0",
    }
    other = {
        **basic_auth(*make_credentials("statements/write")),
        "X-Experience-API-Version": "2.0.0",
    }
    [own_id] = client.post("/xapi/statements", json=statement(), headers=mine).json
    [other_id] = client.post("/xapi/statements", json=statement(), headers=other).json
    listed = client.get("/xapi/statements", headers=mine).json["statements"]
    assert [s["id"] for s in listed] == [own_id]
    hidden = client.get("/xapi/statements", query_string={"statementId": other_id}, headers=mine)
    assert hidden.status_code == 404


def test_unknown_query_parameter_is_rejected(client, xapi_headers):
    response = client.get("/xapi/statements", query_string={"colour": "blue"}, headers=xapi_headers)
    assert response.status_code == 400
    assert "colour" in response.json["error"]["details"]


def test_voided_statements_move_to_voidedStatementId(client, xapi_headers):
    [target] = client.post("/xapi/statements", json=statement(), headers=xapi_headers).json
    voiding = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target},
    )
    assert client.post("/xapi/statements", json=voiding, headers=xapi_headers).status_code == 200
    assert (
        client.get("/xapi/statements", query_string={"statementId": target}, headers=xapi_headers).status_code
        == 404
    )
    voided = client.get("/xapi/statements", query_string={"voidedStatementId": target}, headers=xapi_headers)
    assert voided.status_code == 200
    assert voided.json["id"] == target
