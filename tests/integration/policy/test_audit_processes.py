"""Two gateway processes writing the audit log at once keep one linear, verifiable chain."""

from __future__ import annotations

import multiprocessing

import pytest


def _write(uri: str, data_dir: str, count: int) -> None:
    from gateway import create_app
    from gateway.auth.service import Principal
    from gateway.policy import audit

    app = create_app(
        {
            "MONGODB_URI": uri,
            "MONGODB_DB": "kakehashi_test",
            "SECRET_KEY": "x",
            "KAKEHASHI_DATA_DIR": data_dir,
        }
    )
    principal = Principal("juku-1", "Juku", "provider", frozenset({"statements/read"}))
    with app.app_context():
        for index in range(count):
            audit.record_release(
                principal=principal,
                request_id=str(index),
                resource="xapi.statements",
                categories=["process.study-time"],
                subjects=[f"stu-{index % 7}"],
                decisions=[],
                withheld={},
            )


@pytest.mark.slow
def test_two_processes_keep_one_chain(app, database_uri, tmp_path):
    from gateway.policy import audit

    context = multiprocessing.get_context("spawn")  # never fork a process holding MongoClients
    # their own data directory (each writes its own journal there), not the working tree's ./var
    workers = [
        context.Process(target=_write, args=(database_uri, str(tmp_path / "workers"), 20)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with app.app_context():
        report = audit.verify_chain_report()
        assert report.ok and report.checked == 40
