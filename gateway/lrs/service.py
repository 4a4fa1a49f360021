"""Statement rules: storing (validation, ids, authority, conflicts, voiding) and reading."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.auth.service import Principal
from gateway.errors import BadRequest, Conflict, NotFound
from gateway.lrs import repository
from gateway.lrs.activities.service import canonical_definitions, record_activity_definitions
from gateway.lrs.attachments import AttachmentPart, match_parts, referenced_hashes
from gateway.lrs.comparison import comparison_digest
from gateway.lrs.cursor import decode_cursor, encode_cursor
from gateway.lrs.formats import format_statement, statement_activities
from gateway.lrs.identifiers import index_fields
from gateway.lrs.normalise import normalise_statement
from gateway.lrs.parameters import (
    agent_parameter,
    iri_parameter,
    registration_parameter,
    timestamp_parameter,
)
from gateway.lrs.query import StatementQuery
from gateway.lrs.signatures import verify_signatures
from gateway.lrs.targeting import service as targeting
from gateway.lrs.validation import validate_statement
from gateway.lrs.validation.statement import VOIDED_VERB
from gateway.lrs.versions import XAPI_2_0_0
from gateway.policy.release import release_statements, require_write, statement_read_scope
from gateway.storage.connection import now_at_stored_precision
from gateway.xapi_profile.ingest import check_profile

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def authority_for(principal: Principal, homepage: str) -> dict:
    """The xAPI authority the LRS records for statements a client sends."""
    return {
        "objectType": "Agent",
        "name": principal.name,
        "account": {"homePage": homepage, "name": principal.client_id},
    }


@functools.lru_cache(maxsize=256)  # a batch's statements share one `stored`
def iso_timestamp(moment: datetime) -> str:
    """The form in which the LRS writes times: UTC, millisecond precision, with "Z"."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class WriteContext:
    """Who writes, in which xAPI version, recorded under which authority."""

    principal: Principal
    version: str
    authority_homepage: str
    # Filled by store_statements for a lenient client (gateway.xapi_profile.ingest).
    profile_warnings: list[str] = field(default_factory=list)

    @property
    def authority(self) -> dict:
        return authority_for(self.principal, self.authority_homepage)


def prepare_record(statement: dict, stored: datetime, context: WriteContext) -> dict:
    """The record the LRS stores for one valid statement (also what the benchmark's raw floor
    inserts)."""
    statement = normalise_statement(statement)
    digest = comparison_digest(
        {key: value for key, value in statement.items() if key != "id"}, normalised=True
    )
    # validation admits only the hyphenated form, whose canonical spelling is its lower case
    statement["id"] = statement["id"].lower() if "id" in statement else str(uuid.uuid4())
    statement.setdefault("timestamp", iso_timestamp(stored))
    statement["stored"] = iso_timestamp(stored)
    statement["authority"] = context.authority
    statement.setdefault("version", "2.0.0" if context.version == XAPI_2_0_0 else "1.0.0")
    return {
        "_id": statement["id"],
        "statement": statement,
        "stored": stored,
        "voided": False,
        "received_digest": digest,
        **index_fields(statement),
    }


def _voided_target(record: dict) -> str | None:
    statement = record["statement"]
    if statement["verb"]["id"] != VOIDED_VERB:
        return None
    return targeting.target_of(statement)


def store_statements(
    statements: list[dict], context: WriteContext, attachments: dict[str, AttachmentPart] | None = None
) -> list[str]:
    """Validates and stores a batch, all or nothing; returns the statement ids in order.

    `attachments` are the multipart parts keyed by SHA-2. A statement whose id is already stored
    is accepted when it is the same statement and rejected (409, nothing stored) when it differs.
    """
    require_write(context.principal)
    for index, statement in enumerate(statements):
        validate_statement(statement, context.version, path=f"statements[{index}]")
    context.profile_warnings[:] = check_profile(statements, context.principal.profile_mode)
    attachments = attachments or {}
    match_parts(statements, attachments)
    verify_signatures(statements, attachments)
    stored = now_at_stored_precision()
    records = [prepare_record(statement, stored, context) for statement in statements]
    ids = [record["_id"] for record in records]
    if len(set(ids)) != len(ids):
        raise BadRequest(
            "the batch contains the same statement id more than once", details={"property": "id"}
        )
    # Contents are stored before their statements, so a stored statement never lacks one (even if
    # the process dies between the writes); a request refused while storing (409, voiding rule)
    # takes back the contents it wrote, unless a concurrent request has claimed them meanwhile.
    written = repository.save_attachment_contents(attachments.values())
    try:
        new_records = _store_new(records, ids)
    except Exception:
        repository.discard_attachment_contents(written)
        raise
    repository.keep_attachment_contents(written)
    record_activity_definitions([record["statement"] for record in new_records], context.principal)
    return ids


RACE_RETRIES = 5


def _store_new(records: list[dict], ids: list[str]) -> list[dict]:
    """Stores the records whose ids are not stored yet (the others must be the same statements:
    409 otherwise), with what voiding and targeting change in statements already stored. Returns
    the records stored. The first attempt assumes every id is new and awaited by no stored
    statement (the unique index of statement ids says when one is stored or awaited); then it
    looks, and looks again if a concurrent writer got there."""
    existing: dict[str, dict] = {}
    released: list[str] = []  # awaited markers removed for records not stored yet
    try:
        for attempt in range(RACE_RETRIES):
            if attempt:
                existing = repository.find_by_ids(ids)
            _check_conflicts(records, existing)
            new_records = [record for record in records if record["_id"] not in existing]
            stored_targets = targeting.link_targets(new_records)
            _check_voiding(new_records, targeting.own_verbs(stored_targets))
            adoptions = []
            if attempt:
                released += targeting.release_awaited(new_records)
                adoptions = targeting.adopt_earlier_targeting(new_records)
            try:
                repository.insert(new_records)
            except repository.DuplicateStatementIds:
                continue
            released = []
            repository.mark_voided([target for target in map(_voided_target, new_records) if target])
            targeting.apply_adoptions(adoptions)
            targeting.await_missing_targets(new_records, stored_targets)
            return new_records
        raise Conflict("the statements were being written concurrently; retry the request")
    finally:
        if released:  # not stored after all: the statements targeting them still wait
            targeting.restore_awaited(released)


def _check_conflicts(records: list[dict], existing: dict[str, dict]) -> None:
    for record in records:
        previous = existing.get(record["_id"])
        if previous is not None and previous["received_digest"] != record["received_digest"]:
            raise Conflict(
                f"statement {record['_id']} already exists with different content; statements are immutable",
                details={"statementId": record["_id"]},
            )


def _check_voiding(records: list[dict], stored_verbs: dict[str, str | None]) -> None:
    """A voiding statement cannot target another voiding statement (Data 2.3.2)."""
    batch_verbs = {record["_id"]: record["statement"]["verb"]["id"] for record in records}
    for target in filter(None, map(_voided_target, records)):
        if (batch_verbs.get(target) or stored_verbs.get(target)) == VOIDED_VERB:
            raise BadRequest(
                f"statement {target} is a voiding statement and cannot be voided",
                details={"property": "object.id"},
            )


def put_statement(
    statement_id: str,
    statement: dict,
    context: WriteContext,
    attachments: dict[str, AttachmentPart] | None = None,
) -> None:
    """PUT: the id comes from the query string; a body id, if any, must agree with it."""
    try:
        statement_id = str(uuid.UUID(statement_id))
    except ValueError:
        raise BadRequest("statementId must be a UUID", details={"parameter": "statementId"}) from None
    if not isinstance(statement, dict):
        raise BadRequest(
            "the body must be a single statement (a JSON object)", details={"property": "statement"}
        )
    if "id" in statement and str(statement["id"]).lower() != statement_id:
        raise BadRequest(
            "the statement id in the body differs from the statementId parameter",
            details={"property": "statement.id", "parameter": "statementId"},
        )
    store_statements([{**statement, "id": statement_id}], context, attachments)


def consistent_through() -> datetime:
    """The X-Experience-API-Consistent-Through of a read starting now: writes are acknowledged only
    once stored (and, with the default write concern, replicated), so every statement stored before
    this instant is visible to the read."""
    return now_at_stored_precision()


@dataclass(frozen=True)
class StatementPage:
    statements: list[dict]
    more: str | None
    last_modified: datetime | None  # the latest `stored` of the page (xAPI 2.0 Last-Modified)
    attachments: bool


def statement_query(arguments: dict, version: str, languages: tuple[str, ...]) -> StatementQuery:
    """The GET /statements filters, each checked as its type is checked in statements."""

    def given(name, parse):
        return None if arguments.get(name) is None else parse(arguments[name])

    return StatementQuery(
        agent=given("agent", lambda value: agent_parameter(value, version)),
        verb=given("verb", lambda value: iri_parameter(value, "verb", version)),
        activity=given("activity", lambda value: iri_parameter(value, "activity", version)),
        registration=registration_parameter(arguments.get("registration"), version),
        related_activities=arguments["related_activities"],
        related_agents=arguments["related_agents"],
        since=timestamp_parameter(arguments.get("since"), "since", version),
        until=timestamp_parameter(arguments.get("until"), "until", version),
        limit=arguments["limit"],
        ascending=arguments["ascending"],
        format=arguments["format"],
        attachments=arguments["attachments"],
        languages=languages,
    )


def query_statements(
    principal: Principal, query: StatementQuery, own_authority_key: str, secret: str
) -> StatementPage:
    scope = statement_read_scope(principal, own_authority_key)
    page_size = min(query.limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return _page(principal, scope, query, page_size, after=None, secret=secret)


def continue_query(principal: Principal, cursor: str, own_authority_key: str, secret: str) -> StatementPage:
    scope = statement_read_scope(principal, own_authority_key)
    query, page_size, after = decode_cursor(cursor, secret, principal.client_id)
    return _page(principal, scope, query, page_size, after=after, secret=secret)


def _page(principal, scope, query: StatementQuery, page_size: int, after, secret: str) -> StatementPage:
    criteria = {**query.criteria(), **scope.criteria()}
    records = repository.find_page(criteria, ascending=query.ascending, limit=page_size + 1, after=after)
    has_more = len(records) > page_size
    records = records[:page_size]
    released = release_statements(scope, records, named_agent=query.agent)
    released_ids = {statement["id"] for statement in released}
    last_modified = max((r["stored"] for r in records if r["_id"] in released_ids), default=None)
    more = None
    if has_more:
        last = records[-1]
        more = encode_cursor(query, page_size, last["position"], secret, principal.client_id)
    statements = _formatted(released, query.format, query.languages)
    return StatementPage(statements, more, last_modified, query.attachments)


def get_statement(
    principal: Principal,
    statement_id: str,
    *,
    voided: bool,
    own_authority_key: str,
    statement_format: str = "exact",
    languages: tuple[str, ...] = (),
) -> tuple[dict, datetime]:
    """One statement by id (voided=False) or a voided one by voidedStatementId (voided=True)."""
    scope = statement_read_scope(principal, own_authority_key)
    parameter = "voidedStatementId" if voided else "statementId"
    try:
        statement_id = str(uuid.UUID(statement_id))
    except ValueError:
        raise BadRequest(f"{parameter} must be a UUID", details={"parameter": parameter}) from None
    record = repository.find_one(statement_id)
    if record is None or record["voided"] != voided:
        raise NotFound(f"no {'voided ' if voided else ''}statement with id {statement_id}")
    released = release_statements(scope, [record])
    if not released:
        raise NotFound(f"no {'voided ' if voided else ''}statement with id {statement_id}")
    return _formatted(released, statement_format, languages)[0], record["stored"]


def _formatted(statements: list[dict], statement_format: str, languages: tuple[str, ...]) -> list[dict]:
    definitions = {}
    if statement_format == "canonical":
        ids = {a["id"] for s in statements for a in statement_activities(s) if isinstance(a.get("id"), str)}
        definitions = canonical_definitions(ids)
    return [format_statement(s, statement_format, languages, definitions) for s in statements]


def attachment_contents(statements: list[dict]) -> list[AttachmentPart]:
    """The stored contents of the attachments of `statements` (for attachments=true)."""
    return repository.load_attachment_contents(referenced_hashes(statements))
