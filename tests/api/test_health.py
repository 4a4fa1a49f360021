"""Liveness, readiness, request ids, and behaviour while the database is down."""

from __future__ import annotations

import pytest

from gateway import DOCUMENTS, create_app
from gateway.storage.embedded import EmbeddedServer, free_port
from gateway.storage.indexes import ensure_indexes
from tests.conftest import basic_auth


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_a_reachable_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "reachable"}


def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "proxy-42"}).headers["X-Request-ID"] == "proxy-42"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id; drop"}).headers["X-Request-ID"]
    assert forged != "bad id; drop"


def test_unknown_route_gets_the_gateway_error_shape(client):
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.slow
def test_database_outage_gives_503_and_the_gateway_recovers(tmp_path):
    """Kill the database under a running app: 503 everywhere data is needed; restart it: 200."""
    server = EmbeddedServer(storage_path=str(tmp_path / "db"), port=free_port())
    server.start()
    try:
        app = create_app(
            {
                "MONGODB_URI": server.uri,
                "SECRET_KEY": "outage",
                "KAKEHASHI_DATA_DIR": tmp_path,
                "KAKEHASHI_DB_TIMEOUT_MS": 500,
            }
        )
        client = app.test_client()
        with app.app_context():
            ensure_indexes(DOCUMENTS)
            from gateway.auth.service import register_client

            issued = register_client("outage test", "provider", "all")
        headers = {
            **basic_auth(issued.client_id, issued.client_secret),
            "X-Experience-API-Version": "2.0.0",
        }
        statement = {
            "actor": {"mbox": "mailto:outage@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"id": "http://example.org/activity/outage"},
        }
        assert client.post("/xapi/statements", json=statement, headers=headers).status_code == 200
        # a statement is stored, so the read below must reach the database (the app answers an
        # empty store from its cached extent, and the credentials from its short cache)
        assert client.get("/xapi/statements", headers=headers).status_code == 200

        server.process.kill()
        server.process.wait()

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json["database"] == "unreachable"
        down = client.get("/xapi/statements", headers=headers)
        assert down.status_code == 503
        assert down.json["error"]["code"] == "database_unavailable"
        assert "Traceback" not in down.get_data(as_text=True)
        assert client.get("/healthz").status_code == 200

        server.start()  # same port, same data directory
        assert client.get("/readyz").status_code == 200
        assert client.get("/xapi/statements", headers=headers).status_code == 200
    finally:
        server.stop()
