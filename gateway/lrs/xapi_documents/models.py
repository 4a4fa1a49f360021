"""How documents are stored: the bytes and Content-Type as received, keyed by the resource's context."""

from __future__ import annotations

from mongoengine import BinaryField, DateTimeField, Document, StringField


class _StoredDocument(Document):
    """One document. `etag` is the SHA-1 of `content` (hex); `updated` (ms precision) drives `since`
    and Last-Modified. Every lookup is by the full context plus `document_id` (stateId/profileId);
    listings use a prefix of the same unique index."""

    document_id = StringField(required=True)
    content = BinaryField(required=True)
    content_type = StringField(required=True)
    etag = StringField(required=True)
    updated = DateTimeField(required=True)

    meta = {"abstract": True}


class StateDocument(_StoredDocument):
    """A State document: Activity + Agent (+ registration, null when not given) + stateId."""

    activity_id = StringField(required=True)
    agent = StringField(required=True)  # the agent's inverse functional identifier key
    registration = StringField(null=True)

    meta = {
        "collection": "xapi_state",
        "auto_create_index": False,
        "indexes": [
            {
                "fields": ["activity_id", "agent", "registration", "document_id"],
                "unique": True,
                "name": "address",
            }
        ],
    }


class ActivityProfileDocument(_StoredDocument):
    activity_id = StringField(required=True)

    meta = {
        "collection": "xapi_activity_profiles",
        "auto_create_index": False,
        "indexes": [{"fields": ["activity_id", "document_id"], "unique": True, "name": "address"}],
    }


class AgentProfileDocument(_StoredDocument):
    agent = StringField(required=True)  # the agent's inverse functional identifier key

    meta = {
        "collection": "xapi_agent_profiles",
        "auto_create_index": False,
        "indexes": [{"fields": ["agent", "document_id"], "unique": True, "name": "address"}],
    }


DOCUMENTS = (StateDocument, ActivityProfileDocument, AgentProfileDocument)
