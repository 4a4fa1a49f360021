"""Large roster imports build a new generation and switch one pointer; a failure or crash leaves the
previous roster served; a second concurrent import is refused; stale locks are taken over."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from adapters.oneroster.importer import import_roster
from gateway.oneroster import repository
from gateway.storage.connection import database
from tests.integration.roster_sets import STUDENTS, rows_for, write_set
from tests.integration.test_roster_cli import run
from tests.integration.test_roster_import import counts, snapshot


@pytest.fixture
def generations(monkeypatch):
    """Every import takes the generation path, however small."""
    monkeypatch.setattr(repository, "IN_PLACE_LIMIT", 0)


def generation_collections() -> list[str]:
    return sorted(n for n in database().list_collection_names() if repository.GENERATION_MARK in n)


def test_large_import_switches_to_a_new_generation_and_drops_the_old(app, tmp_path, generations):
    with app.app_context():
        first = import_roster(write_set(tmp_path / "full"), profile="jp")
        assert first.applied and not first.rejected
        live = repository.live_names()
        assert repository.GENERATION_MARK in live["users"] and repository.count("enrollments") == 4
        rows = rows_for("1.2")
        rows["enrollments"] = rows["enrollments"][:2]
        rows["users"][1]["givenName"] = "花子"
        second = import_roster(write_set(tmp_path / "smaller", rows=rows), profile="jp")
        assert repository.count("enrollments") == 2
        assert repository.collection("users").find_one({"_id": STUDENTS[0]})["givenName"] == "花子"
        # Only the live generations remain; entities the import did not change keep theirs.
        assert generation_collections() == sorted(n for n in repository.live_names().values() if "__g" in n)
        assert repository.live_names()["orgs"] == live["orgs"]
        assert "dateLastModified_1" in repository.collection("enrollments").index_information()
    assert counts(second)["enrollments"] == (0, 0, 2, 2)
    assert counts(second)["users"] == (0, 1, 0, 3)


def test_a_failure_before_the_switch_leaves_the_previous_roster_served(
    app, tmp_path, generations, monkeypatch
):
    with app.app_context():
        import_roster(write_set(tmp_path / "valid"), profile="jp")
        before, names = snapshot(), repository.live_names()
        rows = rows_for("1.2")
        for user in rows["users"]:
            user["givenName"] += "2"
        original, calls = repository.index_entity, []

        def failing(entity, target):
            calls.append(entity)
            if len(calls) == 1:
                raise RuntimeError("disk full")
            return original(entity, target)

        monkeypatch.setattr(repository, "index_entity", failing)
        with pytest.raises(RuntimeError):
            import_roster(write_set(tmp_path / "changed", rows=rows), profile="jp")
        monkeypatch.setattr(repository, "index_entity", original)
        assert snapshot() == before and repository.live_names() == names
        assert generation_collections() == sorted(n for n in names.values() if "__g" in n)
        assert not repository.lock_held()


def test_an_error_found_after_the_background_writes_began_changes_nothing(app, tmp_path, generations):
    """The generation is filled while validation goes on: an error found later (an orphan enrollment,
    read after the changed users were already being inserted) drops everything staged."""
    with app.app_context():
        import_roster(write_set(tmp_path / "valid"), profile="jp")
        before, names = snapshot(), repository.live_names()
        rows = rows_for("1.2")
        for user in rows["users"]:
            user["givenName"] += "2"
        rows["enrollments"][-1]["classSourcedId"] = "6f1c2f36-2b8e-4d52-9a55-1d1f1c1e7a10"
        result = import_roster(write_set(tmp_path / "orphan", rows=rows), profile="jp")
        assert result.rejected and not result.applied
        assert [i.rule for i in result.issues if i.severity == "error"] == ["reference"]
        assert snapshot() == before and repository.live_names() == names
        assert generation_collections() == sorted(n for n in names.values() if "__g" in n)
        assert not repository.lock_held()


def test_a_failing_background_write_fails_the_import_and_changes_nothing(
    app, tmp_path, generations, monkeypatch
):
    with app.app_context():
        import_roster(write_set(tmp_path / "valid"), profile="jp")
        before, names = snapshot(), repository.live_names()
        rows = rows_for("1.2")
        for user in rows["users"]:
            user["givenName"] += "2"

        def failing(self, documents, **options):
            raise RuntimeError("disk full")

        monkeypatch.setattr(repository.Collection, "insert_many", failing)
        with pytest.raises(RuntimeError, match="disk full"):
            import_roster(write_set(tmp_path / "changed", rows=rows), profile="jp")
        monkeypatch.undo()
        assert snapshot() == before and repository.live_names() == names
        assert generation_collections() == sorted(n for n in names.values() if "__g" in n)
        assert not repository.lock_held()


def test_generations_left_by_a_crashed_import_are_dropped_by_the_next(app, tmp_path):
    with app.app_context():
        database()["oneroster_users__gdeadbeef"].insert_one({"_id": "half-written"})
        result = import_roster(write_set(tmp_path / "set"), profile="jp")
        assert result.applied
        assert "oneroster_users__gdeadbeef" not in database().list_collection_names()
        assert repository.collection("users").find_one({"_id": "half-written"}) is None


def _hold_lock(pid: int, renewed: datetime | None = None, host: str | None = None) -> None:
    import socket

    now = datetime.now(UTC)
    database()[repository.STATE].insert_one(
        {
            "_id": repository.LOCK,
            "batch": "other-import",
            "host": host or socket.gethostname(),
            "pid": pid,
            "startedAt": now,
            "renewedAt": renewed or now,
        }  # fmt: skip
    )


def test_a_second_import_is_refused_while_one_runs(app, tmp_path, monkeypatch, database_uri):
    with app.app_context():
        _hold_lock(pid=1, host="another-host")
        before = snapshot()
        result = import_roster(write_set(tmp_path / "set"), profile="jp")
        assert result.rejected and not result.applied
        assert [i.rule for i in result.issues] == ["import-locked"]
        assert "other-import" in result.issues_table("en")
        assert snapshot() == before
        # The refused import leaves the holder's lock alone.
        assert database()[repository.STATE].find_one({"_id": repository.LOCK})["batch"] == "other-import"
    cli = run(
        monkeypatch, database_uri, tmp_path, write_set(tmp_path / "cli"), "--profile", "jp", "--no-progress"
    )
    assert cli.exit_code == 1 and "another roster import is running" in cli.output


def test_a_stale_lock_is_taken_over(app, tmp_path):
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with app.app_context():
        _hold_lock(pid=int(finished.stdout))  # this host, process gone
        assert import_roster(write_set(tmp_path / "a"), profile="jp").applied
        _hold_lock(
            pid=1, host="another-host", renewed=datetime.now(UTC) - repository.LOCK_STALE - timedelta(1)
        )
        assert import_roster(write_set(tmp_path / "b"), profile="jp").applied
        assert not repository.lock_held()
