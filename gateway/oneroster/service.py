"""Reading the roster as the OneRoster REST bindings ask: scope, query parameters, paging, release.

Order of checks: the scope (403) first, then the query parameters (400), then the records named in
the path (404), so a client learns nothing about the roster from a request it may not make.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.auth.service import Principal
from gateway.oneroster import store
from gateway.oneroster.filtering import compile_filter, filter_paths, parse_selection, parse_sort
from gateway.oneroster.operations import SINGLE_KINDS, RosterOperation, unknown
from gateway.oneroster.representation import Representation
from gateway.policy.release import (
    releasable_roster_total,
    release_roster,
    require_roster_queryable,
    require_roster_read,
)

DEFAULT_LIMIT = 100
# The most records one response carries; a larger `limit` is served as this one (the Link header
# and X-Total-Count let the client page on).
MAX_LIMIT = 1000


@dataclass(frozen=True)
class CollectionQuery:
    """The query parameters of a collection read."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str | None = None
    order_by: str = "asc"
    filter: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    records: list[dict]
    total: int
    offset: int
    limit: int


def read_collection(
    principal: Principal,
    operation: RosterOperation,
    representation: Representation,
    params: dict,
    query: CollectionQuery,
) -> Page:
    require_roster_read(principal, operation.access)
    entity, version = operation.entity, representation.version
    criteria = [operation.base] if operation.base else []
    queried: dict[str, str] = {}  # stored field path → the parameter naming it
    if query.filter is not None:
        criteria.append(compile_filter(query.filter, entity, version))
        queried.update(dict.fromkeys(filter_paths(query.filter, entity, version), "filter"))
    direction = -1 if query.order_by == "desc" else 1
    sort = [("_id", direction)]
    if query.sort:
        path = parse_sort(query.sort, entity, version)
        sort = [(path, direction)] + ([("_id", direction)] if path != "_id" else [])
        queried.setdefault(path, "sort")
    require_roster_queryable(principal, entity, queried)
    selection = parse_selection(list(query.fields), entity, version) if query.fields else None
    if operation.nested is not None:
        criteria.append(operation.nested(params))
    mongo_query = criteria[0] if len(criteria) == 1 else ({"$and": criteria} if criteria else {})
    limit = min(query.limit, MAX_LIMIT)
    total = store.count(entity, mongo_query)
    if query.filter is not None:
        # the matches the policy withholds are not counted: their number would answer the filter
        released_total = releasable_roster_total(
            principal, entity, lambda path: store.matching_subject_ids(entity, mongo_query, path)
        )
        total = total if released_total is None else released_total
    stored = store.find_page(entity, mongo_query, sort, query.offset, limit)
    records = _represent(entity, stored, representation, selection)
    return Page(release_roster(principal, operation.access, entity, records), total, query.offset, limit)


def read_record(
    principal: Principal,
    operation: RosterOperation,
    representation: Representation,
    sourced_id: str,
    fields: tuple[str, ...] = (),
) -> dict:
    require_roster_read(principal, operation.access)
    entity = operation.entity
    selection = parse_selection(list(fields), entity, representation.version) if fields else None
    stored = store.find_one(entity, sourced_id, operation.base)
    if stored is None:
        raise unknown(SINGLE_KINDS.get(operation.operation_id, operation.key), sourced_id)
    (record,) = _represent(entity, [stored], representation, selection)
    released = release_roster(principal, operation.access, entity, [record])
    if not released:  # withheld by the release policy: as unknown, revealing nothing
        raise unknown(SINGLE_KINDS.get(operation.operation_id, operation.key), sourced_id)
    return released[0]


def _represent(
    entity: str, stored: list[dict], representation: Representation, selection: list[str] | None
) -> list[dict]:
    if (
        entity == "users"
        and representation.version == "1.2"
        and (selection is None or "userProfiles" in selection)
    ):
        _attach_user_profiles(stored)
    return [representation.record(entity, record, selection) for record in stored]


def _attach_user_profiles(users: list[dict]) -> None:
    """1.2 users carry their userProfiles; records the importer stored apart (userProfiles.csv) are
    joined in for the users of the page that do not carry them already."""
    missing = {user["_id"]: user for user in users if "userProfiles" not in user}
    if not missing:
        return
    for profile in store.find_by_field("userProfiles", "user.sourcedId", missing):
        missing[profile["user"]["sourcedId"]].setdefault("userProfiles", []).append(profile)
