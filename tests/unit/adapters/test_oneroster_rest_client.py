"""The OneRoster REST consumer against a provider played by `responses`: OAuth2 client credentials,
paging, delta filter, retries, endpoints not offered, the file set a pull writes, and clear errors."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

from adapters.oneroster.rest_client import (
    EndpointNotOfferedError,
    MalformedPayloadError,
    OneRosterRestClient,
    ProviderAuthenticationError,
    ProviderConfig,
    ProviderError,
    ProviderForbiddenError,
    ProviderUnavailableError,
    pull_to_file_set,
    row_of,
)

BASE = "https://sis.example.jp"
TOKEN = "https://sis.example.jp/oauth/token"
USERS = f"{BASE}/ims/oneroster/rostering/v1p2/users"


def config(**overrides) -> ProviderConfig:
    return ProviderConfig(BASE, TOKEN, "kakehashi", "secret", **{"page_size": 2, **overrides})


def token(rsps, status=200):
    body = {"access_token": "t0k3n", "token_type": "Bearer", "expires_in": 3600}
    if status != 200:
        body = {"error": "invalid_client"}
    return rsps.add(responses.POST, TOKEN, json=body, status=status)


def user(n: int) -> dict:
    return {"sourcedId": f"u{n}", "status": "active", "dateLastModified": "2026-04-01T00:00:00.000Z"}


@responses.activate
def test_pages_with_offset_until_x_total_count_with_a_bearer_token():
    token(responses)
    for offset, items in ((0, [user(1), user(2)]), (2, [user(3)])):
        responses.add(
            responses.GET,
            USERS,
            json={"users": items},
            headers={"X-Total-Count": "3"},
            match=[matchers.query_param_matcher({"limit": "2", "offset": str(offset)})],
        )
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    assert [u["sourcedId"] for u in client.collection("users")] == ["u1", "u2", "u3"]
    token_call = responses.calls[0].request
    assert "grant_type=client_credentials" in str(token_call.body)
    assert responses.calls[1].request.headers["Authorization"] == "Bearer t0k3n"


@responses.activate
def test_follows_link_next_and_sends_the_delta_filter():
    token(responses)
    responses.add(
        responses.GET,
        USERS,
        json={"users": [user(1), user(2)]},
        headers={"Link": f'<{USERS}?limit=2&offset=2&page=b>; rel="next"'},
        match=[
            matchers.query_param_matcher(
                {"limit": "2", "offset": "0", "filter": "dateLastModified>'2026-05-01T09:30:00.000Z'"}
            )
        ],
    )
    responses.add(
        responses.GET,
        USERS,
        json={"users": [user(3)]},
        match=[matchers.query_param_matcher({"limit": "2", "offset": "2", "page": "b"})],
    )
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    since = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    assert [u["sourcedId"] for u in client.collection("users", since)] == ["u1", "u2", "u3"]


@responses.activate
def test_a_page_without_a_next_link_ends_link_paging():
    token(responses)
    responses.add(
        responses.GET,
        USERS,
        json={"users": [user(1), user(2)]},
        headers={"Link": f'<{USERS}?limit=2&offset=2>; rel="next"'},
        match=[matchers.query_param_matcher({"limit": "2", "offset": "0"})],
    )
    responses.add(
        responses.GET,
        USERS,
        json={"users": [user(3), user(4)]},  # a full page, no X-Total-Count: the Link says it is the last
        match=[matchers.query_param_matcher({"limit": "2", "offset": "2"})],
    )
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    assert [u["sourcedId"] for u in client.collection("users")] == ["u1", "u2", "u3", "u4"]
    assert len([c for c in responses.calls if c.request.method == "GET"]) == 2


@responses.activate
def test_without_a_total_or_links_paging_goes_on_past_a_provider_capped_page():
    token(responses)
    pages = ((0, [user(1), user(2)]), (2, [user(3), user(4)]), (4, [user(5)]))
    for offset, items in pages:  # the provider caps the limit at 2 and gives no X-Total-Count
        responses.add(
            responses.GET,
            USERS,
            json={"users": items},
            match=[matchers.query_param_matcher({"limit": "3", "offset": str(offset)})],
        )
    client = OneRosterRestClient(config(page_size=3), sleep=lambda s: None)
    assert [u["sourcedId"] for u in client.collection("users")] == ["u1", "u2", "u3", "u4", "u5"]
    assert len([c for c in responses.calls if c.request.method == "GET"]) == 3


@responses.activate
def test_without_a_total_or_links_a_short_first_page_ends_at_the_next_empty_one():
    token(responses)
    for offset, items in ((0, [user(1)]), (1, [])):
        responses.add(
            responses.GET,
            USERS,
            json={"users": items},
            match=[matchers.query_param_matcher({"limit": "2", "offset": str(offset)})],
        )
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    assert [u["sourcedId"] for u in client.collection("users")] == ["u1"]


@responses.activate
def test_retries_429_and_5xx_honouring_retry_after():
    token(responses)
    responses.add(responses.GET, USERS, status=429, headers={"Retry-After": "7"})
    responses.add(responses.GET, USERS, status=503)
    responses.add(responses.GET, USERS, json={"users": [user(1)]}, headers={"X-Total-Count": "1"})
    waits = []
    client = OneRosterRestClient(config(backoff_seconds=1.0), sleep=waits.append)
    assert [u["sourcedId"] for u in client.collection("users")] == ["u1"]
    assert waits[0] == 7
    assert 0.5 <= waits[1] <= 2.0  # backoff 1 s × 2¹ with jitter


@responses.activate
def test_gives_up_after_the_retries_with_a_clear_error():
    token(responses)
    responses.add(responses.GET, USERS, status=500, json={"imsx_description": "database down"})
    client = OneRosterRestClient(config(max_retries=2), sleep=lambda s: None)
    with pytest.raises(ProviderUnavailableError, match="500 \\(database down\\), still after 2 retries"):
        list(client.collection("users"))
    assert len([c for c in responses.calls if c.request.method == "GET"]) == 3


@responses.activate
def test_401_renews_the_token_once_then_fails_clearly():
    token(responses)
    responses.add(responses.GET, USERS, status=401)
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    with pytest.raises(ProviderAuthenticationError, match="401 Unauthorized"):
        list(client.collection("users"))
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "POST", "GET"]


@responses.activate
def test_refused_client_credentials_are_reported():
    token(responses, status=401)
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    with pytest.raises(ProviderAuthenticationError, match="refused the client credentials: invalid_client"):
        list(client.collection("users"))


@responses.activate
def test_403_names_the_missing_scope_problem():
    token(responses)
    responses.add(
        responses.GET, USERS, status=403, json={"imsx_codeMajor": "failure", "imsx_description": "scope"}
    )
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    with pytest.raises(ProviderForbiddenError, match="403 Forbidden \\(scope\\)"):
        list(client.collection("users"))


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "not JSON"),
        ({"orgs": []}, "no 'users' list"),
        ({"users": [{"name": "no id"}]}, "users\\[0\\] is not a record with a sourcedId"),
    ],
)
@responses.activate
def test_malformed_payloads_are_reported(body, message):
    token(responses)
    if isinstance(body, str):
        responses.add(responses.GET, USERS, body=body)
    else:
        responses.add(responses.GET, USERS, json=body)
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    with pytest.raises(MalformedPayloadError, match=message):
        list(client.collection("users"))


@pytest.mark.parametrize("status", [404, 501])
@responses.activate
def test_an_endpoint_the_provider_does_not_offer_is_reported_without_retries(status):
    token(responses)
    responses.add(responses.GET, USERS, status=status)
    waits = []
    client = OneRosterRestClient(config(), sleep=waits.append)
    with pytest.raises(EndpointNotOfferedError, match=f"users: {status}"):
        list(client.collection("users"))
    assert waits == []


@responses.activate
def test_a_collection_that_vanishes_after_its_first_page_is_an_error_not_absence():
    token(responses)
    responses.add(responses.GET, USERS, json={"users": [user(1), user(2)]}, headers={"X-Total-Count": "3"})
    responses.add(responses.GET, USERS, status=404)
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    with pytest.raises(ProviderError) as raised:
        list(client.collection("users"))
    assert not isinstance(raised.value, EndpointNotOfferedError)


@responses.activate
def test_a_full_pull_writes_a_file_with_no_rows_for_an_empty_collection(tmp_path):
    token(responses)
    root = f"{BASE}/ims/oneroster/rostering/v1p2"
    for endpoint in ("orgs", "academicSessions", "courses", "classes", "users", "enrollments"):
        responses.add(
            responses.GET, f"{root}/{endpoint}", json={endpoint: []}, headers={"X-Total-Count": "0"}
        )
    responses.add(responses.GET, f"{root}/demographics", status=404)
    client = OneRosterRestClient(config(), sleep=lambda s: None)
    assert pull_to_file_set(client, tmp_path) == {
        "orgs": 0,
        "academicSessions": 0,
        "courses": 0,
        "classes": 0,
        "users": 0,
        "roles": 0,
        "enrollments": 0,
    }
    with (tmp_path / "manifest.csv").open(encoding="utf-8") as file:
        manifest = dict(csv.reader(file))
    assert manifest["file.users"] == manifest["file.roles"] == manifest["file.enrollments"] == "bulk"
    assert manifest["file.demographics"] == "absent" and not (tmp_path / "demographics.csv").exists()
    with (tmp_path / "roles.csv").open(encoding="utf-8") as file:
        assert list(csv.reader(file)) == [
            [
                "sourcedId",
                "status",
                "dateLastModified",
                "userSourcedId",
                "roleType",
                "role",
                "beginDate",
                "endDate",
                "orgSourcedId",
                "userProfileSourcedId",
            ]
        ]


def test_json_records_become_csv_rows():
    klass = {
        "sourcedId": "c1",
        "status": "active",
        "title": "1年1組",
        "course": {"href": "x", "sourcedId": "co1", "type": "course"},
        "school": {"sourcedId": "s1", "type": "org"},
        "terms": [
            {"sourcedId": "t1", "type": "academicSession"},
            {"sourcedId": "t2", "type": "academicSession"},
        ],
        "grades": ["J1"],
        "classType": "homeroom",
        "metadata": {"jp.specialNeeds": False},
    }
    row = row_of("classes", klass, "1.2")
    assert row["courseSourcedId"] == "co1" and row["schoolSourcedId"] == "s1"
    assert row["termSourcedIds"] == "t1,t2" and row["grades"] == "J1"
    assert row["metadata.jp.specialNeeds"] == "false"
    legacy_user = {
        "sourcedId": "u1",
        "role": "student",
        "orgs": [{"sourcedId": "s1", "type": "org"}],
        "enabledUser": True,
    }
    row = row_of("users", legacy_user, "1.1")
    assert row["orgSourcedIds"] == "s1" and row["role"] == "student" and row["enabledUser"] == "true"


def test_nested_metadata_objects_become_dotted_metadata_columns():
    enrollment = {
        "sourcedId": "e1",
        "metadata": {
            "jp": {"shussekiNo": 12, "publicFlg": True, "note": None},
            "ext": {"vendor": {"code": "A-1"}, "tags": ["x", "y"]},
            "plain": "kept",
        },
    }
    row = row_of("enrollments", enrollment, "1.2")
    assert {key: value for key, value in row.items() if key.startswith("metadata.")} == {
        "metadata.jp.shussekiNo": "12",
        "metadata.jp.publicFlg": "true",
        "metadata.jp.note": "",
        "metadata.ext.vendor.code": "A-1",
        "metadata.plain": "kept",
    }
