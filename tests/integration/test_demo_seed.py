"""`kakehashi demo seed`: the demo data loads, is readable with the demo credentials, and reloads
without change."""

from __future__ import annotations

import pytest

from gateway.demo.seed import register_demo_clients, seed_demo
from gateway.lrs import repository
from gateway.oneroster import repository as roster_repository
from tests.conftest import basic_auth

pytestmark = pytest.mark.slow


def test_demo_seed_loads_and_reloads_without_change(app, client):
    with app.app_context():
        credentials = register_demo_clients()
        summary = seed_demo(app)
        students = roster_repository.collection("roles").count_documents({"role": "student"})
        stored = repository.count_statements()
    assert students == 103
    assert summary.counts["users"] == 117
    assert stored == sum(count for name, count in summary.counts.items() if name.startswith("statements"))

    # the deployment-wide administrator (no organisation): demo-board reaches only the students of
    # its own schools through the school channel, and the newest statements are the private school's
    admin = next(c for c in credentials if c["client_id"] == "demo-admin")
    headers = {**basic_auth(admin["client_id"], admin["client_secret"]), "X-Experience-API-Version": "2.0.0"}
    page = client.get("/xapi/statements", query_string={"limit": 5}, headers=headers)
    assert page.status_code == 200
    assert len(page.json["statements"]) == 5

    # the audit log: the board's administrator reads the entries about its schools' students, the
    # deployment administrator every entry (the read above wrote one about the private school's)
    board = next(c for c in credentials if c["client_id"] == "demo-board")
    admin_audit = client.get("/audit", headers=basic_auth(admin["client_id"], admin["client_secret"]))
    board_audit = client.get("/audit", headers=basic_auth(board["client_id"], board["client_secret"]))
    assert admin_audit.status_code == 200 and board_audit.status_code == 200
    assert admin_audit.json["total"] >= 1 and board_audit.json["total"] <= admin_audit.json["total"]

    with app.app_context():
        assert seed_demo(app).already_loaded
        seed_demo(app, force=True)
        assert repository.count_statements() == stored
