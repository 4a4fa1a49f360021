"""Canonical Activity persistence (raw pymongo, bulk and revision-checked), and the statement lookup
behind the Agents resource."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pymongo import InsertOne, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from gateway.lrs import repository as statements_repository
from gateway.lrs.activities.models import CanonicalActivity

DUPLICATE_KEY = 11000


def _activities() -> Collection:
    return CanonicalActivity._get_collection()


def find(ids: Iterable[str]) -> dict[str, dict]:
    ids = list(ids)
    if not ids:
        return {}
    return {record["_id"]: record for record in _activities().find({"_id": {"$in": ids}})}


def find_one(activity_id: str) -> dict | None:
    return _activities().find_one({"_id": activity_id})


def write(new: dict[str, dict], changed: list[tuple[str, int, dict]], now: datetime) -> int:
    """Inserts the `new` Activities (id -> definition) and replaces the definition of each `changed`
    (id, revision read, definition) if still at that revision, in one unordered bulk write.
    Returns how many did not apply because a concurrent writer got there first."""
    operations = [
        InsertOne({"_id": activity_id, "definition": definition, "revision": 1, "updated": now})
        for activity_id, definition in new.items()
    ] + [
        UpdateOne(
            {"_id": activity_id, "revision": revision},
            {"$set": {"definition": definition, "updated": now}, "$inc": {"revision": 1}},
        )
        for activity_id, revision, definition in changed
    ]
    if not operations:
        return 0
    try:
        result = _activities().bulk_write(operations, ordered=False)
    except BulkWriteError as error:
        failures = error.details["writeErrors"]
        if any(failure["code"] != DUPLICATE_KEY for failure in failures):
            raise
        return len(failures) + len(changed) - error.details["nMatched"]
    return len(changed) - result.matched_count


def statements_naming(agent_key: str, criteria: dict, limit: int) -> list[dict]:
    """The newest unvoided statements whose actor or object is the agent: enough to read the
    names the agent was given."""
    return statements_repository.find_page(
        {"agents": agent_key, **criteria}, ascending=False, limit=limit, after=None
    )
