"""Request bodies and JSON parameters are RFC 8259 JSON in UTF-8: NaN, Infinity and numbers beyond a
double are rejected (Python's json module would read them), integers beyond 64 bits read as doubles."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.test_xapi_slice import statement

NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999"]


@pytest.mark.parametrize("number", NOT_JSON_NUMBERS)
def test_statements_with_non_json_numbers_are_rejected(client, xapi_headers, number):
    body = json.dumps(statement(result={"score": {"raw": 1}})).replace('"raw": 1', f'"raw": {number}')
    response = client.post(
        "/xapi/statements", data=body, headers={**xapi_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    extension = json.dumps(statement(result={"extensions": {"http://example.com/x": 1}}))
    response = client.post(
        "/xapi/statements",
        data=extension.replace('x": 1', f'x": {number}'),
        headers={**xapi_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_statements_must_be_utf_8(client, xapi_headers):
    body = json.dumps(statement(), ensure_ascii=False)
    headers = {**xapi_headers, "Content-Type": "application/json"}
    assert client.post("/xapi/statements", data=body.encode("utf-16"), headers=headers).status_code == 400
    zoe = {"name": "Zoë", "mbox": "mailto:zoe@example.com"}
    latin1 = json.dumps(statement(actor=zoe, verb={"id": "http://example.com/v"}), ensure_ascii=False)
    assert client.post("/xapi/statements", data=latin1.encode(), headers=headers).status_code == 200
    latin1 = latin1.encode("latin-1")
    assert client.post("/xapi/statements", data=latin1, headers=headers).status_code == 400


def test_integers_beyond_64_bits_are_stored_as_doubles(client, xapi_headers):
    statement_id = str(uuid.uuid4())
    body = json.dumps(statement(id=statement_id, result={"extensions": {"http://example.com/n": 1}}))
    body = body.replace('n": 1', 'n": 123456789012345678901234567890')
    headers = {**xapi_headers, "Content-Type": "application/json"}
    assert client.post("/xapi/statements", data=body, headers=headers).status_code == 200
    fetched = client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=xapi_headers)
    assert fetched.json["result"]["extensions"]["http://example.com/n"] == pytest.approx(
        1.2345678901234568e29
    )


@pytest.mark.parametrize("number", NOT_JSON_NUMBERS)
def test_json_documents_with_non_json_numbers_are_rejected(client, xapi_headers, number):
    response = client.post(
        "/xapi/activities/profile",
        query_string={"activityId": "http://example.com/a", "profileId": "p"},
        data=f'{{"x": {number}}}',
        headers={**xapi_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_agent_parameters_are_strict_json(client, xapi_headers):
    agent = '{"mbox": "mailto:a@example.com", "name": NaN}'
    assert (
        client.get("/xapi/statements", query_string={"agent": agent}, headers=xapi_headers).status_code == 400
    )
    assert (
        client.get(
            "/xapi/agents/profile", query_string={"agent": agent, "profileId": "p"}, headers=xapi_headers
        ).status_code
        == 400
    )
