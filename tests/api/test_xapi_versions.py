"""X-Experience-API-Version on every response: the negotiated version; for a request that named no
supported version (400), the version its client named last, else the newest."""

from __future__ import annotations

import pytest

from tests.api.test_xapi_slice import statement
from tests.conftest import basic_auth

VERSION = "X-Experience-API-Version"


def test_a_client_that_never_named_a_version_is_answered_in_the_newest(client, make_credentials):
    auth = basic_auth(*make_credentials())
    response = client.get("/xapi/statements", headers=auth)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "version_required"
    assert response.headers[VERSION] == "2.0.0"


@pytest.mark.parametrize(("named", "declared"), [("1.0.3", "1.0.3"), ("1.0.1", "1.0.3"), ("2.0.0", "2.0.0")])
def test_a_request_without_the_header_is_answered_in_the_client_s_last_version(
    client, make_credentials, named, declared
):
    auth = basic_auth(*make_credentials())
    assert client.get("/xapi/statements", headers={**auth, VERSION: named}).status_code == 200
    for method in ("get", "post", "put"):
        response = getattr(client, method)("/xapi/statements", json=statement(), headers=auth)
        assert response.status_code == 400
        assert response.headers[VERSION] == declared
    unsupported = client.get("/xapi/statements", headers={**auth, VERSION: "0.8"})
    assert unsupported.status_code == 400
    assert unsupported.headers[VERSION] == declared


def test_the_last_version_follows_the_client(client, make_credentials):
    auth = basic_auth(*make_credentials())
    other = basic_auth(*make_credentials())
    client.get("/xapi/statements", headers={**auth, VERSION: "1.0.3"})
    client.get("/xapi/statements", headers={**other, VERSION: "2.0.0"})
    assert client.get("/xapi/statements", headers=auth).headers[VERSION] == "1.0.3"
    assert client.get("/xapi/statements", headers=other).headers[VERSION] == "2.0.0"
    client.get("/xapi/activities/state", headers={**auth, VERSION: "2.0.0"})
    assert client.get("/xapi/statements", headers=auth).headers[VERSION] == "2.0.0"


def test_an_unauthenticated_request_declares_the_version_it_named(client):
    response = client.get("/xapi/statements", headers={VERSION: "1.0.3"})
    assert response.status_code == 401
    assert response.headers[VERSION] == "1.0.3"
    assert client.get("/xapi/statements").headers[VERSION] == "2.0.0"


def test_about_needs_no_version_and_declares_the_one_named(client):
    assert client.get("/xapi/about").headers[VERSION] == "2.0.0"
    named = client.get("/xapi/about", headers={VERSION: "1.0.3"})
    assert named.status_code == 200
    assert named.headers[VERSION] == "1.0.3"
    assert client.get("/xapi/about", headers={VERSION: "0.8"}).status_code == 200


def test_responses_of_no_route_under_xapi_declare_a_version_too(client, xapi_headers):
    missing = client.get("/xapi/nothing-here", headers={**xapi_headers, "Origin": "https://content.example"})
    assert missing.status_code == 404
    assert missing.headers[VERSION] == "2.0.0"
    assert missing.headers["Access-Control-Allow-Origin"] == "*"
    not_allowed = client.delete("/xapi/statements", headers=xapi_headers)
    assert not_allowed.status_code == 405
    assert not_allowed.headers[VERSION] == "2.0.0"
    assert set(not_allowed.headers["Allow"].split(", ")) >= {"GET", "HEAD", "POST", "PUT", "OPTIONS"}
    assert not_allowed.json["error"]["code"] == "method_not_allowed"
    assert VERSION not in client.get("/healthz").headers
