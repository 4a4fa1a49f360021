"""The audit log: hash chain, tamper detection, concurrent writers, pseudonymous subjects."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from gateway.auth.service import Principal
from gateway.policy import audit

PRINCIPAL = Principal("client-a", "Juku A", "provider", frozenset({"statements/read"}))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def record(subjects=("stu-1",), **overrides) -> str:
    arguments = dict(
        principal=PRINCIPAL,
        request_id="req-1",
        resource="xapi.statements",
        categories=["process.study-time"],
        subjects=list(subjects),
        decisions=[
            {
                "category": "process.study-time",
                "form": "identified",
                "rule": "strict/3/provider/consent",
                "consent_id": "c-1",
            }
        ],
        withheld={"process.coaching-note": 2},
    )
    arguments.update(overrides)
    entry_id = audit.record_release(**arguments)
    audit.drain_journal()  # these tests edit the chain in the database behind the API's back
    return entry_id


def test_chain_verifies_and_detects_an_edit(ctx):
    ids = [record() for _ in range(5)]
    assert audit.verify_chain() == (True, None)
    audit.AuditEntry._get_collection().update_one({"_id": ids[2]}, {"$set": {"categories": []}})
    assert audit.verify_chain() == (False, ids[2])


def test_chain_detects_a_removed_entry(ctx):
    ids = [record() for _ in range(4)]
    audit.AuditEntry._get_collection().delete_one({"_id": ids[1]})
    ok, bad = audit.verify_chain()
    assert not ok and bad == ids[2]


def test_chain_detects_a_rehashed_edit(ctx):
    ids = [record() for _ in range(3)]
    collection = audit.AuditEntry._get_collection()
    entry = collection.find_one({"_id": ids[1]})
    entry["client_id"] = "someone-else"
    entry["hash"] = audit.entry_hash(entry)
    collection.replace_one({"_id": ids[1]}, entry)
    assert audit.verify_chain() == (False, ids[2])


def test_concurrent_writers_keep_one_linear_chain(ctx, app):
    errors = []

    def write():
        with app.app_context():
            try:
                for _ in range(10):
                    record()
            except Exception as error:  # noqa: BLE001
                errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = audit.verify_chain_report()
    assert report.ok and report.checked == 40


def test_subjects_are_pseudonymous_and_queryable(ctx):
    entry_id = record(subjects=["stu-1", "stu-2"])
    record(subjects=["stu-3"], principal=Principal("client-b", "B", "school", frozenset()))
    stored = audit.AuditEntry._get_collection().find_one({"_id": entry_id})
    assert "stu-1" not in str(stored)
    total, entries = audit.query_entries(subject="stu-1")
    assert total == 1 and entries[0]["id"] == entry_id
    assert entries[0]["withheld"] == [{"what": "process.coaching-note", "detail": 2}]
    assert audit.query_entries(client_id="client-b")[0] == 1
    assert audit.query_entries(subject="nobody") == (0, [])
    now = datetime.now(UTC)
    assert audit.query_entries(since=now + timedelta(minutes=1))[0] == 0
    assert audit.query_entries(until=now + timedelta(minutes=1))[0] == 2
    assert audit.forget_subject("stu-1")
    assert audit.query_entries(subject="stu-1") == (0, [])
    assert audit.verify_chain() == (True, None)


def test_a_stale_head_from_another_process_costs_a_retry_not_a_fork(ctx, app):
    record()
    stale = app.extensions["kakehashi.audit"].head
    record()
    record()
    app.extensions["kakehashi.audit"].head = stale  # as if another process wrote the last two
    record()
    report = audit.verify_chain_report()
    assert report.ok and report.checked == 4


def test_decisions_are_stored_once_per_distinct_decision_and_read_back_per_subject(ctx):
    decision = {"category": "process.study-time", "form": "identified", "rule": "strict/III/provider/school"}
    entry_id = record(
        subjects=("stu-1", "stu-2", "stu-3"),
        decisions=[
            {**decision, "subjects": ["stu-1", "stu-2"]},
            {**decision, "subject": "stu-3"},
            {"category": "process.coaching-note", "form": "deny", "subjects": ["stu-3"]},
        ],
    )
    stored = audit.AuditEntry._get_collection().find_one({"_id": entry_id})
    assert [sorted(d) for d in stored["decisions"]] == [
        ["category", "form", "rule", "subjects"],
        ["category", "form", "subjects"],
    ]
    assert stored["decisions"][0]["subjects"] == [0, 1, 2]
    released = audit.find_entry(entry_id)["decisions"]
    assert len(released) == 4
    assert {d["subject"] for d in released} == set(stored["subjects"])
