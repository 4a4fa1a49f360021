"""Profile validation on ingest: statements declaring the Kakehashi profile are checked against its
templates; a strict client gets 400 naming the rule, a lenient one a warning header; others pass."""

from __future__ import annotations

import copy
import uuid

import pytest

from gateway.demo import vocabulary as v
from gateway.xapi_profile.ingest import WARNING_HEADER
from tests.conftest import basic_auth

ACTOR = {"objectType": "Agent", "account": {"homePage": "https://id.example.jp", "name": "stu-1"}}
STUDY_SESSION = {
    "actor": ACTOR,
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
    "object": {
        "id": "https://kakehashi.example/units/8451503312000000",
        "definition": {"type": v.CURRICULUM_UNIT, "extensions": {v.COURSE_OF_STUDY_CODE: "8451503312000000"}},
    },
    "result": {"duration": "PT35M"},
    "context": {"contextActivities": {"category": [{"id": v.KAKEHASHI_PROFILE}]}},
}  # fmt: skip — breaks the study-session template: no study-minutes context extension


@pytest.fixture
def writer(app, make_credentials):
    def headers(mode: str) -> dict:
        client_id, secret = make_credentials("statements/write statements/read")
        if mode == "strict":
            from gateway.auth.service import set_profile_mode

            with app.app_context():
                set_profile_mode(client_id, "strict")
        return {**basic_auth(client_id, secret), "X-Experience-API-Version": "2.0.0"}

    return headers


def _stored(client, headers, statement_id) -> int:
    return client.get(f"/xapi/statements?statementId={statement_id}", headers=headers).status_code


def test_a_strict_client_gets_400_naming_the_rule_and_nothing_is_stored(client, writer):
    headers = writer("strict")
    good = {**copy.deepcopy(STUDY_SESSION), "id": str(uuid.uuid4()), "context": {}}
    bad = {**copy.deepcopy(STUDY_SESSION), "id": str(uuid.uuid4())}
    response = client.post("/xapi/statements", json=[good, bad], headers=headers)
    assert response.status_code == 400
    message = response.json["error"]["message"]
    assert "statements[1]" in message and "study-minutes" in message
    assert _stored(client, headers, good["id"]) == 404  # the batch is atomic


def test_a_lenient_client_stores_with_a_warning(client, writer):
    headers = writer("lenient")
    bad = {**copy.deepcopy(STUDY_SESSION), "id": str(uuid.uuid4())}
    response = client.post("/xapi/statements", json=bad, headers=headers)
    assert response.status_code == 200
    assert response.headers[WARNING_HEADER].startswith("1 profile rule failure(s): statements[0]")
    assert _stored(client, headers, bad["id"]) == 200
    without_id = {key: value for key, value in bad.items() if key != "id"}
    response = client.put(f"/xapi/statements?statementId={uuid.uuid4()}", json=without_id, headers=headers)
    assert response.status_code == 204 and WARNING_HEADER in response.headers


def test_conforming_and_undeclaring_statements_pass_untouched(client, writer):
    headers = writer("strict")
    conforming = copy.deepcopy(STUDY_SESSION)
    conforming["context"]["extensions"] = {v.STUDY_MINUTES: 35}
    undeclared = {**copy.deepcopy(STUDY_SESSION), "context": {}}
    response = client.post("/xapi/statements", json=[conforming, undeclared], headers=headers)
    assert response.status_code == 200, response.json
    assert WARNING_HEADER not in response.headers


def test_the_mode_is_set_per_client_from_the_command_line(
    make_credentials, monkeypatch, database_uri, tmp_path
):
    from click.testing import CliRunner

    from gateway.cli import main

    client_id, _ = make_credentials()
    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(main, ["clients", "profile-mode", client_id, "strict"]).exit_code == 0
    result = runner.invoke(main, ["clients", "profile-mode", "no-such-client", "strict"])
    assert result.exit_code != 0 and "no client" in result.output
