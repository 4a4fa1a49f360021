"""The form statements are stored and returned in: context activities as arrays (xAPI 1.0.3 Data
2.4.6.2.s4.b3), timestamps converted to UTC (1.0.3 Data 4.5.s1.b6, 2.0 4.2.7), and what counts as
the same statement when an id is sent again."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_xapi_slice import statement

PARENT = {"id": "http://example.com/courses/algebra", "objectType": "Activity"}


def _stored(client, headers, body: dict) -> dict:
    statement_id = str(uuid.uuid4())
    response = client.put(
        "/xapi/statements", query_string={"statementId": statement_id}, json=body, headers=headers
    )
    assert response.status_code == 204, response.json
    return client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=headers).json


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_a_single_context_activity_is_returned_as_an_array(client, xapi_headers, version):
    headers = {**xapi_headers, "X-Experience-API-Version": version}
    kinds = {"parent": PARENT, "grouping": PARENT, "category": [PARENT], "other": PARENT}
    sub = {
        "objectType": "SubStatement",
        **statement(context={"contextActivities": {"parent": PARENT}}),
    }
    fetched = _stored(client, headers, statement(object=sub, context={"contextActivities": kinds}))
    assert fetched["context"]["contextActivities"] == {kind: [PARENT] for kind in kinds}
    assert fetched["object"]["context"]["contextActivities"] == {"parent": [PARENT]}


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_timestamps_are_stored_in_utc(client, xapi_headers, version):
    headers = {**xapi_headers, "X-Experience-API-Version": version}
    sub = {"objectType": "SubStatement", **statement(timestamp="2023-05-04T21:00:00.5+09:00")}
    fetched = _stored(client, headers, statement(timestamp="2023-05-04T12:00:00.123456-05:00", object=sub))
    assert fetched["timestamp"] == "2023-05-04T17:00:00.123456Z"
    assert fetched["object"]["timestamp"] == "2023-05-04T12:00:00.5Z"


def test_a_1_0_3_timestamp_without_time_zone_is_kept(client, xapi_headers):
    headers = {**xapi_headers, "X-Experience-API-Version": "1.0.3"}
    fetched = _stored(client, headers, statement(timestamp="2023-05-04T12:00:00.123"))
    assert fetched["timestamp"] == "2023-05-04T12:00:00.123"


def test_a_statement_sent_again_in_another_form_is_the_same_statement(client, xapi_headers):
    statement_id = str(uuid.uuid4())
    first = statement(
        timestamp="2023-05-04T12:00:00-05:00", context={"contextActivities": {"parent": PARENT}}
    )
    again = statement(timestamp="2023-05-04T17:00:00Z", context={"contextActivities": {"parent": [PARENT]}})
    for body in (first, again):
        response = client.put(
            "/xapi/statements", query_string={"statementId": statement_id}, json=body, headers=xapi_headers
        )
        assert response.status_code == 204
    later = statement(timestamp="2023-05-04T17:00:01Z")
    response = client.put(
        "/xapi/statements", query_string={"statementId": statement_id}, json=later, headers=xapi_headers
    )
    assert response.status_code == 409
