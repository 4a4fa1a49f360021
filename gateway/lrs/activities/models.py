"""How canonical Activities are stored: one record per Activity id, its definition merged from statements."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, IntField, StringField


class CanonicalActivity(Document):
    """The LRS's canonical definition of one Activity. `_id` is the Activity id (IRI); `revision`
    counts changes, so concurrent merges update only the revision they read (by _id, no other index).
    The definition is written with raw pymongo: extension keys are IRIs, which hold dots."""

    id = StringField(primary_key=True)
    definition = DictField()
    revision = IntField(required=True)
    updated = DateTimeField(required=True)

    meta = {"collection": "xapi_activities", "auto_create_index": False, "indexes": []}


DOCUMENTS = (CanonicalActivity,)
