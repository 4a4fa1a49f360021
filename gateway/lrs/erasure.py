"""What the LRS holds about one person, for the data rights (gateway.policy.rights): finding it for
an export and removing it for an erasure. Statements go through `repository.purge_statements`
(batches rewritten without them); State and Agent Profile documents are keyed by the agent key;
attachment contents that only purged statements referenced are deleted with them."""

from __future__ import annotations

import base64
from collections.abc import Iterable

from gateway.lrs import repository
from gateway.lrs.attachments import referenced_hashes
from gateway.lrs.xapi_documents.models import AgentProfileDocument, StateDocument


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
    purged_attachments = {
        sha2 for record in statement_records(keys) for sha2 in referenced_hashes([record["statement"]])
    }
    purged = repository.purge_statements(keys)
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
        "attachments": len(orphaned),
        "stateDocuments": states,
        "agentProfileDocuments": profiles,
    }
