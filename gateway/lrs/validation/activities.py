"""Activities, their definitions and the interaction components of cmi.interaction Activities."""

from __future__ import annotations

from typing import Any

from gateway.lrs.validation.core import At, constant, json_array, json_object, string
from gateway.lrs.validation.formats import extensions, iri, language_map

# The interaction component lists each interactionType may carry (xAPI Data 2.4.4.1, Interaction Components).
INTERACTION_TYPES: dict[str, tuple[str, ...]] = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_DEFINITION = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *_COMPONENT_LISTS,
    }
)


def activity(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, ("objectType", "id", "definition"), required=("id",))
    if "objectType" in fields:
        constant(fields["objectType"], at.key("objectType"), "Activity")
    iri(fields["id"], at.key("id"))
    if "definition" in fields:
        definition(fields["definition"], at.key("definition"))
    return fields


def definition(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, _DEFINITION)
    for name in ("name", "description"):
        if name in fields:
            language_map(fields[name], at.key(name))
    if "type" in fields:
        iri(fields["type"], at.key("type"))
    if "moreInfo" in fields:
        iri(fields["moreInfo"], at.key("moreInfo"), kind="an IRL")
    if "extensions" in fields:
        extensions(fields["extensions"], at.key("extensions"))
    _interaction(fields, at)
    return fields


def _interaction(fields: dict[str, Any], at: At) -> None:
    """interactionType, correctResponsesPattern and the component lists that interactionType allows."""
    if "interactionType" not in fields:
        for name in ("correctResponsesPattern", *_COMPONENT_LISTS):
            if name in fields:
                at.key(name).fail("is only allowed together with interactionType")
        return
    kind = fields["interactionType"]
    if not isinstance(kind, str) or kind not in INTERACTION_TYPES:
        at.key("interactionType").fail(f"must be one of {', '.join(INTERACTION_TYPES)}")
    if "correctResponsesPattern" in fields:
        patterns = json_array(fields["correctResponsesPattern"], at.key("correctResponsesPattern"))
        for position, pattern in enumerate(patterns):
            string(pattern, at.key("correctResponsesPattern").index(position))
    for name in _COMPONENT_LISTS:
        if name in fields:
            if name not in INTERACTION_TYPES[kind]:
                at.key(name).fail(f'is not used by interactionType "{kind}"')
            _components(fields[name], at.key(name))


def _components(value: object, at: At) -> None:
    """Interaction components: each has a string id, distinct within its list, and a description."""
    first_position: dict[str, int] = {}
    for position, item in enumerate(json_array(value, at)):
        component = json_object(item, at.index(position), ("id", "description"), required=("id",))
        component_id = string(component["id"], at.index(position).key("id"))
        if component_id in first_position:
            at.index(position).key("id").fail(
                f"repeats the id of {at.index(first_position[component_id]).path}: ids must be distinct"
            )
        first_position[component_id] = position
        if "description" in component:
            language_map(component["description"], at.index(position).key("description"))
