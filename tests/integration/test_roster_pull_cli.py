"""`kakehashi roster pull`: pulls from a OneRoster REST provider (played by `responses`), prints the
counts, exits 0; `--delta` pulls what changed since the newest record already pulled from that
source; exits 1 with a clear message when the provider refuses the credentials."""

from __future__ import annotations

import json

import responses
from click.testing import CliRunner

from gateway.cli import main
from gateway.oneroster import repository
from tests.integration.test_roster_pull import BASE, DLM, LATER, enrollment, provider, roster, serve, student


def pull(monkeypatch, database_uri, tmp_path, *args):
    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    options = [
        "--base-url",
        BASE,
        "--token-url",
        f"{BASE}/token",
        "--client-id",
        "id",
        "--name",
        "Remote SIS",
    ]
    return CliRunner(env={"KAKEHASHI_ONEROSTER_CLIENT_SECRET": "secret"}).invoke(
        main, ["roster", "pull", *options, *args]
    )


@responses.activate
def test_pull_imports_and_prints_the_counts(app, monkeypatch, database_uri, tmp_path):
    provider([student("花子")])
    result = pull(monkeypatch, database_uri, tmp_path, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["applied"] and document["source"] == "Remote SIS"
    assert document["counts"]["users"]["created"] == 1
    token_call = responses.calls[0].request
    assert token_call.url == f"{BASE}/token"
    with app.app_context():
        assert repository.collection("users").find_one({"_id": "u1"})["givenName"] == "花子"


@responses.activate
def test_pull_delta_starts_from_the_newest_record_pulled(app, monkeypatch, database_uri, tmp_path):
    provider([student("花子")])
    assert pull(monkeypatch, database_uri, tmp_path).exit_code == 0
    responses.reset()
    changes = {entity: [] for entity in roster([])}
    changes["users"] = [student("陽菜", modified=LATER)]
    changes["enrollments"] = [enrollment("e1", "u1", "tobedeleted", LATER)]
    serve(changes, since=DLM)  # only a request filtering on the newest stored dateLastModified matches
    result = pull(monkeypatch, database_uri, tmp_path, "--delta", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["files"] == {"users": "delta", "roles": "delta", "enrollments": "delta"}
    assert document["counts"]["users"]["updated"] == 1
    assert document["counts"]["enrollments"]["deleted"] == 1
    with app.app_context():
        assert repository.collection("users").find_one({"_id": "u1"})["givenName"] == "陽菜"
        assert repository.count("enrollments") == 0


@responses.activate
def test_pull_dry_run_changes_nothing(app, monkeypatch, database_uri, tmp_path):
    provider([student("花子")])
    result = pull(monkeypatch, database_uri, tmp_path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "users" in result.output
    with app.app_context():
        assert repository.collection("users").find_one({"_id": "u1"}) is None


@responses.activate
def test_pull_with_refused_credentials_exits_1(app, monkeypatch, database_uri, tmp_path):
    responses.add(responses.POST, f"{BASE}/token", status=401, json={"error": "invalid_client"})
    result = pull(monkeypatch, database_uri, tmp_path)
    assert result.exit_code == 1
    assert (
        "401" in result.output or "invalid_client" in result.output or "credentials" in result.output.lower()
    )
