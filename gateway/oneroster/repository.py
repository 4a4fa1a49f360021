"""Roster persistence: one collection per OneRoster entity, records keyed by sourcedId.

The storage contract shared by the importers (adapters/oneroster) and the REST provider:

- One collection per entity of `ENTITIES`, reached through `collection(entity)`; `_id` is the
  sourcedId and the rest is the entity in its OneRoster 1.2 REST JSON shape (references as GUIDRef
  objects without `href`), with `dateLastModified` a BSON datetime (UTC, milliseconds).
- Keys starting with `_` are bookkeeping and never serialised: `_source` (the import source id),
  `_batch` (the import that last wrote the record), `_hash` (digest of the record's content without
  `dateLastModified`, so an import can tell unchanged records without reading them whole).

Readers never see half an import, by one of two write paths:

- Small imports (at most `IN_PLACE_LIMIT` writes, e.g. deltas) apply their writes in place in one
  multi-document transaction (`apply_changes`).
- Large ones build a new *generation* of each entity they change: a fresh collection
  `oneroster_<entity>__g<batch>` filled with unordered `insert_many` chunks outside any transaction
  (the changed records, then the unchanged ones copied from the live collection), indexed after
  the load, then made live by one single-document write to the pointer `oneroster_state/live`
  (`GenerationBuilder`; the importer fills it in the background while it validates the rest of
  the file set, and abandons it if validation finds an error). The old generation is dropped
  afterwards; generations left by a crashed import are dropped at the next import and at start-up
  (`drop_stale_generations`). On the embedded
  SecantusDB server a generation cannot be made live by `renameCollection`: it works but copies the
  collection (24 s for 50,000 records), hence the pointer. `_id` stays the sourcedId, so records of
  two generations cannot share a collection: a per-record generation field is not an option.

`collection(entity)` resolves the pointer (one small read per HTTP request), so readers need no extra
filter: `live_filter()` is `{}`, and the provider ANDs it into every query anyway
(gateway/oneroster/store.py). Keep every roster read going through `collection()`, never a
hard-coded collection name.

Imports hold a lock (`acquire_import_lock`): a second import is refused; a lock whose holder died
(same host, process gone) or stopped renewing it for `LOCK_STALE` is taken over.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

import bson
import pymongo.errors
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from flask import g, has_request_context
from pymongo import ASCENDING, DeleteOne, InsertOne, ReplaceOne
from pymongo.collection import Collection

from gateway.storage.connection import database

log = logging.getLogger(__name__)

ENTITIES = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "roles",
    "enrollments",
    "demographics",
    "userProfiles",
)

# Secondary indexes per entity (every entity also gets dateLastModified): what the provider filters
# and joins on.
INDEXED_FIELDS = {
    "orgs": ("type", "parent.sourcedId", "identifier"),
    "academicSessions": ("type", "parent.sourcedId"),
    "courses": ("org.sourcedId", "schoolYear.sourcedId"),
    "classes": ("school.sourcedId", "course.sourcedId", "terms.sourcedId"),
    "users": ("roles.org.sourcedId", "identifier", "email"),
    "roles": ("user.sourcedId", "org.sourcedId"),
    "enrollments": ("class.sourcedId", "user.sourcedId", "school.sourcedId"),
    "demographics": (),
    "userProfiles": ("user.sourcedId",),
}

# How e-mail addresses compare in the identity rule (gateway.oneroster.identity): without case.
EMAIL_COLLATION = {"locale": "en", "strength": 2}

# Writes per bulk_write call inside the import transaction; records per insert_many of a generation.
WRITE_CHUNK = 2_000
INSERT_CHUNK = 5_000
# Imports with more writes than this build a new generation instead of writing in place.
IN_PLACE_LIMIT = 5_000
IMPORT_LOG = "oneroster_imports"
STATE = "oneroster_state"  # documents "live" (entity → collection name) and "import-lock"
LIVE = "live"
LOCK = "import-lock"
LOCK_STALE = timedelta(minutes=15)
GENERATION_MARK = "__g"
RAW = CodecOptions(document_class=RawBSONDocument)


class ImportLocked(Exception):
    """Another import holds the lock."""

    def __init__(self, holder: dict):
        self.holder = holder
        super().__init__(
            f"another roster import is running (batch {holder.get('batch')}, host {holder.get('host')}, "
            f"pid {holder.get('pid')}, since {holder.get('startedAt')})"
        )


def default_name(entity: str) -> str:
    return f"oneroster_{entity}"


def live_names() -> dict[str, str]:
    """entity → the name of its live collection (read now, not cached)."""
    names = _read_pointer()
    return {entity: names.get(entity, default_name(entity)) for entity in ENTITIES}


def collection(entity: str) -> Collection:
    """The live collection of `entity`, resolved through the generation pointer: once per HTTP
    request (so all reads of one request see the same generation, and the pointer costs one read
    per request, not per query), else on each call."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown OneRoster entity {entity!r}")
    return database()[_pointer().get(entity, default_name(entity))]


def _pointer() -> dict[str, str]:
    if has_request_context():
        if "roster_generations" not in g:
            g.roster_generations = _read_pointer()
        return g.roster_generations
    return _read_pointer()


def _read_pointer() -> dict[str, str]:
    return (database()[STATE].find_one({"_id": LIVE}) or {}).get("collections") or {}


def live_filter() -> dict:
    """The filter every roster read must AND into its query to see only the served roster. Empty:
    `collection()` already resolves the live generation (see the module docstring)."""
    return {}


class RosterIndexes:
    """The roster collections' indexes, created with the mongoengine documents' (`gateway.DOCUMENTS`).
    The roster is stored with raw pymongo (records in their OneRoster shape, not a fixed schema), so
    its indexes are declared here rather than in a Document's meta."""

    @classmethod
    def ensure_indexes(cls) -> None:
        for entity in ENTITIES:
            index_entity(entity, collection(entity))
        database()[IMPORT_LOG].create_index([("finishedAt", ASCENDING)])
        if not lock_held():
            drop_stale_generations()


def index_entity(entity: str, target: Collection) -> None:
    """Every index entry costs on the embedded store, so only what readers use: `_source` only
    where a delta pull looks for its newest record (`latest_modification`, on users)."""
    target.create_index([("dateLastModified", ASCENDING)])
    for field in INDEXED_FIELDS[entity]:
        target.create_index([(field, ASCENDING)])
    if entity == "users":
        target.create_index([("_source", ASCENDING), ("dateLastModified", ASCENDING)])
        # the identity rule's e-mail look-up (the plain `email` index serves the OneRoster filter)
        target.create_index([("email", ASCENDING)], name="email_ci", collation=EMAIL_COLLATION)


DOCUMENTS = (RosterIndexes,)


def stored_state(entity: str) -> Iterator[dict]:
    """(`_id`, `_hash`, `_source`, `dateLastModified`) of every stored record of `entity`: what an
    import compares its records with."""
    yield from collection(entity).find(
        {}, {"_id": 1, "_hash": 1, "_source": 1, "dateLastModified": 1}, batch_size=10_000
    )


def stored_ids(entity: str) -> set[str]:
    return {document["_id"] for document in collection(entity).find({}, {"_id": 1}, batch_size=10_000)}


def find_records(entity: str, ids: Iterable[str]) -> Iterator[dict]:
    """Whole stored records by sourcedId, in chunks (for recomputing derived fields)."""
    pending = list(ids)
    for start in range(0, len(pending), 1_000):
        yield from collection(entity).find({"_id": {"$in": pending[start : start + 1_000]}})


def iter_records(entity: str, query: dict | None = None, projection: dict | None = None) -> Iterator[dict]:
    yield from collection(entity).find(query or {}, projection, batch_size=10_000)


def referring_records(entity: str, path: str, ids: Iterable[str]) -> Iterator[dict]:
    """Stored records of `entity` whose `path` holds one of `ids` (`_id` and `path` only)."""
    pending = list(ids)
    for start in range(0, len(pending), 1_000):
        yield from collection(entity).find({path: {"$in": pending[start : start + 1_000]}}, {path: 1})


def encode_record(record: dict) -> bytes:
    """A record as the BSON the store receives: an import spools its writes in this form, so they
    are encoded once and sent as they are (no decoding and re-encoding on the way to the store)."""
    return bson.encode(record)


class RosterChange:
    """One write of an import: `insert`/`replace` (the whole record, `_id` included, as a dict or as
    its BSON from `encode_record`) or `delete`."""

    __slots__ = ("entity", "kind", "record", "sourced_id")

    def __init__(self, entity: str, kind: str, sourced_id: str, record: dict | bytes | None = None):
        self.entity, self.kind, self.sourced_id, self.record = entity, kind, sourced_id, record

    def document(self) -> Mapping:
        record = self.record
        return RawBSONDocument(record) if isinstance(record, bytes) else record

    def operation(self):
        if self.kind == "delete":
            return DeleteOne({"_id": self.sourced_id})
        if self.kind == "insert":
            return InsertOne(self.document())
        return ReplaceOne({"_id": self.sourced_id}, self.document(), upsert=True)


def apply_changes(changes: Iterable[RosterChange], import_record: dict) -> None:
    """Applies an import's writes and logs the import, all in one transaction, so readers see all of
    it or none of it. On a server without transactions (a standalone mongod) it applies them
    without one and logs a warning: deploy on a replica set, as the README says."""
    client = database().client
    try:
        with client.start_session() as session, session.start_transaction():
            _write(changes, import_record, session)
    except pymongo.errors.OperationFailure as error:
        if error.code != 20 and "replica set" not in str(error):  # 20: IllegalOperation
            raise
        log.warning("roster import without a transaction: the server does not support transactions")
        _write(changes, import_record, None)


def _write(changes: Iterable[RosterChange], import_record: dict, session) -> None:
    pending: dict[str, list] = {}
    for change in changes:
        operations = pending.setdefault(change.entity, [])
        operations.append(change.operation())
        if len(operations) >= WRITE_CHUNK:
            collection(change.entity).bulk_write(operations, ordered=True, session=session)
            operations.clear()
    for entity, operations in pending.items():
        if operations:
            collection(entity).bulk_write(operations, ordered=True, session=session)
    database()[IMPORT_LOG].insert_one(import_record, session=session)


class GenerationBuilder:
    """Builds a large import's new generation of each entity it changes (see the module docstring):
    `add` each change as the import decides it, then `switch` (or `abandon` on any error or
    rejection). Nothing is visible to readers before the pointer switch; `abandon` drops the
    half-built collections, and a crash leaves them to `drop_stale_generations`.

    With `background=True` the inserts run in one writer thread while the caller goes on (the
    importer validates the rest of the file set meanwhile: its Python work and the store's overlap
    on two cores). One writer only: the embedded store runs every command under one interpreter
    lock, and two concurrent writers were slower than one (22 s instead of 15 s for 60,000
    records)."""

    def __init__(self, batch: str, renew=None, background: bool = False):
        self.db = database()
        self.batch = batch
        self.renew = renew
        self.live = live_names()
        self.staged: dict[str, Collection] = {}
        self.replaced: dict[str, set[str]] = {}
        self.pending: dict[str, list] = {}
        self.written = 0  # records inserted so far
        self.switched = False
        self.failure: BaseException | None = None
        self.queue: queue.Queue | None = None
        self.writer: threading.Thread | None = None
        if background:
            self.queue = queue.Queue(maxsize=2)  # bounded: at most ~3 chunks in memory
            self.writer = threading.Thread(target=self._write_queued, name=f"roster-{batch}", daemon=True)
            self.writer.start()

    def add(self, change: RosterChange) -> None:
        entity = change.entity
        if entity not in self.staged:
            self.staged[entity] = self.db[
                f"{default_name(entity)}{GENERATION_MARK}{self.batch.replace('-', '')}"
            ]
            self.replaced[entity], self.pending[entity] = set(), []
        self.replaced[entity].add(change.sourced_id)
        if change.kind != "delete":
            self.pending[entity].append(change.document())
            if len(self.pending[entity]) >= INSERT_CHUNK:
                self._flush(entity)

    def _flush(self, entity: str) -> None:
        documents = self.pending.get(entity)
        if not documents:
            return
        self.pending[entity] = []
        if self.queue is None:
            self._insert(entity, documents)
            return
        while True:  # a writer that failed takes no more: raise its error here
            if self.failure is not None:
                raise self.failure
            try:
                self.queue.put((entity, documents), timeout=1)
                return
            except queue.Full:
                continue

    def _insert(self, entity: str, documents: list) -> None:
        self.staged[entity].insert_many(documents, ordered=False)
        self.written += len(documents)
        if self.renew:
            self.renew()

    def _write_queued(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.failure is None:
                try:
                    self._insert(*item)
                except BaseException as error:  # handed to the caller's next add() or switch()
                    self.failure = error

    def _drain(self) -> None:
        """Waits for the writer thread to insert everything queued, and stops it."""
        if self.writer is not None:
            self.queue.put(None)
            self.writer.join()
            self.writer, self.queue = None, None
        if self.failure is not None:
            raise self.failure

    def switch(self, import_record: dict, progress=None) -> None:
        """Finishes each staged entity (the rest of its changes, then its unchanged records copied
        from the live collection, then its indexes), logs the import and makes every new generation
        live by one single-document write; then drops the old generations. On any failure before
        the switch the staged collections are dropped and the error raised."""
        progress = progress or (lambda written: None)
        try:
            for entity in self.staged:
                self._flush(entity)
            self._drain()
            progress(self.written)
            for entity, target in self.staged.items():
                overridden = self.replaced[entity]
                # Copied as the store sent them (RawBSONDocument): no decoding and re-encoding.
                previous = self.db[self.live[entity]].with_options(codec_options=RAW)
                for document in previous.find({}, batch_size=INSERT_CHUNK):
                    if document["_id"] not in overridden:
                        self.pending[entity].append(document)
                        if len(self.pending[entity]) >= INSERT_CHUNK:
                            self._flush(entity)
                self._flush(entity)
                self.replaced[entity] = set()  # free the ids before the next entity
                index_entity(entity, target)
            self.db[IMPORT_LOG].insert_one(import_record)
            # The switch: one single-document write makes every new generation live at once.
            self.db[STATE].update_one(
                {"_id": LIVE},
                {"$set": {f"collections.{entity}": target.name for entity, target in self.staged.items()}},
                upsert=True,
            )
            self.switched = True
        except BaseException:
            self.abandon()
            raise
        for entity in self.staged:
            self.db[self.live[entity]].drop()
            if self.live[entity] == default_name(entity):
                # Kept indexed (empty), for when the pointer is reset (e.g. a database cleared for tests).
                index_entity(entity, self.db[self.live[entity]])

    def abandon(self) -> None:
        """Drops what was staged (the live roster is untouched); nothing once switched (the staged
        collections are the live ones then)."""
        if self.switched:
            return
        if self.writer is not None:
            self.failure = self.failure or RuntimeError("generation abandoned")
            self.queue.put(None)
            self.writer.join()
            self.writer, self.queue = None, None
        for target in self.staged.values():
            target.drop()


def drop_stale_generations() -> list[str]:
    """Drops the generation collections no pointer names (left by a crashed or failed import).
    Call only while holding the import lock, or when no import is running."""
    db = database()
    live = set(live_names().values())
    stale = [
        name
        for name in db.list_collection_names()
        if name.startswith("oneroster_") and GENERATION_MARK in name and name not in live
    ]
    for name in stale:
        log.info("dropping roster generation %s left by an unfinished import", name)
        db[name].drop()
    return stale


def _lock_now() -> datetime:
    return datetime.now(UTC)


def lock_held() -> bool:
    holder = database()[STATE].find_one({"_id": LOCK})
    return bool(holder) and not _lock_is_stale(holder)


def _lock_is_stale(holder: dict) -> bool:
    if holder.get("host") == socket.gethostname() and holder.get("pid") and not _process_alive(holder["pid"]):
        return True
    renewed = holder.get("renewedAt")
    if renewed is not None and renewed.tzinfo is None:
        renewed = renewed.replace(tzinfo=UTC)
    return renewed is None or _lock_now() - renewed > LOCK_STALE


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_import_lock(batch: str) -> None:
    """Takes the import lock for `batch`; raises ImportLocked when a live import holds it. A stale
    lock (holder process gone on this host, or not renewed for LOCK_STALE) is taken over."""
    state = database()[STATE]
    now = _lock_now()
    mine = {
        "batch": batch,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "startedAt": now,
        "renewedAt": now,
    }
    try:
        state.insert_one({"_id": LOCK, **mine})
        return
    except pymongo.errors.DuplicateKeyError:
        pass
    holder = state.find_one({"_id": LOCK})
    if holder is None:
        return acquire_import_lock(batch)
    if not _lock_is_stale(holder):
        raise ImportLocked(holder)
    log.warning("taking over the stale roster import lock of batch %s", holder.get("batch"))
    taken = state.find_one_and_replace({"_id": LOCK, "batch": holder.get("batch")}, {"_id": LOCK, **mine})
    if taken is None:  # somebody else took it over first
        raise ImportLocked(state.find_one({"_id": LOCK}) or holder)


def renew_import_lock(batch: str) -> None:
    database()[STATE].update_one({"_id": LOCK, "batch": batch}, {"$set": {"renewedAt": _lock_now()}})


def release_import_lock(batch: str) -> None:
    database()[STATE].delete_one({"_id": LOCK, "batch": batch})


def last_imports(limit: int = 20) -> list[dict]:
    return list(database()[IMPORT_LOG].find({}).sort("finishedAt", -1).limit(limit))


def latest_modification(entity: str, source: str | None = None) -> datetime | None:
    """The newest dateLastModified of `entity` (of one source), where a delta pull starts from."""
    query = {"_source": source} if source else {}
    newest = collection(entity).find_one(query, {"dateLastModified": 1}, sort=[("dateLastModified", -1)])
    return newest["dateLastModified"] if newest else None


def replace_entity_set(entity: str, records: list[dict]) -> None:
    """Makes `records` the whole set of `entity` (a raw bulk load without validation; the importer
    is the way in for roster data). Records keep their field names; `_id` is the sourcedId."""
    target = collection(entity)
    target.delete_many({"_id": {"$nin": [record["sourcedId"] for record in records]}})
    if records:
        target.bulk_write(
            [ReplaceOne({"_id": r["sourcedId"]}, {"_id": r["sourcedId"], **r}, upsert=True) for r in records],
            ordered=False,
        )


def count(entity: str) -> int:
    return collection(entity).count_documents(live_filter())
