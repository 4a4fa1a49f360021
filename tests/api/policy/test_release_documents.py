"""State and Agent Profile documents about a roster user leave the gateway only as the policy
allows (category xapi.document, identified form only); Activity Profile documents and documents of
agents unknown to the roster are released per scope, as before the policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.policy.test_release_matrix import seed
from tests.conftest import basic_auth

ACTIVITY = "https://kakehashi.example/units/8451503311000000"
STUDENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://id.d122299000010.kakehashi.example", "name": "stu-strict"},
}
STRANGER = {"objectType": "Agent", "mbox": "mailto:stranger@example.org"}
V = {"X-Experience-API-Version": "2.0.0"}


@pytest.fixture
def documents(app, client, make_credentials):
    """One State and one Agent Profile document of the strict-profile student and of a stranger,
    and one Activity Profile document."""
    seed(app)
    writer = {**basic_auth(*make_credentials("all")), **V}
    for agent in (STUDENT, STRANGER):
        state = {"activityId": ACTIVITY, "agent": json.dumps(agent), "stateId": "progress"}
        assert (
            client.put(
                "/xapi/activities/state", query_string=state, json={"unit": 3}, headers=writer
            ).status_code
            == 204
        )
        profile = {"agent": json.dumps(agent), "profileId": "prefs"}
        assert (
            client.put(
                "/xapi/agents/profile", query_string=profile, json={"lang": "ja"}, headers=writer
            ).status_code
            == 204
        )
    activity = {"activityId": ACTIVITY, "profileId": "meta"}
    assert (
        client.put(
            "/xapi/activities/profile", query_string=activity, json={"x": 1}, headers=writer
        ).status_code
        == 204
    )


def reader(make_credentials, role: str) -> dict:
    return {**basic_auth(*make_credentials("state profile", role=role)), **V}


def state(agent, state_id="progress"):
    params = {"activityId": ACTIVITY, "agent": json.dumps(agent)}
    return params | ({"stateId": state_id} if state_id else {})


def agent_profile(agent, profile_id="prefs"):
    return {"agent": json.dumps(agent)} | ({"profileId": profile_id} if profile_id else {})


READS = [
    pytest.param("/xapi/activities/state", state, id="state"),
    pytest.param("/xapi/agents/profile", agent_profile, id="agent-profile"),
]


@pytest.mark.parametrize(("path", "params"), READS)
def test_a_withheld_document_answers_as_if_absent(client, documents, make_credentials, path, params):
    # strict profile: xapi.document is tier III, which a third party gets only as an aggregate
    headers = reader(make_credentials, "third_party")
    for method in (client.get, client.head):
        response = method(path, query_string=params(STUDENT), headers=headers)
        assert response.status_code == 404
        assert response.headers["X-Kakehashi-Withheld"] == "xapi.document=1"
        assert 'rel="decision"' in response.headers["Link"]
    # a missing document of the same student answers the same way
    missing = client.get(path, query_string=params(STUDENT, "nothing-here"), headers=headers)
    assert missing.status_code == 404 and missing.headers["X-Kakehashi-Withheld"] == "xapi.document=1"
    listing = client.get(path, query_string=params(STUDENT, None), headers=headers)
    assert listing.status_code == 200 and listing.json == []
    assert listing.headers["X-Kakehashi-Withheld"] == "xapi.document=1"


@pytest.mark.parametrize(("path", "params"), READS)
def test_an_allowed_document_is_released_and_audited(app, client, documents, make_credentials, path, params):
    headers = reader(make_credentials, "provider")  # tier III to a provider: identified
    response = client.get(path, query_string=params(STUDENT), headers=headers)
    assert response.status_code == 200 and response.json
    assert response.headers["X-Kakehashi-Withheld"] == "none"
    head = client.head(path, query_string=params(STUDENT), headers=headers)
    assert head.status_code == 200 and head.headers["ETag"] == response.headers["ETag"]
    listing = client.get(path, query_string=params(STUDENT, None), headers=headers)
    assert len(listing.json) == 1
    entry_id = listing.headers["X-Kakehashi-Decision"]
    with app.app_context():
        from gateway.policy.audit import drain_journal

        drain_journal()
    audit = client.get(
        f"/audit/{entry_id}", headers=basic_auth(*make_credentials("audit.read", role="board"))
    )
    assert audit.status_code == 200, audit.json
    assert audit.json["categories"] == ["xapi.document"]


@pytest.mark.parametrize(("path", "params"), READS)
def test_a_consent_releases_the_student_s_documents_to_their_app(
    app, client, documents, make_credentials, path, params
):
    from gateway.policy.consent import grant_consent

    client_id, secret = make_credentials("state profile", role="student_app")
    headers = {**basic_auth(client_id, secret), **V}
    assert client.get(path, query_string=params(STUDENT), headers=headers).status_code == 404
    now = datetime.now(UTC)
    with app.app_context():
        grant_consent(
            subject="stu-strict", granted_by="stu-strict", granted_by_role="student", recipient_client_id=client_id,
            purpose="learning-support", categories=["xapi.document"],
            valid_from=now - timedelta(minutes=1), valid_until=now + timedelta(days=1),
        )  # fmt: skip
    assert client.get(path, query_string=params(STUDENT), headers=headers).status_code == 200


@pytest.mark.parametrize(("path", "params"), READS)
def test_documents_of_agents_unknown_to_the_roster_are_released_per_scope(
    client, documents, make_credentials, path, params
):
    headers = reader(make_credentials, "third_party")
    response = client.get(path, query_string=params(STRANGER), headers=headers)
    assert response.status_code == 200
    assert "X-Kakehashi-Withheld" not in response.headers
    assert client.get(path, query_string=params(STRANGER, None), headers=headers).json == [
        params(STRANGER)["stateId" if "stateId" in params(STRANGER) else "profileId"]
    ]


def test_activity_profile_documents_have_no_subject(client, documents, make_credentials):
    headers = reader(make_credentials, "third_party")
    response = client.get(
        "/xapi/activities/profile",
        query_string={"activityId": ACTIVITY, "profileId": "meta"},
        headers=headers,
    )
    assert response.status_code == 200 and "X-Kakehashi-Withheld" not in response.headers


def test_a_group_naming_a_student_is_decided_for_that_student(client, documents, make_credentials):
    group = {"objectType": "Group", "mbox": "mailto:team@example.org", "member": [STUDENT]}
    writer = {**basic_auth(*make_credentials("all")), **V}
    params = {"activityId": ACTIVITY, "agent": json.dumps(group), "stateId": "team"}
    assert (
        client.put("/xapi/activities/state", query_string=params, json={"t": 1}, headers=writer).status_code
        == 204
    )
    response = client.get(
        "/xapi/activities/state", query_string=params, headers=reader(make_credentials, "third_party")
    )
    assert response.status_code == 404
