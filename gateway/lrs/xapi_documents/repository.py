"""Document persistence with raw pymongo: one collection per resource, conditional writes keyed by
the unique address index (context + document_id) so concurrent writers never overwrite blindly."""

from __future__ import annotations

from datetime import datetime

import pymongo
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from gateway.lrs.xapi_documents.models import (
    ActivityProfileDocument,
    AgentProfileDocument,
    StateDocument,
)

_MODELS = {
    "state": StateDocument,
    "activity_profile": ActivityProfileDocument,
    "agent_profile": AgentProfileDocument,
}
_CONTENT_FIELDS = ("content", "content_type", "etag", "updated")


def _collection(resource: str) -> Collection:
    return _MODELS[resource]._get_collection()


def find(resource: str, address: dict) -> dict | None:
    """The stored document at `address` (its context fields and document_id), or None."""
    return _collection(resource).find_one(address, {"_id": 0})


def list_ids(resource: str, context: dict, since: datetime | None) -> list[tuple[str, datetime]]:
    """(document_id, updated) of every document in `context`, updated strictly after `since`."""
    query = dict(context)
    if since is not None:
        query["updated"] = {"$gt": since}
    cursor = _collection(resource).find(query, {"_id": 0, "document_id": 1, "updated": 1})
    return [
        (record["document_id"], record["updated"]) for record in cursor.sort("document_id", pymongo.ASCENDING)
    ]


def insert(resource: str, record: dict) -> bool:
    """Stores a new document; False when one already exists at that address (a concurrent writer)."""
    try:
        _collection(resource).insert_one(dict(record))
    except DuplicateKeyError:
        return False
    return True


def replace(resource: str, address: dict, record: dict, expected: dict) -> bool:
    """Replaces the content of the document at `address` if it is still the version `expected`
    (its etag and updated); False when it changed or disappeared meanwhile."""
    changes = {name: record[name] for name in _CONTENT_FIELDS}
    result = _collection(resource).update_one({**address, **_version(expected)}, {"$set": changes})
    return result.matched_count == 1


def delete(resource: str, address: dict, expected: dict | None = None) -> bool:
    """Deletes the document at `address` (only if still the version `expected`, when given)."""
    criteria = {**address, **_version(expected)} if expected else address
    return _collection(resource).delete_one(criteria).deleted_count == 1


def delete_all(resource: str, context: dict) -> None:
    _collection(resource).delete_many(context)


def _version(record: dict) -> dict:
    return {"etag": record["etag"], "updated": record["updated"]}
