"""The `format` parameter of statement reads: exact, ids, canonical (xAPI "Statement Formats")."""

from __future__ import annotations

import copy

FORMATS = ("exact", "ids", "canonical")
_IFI = ("mbox", "mbox_sha1sum", "openid", "account")


def _agent_ids(agent: dict) -> dict:
    reduced = {key: agent[key] for key in ("objectType", *_IFI) if key in agent}
    if agent.get("objectType") == "Group" and not any(key in agent for key in _IFI):
        reduced["member"] = [_agent_ids(member) for member in agent.get("member", [])]
    return reduced


def _activity_ids(activity: dict) -> dict:
    # The id alone identifies an Activity; objectType "Activity" is the default.
    return {"id": activity["id"]}


def _object_ids(target: dict) -> dict:
    object_type = target.get("objectType", "Activity")
    if object_type in ("Agent", "Group"):
        return _agent_ids(target)
    if object_type == "SubStatement":
        return _statement_ids(target)
    if object_type == "StatementRef":
        return dict(target)
    return _activity_ids(target)


def _context_ids(context: dict) -> dict:
    context = dict(context)
    for name in ("instructor", "team"):
        if name in context:
            context[name] = _agent_ids(context[name])
    if "contextActivities" in context:
        context["contextActivities"] = {
            kind: [_activity_ids(a) for a in (activities if isinstance(activities, list) else [activities])]
            for kind, activities in context["contextActivities"].items()
        }
    if "contextAgents" in context:
        context["contextAgents"] = [
            {**entry, "agent": _agent_ids(entry["agent"])} for entry in context["contextAgents"]
        ]
    if "contextGroups" in context:
        context["contextGroups"] = [
            {**entry, "group": _agent_ids(entry["group"])} for entry in context["contextGroups"]
        ]
    return context


def _statement_ids(statement: dict) -> dict:
    statement = dict(statement)
    statement["actor"] = _agent_ids(statement["actor"])
    statement["verb"] = {"id": statement["verb"]["id"]}
    statement["object"] = _object_ids(statement["object"])
    if "context" in statement:
        statement["context"] = _context_ids(statement["context"])
    if "authority" in statement:
        statement["authority"] = _agent_ids(statement["authority"])
    return statement


def _matches(language_range: str, tag: str) -> bool:
    """RFC 4647 §3.3.1 basic filtering, as RFC 2616 §14.4 describes Accept-Language: the range is
    the tag or a prefix of it ending before a "-" ("en" matches "en-GB", not the reverse)."""
    return tag == language_range or tag.startswith(language_range + "-")


def pick_language(language_map: dict, languages: tuple[str, ...]) -> dict:
    """One entry of a language map (xAPI 1.0.3 Communication 2.1.3.s4): for the first acceptable
    language range (best quality first) that matches a tag, that entry (an exact tag before a longer
    one); failing that, the range shortened subtag by subtag as in RFC 4647 §3.4 lookup ("en-GB"
    finds "en"); then `und`; then the first entry."""
    if not language_map:
        return language_map
    tags = {tag.lower(): tag for tag in language_map}
    for language_range in (wanted.lower() for wanted in languages):
        if language_range == "*":
            return _entry(language_map, next(iter(language_map)))
        matching = sorted((tag for tag in tags if _matches(language_range, tag)), key=len)
        if matching:
            return _entry(language_map, tags[matching[0]])
    for language_range in (wanted.lower() for wanted in languages):
        subtags = language_range.split("-")
        for length in range(len(subtags) - 1, 0, -1):
            shorter = "-".join(subtags[:length])
            if shorter in tags:
                return _entry(language_map, tags[shorter])
    if "und" in tags:
        return _entry(language_map, tags["und"])
    return _entry(language_map, next(iter(language_map)))


def _entry(language_map: dict, tag: str) -> dict:
    return {tag: language_map[tag]}


def _canonical_definition(definition: dict, languages) -> None:
    for name in ("name", "description"):
        if isinstance(definition.get(name), dict):
            definition[name] = pick_language(definition[name], languages)
    for component in ("choices", "scale", "source", "target", "steps"):
        for item in definition.get(component) or ():
            if isinstance(item.get("description"), dict):
                item["description"] = pick_language(item["description"], languages)


def statement_activities(statement: dict) -> list[dict]:
    """The Activity objects of a statement: its object, its context activities, and those of a
    SubStatement object."""
    found = []
    target = statement.get("object") or {}
    if target.get("objectType", "Activity") == "Activity":
        found.append(target)
    elif target.get("objectType") == "SubStatement":
        found.extend(statement_activities(target))
    for activities in ((statement.get("context") or {}).get("contextActivities") or {}).values():
        found.extend(activities if isinstance(activities, list) else [activities])
    return found


def _canonical_statement(statement: dict, languages, definitions: dict[str, dict]) -> None:
    """In place, on a copy: Activities get the LRS's canonical definition (when it has one), and
    their language maps and the Verb's display one language each."""
    for activity in statement_activities(statement):
        if definitions.get(activity.get("id")):
            activity["definition"] = copy.deepcopy(definitions[activity["id"]])
        if isinstance(activity.get("definition"), dict):
            _canonical_definition(activity["definition"], languages)
    for verb in (statement.get("verb"), (statement.get("object") or {}).get("verb")):
        if isinstance(verb, dict) and isinstance(verb.get("display"), dict):
            verb["display"] = pick_language(verb["display"], languages)


def format_statement(
    statement: dict,
    statement_format: str,
    languages: tuple[str, ...] = (),
    definitions: dict[str, dict] | None = None,
) -> dict:
    """`statement` in the requested format; `definitions` are the canonical Activity definitions
    (by Activity id) that the canonical format uses."""
    if statement_format == "ids":
        return _statement_ids(statement)
    if statement_format == "canonical":
        statement = copy.deepcopy(statement)
        _canonical_statement(statement, languages, definitions or {})
        return statement
    return statement
