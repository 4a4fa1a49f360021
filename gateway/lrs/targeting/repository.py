"""Reads and updates, with raw pymongo, of what targeting needs from stored statements: their
lookup fields, their target chains (`targets`, sparse index) and their own verb."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateMany
from pymongo.collection import Collection

from gateway.lrs.documents import StoredStatement

# The lookup fields a statement query filters on (see gateway.lrs.identifiers.index_fields).
LOOKUP_FIELDS = ("verb", "agents", "related_agents", "activities", "related_activities", "registration")
_PROJECTION = {name: 1 for name in (*LOOKUP_FIELDS, "targets", "voided", "statement.verb.id")}


def _statements() -> Collection:
    return StoredStatement._get_collection()


def find(ids: Iterable[str]) -> dict[str, dict]:
    """The stored statements among `ids`: lookup fields, target chain, voided, own verb."""
    ids = list(ids)
    if not ids:
        return {}
    return {record["_id"]: record for record in _statements().find({"_id": {"$in": ids}}, _PROJECTION)}


def find_targeting(ids: Iterable[str]) -> list[dict]:
    """The stored statements whose target chain holds any of `ids` (statements that arrived
    before what they target)."""
    ids = list(ids)
    if not ids:
        return []
    return list(_statements().find({"targets": {"$in": ids}}, {"targets": 1, "statement.verb.id": 1}))


def extend_targeting(extensions: list[tuple[str, dict[str, list], list[str]]]) -> None:
    """For each (target id, lookup values, chain): every statement whose chain holds the target
    gains those lookup values and that chain, in one unordered bulk write."""
    operations = []
    for target, values, chain in extensions:
        additions = {name: {"$each": items} for name, items in values.items() if items}
        if chain:
            additions["targets"] = {"$each": chain}
        if additions:
            operations.append(UpdateMany({"targets": target}, {"$addToSet": additions}))
    if operations:
        _statements().bulk_write(operations, ordered=False)
