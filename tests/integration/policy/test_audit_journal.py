"""The audit log's write-ahead journal: a release is on disk before its response leaves, survives a
database outage and a crashed process, and reaches the chain exactly once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.auth.service import Principal
from gateway.policy import audit
from gateway.policy.audit_journal import _encode

PRINCIPAL = Principal("client-a", "Juku A", "provider", frozenset({"statements/read"}))


def record() -> str:
    return audit.record_release(
        principal=PRINCIPAL,
        request_id="req-1",
        resource="xapi/statements",
        categories=["process.study-time"],
        subjects=["stu-1"],
        decisions=[],
        withheld={},
    )


def journal_dir(app) -> Path:
    return Path(app.config["KAKEHASHI_DATA_DIR"]) / "audit-journal" / "kakehashi_test"


def journaled_ids(app) -> set[str]:
    ids = set()
    for path in journal_dir(app).glob("*.jsonl"):
        ids.update(
            line.split(b'"_id":"')[1].split(b'"')[0].decode() for line in path.read_bytes().splitlines()
        )
    return ids


def test_an_entry_is_on_disk_while_the_database_is_down_and_chained_when_it_is_back(app, monkeypatch):
    real_append = audit._append_to_chain
    database_up = threading.Event()

    def append_when_up(entries):
        if not database_up.is_set():
            raise ConnectionError("database unreachable")
        real_append(entries)

    monkeypatch.setattr(audit, "_append_to_chain", append_when_up)
    with app.app_context():
        entry_id = record()  # returns: the response may leave, the record is on disk
        assert entry_id in journaled_ids(app)
        assert audit.AuditEntry._get_collection().find_one({"_id": entry_id}) is None
        assert audit.drain_journal(timeout=0.3) is False

        database_up.set()
        assert audit.drain_journal(timeout=10)
        assert audit.AuditEntry._get_collection().find_one({"_id": entry_id}) is not None
        assert journaled_ids(app) == set()  # the segment is emptied once its entries are chained
        assert audit.verify_chain() == (True, None)


def test_a_dead_process_journal_is_linked_into_the_chain_once(app):
    with app.app_context():
        chained = record()
        audit.drain_journal()
        at = datetime.now(UTC).replace(microsecond=0)
        orphans = [
            {
                "_id": str(uuid.uuid4()),
                "at": at,
                "client_id": "client-b",
                "subjects": [],
                "actor": None,
                "categories": ["process.study-time"],
                "resource": "xapi/statements",
                "request_id": None,
                "principal": {"client_id": "client-b", "role": "provider"},
                "decisions": [],
                "withheld": [],
            }
            for _ in range(2)
        ]
        already = audit.AuditEntry._get_collection().find_one({"_id": chained})
        already = {key: value for key, value in already.items() if key not in ("seq", "prev", "hash")}
        already["at"] = already["at"].replace(tzinfo=UTC)
        segment = journal_dir(app) / "99999-dead.jsonl"
        # a crash may leave its last line cut short; an entry chained before the crash is listed too
        segment.write_bytes(b"".join(_encode(entry) for entry in [already, *orphans]) + b'{"_id": "cut')

        other = audit.AuditEntry._get_collection()
        app.extensions.pop("kakehashi.audit")  # a new process starting on the same data directory
        audit.drain_journal()  # no journal yet in this "process": nothing to wait for
        record()
        assert audit.drain_journal(timeout=10)
        assert not segment.exists()
        assert {entry["_id"] for entry in orphans} <= {entry["_id"] for entry in other.find({})}
        assert other.count_documents({}) == 4  # the chained one is not linked twice
        assert audit.verify_chain() == (True, None)


@pytest.mark.parametrize("reader", ["find_entry", "query_entries"])
def test_readers_in_the_process_see_its_latest_release(app, reader):
    with app.app_context():
        entry_id = record()
        if reader == "find_entry":
            assert audit.find_entry(entry_id)["id"] == entry_id
        else:
            assert audit.query_entries(client_id="client-a")[1][0]["id"] == entry_id


def test_a_log_indexed_by_subject_the_old_way_is_indexed_once_and_the_old_index_dropped(app):
    with app.app_context():
        entry_id = record()
        audit.drain_journal()
        log = audit.AuditEntry._get_collection()
        audit.AuditSubjectIndex._get_collection().delete_many({})
        log.create_index([("subjects", 1), ("at", 1)])  # as logs written before the subject index
        assert audit.query_entries(subject="stu-1") == (0, [])

        audit.AuditEntry.ensure_indexes()
        assert audit.OBSOLETE_SUBJECT_INDEX not in log.index_information()
        total, entries = audit.query_entries(subject="stu-1")
        assert total == 1 and entries[0]["id"] == entry_id
