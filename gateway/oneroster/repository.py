"""Roster persistence: one collection per OneRoster entity, records keyed by sourcedId.

The storage contract shared by the importers (adapters/oneroster) and the REST provider:

- `oneroster_<entity>` per entity of `ENTITIES`; `_id` is the sourcedId and the rest is the entity in
  its OneRoster 1.2 REST JSON shape (references as GUIDRef objects without `href`), with
  `dateLastModified` a BSON datetime (UTC, milliseconds).
- Keys starting with `_` are bookkeeping and never serialised: `_source` (the import source id),
  `_batch` (the import that last wrote the record), `_hash` (digest of the record's content without
  `dateLastModified`, so an import can tell unchanged records without reading them whole).
- An import applies all its changes in one multi-document transaction, so readers see the roster
  either before or after an import, never half of one. Readers therefore need no extra filter:
  `live_filter()` is `{}`; the provider ANDs it into every query anyway, so a later change of
  mechanism (e.g. a generation switch) stays local to this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime

import pymongo.errors
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

# Writes per bulk_write call inside the import transaction.
WRITE_CHUNK = 2_000
IMPORT_LOG = "oneroster_imports"


def collection(entity: str) -> Collection:
    if entity not in ENTITIES:
        raise ValueError(f"unknown OneRoster entity {entity!r}")
    return database()[f"oneroster_{entity}"]


def live_filter() -> dict:
    """The filter every roster read must AND into its query to see only the served roster. Empty:
    imports are atomic through a transaction (see the module docstring)."""
    return {}


class RosterIndexes:
    """The roster collections' indexes, created with the mongoengine documents' (`gateway.DOCUMENTS`).
    The roster is stored with raw pymongo (records in their OneRoster shape, not a fixed schema), so
    its indexes are declared here rather than in a Document's meta."""

    @classmethod
    def ensure_indexes(cls) -> None:
        for entity in ENTITIES:
            target = collection(entity)
            target.create_index([("dateLastModified", ASCENDING)])
            for field in INDEXED_FIELDS[entity]:
                target.create_index([(field, ASCENDING)])
            target.create_index([("_source", ASCENDING)])
        database()[IMPORT_LOG].create_index([("finishedAt", ASCENDING)])


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


class RosterChange:
    """One write of an import: `upsert` (the whole record, `_id` included) or `delete`."""

    __slots__ = ("entity", "kind", "record", "sourced_id")

    def __init__(self, entity: str, kind: str, sourced_id: str, record: dict | None = None):
        self.entity, self.kind, self.sourced_id, self.record = entity, kind, sourced_id, record

    def operation(self):
        if self.kind == "delete":
            return DeleteOne({"_id": self.sourced_id})
        if self.kind == "insert":
            return InsertOne(self.record)
        return ReplaceOne({"_id": self.sourced_id}, self.record, upsert=True)


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
