"""Property tests at the HTTP boundary beyond statement bodies: odd headers, statement query parameters,
document resources and multipart bodies. Whatever arrives: never a 5xx, a 4xx says why in the gateway's
error body, and a refused write changes nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gateway.lrs import repository
from gateway.lrs.jsontext import MAX_NESTING
from tests.api.test_xapi_fuzz import JSON, ODD_TEXT
from tests.api.test_xapi_slice import ACTOR, statement
from tests.conftest import basic_auth

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Header values the test client can send: visible Latin-1, no line breaks.
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
)
# Query values: any text that can be UTF-8 encoded.
QUERY_TEXT = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=30))
ACTIVITY_ID = "https://kakehashi.example/units/8451503311000000"
AGENT = json.dumps(ACTOR, ensure_ascii=False)
AGENT_VALUES = st.one_of(
    st.just(AGENT),
    st.sampled_from(
        [
            "{",
            "[]",
            "null",
            '"mailto:a@b.example"',
            '{"mbox": "a@b.example"}',
            '{"mbox": "mailto:a@b.example", "openid": "https://o.example"}',
            '{"objectType": "Group"}',
            '{"objectType": "Group", "member": [{"mbox": "mailto:a@b.example"}]}',
            '{"account": {"homePage": 1, "name": []}}',
            '{"mbox": "mailto:a@b.example", "objectType": "Robot"}',
            '{"mbox_sha1sum": "xyz"}',
            '{"mbox": "mailto:a@b.example"}' + " " * 3 + "garbage",
            '{"mbox": "mailto:a@b.example", "mbox": "mailto:c@d.example"}',
            "[" * 500 + "]" * 500,
            '{"a":' * 500 + "1" + "}" * 500,
        ]
    ),
    JSON.map(json.dumps),
    QUERY_TEXT,
)
VERSIONS = st.one_of(
    st.sampled_from(
        ["1.0.3", "2.0.0", "1.0", "1.0.0", "1.0.9", "2.0", "2.1.0", "0.95", "3", " 2.0.0", "2.0.0,1.0.3"]
    ),
    HEADER_TEXT,
)
CHARSETS = st.sampled_from(["utf-8", "UTF-8", "latin-1", "utf-16", "shift_jis", "bogus", '"utf-8"', ""])
CONTENT_TYPES = st.one_of(
    st.builds(
        "{}{}".format,
        st.sampled_from(
            ["application/json", "APPLICATION/JSON", "application/json ", "text/plain", "multipart/mixed"]
        ),
        st.one_of(
            st.just(""),
            CHARSETS.map("; charset={}".format),
            st.sampled_from(
                ["; boundary=", '; boundary=""', "; q=0.1", ";;;", "; =", "; charset", "; a=b; a=c"]
            ),
            HEADER_TEXT.map("; {}".format),
        ),
    ),
    HEADER_TEXT,
)


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


AUTHORIZATIONS = st.one_of(
    st.sampled_from(
        [
            "",
            "Basic",
            "Basic ",
            "Basic ***",
            "Basic =",
            "Basic YWJj",  # "abc": no colon
            "Basic Og==",  # ":"
            _basic(b"\xff\xfe:\xff"),
            _basic(b"id:" + b"s" * 2000),
            "Bearer",
            "Bearer ",
            "Bearer a.b.c",
            "Bearer " + "x" * 2000,
            "bearer ,,,",
            "Digest username=x",
            "Negotiate YWJj",
        ]
    ),
    HEADER_TEXT.map("Basic {}".format),
    HEADER_TEXT.map("Bearer {}".format),
    HEADER_TEXT,
)
ENTITY_TAGS = st.one_of(
    st.sampled_from(['"abc"', "*", 'W/"abc"', '"', "W/", '"a", *', ",,", '"a" "b"', "* , *", ""]),
    HEADER_TEXT,
)


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    event(f"status {response.status_code}")


def assert_explained_if_refused(response) -> None:
    """A 4xx carries the gateway's error body: {"error": {"code", "message", "details"}}. A 412 to a
    conditional GET is werkzeug's (make_conditional), which keeps the document as its body."""
    conditional_read = response.request.method in {"GET", "HEAD"} and response.status_code == 412
    if 400 <= response.status_code < 500 and not conditional_read:
        error = response.json["error"]
        assert error["code"] and error["message"]


@pytest.fixture
def credentials(make_credentials):
    """One client for all examples: hypothesis reuses function-scoped fixtures across them."""
    return make_credentials("all")


@pytest.fixture
def headers(credentials) -> dict[str, str]:
    return {**basic_auth(*credentials), "X-Experience-API-Version": "2.0.0"}


# 2. Headers


def test_basic_credentials_that_cannot_be_base64_are_refused_as_malformed(client):
    """Werkzeug raised ValueError (a 500) for non-ASCII Basic credentials."""
    response = client.post(
        "/xapi/statements",
        json=statement(),
        headers={"Authorization": "Basic \x80", "X-Experience-API-Version": "2.0.0"},
    )
    assert response.status_code == 401
    assert response.json["error"]["details"] == {"header": "Authorization"}
    assert "malformed HTTP Basic credentials" in response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@FUZZ
@given(
    version=st.one_of(st.sampled_from(["2.0.0", "1.0.3"]), st.none(), VERSIONS),
    content_type=st.one_of(
        st.sampled_from(["application/json", "application/json; charset=utf-8"]), st.none(), CONTENT_TYPES
    ),
    authorization=AUTHORIZATIONS,
    valid_credentials=st.booleans(),
    method=st.sampled_from(["POST", "PUT", "GET"]),
)
def test_odd_headers_on_statements(
    app, client, credentials, version, content_type, authorization, valid_credentials, method
):
    headers = basic_auth(*credentials) if valid_credentials else {"Authorization": authorization}
    if version is not None:
        headers["X-Experience-API-Version"] = version
    if content_type is not None:
        headers["Content-Type"] = content_type
    statement_id = str(uuid.uuid4())
    query = {"statementId": statement_id} if method != "POST" else {}
    body = json.dumps(statement(id=statement_id)).encode() if method != "GET" else None
    response = client.open("/xapi/statements", method=method, data=body, headers=headers, query_string=query)
    assert_no_server_error(response)
    assert_explained_if_refused(response)
    if method != "GET" and response.status_code >= 400:
        with app.app_context():
            assert all(record["statement"]["id"] != statement_id for record in repository.all_records())


@FUZZ
@given(
    if_match=st.none() | ENTITY_TAGS,
    if_none_match=st.none() | ENTITY_TAGS,
    content_type=st.none() | CONTENT_TYPES,
    version=VERSIONS,
    method=st.sampled_from(["PUT", "POST", "DELETE", "GET"]),
)
def test_odd_precondition_headers_on_documents(
    client, headers, if_match, if_none_match, content_type, version, method
):
    conditions = {"If-Match": if_match, "If-None-Match": if_none_match, "Content-Type": content_type}
    response = client.open(
        "/xapi/activities/state",
        method=method,
        data=b'{"page": 3}' if method in {"PUT", "POST"} else None,
        headers={
            **headers,
            "X-Experience-API-Version": version,
            **{name: value for name, value in conditions.items() if value is not None},
        },
        query_string={"activityId": ACTIVITY_ID, "agent": AGENT, "stateId": "bookmark"},
    )
    assert_no_server_error(response)
    assert_explained_if_refused(response)


# 3. GET /xapi/statements parameters


@pytest.fixture
def more_cursor(client, headers) -> str:
    """A real `more` cursor: three statements read one per page."""
    client.post("/xapi/statements", json=[statement() for _ in range(3)], headers=headers)
    page = client.get("/xapi/statements", query_string={"limit": 1}, headers=headers)
    return page.json["more"].split("more=", 1)[1]


def _tampered(cursor: str, position: int, replacement: str, cut: bool) -> str:
    position %= len(cursor)
    return cursor[:position] + replacement + ("" if cut else cursor[position + 1 :])


BOOLEAN_TEXT = st.sampled_from(["true", "false", "True", "1", "0", "yes", "", "tru", "null"])
QUERY_VALUES = {
    "agent": AGENT_VALUES,
    "verb": st.sampled_from(["http://adlnet.gov/expapi/verbs/experienced", "experienced", "ftp://"])
    | QUERY_TEXT,
    "activity": st.just(ACTIVITY_ID) | QUERY_TEXT,
    "registration": st.uuids().map(str) | QUERY_TEXT,
    "statementId": st.uuids().map(str) | QUERY_TEXT,
    "voidedStatementId": st.uuids().map(str) | QUERY_TEXT,
    "since": st.sampled_from(
        ["2026-01-01T00:00:00Z", "2026-01-01", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59+14:00"]
    )
    | QUERY_TEXT,
    "until": st.sampled_from(["2026-01-01T00:00:00Z", "-1", "2026-02-30T00:00:00Z", "1e10"]) | QUERY_TEXT,
    "limit": st.integers(-(10**20), 10**20).map(str) | st.sampled_from(["", "1.5", "1e3", "0x10", " 1", "١"]),
    "format": st.sampled_from(["exact", "ids", "canonical", "EXACT", "full", ""]) | QUERY_TEXT,
    "attachments": BOOLEAN_TEXT,
    "ascending": BOOLEAN_TEXT,
    "related_activities": BOOLEAN_TEXT,
    "related_agents": BOOLEAN_TEXT,
    "more": QUERY_TEXT,
    "unknown": QUERY_TEXT,
    "$where": QUERY_TEXT,
}


@FUZZ
@given(
    parameters=st.dictionaries(st.sampled_from(sorted(QUERY_VALUES)), st.just(None), max_size=5).flatmap(
        lambda chosen: st.fixed_dictionaries({name: QUERY_VALUES[name] for name in chosen})
    ),
    tamper=st.none()
    | st.tuples(st.integers(0, 10**6), st.sampled_from(["", "A", ".", "%", "=="]), st.booleans()),
    version=st.sampled_from(["1.0.3", "2.0.0"]),
)
def test_odd_statement_query_parameters(client, headers, more_cursor, parameters, tamper, version):
    if tamper is not None:
        parameters["more"] = _tampered(more_cursor, *tamper)
    response = client.get(
        "/xapi/statements", query_string=parameters, headers={**headers, "X-Experience-API-Version": version}
    )
    assert_no_server_error(response)
    assert_explained_if_refused(response)
    if response.status_code == 400:
        assert response.json["error"]["details"], response.json


# 4. Document resources


@pytest.fixture
def json_documents(client, headers) -> None:
    """A JSON object stored under the ids the examples use, so that POST merges into something."""
    for path, query in DOCUMENT_QUERIES.items():
        client.post(
            path,
            data=b'{"stored": {"page": 1}}',
            headers=headers,
            query_string=query,
            content_type="application/json",
        )


DOCUMENT_QUERIES = {
    "/xapi/activities/state": {"activityId": ACTIVITY_ID, "agent": AGENT, "stateId": "bookmark"},
    "/xapi/activities/profile": {"activityId": ACTIVITY_ID, "profileId": "settings"},
    "/xapi/agents/profile": {"agent": AGENT, "profileId": "settings"},
}
DOCUMENT_PARAMETERS = {
    "activityId": st.just(ACTIVITY_ID) | QUERY_TEXT,
    "agent": AGENT_VALUES,
    "stateId": st.just("bookmark") | QUERY_TEXT,
    "profileId": st.just("settings") | QUERY_TEXT,
    "registration": st.uuids().map(str) | QUERY_TEXT,
    "since": st.just("2026-01-01T00:00:00Z") | QUERY_TEXT,
    "unknown": QUERY_TEXT,
}
DOCUMENT_BODIES = st.one_of(
    JSON.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(
        [b"", b"{", b"NaN", b"[1, 2]", b'"text"', b"1e999", b'{"a": 1}', b'{"stored": null}', b"\xff\xfe"]
    ),
    st.binary(max_size=60),
    st.builds(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth, st.integers(100, 3000)),
)


@FUZZ
@given(
    if_match=st.sampled_from([None, "*"]),
    resource=st.sampled_from(sorted(DOCUMENT_QUERIES)),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
    changes=st.dictionaries(st.sampled_from(sorted(DOCUMENT_PARAMETERS)), st.none(), max_size=3).flatmap(
        lambda chosen: st.fixed_dictionaries({name: DOCUMENT_PARAMETERS[name] | st.none() for name in chosen})
    ),
    body=DOCUMENT_BODIES,
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "text/plain", "application/octet-stream"]
    )
    | CONTENT_TYPES,
    version=st.sampled_from(["1.0.3", "2.0.0"]),
)
def test_odd_document_requests(
    client, headers, json_documents, if_match, resource, method, changes, body, content_type, version
):
    query = {**DOCUMENT_QUERIES[resource], **changes}
    query = {name: value for name, value in query.items() if value is not None}
    response = client.open(
        resource,
        method=method,
        query_string=query,
        data=body if method in {"PUT", "POST"} else None,
        headers={
            **headers,
            "X-Experience-API-Version": version,
            "Content-Type": content_type,
            **({"If-Match": if_match} if if_match else {}),
        },
    )
    assert_no_server_error(response)
    assert_explained_if_refused(response)


def test_document_nested_beyond_the_limit_is_refused(client, headers):
    """Was a 500: merging into a stored document wrote it back with json.dumps, which ran out of stack."""
    query = {"activityId": ACTIVITY_ID, "profileId": "deep"}
    deep = b'{"a":' * 1010 + b"1" + b"}" * 1010
    for method in ("PUT", "POST"):
        response = client.open(
            "/xapi/activities/profile",
            method=method,
            data=deep,
            query_string=query,
            headers=headers,
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json["error"]["details"] == {"property": "body"}
        assert f"nested more than {MAX_NESTING} levels" in response.json["error"]["message"]
    assert client.get("/xapi/activities/profile", query_string=query, headers=headers).status_code == 404


# 5. Multipart bodies


def _part(headers: dict[str, str], content: bytes) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return lines.encode("latin-1") + b"\r\n" + content


MULTIPART_FAULTS = [
    "odd boundary",
    "declared boundary differs",
    "no boundary parameter",
    "empty boundary parameter",
    "statements part not JSON",
    "statements part truncated",
    "statements part not application/json",
    "statements part without Content-Type",
    "part without hash",
    "part with a wrong hash",
    "part with a malformed hash",
    "part without Content-Transfer-Encoding",
    "part in base64",
    "part without Content-Type",
    "parts shuffled",
    "a part missing",
    "no close delimiter",
    "close delimiter without CRLF",
    "preamble",
    "no parts at all",
]


@st.composite
def multipart_requests(draw):
    """(statement id, Content-Type header, body) of a statement POST with attachment parts, with at
    most a few faults among MULTIPART_FAULTS (none: a valid request)."""
    faults = draw(st.sets(st.sampled_from(MULTIPART_FAULTS), max_size=2))
    boundary = "xapi-boundary"
    if "odd boundary" in faults:
        boundary = draw(
            st.sampled_from(["b", "a" * 70, "a" * 71, "with space ", "'()+_,-./:=?", "日本", "--", "x\r\ny"])
            | st.text(alphabet="abcXYZ019'()+_,-./:=? ", max_size=20)
        )
    declared = {
        "declared boundary differs": boundary + "x",
        "no boundary parameter": None,
        "empty boundary parameter": "",
    }
    declared_boundary = next((declared[fault] for fault in declared if fault in faults), boundary)
    contents = draw(st.lists(st.binary(max_size=30), min_size=1, max_size=3))
    attachments = [
        {
            "usageType": "http://example.com/usage/notes",
            "display": {"ja": "メモ"},
            "contentType": "application/octet-stream",
            "length": len(content),
            "sha2": hashlib.sha256(content).hexdigest(),
        }
        for content in contents
    ]
    statement_id = str(uuid.uuid4())
    document = statement(id=statement_id, attachments=attachments)
    first = json.dumps(draw(st.sampled_from([document, [document]]))).encode()
    if "statements part not JSON" in faults:
        first = draw(st.sampled_from([b"{", b"", b"NaN", b"\xff", first.replace(b"{", b"[", 1)]))
    if "statements part truncated" in faults:
        first = first[: draw(st.integers(0, max(len(first) - 1, 0)))]
    first_headers = {
        "Content-Type": draw(st.sampled_from(["application/json", "Application/JSON; charset=utf-8"]))
    }
    if "statements part not application/json" in faults:
        first_headers["Content-Type"] = draw(
            st.sampled_from(["text/plain", "application/jsonx", "", "multipart/mixed"])
        )
    if "statements part without Content-Type" in faults:
        first_headers = {}
    parts = [_part(first_headers, first)]
    faulty_part = draw(st.integers(0, len(contents) - 1))
    for index, content in enumerate(contents):
        part_headers = {
            "Content-Type": "application/octet-stream",
            "Content-Transfer-Encoding": "binary",
            "X-Experience-API-Hash": hashlib.sha256(content).hexdigest(),
        }
        if index == faulty_part:
            if "part without hash" in faults:
                del part_headers["X-Experience-API-Hash"]
            if "part with a wrong hash" in faults:
                part_headers["X-Experience-API-Hash"] = hashlib.sha256(content + b"x").hexdigest()
            if "part with a malformed hash" in faults:
                part_headers["X-Experience-API-Hash"] = draw(st.sampled_from(["", "zz", "0" * 63, "g" * 64]))
            if "part without Content-Transfer-Encoding" in faults:
                del part_headers["Content-Transfer-Encoding"]
            if "part in base64" in faults:
                part_headers["Content-Transfer-Encoding"] = "base64"
            if "part without Content-Type" in faults:
                del part_headers["Content-Type"]
        parts.append(_part(part_headers, content))
    if "parts shuffled" in faults:
        parts = draw(st.permutations(parts))
    if "a part missing" in faults:
        parts.pop(draw(st.integers(0, len(parts) - 1)))
    if "no parts at all" in faults:
        parts = []
    delimiter = b"--" + boundary.encode()
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts) + delimiter + b"--\r\n"
    if "no close delimiter" in faults:
        body = body[: -len(delimiter) - 4]
    if "close delimiter without CRLF" in faults:
        body = body[:-2]
    if "preamble" in faults:
        body = draw(st.sampled_from([b"preamble\r\n", b"\r\n", b"--" + boundary.encode() + b"x\r\n"])) + body
    options = "" if declared_boundary is None else f"; boundary={json.dumps(declared_boundary)}"
    return statement_id, "multipart/mixed" + options, body


@FUZZ
@given(request=multipart_requests(), version=st.sampled_from(["1.0.3", "2.0.0"]))
def test_odd_multipart_statement_bodies(client, headers, request, version):
    statement_id, content_type, body = request
    response = client.post(
        "/xapi/statements",
        data=body,
        headers={**headers, "X-Experience-API-Version": version, "Content-Type": content_type},
    )
    assert_no_server_error(response)
    assert_explained_if_refused(response)
    fetched = client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=headers)
    assert fetched.status_code == (200 if response.status_code == 200 else 404)
