"""Attachment metadata in a statement (the raw data, if any, arrives in other multipart parts)."""

from __future__ import annotations

from typing import Any

from gateway.lrs.validation.core import At, integer, json_array, json_object
from gateway.lrs.validation.formats import iri, language_map, media_type, sha2_hex

_ATTACHMENT = frozenset({"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"})
_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")


def attachments(value: object, at: At) -> list[Any]:
    items = json_array(value, at)
    for position, item in enumerate(items):
        attachment(item, at.index(position))
    return items


def attachment(value: object, at: At) -> dict[str, Any]:
    fields = json_object(value, at, _ATTACHMENT, required=_REQUIRED)
    iri(fields["usageType"], at.key("usageType"))
    language_map(fields["display"], at.key("display"))
    if "description" in fields:
        language_map(fields["description"], at.key("description"))
    media_type(fields["contentType"], at.key("contentType"))
    if integer(fields["length"], at.key("length")) < 0:
        at.key("length").fail("must not be negative")
    sha2_hex(fields["sha2"], at.key("sha2"))
    if "fileUrl" in fields:
        iri(fields["fileUrl"], at.key("fileUrl"), kind="an IRL")
    return fields
