"""Reads and bulk writes of the curriculum_units collection (raw pymongo)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pymongo import ReplaceOne
from pymongo.collection import Collection

from gateway.units.documents import CurriculumUnit

CHUNK = 1000
ORDER = [("table", 1), ("no", 1)]


def _collection() -> Collection:
    return CurriculumUnit._get_collection()


def replace_table(table: str, documents: list[dict]) -> dict:
    """Stores `documents` as table `table`, writing only the difference with what is stored:
    new codes inserted (insert_many in chunks, unordered), changed ones replaced, codes no longer
    in the table removed. Idempotent: loading the same table again reads it and writes nothing.
    (The embedded store pays per document written, so unchanged rows are never rewritten.)"""
    collection = _collection()
    stored = {doc["_id"]: doc for doc in collection.find({"table": table})}
    new = [doc for doc in documents if doc["_id"] not in stored]
    changed = [doc for doc in documents if doc["_id"] in stored and stored[doc["_id"]] != doc]
    wanted = {doc["_id"] for doc in documents}
    gone = [code for code in stored if code not in wanted]
    for start in range(0, len(new), CHUNK):
        collection.insert_many(new[start : start + CHUNK], ordered=False)
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start : start + CHUNK]
        collection.bulk_write([ReplaceOne({"_id": doc["_id"]}, doc) for doc in chunk], ordered=False)
    for start in range(0, len(gone), CHUNK):
        collection.delete_many({"_id": {"$in": gone[start : start + CHUNK]}})
    return {
        "rows": len(documents),
        "inserted": len(new),
        "updated": len(changed),
        "removed": len(gone),
        "stored": collection.count_documents({"table": table}),
    }


def find_unit(code: str) -> dict | None:
    return _collection().find_one({"_id": code}, {"search_text": 0})


def find_units(codes: Iterable[str]) -> dict[str, dict]:
    return {doc["_id"]: doc for doc in _collection().find({"_id": {"$in": list(codes)}}, {"search_text": 0})}


def existing_codes(codes: Iterable[str]) -> set[str]:
    return {doc["_id"] for doc in _collection().find({"_id": {"$in": list(codes)}}, {"_id": 1})}


def children_of(code: str) -> list[dict]:
    return list(_collection().find({"parent": code}, {"_id": 1, "heading": 1}).sort(ORDER))


def search(
    *,
    subject: str | None,
    grade: int | None,
    school_type: str | None,
    text: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[dict]]:
    criteria: dict = {}
    if subject:
        if re.fullmatch(r"8[0-9A-Za-z]{2,3}", subject):
            criteria["subject" if len(subject) == 3 else "course"] = subject
        else:
            criteria["subject_name"] = subject
    if grade is not None:
        criteria["grades"] = grade
    if school_type:
        criteria["school_type"] = school_type
    if text:
        criteria["search_text"] = {"$regex": re.escape(text)}
    collection = _collection()
    total = collection.count_documents(criteria)
    cursor = collection.find(criteria, {"search_text": 0}).sort(ORDER).skip(offset).limit(limit)
    return total, list(cursor)


def counts_by_table() -> dict[str, int]:
    return {
        row["_id"]: row["n"]
        for row in _collection().aggregate([{"$group": {"_id": "$table", "n": {"$sum": 1}}}])
    }
