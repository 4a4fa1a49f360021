"""Filter conditions for StatementRefs (xAPI 1.0.3 Communication 2.1.3.s3, 2.0 4.1.6.1): a statement
targeting another meets a query's filter condition when its target (recursively) meets it; since,
until and limit apply to the targeting statement itself; voided targets still count."""

from __future__ import annotations

import time
import uuid

from tests.api.test_xapi_slice import statement

VOIDED = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}
CONFIRMED = {"id": "http://example.com/verbs/confirmed"}
PASSED = {"id": "http://example.com/verbs/passed"}
BEN = {"objectType": "Agent", "mbox": "mailto:ben@example.com"}
ANDREW = {"objectType": "Agent", "mbox": "mailto:andrew@example.com"}
TRAINING = {"objectType": "Activity", "id": "http://example.com/explosives-training"}


def _ref(target: str) -> dict:
    return {"objectType": "StatementRef", "id": target}


def _post(client, headers, *bodies) -> list[str]:
    ids = []
    for body in bodies:
        body = {"id": str(uuid.uuid4()), **body}
        response = client.post("/xapi/statements", json=body, headers=headers)
        assert response.status_code == 200, response.json
        ids.append(body["id"])
        time.sleep(0.002)  # `stored` has millisecond precision: keep the order the tests expect
    return ids


def _ids(client, headers, **query) -> list[str]:
    response = client.get("/xapi/statements", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return [s["id"] for s in response.json["statements"]]


def test_statements_targeting_a_voided_statement_are_still_returned(client, xapi_headers):
    verb = {"id": f"http://example.com/verbs/{uuid.uuid4()}"}
    [voided] = _post(client, xapi_headers, statement(verb=verb))
    since = client.get("/xapi/statements", headers=xapi_headers).headers[
        "X-Experience-API-Consistent-Through"
    ]
    time.sleep(0.01)
    [voiding, referring] = _post(
        client,
        xapi_headers,
        statement(verb=VOIDED, object=_ref(voided)),
        statement(verb=verb, object=_ref(voided)),
    )
    assert _ids(client, xapi_headers, verb=verb["id"]) == [referring, voiding]
    assert _ids(client, xapi_headers, verb=verb["id"], since=since) == [referring, voiding]
    assert _ids(client, xapi_headers, verb=verb["id"], limit=1) == [referring]
    assert _ids(client, xapi_headers, verb=verb["id"], ascending="true") == [voiding, referring]


def test_the_rule_applies_recursively_and_to_each_condition(client, xapi_headers):
    [passed] = _post(client, xapi_headers, statement(actor=BEN, verb=PASSED, object=TRAINING))
    [confirmed] = _post(client, xapi_headers, statement(actor=ANDREW, verb=CONFIRMED, object=_ref(passed)))
    [noted] = _post(client, xapi_headers, statement(verb=CONFIRMED, object=_ref(confirmed)))
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == [noted, confirmed, passed]
    assert _ids(client, xapi_headers, agent='{"mbox": "mailto:ben@example.com"}') == [
        noted,
        confirmed,
        passed,
    ]
    # Andrew is the actor of `confirmed`, explosives training the object of what it targets.
    both = _ids(client, xapi_headers, agent='{"mbox": "mailto:andrew@example.com"}', activity=TRAINING["id"])
    assert both == [noted, confirmed]
    assert _ids(client, xapi_headers, verb=PASSED["id"], registration=str(uuid.uuid4())) == []


def test_until_applies_to_the_targeting_statement(client, xapi_headers):
    [passed] = _post(client, xapi_headers, statement(verb=PASSED, object=TRAINING))
    until = client.get("/xapi/statements", headers=xapi_headers).headers[
        "X-Experience-API-Consistent-Through"
    ]
    time.sleep(0.01)
    [confirmed] = _post(client, xapi_headers, statement(verb=CONFIRMED, object=_ref(passed)))
    assert _ids(client, xapi_headers, verb=PASSED["id"]) == [confirmed, passed]
    assert _ids(client, xapi_headers, verb=PASSED["id"], until=until) == [passed]


def test_a_target_that_arrives_later_links_up(client, xapi_headers):
    passed, confirmed, noted = (str(uuid.uuid4()) for _ in range(3))
    _post(client, xapi_headers, {"id": noted, **statement(verb=CONFIRMED, object=_ref(confirmed))})
    _post(client, xapi_headers, {"id": confirmed, **statement(verb=CONFIRMED, object=_ref(passed))})
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == []
    _post(client, xapi_headers, {"id": passed, **statement(verb=PASSED, object=TRAINING)})
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == [passed, confirmed, noted]


def test_a_batch_may_hold_the_whole_chain(client, xapi_headers):
    passed, confirmed = str(uuid.uuid4()), str(uuid.uuid4())
    batch = [
        {"id": confirmed, **statement(verb=CONFIRMED, object=_ref(passed))},
        {"id": passed, **statement(verb=PASSED, object=TRAINING)},
    ]
    assert client.post("/xapi/statements", json=batch, headers=xapi_headers).status_code == 200
    assert sorted(_ids(client, xapi_headers, verb=PASSED["id"])) == sorted([passed, confirmed])


def test_a_statement_voided_before_it_arrives_is_stored_voided(client, xapi_headers):
    target = str(uuid.uuid4())
    _post(client, xapi_headers, statement(verb=VOIDED, object=_ref(target)))
    _post(client, xapi_headers, {"id": target, **statement(verb=PASSED)})
    by_id = client.get("/xapi/statements", query_string={"statementId": target}, headers=xapi_headers)
    assert by_id.status_code == 404
    voided = client.get("/xapi/statements", query_string={"voidedStatementId": target}, headers=xapi_headers)
    assert voided.status_code == 200


def test_a_voiding_statement_still_cannot_be_voided(client, xapi_headers):
    [target] = _post(client, xapi_headers, statement())
    [voiding] = _post(client, xapi_headers, statement(verb=VOIDED, object=_ref(target)))
    again = client.post(
        "/xapi/statements", json=statement(verb=VOIDED, object=_ref(voiding)), headers=xapi_headers
    )
    assert again.status_code == 400


def test_a_statement_ref_in_context_does_not_count(client, xapi_headers):
    [passed] = _post(client, xapi_headers, statement(verb=PASSED, object=TRAINING))
    _post(client, xapi_headers, statement(verb=CONFIRMED, context={"statement": _ref(passed)}))
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == [passed]


def test_an_awaited_target_is_invisible_until_it_arrives(app, client, xapi_headers):
    from gateway.lrs import repository

    target = str(uuid.uuid4())
    _post(client, xapi_headers, statement(verb=CONFIRMED, object=_ref(target)))
    with app.app_context():
        assert repository.count_statements() == 1
        assert repository.find_by_ids([target]) == {}
        assert [record["_id"] for record in repository.all_records()] != [target]
    by_id = client.get("/xapi/statements", query_string={"statementId": target}, headers=xapi_headers)
    assert by_id.status_code == 404
    _post(client, xapi_headers, {"id": target, **statement(verb=PASSED, object=TRAINING)})
    with app.app_context():
        assert repository.count_statements() == 2
        assert repository.release_awaited([target]) == []  # the marker went with the insert


def test_a_rejected_batch_keeps_its_targets_awaited(client, xapi_headers):
    target, taken = str(uuid.uuid4()), str(uuid.uuid4())
    [noted] = _post(client, xapi_headers, statement(verb=CONFIRMED, object=_ref(target)))
    _post(client, xapi_headers, {"id": taken, **statement(verb=PASSED)})
    conflicting = [
        {"id": target, **statement(verb=PASSED, object=TRAINING)},
        {"id": taken, **statement(verb=CONFIRMED)},
    ]
    assert client.post("/xapi/statements", json=conflicting, headers=xapi_headers).status_code == 409
    _post(client, xapi_headers, {"id": target, **statement(verb=PASSED, object=TRAINING)})
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == [target, noted]


def test_a_target_stored_while_it_was_being_awaited_links_up(app, client, xapi_headers):
    """The race: the target's writer saw no marker yet; the registration finds it stored."""
    from gateway.lrs import repository
    from gateway.lrs.targeting import service as targeting

    target = str(uuid.uuid4())
    [voiding] = _post(client, xapi_headers, statement(verb=VOIDED, object=_ref(target)))
    [noted] = _post(client, xapi_headers, statement(verb=CONFIRMED, object=_ref(target)))
    with app.app_context():
        assert repository.release_awaited([target]) == [target]  # as if not registered yet
    _post(client, xapi_headers, {"id": target, **statement(verb=PASSED, object=TRAINING)})
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == [target]  # not linked yet
    with app.app_context():
        assert repository.await_statements([target]) == [target]
        targeting.link_arrived([target])
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == [noted, voiding]
    voided = client.get("/xapi/statements", query_string={"voidedStatementId": target}, headers=xapi_headers)
    assert voided.status_code == 200


def test_forward_references_stored_before_markers_are_registered_once(app, client, xapi_headers):
    from gateway.lrs import repository

    target = str(uuid.uuid4())
    [noted] = _post(client, xapi_headers, statement(verb=CONFIRMED, object=_ref(target)))
    with app.app_context():
        repository.release_awaited([target])  # as stored before markers existed
        repository.batches().database[repository.META_COLLECTION].delete_one({"_id": "awaited_markers"})
        repository.register_awaited_targets()
    _post(client, xapi_headers, {"id": target, **statement(verb=PASSED, object=TRAINING)})
    assert _ids(client, xapi_headers, activity=TRAINING["id"]) == [target, noted]
