"""Every database read behind a statement query is served by an index (checked with explain()),
whatever the filters: the embedded store, like MongoDB, then touches only what a page needs."""

from __future__ import annotations

import json
import uuid

import pytest

from gateway.lrs import repository

ACTOR = {"objectType": "Agent", "account": {"homePage": "https://id.school.example", "name": "s-1"}}
VERB = "http://adlnet.gov/expapi/verbs/completed"
UNIT = "https://kakehashi.example/units/8451503311000000"
EXAM = "https://exams.example/mock/2026/1"
REGISTRATION = str(uuid.uuid4())

QUERIES = [
    {},
    {"agent": json.dumps(ACTOR)},
    {"agent": json.dumps(ACTOR), "related_agents": "true"},
    {"verb": VERB},
    {"activity": UNIT},
    {"activity": EXAM, "related_activities": "true"},
    {"registration": REGISTRATION},
    {"since": "2020-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"},
    {"verb": VERB, "agent": json.dumps(ACTOR), "ascending": "true"},
    {"limit": 1},
]


@pytest.fixture
def recorded_reads(monkeypatch):
    """The filters of every find() on the statement batches."""
    filters: list[dict] = []
    batches = repository.batches

    class Recording:
        def __init__(self, collection):
            self._collection = collection

        def find(self, criteria=None, *args, **kwargs):
            filters.append(criteria or {})
            return self._collection.find(criteria, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self._collection, name)

    monkeypatch.setattr(repository, "batches", lambda: Recording(batches()))
    return filters


def test_every_statement_read_uses_an_index(app, client, xapi_headers, recorded_reads):
    statement = {
        "actor": ACTOR,
        "verb": {"id": VERB},
        "object": {"id": UNIT},
        "context": {"registration": REGISTRATION, "contextActivities": {"parent": [{"id": EXAM}]}},
    }
    for _ in range(3):
        ids = client.post("/xapi/statements", json=[statement, statement], headers=xapi_headers).json
    client.post(
        "/xapi/statements",
        json={
            **statement,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": ids[0]},
        },
        headers=xapi_headers,
    )
    for query in QUERIES:
        page = client.get("/xapi/statements", query_string=query, headers=xapi_headers)
        assert page.status_code == 200, (query, page.json)
        if page.json["more"]:
            assert client.get(page.json["more"], headers=xapi_headers).status_code == 200
    assert (
        client.get("/xapi/statements", query_string={"statementId": ids[1]}, headers=xapi_headers).status_code
        == 200
    )
    assert (
        client.get(
            "/xapi/statements", query_string={"voidedStatementId": ids[0]}, headers=xapi_headers
        ).status_code
        == 200
    )

    assert len(recorded_reads) > len(QUERIES)
    with app.app_context():
        batches = repository.batches()
        for criteria in recorded_reads:
            explained = batches.database.command(
                "explain", {"find": batches.name, "filter": criteria}, verbosity="queryPlanner"
            )
            plan = json.dumps(explained["queryPlanner"]["winningPlan"])
            assert "IXSCAN" in plan and "COLLSCAN" not in plan, (criteria, plan)
