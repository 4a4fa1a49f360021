"""Statement persistence with raw pymongo: bulk inserts and keyset-paged index queries."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

import gridfs
import gridfs.errors
import pymongo
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from gateway.lrs.attachments import AttachmentPart
from gateway.lrs.documents import StoredStatement

DUPLICATE_KEY = 11000
ATTACHMENT_BUCKET = "xapi_attachments"


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


def find_page(
    criteria: dict,
    *,
    ascending: bool,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[dict]:
    """Up to `limit` records matching `criteria`, ordered by (stored, _id), strictly after the
    keyset position `after` (the last record of the previous page)."""
    query = dict(criteria)
    if after is not None:
        stored, statement_id = after
        beyond = "$gt" if ascending else "$lt"
        query["$or"] = [
            {"stored": {beyond: stored}},
            {"stored": stored, "_id": {beyond: statement_id}},
        ]
    direction = pymongo.ASCENDING if ascending else pymongo.DESCENDING
    cursor = (
        statements().find(query, {"received_digest": 0}).sort([("stored", direction), ("_id", direction)])
    )
    return list(cursor.limit(limit))


def latest_stored() -> datetime | None:
    record = statements().find_one({}, {"stored": 1}, sort=[("stored", pymongo.DESCENDING)])
    return record["stored"] if record else None


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
