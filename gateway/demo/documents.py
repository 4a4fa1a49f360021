"""What the database remembers of the demo data set."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, IntField, StringField


class DemoDataset(Document):
    """Marks the demo data set as loaded, so restarting `make demo` does not load it again."""

    name = StringField(primary_key=True)
    version = IntField(required=True)
    loaded_at = DateTimeField(required=True)

    meta = {"collection": "demo_datasets", "auto_create_index": False}


DOCUMENTS = (DemoDataset,)
