"""Index management: every document declares its indexes in `meta`; this creates them up front."""

from __future__ import annotations

from collections.abc import Iterable

from mongoengine import Document
from pymongo.database import Database


def ensure_indexes(documents: Iterable[type[Document]]) -> None:
    """Creates the declared indexes (idempotent). Run at start-up and by `kakehashi db init`,
    never lazily on save (auto_create_index is off for every document)."""
    for document in documents:
        document.ensure_indexes()


def clear_database(database: Database) -> None:
    """Empties every collection of `database`, keeping collections and indexes (tests)."""
    for name in database.list_collection_names():
        if not name.startswith("system."):
            database[name].delete_many({})
