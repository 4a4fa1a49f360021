"""HEAD on every xAPI resource answers as GET would, without the body (xAPI 1.0.3 Communication
1.1, 2.0 4.1.1), errors included."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.test_xapi_slice import ACTOR, statement

ACTIVITY = "http://example.com/head/activity"
AGENT = json.dumps(ACTOR)
VOLATILE = {"Date", "X-Request-ID", "X-Experience-API-Consistent-Through"}


@pytest.fixture
def stored(client, xapi_headers) -> str:
    statement_id = str(uuid.uuid4())
    body = statement(id=statement_id, object={"id": ACTIVITY, "definition": {"name": {"en": "head"}}})
    assert client.post("/xapi/statements", json=body, headers=xapi_headers).status_code == 200
    for path, query in [
        ("/xapi/activities/state", {"activityId": ACTIVITY, "agent": AGENT, "stateId": "s"}),
        ("/xapi/activities/profile", {"activityId": ACTIVITY, "profileId": "p"}),
        ("/xapi/agents/profile", {"agent": AGENT, "profileId": "p"}),
    ]:
        response = client.put(
            path, query_string=query, json={"a": 1}, headers={**xapi_headers, "If-None-Match": "*"}
        )
        assert response.status_code == 204
    return statement_id


def _queries(statement_id: str) -> list[tuple[str, dict]]:
    return [
        ("/xapi/about", {}),
        ("/xapi/statements", {}),
        ("/xapi/statements", {"statementId": statement_id}),
        ("/xapi/statements", {"statementId": statement_id, "attachments": "true"}),
        ("/xapi/statements", {"statementId": str(uuid.uuid4())}),  # 404
        ("/xapi/statements", {"verb": "not an iri"}),  # 400
        ("/xapi/activities", {"activityId": ACTIVITY}),
        ("/xapi/agents", {"agent": AGENT}),
        ("/xapi/activities/state", {"activityId": ACTIVITY, "agent": AGENT, "stateId": "s"}),
        ("/xapi/activities/state", {"activityId": ACTIVITY, "agent": AGENT}),
        ("/xapi/activities/profile", {"activityId": ACTIVITY, "profileId": "p"}),
        ("/xapi/activities/profile", {"activityId": ACTIVITY}),
        ("/xapi/agents/profile", {"agent": AGENT, "profileId": "p"}),
        ("/xapi/agents/profile", {"agent": AGENT, "profileId": "missing"}),  # 404
    ]


def test_head_answers_as_get_without_a_body(client, xapi_headers, stored):
    for path, query in _queries(stored):
        got = client.get(path, query_string=query, headers=xapi_headers)
        head = client.head(path, query_string=query, headers=xapi_headers)
        assert head.status_code == got.status_code, (path, query)
        assert head.data == b"", (path, query)
        got_headers = {k: v for k, v in got.headers.items() if k not in VOLATILE}
        head_headers = {k: v for k, v in head.headers.items() if k not in VOLATILE}
        if got.mimetype == "multipart/mixed":  # a fresh boundary per response
            got_headers.pop("Content-Type"), got_headers.pop("Content-Length")
            head_headers.pop("Content-Type"), head_headers.pop("Content-Length")
            assert head.mimetype == "multipart/mixed"
        assert head_headers == got_headers, (path, query)
