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
    return {key: activity[key] for key in ("objectType", "id") if key in activity}


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


def pick_language(language_map: dict, languages: tuple[str, ...]) -> dict:
    """One entry of a language map: the first preferred language present (exact tag, then its
    primary subtag), else `und`, else the first entry."""
    if not language_map:
        return language_map
    lowered = {tag.lower(): tag for tag in language_map}
    for wanted in languages:
        wanted = wanted.lower()
        if wanted in lowered:
            return {lowered[wanted]: language_map[lowered[wanted]]}
        for tag_lower, tag in lowered.items():
            if tag_lower.split("-")[0] == wanted.split("-")[0]:
                return {tag: language_map[tag]}
    if "und" in lowered:
        return {lowered["und"]: language_map[lowered["und"]]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def _canonical_definition(definition: dict, languages) -> None:
    for name in ("name", "description"):
        if isinstance(definition.get(name), dict):
            definition[name] = pick_language(definition[name], languages)
    for component in ("choices", "scale", "source", "target", "steps"):
        for item in definition.get(component) or ():
            if isinstance(item.get("description"), dict):
                item["description"] = pick_language(item["description"], languages)


def _canonical_statement(statement: dict, languages) -> None:
    if isinstance(statement.get("verb", {}).get("display"), dict):
        statement["verb"]["display"] = pick_language(statement["verb"]["display"], languages)
    target = statement.get("object", {})
    if target.get("objectType", "Activity") == "Activity" and "definition" in target:
        _canonical_definition(target["definition"], languages)
    if target.get("objectType") == "SubStatement":
        _canonical_statement(target, languages)
    for activities in (statement.get("context", {}).get("contextActivities") or {}).values():
        for activity in activities if isinstance(activities, list) else [activities]:
            if "definition" in activity:
                _canonical_definition(activity["definition"], languages)
    for attachment in statement.get("attachments") or ():
        for name in ("display", "description"):
            if isinstance(attachment.get(name), dict):
                attachment[name] = pick_language(attachment[name], languages)


def format_statement(statement: dict, statement_format: str, languages: tuple[str, ...] = ()) -> dict:
    if statement_format == "ids":
        return _statement_ids(statement)
    if statement_format == "canonical":
        statement = copy.deepcopy(statement)
        _canonical_statement(statement, languages)
        return statement
    return statement
