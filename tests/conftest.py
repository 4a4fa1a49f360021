"""Shared fixtures: a real SecantusDB server per test session, an app per test, clean data per test."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator

import pytest

from gateway.storage.embedded import EmbeddedServer, free_port

ALL_XAPI_SCOPES = "all"


@pytest.fixture(scope="session")
def database_server() -> Iterator[EmbeddedServer]:
    """SecantusDB on a free port, in memory, as a child process (never mongomock)."""
    server = EmbeddedServer(storage_path=":memory:", port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_uri(database_server) -> str:
    return database_server.uri


@pytest.fixture(scope="session")
def _indexes(database_uri):
    from gateway import DOCUMENTS
    from gateway.storage.connection import connect
    from gateway.storage.indexes import ensure_indexes

    connect(database_uri, "kakehashi_test", 2000)
    ensure_indexes(DOCUMENTS)


@pytest.fixture
def app(database_uri, _indexes, tmp_path):
    from gateway import create_app
    from gateway.policy.audit import drain_journal
    from gateway.storage.connection import database
    from gateway.storage.indexes import clear_database

    app = create_app(
        {
            "MONGODB_URI": database_uri,
            "MONGODB_DB": "kakehashi_test",
            "SECRET_KEY": "test-secret-key",
            "KAKEHASHI_DATA_DIR": tmp_path,
            "KAKEHASHI_PUBLIC_URL": "http://gateway.test",
            "TESTING": True,
        }
    )
    yield app
    with app.app_context():
        drain_journal()  # the audit entries of this test reach the chain before it is cleared
    clear_database(database())


@pytest.fixture
def client(app):
    return app.test_client()


def basic_auth(client_id: str, client_secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def make_credentials(app):
    """Registers a client and returns (client_id, client_secret)."""
    from gateway.auth.service import register_client

    def make(scope: str = ALL_XAPI_SCOPES, role: str = "provider", name: str = "Test client"):
        with app.app_context():
            issued = register_client(name, role, scope)
        return issued.client_id, issued.client_secret

    return make


@pytest.fixture
def xapi_headers(make_credentials) -> dict[str, str]:
    """Headers of an xAPI 2.0 request by a client with every xAPI scope."""
    return {**basic_auth(*make_credentials()), "X-Experience-API-Version": "2.0.0"}


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app on real HTTP (waitress) on a free port, for real client libraries.

    The event loop is stopped before any socket is closed, and in-flight requests finish before
    the loop's wake-up pipe goes: closing a running waitress server races its own threads.
    """
    from waitress import wasyncore
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=free_port(), threads=4)
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stopping.set()
    thread.join(timeout=5)
    server.task_dispatcher.shutdown()
    wasyncore.close_all(server._map)
