"""Roster reads for the provider: every query ANDs the repository's `live_filter()`."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.oneroster import repository
from gateway.oneroster.repository import collection


def _live(query: dict) -> dict:
    live = repository.live_filter()
    if not live:
        return query
    if not query:
        return dict(live)
    return {"$and": [live, query]}


def find_one(entity: str, sourced_id: str, query: dict | None = None) -> dict | None:
    return collection(entity).find_one(_live({"_id": sourced_id, **(query or {})}))


def organisation_name(sourced_id: str | None) -> str | None:
    """The `name` of an org, None when there is no such org (or no id)."""
    if not sourced_id:
        return None
    org = collection("orgs").find_one(_live({"_id": sourced_id}), {"name": 1})
    return org.get("name") if org else None


def exists(entity: str, sourced_id: str, query: dict | None = None) -> bool:
    return collection(entity).find_one(_live({"_id": sourced_id, **(query or {})}), {"_id": 1}) is not None


def count(entity: str, query: dict) -> int:
    live = _live(query)
    if not live:
        # The whole collection: the collection's own count, without reading it.
        return collection(entity).estimated_document_count()
    return collection(entity).count_documents(live)


def find_page(entity: str, query: dict, sort: list[tuple[str, int]], offset: int, limit: int) -> list[dict]:
    cursor = collection(entity).find(_live(query)).sort(sort).skip(offset).limit(limit)
    return list(cursor)


def matching_subject_ids(entity: str, query: dict, path: str) -> list[str | None]:
    """For each record of `entity` matching `query`, the sourcedId at `path` (`_id`, or a GUIDRef
    such as "user"); None where it has none."""
    found = []
    for record in collection(entity).find(_live(query), {path: 1}):
        value = record.get(path)
        value = value.get("sourcedId") if isinstance(value, dict) else value
        found.append(value if isinstance(value, str) else None)
    return found


def referenced_ids(entity: str, query: dict, path: str) -> list[str]:
    """The sourcedIds that records of `entity` matching `query` reference at `path` (a GUIDRef or a
    list of GUIDRefs, e.g. "user" or "terms"), each once, in first-seen order."""
    seen: dict[str, None] = {}
    for record in collection(entity).find(_live(query), {path: 1, "_id": 0}):
        value = record.get(path)
        for reference in value if isinstance(value, list) else [value]:
            if isinstance(reference, dict) and reference.get("sourcedId"):
                seen.setdefault(reference["sourcedId"], None)
    return list(seen)


def find_by_field(entity: str, path: str, values: Iterable[str]) -> list[dict]:
    return list(collection(entity).find(_live({path: {"$in": list(values)}})))


def find_matching(entity: str, query: dict, limit: int = 2) -> list[dict]:
    return list(collection(entity).find(_live(query)).limit(limit))
