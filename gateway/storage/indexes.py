"""Index management: every document declares its indexes in `meta`; this creates them up front."""

from __future__ import annotations

from collections.abc import Iterable

from mongoengine import Document


def ensure_indexes(documents: Iterable[type[Document]]) -> None:
    """Creates the declared indexes (idempotent). Run at start-up and by `kakehashi db init`,
    never lazily on save (auto_create_index is off for every document)."""
    for document in documents:
        document.ensure_indexes()


def clear_collections(documents: Iterable[type[Document]]) -> None:
    """Empties every collection, keeping indexes (tests and `demo seed --reset`)."""
    for document in documents:
        document._get_collection().delete_many({})
