"""The audit log's write-ahead journal: a release is recorded on local disk before its response
leaves, and joins the hash chain in the database shortly after, from a background thread, in batches.

Why: linking an entry into the chain costs a database round trip (8-15 ms on the embedded store
for a 100-statement page, as much as the read being recorded). Appending a line to a local file
costs ~0.05 ms and keeps the guarantee that matters: no data leaves without a record of it that
outlives the process. The line is written to the operating system, not fsync-ed: it survives a
crash of the gateway, as the database's own acknowledged writes do; like them (MongoDB commits its
journal every 100 ms by default) it can lose the last moments before a power loss.

- Each app (process) writes its own *segments* (`<data dir>/audit-journal/<database>/*.jsonl`,
  one JSON entry per line), each held under an exclusive `flock` while its writer lives. The
  current segment is emptied whenever every entry in it is in the chain, and replaced by a new one
  when it grows past ROTATE_BYTES (the old one is deleted once its entries are chained). If the
  database is unreachable, entries wait (in memory and on disk) and the thread retries with backoff.
- The thread lingers up to LINGER_SECONDS for more releases to join a batch (fewer, larger writes:
  the chain's cost per entry falls with the batch), unless a reader is waiting.
- A segment nobody holds is an orphan of a process that died: the next journal started on the same
  data directory links its entries into the chain (those not there already: replay is idempotent
  by entry id) and deletes it.
- Readers of the audit log (`/audit`, `/me/audit`, `kakehashi audit verify`) first wait for this
  process's journal to drain, so a client that follows the `Link` of a response finds its entry.
  Another process's entries may take a few milliseconds more to appear.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import threading
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson

log = logging.getLogger("kakehashi.audit")

IDLE_SECONDS = 2.0  # the background thread ends after this long without work (restarted on demand)
LINGER_SECONDS = 1.0
MAX_BATCH = 256
ROTATE_BYTES = 8 * 1024 * 1024
RETRY_SECONDS = (0.1, 0.5, 2.0, 5.0)  # backoff while the database is unreachable
_journals: weakref.WeakSet = weakref.WeakSet()


def _encode(entry: dict) -> bytes:
    return orjson.dumps(entry) + b"\n"


def _decode(line: bytes) -> dict:
    entry = orjson.loads(line)
    entry["at"] = datetime.fromisoformat(entry["at"])
    return entry


class AuditJournal:
    """One app's journal. `append_to_chain(entries)` links entries into the chain (raises when the
    database fails); `known_ids(ids)` says which entry ids the chain already holds; both run in
    the background thread inside `run_in_context`, which supplies the app context."""

    def __init__(
        self,
        directory: Path,
        append_to_chain: Callable[[list[dict]], None],
        known_ids: Callable[[list[str]], set[str]],
        run_in_context: Callable[[Callable[[], None]], None],
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._append_to_chain = append_to_chain
        self._known_ids = known_ids
        self._run_in_context = run_in_context
        self._condition = threading.Condition()
        self._segment = None  # the open segment new entries go to
        self._pending: list[dict] = []  # journaled, not yet in the chain
        self._closed_segments: list[tuple[object, int]] = []  # (segment, entries journaled when closed)
        self._journaled = 0
        self._chained = 0
        self._readers_waiting = 0
        self._thread: threading.Thread | None = None
        self._recovered = False
        _journals.add(self)

    # ------------------------------------------------------------------ request side

    def write(self, entry: dict) -> None:
        """Appends `entry` to the journal (written to the operating system) before returning."""
        line = _encode(entry)
        with self._condition:
            segment = self._segment or self._open_segment()
            segment.write(line)
            segment.flush()
            self._pending.append(entry)
            self._journaled += 1
            if segment.tell() > ROTATE_BYTES:
                self._closed_segments.append((segment, self._journaled))
                self._segment = None
            self._ensure_thread()
            # wake the thread only when it waits for a first entry or a batch is full: waking it
            # while it lingers for more would only take the interpreter lock from this request
            if len(self._pending) == 1 or self._batch_ready():
                self._condition.notify_all()

    def drain(self, timeout: float = 10.0) -> bool:
        """Waits until every entry journaled before the call is in the chain; False on timeout."""
        with self._condition:
            target = self._journaled
            self._readers_waiting += 1
            try:
                self._ensure_thread()
                self._condition.notify_all()
                return self._condition.wait_for(lambda: self._chained >= target and self._recovered, timeout)
            finally:
                self._readers_waiting -= 1

    # --------------------------------------------------------------- background side

    def _open_segment(self):
        path = self.directory / f"{os.getpid()}-{uuid.uuid4().hex}.jsonl"
        segment = open(path, "ab")  # noqa: SIM115 - held open for the segment's life
        fcntl.flock(segment.fileno(), fcntl.LOCK_EX)
        self._segment = segment
        return segment

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kakehashi-audit-journal", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        self._run_in_context(self._work)

    def _batch_ready(self) -> bool:
        return len(self._pending) >= MAX_BATCH or self._readers_waiting > 0

    def _work(self) -> None:
        failures = 0
        while True:
            with self._condition:
                idle = self._recovered and not self._pending
                if idle and not self._condition.wait_for(lambda: self._pending, IDLE_SECONDS):
                    self._thread = None
                    if self._segment is not None and self._chained == self._journaled:
                        _delete(self._segment)  # idle and all chained: a new one opens on demand
                        self._segment = None
                    return
                if self._recovered and failures == 0:
                    self._condition.wait_for(self._batch_ready, LINGER_SECONDS)
                batch, self._pending = self._pending, []
            try:
                if not self._recovered:
                    self._recover_orphans()
                    with self._condition:
                        self._recovered = True
                        self._condition.notify_all()
                if batch:
                    self._append_to_chain(batch)
            except Exception:  # the database is unreachable (or failing): keep everything, retry
                log.exception("audit journal: could not append %d entries to the chain; retrying", len(batch))
                with self._condition:
                    self._pending[:0] = batch
                    self._condition.wait(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
                continue
            failures = 0
            with self._condition:
                self._chained += len(batch)
                done = [segment for segment, last in self._closed_segments if last <= self._chained]
                self._closed_segments = [
                    (s, last) for s, last in self._closed_segments if last > self._chained
                ]
                if self._segment is not None and self._chained == self._journaled:
                    self._segment.truncate(0)  # all chained; losing this truncation only costs a replay
                self._condition.notify_all()
            for segment in done:
                _delete(segment)

    def _recover_orphans(self) -> None:
        """Links the entries of segments left by dead processes into the chain, then deletes them."""
        own = {self._segment, *(segment for segment, _last in self._closed_segments)}
        own_names = {Path(segment.name).name for segment in own if segment is not None}
        for path in sorted(self.directory.glob("*.jsonl")):
            if path.name in own_names:
                continue
            try:
                segment = open(path, "rb+")  # noqa: SIM115
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(segment.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live writer holds it
                segment.close()
                continue
            entries = []
            for number, line in enumerate(segment.read().splitlines(), 1):
                try:
                    entries.append(_decode(line))
                except (ValueError, KeyError):  # a line cut short by the crash
                    log.warning("audit journal: %s line %d is unreadable and skipped", path.name, number)
            known = self._known_ids([entry["_id"] for entry in entries]) if entries else set()
            missing = [entry for entry in entries if entry["_id"] not in known]
            if missing:
                self._append_to_chain(missing)
                log.info("audit journal: %d entries of %s linked into the chain", len(missing), path.name)
            _delete(segment)


def _delete(segment) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(segment.name)
    segment.close()


@atexit.register
def _drain_all() -> None:
    """At exit, every journal drains (what cannot be chained now stays on disk for the next start)."""
    for journal in list(_journals):
        journal.drain(timeout=10.0)
