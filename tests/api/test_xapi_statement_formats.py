"""GET /statements?format=: ids keep identifiers only; canonical returns the LRS's canonical
Activity definitions with one language per map, chosen by Accept-Language (xAPI 1.0.3
Communication 2.1.3, 2.0 4.1.6.1)."""

from __future__ import annotations

import uuid

from tests.api.test_xapi_slice import statement

ACTIVITY_ID = "http://example.com/courses/" + "algebra"


def _activity(names: dict) -> dict:
    return {"objectType": "Activity", "id": ACTIVITY_ID, "definition": {"name": names}}


def test_canonical_returns_the_merged_definition_in_the_accepted_language(client, xapi_headers):
    first = statement(id=str(uuid.uuid4()), object=_activity({"en-US": "Algebra", "en-GB": "Algebra (UK)"}))
    client.post("/xapi/statements", json=first, headers=xapi_headers)
    # A later statement teaches the LRS the Japanese name of the same Activity.
    client.post("/xapi/statements", json=statement(object=_activity({"ja": "代数"})), headers=xapi_headers)

    def shown(accept_language: str, statement_format: str = "canonical") -> dict:
        return client.get(
            "/xapi/statements",
            query_string={"statementId": first["id"], "format": statement_format},
            headers={**xapi_headers, "Accept-Language": accept_language},
        ).json

    assert shown("ja, en;q=0.5")["object"]["definition"]["name"] == {"ja": "代数"}
    assert shown("fr;q=0.9, en-GB;q=0.8")["object"]["definition"]["name"] == {"en-GB": "Algebra (UK)"}
    assert shown("ja;q=0, en-US")["verb"]["display"] == {"en-US": "experienced"}
    assert shown("ja", "exact")["object"] == first["object"]
    listed = client.get(
        "/xapi/statements",
        query_string={"format": "canonical", "activity": ACTIVITY_ID},
        headers={**xapi_headers, "Accept-Language": "ja"},
    ).json["statements"]
    assert [s["object"]["definition"]["name"] for s in listed] == [{"ja": "代数"}, {"ja": "代数"}]


def test_ids_reduce_activities_to_their_id(client, xapi_headers):
    body = statement(id=str(uuid.uuid4()), object=_activity({"en-US": "Algebra"}))
    client.post("/xapi/statements", json=body, headers=xapi_headers)
    shown = client.get(
        "/xapi/statements", query_string={"statementId": body["id"], "format": "ids"}, headers=xapi_headers
    ).json
    assert shown["object"] == {"id": ACTIVITY_ID}
    assert shown["verb"] == {"id": body["verb"]["id"]}
    assert shown["actor"] == {"objectType": "Agent", "account": body["actor"]["account"]}
