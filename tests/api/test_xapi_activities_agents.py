"""The xAPI Activities resource (canonical Activities merged from statements) and Agents resource
(Person objects)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import basic_auth

ACTIVITY_ID = "http://www.example.com/meetings/occurances/34534"
MEETING = {
    "objectType": "Activity",
    "id": ACTIVITY_ID,
    "definition": {
        "type": "http://adlnet.gov/expapi/activities/meeting",
        "name": {"en-GB": "example meeting", "en-US": "example meeting"},
        "description": {"en-US": "An example meeting."},
        "moreInfo": "http://virtualmeeting.example.com/345256",
        "extensions": {"http://example.com/profiles/meetings/extension/location": "X:\\meetings\\minutes"},
    },
}
ACTOR = {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"}
VERB = {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}}


def statement(target: dict, actor: dict = ACTOR, **extra) -> dict:
    return {"actor": actor, "verb": VERB, "object": target, **extra}


def headers_for(make_credentials, scope: str, version: str = "2.0.0") -> dict:
    return {**basic_auth(*make_credentials(scope=scope)), "X-Experience-API-Version": version}


def get_activity(client, headers, activity_id: str = ACTIVITY_ID):
    return client.get("/xapi/activities", query_string={"activityId": activity_id}, headers=headers)


def get_person(client, headers, agent: dict):
    return client.get("/xapi/agents", query_string={"agent": json.dumps(agent)}, headers=headers)


# -- Activities ---------------------------------------------------------------------------------------


def test_an_activity_is_returned_as_its_statement_defined_it(client, xapi_headers):
    assert client.post("/xapi/statements", json=statement(MEETING), headers=xapi_headers).status_code == 200
    response = get_activity(client, xapi_headers)
    assert response.status_code == 200
    assert response.json == MEETING


def test_an_unknown_activity_is_still_an_activity(client, xapi_headers):
    unknown = "http://www.example.com/never-before-seen"
    response = get_activity(client, xapi_headers, unknown)
    assert response.status_code == 200
    assert response.json == {"objectType": "Activity", "id": unknown}


def test_definitions_from_several_statements_are_merged(client, xapi_headers):
    french = {
        "id": ACTIVITY_ID,
        "definition": {
            "name": {"fr-FR": "réunion"},
            "type": "http://example.com/another-type",
            "extensions": {"http://example.com/ext/room": "B-12"},
        },
    }
    batch = [statement(MEETING), statement(french)]
    assert client.post("/xapi/statements", json=batch, headers=xapi_headers).status_code == 200
    definition = get_activity(client, xapi_headers).json["definition"]
    assert definition["name"] == {"en-GB": "example meeting", "en-US": "example meeting", "fr-FR": "réunion"}
    # What the activity is stays as first defined (xAPI Data 2.4.4.1: no significant changes).
    assert definition["type"] == MEETING["definition"]["type"]
    assert definition["extensions"] == {
        **MEETING["definition"]["extensions"],
        "http://example.com/ext/room": "B-12",
    }
    # A later statement corrects a spelling.
    corrected = {"id": ACTIVITY_ID, "definition": {"name": {"en-US": "Example meeting"}}}
    client.post("/xapi/statements", json=statement(corrected), headers=xapi_headers)
    assert get_activity(client, xapi_headers).json["definition"]["name"]["en-US"] == "Example meeting"


def test_context_and_sub_statement_activities_are_recorded(client, xapi_headers):
    parent = {"id": "http://www.example.com/courses/1", "definition": {"name": {"en": "Course"}}}
    inner = {"id": "http://www.example.com/lessons/1", "definition": {"name": {"en": "Lesson"}}}
    sub = {"objectType": "SubStatement", "actor": ACTOR, "verb": VERB, "object": inner}
    body = statement(sub, context={"contextActivities": {"parent": [parent]}})
    assert client.post("/xapi/statements", json=body, headers=xapi_headers).status_code == 200
    assert get_activity(client, xapi_headers, parent["id"]).json["definition"] == parent["definition"]
    assert get_activity(client, xapi_headers, inner["id"]).json["definition"] == inner["definition"]


def test_interaction_components_merge_by_id(client, xapi_headers):
    def choice(*components):
        return {
            "id": "http://www.example.com/questions/1",
            "definition": {
                "interactionType": "choice",
                "correctResponsesPattern": ["a"],
                "choices": [{"id": key, "description": text} for key, text in components],
            },
        }

    client.post(
        "/xapi/statements",
        json=[
            statement(choice(("a", {"en": "Apple"}), ("b", {"en": "Banana"}))),
            statement(choice(("a", {"ja": "りんご"}), ("c", {"en": "Cherry"}))),
        ],
        headers=xapi_headers,
    )
    definition = get_activity(client, xapi_headers, "http://www.example.com/questions/1").json["definition"]
    assert definition["choices"] == [
        {"id": "a", "description": {"en": "Apple", "ja": "りんご"}},
        {"id": "b", "description": {"en": "Banana"}},
        {"id": "c", "description": {"en": "Cherry"}},
    ]


def test_without_the_define_scope_only_the_id_is_recorded(client, xapi_headers, make_credentials):
    writer = headers_for(make_credentials, "statements/write statements/read")
    assert client.post("/xapi/statements", json=statement(MEETING), headers=writer).status_code == 200
    assert get_activity(client, writer).json == {"objectType": "Activity", "id": ACTIVITY_ID}
    # A client holding `define` then defines it.
    definer = headers_for(make_credentials, "statements/write define")
    client.post("/xapi/statements", json=statement(MEETING), headers=definer)
    assert get_activity(client, definer).json == MEETING


def test_a_rejected_batch_defines_nothing(client, xapi_headers):
    bad = statement({"id": "http://www.example.com/other"}, verb={"id": "not an iri"})
    response = client.post("/xapi/statements", json=[statement(MEETING), bad], headers=xapi_headers)
    assert response.status_code == 400
    assert "definition" not in get_activity(client, xapi_headers).json


@pytest.mark.parametrize("query", [{}, {"activityId": "true"}, {"activityId": ACTIVITY_ID, "extra": "1"}])
def test_bad_activity_queries_are_400(client, xapi_headers, query):
    assert client.get("/xapi/activities", query_string=query, headers=xapi_headers).status_code == 400


def test_activities_need_an_xapi_read_scope(client, make_credentials):
    assert get_activity(client, headers_for(make_credentials, "statements/write")).status_code == 403
    assert get_activity(client, headers_for(make_credentials, "state")).status_code == 200
    assert get_activity(client, headers_for(make_credentials, "all/read", "1.0.3")).status_code == 200


# -- Agents -------------------------------------------------------------------------------------------


def test_an_unknown_agent_is_a_person_with_what_was_asked(client, xapi_headers):
    agent = {"objectType": "Agent", "account": {"homePage": "https://id.school.example", "name": "s-404"}}
    response = get_person(client, xapi_headers, agent)
    assert response.status_code == 200
    assert response.json == {"objectType": "Person", "account": [agent["account"]]}


@pytest.mark.parametrize(
    "actor",
    [
        {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"},
        {"name": "xAPI sha1", "mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
        {"name": "xAPI openid", "openid": "http://openid.example.org/12345"},
        {
            "name": "xAPI account",
            "account": {"homePage": "http://www.example.com", "name": "xAPI account name"},
        },
    ],
)
def test_person_properties_are_arrays(client, xapi_headers, actor):
    client.post("/xapi/statements", json=statement(MEETING, actor=actor), headers=xapi_headers)
    person = get_person(client, xapi_headers, actor).json
    identifier = next(name for name in ("mbox", "mbox_sha1sum", "openid", "account") if name in actor)
    assert person == {"objectType": "Person", "name": [actor["name"]], identifier: [actor[identifier]]}


def test_person_gathers_the_names_statements_gave_the_agent(client, xapi_headers):
    account = {"homePage": "https://id.school.example", "name": "s-001"}
    for name in ("生徒 一郎", "Ichiro Seito"):
        client.post(
            "/xapi/statements",
            json=statement(MEETING, actor={"name": name, "account": account}),
            headers=xapi_headers,
        )
    as_object = statement({"objectType": "Agent", "name": "いちろう", "account": account})
    client.post("/xapi/statements", json=as_object, headers=xapi_headers)
    person = get_person(client, xapi_headers, {"account": account}).json
    assert sorted(person["name"]) == sorted(["生徒 一郎", "Ichiro Seito", "いちろう"])
    assert person["account"] == [account]


def test_person_names_respect_what_the_client_may_read(client, xapi_headers, make_credentials):
    account = {"homePage": "https://id.school.example", "name": "s-002"}
    client.post(
        "/xapi/statements",
        json=statement(MEETING, actor={"name": "Secret", "account": account}),
        headers=xapi_headers,
    )
    mine_only = headers_for(make_credentials, "statements/read/mine statements/write")
    assert get_person(client, mine_only, {"account": account}).json == {
        "objectType": "Person",
        "account": [account],
    }
    state_only = headers_for(make_credentials, "state")
    assert "name" not in get_person(client, state_only, {"account": account}).json
    reader = headers_for(make_credentials, "statements/read")
    assert get_person(client, reader, {"account": account}).json["name"] == ["Secret"]


@pytest.mark.parametrize(
    "agent",
    [
        {"objectType": "Agent", "name": "no identifier"},
        {"objectType": "Group", "mbox": "mailto:class@school.example"},
        {"mbox": "xapi@adlnet.gov"},
    ],
)
def test_bad_agents_are_400(client, xapi_headers, agent):
    assert get_person(client, xapi_headers, agent).status_code == 400


def test_agents_needs_the_agent_parameter(client, xapi_headers):
    assert client.get("/xapi/agents", headers=xapi_headers).status_code == 400
    assert (
        client.get("/xapi/agents", query_string={"agent": "not json"}, headers=xapi_headers).status_code
        == 400
    )


def test_head_is_answered_like_get(client, xapi_headers):
    response = client.head("/xapi/activities", query_string={"activityId": ACTIVITY_ID}, headers=xapi_headers)
    assert response.status_code == 200
    assert response.data == b""
