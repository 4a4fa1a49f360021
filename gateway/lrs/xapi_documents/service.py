"""Document rules shared by the State, Activity Profile and Agent Profile resources: parameters,
concurrency (ETag preconditions, xAPI 1.0.3 Communication §3.1 / 2.0 §4.1.4), the JSON merge of POST
(1.0.3 §2.2 / 2.0 §4.1.6.2), `since` listings, and which scope reads and writes each resource."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.auth.service import Principal
from gateway.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, PreconditionFailed
from gateway.lrs.identifiers import agent_key
from gateway.lrs.jsontext import parse_json
from gateway.lrs.parameters import (
    activity_id_parameter,
    agent_parameter,
    registration_parameter,
    timestamp_parameter,
)
from gateway.lrs.versions import XAPI_2_0_0
from gateway.lrs.xapi_documents import repository
from gateway.policy.release import release_document, release_document_ids, require_write
from gateway.storage.connection import now_at_stored_precision

JSON = "application/json"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# A document is one database record, and MongoDB records stop at 16 MiB; xAPI lets the LRS choose
# its limit (413 above it).
MAX_DOCUMENT_BYTES = 15 * 1024 * 1024
# How often a write re-reads and retries when a concurrent writer changed the document under it.
_WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class DocumentResource:
    """One of the three document resources and the rules that differ between them."""

    key: str  # which collection (see repository)
    label: str
    scope: str  # the xAPI scope that reads and writes it
    id_parameter: str
    # xAPI 1.0.3 §3.1.s3: "The State Resource will permit PUT, POST and DELETE requests without
    # concurrency headers"; 2.0 §4.1.4 lists State with the profiles and has no such exemption.
    put_without_precondition_in_1_0_3: bool


STATE = DocumentResource("state", "state document", "state", "stateId", True)
ACTIVITY_PROFILE = DocumentResource(
    "activity_profile", "activity profile document", "profile", "profileId", False
)
AGENT_PROFILE = DocumentResource("agent_profile", "agent profile document", "profile", "profileId", False)


@dataclass(frozen=True)
class DocumentContext:
    """Where documents live: a resource and its context fields (Activity, Agent, registration)."""

    resource: DocumentResource
    fields: dict
    # the Agent (or identified Group) State and Agent Profile documents are about, as the request
    # named it: the release policy decides for that person (None: Activity Profile, no one)
    agent: dict | None = field(default=None, compare=False)

    def address(self, document_id: str) -> dict:
        return {**self.fields, "document_id": document_id}


@dataclass(frozen=True)
class EntityTags:
    """A parsed If-Match or If-None-Match header (RFC 7232 §3.1, §3.2)."""

    star: bool = False
    strong: frozenset[str] = frozenset()
    all: frozenset[str] = frozenset()  # strong and weak, for If-None-Match's weak comparison


@dataclass(frozen=True)
class Preconditions:
    if_match: EntityTags | None = None
    if_none_match: EntityTags | None = None

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


@dataclass(frozen=True)
class IncomingDocument:
    content: bytes
    content_type: str = DEFAULT_CONTENT_TYPE

    @property
    def is_json(self) -> bool:
        return _mimetype(self.content_type) == JSON


@dataclass(frozen=True)
class StoredDocument:
    content: bytes
    content_type: str
    etag: str  # SHA-1 of the content, hex, unquoted
    updated: datetime
    address: dict = field(repr=False)


@dataclass(frozen=True)
class DocumentIds:
    ids: list[str]
    last_modified: datetime | None  # of the most recently modified listed document


# -- parameters -------------------------------------------------------------------------------------


def document_id_parameter(value: str, name: str) -> str:
    if not value:
        raise BadRequest(f"{name} must not be empty", code="invalid_parameter", details={"parameter": name})
    return value


def since_parameter(value: str | None, version: str) -> datetime | None:
    return timestamp_parameter(value, "since", version)


def state_context(activity_id: str, agent: str, registration: str | None, version: str) -> DocumentContext:
    activity_id = activity_id_parameter(activity_id, version)
    named = agent_parameter(agent, version)
    return DocumentContext(
        STATE,
        {
            "activity_id": activity_id,
            "agent": agent_key(named),
            "registration": registration_parameter(registration, version),
        },
        named,
    )


def activity_profile_context(activity_id: str, version: str) -> DocumentContext:
    return DocumentContext(ACTIVITY_PROFILE, {"activity_id": activity_id_parameter(activity_id, version)})


def agent_profile_context(agent: str, version: str) -> DocumentContext:
    named = agent_parameter(agent, version)
    return DocumentContext(AGENT_PROFILE, {"agent": agent_key(named)}, named)


def all_states_context(
    activity_id: str, agent: str, registration: str | None, version: str
) -> DocumentContext:
    """The states of an Activity and Agent, of one registration or (registration not given) of all."""
    context = state_context(activity_id, agent, registration, version)
    if registration is not None:
        return context
    return DocumentContext(
        STATE,
        {name: value for name, value in context.fields.items() if name != "registration"},
        context.agent,
    )


# -- reads ------------------------------------------------------------------------------------------


def document_etag(content: bytes) -> str:
    """xAPI 1.0.3 §3.1.s4.b2: the hex SHA-1 of the content, lower case. xAPI 2.0 names no algorithm
    (the 2.0 conformance suite only checks the quotes), so both versions share this one."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def get_document(
    principal: Principal, version: str, context: DocumentContext, document_id: str, since: str | None = None
) -> StoredDocument:
    resource = context.resource
    # 2.0 §4.1.6.2: `since` is "Not Allowed" with a document id; 1.0.3 only says it has no effect there.
    if since is not None and version == XAPI_2_0_0:
        raise BadRequest(
            f"since cannot be combined with {resource.id_parameter}",
            code="invalid_parameter",
            details={"parameters": ["since", resource.id_parameter]},
        )
    address = context.address(document_id_parameter(document_id, resource.id_parameter))
    record = repository.find(resource.key, address)
    # Released even when missing, so a client without the scope learns nothing from 404 versus 403.
    document = release_document(
        principal, resource.scope, _stored(record) if record else None, context.agent, _audited(resource)
    )
    if document is None:
        raise NotFound(f"no {resource.label} with {resource.id_parameter} {document_id!r} here")
    return document


def list_document_ids(principal: Principal, context: DocumentContext, since: datetime | None) -> DocumentIds:
    resource = context.resource
    rows = repository.list_ids(resource.key, context.fields, since)
    ids = release_document_ids(
        principal, resource.scope, [document_id for document_id, _ in rows], context.agent, _audited(resource)
    )
    released = set(ids)
    last_modified = max((updated for document_id, updated in rows if document_id in released), default=None)
    return DocumentIds(ids, last_modified)


def _audited(resource: DocumentResource) -> str:
    """The resource name an audit entry gives a document read."""
    return {"state": "xapi/activities/state", "agent_profile": "xapi/agents/profile"}.get(
        resource.key, "xapi/activities/profile"
    )


# -- writes -----------------------------------------------------------------------------------------


def put_document(
    principal: Principal,
    version: str,
    context: DocumentContext,
    document_id: str,
    incoming: IncomingDocument,
    preconditions: Preconditions,
) -> None:
    """Stores the document as received (bytes and Content-Type), replacing any previous one."""
    resource = context.resource
    require_write(principal, resource.scope)
    _check_incoming(incoming)
    headers_required = version == XAPI_2_0_0 or not resource.put_without_precondition_in_1_0_3

    def replacement(current: dict | None) -> tuple[bytes, str]:
        _check_preconditions(current, preconditions)
        if current is None and not preconditions.given and version != XAPI_2_0_0 and headers_required:
            # 1.0.3 §3.1.s3.b1: a Client PUTting a profile document "MUST include the If-Match header
            # or the If-None-Match header"; an existing document gets 409 instead (§3.1.s4.b13).
            raise BadRequest(
                f"a PUT of a {resource.label} must carry If-None-Match: * (to create it) or If-Match "
                "with its current ETag (xAPI 1.0.3 Communication 3.1)",
                code="precondition_header_required",
                details={"headers": ["If-Match", "If-None-Match"]},
            )
        if current is not None and not preconditions.given and headers_required:
            raise Conflict(
                f"a {resource.label} already exists here: GET it, then PUT again with If-Match set to "
                "its ETag (or If-None-Match: * to only create), so that no change is lost",
                code="document_exists",
                details={"headers": ["If-Match", "If-None-Match"]},
            )
        return incoming.content, incoming.content_type

    _write(resource, context.address(document_id_parameter(document_id, resource.id_parameter)), replacement)


def post_document(
    principal: Principal,
    context: DocumentContext,
    document_id: str,
    incoming: IncomingDocument,
    preconditions: Preconditions,
) -> None:
    """Stores a new document as PUT would, or merges a JSON object into the existing JSON object
    document: the posted top-level properties replace the existing ones, others are kept."""
    resource = context.resource
    require_write(principal, resource.scope)
    posted = _check_incoming(incoming)

    def merged(current: dict | None) -> tuple[bytes, str]:
        _check_preconditions(current, preconditions)
        if current is None:
            return incoming.content, incoming.content_type
        if not incoming.is_json or _mimetype(current["content_type"]) != JSON:
            raise BadRequest(
                f"POST merges JSON objects: both the posted and the stored {resource.label} must have "
                f"Content-Type {JSON} (posted {_mimetype(incoming.content_type) or 'none'}, "
                f"stored {_mimetype(current['content_type'])}); use PUT to replace the document",
                code="document_not_mergeable",
                details={"header": "Content-Type"},
            )
        stored = _parse_json(current["content"], "the stored document")
        if not isinstance(posted, dict) or not isinstance(stored, dict):
            raise BadRequest(
                f"POST merges JSON objects: the posted and the stored {resource.label} must both be JSON "
                "objects; use PUT to replace the document",
                code="document_not_mergeable",
                details={"property": "body"},
            )
        content = json.dumps({**stored, **posted}, ensure_ascii=False, separators=(",", ":")).encode()
        _check_size(content)
        return content, current["content_type"]

    _write(resource, context.address(document_id_parameter(document_id, resource.id_parameter)), merged)


def delete_document(
    principal: Principal, context: DocumentContext, document_id: str, preconditions: Preconditions
) -> None:
    """Deletes one document; deleting a missing one succeeds (unless If-Match asked for it)."""
    resource = context.resource
    require_write(principal, resource.scope)
    address = context.address(document_id_parameter(document_id, resource.id_parameter))
    for _ in range(_WRITE_ATTEMPTS):
        current = repository.find(resource.key, address)
        _check_preconditions(current, preconditions)
        if current is None or repository.delete(resource.key, address, expected=current):
            return
    raise _still_changing(resource)


def delete_documents(principal: Principal, context: DocumentContext) -> None:
    """Deletes every document of a context (State resource DELETE without stateId)."""
    require_write(principal, context.resource.scope)
    repository.delete_all(context.resource.key, context.fields)


def _write(
    resource: DocumentResource, address: dict, content_for: Callable[[dict | None], tuple[bytes, str]]
) -> None:
    """Writes what `content_for(current)` decides, only over the version it decided on: a concurrent
    change makes it decide again (and an If-Match that no longer holds then fails with 412)."""
    for _ in range(_WRITE_ATTEMPTS):
        current = repository.find(resource.key, address)
        content, content_type = content_for(current)
        record = {
            **address,
            "content": content,
            "content_type": content_type,
            "etag": document_etag(content),
            "updated": now_at_stored_precision(),
        }
        if current is None:
            written = repository.insert(resource.key, record)
        else:
            written = repository.replace(resource.key, address, record, expected=current)
        if written:
            return
    raise _still_changing(resource)


def _still_changing(resource: DocumentResource) -> Conflict:
    return Conflict(
        f"the {resource.label} kept changing while this request was applied; retry",
        code="concurrent_modification",
    )


# -- rules ------------------------------------------------------------------------------------------


def _check_preconditions(current: dict | None, preconditions: Preconditions) -> None:
    etag = current["etag"] if current else None
    if preconditions.if_match is not None and not _matches(preconditions.if_match, etag, strong=True):
        raise PreconditionFailed(
            "If-Match does not hold: the document does not exist or has changed since it was read "
            "(GET it again for its current ETag)",
            details={"header": "If-Match"},
        )
    if preconditions.if_none_match is not None and _matches(preconditions.if_none_match, etag, strong=False):
        raise PreconditionFailed(
            "If-None-Match does not hold: the document already exists", details={"header": "If-None-Match"}
        )


def _matches(tags: EntityTags, etag: str | None, *, strong: bool) -> bool:
    if etag is None:
        return False
    return tags.star or etag in (tags.strong if strong else tags.all)


_NOT_JSON = object()


def _check_incoming(incoming: IncomingDocument) -> object:
    """The size limit, and that a document declared application/json is JSON; returns the parsed
    JSON (or _NOT_JSON for other content types)."""
    _check_size(incoming.content)
    if not incoming.is_json:
        return _NOT_JSON
    return _parse_json(incoming.content, "the body")


def _check_size(content: bytes) -> None:
    if len(content) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(
            f"documents are limited to {MAX_DOCUMENT_BYTES} bytes", details={"limit": MAX_DOCUMENT_BYTES}
        )


def _parse_json(content: bytes, what: str) -> object:
    try:
        return parse_json(content)
    except ValueError as error:
        raise BadRequest(
            f"{what} is declared {JSON} but is not valid JSON: {error}",
            code="invalid_json",
            details={"property": "body"},
        ) from None


def _mimetype(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


_CONTENT_FIELDS = ("content", "content_type", "etag", "updated")


def _stored(record: dict) -> StoredDocument:
    address = {key: value for key, value in record.items() if key not in _CONTENT_FIELDS}
    return StoredDocument(**{name: record[name] for name in _CONTENT_FIELDS}, address=address)
