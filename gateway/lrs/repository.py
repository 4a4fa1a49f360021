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

A statement that targets one not stored yet registers the missing id as *awaited*: a marker
document (`_id` "awaited:<id>", `ids` [<id>], no records, no keys) in the same collection, so the
unique `ids` index itself tells the target's writer, atomically with its insert, that earlier
statements wait for it; an insert that hits no marker needs no look-up for targeting statements.
Markers are invisible to every read (no `keys`; skipped where batches are read by id or in full).

Shard key for the day a deployment shards: `{_id: "hashed"}` spreads ingest evenly; time-ordered
queries then fan out and MongoDB merges them by `_id`. A sharded collection cannot enforce the
unique `ids` index (unique indexes must be prefixed by the shard key), so statement-id uniqueness
then moves to a claims collection sharded on the statement id, written before the batch.
"""

from __future__ import annotations

import os
import time
import uuid
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
EXTENT_REFRESH_S = 1.0
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


AWAITED_PREFIX = "awaited:"


class DuplicateStatementIds(Exception):
    """Some ids of an insert were already stored (a concurrent writer got there first). Nothing
    of the insert is stored."""


def batches() -> Collection:
    return StatementBatch._get_collection()


def lookup_values(record: dict, field: str) -> list:
    """A lookup field of a record as a list (a field holds a value, a list of values, or nothing)."""
    value = record.get(field)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _key(field: str, value: str) -> str:
    return f"{field}={value}"


def _record_keys(record: dict) -> set[str]:
    keys = set()
    for field in LOOKUP_FIELDS:
        values = record.get(field)
        if values is None:
            continue
        if not isinstance(values, list):
            keys.add(f"{field}={values}")
            continue
        direct = record.get(DIRECT_FIELD[field]) if field in DIRECT_FIELD else None
        if direct:
            direct = set(direct) if isinstance(direct, list) else {direct}
            keys.update([f"{field}={value}" for value in values if value not in direct])
        else:
            keys.update([f"{field}={value}" for value in values])
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
    packed = [
        bson.encode({key: value for key, value in r.items() if key not in ("stored", "voided")})
        for r in records
    ]
    if sum(map(len, packed)) > MAX_BLOB_BYTES:
        if len(records) == 1:
            raise PayloadTooLarge(
                f"statement {records[0]['_id']} is too large to store",
                details={"statementId": records[0]["_id"]},
            )
        half = len(records) // 2
        return _batch_documents(records[:half]) + _batch_documents(records[half:])
    postings: dict[str, list[int]] = {}
    for position, record in enumerate(records):
        for key in _record_keys(record):
            postings.setdefault(key, []).append(position)
    return [
        {
            "_id": _batch_id(records[0]["stored"]),
            "stored": records[0]["stored"],
            "ids": [record["_id"] for record in records],
            "keys": [EVERY_BATCH, *sorted(postings)],
            "voided_ids": [record["_id"] for record in records if record.get("voided")],
            # bytes are stored as BSON binary (subtype 0), as bson.Binary would store them, without
            # building a Binary object per record
            "records": packed,
            "postings": bson.encode(postings),
        }
    ]


def _positions_holding(batch: dict, keys: list[str]) -> Iterable[int] | None:
    """The positions of the batch's records that hold one of `keys`; None for all of them."""
    if EVERY_BATCH in keys or batch.get("adopted"):  # adopted values are in no posting list
        return None
    postings = bson.decode(batch["postings"])
    return sorted({position for key in keys for position in postings.get(key, ())})


def _unpack(batch: dict, positions: Iterable[int] | None = None) -> Iterator[dict]:
    """The records of a batch document in write order (only those at `positions`, when given),
    each with its `stored`, `voided` and `position` (batch id, index) for keyset paging. Records
    are decoded one by one, so a read decodes only the records it points to."""
    voided = set(batch.get("voided_ids") or ())
    adopted = batch.get("adopted") or {}
    encoded = batch["records"]
    if positions is None:
        positions = range(len(encoded))
    stored = batch["stored"].replace(tzinfo=UTC)
    for index in positions:
        record = bson.decode(encoded[index])
        record["stored"] = stored
        record["voided"] = record["_id"] in voided
        record["position"] = (batch["_id"], index)
        for field, values in (adopted.get(record["_id"]) or {}).items():
            record[field] = list(dict.fromkeys([*lookup_values(record, field), *values]))
        yield record


def insert(records: list[dict]) -> None:
    """Stores `records`, all or none; raises DuplicateStatementIds (nothing stored) when an id is
    already taken."""
    if not records:
        return
    documents = batch_documents(records)
    record_extent([document["stored"] for document in documents])
    try:
        batches().insert_many(documents, ordered=True)
    except BulkWriteError as error:
        if any(failure["code"] != DUPLICATE_KEY for failure in error.details["writeErrors"]):
            raise
        batches().delete_many({"_id": {"$in": [document["_id"] for document in documents]}})
        raise DuplicateStatementIds() from None


def _is_awaited(batch: dict) -> bool:
    return batch["_id"].startswith(AWAITED_PREFIX)


def _records_with_ids(ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    wanted = set(ids)
    return {
        record["_id"]: record
        for batch in batches().find({"ids": {"$in": ids}}, {"keys": 0})
        if not _is_awaited(batch)
        for record in _unpack(batch, [index for index, found in enumerate(batch["ids"]) if found in wanted])
    }


def await_statements(ids: Iterable[str]) -> list[str]:
    """Registers `ids` (targets of stored statements, not stored themselves) as awaited. Returns
    those that were stored meanwhile (their writer saw no marker: the caller links them up); an id
    already awaited stays awaited."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    markers = [{"_id": AWAITED_PREFIX + statement_id, "ids": [statement_id]} for statement_id in ids]
    try:
        batches().insert_many(markers, ordered=False)
    except BulkWriteError as error:
        if any(failure["code"] != DUPLICATE_KEY for failure in error.details["writeErrors"]):
            raise
        taken = [ids[failure["index"]] for failure in error.details["writeErrors"]]
        stored = _records_with_ids(taken)
        return [statement_id for statement_id in taken if statement_id in stored]
    return []


def release_awaited(ids: Iterable[str]) -> list[str]:
    """Removes the awaited markers of `ids` (their statements are about to be stored); returns the
    ids that had one (statements stored earlier target them)."""
    markers = [AWAITED_PREFIX + statement_id for statement_id in ids]
    if not markers:
        return []
    found = [marker["_id"] for marker in batches().find({"_id": {"$in": markers}}, {"_id": 1})]
    if found:
        batches().delete_many({"_id": {"$in": found}})
    return [marker.removeprefix(AWAITED_PREFIX) for marker in found]


def register_awaited_targets() -> None:
    """One-time migration of data stored before awaited markers existed: every target of a stored
    statement that is not stored itself is registered as awaited."""
    meta = batches().database[META_COLLECTION]
    if meta.find_one({"_id": "awaited_markers"}) is not None:
        return
    targeting = batches().find(
        {"keys": {"$gte": "targets=", "$lt": "targets>"}}, {"records": 0, "postings": 0}
    )
    keys = {key for batch in targeting for key in batch.get("keys") or () if key.startswith("targets=")}
    targets = [key.removeprefix("targets=") for key in keys]
    stored = _records_with_ids(targets)
    await_statements(sorted(target for target in targets if target not in stored))
    meta.update_one({"_id": "awaited_markers"}, {"$set": {"registered": True}}, upsert=True)


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
        for batch in batches().find({"keys": {"$in": keys}}, {"keys": 0, "ids": 0})
        for record in _unpack(batch, _positions_holding(batch, keys))
        if wanted & {_key("targets", target) for target in lookup_values(record, "targets")}
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


def _agent_lookup_keys(agent_keys: Iterable[str]) -> list[str]:
    return [_key(field, key) for key in agent_keys for field in ("agents", "related_agents")]


def _holds_any(record: dict, keys: set[str]) -> bool:
    return any(
        _key(field, value) in keys
        for field in ("agents", "related_agents")
        for value in lookup_values(record, field)
    )


def records_of_agents(agent_keys: Iterable[str]) -> list[dict]:
    """Every stored record any of `agent_keys` (gateway.lrs.identifiers.agent_key) is an agent of,
    directly or related (actor, object, context, authority, sub-statement), in stored order: what
    the LRS holds about a person, for the data rights."""
    keys = _agent_lookup_keys(agent_keys)
    if not keys:
        return []
    wanted = set(keys)
    return [
        record
        for batch in batches().find({"keys": {"$in": keys}}).sort("_id", pymongo.ASCENDING)
        for record in _unpack(batch, _positions_holding(batch, keys))
        if _holds_any(record, wanted)
    ]


def purge_statements(agent_keys: Iterable[str]) -> list[str]:
    """Erases, for good, every stored statement of `agent_keys` (as records_of_agents finds them):
    the right to erasure. Each batch holding one is rewritten without it (a batch left empty is
    deleted), so no trace of it stays in a record, a posting list, an id list or an index key.
    Returns the ids of the purged statements."""
    keys = _agent_lookup_keys(agent_keys)
    if not keys:
        return []
    wanted = set(keys)
    purged: list[str] = []
    for batch in list(batches().find({"keys": {"$in": keys}})):
        kept = [record for record in _unpack(batch) if not _holds_any(record, wanted)]
        if len(kept) == len(batch["ids"]):
            continue
        kept_ids = {record["_id"] for record in kept}
        purged += [statement_id for statement_id in batch["ids"] if statement_id not in kept_ids]
        if kept:  # one document: fewer records than the batch held always fit
            (rebuilt,) = _batch_documents([{k: v for k, v in r.items() if k != "position"} for r in kept])
            batches().replace_one({"_id": batch["_id"]}, {**rebuilt, "_id": batch["_id"]})
        else:
            batches().delete_one({"_id": batch["_id"]})
    return purged


def count_statements() -> int:
    return sum(len(batch["ids"]) for batch in batches().find({}, {"ids": 1}) if not _is_awaited(batch))


def all_records() -> Iterator[dict]:
    for batch in batches().find({}).sort("_id", pymongo.ASCENDING):
        if not _is_awaited(batch):
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
            if value not in lookup_values(record, field) and not (
                field in DIRECT_FIELD and value in lookup_values(record, DIRECT_FIELD[field])
            ):
                return False
        return True


# Windowed reads. An index keeps batches in `_id` (= stored) order, yet some stores (the embedded
# one among them) fetch and sort every matching document before applying a limit, so a
# newest-first page over many batches would touch them all. Pages are therefore read in
# stored-time windows that start small at the edge of the stored data and double, each window a
# bounded `_id` range of one index; a page touches about as many batches as it needs, on MongoDB
# and on the embedded store alike. A window that matched little makes the next one much wider.
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
    extent = _extent()
    if "first" not in extent:
        return found
    first = _millis(extent["first"])
    low = first if query.since is None else max(first, _millis(query.since) + 1)
    high = None if query.until is None else _millis(query.until)  # None: the newest window is open-ended
    newest = _millis(extent["last"])

    def read(id_range: dict, skip_through: tuple[str, int] | None = None) -> None:
        batches_found = {}
        keys = query.index_keys()
        for key in keys:
            for batch in batches().find({"keys": key, "_id": id_range}, {"keys": 0, "ids": 0}):
                batches_found[batch["_id"]] = batch
        for batch_id in sorted(batches_found, reverse=not ascending):
            batch = batches_found[batch_id]
            records = list(_unpack(batch, _positions_holding(batch, keys)))
            if skip_through is not None and batch_id == skip_through[0]:
                beyond = (
                    (lambda index: index > skip_through[1])
                    if ascending
                    else (lambda index: index < skip_through[1])
                )
                records = [record for record in records if beyond(record["position"][1])]
            for record in records if ascending else reversed(records):
                if query.matches(record):
                    found.append(record)
                    if len(found) >= limit:
                        return

    def grown(width: int, before: int) -> int:
        """The next window's width: as many times wider as the matches still wanted are more than
        this window's matches (at least twice, at most sixteen times)."""
        matched = len(found) - before
        factor = 16 if matched == 0 else (limit - len(found)) / matched
        return int(width * min(16, max(2, factor)))

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
            if high is None and stop >= newest:
                read(lower)  # open-ended: newer batches than the hint (other processes, clocks ahead)
                break
            before = len(found)
            read({**lower, "$lt": _id_floor(stop + 1)})
            lower, edge, width = {"$gte": _id_floor(stop + 1)}, stop + 1, grown(width, before)
    else:
        top = newest if high is None else high
        upper: dict = {} if high is None else {"$lt": _id_floor(high + 1)}
        if after is not None:
            read({"$eq": after[0]}, skip_through=after)
            upper, top = {"$lt": after[0]}, min(top, _batch_millis(after[0]))
        edge, width = top, FIRST_WINDOW_MS
        while len(found) < limit and edge >= low:
            start = max(edge - width + 1, low)
            before = len(found)
            read({"$gte": _id_floor(start), **upper})
            upper, edge, width = {"$lt": _id_floor(start)}, start - 1, grown(width, before)
    return found


def _extent() -> dict:
    """Hints of the earliest and latest `stored` ({"first", "last"}), cached by the app and
    refreshed from a metadata record at most once a second (reading them from the batches would
    sort the whole collection on some stores). `first` only ever moves earlier, so a stale one
    only costs a page read one more window; `last` only says where the newest window starts,
    and that window is open-ended, so a stale one misses nothing."""
    cache = current_app.extensions.setdefault(EXTENT_CACHE, {})
    if time.monotonic() - cache.get("read_at", float("-inf")) >= EXTENT_REFRESH_S:
        record = batches().database[META_COLLECTION].find_one({"_id": "statements"})
        cache["read_at"] = time.monotonic()
        if record is not None:
            _widen(cache, record["first_stored"], record["last_stored"])
    return cache


def _widen(cache: dict, first: datetime, last: datetime) -> None:
    first, last = first.replace(tzinfo=first.tzinfo or UTC), last.replace(tzinfo=last.tzinfo or UTC)
    cache["first"] = min(cache.get("first", first), first)
    cache["last"] = max(cache.get("last", last), last)


def record_extent(stored: list[datetime]) -> None:
    """Widens the extent by `stored`; the record is written at once when `first` moves, otherwise
    at most once a second."""
    earliest, latest = min(stored), max(stored)
    cache = _extent()
    recently_written = time.monotonic() - cache.get("written_at", float("-inf")) < EXTENT_REFRESH_S
    if "first" not in cache or cache["first"] > earliest or not recently_written:
        batches().database[META_COLLECTION].update_one(
            {"_id": "statements"},
            {"$min": {"first_stored": earliest}, "$max": {"last_stored": latest}},
            upsert=True,
        )
        cache["written_at"] = time.monotonic()
    _widen(cache, earliest, latest)


def _attachment_bucket() -> gridfs.GridFSBucket:
    return gridfs.GridFSBucket(batches().database, bucket_name=ATTACHMENT_BUCKET)


@dataclass(frozen=True)
class WrittenContents:
    """The attachment contents one request wrote (not found stored): each carries the request's
    `writer` mark until the request keeps them (its statements are stored) or discards them."""

    writer: str
    hashes: list[str]


def save_attachment_contents(parts: Iterable[AttachmentPart]) -> WrittenContents:
    """Stores each content once, keyed by its SHA-2 (a content already stored is not written again).

    A content found stored is claimed first (its writer mark removed, atomically with finding it), so
    a request that wrote it and then fails can no longer discard it once another request relies on it.
    """
    writer, hashes = uuid.uuid4().hex, []
    database = batches().database
    files = database[f"{ATTACHMENT_BUCKET}.files"]
    bucket = _attachment_bucket()
    for sha2, part in {part.sha2: part for part in parts}.items():
        while not files.update_one({"_id": sha2}, {"$unset": {"metadata.writer": ""}}).matched_count:
            # Chunks left by an upload that died before writing its file record would collide.
            database[f"{ATTACHMENT_BUCKET}.chunks"].delete_many({"files_id": sha2})
            try:
                bucket.upload_from_stream_with_id(
                    sha2,
                    sha2,
                    part.content,
                    metadata={"contentType": part.content_type, "writer": writer},
                )
            except gridfs.errors.FileExists:
                continue  # a concurrent request stored it: claim it
            hashes.append(sha2)
            break
    return WrittenContents(writer, hashes)


def keep_attachment_contents(written: WrittenContents) -> None:
    """The statements referencing these contents are stored: they are no longer the writer's to discard."""
    if written.hashes:
        database = batches().database
        database[f"{ATTACHMENT_BUCKET}.files"].update_many(
            {"_id": {"$in": written.hashes}, "metadata.writer": written.writer},
            {"$unset": {"metadata.writer": ""}},
        )


def discard_attachment_contents(written: WrittenContents) -> None:
    """Deletes the contents the request wrote, unless another request has claimed them since."""
    database = batches().database
    for sha2 in written.hashes:
        still_unclaimed = {"_id": sha2, "metadata.writer": written.writer}
        if database[f"{ATTACHMENT_BUCKET}.files"].delete_one(still_unclaimed).deleted_count:
            database[f"{ATTACHMENT_BUCKET}.chunks"].delete_many({"files_id": sha2})


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
