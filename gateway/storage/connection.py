"""The app's MongoDB connection (mongoengine's default alias) and how an outage is recognised."""

from __future__ import annotations

from datetime import UTC, datetime

import mongoengine
import pymongo.errors
from mongoengine.connection import DEFAULT_CONNECTION_NAME, get_db
from pymongo.database import Database
from pymongo.uri_parser import parse_uri

# Errors that mean "the database is unreachable right now" (503), as opposed to a bad operation.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    pymongo.errors.ServerSelectionTimeoutError,
    pymongo.errors.AutoReconnect,  # includes NetworkTimeout
    pymongo.errors.ConnectionFailure,
    pymongo.errors.WaitQueueTimeoutError,
)


def _durable_write_concern(uri: str) -> dict:
    """An acknowledged write survives a crash: journaled, and on a majority of a replica set.
    Options written in the URI win, so an operator can choose otherwise."""
    options = {key.lower() for key in parse_uri(uri)["options"]}
    concern = {}
    if "w" not in options:
        concern["w"] = "majority"
    if "journal" not in options:
        concern["journal"] = True
    return concern


def connect(uri: str, db_name: str, timeout_ms: int) -> Database:
    """(Re)binds mongoengine's default connection. mongoengine keeps one process-wide registry,
    so the last app created in a process owns it; the gateway runs one app per process."""
    mongoengine.disconnect(alias=DEFAULT_CONNECTION_NAME)
    mongoengine.connect(
        **_durable_write_concern(uri),
        db=db_name,
        host=uri,
        alias=DEFAULT_CONNECTION_NAME,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=max(timeout_ms * 15, 30_000),
        uuidRepresentation="standard",
        tz_aware=True,
        appname="kakehashi",
    )
    return get_db(DEFAULT_CONNECTION_NAME)


def database() -> Database:
    return get_db(DEFAULT_CONNECTION_NAME)


def is_reachable() -> bool:
    try:
        database().client.admin.command("ping")
        return True
    except DATABASE_UNAVAILABLE:
        return False


def disconnect() -> None:
    mongoengine.disconnect(alias=DEFAULT_CONNECTION_NAME)


def now_at_stored_precision() -> datetime:
    """The current UTC time cut to milliseconds, the precision BSON dates keep, so a time the
    gateway returns compares equal to the one it stored."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
