"""The xAPI document resources: State, Activity Profile and Agent Profile, in xAPI 1.0.3 and 2.0."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import basic_auth

ACTIVITY = "https://kakehashi.example/units/8451503311000000"
AGENT = {"objectType": "Agent", "account": {"homePage": "https://id.school.example", "name": "s-001"}}
STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"


def state_params(state_id: str | None = None, **overrides) -> dict:
    params = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": state_id or str(uuid.uuid4())}
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def activity_profile_params(profile_id: str | None = None) -> dict:
    return {"activityId": ACTIVITY, "profileId": profile_id or str(uuid.uuid4())}


def agent_profile_params(profile_id: str | None = None) -> dict:
    return {"agent": json.dumps(AGENT), "profileId": profile_id or str(uuid.uuid4())}


RESOURCES = [
    pytest.param(STATE, state_params, id="state"),
    pytest.param(ACTIVITY_PROFILE, activity_profile_params, id="activity-profile"),
    pytest.param(AGENT_PROFILE, agent_profile_params, id="agent-profile"),
]


@pytest.fixture
def headers_1_0_3(xapi_headers):
    return {**xapi_headers, "X-Experience-API-Version": "1.0.3"}


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_a_document_is_returned_as_stored_with_its_etag_and_last_modified(client, xapi_headers, path, params):
    query = params()
    content = b"\x00\x01binary \xe6\x97\xa5\xe6\x9c\xac"
    stored = client.put(
        path,
        query_string=query,
        data=content,
        headers={**xapi_headers, "Content-Type": "application/x-kakehashi; v=1", "If-None-Match": "*"},
    )
    assert stored.status_code == 204
    fetched = client.get(path, query_string=query, headers=xapi_headers)
    assert fetched.status_code == 200
    assert fetched.data == content
    assert fetched.headers["Content-Type"] == "application/x-kakehashi; v=1"
    assert fetched.headers["ETag"] == '"' + hashlib.sha1(content).hexdigest() + '"'
    assert fetched.headers["Last-Modified"]
    assert fetched.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_post_merges_top_level_properties_of_json_objects(client, xapi_headers, path, params):
    query = params()
    first = {"x": "foo", "y": "bar", "nested": {"a": 1, "b": 2}}
    assert client.post(path, query_string=query, json=first, headers=xapi_headers).status_code == 204
    second = {"x": "bash", "z": "faz", "nested": {"c": 3}}
    assert client.post(path, query_string=query, json=second, headers=xapi_headers).status_code == 204
    fetched = client.get(path, query_string=query, headers=xapi_headers)
    assert fetched.json == {"x": "bash", "y": "bar", "nested": {"c": 3}, "z": "faz"}
    assert fetched.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("existing", "existing_type", "posted", "posted_type"),
    [
        pytest.param(b'{"a": 1}', "application/json", b"abcdefg", "not/json", id="posted-not-json"),
        pytest.param(
            b"/ asdf /", "application/octet-stream", b'{"a": 2}', "application/json", id="stored-not-json"
        ),
        pytest.param(
            b'{"a": 1}', "application/json", b'{"a": 2}{', "application/json", id="posted-invalid-json"
        ),
        pytest.param(b'{"a": 1}', "application/json", b"[1, 2]", "application/json", id="posted-array"),
        pytest.param(b"[1]", "application/json", b'{"a": 2}', "application/json", id="stored-array"),
        pytest.param(b'{"a": 1}', "application/json", b"a=b", "application/x-www-form-urlencoded", id="form"),
    ],
)
def test_post_that_cannot_merge_is_400_and_changes_nothing(
    client, xapi_headers, existing, existing_type, posted, posted_type
):
    query = state_params()
    put = client.put(
        STATE, query_string=query, data=existing, headers={**xapi_headers, "Content-Type": existing_type}
    )
    assert put.status_code == 204
    response = client.post(
        STATE, query_string=query, data=posted, headers={**xapi_headers, "Content-Type": posted_type}
    )
    assert response.status_code == 400
    assert client.get(STATE, query_string=query, headers=xapi_headers).data == existing


def test_post_to_a_new_document_stores_it_as_put_would(client, xapi_headers):
    query = state_params()
    response = client.post(
        STATE, query_string=query, data=b"plain text", headers={**xapi_headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 204
    fetched = client.get(STATE, query_string=query, headers=xapi_headers)
    assert (fetched.data, fetched.headers["Content-Type"]) == (b"plain text", "text/plain")


def test_a_json_document_must_be_json(client, xapi_headers):
    response = client.put(
        STATE,
        query_string=state_params(),
        data=b"{nope",
        headers={**xapi_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_missing_document_is_404_and_deleting_it_is_204(client, xapi_headers):
    query = state_params()
    assert client.get(STATE, query_string=query, headers=xapi_headers).status_code == 404
    assert client.delete(STATE, query_string=query, headers=xapi_headers).status_code == 204
    profile = activity_profile_params()
    assert client.get(ACTIVITY_PROFILE, query_string=profile, headers=xapi_headers).status_code == 404
    assert client.delete(ACTIVITY_PROFILE, query_string=profile, headers=xapi_headers).status_code == 204


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_delete_removes_the_document(client, xapi_headers, path, params):
    query = params()
    client.post(path, query_string=query, json={"a": 1}, headers=xapi_headers)
    assert client.delete(path, query_string=query, headers=xapi_headers).status_code == 204
    assert client.get(path, query_string=query, headers=xapi_headers).status_code == 404


# -- listing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "id_parameter"),
    [
        pytest.param(STATE, state_params, "stateId", id="state"),
        pytest.param(ACTIVITY_PROFILE, activity_profile_params, "profileId", id="activity-profile"),
        pytest.param(AGENT_PROFILE, agent_profile_params, "profileId", id="agent-profile"),
    ],
)
def test_get_without_id_lists_ids_and_since_is_exclusive(client, xapi_headers, path, params, id_parameter):
    early, late = params("early"), params("late")
    client.post(path, query_string=early, json={"n": 1}, headers=xapi_headers)
    time.sleep(0.01)
    client.post(path, query_string=late, json={"n": 2}, headers=xapi_headers)
    late_modified = client.get(path, query_string=late, headers=xapi_headers).headers["Last-Modified"]
    listing = {name: value for name, value in early.items() if name != id_parameter}

    everything = client.get(path, query_string=listing, headers=xapi_headers)
    assert everything.status_code == 200
    assert sorted(everything.json) == ["early", "late"]
    assert everything.headers["ETag"].startswith('"')
    assert everything.headers["Last-Modified"] == late_modified

    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert sorted(client.get(path, query_string={**listing, "since": past}, headers=xapi_headers).json) == [
        "early",
        "late",
    ]
    future = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert client.get(path, query_string={**listing, "since": future}, headers=xapi_headers).json == []


def test_since_must_be_a_timestamp(client, xapi_headers):
    listing = {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}
    for since in ("not a timestamp", "true", "2024-01-01T00:00:00"):
        response = client.get(STATE, query_string={**listing, "since": since}, headers=xapi_headers)
        assert response.status_code == 400, since


def test_since_with_a_state_id_is_refused_in_2_0_and_ignored_in_1_0_3(client, xapi_headers, headers_1_0_3):
    query = state_params()
    client.post(STATE, query_string=query, json={"a": 1}, headers=xapi_headers)
    with_since = {**query, "since": "2020-01-01T00:00:00Z"}
    assert client.get(STATE, query_string=with_since, headers=xapi_headers).status_code == 400
    assert client.get(STATE, query_string=with_since, headers=headers_1_0_3).status_code == 200


def test_states_are_kept_apart_by_registration(client, xapi_headers):
    registration = str(uuid.uuid4())
    client.post(STATE, query_string=state_params("plain"), json={"r": None}, headers=xapi_headers)
    client.post(
        STATE,
        query_string=state_params("registered", registration=registration),
        json={"r": 1},
        headers=xapi_headers,
    )
    # The same stateId under a registration is another document.
    assert client.get(STATE, query_string=state_params("registered"), headers=xapi_headers).status_code == 404
    listing = {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}
    assert sorted(client.get(STATE, query_string=listing, headers=xapi_headers).json) == [
        "plain",
        "registered",
    ]
    only = client.get(
        STATE, query_string={**listing, "registration": registration.upper()}, headers=xapi_headers
    )
    assert only.json == ["registered"]


def test_delete_without_state_id_deletes_the_context(client, xapi_headers):
    registration = str(uuid.uuid4())
    for state_id in ("a", "b"):
        client.post(STATE, query_string=state_params(state_id), json={}, headers=xapi_headers)
    client.post(
        STATE, query_string=state_params("c", registration=registration), json={}, headers=xapi_headers
    )
    other_activity = state_params("kept", activityId=ACTIVITY + "/other")
    client.post(STATE, query_string=other_activity, json={}, headers=xapi_headers)
    listing = {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}

    deleted = client.delete(
        STATE, query_string={**listing, "registration": registration}, headers=xapi_headers
    )
    assert deleted.status_code == 204
    assert sorted(client.get(STATE, query_string=listing, headers=xapi_headers).json) == ["a", "b"]
    assert client.delete(STATE, query_string=listing, headers=xapi_headers).status_code == 204
    assert client.get(STATE, query_string=listing, headers=xapi_headers).json == []
    assert client.get(STATE, query_string=other_activity, headers=xapi_headers).status_code == 200


def test_agents_are_matched_by_their_identifier_not_their_name(client, xapi_headers):
    query = state_params("named")
    client.post(STATE, query_string=query, json={"a": 1}, headers=xapi_headers)
    renamed = {**query, "agent": json.dumps({**AGENT, "name": "生徒 一郎"})}
    assert client.get(STATE, query_string=renamed, headers=xapi_headers).json == {"a": 1}


# -- concurrency --------------------------------------------------------------------------------------


def _etag(client, path, query, headers) -> str:
    return client.get(path, query_string=query, headers=headers).headers["ETag"]


@pytest.mark.parametrize(("path", "params"), RESOURCES)
@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_if_match_guards_every_write(client, xapi_headers, path, params, method):
    query = params()
    client.post(path, query_string=query, json={"name": "original"}, headers=xapi_headers)
    write = getattr(client, method)
    body = {} if method == "delete" else {"json": {"name": "updated"}}

    stale = write(path, query_string=query, headers={**xapi_headers, "If-Match": '"1234"'}, **body)
    assert stale.status_code == 412
    assert client.get(path, query_string=query, headers=xapi_headers).json == {"name": "original"}

    current = _etag(client, path, query, xapi_headers)
    fresh = write(path, query_string=query, headers={**xapi_headers, "If-Match": current}, **body)
    assert fresh.status_code == 204
    after = client.get(path, query_string=query, headers=xapi_headers)
    if method == "delete":
        assert after.status_code == 404
    else:
        assert after.json == {"name": "updated"}


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_if_none_match_star_only_creates(client, xapi_headers, path, params):
    query = params()
    create_only = {**xapi_headers, "If-None-Match": "*"}
    assert client.put(path, query_string=query, json={"n": 1}, headers=create_only).status_code == 204
    assert client.put(path, query_string=query, json={"n": 2}, headers=create_only).status_code == 412
    assert client.post(path, query_string=query, json={"n": 3}, headers=create_only).status_code == 412
    assert client.get(path, query_string=query, headers=xapi_headers).json == {"n": 1}


def test_if_match_star_needs_an_existing_document(client, xapi_headers):
    query = agent_profile_params()
    headers = {**xapi_headers, "If-Match": "*"}
    assert client.put(AGENT_PROFILE, query_string=query, json={}, headers=headers).status_code == 412
    client.post(AGENT_PROFILE, query_string=query, json={"n": 1}, headers=xapi_headers)
    assert client.put(AGENT_PROFILE, query_string=query, json={"n": 2}, headers=headers).status_code == 204


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_put_without_precondition_over_an_existing_document_is_409_in_2_0(client, xapi_headers, path, params):
    query = params()
    assert client.put(path, query_string=query, json={"n": 1}, headers=xapi_headers).status_code == 204
    conflict = client.put(path, query_string=query, json={"n": 2}, headers=xapi_headers)
    assert conflict.status_code == 409
    assert "If-Match" in conflict.json["error"]["message"]
    assert client.get(path, query_string=query, headers=xapi_headers).json == {"n": 1}


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        pytest.param(STATE, state_params, 204, id="state-exempt"),
        pytest.param(ACTIVITY_PROFILE, activity_profile_params, 409, id="activity-profile"),
        pytest.param(AGENT_PROFILE, agent_profile_params, 409, id="agent-profile"),
    ],
)
def test_put_without_precondition_in_1_0_3_exempts_only_state(client, headers_1_0_3, path, params, status):
    query = params()
    create = {**headers_1_0_3, "If-None-Match": "*"}
    assert client.put(path, query_string=query, json={"n": 1}, headers=create).status_code == 204
    assert client.put(path, query_string=query, json={"n": 2}, headers=headers_1_0_3).status_code == status
    expected = {"n": 2} if status == 204 else {"n": 1}
    assert client.get(path, query_string=query, headers=headers_1_0_3).json == expected


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        pytest.param(STATE, state_params, 204, id="state-exempt"),
        pytest.param(ACTIVITY_PROFILE, activity_profile_params, 400, id="activity-profile"),
        pytest.param(AGENT_PROFILE, agent_profile_params, 400, id="agent-profile"),
    ],
)
def test_a_1_0_3_profile_put_must_carry_a_precondition_even_to_create(
    client, headers_1_0_3, path, params, status
):
    # 1.0.3 Communication 3.1.s3.b1: the Client MUST include If-Match or If-None-Match (XAPI-00273).
    query = params()
    response = client.put(path, query_string=query, json={"n": 1}, headers=headers_1_0_3)
    assert response.status_code == status
    if status == 400:
        assert response.json["error"]["code"] == "precondition_header_required"
        assert client.get(path, query_string=query, headers=headers_1_0_3).status_code == 404


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_a_2_0_put_without_precondition_creates(client, xapi_headers, path, params):
    # 2.0 4.1.4 only refuses (409) a PUT without either header over an existing document.
    assert client.put(path, query_string=params(), json={"n": 1}, headers=xapi_headers).status_code == 204


def test_get_with_a_matching_if_none_match_is_304(client, xapi_headers):
    query = activity_profile_params()
    client.post(ACTIVITY_PROFILE, query_string=query, json={"n": 1}, headers=xapi_headers)
    etag = _etag(client, ACTIVITY_PROFILE, query, xapi_headers)
    cached = client.get(ACTIVITY_PROFILE, query_string=query, headers={**xapi_headers, "If-None-Match": etag})
    assert cached.status_code == 304


def test_last_modified_moves_when_the_document_changes(client, xapi_headers):
    query = state_params()
    client.post(STATE, query_string=query, json={"n": 1}, headers=xapi_headers)
    before = client.get(STATE, query_string=query, headers=xapi_headers)
    time.sleep(1.1)  # Last-Modified is an HTTP date: whole seconds
    client.post(STATE, query_string=query, json={"n": 2}, headers=xapi_headers)
    after = client.get(STATE, query_string=query, headers=xapi_headers)
    assert after.last_modified > before.last_modified
    assert after.headers["ETag"] != before.headers["ETag"]


# -- parameters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "change"),
    [
        ("put", {"activityId": None}),
        ("post", {"agent": None}),
        ("get", {"activityId": None}),
        ("delete", {"agent": None}),
        ("put", {"stateId": None}),
        ("post", {"stateId": None}),
        ("put", {"agent": "not JSON"}),
        ("post", {"agent": "true"}),
        ("get", {"agent": json.dumps({"objectType": "Agent", "name": "no identifier"})}),
        ("put", {"agent": json.dumps({**AGENT, "mbox": "mailto:two@example.org"})}),
        ("delete", {"agent": json.dumps({"objectType": "Group", "member": [AGENT]})}),
        ("put", {"registration": "true"}),
        ("get", {"registration": "not-a-uuid"}),
        ("post", {"activityId": "true"}),
        ("put", {"activityid": ACTIVITY}),
        ("put", {"since": "2020-01-01T00:00:00Z"}),
        ("delete", {"since": "2020-01-01T00:00:00Z"}),
        ("get", {"stateId": ""}),
    ],
)
def test_bad_state_parameters_are_400(client, xapi_headers, method, change):
    query = state_params(**change)
    body = {"json": {"a": 1}} if method in ("put", "post") else {}
    response = getattr(client, method)(STATE, query_string=query, headers=xapi_headers, **body)
    assert response.status_code == 400, response.json


def test_an_identified_group_can_hold_state(client, xapi_headers):
    group = {"objectType": "Group", "mbox": "mailto:class-3a@school.example", "member": [AGENT]}
    query = state_params(agent=json.dumps(group))
    assert client.post(STATE, query_string=query, json={"g": 1}, headers=xapi_headers).status_code == 204
    assert client.get(STATE, query_string=query, headers=xapi_headers).json == {"g": 1}


@pytest.mark.parametrize(
    ("path", "params", "drop"),
    [
        (ACTIVITY_PROFILE, activity_profile_params, "activityId"),
        (ACTIVITY_PROFILE, activity_profile_params, "profileId"),
        (AGENT_PROFILE, agent_profile_params, "agent"),
        (AGENT_PROFILE, agent_profile_params, "profileId"),
    ],
)
def test_profile_writes_need_their_parameters(client, xapi_headers, path, params, drop):
    query = {name: value for name, value in params().items() if name != drop}
    for method in ("put", "post", "delete"):
        body = {"json": {"a": 1}} if method != "delete" else {}
        response = getattr(client, method)(path, query_string=query, headers=xapi_headers, **body)
        assert response.status_code == 400, (method, drop)


# -- scopes -------------------------------------------------------------------------------------------


def _headers(make_credentials, scope: str) -> dict:
    return {**basic_auth(*make_credentials(scope=scope)), "X-Experience-API-Version": "2.0.0"}


def test_state_and_profile_scopes_are_separate(client, make_credentials):
    state_only = _headers(make_credentials, "state")
    profile_only = _headers(make_credentials, "profile")
    state_query, profile_query = state_params(), agent_profile_params()

    assert client.post(STATE, query_string=state_query, json={}, headers=state_only).status_code == 204
    assert client.get(STATE, query_string=state_query, headers=state_only).status_code == 200
    assert (
        client.post(AGENT_PROFILE, query_string=profile_query, json={}, headers=state_only).status_code == 403
    )
    assert client.get(STATE, query_string=state_query, headers=profile_only).status_code == 403
    assert (
        client.post(AGENT_PROFILE, query_string=profile_query, json={}, headers=profile_only).status_code
        == 204
    )
    assert (
        client.get(ACTIVITY_PROFILE, query_string=activity_profile_params(), headers=profile_only).status_code
        == 404
    )


def test_all_read_reads_documents_but_cannot_write_them(client, xapi_headers, make_credentials):
    reader = _headers(make_credentials, "all/read")
    query = state_params()
    client.post(STATE, query_string=query, json={"a": 1}, headers=xapi_headers)
    assert client.get(STATE, query_string=query, headers=reader).json == {"a": 1}
    listing = {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}
    assert client.get(STATE, query_string=listing, headers=reader).status_code == 200
    assert client.put(STATE, query_string=query, json={}, headers=reader).status_code == 403
    assert client.delete(STATE, query_string=query, headers=reader).status_code == 403
    assert client.delete(STATE, query_string=listing, headers=reader).status_code == 403


def test_without_the_scope_a_missing_document_is_403_not_404(client, make_credentials):
    statements_only = _headers(make_credentials, "statements/write statements/read")
    assert client.get(STATE, query_string=state_params(), headers=statements_only).status_code == 403


def test_documents_need_credentials_and_a_version(client, make_credentials):
    assert client.get(STATE, query_string=state_params()).status_code == 401
    auth = basic_auth(*make_credentials())
    unversioned = client.get(STATE, query_string=state_params(), headers=auth)
    assert unversioned.status_code == 400
    assert unversioned.headers["X-Experience-API-Version"] == "2.0.0"


def test_a_document_since_parameter_is_a_timestamp_of_the_request_s_version(
    client, xapi_headers, headers_1_0_3
):
    query = {"activityId": ACTIVITY, "since": "2020-01-01T00:00:00"}
    assert client.get(ACTIVITY_PROFILE, query_string=query, headers=headers_1_0_3).status_code == 200
    assert client.get(ACTIVITY_PROFILE, query_string=query, headers=xapi_headers).status_code == 400
    bad = {"activityId": ACTIVITY, "since": "2020-13-01T00:00:00Z"}
    assert client.get(ACTIVITY_PROFILE, query_string=bad, headers=headers_1_0_3).status_code == 400


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_a_get_with_if_match_star_returns_the_existing_document(client, xapi_headers, path, params):
    """RFC 9110 §13.1.1: "*" matches any current representation (was 412, werkzeug's reading)."""
    query = params()
    assert client.put(path, query_string=query, json={"n": 1}, headers=xapi_headers).status_code == 204
    star = client.get(path, query_string=query, headers={**xapi_headers, "If-Match": "*"})
    assert star.status_code == 200 and star.json == {"n": 1}
    stale = client.get(path, query_string=query, headers={**xapi_headers, "If-Match": '"not-the-tag"'})
    assert stale.status_code == 412
