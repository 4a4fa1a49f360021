"""The release audit log: append-only, hash-chained, one entry per release batch ("who saw my data").

Each entry holds who received data (client, role, organisation, token, the user it acted for), the
resource, the data categories, the subjects, the decisions (rule / consent / form) and what was
withheld, plus `seq` (0, 1, 2, ... with a unique index), `prev` (the previous entry's hash) and
`hash` = SHA-256 of the entry's canonical JSON (sorted keys, no spaces, UTF-8, datetimes as
ISO 8601 UTC with milliseconds), `hash` itself excluded. A release is first written to this process's
write-ahead journal on local disk (`gateway.policy.audit_journal`: durable before the response
leaves), then linked into the chain in batches by one background thread per process: it reads the
head and inserts seq+1, ...; two processes collide on the unique `seq` and the loser re-reads and
links the rest again, so the chain stays linear. `verify_chain` recomputes every hash and link: an
edited, inserted or deleted entry breaks it.

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

from gateway.config import data_dir
from gateway.policy.audit_journal import AuditJournal
from gateway.storage.connection import database

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
    organisations = ListField(StringField())  # the subjects' org chains (schools, boards): for org admins
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
        # no index on `subjects`: a page's entry names ~100 subjects, and an index entry per subject
        # per release tripled the cost of a write; AuditSubjectIndex serves lookups by subject
        "indexes": [
            {"fields": ["seq"], "unique": True},
            ("client_id", "at"),
            "at",
            "organisations",
            "principal.organisation",
        ],
    }

    @classmethod
    def ensure_indexes(cls) -> None:
        super().ensure_indexes()
        _migrate_subject_index()


class AuditSubjectIndex(Document):
    """Which entries name which subjects (collection `audit_subject_index`): one document per batch
    of entries linked into the chain together, `subjects` (the pseudonyms of their subjects and
    actors, indexed) and `entries` ({"id": entry id, "s": positions in `subjects`}). Derived from
    the chain (rebuilt from it by `_migrate_subject_index`), not part of it."""

    id = StringField(primary_key=True)
    subjects = ListField(StringField())
    entries = ListField(DictField())

    meta = {"collection": "audit_subject_index", "auto_create_index": False, "indexes": ["subjects"]}


class AuditSubjectKey(Document):
    """The random key of a subject's audit pseudonym; deleted when the subject is erased."""

    subject = StringField(primary_key=True)
    key = StringField(required=True)

    meta = {"collection": "audit_subject_keys", "auto_create_index": False}


DOCUMENTS = (AuditEntry, AuditSubjectKey, AuditSubjectIndex)
OBSOLETE_SUBJECT_INDEX = "subjects_1_at_1"


def _log():
    return AuditEntry._get_collection()


def _subject_index():
    return AuditSubjectIndex._get_collection()


def _subject_index_document(entries: list[dict]) -> dict:
    def people(entry: dict) -> set[str]:
        return {pseudonym for pseudonym in [*(entry.get("subjects") or ()), entry.get("actor")] if pseudonym}

    subjects = sorted(set().union(*(people(entry) for entry in entries)))
    position = {pseudonym: index for index, pseudonym in enumerate(subjects)}
    return {
        "_id": str(uuid.uuid4()),
        "subjects": subjects,
        "entries": [
            {"id": entry["_id"], "s": sorted(position[pseudonym] for pseudonym in people(entry))}
            for entry in entries
        ],
    }


def _entry_ids_naming(pseudonym: str) -> list[str]:
    ids: dict[str, None] = {}
    for document in _subject_index().find({"subjects": pseudonym}):
        index = document["subjects"].index(pseudonym)
        ids.update((entry["id"], None) for entry in document["entries"] if index in entry["s"])
    return list(ids)


def _migrate_subject_index() -> None:
    """A log written before AuditSubjectIndex existed had a `subjects` index: index its entries
    once, then drop that index."""
    if OBSOLETE_SUBJECT_INDEX not in _log().index_information():
        return
    batch = []
    for entry in _log().find({}, {"subjects": 1, "actor": 1}).sort("seq", 1):
        batch.append(entry)
        if len(batch) == 500:
            _subject_index().insert_one(_subject_index_document(batch))
            batch = []
    if batch:
        _subject_index().insert_one(_subject_index_document(batch))
    _log().drop_index(OBSOLETE_SUBJECT_INDEX)


class _WriterState:
    """Per app (per process): its journal, the head this process last wrote or read, the subject
    keys it used recently, and a lock so its own threads never race each other for a sequence
    number. Other processes are caught by the unique `seq` index; a stale head costs one retry."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.head: tuple[int, str] | None = None
        self.keys: dict[str, tuple[str, float]] = {}
        self.journal: AuditJournal | None = None
        self.journal_lock = threading.Lock()  # not `lock`: the chain writer holds that across a write


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
    and pseudonyms are cached per app for KEY_CACHE_TTL_S (a key another process erased meanwhile only
    makes the new entry unlinkable); without (lookups) the database alone decides, so an erased
    subject is found nowhere."""
    wanted = [subject for subject in dict.fromkeys(subjects) if subject]
    if not wanted:
        return {}
    state = _state() if create else None
    now = time.monotonic()
    found: dict[str, str] = {}
    if state is not None:
        for subject in wanted:
            cached = state.keys.get(subject)
            if cached and cached[1] > now:
                found[subject] = cached[0]
    pending = [subject for subject in wanted if subject not in found]
    if pending:
        keys = {d["_id"]: d["key"] for d in _keys().find({"_id": {"$in": pending}})}
        missing = [subject for subject in pending if subject not in keys]
        if missing and create:
            fresh = {subject: secrets.token_hex(32) for subject in missing}
            # a concurrent writer may have created some: they are read back below
            with contextlib.suppress(pymongo.errors.BulkWriteError):
                _keys().insert_many([{"_id": s, "key": k} for s, k in fresh.items()], ordered=False)
            keys.update({d["_id"]: d["key"] for d in _keys().find({"_id": {"$in": missing}})})
        computed = {subject: _pseudonym(key, subject) for subject, key in keys.items()}
        found.update(computed)
        if state is not None:
            if len(state.keys) > KEY_CACHE_MAX:
                state.keys.clear()
            expires = now + KEY_CACHE_TTL_S
            state.keys.update({subject: (pseudonym, expires) for subject, pseudonym in computed.items()})
    return {subject: found[subject] for subject in wanted if subject in found}


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


def _grouped_decisions(decisions: list[dict], subjects: list[str], pseudonyms: dict[str, str]) -> list[dict]:
    """Decisions as stored: one per distinct decision, naming its subjects by their position in the
    entry's `subjects` (a 100-statement page makes ~170 per-subject decisions but a handful of
    distinct ones). A decision names its subjects by `subject` (one sourcedId) or `subjects` (a
    list). `public_entry` expands them back to one per subject."""
    position = {pseudonym: index for index, pseudonym in enumerate(subjects)}
    at = {subject: position[pseudonym] for subject, pseudonym in pseudonyms.items() if pseudonym in position}
    grouped: dict = {}
    for decision in decisions or ():
        named = decision.get("subjects") if "subjects" in decision else [decision.get("subject")]
        rest = {str(key): value for key, value in decision.items() if key not in ("subject", "subjects")}
        try:
            key = tuple(sorted(rest.items()))
            hash(key)
        except TypeError:  # a value that is a list or a mapping
            key = json.dumps(_jsonable(rest), sort_keys=True)
        group = grouped.get(key)
        try:  # the common case: every subject named is one of the entry's, by sourcedId
            indexes = [at[subject] for subject in named] if named else None
        except (KeyError, TypeError):
            indexes = None
        if indexes:
            if group is None:
                group = grouped[key] = _jsonable(rest)
            group.setdefault("subjects", []).extend(indexes)
            continue
        if group is None and not named:
            group = grouped[key] = _jsonable(rest)
        for subject in named or ():
            pseudonym = pseudonyms.get(subject, subject) if isinstance(subject, str) else None
            if pseudonym is not None and pseudonym not in position:
                # not one of the entry's subjects (a caller's free-form decision): kept as given
                grouped[(key, pseudonym)] = {**_jsonable(rest), "subject": pseudonym}
                continue
            if group is None:
                group = grouped[key] = _jsonable(rest)
            if pseudonym is not None:
                group.setdefault("subjects", []).append(position[pseudonym])
    for group in grouped.values():
        if "subjects" in group:
            group["subjects"] = sorted(set(group["subjects"]))
    return list(grouped.values())


def _expanded_decisions(entry: dict) -> list[dict]:
    subjects = entry.get("subjects") or []
    expanded = []
    for decision in entry.get("decisions") or ():
        if "subjects" not in decision:
            expanded.append(decision)
            continue
        rest = {key: value for key, value in decision.items() if key != "subjects"}
        expanded += [{"subject": subjects[index], **rest} for index in decision["subjects"]]
    return expanded


def record_release(
    *,
    principal,
    request_id: str | None,
    resource: str,
    categories: Iterable[str],
    subjects: Iterable[str],
    decisions: list[dict],
    withheld: dict,
    organisations: Iterable[str] = (),
) -> str:
    """Appends one entry for a release batch and returns its id. `withheld` maps what was withheld
    (e.g. a category or field) to a count or description; `decisions` are the engine's decisions
    (a `subject` key in one is stored pseudonymised like the subjects); `organisations` the
    subjects' org chains (home schools and their boards), whose administrators may read the entry."""
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
    subject_pseudonym_list = sorted({pseudonyms[subject] for subject in subject_list})
    body = {
        "client_id": principal.client_id,
        "subjects": subject_pseudonym_list,
        "organisations": sorted(set(organisations)),
        "actor": principal_record["subject"],
        "categories": sorted(set(categories)),
        "resource": resource,
        "request_id": request_id,
        "principal": principal_record,
        "decisions": _grouped_decisions(decisions, subject_pseudonym_list, pseudonyms),
        # a list of pairs, not a mapping: keys such as category ids contain dots
        "withheld": [
            {"what": str(key), "detail": _jsonable(value)} for key, value in sorted((withheld or {}).items())
        ],
    }
    entry = {"_id": str(uuid.uuid4()), "at": _now(), **body}
    journal = _journal()
    if journal is None:  # outside an app: straight into the chain
        _append_to_chain([entry])
    else:
        journal.write(entry)
    return entry["_id"]


def _journal() -> AuditJournal | None:
    state = _state()
    if state is None:
        return None
    if state.journal is not None:
        return state.journal
    with state.journal_lock:
        if state.journal is None:
            app = current_app._get_current_object()

            def run_in_context(work) -> None:
                with app.app_context():
                    work()

            directory = data_dir(app.config) / "audit-journal" / database().name
            state.journal = AuditJournal(directory, _append_to_chain, _chained_ids, run_in_context)
        return state.journal


def drain_journal(timeout: float = 10.0) -> bool:
    """Waits until this process's journaled entries are in the chain (readers call it first)."""
    state = _state()
    journal = state.journal if state is not None else None
    return journal.drain(timeout) if journal is not None else True


def _chained_ids(ids: list[str]) -> set[str]:
    return {found["_id"] for found in _log().find({"_id": {"$in": ids}}, {"_id": 1})}


def _append_to_chain(entries: list[dict]) -> None:
    """Links `entries`, in order, after the chain's head and inserts them. Another process that took
    one of their sequence numbers first makes this re-read the head and link the rest again."""
    state = _state()
    lock = state.lock if state is not None else contextlib.nullcontext()
    # the subject index first: an entry the index names but the chain lacks (a crash in between)
    # is found by no lookup, while an entry missing from the index would hide from its subjects
    _subject_index().insert_one(_subject_index_document(entries))
    with lock:
        head = state.head if state is not None else None
        remaining = list(entries)
        for _attempt in range(MAX_RETRIES):
            if head is None:
                found = _log().find_one({}, {"seq": 1, "hash": 1}, sort=[("seq", -1)])
                head = (found["seq"], found["hash"]) if found else (-1, GENESIS)
            linked, (seq, previous) = [], head
            for entry in remaining:
                seq += 1
                entry = {**entry, "seq": seq, "prev": previous}
                entry.pop("hash", None)
                entry["hash"] = previous = entry_hash(entry)
                linked.append(entry)
            try:
                _log().insert_many(linked, ordered=True)
            except pymongo.errors.BulkWriteError as error:
                if any(failure.get("code") != 11000 for failure in error.details.get("writeErrors", ())):
                    raise
                remaining = remaining[error.details.get("nInserted", 0) :]
                head = None  # another process took this seq: read the head again
                continue
            if state is not None:
                state.head = (linked[-1]["seq"], linked[-1]["hash"])
            return
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
    drain_journal()
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
    shaped["decisions"] = _expanded_decisions(shaped)
    return shaped


def query_entries(
    *,
    client_id: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 100,
    organisation: str | None = None,
) -> tuple[int, list[dict]]:
    """(total, entries) matching the filters, newest first. `subject` is a sourcedId: an unknown or
    erased subject matches nothing. `organisation`: only the entries that concern it (see
    concerns)."""
    drain_journal()
    query: dict = {}
    if organisation is not None:
        query["$or"] = [{"organisations": organisation}, {"principal.organisation": organisation}]
    if client_id is not None:
        query["client_id"] = client_id
    if subject is not None:
        pseudonym = subject_pseudonyms([subject], create=False).get(subject)
        if pseudonym is None:
            return 0, []
        query["_id"] = {"$in": _entry_ids_naming(pseudonym)}
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
    drain_journal()
    entry = _log().find_one({"_id": entry_id})
    return public_entry(entry) if entry else None


def concerns(entry: dict, organisation: str) -> bool:
    """Whether an entry concerns `organisation`: data about its students (a subject's school or
    board), or a release to one of its own clients. Entries written before entries named their
    organisations concern none (deployment administrators read them)."""
    return organisation in (entry.get("organisations") or ()) or (
        (entry.get("principal") or {}).get("organisation") == organisation
    )


def for_subject(entry: dict, subject: str) -> dict:
    """An entry as its subject sees it (`/me/audit`): the other subjects' pseudonyms and decisions
    about them left out, their number kept."""
    mine = subject_pseudonyms([subject], create=False).get(subject)
    shaped = {key: value for key, value in entry.items() if key not in ("subjects", "organisations")}
    shaped["subject_count"] = len(entry.get("subjects") or ())
    shaped["decisions"] = [
        decision for decision in entry.get("decisions") or () if decision.get("subject") in (None, mine)
    ]
    return shaped
