"""The embedded database: started on demand, shared between commands, persistent, stopped cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pymongo
import pytest
import requests

from gateway.storage.embedded import STATE_FILE, embedded_database, running_server_uri
from gateway.storage.embedded import free_port as pick_port

pytestmark = pytest.mark.slow


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_data_persists_across_restarts_and_nothing_is_left_running(tmp_path):
    with embedded_database(tmp_path) as uri:
        state = json.loads((tmp_path / STATE_FILE).read_text())
        with pymongo.MongoClient(uri) as database:
            database.kakehashi.things.insert_one({"kept": True})
    assert not (tmp_path / STATE_FILE).exists()
    assert not _pid_alive(state["pid"])
    with embedded_database(tmp_path) as uri, pymongo.MongoClient(uri) as database:
        # no stale lock: it starts again on the same data
        assert database.kakehashi.things.count_documents({"kept": True}) == 1


def test_a_second_command_uses_the_running_server(tmp_path):
    with embedded_database(tmp_path) as first:
        assert running_server_uri(tmp_path) == first
        with embedded_database(tmp_path) as second:
            assert second == first
        # the inner command did not own the server, so it is still up
        assert running_server_uri(tmp_path) == first


def _kakehashi(*arguments: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_serve_shares_its_database_and_stops_it_on_sigterm(tmp_path):
    """`kakehashi serve` with the embedded database; `clients create` meanwhile reaches the same
    database; the credentials work over HTTP; SIGTERM leaves no process and no stale lock."""
    env = {**os.environ, "KAKEHASHI_DATA_DIR": str(tmp_path), "KAKEHASHI_LOG_LEVEL": "WARNING"}
    env.pop("MONGODB_URI", None)
    port = pick_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - closed in finally
    serve = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/xapi/about", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("the gateway did not answer /xapi/about within 90 s")
        state = json.loads((tmp_path / STATE_FILE).read_text())

        created = _kakehashi(
            "clients",
            "create",
            "--name",
            "Juku app",
            "--role",
            "provider",
            "--scope",
            "all",
            "--json",
            env=env,
        )
        assert created.returncode == 0, created.stderr
        credentials = json.loads(created.stdout)
        auth = (credentials["client_id"], credentials["client_secret"])
        headers = {"X-Experience-API-Version": "1.0.3"}
        assert (
            requests.get(f"{base}/xapi/statements", auth=auth, headers=headers, timeout=5).status_code == 200
        )
        wrong = requests.get(f"{base}/xapi/statements", auth=(auth[0], "wrong"), headers=headers, timeout=5)
        assert wrong.status_code == 401
        assert "WWW-Authenticate" in wrong.headers
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        log.close()
    assert not _pid_alive(state["pid"])
    assert not (tmp_path / STATE_FILE).exists()
    with embedded_database(tmp_path) as uri, pymongo.MongoClient(uri) as database:
        # the client registered above is still there
        assert database.kakehashi.api_clients.count_documents({}) == 1
