"""Property test at the HTTP boundary: whatever arrives, never a 5xx and never an invalid statement stored."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.lrs import repository
from gateway.lrs.validation import validate_statement
from tests.api.test_xapi_slice import statement
from tests.conftest import basic_auth

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "id",
    "attachments",
    "version",
    "authority",
]


@st.composite
def mutated_statements(draw):
    body = statement()
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(KEYS))
        if draw(st.booleans()):
            body[key] = draw(JSON)
        else:
            body.pop(key, None)
    return body


BODIES = st.one_of(
    mutated_statements().map(json.dumps),
    st.lists(mutated_statements(), max_size=3).map(json.dumps),
    JSON.map(json.dumps),
    st.binary(max_size=60).map(lambda raw: raw.decode("latin-1")),
)
VERSIONS = st.sampled_from(["1.0.3", "2.0.0", "1.0", "2.0", "0.9", "", "x" * 40, "2.0.0\t"])
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "multipart/mixed",
        "multipart/mixed; boundary=zz",
        "",
    ]
)


@pytest.fixture
def all_scopes_credentials(make_credentials):
    """One client for all examples: hypothesis reuses function-scoped fixtures across them."""
    return make_credentials("all")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, version=VERSIONS, content_type=CONTENT_TYPES, method=st.sampled_from(["POST", "PUT"]))
def test_no_input_causes_a_server_error_or_stores_an_invalid_statement(
    app, client, all_scopes_credentials, body, version, content_type, method
):
    headers = {
        "X-Experience-API-Version": version,
        "Content-Type": content_type,
        **basic_auth(*all_scopes_credentials),
    }
    query = {"statementId": "6f1b5c1e-4a52-4f2e-9b5e-2f7a0e8c1d11"} if method == "PUT" else {}
    with app.app_context():
        before = repository.count_statements()
    response = client.open(
        "/xapi/statements",
        method=method,
        data=body.encode("utf-8", "surrogatepass"),
        headers=headers,
        query_string=query,
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    with app.app_context():
        stored = list(repository.all_records())
    if response.status_code >= 400:
        assert len(stored) == before
    for record in stored:
        version_of_record = "2.0.0" if record["statement"].get("version", "").startswith("2") else "1.0.3"
        validate_statement(record["statement"], version_of_record)
