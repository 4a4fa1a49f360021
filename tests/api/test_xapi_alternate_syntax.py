"""The Alternate Request Syntax (xAPI 1.0.3 Communication 1.3): supported in 1.0.3, refused in 2.0,
whose IEEE text removed it."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest

from tests.api.test_xapi_slice import statement
from tests.conftest import basic_auth

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def credentials(make_credentials) -> dict:
    return basic_auth(*make_credentials())


def _alternate(client, method: str, form: dict, headers: dict | None = None, path="/xapi/statements"):
    return client.post(f"{path}?method={method}", data=urlencode(form), headers={**FORM, **(headers or {})})


def test_a_put_with_everything_in_the_form(client, credentials):
    statement_id = str(uuid.uuid4())
    form = {
        "statementId": statement_id,
        "content": json.dumps(statement()),
        "X-Experience-API-Version": "1.0.3",
        "Authorization": credentials["Authorization"],
        "Content-Type": "application/json",
    }
    response = _alternate(client, "PUT", form)
    assert response.status_code == 204, response.json
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    stored = client.get(
        "/xapi/statements",
        query_string={"statementId": statement_id},
        headers={**credentials, "X-Experience-API-Version": "1.0.3"},
    )
    assert stored.status_code == 200


def test_headers_may_stay_headers_and_the_content_defaults_to_json(client, credentials):
    headers = {**credentials, "X-Experience-API-Version": "1.0.3"}
    form = {"statementId": str(uuid.uuid4()), "content": json.dumps(statement())}
    assert _alternate(client, "PUT", form, headers).status_code == 204
    listed = _alternate(client, "GET", {"limit": "1"}, headers)
    assert listed.status_code == 200
    assert len(listed.json["statements"]) == 1
    assert "more" in listed.json
    assert _alternate(client, "GET", {}, headers).status_code == 200


def test_form_parameters_take_the_place_of_headers(client, credentials):
    headers = {**credentials, "X-Experience-API-Version": "1.0.3"}
    form = {
        "statementId": str(uuid.uuid4()),
        "content": json.dumps(statement()),
        "X-Experience-API-Version": "0.8",
    }
    assert _alternate(client, "PUT", form, headers).status_code == 400


def test_document_resources_with_if_none_match_in_the_form(client, credentials):
    headers = {**credentials, "X-Experience-API-Version": "1.0.3"}
    query = {"activityId": "http://example.com/a", "profileId": "p"}
    form = {**query, "content": '{"a": 1}', "Content-Type": "application/json", "If-None-Match": "*"}
    assert _alternate(client, "PUT", form, headers, "/xapi/activities/profile").status_code == 204
    assert _alternate(client, "PUT", form, headers, "/xapi/activities/profile").status_code == 412
    fetched = _alternate(client, "GET", query, headers, "/xapi/activities/profile")
    assert fetched.json == {"a": 1}
    assert _alternate(client, "DELETE", query, headers, "/xapi/activities/profile").status_code == 204


@pytest.mark.parametrize(
    ("query", "body", "content_type"),
    [
        ("method=PUT&statementId=6fbd600f-d17c-4c74-801a-2ec2e53231c7", None, None),  # other query parameters
        ("method=PATCH", None, None),
        ("method=PUT", "", None),  # no content
        ("method=PUT", json.dumps({"statementId": "x", "content": "{}"}), FORM["Content-Type"]),  # not a form
        ("method=PUT", urlencode({"content": "{}", "statementId": "x"}), "application/json"),
        ("method=PUT", "content=%7B%7D&content=%7B%7D", FORM["Content-Type"]),  # repeated
    ],
)
def test_malformed_alternate_requests_are_refused(client, credentials, query, body, content_type):
    headers = {**credentials, "X-Experience-API-Version": "1.0.3"}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(f"/xapi/statements?{query}", data=body, headers=headers)
    assert response.status_code == 400


def test_the_syntax_is_only_for_post(client, credentials):
    headers = {**credentials, "X-Experience-API-Version": "1.0.3", **FORM}
    form = urlencode({"statementId": str(uuid.uuid4()), "content": json.dumps(statement())})
    assert client.put("/xapi/statements?method=POST", data=form, headers=headers).status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
def test_xapi_2_0_refuses_the_syntax(client, credentials, method):
    headers = {**credentials, "X-Experience-API-Version": "2.0.0"}
    form = {"statementId": str(uuid.uuid4()), "content": json.dumps(statement())} if method == "PUT" else {}
    if method == "POST":
        form = {"content": json.dumps(statement())}
    response = _alternate(client, method, form, headers)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "alternate_syntax_not_supported"
    assert client.get("/xapi/statements", headers=headers).json["statements"] == []
