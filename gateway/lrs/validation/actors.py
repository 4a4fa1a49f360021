"""Agents, Groups, their inverse functional identifiers and accounts, and the authority."""

from __future__ import annotations

from typing import Any

from gateway.lrs.validation.core import At, constant, json_array, json_object, string
from gateway.lrs.validation.formats import iri, mailto, sha1_hex, uri

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT = frozenset({"objectType", "name", *IFIS})
_GROUP = _AGENT | {"member"}


def actor(value: object, at: At) -> dict[str, Any]:
    """An Agent (objectType may be left out) or a Group (objectType "Group" required)."""
    if not isinstance(value, dict):
        at.fail("must be an Agent or Group object")
    kind = value.get("objectType", "Agent")
    if kind == "Agent":
        return agent(value, at)
    if kind == "Group":
        return group(value, at)
    at.key("objectType").fail('must be "Agent" or "Group"')


def agent(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, _AGENT)
    if "objectType" in fields:
        constant(fields["objectType"], at.key("objectType"), "Agent")
    if "name" in fields:
        string(fields["name"], at.key("name"))
    identifiers = [name for name in IFIS if name in fields]
    if len(identifiers) != 1:
        at.fail(f"must have exactly one of {', '.join(IFIS)} (found {len(identifiers)})")
    _identifier(identifiers[0], fields[identifiers[0]], at.key(identifiers[0]))
    return fields


def group(value: object, at: At) -> dict[str, Any]:
    """An identified Group (one IFI, members optional) or an anonymous one (no IFI, members required)."""
    fields = json_object(value, at, _GROUP, required=("objectType",))
    constant(fields["objectType"], at.key("objectType"), "Group")
    if "name" in fields:
        string(fields["name"], at.key("name"))
    identifiers = [name for name in IFIS if name in fields]
    if len(identifiers) > 1:
        at.fail(f"must have at most one of {', '.join(IFIS)} (found {len(identifiers)})")
    if identifiers:
        _identifier(identifiers[0], fields[identifiers[0]], at.key(identifiers[0]))
    elif "member" not in fields:
        at.key("member").fail("is required in an anonymous Group (one without an identifier)")
    if "member" in fields:
        members = json_array(fields["member"], at.key("member"), non_empty=not identifiers)
        for position, member in enumerate(members):
            if isinstance(member, dict) and member.get("objectType") == "Group":
                at.key("member").index(position).fail("must be an Agent: Groups cannot contain Groups")
            agent(member, at.key("member").index(position))
    return fields


def authority(value: object, at: At) -> dict[str, Any]:
    """An Agent or, for 3-legged OAuth, an anonymous Group of the application and the user."""
    fields = actor(value, at)
    if fields.get("objectType") == "Group":
        if any(name in fields for name in IFIS):
            at.fail("must be an Agent or an anonymous Group (3-legged OAuth), not an identified Group")
        members = fields["member"]
        if len(members) != 2:
            at.key("member").fail("must hold exactly two Agents: the OAuth consumer and the user")
        if not any("account" in member for member in members):
            at.key("member").fail("must include the OAuth consumer, identified by an account")
    return fields


def account(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, ("homePage", "name"), required=("homePage", "name"))
    iri(fields["homePage"], at.key("homePage"), kind="an IRL")
    if "\0" in string(fields["name"], at.key("name")):
        # The identifier is a key of the stored statement's lookup index, and BSON keys cannot hold it.
        at.key("name").fail("must not contain U+0000")
    return fields


def _identifier(name: str, value: object, at: At) -> None:
    if name == "mbox":
        mailto(value, at)
    elif name == "mbox_sha1sum":
        sha1_hex(value, at)
    elif name == "openid":
        uri(value, at)
    else:
        account(value, at)
