"""GET /statements parameters are checked as values of the same type in statements (xAPI 1.0.3 Data
2.2.s4.b4), and the query filters follow Communication 2.1.3."""

from __future__ import annotations

import json
import time

import pytest

from tests.api.test_xapi_slice import statement


@pytest.mark.parametrize(
    "query",
    [
        {"verb": "not an iri"},
        {"verb": ""},
        {"activity": "example.com/no-scheme"},
        {"registration": "not-a-uuid"},
        {"agent": json.dumps({"name": "no identifier"})},
        {"agent": json.dumps({"mbox": "someone@example.com"})},
        {"agent": json.dumps({"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]})},
        {"agent": "not json"},
        {"since": "yesterday"},
        {"until": "2024-01-01T00:00:00-00:00"},
        {"since": "2024-01-01T00:00:00"},  # 2.0 timestamps need a time zone
        {"limit": "-1"},
        {"limit": "ten"},
        {"ascending": "maybe"},
        {"format": "Exact"},
        {"Verb": "http://example.com/v"},  # parameter names are case-sensitive
    ],
)
def test_invalid_parameters_are_rejected(client, xapi_headers, query):
    response = client.get("/xapi/statements", query_string=query, headers=xapi_headers)
    assert response.status_code == 400, response.json


def test_a_1_0_3_timestamp_parameter_without_zone_is_read_as_utc(client, xapi_headers):
    headers = {**xapi_headers, "X-Experience-API-Version": "1.0.3"}
    [statement_id] = client.post("/xapi/statements", json=statement(), headers=headers).json
    stored = client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=headers).json[
        "stored"
    ]
    naive = stored.removesuffix("Z")
    listed = client.get("/xapi/statements", query_string={"until": naive}, headers=headers).json
    assert [s["id"] for s in listed["statements"]] == [statement_id]
    assert (
        client.get("/xapi/statements", query_string={"since": naive}, headers=headers).json["statements"]
        == []
    )


def test_agent_matches_actor_object_and_group_members_and_related_agents_reach_further(client, xapi_headers):
    ana = {"objectType": "Agent", "mbox": "mailto:ana@example.com"}
    teacher = {"objectType": "Agent", "mbox": "mailto:teacher@example.com"}
    group = {"objectType": "Group", "name": "pair", "member": [ana, {"mbox": "mailto:bo@example.com"}]}
    as_actor, as_member, as_object, as_instructor = client.post(
        "/xapi/statements",
        json=[
            statement(actor=ana),
            statement(actor=group),
            statement(actor=teacher, object=ana),
            statement(actor=teacher, context={"instructor": ana}),
        ],
        headers=xapi_headers,
    ).json

    def ids(**query):
        query["agent"] = json.dumps({"mbox": "mailto:ana@example.com"})
        response = client.get("/xapi/statements", query_string=query, headers=xapi_headers)
        return sorted(s["id"] for s in response.json["statements"])

    assert ids() == sorted([as_actor, as_member, as_object])
    assert ids(related_agents="true") == sorted([as_actor, as_member, as_object, as_instructor])


def test_activity_matches_the_object_and_related_activities_the_context(client, xapi_headers):
    unit = {"objectType": "Activity", "id": "http://example.com/unit"}
    direct, in_context = client.post(
        "/xapi/statements",
        json=[statement(object=unit), statement(context={"contextActivities": {"parent": unit}})],
        headers=xapi_headers,
    ).json

    def ids(**query):
        response = client.get(
            "/xapi/statements", query_string={"activity": unit["id"], **query}, headers=xapi_headers
        )
        return sorted(s["id"] for s in response.json["statements"])

    assert ids() == [direct]
    assert ids(related_activities="true") == sorted([direct, in_context])


def test_since_is_exclusive_until_inclusive_and_ascending_reverses(client, xapi_headers):
    ids = []
    for _ in range(3):
        ids += client.post("/xapi/statements", json=statement(), headers=xapi_headers).json
        time.sleep(0.005)
    stored = [
        client.get("/xapi/statements", query_string={"statementId": i}, headers=xapi_headers).json["stored"]
        for i in ids
    ]

    def listed(**query):
        response = client.get("/xapi/statements", query_string=query, headers=xapi_headers)
        return [s["id"] for s in response.json["statements"]]

    assert listed(since=stored[0]) == [ids[2], ids[1]]
    assert listed(until=stored[1]) == [ids[1], ids[0]]
    assert listed(since=stored[0], until=stored[1]) == [ids[1]]
    assert listed(ascending="true") == ids
    assert listed(limit=1, ascending="true") == [ids[0]]
