"""Student data rights (`/me`): my roster record, an export of everything about me, erasure.

The export is one zip archive: `manifest.json` (format, subject, time, and per file its SHA-256,
size and record count) and JSON files `roster.json`, `statements.json`, `documents.json`,
`consents.json`, `audit.json`.

Erasure removes, for one roster user: the statements any of their agents (account and mbox) is an
agent of, directly or related (purged: batches rewritten without them, attachment contents only
they used deleted); their State and Agent Profile documents; their roster records (user,
demographics, roles, enrollments, userProfiles, and their sourcedId from other users' `agents`);
their consents; their audit pseudonym key (entries stay, unlinkable: see gateway.policy.audit);
their OAuth2 tokens, codes and login password; whatever other modules registered with
`register_eraser`. It then
records a tombstone (collection `erasure_tombstones`) holding no identifier of the person: an HMAC
of the sourcedId under the server secret (so the gateway can recognise an erased sourcedId if a
later roster import brings it back), the time, who asked (role and client) and the counts.

An erasure holds the roster import lock (gateway.oneroster.repository) while it runs, so an import
cannot bring back, or half-replace, the records being erased; while an import holds the lock an
erasure is refused (409 `import-in-progress`, Retry-After) and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app
from mongoengine import DateTimeField, DictField, Document, StringField

from gateway.errors import Conflict, NotFound
from gateway.lrs import erasure
from gateway.lrs.identifiers import agent_key
from gateway.oneroster import identity, store
from gateway.oneroster.repository import ImportLocked, acquire_import_lock, release_import_lock
from gateway.oneroster.repository import collection as roster_collection
from gateway.oneroster.representation import Representation
from gateway.policy import audit, consent

EXPORT_FORMAT = "kakehashi-export/1"
# Never part of a released roster record, not even to its own subject (gateway.policy.release).
PRIVATE_USER_FIELDS = ("password",)
ROSTER_LINKED = (
    ("roles", "user.sourcedId"),
    ("enrollments", "user.sourcedId"),
    ("userProfiles", "user.sourcedId"),
)

_erasers: list[Callable[[str], int]] = []


class ErasureTombstone(Document):
    """That an erasure happened, without who it was about (see the module docstring)."""

    id = StringField(primary_key=True)
    subject_digest = StringField(required=True)
    erased_at = DateTimeField(required=True)
    requested_by_role = StringField(required=True)
    requested_via = StringField()  # client id
    counts = DictField()

    meta = {"collection": "erasure_tombstones", "auto_create_index": False, "indexes": ["subject_digest"]}


DOCUMENTS = (ErasureTombstone,)


def register_eraser(eraser: Callable[[str], int]) -> None:
    """Adds a function erasing what another module keeps about a subject sourcedId (returns a count)."""
    if eraser not in _erasers:
        _erasers.append(eraser)


def _json_default(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _plain(document: dict) -> dict:
    plain = {key: value for key, value in document.items() if not key.startswith("_")}
    plain.setdefault("sourcedId", document.get("_id"))
    return json.loads(json.dumps(plain, default=_json_default))


def _representation() -> Representation:
    public = current_app.config["KAKEHASHI_PUBLIC_URL"].rstrip("/")
    return Representation(
        "1.2", public + "/ims/oneroster/rostering/v1p2", public + "/ims/oneroster/resources/v1p2"
    )


def roster_user(subject: str) -> dict:
    """The stored roster user, or NotFound."""
    user = store.find_one("users", subject)
    if user is None:
        raise NotFound(f"no roster user {subject!r}", details={"subject": subject})
    return user


def my_record(subject: str) -> dict:
    """My roster record in the OneRoster 1.2 JSON binding, with my demographics (no password)."""
    user = roster_user(subject)
    record = {
        key: value
        for key, value in _representation().record("users", user).items()
        if key not in PRIVATE_USER_FIELDS
    }
    demographics = store.find_one("demographics", subject)
    return {
        "user": record,
        "demographics": _representation().record("demographics", demographics) if demographics else None,
    }


def agent_keys_of(user: dict) -> list[str]:
    """The agent keys of the data that is the user's: their account, and their mbox when the address
    is theirs alone. An address several users share (a family address) is none of theirs by the
    identity rule: one sharer's export does not carry its statements and their erasure leaves them
    (they may be the other sharers' records)."""
    agents = identity.agents_for_user(user)
    if user["_id"] not in identity.owning_their_address([user]):
        agents = [agent for agent in agents if "mbox" not in agent]
    return [key for key in (agent_key(agent) for agent in agents) if key]


def export_archive(subject: str) -> bytes:
    """Everything the gateway holds about `subject`, as a zip archive (module docstring)."""
    user = roster_user(subject)
    keys = agent_keys_of(user)
    roster = my_record(subject)
    roster["agents"] = identity.agents_for_user(user)
    for entity, path in ROSTER_LINKED:
        roster[entity] = [_plain(record) for record in roster_collection(entity).find({path: subject})]
    records = erasure.statement_records(keys)
    statements = [
        {**record["statement"], **({"voided": True} if record.get("voided") else {})} for record in records
    ]
    _, entries = audit.query_entries(subject=subject, limit=1_000_000)
    audit_entries = [audit.for_subject(entry, subject) for entry in entries]  # not the other subjects
    files = {
        "roster.json": (roster, 1),
        "statements.json": (statements, len(statements)),
        "documents.json": (erasure.agent_documents(keys), None),
        "consents.json": (
            [consent.receipt(document) for document in consent.consents_of_subject(subject)],
            None,
        ),
        "audit.json": (audit_entries, len(audit_entries)),
    }
    buffer = io.BytesIO()
    manifest = {
        "format": EXPORT_FORMAT,
        "subject": subject,
        "generatedAt": _json_default(datetime.now(UTC)),
        "agentKeys": keys,
        "files": [],
    }
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (content, count) in files.items():
            data = json.dumps(content, ensure_ascii=False, indent=1, default=_json_default).encode()
            archive.writestr(name, data)
            entry = {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            entry["records"] = count if count is not None else len(content)
            manifest["files"].append(entry)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return buffer.getvalue()


def subject_digest(subject: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"erasure\x00" + subject.encode(), hashlib.sha256).hexdigest()


def _erase_oauth(subject: str) -> int:
    """The person's OAuth2 tokens and codes (as subject or as the one who authorised) and login
    password: the token that asked for the erasure stops working with it."""
    from gateway.auth.documents import AuthorizationCode, OAuthToken, OwnerPassword

    either = {"$or": [{"subject": subject}, {"actor": subject}]}
    removed = OAuthToken._get_collection().delete_many(either).deleted_count
    removed += AuthorizationCode._get_collection().delete_many(either).deleted_count
    removed += OwnerPassword._get_collection().delete_many({"_id": subject}).deleted_count
    return removed


# seconds a client is asked to wait when a roster import holds the lock
ERASURE_RETRY_AFTER = 60


def erase_subject(subject: str, *, requested_by_role: str, requested_via: str | None) -> dict:
    """Erases everything about `subject` (module docstring) under the roster import lock; returns
    the tombstone (no identifiers). Conflict (409 `import-in-progress`) while an import runs."""
    lock = f"erasure-{uuid.uuid4()}"
    try:
        acquire_import_lock(lock)
    except ImportLocked as locked:
        raise Conflict(
            "a roster import is running; nothing was erased: retry when it has finished",
            code="import-in-progress",
            details={
                "retry_after": ERASURE_RETRY_AFTER,
                "import_started_at": str(locked.holder.get("startedAt")),
            },
            headers={"Retry-After": str(ERASURE_RETRY_AFTER)},
        ) from None
    try:
        return _erase_subject(subject, requested_by_role, requested_via)
    finally:
        release_import_lock(lock)


def _erase_subject(subject: str, requested_by_role: str, requested_via: str | None) -> dict:
    user = roster_user(subject)
    counts = erasure.erase_agent_data(agent_keys_of(user))
    consents = consent.Consent._get_collection()
    recipients = consents.distinct("recipient_client_id", {"subject": subject})
    counts["consents"] = consents.delete_many({"subject": subject}).deleted_count
    consent.note_change(*recipients, withdrawn=True)
    # A consent this person granted for someone else stays that person's, without naming who gave it.
    consents.update_many({"granted_by": subject}, {"$set": {"granted_by": "erased"}})
    consents.update_many({"revoked_by": subject}, {"$set": {"revoked_by": "erased"}})
    counts["auditKeys"] = int(audit.forget_subject(subject))
    roster_collection("users").update_many(
        {"agents.sourcedId": subject}, {"$pull": {"agents": {"sourcedId": subject}}}
    )
    counts["roster"] = 0
    for entity, path in ROSTER_LINKED:
        counts["roster"] += roster_collection(entity).delete_many({path: subject}).deleted_count
    counts["roster"] += roster_collection("demographics").delete_many({"_id": subject}).deleted_count
    counts["roster"] += roster_collection("users").delete_many({"_id": subject}).deleted_count
    counts["oauth"] = _erase_oauth(subject)
    for eraser in _erasers:
        counts[getattr(eraser, "__name__", "other")] = eraser(subject)
    now = datetime.now(UTC)
    tombstone = {
        "_id": str(uuid.uuid4()),
        "subject_digest": subject_digest(subject),
        "erased_at": now.replace(microsecond=(now.microsecond // 1000) * 1000),
        "requested_by_role": requested_by_role,
        "requested_via": requested_via,
        "counts": counts,
    }
    ErasureTombstone._get_collection().insert_one(tombstone)
    return {
        "tombstone": tombstone["_id"],
        "erasedAt": _json_default(tombstone["erased_at"]),
        "requestedByRole": requested_by_role,
        "counts": counts,
    }


def erased_subjects() -> Callable[[str], bool]:
    """A test of whether a sourcedId was erased, reading the tombstones once (a roster import asks
    it for every new user; with no erasure on record it computes nothing)."""
    digests = set(ErasureTombstone._get_collection().distinct("subject_digest"))
    return (lambda subject: subject_digest(subject) in digests) if digests else (lambda subject: False)


def was_erased(subject: str) -> bool:
    return (
        ErasureTombstone._get_collection().find_one({"subject_digest": subject_digest(subject)}) is not None
    )
