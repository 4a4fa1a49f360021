"""What a stored statement is found by: agent keys (inverse functional identifiers), activity ids,
verb and registration, pulled out of the statement once at ingest so every query uses an index."""

from __future__ import annotations

from collections.abc import Iterator


def agent_key(agent: dict) -> str | None:
    """A string that identifies an Agent or identified Group by its inverse functional identifier."""
    if not isinstance(agent, dict):
        return None
    if "mbox" in agent:
        return "mbox:" + str(agent["mbox"]).lower()
    if "mbox_sha1sum" in agent:
        return "sha1:" + str(agent["mbox_sha1sum"]).lower()
    if "openid" in agent:
        return "openid:" + str(agent["openid"])
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return None


def _agent_and_members(agent: dict) -> Iterator[str]:
    key = agent_key(agent)
    if key:
        yield key
    for member in agent.get("member") or ():
        member_key = agent_key(member)
        if member_key:
            yield member_key


def _is_agent(value) -> bool:
    return isinstance(value, dict) and value.get("objectType") in ("Agent", "Group")


def _context_activities(context: dict) -> Iterator[str]:
    for activities in (context.get("contextActivities") or {}).values():
        for activity in activities if isinstance(activities, list) else [activities]:
            if isinstance(activity, dict) and "id" in activity:
                yield activity["id"]


def _context_agents(context: dict) -> Iterator[str]:
    for name in ("instructor", "team"):
        if isinstance(context.get(name), dict):
            yield from _agent_and_members(context[name])
    for entry in context.get("contextAgents") or ():
        yield from _agent_and_members(entry.get("agent") or {})
    for entry in context.get("contextGroups") or ():
        yield from _agent_and_members(entry.get("group") or {})


def _statement_parts(statement: dict) -> tuple[set, set, set, set]:
    """(direct agents, related agents, direct activity, related activities) of one statement or
    sub-statement; direct = actor/object, related = anywhere (xAPI `related_*` parameters)."""
    direct_agents, related_agents = set(), set()
    direct_activities, related_activities = set(), set()
    actor = statement.get("actor") or {}
    direct_agents.update(_agent_and_members(actor))
    target = statement.get("object") or {}
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity" and "id" in target:
        direct_activities.add(target["id"])
    elif _is_agent(target):
        direct_agents.update(_agent_and_members(target))
    elif object_type == "SubStatement":
        sub_agents, sub_related_agents, sub_activities, sub_related_activities = _statement_parts(target)
        related_agents |= sub_agents | sub_related_agents
        related_activities |= sub_activities | sub_related_activities
    context = statement.get("context") or {}
    related_agents.update(_context_agents(context))
    related_activities.update(_context_activities(context))
    if isinstance(statement.get("authority"), dict):
        related_agents.update(_agent_and_members(statement["authority"]))
    return (
        direct_agents,
        related_agents | direct_agents,
        direct_activities,
        related_activities | direct_activities,
    )


def index_fields(statement: dict) -> dict:
    """The denormalised lookup fields stored beside a statement."""
    agents, related_agents, activities, related_activities = _statement_parts(statement)
    context = statement.get("context") or {}
    return {
        "verb": (statement.get("verb") or {}).get("id"),
        "agents": sorted(agents),
        "related_agents": sorted(related_agents),
        "activities": sorted(activities),
        "related_activities": sorted(related_activities),
        "registration": (context.get("registration") or "").lower() or None,
        "authority": agent_key(statement.get("authority") or {}),
    }
