"""Storage of the curriculum units (one document per 学習指導要領コード, `_id` = the code)."""

from __future__ import annotations

from mongoengine import Document, IntField, ListField, StringField


class CurriculumUnit(Document):
    """A row of a MEXT code table. Written in bulk by gateway.units.repository (raw pymongo);
    the class declares the collection's shape and indexes."""

    code = StringField(primary_key=True)
    table = StringField(required=True)
    no = IntField(required=True)
    subject_name = StringField(required=True)
    text = StringField(required=True)
    heading = StringField(required=True)
    search_text = StringField(required=True)
    parent = StringField()
    school_type = StringField(required=True)
    subject = StringField(required=True)
    course = StringField(required=True)
    grade_code = StringField(required=True)
    grades = ListField(IntField())

    meta = {
        "collection": "curriculum_units",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["parent", "table", "no"]},
            {"fields": ["table", "no"]},
            {"fields": ["subject_name", "table", "no"]},
            {"fields": ["subject", "table", "no"]},
        ],
    }


DOCUMENTS = (CurriculumUnit,)
