"""Roster persistence: one collection per OneRoster entity, records keyed by sourcedId."""

from __future__ import annotations

from pymongo import ReplaceOne
from pymongo.collection import Collection

from gateway.storage.connection import database

ENTITIES = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "roles",
    "enrollments",
    "demographics",
)


def collection(entity: str) -> Collection:
    if entity not in ENTITIES:
        raise ValueError(f"unknown OneRoster entity {entity!r}")
    return database()[f"oneroster_{entity}"]


def replace_entity_set(entity: str, records: list[dict]) -> None:
    """Makes `records` the whole set of `entity` (a bulk load). Records keep their OneRoster
    field names; `_id` is the sourcedId."""
    target = collection(entity)
    target.delete_many({"_id": {"$nin": [record["sourcedId"] for record in records]}})
    if records:
        target.bulk_write(
            [ReplaceOne({"_id": r["sourcedId"]}, {"_id": r["sourcedId"], **r}, upsert=True) for r in records],
            ordered=False,
        )


def count(entity: str) -> int:
    return collection(entity).count_documents({})
