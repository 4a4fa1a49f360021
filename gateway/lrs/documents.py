"""How statements are stored: the statement as the LRS returns it, plus indexed lookup fields."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    DynamicField,
    ListField,
    StringField,
)


class StoredStatement(Document):
    """One statement. `_id` is the statement id (lower-case UUID); `stored` orders everything.

    Every query filters on one lookup field and pages on (stored, _id), so each lookup field has
    a compound index ending in stored and _id. Shard key for the day a deployment shards:
    `{_id: "hashed"}` spreads ingest evenly and keeps by-id reads targeted; the time-ordered
    queries then fan out, which MongoDB merges by the shared (stored, _id) sort.

    A statement whose object is a StatementRef also holds, in its lookup fields, those of the
    statements it targets (gateway.lrs.targeting): its `verb` and `registration` are then lists,
    and `targets` lists the ids of its target chain (sparse index, to find it from a target that
    arrives later).
    """

    id = StringField(primary_key=True)
    statement = DictField(required=True)
    stored = DateTimeField(required=True)
    voided = BooleanField(default=False)
    received_digest = StringField(required=True)
    verb = DynamicField()  # str, or list[str] for a targeting statement
    agents = ListField(StringField())
    related_agents = ListField(StringField())
    activities = ListField(StringField())
    related_activities = ListField(StringField())
    registration = DynamicField()  # str | None, or list[str] for a targeting statement
    authority = StringField()
    targets = ListField(StringField())

    meta = {
        "collection": "xapi_statements",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["-stored", "-id"], "name": "stored"},
            {"fields": ["verb", "-stored", "-id"], "name": "verb_stored"},
            {"fields": ["agents", "-stored", "-id"], "name": "agents_stored"},
            {"fields": ["related_agents", "-stored", "-id"], "name": "related_agents_stored"},
            {"fields": ["activities", "-stored", "-id"], "name": "activities_stored"},
            {
                "fields": ["related_activities", "-stored", "-id"],
                "name": "related_activities_stored",
            },
            {
                "fields": ["registration", "-stored", "-id"],
                "name": "registration_stored",
                "sparse": True,
            },
            {"fields": ["authority", "-stored", "-id"], "name": "authority_stored"},
            {"fields": ["targets"], "name": "targets", "sparse": True},
        ],
    }


DOCUMENTS = (StoredStatement,)
