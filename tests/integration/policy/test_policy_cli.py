"""kakehashi audit verify (exit 1 naming the entry edited in MongoDB) and kakehashi consents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from gateway.auth.service import Principal
from gateway.cli import main
from gateway.policy import audit, consent


def run(monkeypatch, database_uri, tmp_path, *args):
    monkeypatch.setenv("MONGODB_URI", database_uri)
    monkeypatch.setenv("MONGODB_DB", "kakehashi_test")
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    return CliRunner().invoke(main, list(args))


def test_audit_verify_detects_an_entry_edited_in_the_database(app, monkeypatch, database_uri, tmp_path):
    principal = Principal("juku-1", "Juku", "provider", frozenset({"statements/read"}))
    with app.app_context():
        ids = [
            audit.record_release(
                principal=principal,
                request_id=None,
                resource="xapi.statements",
                categories=["process.study-time"],
                subjects=["stu-1"],
                decisions=[],
                withheld={},
            )
            for _ in range(3)
        ]
        audit.drain_journal()  # the gateway's journal reaches the chain before the command reads it
    result = run(monkeypatch, database_uri, tmp_path, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit chain ok: 3 entries" in result.output
    from pymongo import MongoClient

    with MongoClient(database_uri) as raw:  # an edit straight in MongoDB, not through the app
        raw["kakehashi_test"]["audit_log"].update_one(
            {"_id": ids[1]}, {"$set": {"client_id": "someone-else"}}
        )
    result = run(monkeypatch, database_uri, tmp_path, "audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at entry {ids[1]} (seq 1)" in result.output and "edited" in result.output


def test_consents_list_and_revoke(app, monkeypatch, database_uri, tmp_path):
    with app.app_context():
        receipt = consent.grant_consent(
            subject="stu-1",
            granted_by="stu-1",
            granted_by_role="student",
            recipient_client_id="juku-1",
            purpose="learning-support",
            categories=["process.study-time"],
            valid_from=datetime.now(UTC),
            valid_until=datetime.now(UTC) + timedelta(days=1),
        )
    listed = run(monkeypatch, database_uri, tmp_path, "consents", "list", "--subject", "stu-1")
    assert listed.exit_code == 0 and receipt["kakehashi"]["id"] in listed.output
    revoked = run(
        monkeypatch,
        database_uri,
        tmp_path,
        "consents",
        "revoke",
        receipt["kakehashi"]["id"],
        "--by",
        "admin:ops",
    )
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    again = run(
        monkeypatch,
        database_uri,
        tmp_path,
        "consents",
        "revoke",
        receipt["kakehashi"]["id"],
        "--by",
        "admin:ops",
    )
    assert again.exit_code == 1 and "already revoked" in again.output
