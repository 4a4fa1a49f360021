"""Property test at the HTTP boundary: whatever arrives, never a 5xx and never an invalid statement stored."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gateway.lrs import repository
from gateway.lrs.jsontext import MAX_NESTING
from gateway.lrs.validation import validate_statement
from tests.api.test_xapi_slice import ACTOR, VERB, statement
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


# Nested mutations: a rich valid statement with one value at a random depth replaced, removed or joined
# by a new key; what the LRS accepts must read back valid, and what it refuses must not be stored.

RICH_STATEMENT = {
    "actor": ACTOR,
    "verb": VERB,
    "object": {
        "objectType": "Activity",
        "id": "https://kakehashi.example/units/8451503311000000",
        "definition": {
            "name": {"ja": "二次関数", "en-US": "Quadratic functions"},
            "description": {"ja-JP": "頂点を求める"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "moreInfo": "https://kakehashi.example/units/info",
            "interactionType": "choice",
            "correctResponsesPattern": ["a[,]b"],
            "choices": [{"id": "a", "description": {"ja": "A"}}, {"id": "b", "description": {"ja": "B"}}],
            "extensions": {"https://kakehashi.example/ext/grade": 10},
        },
    },
    "result": {
        "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
        "success": True,
        "completion": True,
        "response": "a[,]b",
        "duration": "PT1H2M3.5S",
        "extensions": {"https://kakehashi.example/ext/attempts": [1, 2]},
    },
    "context": {
        "registration": "0b7a0e36-5c51-4d7e-8a1e-7f3c2c9e5b10",
        "instructor": {"objectType": "Agent", "mbox": "mailto:teacher@school.example"},
        "contextActivities": {
            "parent": [{"id": "https://kakehashi.example/courses/math1", "objectType": "Activity"}],
            "grouping": [{"id": "https://kakehashi.example/schools/1"}],
            "category": [{"id": "https://kakehashi.example/profiles/cmi5"}],
        },
        "platform": "Kakehashi",
        "language": "ja-JP",
        "statement": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
        "extensions": {"https://kakehashi.example/ext/period": {"term": 2}},
    },
    "timestamp": "2026-04-01T09:00:00.000+09:00",
    "attachments": [
        {
            "usageType": "http://example.com/usage/notes",
            "display": {"ja": "メモ"},
            "contentType": "text/plain",
            "length": 4,
            "sha2": "5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d61d8327deb882cf99",
            "fileUrl": "https://kakehashi.example/files/notes.txt",
        }
    ],
}
SUB_STATEMENT = {
    "actor": {
        "objectType": "Group",
        "name": "班",
        "member": [{"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}],
        "openid": "https://openid.school.example/group/1",
    },
    "verb": VERB,
    "object": {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "openid": "https://openid.school.example/s-002"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"und": "answered"}},
        "object": {
            "objectType": "Agent",
            "account": {"homePage": "https://id.school.example", "name": "s-003"},
        },
        "timestamp": "2026-04-01T00:00:00Z",
    },
}
STATEMENT_REF = statement(object={"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"})
TEMPLATES = [RICH_STATEMENT, SUB_STATEMENT, STATEMENT_REF]
# Properties the LRS sets on what it returns, judged by the LRS itself rather than by the statement sender.
LRS_SET = ("stored", "authority", "version")


def _nested(depth: int, leaf: object, *, as_list: bool) -> object:
    for _ in range(depth):
        leaf = [leaf] if as_list else {"a": leaf}
    return leaf


ODD_TEXT = [
    "",
    " ",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "null",
    "x" * 5000,
    "\u0000",
    "\ufeff",
    "\U0010ffff",
    "\ufffe",
    "\u202eevil",
    "e\u0301\u0301\u0301",
    "𝕏𠮷",
    "2026-13-45T25:61:61Z",
    "2026-04-01T09:00:00",
    "P",
    "PT",
    "-PT1S",
    "P1Y2M3DT4H5M6.7S",
    "not an iri",
    "mailto:",
    "http://",
    "urn:",
    "ja-",
    "x-private-only",
    "00000000-0000-0000-0000-000000000000",
    "Activity",
    "Agent",
    "Group",
    "SubStatement",
    "StatementRef",
]
ODD_VALUES = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.sampled_from([None, True, False, 0, -1, 1.5, -0.0, 2**63, -(2**63) - 1, 10**400, 1e308, -1e-308]),
    st.sampled_from([{}, [], [{}], [[]], {"": None}]).map(copy.deepcopy),  # fresh: mutations insert into them
    st.builds(_nested, st.integers(20, 2 * MAX_NESTING), JSON, as_list=st.booleans()),
    st.text(max_size=30),
    JSON,
)
NEW_KEYS = st.one_of(
    st.sampled_from(
        [
            "objectType",
            "id",
            "mbox",
            "mbox_sha1sum",
            "openid",
            "account",
            "member",
            "definition",
            "extensions",
            "score",
            "scaled",
            "contextAgents",
            "contextGroups",
            "revision",
            "stored",
            "authority",
            "$where",
            "a.b",
            "",
        ]
    ),
    st.text(max_size=12),
)


def _paths(value: object, path: tuple = ()) -> list[tuple]:
    """Every path into a JSON value (dict keys and list indices), the root excluded."""
    found = []
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for step, child in children:
        found.append((*path, step))
        found.extend(_paths(child, (*path, step)))
    return found


def _parent(body: object, path: tuple) -> object:
    for step in path[:-1]:
        body = body[step]
    return body


@st.composite
def nested_mutations(draw):
    body = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES))))
    body["id"] = "to be set per request"
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)))
        if path == ("id",):
            continue  # the id is how the outcome is looked up
        parent = _parent(body, path)
        action = draw(st.sampled_from(["replace", "delete", "insert"]))
        if action == "replace":
            parent[path[-1]] = draw(ODD_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(NEW_KEYS)] = draw(ODD_VALUES)
        else:
            parent.insert(draw(st.integers(0, len(parent))), draw(ODD_VALUES))
        if not _paths(body):
            break
    return body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=nested_mutations(), version=st.sampled_from(["1.0.3", "2.0.0"]), batch=st.booleans())
def test_nested_mutations_are_refused_or_stored_valid(client, all_scopes_credentials, body, version, batch):
    body["id"] = str(uuid.uuid4())  # fresh: examples share the database and hypothesis repeats draws
    headers = {"X-Experience-API-Version": version, **basic_auth(*all_scopes_credentials)}
    response = client.post(
        "/xapi/statements",
        data=json.dumps([body] if batch else body),
        headers=headers,
        content_type="application/json",
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    event(f"status {response.status_code}")
    fetched = client.get("/xapi/statements", query_string={"statementId": body["id"]}, headers=headers)
    if response.status_code >= 400:
        assert response.json["error"]["message"]
        assert fetched.status_code == 404, fetched.get_data(as_text=True)[:300]
        return
    assert response.status_code == 200
    assert fetched.status_code == 200
    returned = {name: value for name, value in fetched.json.items() if name not in LRS_SET}
    validate_statement(returned, version)


# Regressions found by the tests above.


def _with_extension(value: object) -> dict:
    return statement(id=str(uuid.uuid4()), result={"extensions": {"https://kakehashi.example/ext/x": value}})


def test_json_nested_up_to_the_limit_is_stored_and_read_back(client, xapi_headers):
    # a batch's array, statement, result, extensions: 4 levels; 96 more make MAX_NESTING (the same
    # limit holds for a statement sent alone: what one request stores, a batch may carry)
    body = _with_extension(_nested(MAX_NESTING - 4, 1, as_list=False))
    assert client.post("/xapi/statements", json=body, headers=xapi_headers).status_code == 200
    fetched = client.get("/xapi/statements", query_string={"statementId": body["id"]}, headers=xapi_headers)
    assert fetched.status_code == 200
    assert fetched.json["result"] == body["result"]


@pytest.mark.parametrize("depth", [MAX_NESTING - 3, 300, 2000])
def test_json_nested_beyond_the_limit_is_refused(client, xapi_headers, depth):
    """Was a 500: orjson writes at most 254 levels (the statement digest), json.loads runs out of stack."""
    body = _with_extension("deep")
    deep = '{"a":' * depth + "1" + "}" * depth  # text: json.dumps itself cannot write 2000 levels
    response = client.post(
        "/xapi/statements",
        data=json.dumps(body).replace('"deep"', deep),
        headers=xapi_headers,
        content_type="application/json",
    )
    assert response.status_code == 400
    # named by the extension (validation bounds a statement's depth), or the body when too deep
    # for the JSON reader itself (more than 1,024 levels)
    where = response.json["error"]["details"]["property"]
    assert where in ("body", 'statements[0].result.extensions["https://kakehashi.example/ext/x"]')
    assert f"nested more than {MAX_NESTING} levels" in response.json["error"]["message"]
    fetched = client.get("/xapi/statements", query_string={"statementId": body["id"]}, headers=xapi_headers)
    assert fetched.status_code == 404


def test_extension_value_with_a_nul_in_an_object_key_is_refused(client, xapi_headers):
    """Was a 500: JSON allows U+0000 in object keys, BSON cannot store them."""
    body = _with_extension([{"fine": {"a\u0000b": 1}}])
    response = client.post("/xapi/statements", json=body, headers=xapi_headers)
    assert response.status_code == 400
    path = 'statements[0].result.extensions["https://kakehashi.example/ext/x"]'
    assert response.json["error"]["details"] == {"property": path}
    assert "U+0000" in response.json["error"]["message"]
    fetched = client.get("/xapi/statements", query_string={"statementId": body["id"]}, headers=xapi_headers)
    assert fetched.status_code == 404


def test_account_name_with_a_nul_is_refused(client, xapi_headers):
    """Was a 500: agent identifiers are keys of the batch's lookup index, and BSON keys cannot hold U+0000."""
    body = statement(
        id=str(uuid.uuid4()), actor={"account": {"homePage": "https://id.school.example", "name": "s\u0000"}}
    )
    response = client.post("/xapi/statements", json=body, headers=xapi_headers)
    assert response.status_code == 400
    assert response.json["error"]["details"] == {"property": "statements[0].actor.account.name"}
    assert "U+0000" in response.json["error"]["message"]
    fetched = client.get("/xapi/statements", query_string={"statementId": body["id"]}, headers=xapi_headers)
    assert fetched.status_code == 404
