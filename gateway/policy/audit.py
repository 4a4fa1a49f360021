"""The release audit log: append-only, hash-chained, one entry per release batch ("who saw my data").

Each entry holds who received data (client, role, organisation, token, the user it acted for), the
resource, the data categories, the subjects, the decisions (rule / consent / form) and what was
withheld, plus `seq` (0, 1, 2, ... with a unique index), `prev` (the previous entry's hash) and
`hash` = SHA-256 of the entry's canonical JSON (sorted keys, no spaces, UTF-8, datetimes as
ISO 8601 UTC with milliseconds), `hash` itself excluded. Writers read the head and insert seq+1; two
concurrent writers collide on the unique `seq` and the loser re-reads and retries, so the chain stays
linear. `verify_chain` recomputes every hash and link: an edited, inserted or deleted entry breaks it.

Subjects are not stored by their sourcedId but as `HMAC-SHA256(subject key, sourcedId)` with a random
key per subject (collection `audit_subject_keys`). Lookups by subject (`/me/audit`, the admin filter)
compute the pseudonym from the key; erasing a subject deletes its key (crypto-shredding), which leaves
the chain intact and verifiable while no entry can be tied to the erased student any more.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pymongo.errors
from flask import current_app
from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField

GENESIS = "0" * 64
MAX_RETRIES = 50
KEY_CACHE_TTL_S = 300.0
KEY_CACHE_MAX = 200_000


class AuditEntry(Document):
    """One release batch (collection `audit_log`). Written with raw pymongo; the class declares indexes."""

    id = StringField(primary_key=True)
    seq = IntField(required=True)
    at = DateTimeField(required=True)
    client_id = StringField(required=True)
    subjects = ListField(StringField())  # subject pseudonyms
    actor = StringField()  # pseudonym of the user the token acted for
    categories = ListField(StringField())
    resource = StringField()
    request_id = StringField()
    principal = DictField()
    decisions = ListField(DictField())
    withheld = ListField(DictField())
    prev = StringField(required=True)
    hash = StringField(required=True)

    meta = {
        "collection": "audit_log",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["seq"], "unique": True},
            ("client_id", "at"),
            ("subjects", "at"),
            "at",
        ],
    }


class AuditSubjectKey(Document):
    """The random key of a subject's audit pseudonym; deleted when the subject is erased."""

    subject = StringField(primary_key=True)
    key = StringField(required=True)

    meta = {"collection": "audit_subject_keys", "auto_create_index": False}


DOCUMENTS = (AuditEntry, AuditSubjectKey)


def _log():
    return AuditEntry._get_collection()


class _WriterState:
    """Per app (per process): the head this process last wrote or read, the subject keys it used
    recently, and a lock so its own threads never race each other for a sequence number. Other
    processes are caught by the unique `seq` index; a stale head costs one retry."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.head: tuple[int, str] | None = None
        self.keys: dict[str, tuple[str, float]] = {}


def _state() -> _WriterState | None:
    try:
        extensions = current_app.extensions
    except RuntimeError:  # outside an app context: no cache
        return None
    state = extensions.get("kakehashi.audit")
    if state is None:
        state = extensions.setdefault("kakehashi.audit", _WriterState())
    return state


def _keys():
    return AuditSubjectKey._get_collection()


# ---------------------------------------------------------------------------------- pseudonyms


def _pseudonym(key: str, subject: str) -> str:
    return "s:" + hmac.new(bytes.fromhex(key), subject.encode(), hashlib.sha256).hexdigest()


def subject_pseudonyms(subjects: Iterable[str], *, create: bool = True) -> dict[str, str]:
    """subject sourcedId -> audit pseudonym. With `create` (the write path) missing keys are created
    and keys are cached per app for KEY_CACHE_TTL_S (a key another process erased meanwhile only
    makes the new entry unlinkable); without (lookups) the database alone decides, so an erased
    subject is found nowhere."""
    wanted = [subject for subject in dict.fromkeys(subjects) if subject]
    if not wanted:
        return {}
    state = _state() if create else None
    now = time.monotonic()
    keys: dict[str, str] = {}
    if state is not None:
        for subject in wanted:
            cached = state.keys.get(subject)
            if cached and cached[1] > now:
                keys[subject] = cached[0]
    pending = [subject for subject in wanted if subject not in keys]
    if pending:
        keys.update({d["_id"]: d["key"] for d in _keys().find({"_id": {"$in": pending}})})
        missing = [subject for subject in pending if subject not in keys]
        if missing and create:
            fresh = {subject: secrets.token_hex(32) for subject in missing}
            # a concurrent writer may have created some: they are read back below
            with contextlib.suppress(pymongo.errors.BulkWriteError):
                _keys().insert_many([{"_id": s, "key": k} for s, k in fresh.items()], ordered=False)
            keys.update({d["_id"]: d["key"] for d in _keys().find({"_id": {"$in": missing}})})
        if state is not None:
            if len(state.keys) > KEY_CACHE_MAX:
                state.keys.clear()
            expires = now + KEY_CACHE_TTL_S
            state.keys.update({subject: (keys[subject], expires) for subject in pending if subject in keys})
    return {subject: _pseudonym(keys[subject], subject) for subject in wanted if subject in keys}


def forget_subject(subject: str) -> bool:
    """Deletes the subject's audit key: its entries stay (the chain verifies) but cannot be linked
    to it any more. True when a key existed."""
    state = _state()
    if state is not None:
        state.keys.pop(subject, None)
    return _keys().delete_one({"_id": subject}).deleted_count == 1


# ---------------------------------------------------------------------------------- hashing


def _jsonable(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(_jsonable(item) for item in value)
    return value


def canonical_json(entry: dict) -> bytes:
    body = {key: value for key, value in entry.items() if key != "hash"}
    return json.dumps(_jsonable(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict) -> str:
    return hashlib.sha256(canonical_json(entry)).hexdigest()


# ---------------------------------------------------------------------------------- writing


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def _pseudonymise_decisions(decisions: list[dict], pseudonyms: dict[str, str]) -> list[dict]:
    shaped = []
    for decision in decisions or ():
        decision = {str(key): _jsonable(value) for key, value in dict(decision).items()}
        if isinstance(decision.get("subject"), str):
            decision["subject"] = pseudonyms.get(decision["subject"], decision["subject"])
        shaped.append(decision)
    return shaped


def record_release(
    *,
    principal,
    request_id: str | None,
    resource: str,
    categories: Iterable[str],
    subjects: Iterable[str],
    decisions: list[dict],
    withheld: dict,
) -> str:
    """Appends one entry for a release batch and returns its id. `withheld` maps what was withheld
    (e.g. a category or field) to a count or description; `decisions` are the engine's decisions
    (a `subject` key in one is stored pseudonymised like the subjects)."""
    subject_list = [subject for subject in dict.fromkeys(subjects) if subject]
    people = [
        *subject_list,
        *(p for p in (getattr(principal, "subject", None), getattr(principal, "actor", None)) if p),
    ]
    pseudonyms = subject_pseudonyms(people)
    principal_record = {
        "client_id": principal.client_id,
        "name": principal.name,
        "role": principal.role,
        "organisation": getattr(principal, "organisation", None),
        "token_id": getattr(principal, "token_id", None),
        "consent_id": getattr(principal, "consent_id", None),
        "subject": pseudonyms.get(getattr(principal, "subject", None) or ""),
        "actor": pseudonyms.get(getattr(principal, "actor", None) or ""),
        "scopes": sorted(principal.scopes),
    }
    body = {
        "client_id": principal.client_id,
        "subjects": sorted({pseudonyms[subject] for subject in subject_list}),
        "actor": principal_record["subject"],
        "categories": sorted(set(categories)),
        "resource": resource,
        "request_id": request_id,
        "principal": principal_record,
        "decisions": _pseudonymise_decisions(decisions, pseudonyms),
        # a list of pairs, not a mapping: keys such as category ids contain dots
        "withheld": [
            {"what": str(key), "detail": _jsonable(value)} for key, value in sorted((withheld or {}).items())
        ],
    }
    state = _state()
    lock = state.lock if state is not None else contextlib.nullcontext()
    with lock:
        head = state.head if state is not None else None
        for _attempt in range(MAX_RETRIES):
            if head is None:
                found = _log().find_one({}, {"seq": 1, "hash": 1}, sort=[("seq", -1)])
                head = (found["seq"], found["hash"]) if found else (-1, GENESIS)
            entry = {"_id": str(uuid.uuid4()), "seq": head[0] + 1, "at": _now(), **body, "prev": head[1]}
            entry["hash"] = entry_hash(entry)
            try:
                _log().insert_one(entry)
            except pymongo.errors.DuplicateKeyError:
                head = None  # another process took this seq: read the head again
                continue
            if state is not None:
                state.head = (entry["seq"], entry["hash"])
            return entry["_id"]
    raise RuntimeError(f"audit log: no free sequence number after {MAX_RETRIES} attempts")


# ---------------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad: str | None = None
    first_bad_seq: int | None = None
    reason: str | None = None
    head: str | None = None


def verify_chain_report() -> ChainReport:
    """Walks the whole chain in seq order, recomputing every hash and link."""
    previous_hash, expected_seq, checked = GENESIS, 0, 0
    for entry in _log().find({}).sort("seq", 1).batch_size(5_000):
        reason = None
        if entry.get("seq") != expected_seq:
            reason = f"sequence gap: expected seq {expected_seq}, found {entry.get('seq')} (an entry was removed or inserted)"
        elif entry.get("prev") != previous_hash:
            reason = "prev does not match the hash of the previous entry"
        elif entry_hash(entry) != entry.get("hash"):
            reason = "content does not match its hash (the entry was edited)"
        if reason:
            return ChainReport(False, checked, str(entry.get("_id")), entry.get("seq"), reason, previous_hash)
        previous_hash, expected_seq, checked = entry["hash"], expected_seq + 1, checked + 1
    return ChainReport(True, checked, head=previous_hash)


def verify_chain() -> tuple[bool, str | None]:
    """(ok, id of the first bad entry or None)."""
    report = verify_chain_report()
    return report.ok, report.first_bad


# ---------------------------------------------------------------------------------- reading


def public_entry(entry: dict) -> dict:
    """An entry as the audit APIs return it."""
    shaped = {"id": entry["_id"]}
    shaped.update({key: _jsonable(value) for key, value in entry.items() if key != "_id"})
    return shaped


def query_entries(
    *,
    client_id: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict]]:
    """(total, entries) matching the filters, newest first. `subject` is a sourcedId: an unknown or
    erased subject matches nothing."""
    query: dict = {}
    if client_id is not None:
        query["client_id"] = client_id
    if subject is not None:
        pseudonym = subject_pseudonyms([subject], create=False).get(subject)
        if pseudonym is None:
            return 0, []
        query["$or"] = [{"subjects": pseudonym}, {"actor": pseudonym}]
    if since is not None or until is not None:
        query["at"] = {}
        if since is not None:
            query["at"]["$gte"] = since
        if until is not None:
            query["at"]["$lt"] = until
    total = _log().count_documents(query)
    cursor = _log().find(query).sort("seq", -1).skip(offset).limit(limit)
    return total, [public_entry(entry) for entry in cursor]


def find_entry(entry_id: str) -> dict | None:
    entry = _log().find_one({"_id": entry_id})
    return public_entry(entry) if entry else None


def for_subject(entry: dict, subject: str) -> dict:
    """An entry as its subject sees it (`/me/audit`): the other subjects' pseudonyms and decisions
    about them left out, their number kept."""
    mine = subject_pseudonyms([subject], create=False).get(subject)
    shaped = {key: value for key, value in entry.items() if key != "subjects"}
    shaped["subject_count"] = len(entry.get("subjects") or ())
    shaped["decisions"] = [
        decision for decision in entry.get("decisions") or () if decision.get("subject") in (None, mine)
    ]
    return shaped
