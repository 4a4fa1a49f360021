"""How statements are stored: in batches, one document per write (see gateway.lrs.repository)."""

from __future__ import annotations

from mongoengine import BinaryField, DateTimeField, DictField, Document, ListField, StringField


class StatementBatch(Document):
    """The statements of one write. `_id` starts with `stored` in hexadecimal milliseconds, so it
    orders batches by stored time; `ids` (unique) finds a statement by id, and (`keys`, `_id`)
    serves every statement query filter in stored order."""

    id = StringField(primary_key=True)
    stored = DateTimeField(required=True)
    ids = ListField(StringField(), required=True)
    keys = ListField(StringField())
    voided_ids = ListField(StringField())
    adopted = DictField()
    records = ListField(BinaryField(), required=True)  # one BSON document per statement record
    postings = BinaryField(required=True)  # BSON {lookup key: [record positions]}

    @classmethod
    def ensure_indexes(cls) -> None:
        super().ensure_indexes()
        from gateway.lrs.repository import register_awaited_targets

        register_awaited_targets()

    meta = {
        "collection": "xapi_statement_batches",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["ids"], "name": "ids", "unique": True},
            {"fields": ["keys", "-id"], "name": "keys"},
        ],
    }


DOCUMENTS = (StatementBatch,)
