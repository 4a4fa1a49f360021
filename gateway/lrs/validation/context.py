"""The Context of a statement: registration, people, contextActivities and, in xAPI 2.0, context agents and groups."""

from __future__ import annotations

from typing import Any

from gateway.lrs.validation.activities import activity
from gateway.lrs.validation.actors import actor, agent, group
from gateway.lrs.validation.core import At, constant, json_array, json_object, string
from gateway.lrs.validation.formats import extensions, iri, language_tag, uuid
from gateway.lrs.validation.statement_ref import statement_ref

_CONTEXT_1_0 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_2_0 = _CONTEXT_1_0 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


def context(value: object, at: At, statement_object: dict[str, Any]) -> dict[str, Any]:
    """statement_object is the (already validated) object of the same statement or SubStatement."""
    fields = json_object(value, at, _CONTEXT_2_0 if at.is_2_0 else _CONTEXT_1_0)
    if "registration" in fields:
        uuid(fields["registration"], at.key("registration"))
    if "instructor" in fields:
        actor(fields["instructor"], at.key("instructor"))
    if "team" in fields:
        group(fields["team"], at.key("team"))
    if "contextActivities" in fields:
        context_activities(fields["contextActivities"], at.key("contextActivities"))
    for name in ("revision", "platform"):
        if name in fields:
            string(fields[name], at.key(name))
            if statement_object.get("objectType", "Activity") != "Activity":
                at.key(name).fail("is only allowed when the statement's object is an Activity")
    if "language" in fields:
        language_tag(fields["language"], at.key("language"))
    if "statement" in fields:
        statement_ref(fields["statement"], at.key("statement"))
    if "extensions" in fields:
        extensions(fields["extensions"], at.key("extensions"))
    if "contextAgents" in fields:
        _context_agents(fields["contextAgents"], at.key("contextAgents"))
    if "contextGroups" in fields:
        _context_groups(fields["contextGroups"], at.key("contextGroups"))
    return fields


def context_activities(value: object, at: At) -> dict[str, Any]:
    """Each of parent, grouping, category and other is an Activity or an array of Activities."""
    fields = json_object(value, at, _CONTEXT_ACTIVITY_KINDS)
    for kind, activities in fields.items():
        if isinstance(activities, list):
            for position, item in enumerate(activities):
                activity(item, at.key(kind).index(position))
        else:
            activity(activities, at.key(kind))
    return fields


def _context_agents(value: object, at: At) -> None:
    for position, item in enumerate(json_array(value, at)):
        entry = json_object(
            item, at.index(position), ("objectType", "agent", "relevantTypes"), ("objectType", "agent")
        )
        constant(entry["objectType"], at.index(position).key("objectType"), "contextAgent")
        agent(entry["agent"], at.index(position).key("agent"))
        if "relevantTypes" in entry:
            _relevant_types(entry["relevantTypes"], at.index(position).key("relevantTypes"))


def _context_groups(value: object, at: At) -> None:
    for position, item in enumerate(json_array(value, at)):
        entry = json_object(
            item, at.index(position), ("objectType", "group", "relevantTypes"), ("objectType", "group")
        )
        constant(entry["objectType"], at.index(position).key("objectType"), "contextGroup")
        group(entry["group"], at.index(position).key("group"))
        if "relevantTypes" in entry:
            _relevant_types(entry["relevantTypes"], at.index(position).key("relevantTypes"))


def _relevant_types(value: object, at: At) -> None:
    # Optional in the 2.0 tables, but described as "a collection of 1 or more" IRIs, so [] is rejected.
    for position, item in enumerate(json_array(value, at, non_empty=True)):
        iri(item, at.index(position))
