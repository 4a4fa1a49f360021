"""Statements, SubStatements, Verbs and the object of a statement; batches of statements."""

from __future__ import annotations

import re
from typing import Any

from gateway.lrs.validation.activities import activity
from gateway.lrs.validation.actors import IFIS, actor, agent, authority, group
from gateway.lrs.validation.attachments import attachments
from gateway.lrs.validation.context import context
from gateway.lrs.validation.core import At, constant, json_array, json_object, string
from gateway.lrs.validation.formats import iri, language_map, timestamp, uuid
from gateway.lrs.validation.result import result
from gateway.lrs.validation.statement_ref import statement_ref
from gateway.lrs.versions import SUPPORTED_VERSIONS, XAPI_1_0_3, XAPI_2_0_0

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
_STATEMENT = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
# A SubStatement is validated as a statement but MUST NOT have id, stored, version or authority; attachments
# are not among the forbidden ones.
_SUB_STATEMENT = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_REQUIRED = ("actor", "verb", "object")
# The statement's own "version" property: 1.0.3 accepts 1.0 and 1.0.x; xAPI 2.0 also accepts 2.0 and 2.0.x.
_VERSIONS = {
    XAPI_1_0_3: (re.compile(r"1\.0(?:\.[0-9]+)?"), '"1.0" or "1.0.x"'),
    XAPI_2_0_0: (re.compile(r"[12]\.0(?:\.[0-9]+)?"), '"1.0", "1.0.x", "2.0" or "2.0.x"'),
}


def validate_statement(statement: object, version: str, *, path: str = "statement") -> None:
    """Raise StatementInvalid on the first rule the statement breaks.

    version is the negotiated xAPI version, normalised to "1.0.3" or "2.0.0"; path names the statement in
    error messages (statements[3] inside a batch).
    """
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported xAPI version {version!r}: expected one of {SUPPORTED_VERSIONS}")
    at = At(path, version)
    fields = json_object(statement, at, _STATEMENT, required=_REQUIRED)
    if "id" in fields:
        uuid(fields["id"], at.key("id"))
    _statement_body(fields, at, inside_sub_statement=False)
    if fields["verb"]["id"] == VOIDED_VERB and fields["object"].get("objectType") != "StatementRef":
        at.key("object").fail(f"must be a StatementRef when the verb is {VOIDED_VERB}")
    if "stored" in fields:
        timestamp(fields["stored"], at.key("stored"))
    if "authority" in fields:
        authority(fields["authority"], at.key("authority"))
    if "version" in fields:
        pattern, expected = _VERSIONS[version]
        if not pattern.fullmatch(string(fields["version"], at.key("version"))):
            at.key("version").fail(f"must be {expected}")


def validate_statements(statements: list, version: str) -> None:
    """Validate a batch (all or nothing): each item as statements[i]; ids must not repeat within the batch."""
    first_position: dict[str, int] = {}
    for position, statement in enumerate(json_array(statements, At("statements", version))):
        path = f"statements[{position}]"
        validate_statement(statement, version, path=path)
        if "id" in statement:
            # UUIDs are case-insensitive: two spellings of one UUID are the same statement id.
            statement_id = statement["id"].lower()
            if statement_id in first_position:
                At(path, version).key("id").fail(
                    f"repeats the id of statements[{first_position[statement_id]}]"
                )
            first_position[statement_id] = position


def verb(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, ("id", "display"), required=("id",))
    iri(fields["id"], at.key("id"))
    if "display" in fields:
        language_map(fields["display"], at.key("display"))
    return fields


def statement_object(value: object, at: At, *, inside_sub_statement: bool) -> dict[str, Any]:
    """An Activity (the default objectType), Agent, Group, StatementRef or SubStatement."""
    if not isinstance(value, dict):
        at.fail("must be a JSON object")
    if "objectType" not in value:
        if any(name in value for name in (*IFIS, "member")):
            at.key("objectType").fail("is required when the object is an Agent or a Group")
        return activity(value, at)
    kind = value["objectType"]
    if kind == "Activity":
        return activity(value, at)
    if kind == "Agent":
        return agent(value, at)
    if kind == "Group":
        return group(value, at)
    if kind == "StatementRef":
        return statement_ref(value, at)
    if kind == "SubStatement":
        if inside_sub_statement:
            at.key("objectType").fail("cannot be SubStatement inside a SubStatement")
        return sub_statement(value, at)
    at.key("objectType").fail('must be "Activity", "Agent", "Group", "StatementRef" or "SubStatement"')


def sub_statement(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, _SUB_STATEMENT, required=("objectType", *_REQUIRED))
    constant(fields["objectType"], at.key("objectType"), "SubStatement")
    _statement_body(fields, at, inside_sub_statement=True)
    return fields


def _statement_body(fields: dict[str, Any], at: At, *, inside_sub_statement: bool) -> None:
    """The properties a statement shares with a SubStatement."""
    actor(fields["actor"], at.key("actor"))
    verb(fields["verb"], at.key("verb"))
    target = statement_object(fields["object"], at.key("object"), inside_sub_statement=inside_sub_statement)
    if "result" in fields:
        result(fields["result"], at.key("result"))
    if "context" in fields:
        context(fields["context"], at.key("context"), target)
    if "timestamp" in fields:
        timestamp(fields["timestamp"], at.key("timestamp"))
    if "attachments" in fields:
        attachments(fields["attachments"], at.key("attachments"))
