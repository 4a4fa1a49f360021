"""What the LRS holds about one person, for the data rights (gateway.policy.rights): finding it for
an export and removing it for an erasure. An erased person's statements are purged through
`repository.purge_statements` (batches rewritten without them) and voided (a voiding statement per
statement, by the gateway: what tells systems that copied them, the xAPI way, to drop their
copies); State and Agent Profile documents are keyed by the agent key; attachment contents that
only purged statements referenced are deleted with them."""

from __future__ import annotations

import base64
from collections.abc import Iterable

from flask import current_app

from gateway.auth.service import Principal
from gateway.lrs import repository
from gateway.lrs.attachments import referenced_hashes
from gateway.lrs.validation.statement import VOIDED_VERB
from gateway.lrs.versions import XAPI_2_0_0
from gateway.lrs.xapi_documents.models import AgentProfileDocument, StateDocument

# The authority of the voiding statements an erasure writes: the gateway itself.
ERASURE_PRINCIPAL = Principal(
    "kakehashi-erasure",
    "Kakehashi (erasure on the person's request)",
    "school",
    frozenset({"statements/write"}),
)
VOIDING_BATCH = 500


def statement_records(agent_keys: Iterable[str]) -> list[dict]:
    """Every stored statement record (with `statement`, `stored`, `voided`) any of `agent_keys` is
    an agent of, directly or related, in stored order."""
    return repository.records_of_agents(agent_keys)


def _document_json(document: dict, kind: str) -> dict:
    content: bytes = document["content"]
    shaped = {
        "resource": kind,
        "documentId": document["document_id"],
        "contentType": document["content_type"],
        "etag": document["etag"],
        "updated": document["updated"].isoformat(),
    }
    if kind == "state":
        shaped["activityId"] = document["activity_id"]
        shaped["registration"] = document.get("registration")
    try:
        shaped["content"] = content.decode("utf-8")
    except UnicodeDecodeError:
        shaped["contentBase64"] = base64.b64encode(content).decode()
    return shaped


def agent_documents(agent_keys: Iterable[str]) -> list[dict]:
    """The State and Agent Profile documents of these agents, as JSON-able dicts."""
    keys = list(agent_keys)
    documents = []
    for model, kind in ((StateDocument, "state"), (AgentProfileDocument, "agentProfile")):
        for document in model._get_collection().find({"agent": {"$in": keys}}):
            documents.append(_document_json(document, kind))
    return documents


def erase_agent_data(agent_keys: Iterable[str]) -> dict:
    """Purges the agents' statements (and the attachment contents only they used) and deletes their
    documents. Returns counts."""
    keys = list(agent_keys)
    records = statement_records(keys)
    purged_attachments = {sha2 for record in records for sha2 in referenced_hashes([record["statement"]])}
    purged = repository.purge_statements(keys)
    # voided after the purge: a voiding statement stored while its target is there takes on the
    # target's lookup values (agent=... finds it), and the purge would take it away too
    voided = _void(records)
    # Contents another (kept) statement still references stay. This reads every statement, but only
    # when the erased person's statements carried attachments (rare in learning records).
    if purged_attachments:
        still_used = set()
        for record in repository.all_records():
            still_used.update(set(referenced_hashes([record["statement"]])) & purged_attachments)
        orphaned = purged_attachments - still_used
        database = repository.batches().database
        database[f"{repository.ATTACHMENT_BUCKET}.files"].delete_many({"_id": {"$in": list(orphaned)}})
        database[f"{repository.ATTACHMENT_BUCKET}.chunks"].delete_many({"files_id": {"$in": list(orphaned)}})
    else:
        orphaned = set()
    states = StateDocument._get_collection().delete_many({"agent": {"$in": keys}}).deleted_count
    profiles = AgentProfileDocument._get_collection().delete_many({"agent": {"$in": keys}}).deleted_count
    return {
        "statements": len(purged),
        "voidingStatements": voided,
        "attachments": len(orphaned),
        "stateDocuments": states,
        "agentProfileDocuments": profiles,
    }


def _void(records: list[dict]) -> int:
    """Stores a voiding statement (actor and authority: the gateway; no trace of the person) for
    each of the purged `records` not voided already and not itself a voiding statement (which xAPI
    forbids voiding); returns how many were written. A purged statement sent again later is
    voided by it on arrival (its id is awaited, see gateway.lrs.targeting)."""
    from gateway.lrs.service import WriteContext, store_statements

    targets = [
        record["_id"]
        for record in records
        if not record.get("voided") and record["statement"]["verb"]["id"] != VOIDED_VERB
    ]
    context = WriteContext(ERASURE_PRINCIPAL, XAPI_2_0_0, current_app.config["KAKEHASHI_PUBLIC_URL"])
    gateway_agent = context.authority
    for start in range(0, len(targets), VOIDING_BATCH):
        store_statements(
            [
                {
                    "actor": gateway_agent,
                    "verb": {"id": VOIDED_VERB, "display": {"en-US": "voided"}},
                    "object": {"objectType": "StatementRef", "id": target},
                }
                for target in targets[start : start + VOIDING_BATCH]
            ],
            context,
        )
    return len(targets)
