"""Statement persistence with raw pymongo, in batches.

A write (a POST's statements, a PUT's one) is stored as one document, a *batch*: the statements as
one opaque BSON blob, their ids (unique multikey index `ids`) and the union of their lookup keys
(index `keys`, `_id`). A batch's `_id` begins with its `stored` time in hexadecimal milliseconds, so
`_id` order is stored order and every page is an index range. Why batches: the embedded store
pays per document and per index entry in Python, so one document of 100 statements with ~4 index
entries per statement is written about five times faster than 100 indexed documents; and the
blob is read without decoding each statement field by field on the server.

Mutable per-statement state lives beside the blob: `voided_ids` (statements of the batch voided
later) and `adopted.<statement id>` (lookup values a targeting statement gained from a target that
arrived after it, see gateway.lrs.targeting).

Shard key for the day a deployment shards: `{_id: "hashed"}` spreads ingest evenly; time-ordered
queries then fan out and MongoDB merges them by `_id`. A sharded collection cannot enforce the
unique `ids` index (unique indexes must be prefixed by the shard key), so statement-id uniqueness
then moves to a claims collection sharded on the statement id, written before the batch.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import bson
import gridfs
import gridfs.errors
import pymongo
from flask import current_app
from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from gateway.errors import PayloadTooLarge
from gateway.lrs.attachments import AttachmentPart
from gateway.lrs.documents import StatementBatch

DUPLICATE_KEY = 11000
ATTACHMENT_BUCKET = "xapi_attachments"
META_COLLECTION = "xapi_meta"
EXTENT_CACHE = "kakehashi.statement_extent"
# The lookup fields of a record (gateway.lrs.identifiers.index_fields plus the targeting chain).
LOOKUP_FIELDS = (
    "verb",
    "agents",
    "related_agents",
    "activities",
    "related_activities",
    "registration",
    "authority",
    "targets",
)
# A related_* filter also matches the direct field; a value in both is indexed once, as direct.
DIRECT_FIELD = {"related_agents": "agents", "related_activities": "activities"}
# Most selective lookup field first: a query reads the batches of its most selective condition.
SELECTIVITY = (
    "registration",
    "targets",
    "agents",
    "activities",
    "related_agents",
    "related_activities",
    "verb",
    "authority",
)
# A key every batch holds: unfiltered reads use the `keys` index too (the embedded store scans the
# collection for a range on `_id` alone).
EVERY_BATCH = "*"
# Statements of one write are split across batches above this blob size (a BSON document holds
# at most 16 MB, the blob's neighbours included).
MAX_BLOB_BYTES = 12 * 1024 * 1024


class DuplicateStatementIds(Exception):
    """Some ids of an insert were already stored (a concurrent writer got there first). Nothing
    of the insert is stored."""


def batches() -> Collection:
    return StatementBatch._get_collection()


def _values(record: dict, field: str) -> list:
    value = record.get(field)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _key(field: str, value: str) -> str:
    return f"{field}={value}"


def _record_keys(record: dict) -> set[str]:
    keys = set()
    for field in LOOKUP_FIELDS:
        direct = set(_values(record, DIRECT_FIELD[field])) if field in DIRECT_FIELD else ()
        keys.update(_key(field, value) for value in _values(record, field) if value not in direct)
    return keys


def _batch_id(stored: datetime) -> str:
    return f"{_millis(stored):013x}{os.urandom(8).hex()}"


def _millis(moment: datetime) -> int:
    if moment.tzinfo is None:  # pymongo's datetimes are naive UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _batch_millis(batch_id: str) -> int:
    return int(batch_id[:13], 16)


def _id_floor(millis: int) -> str:
    """The least batch `_id` of a batch stored at `millis`. Bounds have the length of the ids they
    bound: the embedded store's index misorders a string against a longer one it prefixes."""
    return f"{millis:013x}{'0' * 16}"


def batch_documents(records: list[dict]) -> list[dict]:
    """The batch documents that store `records` (prepared by the statement service): one per
    distinct `stored` (a write's records share it), halved until each blob fits in a document."""
    by_stored: dict[datetime, list[dict]] = {}
    for record in records:
        by_stored.setdefault(record["stored"], []).append(record)
    return [document for group in by_stored.values() for document in _batch_documents(group)]


def _batch_documents(records: list[dict]) -> list[dict]:
    packed = [{key: value for key, value in r.items() if key not in ("stored", "voided")} for r in records]
    blob = bson.encode({"records": packed})
    if len(blob) > MAX_BLOB_BYTES:
        if len(records) == 1:
            raise PayloadTooLarge(
                f"statement {records[0]['_id']} is too large to store",
                details={"statementId": records[0]["_id"]},
            )
        half = len(records) // 2
        return _batch_documents(records[:half]) + _batch_documents(records[half:])
    return [
        {
            "_id": _batch_id(records[0]["stored"]),
            "stored": records[0]["stored"],
            "ids": [record["_id"] for record in records],
            "keys": [EVERY_BATCH, *sorted(set().union(*map(_record_keys, records)))],
            "voided_ids": [record["_id"] for record in records if record.get("voided")],
            "records": bson.Binary(blob),
        }
    ]


def _unpack(batch: dict) -> Iterator[dict]:
    """The records of a batch document, in write order, each with its `stored`, `voided` and
    `position` (batch id, index) for keyset paging."""
    voided = set(batch.get("voided_ids") or ())
    adopted = batch.get("adopted") or {}
    for index, record in enumerate(bson.decode(batch["records"])["records"]):
        record["stored"] = batch["stored"].replace(tzinfo=UTC)
        record["voided"] = record["_id"] in voided
        record["position"] = (batch["_id"], index)
        for field, values in (adopted.get(record["_id"]) or {}).items():
            record[field] = list(dict.fromkeys([*_values(record, field), *values]))
        yield record


def insert(records: list[dict]) -> None:
    """Stores `records`, all or none; raises DuplicateStatementIds (nothing stored) when an id is
    already taken."""
    if not records:
        return
    documents = batch_documents(records)
    record_first_stored([document["stored"] for document in documents])
    try:
        batches().insert_many(documents, ordered=True)
    except BulkWriteError as error:
        if any(failure["code"] != DUPLICATE_KEY for failure in error.details["writeErrors"]):
            raise
        batches().delete_many({"_id": {"$in": [document["_id"] for document in documents]}})
        raise DuplicateStatementIds() from None


def _records_with_ids(ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    wanted = set(ids)
    return {
        record["_id"]: record
        for batch in batches().find({"ids": {"$in": ids}})
        for record in _unpack(batch)
        if record["_id"] in wanted
    }


def find_by_ids(ids: Iterable[str]) -> dict[str, dict]:
    """The stored records among `ids`, by id."""
    return _records_with_ids(list(ids))


def find_one(statement_id: str) -> dict | None:
    return _records_with_ids([statement_id]).get(statement_id)


def find_targeting(ids: Iterable[str]) -> list[dict]:
    """The stored records whose target chain holds any of `ids`."""
    keys = [_key("targets", statement_id) for statement_id in ids]
    if not keys:
        return []
    wanted = set(keys)
    return [
        record
        for batch in batches().find({"keys": {"$in": keys}})
        for record in _unpack(batch)
        if wanted & {_key("targets", target) for target in _values(record, "targets")}
    ]


def adopt(statement_id_by_batch: list[tuple[str, str]], values: dict[str, list]) -> None:
    """Gives stored statements (batch id, statement id) lookup values (a targeting chain grew)."""
    operations = []
    for batch_id, statement_id in statement_id_by_batch:
        additions = {
            f"adopted.{statement_id}.{field}": {"$each": items} for field, items in values.items() if items
        }
        keys = [_key(field, value) for field, items in values.items() for value in items]
        if additions:
            operations.append(
                UpdateOne({"_id": batch_id}, {"$addToSet": {**additions, "keys": {"$each": keys}}})
            )
    if operations:
        batches().bulk_write(operations, ordered=False)


def mark_voided(ids: list[str]) -> None:
    if ids:
        batches().bulk_write(
            [UpdateOne({"ids": target}, {"$addToSet": {"voided_ids": target}}) for target in ids],
            ordered=False,
        )


def count_statements() -> int:
    return sum(len(batch["ids"]) for batch in batches().find({}, {"ids": 1}))


def all_records() -> Iterator[dict]:
    for batch in batches().find({}).sort("_id", pymongo.ASCENDING):
        yield from _unpack(batch)


@dataclass(frozen=True)
class _Filter:
    """Statement query criteria: lookup conditions (field, value) that must all hold, and an
    optional stored range (since exclusive, until inclusive)."""

    conditions: tuple[tuple[str, str], ...]
    since: datetime | None
    until: datetime | None

    @classmethod
    def of(cls, criteria: dict) -> _Filter:
        criteria = dict(criteria)
        bounds = criteria.pop("stored", {})
        unknown = set(criteria) - set(LOOKUP_FIELDS)
        if unknown:
            raise ValueError(f"not lookup fields: {sorted(unknown)}")
        return cls(tuple(criteria.items()), bounds.get("$gt"), bounds.get("$lte"))

    def index_keys(self) -> list[str]:
        """The `keys` values whose batches hold every match: the alternatives of the most selective
        condition (each read with one equality on the `keys` index, since the embedded store
        scans the collection for `$in` or `$or` beside a range); the others are checked per record."""
        if not self.conditions:
            return [EVERY_BATCH]
        field, value = min(self.conditions, key=lambda condition: SELECTIVITY.index(condition[0]))
        return self._alternatives(field, value)

    @staticmethod
    def _alternatives(field: str, value: str) -> list[str]:
        keys = [_key(field, value)]
        if field in DIRECT_FIELD:
            keys.append(_key(DIRECT_FIELD[field], value))
        return keys

    def matches(self, record: dict) -> bool:
        if record["voided"]:
            return False
        for field, value in self.conditions:
            if value not in _values(record, field) and not (
                field in DIRECT_FIELD and value in _values(record, DIRECT_FIELD[field])
            ):
                return False
        return True


# Windowed reads. An index keeps batches in `_id` (= stored) order, yet some stores (the embedded
# one among them) fetch and sort every matching document before applying a limit, so a
# newest-first page over many batches would touch them all. Pages are therefore read in
# stored-time windows that start small at the edge of the stored data and double, each window a
# bounded `_id` range of one index; a page touches about as many batches as it needs, on MongoDB
# and on the embedded store alike.
FIRST_WINDOW_MS = 25


def find_page(
    criteria: dict,
    *,
    ascending: bool,
    limit: int,
    after: tuple[str, int] | None,
) -> list[dict]:
    """Up to `limit` unvoided records matching `criteria`, in stored order (oldest or newest first),
    strictly after the keyset `position` `after` of the last record of the previous page."""
    query = _Filter.of(criteria)
    found: list[dict] = []
    first_stored = _first_stored()
    if first_stored is None:
        return found
    low = (
        _millis(first_stored) if query.since is None else max(_millis(first_stored), _millis(query.since) + 1)
    )
    high = None if query.until is None else _millis(query.until)  # None: open-ended (clock skew)
    now = _millis(datetime.now(UTC))

    def read(id_range: dict, skip_through: tuple[str, int] | None = None) -> None:
        batches_found = {}
        for key in query.index_keys():
            for batch in batches().find({"keys": key, "_id": id_range}, {"keys": 0, "ids": 0}):
                batches_found[batch["_id"]] = batch
        for batch_id in sorted(batches_found, reverse=not ascending):
            records = list(_unpack(batches_found[batch_id]))
            if skip_through is not None and batch_id == skip_through[0]:
                records = records[skip_through[1] + 1 :] if ascending else records[: skip_through[1]]
            for record in records if ascending else reversed(records):
                if query.matches(record):
                    found.append(record)
                    if len(found) >= limit:
                        return

    if ascending:
        lower: dict = {"$gte": _id_floor(low)}
        if after is not None:
            read({"$eq": after[0]}, skip_through=after)
            lower, low = {"$gt": after[0]}, max(low, _batch_millis(after[0]))
        edge, width = low, FIRST_WINDOW_MS
        while len(found) < limit:
            stop = edge + width - 1
            if high is not None and stop >= high:
                read({**lower, "$lt": _id_floor(high + 1)})
                break
            if high is None and stop >= now:
                read(lower)  # the newest window is open-ended: batches stored by a clock ahead of ours
                break
            read({**lower, "$lt": _id_floor(stop + 1)})
            lower, edge, width = {"$gte": _id_floor(stop + 1)}, stop + 1, width * 2
    else:
        top = now if high is None else high
        upper: dict = {} if high is None else {"$lt": _id_floor(high + 1)}
        if after is not None:
            read({"$eq": after[0]}, skip_through=after)
            upper, top = {"$lt": after[0]}, min(top, _batch_millis(after[0]))
        edge, width = top, FIRST_WINDOW_MS
        while len(found) < limit and edge >= low:
            start = max(edge - width + 1, low)
            read({"$gte": _id_floor(start), **upper})
            upper, edge, width = {"$lt": _id_floor(start)}, start - 1, width * 2
    return found


def _first_stored() -> datetime | None:
    """The earliest `stored` of all statements, kept in a metadata record (reading it from the
    batches would sort the whole collection on some stores) and cached by the app once known: it
    only ever moves earlier, and a stale earlier value only costs a page read one more window."""
    cache = current_app.extensions.setdefault(EXTENT_CACHE, {})
    if "first" not in cache:
        record = batches().database[META_COLLECTION].find_one({"_id": "statements"})
        if record is None:
            return None
        cache["first"] = record["first_stored"].replace(tzinfo=UTC)
    return cache["first"]


def record_first_stored(stored: list[datetime]) -> None:
    earliest = min(stored)
    cache = current_app.extensions.setdefault(EXTENT_CACHE, {})
    if "first" in cache and cache["first"] <= earliest:
        return
    batches().database[META_COLLECTION].update_one(
        {"_id": "statements"}, {"$min": {"first_stored": earliest}}, upsert=True
    )
    cache.pop("first", None)


def _attachment_bucket() -> gridfs.GridFSBucket:
    return gridfs.GridFSBucket(batches().database, bucket_name=ATTACHMENT_BUCKET)


def save_attachment_contents(parts: Iterable[AttachmentPart]) -> None:
    """Stores each content once, keyed by its SHA-2 (a content already stored is not written again)."""
    parts = {part.sha2: part for part in parts}
    if not parts:
        return
    database = batches().database
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
