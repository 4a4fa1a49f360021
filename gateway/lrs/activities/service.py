"""Canonical Activities and Person objects: merging Activity definitions from stored statements
(xAPI Data 2.4.4.1), the Activities resource (1.0.3 Communication §2.5 / 2.0 §4.1.6.4) and the
Agents resource (§2.4 / §4.1.6.3)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator

from flask import current_app

from gateway.auth.service import Principal
from gateway.lrs.activities import repository
from gateway.lrs.formats import statement_activities
from gateway.lrs.identifiers import agent_key
from gateway.lrs.parameters import activity_id_parameter, agent_parameter
from gateway.lrs.validation.actors import IFIS
from gateway.policy.release import (
    release_activity,
    release_person,
    release_statements,
    statement_read_scope,
)
from gateway.storage.connection import now_at_stored_precision

log = logging.getLogger(__name__)

# Interaction component lists, merged component by component (matched on their id).
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
# What an Activity is (Data 2.4.4.1.s4.b5: no "significant changes", e.g. to correct responses):
# kept from the first definition that gives them.
_SETTLED = ("type", "interactionType", "correctResponsesPattern")
_MERGE_ATTEMPTS = 5
# How many of the agent's newest statements the Agents resource reads names from.
_NAMING_STATEMENTS = 50


def merge_definition(stored: dict, incoming: dict) -> dict:
    """The canonical definition after `incoming` arrives: language maps and extensions gain the new
    entries (a new text for a language replaces the old, a spelling fix), moreInfo follows the
    newest, and what the Activity is (type, interaction type, correct responses) stays."""
    merged = dict(stored)
    for name, value in incoming.items():
        if name in ("name", "description", "extensions"):
            merged[name] = {**stored.get(name, {}), **value}
        elif name in _COMPONENT_LISTS:
            merged[name] = _merge_components(stored.get(name, []), value)
        elif name in _SETTLED:
            merged.setdefault(name, value)
        else:
            merged[name] = value
    return merged


def _merge_components(stored: list[dict], incoming: list[dict]) -> list[dict]:
    components = {component["id"]: component for component in stored}
    for component in incoming:
        previous = components.get(component["id"])
        if previous is None:
            components[component["id"]] = component
        else:
            description = {**previous.get("description", {}), **component.get("description", {})}
            components[component["id"]] = {**previous, **component, "description": description}
    return list(components.values())


class RecentDefinitions:
    """The canonical definitions this process read or wrote in the last `ttl_s` seconds, so that
    statements repeating a known definition (most do) cost no database round trip. A definition
    another process changes meanwhile is merged again only after the entry expires: the canonical
    definition may lag by up to `ttl_s` in a multi-process deployment."""

    def __init__(self, ttl_s: float = 60.0, size: int = 20_000):
        self._entries: OrderedDict[str, tuple[dict | None, float]] = OrderedDict()
        self._ttl_s = ttl_s
        self._size = size
        self._lock = threading.Lock()

    def adds_nothing(self, activity_id: str, incoming: dict, *, define: bool) -> bool:
        with self._lock:
            entry = self._entries.get(activity_id)
        if entry is None or entry[1] < time.monotonic():
            return False
        known = entry[0]
        return not define or (known is not None and merge_definition(known, incoming) == known)

    def remember(self, definitions: dict[str, dict | None]) -> None:
        """`definitions`: activity id -> canonical definition (None: known id, definition unread)."""
        expires = time.monotonic() + self._ttl_s
        with self._lock:
            for activity_id, definition in definitions.items():
                self._entries[activity_id] = (definition, expires)
                self._entries.move_to_end(activity_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def _recent_definitions() -> RecentDefinitions:
    return current_app.extensions.setdefault("kakehashi.recent_activity_definitions", RecentDefinitions())


def record_activity_definitions(statements: list[dict], principal: Principal) -> None:
    """Called after statements are stored: every Activity they mention becomes known, and when the
    principal holds the `define` scope its definitions merge into the canonical ones. Without
    `define` only the ids are saved (1.0.3 Communication §4.2 "define"). Valid statements only."""
    incoming: dict[str, dict] = {}
    for statement in statements:
        for activity in statement_activities(statement):
            definition = activity.get("definition") or {}
            earlier = incoming.get(activity["id"])
            # merging into nothing gives the definition itself (read only from here on)
            incoming[activity["id"]] = (
                definition if earlier is None else merge_definition(earlier, definition)
            )
    recent = _recent_definitions()
    define = principal.may("define")
    incoming = {
        activity_id: definition
        for activity_id, definition in incoming.items()
        if not recent.adds_nothing(activity_id, definition, define=define)
    }
    if not incoming:
        return
    if not principal.may("define"):
        # Only unknown ids; an id another writer adds meanwhile is just as good.
        stored = repository.find(incoming)
        repository.write(
            {activity_id: {} for activity_id in incoming if activity_id not in stored},
            [],
            now_at_stored_precision(),
        )
        recent.remember(dict.fromkeys(incoming))
        return
    for _ in range(_MERGE_ATTEMPTS):
        stored = repository.find(incoming)
        new = {activity_id: d for activity_id, d in incoming.items() if activity_id not in stored}
        changed = []
        for activity_id, definition in incoming.items():
            if activity_id in stored:
                current = stored[activity_id]
                merged = merge_definition(current.get("definition") or {}, definition)
                if merged != current.get("definition"):
                    changed.append((activity_id, current["revision"], merged))
        if repository.write(new, changed, now_at_stored_precision()) == 0:
            recent.remember(
                {
                    **{activity_id: record.get("definition") or {} for activity_id, record in stored.items()},
                    **new,
                    **{activity_id: merged for activity_id, _revision, merged in changed},
                }
            )
            return
    # The statements are stored; a definition that lost every race is merged by the next statement.
    log.warning("activity definitions still contended after %d attempts", _MERGE_ATTEMPTS)


def canonical_definitions(activity_ids: set[str]) -> dict[str, dict]:
    """The LRS's canonical definition of each of these Activities that has one (for the canonical
    statement format)."""
    return {
        activity_id: record["definition"]
        for activity_id, record in repository.find(activity_ids).items()
        if record.get("definition")
    }


def canonical_activity(principal: Principal, activity_id: str, version: str) -> dict:
    """The Activity object the LRS holds for `activity_id`; one without a definition when the LRS
    knows nothing of it (1.0.3 §2.5.s2.b1 SHOULD*, 2.0 §4.1.6.4 shall)."""
    activity_id = activity_id_parameter(activity_id, version)
    record = repository.find_one(activity_id)
    activity = {"objectType": "Activity", "id": activity_id}
    if record and record.get("definition"):
        activity["definition"] = record["definition"]
    return release_activity(principal, activity)


def person(principal: Principal, agent: str, version: str, own_authority_key: str) -> dict:
    """The Person object for an Agent: its identifier, and the names it was given in the request and
    in the newest statements the principal may read. Only the requested identifier is returned:
    linking identifiers of one person is not the LRS's to do (§2.4.s3.b1 asks for extra permission)."""
    agent = agent_parameter(agent, version, groups=False)
    key = agent_key(agent)
    names = [agent["name"]] if "name" in agent else []
    if principal.may("statements/read") or principal.may("statements/read/mine"):
        scope = statement_read_scope(principal, own_authority_key)
        records = repository.statements_naming(key, scope.criteria(), _NAMING_STATEMENTS)
        for statement in release_statements(scope, records):
            for candidate in _statement_agents(statement):
                name = candidate.get("name")
                if agent_key(candidate) == key and isinstance(name, str) and name not in names:
                    names.append(name)
    found = {"objectType": "Person"}
    if names:
        found["name"] = names
    identifier = next(name for name in IFIS if name in agent)
    found[identifier] = [agent[identifier]]
    return release_person(principal, found)


def _statement_agents(statement: dict) -> Iterator[dict]:
    """The actor, an Agent or Group object, and their members (what the `agents` index holds)."""
    actor, target = statement.get("actor") or {}, statement.get("object") or {}
    for part in (actor, target if target.get("objectType") in ("Agent", "Group") else {}):
        if part:
            yield part
            yield from part.get("member") or ()
