"""Statement persistence with raw pymongo: bulk inserts and keyset-paged index queries."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta

import gridfs
import gridfs.errors
import pymongo
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from gateway.lrs.attachments import AttachmentPart
from gateway.lrs.documents import StoredStatement

DUPLICATE_KEY = 11000
ATTACHMENT_BUCKET = "xapi_attachments"
META_COLLECTION = "xapi_meta"


class DuplicateStatementIds(Exception):
    """Some ids of an insert already existed (a concurrent writer got there first)."""

    def __init__(self, ids: list[str], inserted: int):
        super().__init__(ids)
        self.ids = ids
        self.inserted = inserted


def statements() -> Collection:
    return StoredStatement._get_collection()


def find_by_ids(ids: Iterable[str]) -> dict[str, dict]:
    ids = list(ids)
    if not ids:
        return {}
    cursor = statements().find({"_id": {"$in": ids}}, {"received_digest": 1, "verb": 1, "voided": 1})
    return {record["_id"]: record for record in cursor}


def insert(records: list[dict]) -> None:
    """Inserts in one unordered bulk write; raises DuplicateStatementIds for ids already taken."""
    if not records:
        return
    record_stored_extent([record["stored"] for record in records])
    try:
        statements().insert_many(records, ordered=False)
    except BulkWriteError as error:
        duplicates = [
            failure["op"]["_id"]
            for failure in error.details["writeErrors"]
            if failure["code"] == DUPLICATE_KEY
        ]
        if len(duplicates) != len(error.details["writeErrors"]):
            raise
        raise DuplicateStatementIds(duplicates, error.details["nInserted"]) from None


def delete(ids: list[str]) -> None:
    statements().delete_many({"_id": {"$in": ids}})


def mark_voided(ids: list[str]) -> None:
    if ids:
        statements().update_many({"_id": {"$in": ids}}, {"$set": {"voided": True}})


def find_one(statement_id: str) -> dict | None:
    return statements().find_one({"_id": statement_id})


# Windowed reads. An index keeps (key, stored) in order, yet some stores (the embedded one among
# them) fetch and sort every matching document before applying a limit, so a newest-first page
# over many statements would touch them all. Pages are therefore read in stored-time windows
# that start small at the edge of the stored data and double, each window a bounded, indexed
# range query; a page touches about as many documents as it returns, on MongoDB and on the
# embedded store alike.
FIRST_WINDOW = timedelta(milliseconds=25)


def find_page(
    criteria: dict,
    *,
    ascending: bool,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[dict]:
    """Up to `limit` records matching `criteria`, ordered by (stored, _id), strictly after the
    keyset position `after` (the last record of the previous page)."""
    criteria = dict(criteria)
    bounds = criteria.pop("stored", {})
    lower, upper = bounds.get("$gt"), bounds.get("$lte")  # since (exclusive), until (inclusive)
    direction = pymongo.ASCENDING if ascending else pymongo.DESCENDING
    order = [("stored", direction), ("_id", direction)]
    found: list[dict] = []

    def read(extra: dict) -> None:
        cursor = statements().find({**criteria, **extra}, {"received_digest": 0}).sort(order)
        found.extend(cursor.limit(limit - len(found)))

    if after is not None:
        stored, statement_id = after
        read({"stored": stored, "_id": {"$gt" if ascending else "$lt": statement_id}})
        if ascending:
            lower = stored
        else:
            upper = stored - timedelta(microseconds=1)  # stored has millisecond precision
    extent = _stored_extent()
    if extent is None:
        return found
    first_stored, last_stored = extent
    if ascending:
        start = max(lower, first_stored) if lower else first_stored
        end = min(upper, last_stored) if upper else last_stored
        edge, inclusive, width = (
            start,
            after is None and (lower is None or lower < first_stored),
            FIRST_WINDOW,
        )
        while len(found) < limit and edge <= end:
            stop = min(edge + width, end)
            read({"stored": {"$gte" if inclusive else "$gt": edge, "$lte": stop}})
            if stop >= end:
                break
            edge, inclusive, width = stop, False, width * 2
    else:
        floor = max(lower, first_stored) if lower else first_stored
        floor_included = lower is None or lower < first_stored
        edge, width = min(upper, last_stored) if upper else last_stored, FIRST_WINDOW
        while len(found) < limit and edge >= floor:
            start = max(edge - width, floor)
            window = {"$lte": edge}
            window["$gte" if start <= floor and floor_included else "$gt"] = start
            read({"stored": window})
            if start <= floor:
                break
            edge, width = start, width * 2  # this window left `start` out ($gt); the next takes it
    return found


def _stored_extent() -> tuple[datetime, datetime] | None:
    """The earliest and latest `stored` of all statements, kept in a metadata record (reading them
    from the statements themselves would sort the whole collection on some stores)."""
    record = statements().database[META_COLLECTION].find_one({"_id": "statements"})
    return (record["first_stored"], record["last_stored"]) if record else None


def record_stored_extent(stored: list[datetime]) -> None:
    statements().database[META_COLLECTION].update_one(
        {"_id": "statements"},
        {"$min": {"first_stored": min(stored)}, "$max": {"last_stored": max(stored)}},
        upsert=True,
    )


def _attachment_bucket() -> gridfs.GridFSBucket:
    return gridfs.GridFSBucket(statements().database, bucket_name=ATTACHMENT_BUCKET)


def save_attachment_contents(parts: Iterable[AttachmentPart]) -> None:
    """Stores each content once, keyed by its SHA-2 (a content already stored is not written again)."""
    parts = {part.sha2: part for part in parts}
    if not parts:
        return
    database = statements().database
    files = database[f"{ATTACHMENT_BUCKET}.files"]
    present = {record["_id"] for record in files.find({"_id": {"$in": list(parts)}}, {"_id": 1})}
    bucket = _attachment_bucket()
    for sha2, part in parts.items():
        if sha2 in present:
            continue
        # Chunks left by an upload that died before writing its file record would collide.
        database[f"{ATTACHMENT_BUCKET}.chunks"].delete_many({"files_id": sha2})
        with contextlib.suppress(gridfs.errors.FileExists):  # a concurrent request stored it
            bucket.upload_from_stream_with_id(
                sha2, sha2, part.content, metadata={"contentType": part.content_type}
            )


def load_attachment_contents(hashes: list[str]) -> list[AttachmentPart]:
    bucket = _attachment_bucket()
    found = []
    for sha2 in hashes:
        try:
            with bucket.open_download_stream(sha2) as stream:
                content_type = (stream.metadata or {}).get("contentType", "application/octet-stream")
                found.append(AttachmentPart(sha2, content_type, stream.read()))
        except gridfs.errors.NoFile:
            continue  # a fileUrl-only attachment: nothing stored here
    return found
