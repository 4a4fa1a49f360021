"""Consents: what a student (or a guardian for a student) allowed a recipient to receive, for which
purpose, which data categories and which period; the receipts (ISO/IEC TS 27560 fields); revocation.

A revocation or an expiry changes the very next request. `active_consents` answers a whole request's
subjects from the recipient's consents, which each process keeps in memory under a *lease*: a table
read at time T serves requests until T + `KAKEHASHI_CONSENT_LEASE_SECONDS` (default 0.25 s), then the
recipient's *consent epoch* (`consent_epochs`, one counter per recipient, raised after every grant,
revocation and erasure) is read again (one read by `_id`) and the table re-read only when the epoch
moved. A change that withdraws consent (revocation, erasure) raises the epoch and then waits out the
longest lease any process announced before it answers, so every table read before it has expired:
a request that starts after the answer is decided without the withdrawn consent, in every process.
The cost lies on the rare write (a revocation answers 0.25 s later), not on every read. A grant is
seen at once by the process that recorded it and within the lease by the others. Expiry needs no
epoch: periods are checked at the time of each request. Code that edits `consents` directly must
call `note_change`.

Who may grant (`may_grant`), the age rule:
- a student for themself when they are at least `KAKEHASHI_CONSENT_MIN_AGE` years old (default 15)
  on the day of the grant, by the `birthDate` of their OneRoster demographics record;
- a guardian (a roster user whose role is guardian, parent or relative, linked to the student by
  the `agents` of either user) for a student younger than `ADULT_AGE` (18, 成年年齢) or of unknown age;
- a student whose birthDate is unknown cannot consent alone: a guardian must (the conservative reading).
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app, has_app_context
from mongoengine import DateTimeField, Document, IntField, ListField, StringField

from gateway.errors import BadRequest, Conflict, NotFound
from gateway.resources import data_path

DEFAULT_MIN_AGE = 15
ADULT_AGE = 18
GRANTOR_ROLES = ("student", "guardian")
GUARDIAN_ROSTER_ROLES = ("guardian", "parent", "relative")
# Used until profiles/data-categories.yaml exists (the engine owns that file; it wins when present).
FALLBACK_PURPOSES = ("learning-support", "school-administration", "research")
FALLBACK_CATEGORIES = (
    "roster.identity",
    "roster.kana",
    "roster.contact",
    "roster.demographics",
    "roster.enrollment",
    "assessment.periodic-test",
    "assessment.mock-exam",
    "process.study-time",
    "process.achievement",
    "process.backtracking",
    "process.coaching-note",
    "process.learning-alert",
)
RECEIPT_SCHEMA = "ISO/IEC TS 27560:2023 (kakehashi consent receipt 1)"
MAX_PERIOD_DAYS = 3 * 366  # a consent longer than a school stage is a mistake, not a choice


class Consent(Document):
    """One consent of one subject to one recipient for one purpose (collection `consents`)."""

    id = StringField(primary_key=True)
    subject = StringField(required=True)  # student sourcedId (the PII principal)
    granted_by = StringField(required=True)  # sourcedId of the student or the guardian
    granted_by_role = StringField(required=True, choices=GRANTOR_ROLES)
    recipient_client_id = StringField(required=True)
    recipient_organisation = StringField()
    purpose = StringField(required=True)
    categories = ListField(StringField(), required=True)
    valid_from = DateTimeField(required=True)
    valid_until = DateTimeField(required=True)
    created_at = DateTimeField(required=True)
    # "electronic" (given through the gateway) or "paper" (a school/board recorded a signed form)
    collection_method = StringField(required=True, default="electronic")
    recorded_by = StringField()  # client id that recorded it
    # the subject's orgs (schools, and their parent boards) at grant time: which schools see it
    subject_organisations = ListField(StringField())
    revoked_at = DateTimeField()
    revoked_by = StringField()

    meta = {
        "collection": "consents",
        "auto_create_index": False,
        "indexes": [
            # active_consents: recipient + subjects (equalities; the period is checked in Python)
            ("recipient_client_id", "subject"),
            ("subject", "created_at"),
            ("subject_organisations", "created_at"),
            "granted_by",
        ],
    }


class ConsentEpoch(Document):
    """A recipient's consent epoch (collection `consent_epochs`, `_id` = recipient client id; the
    document `_id` LEASE_ID holds `lease_ms` instead, see _consent_tables)."""

    id = StringField(primary_key=True)
    epoch = IntField(required=True, default=0)

    meta = {"collection": "consent_epochs", "auto_create_index": False}


DOCUMENTS = (Consent, ConsentEpoch)
# A recipient with more consents than this is answered by a query per request instead of from memory.
CACHED_CONSENTS_MAX = 20_000
# How long a process answers from a recipient's consents read earlier (app config
# KAKEHASHI_CONSENT_LEASE_SECONDS); a withdrawal waits this long before it answers (see the module doc).
CONSENT_LEASE_SECONDS = 0.25
LEASE_ID = "(lease)"  # the consent_epochs document with the longest lease any process announced (lease_ms)
TABLES = "kakehashi.consent_tables"


@dataclass(frozen=True)
class ConsentView:
    """An active consent as the policy engine sees it."""

    id: str
    subject: str
    purpose: str
    categories: frozenset[str]
    valid_until: datetime


# ---------------------------------------------------------------------------------------- catalog


@lru_cache(maxsize=4)
def _catalog_file(path: str, mtime: float) -> tuple[frozenset[str], frozenset[str]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return _ids(data.get("purposes")), _ids(data.get("categories"))


def _ids(section) -> frozenset[str]:
    if isinstance(section, dict):
        return frozenset(str(key) for key in section)
    if isinstance(section, list):
        return frozenset(str(item["id"]) if isinstance(item, dict) else str(item) for item in section)
    return frozenset()


def catalog() -> tuple[frozenset[str], frozenset[str]]:
    """(purposes, categories) a consent may name: profiles/data-categories.yaml, else the fallback."""
    path = data_path("profiles", "data-categories.yaml")
    if path.is_file():
        purposes, categories = _catalog_file(str(path), path.stat().st_mtime)
        if purposes and categories:
            return purposes, categories
    return frozenset(FALLBACK_PURPOSES), frozenset(FALLBACK_CATEGORIES)


# ------------------------------------------------------------------------------------- age rule


def min_age() -> int:
    """KAKEHASHI_CONSENT_MIN_AGE from the app config (else the environment), default 15."""
    value = None
    try:
        from flask import current_app

        value = current_app.config.get("KAKEHASHI_CONSENT_MIN_AGE")
    except RuntimeError:  # outside an app context (CLI helpers, unit tests)
        pass
    if value in (None, ""):
        value = os.environ.get("KAKEHASHI_CONSENT_MIN_AGE") or DEFAULT_MIN_AGE
    return int(value)


def age_on(birth_date: str | date | None, day: date) -> int | None:
    """Full years on `day`, or None when the birth date is unknown or malformed."""
    if isinstance(birth_date, str):
        try:
            birth_date = date.fromisoformat(birth_date[:10])
        except ValueError:
            return None
    if not isinstance(birth_date, date):
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _birth_date(user: dict) -> str | None:
    if user.get("birthDate"):
        return user["birthDate"]
    from gateway.oneroster import store

    demographics = store.find_one("demographics", _sourced_id(user))
    return (demographics or {}).get("birthDate")


def _sourced_id(user: dict) -> str:
    return user.get("sourcedId") or user.get("_id") or ""


def _roster_roles(user: dict) -> set[str]:
    roles = {role.get("role") for role in user.get("roles") or () if isinstance(role, dict)}
    if user.get("role"):
        roles.add(user["role"])
    return roles


def _agent_ids(user: dict) -> set[str]:
    return {agent.get("sourcedId") for agent in user.get("agents") or () if isinstance(agent, dict)}


def is_guardian_of(actor_user: dict, subject_user: dict) -> bool:
    """The actor is a guardian/parent/relative linked to the subject through either user's `agents`."""
    if not _roster_roles(actor_user) & set(GUARDIAN_ROSTER_ROLES):
        return False
    actor_id, subject_id = _sourced_id(actor_user), _sourced_id(subject_user)
    return actor_id in _agent_ids(subject_user) or subject_id in _agent_ids(actor_user)


def grantor_role(actor_user: dict, subject_user: dict, today: date | None = None) -> str | None:
    """ "student" or "guardian" when the actor may consent for the subject (module docstring), else None."""
    today = today or datetime.now(UTC).date()
    age = age_on(_birth_date(subject_user), today)
    if _sourced_id(actor_user) == _sourced_id(subject_user):
        if "student" in _roster_roles(subject_user) and age is not None and age >= min_age():
            return "student"
        return None
    if is_guardian_of(actor_user, subject_user) and (age is None or age < ADULT_AGE):
        return "guardian"
    return None


def may_grant(actor_user: dict, subject_user: dict) -> bool:
    """Whether `actor_user` may consent for `subject_user` (both roster users, stored 1.2 shape)."""
    return grantor_role(actor_user, subject_user) is not None


# ---------------------------------------------------------------------------------- life cycle


def _utc(value: datetime | None, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise BadRequest(f"{field} must be a date-time", details={"field": field})
    if value.tzinfo is None:
        raise BadRequest(f"{field} must carry a time zone", details={"field": field})
    return value.astimezone(UTC).replace(microsecond=(value.microsecond // 1000) * 1000)


def organisations_of_user(user: dict) -> list[str]:
    """The orgs of a roster user's roles (and primaryOrg) and their parent orgs (a school's board)."""
    from gateway.oneroster import store

    direct = [
        role["org"].get("sourcedId") for role in user.get("roles") or () if isinstance(role.get("org"), dict)
    ]
    if isinstance(user.get("primaryOrg"), dict):
        direct.append(user["primaryOrg"].get("sourcedId"))
    found = [org for org in dict.fromkeys(direct) if org]
    for org_id in list(found):
        org = store.find_one("orgs", org_id) or {}
        parent = (org.get("parent") or {}).get("sourcedId") if isinstance(org.get("parent"), dict) else None
        if parent and parent not in found:
            found.append(parent)
    return found


def grant_consent(
    *,
    subject: str,
    granted_by: str,
    granted_by_role: str,
    recipient_client_id: str,
    purpose: str,
    categories: Iterable[str],
    valid_from: datetime,
    valid_until: datetime,
    recipient_organisation: str | None = None,
    collection_method: str = "electronic",
    recorded_by: str | None = None,
) -> dict:
    """Stores a consent and returns its receipt. Checks the form of the grant (purpose and categories
    from the catalog, a period that ends after it starts and not in the past); who may grant is the
    caller's check (`may_grant`), done where the actor is authenticated."""
    purposes, known_categories = catalog()
    for field, value in (
        ("subject", subject),
        ("granted_by", granted_by),
        ("recipient", recipient_client_id),
    ):
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(f"{field} must be a non-empty string", details={"field": field})
    if granted_by_role not in GRANTOR_ROLES:
        raise BadRequest(
            f"granted_by_role must be one of {', '.join(GRANTOR_ROLES)}", details={"field": "granted_by_role"}
        )
    if granted_by_role == "student" and granted_by != subject:
        raise BadRequest("a student grants consent for themself only", details={"field": "granted_by"})
    if purpose not in purposes:
        raise BadRequest(
            f"unknown purpose {purpose!r}; known: {', '.join(sorted(purposes))}", details={"field": "purpose"}
        )
    category_list = list(dict.fromkeys(categories))
    if not category_list:
        raise BadRequest("categories must name at least one data category", details={"field": "categories"})
    unknown = [category for category in category_list if category not in known_categories]
    if unknown:
        raise BadRequest(
            f"unknown data categor{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}",
            details={"field": "categories", "unknown": unknown},
        )
    if collection_method not in ("electronic", "paper"):
        raise BadRequest(
            "collection_method must be electronic or paper", details={"field": "collection_method"}
        )
    start, end = _utc(valid_from, "valid_from"), _utc(valid_until, "valid_until")
    now = datetime.now(UTC)
    if end <= start:
        raise BadRequest("valid_until must be after valid_from", details={"field": "valid_until"})
    if end <= now:
        raise BadRequest("valid_until is in the past", details={"field": "valid_until"})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise BadRequest(
            f"a consent may last at most {MAX_PERIOD_DAYS} days", details={"field": "valid_until"}
        )
    from gateway.oneroster import store

    subject_user = store.find_one("users", subject)
    consent = Consent(
        id=str(uuid.uuid4()),
        subject_organisations=organisations_of_user(subject_user) if subject_user else [],
        subject=subject,
        granted_by=granted_by,
        granted_by_role=granted_by_role,
        recipient_client_id=recipient_client_id,
        recipient_organisation=recipient_organisation,
        purpose=purpose,
        categories=category_list,
        valid_from=start,
        valid_until=end,
        created_at=now.replace(microsecond=(now.microsecond // 1000) * 1000),
        collection_method=collection_method,
        recorded_by=recorded_by,
    )
    consent.validate()
    Consent._get_collection().insert_one(consent.to_mongo().to_dict())
    note_change(recipient_client_id)
    return receipt(consent.to_mongo().to_dict())


def find_consent(consent_id: str) -> dict:
    """The stored consent (raw document), or NotFound."""
    document = Consent._get_collection().find_one({"_id": consent_id})
    if document is None:
        raise NotFound(f"no consent with id {consent_id!r}", details={"consent": consent_id})
    return document


def revoke_consent(consent_id: str, *, by: str) -> dict:
    """Revokes a consent now (idempotent for an already revoked one: Conflict names when and by whom).
    Returns the updated receipt."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=(now.microsecond // 1000) * 1000)
    collection = Consent._get_collection()
    result = collection.update_one(
        {"_id": consent_id, "revoked_at": None}, {"$set": {"revoked_at": now, "revoked_by": by}}
    )
    document = find_consent(consent_id)
    note_change(document["recipient_client_id"], withdrawn=result.modified_count > 0)
    if result.modified_count == 0:
        raise Conflict(
            f"consent {consent_id} was already revoked",
            code="consent_revoked",
            details={"consent": consent_id, "revoked_at": _iso(document.get("revoked_at"))},
        )
    return receipt(document)


def consent_status(document: dict, at: datetime | None = None) -> str:
    """ "active", "pending" (starts later), "expired" or "revoked" at `at` (default now)."""
    at = at or datetime.now(UTC)
    if document.get("revoked_at") is not None and document["revoked_at"] <= at:
        return "revoked"
    if document["valid_until"] <= at:
        return "expired"
    if document["valid_from"] > at:
        return "pending"
    return "active"


def consent_is_active(consent_id: str, at: datetime | None = None) -> bool:
    """Whether the consent exists, has started, has not expired and is not revoked (one read)."""
    document = Consent._get_collection().find_one(
        {"_id": consent_id}, {"valid_from": 1, "valid_until": 1, "revoked_at": 1}
    )
    return document is not None and consent_status(document, at) == "active"


def note_change(*recipient_client_ids: str, withdrawn: bool = False) -> None:
    """Raises the consent epoch of each recipient and forgets this process's tables of them. When
    consent was `withdrawn` (revoked, erased), waits out the longest lease any process announced:
    once this returns, no process answers from a table read before the change."""
    epochs = ConsentEpoch._get_collection()
    for recipient in dict.fromkeys(recipient_client_ids):
        epochs.update_one({"_id": recipient}, {"$inc": {"epoch": 1}}, upsert=True)
    tables = _consent_tables()
    if tables is not None:
        for recipient in recipient_client_ids:
            tables.pop(recipient, None)
    if withdrawn and recipient_client_ids:
        announced = epochs.find_one({"_id": LEASE_ID}, {"lease_ms": 1}) or {}
        time.sleep(max(_lease_seconds(), announced.get("lease_ms", 0) / 1000))


def _lease_seconds() -> float:
    if not has_app_context():
        return CONSENT_LEASE_SECONDS
    return float(current_app.config.get("KAKEHASHI_CONSENT_LEASE_SECONDS", CONSENT_LEASE_SECONDS))


_PROJECTION = {
    "subject": 1,
    "purpose": 1,
    "categories": 1,
    "valid_from": 1,
    "valid_until": 1,
    "revoked_at": 1,
}


def _consent_tables() -> dict | None:
    """This app's consent tables by recipient. The first use announces the app's lease (the longest
    announced is kept), so a withdrawal made by a process configured with a shorter one still waits
    out this one."""
    if not has_app_context():
        return None
    tables = current_app.extensions.get(TABLES)
    if tables is None:
        lease_ms = math.ceil(_lease_seconds() * 1000)
        ConsentEpoch._get_collection().update_one(
            {"_id": LEASE_ID}, {"$max": {"lease_ms": lease_ms}}, upsert=True
        )
        tables = current_app.extensions.setdefault(TABLES, {})
    return tables


@dataclass(frozen=True)
class _Table:
    epoch: int
    expires: float  # time.monotonic() at which the lease ends
    by_subject: dict[str, list[dict]] | None  # None: too many consents to keep in memory


def _recipient_consents(recipient_client_id: str) -> dict[str, list[dict]] | None:
    """The recipient's consents by subject, from memory within the lease (see the module doc); None
    when it has too many to keep in memory. The lease counts from before the epoch is read, and the
    epoch is read before the consents, so a table is never newer than the epoch it is filed under."""
    tables = _consent_tables()
    if tables is None:
        return None
    started = time.monotonic()
    cached = tables.get(recipient_client_id)
    if cached is not None and started < cached.expires:
        return cached.by_subject
    found = ConsentEpoch._get_collection().find_one({"_id": recipient_client_id}, {"epoch": 1})
    epoch = found["epoch"] if found else 0
    expires = started + _lease_seconds()
    if cached is not None and cached.epoch == epoch:
        tables[recipient_client_id] = _Table(epoch, expires, cached.by_subject)
        return cached.by_subject
    documents = list(
        Consent._get_collection()
        .find({"recipient_client_id": recipient_client_id}, _PROJECTION)
        .limit(CACHED_CONSENTS_MAX + 1)
    )
    table: dict[str, list[dict]] | None = None
    if len(documents) <= CACHED_CONSENTS_MAX:
        table = {}
        for document in documents:
            table.setdefault(document["subject"], []).append(document)
    tables[recipient_client_id] = _Table(epoch, expires, table)
    return table


def active_consents(
    recipient_client_id: str, subjects: Iterable[str], at: datetime | None = None
) -> dict[str, list[ConsentView]]:
    """The active consents to `recipient_client_id` of each subject; subjects without any are absent
    from the result."""
    wanted = list(dict.fromkeys(subjects))
    if not wanted:
        return {}
    at = at or datetime.now(UTC)
    table = _recipient_consents(recipient_client_id)
    if table is not None:
        documents = [document for subject in wanted for document in table.get(subject, ())]
    else:
        # Equalities only: the embedded store plans a range condition as a collection scan (12 ms vs
        # 170 ms for 100 subjects among 5,000 consents); the period and revocation are checked here.
        documents = Consent._get_collection().find(
            {
                "recipient_client_id": recipient_client_id,
                "subject": wanted[0] if len(wanted) == 1 else {"$in": wanted},
            },
            _PROJECTION,
        )
    found: dict[str, list[ConsentView]] = {}
    for document in documents:
        if consent_status(document, at) != "active":
            continue
        found.setdefault(document["subject"], []).append(
            ConsentView(
                id=document["_id"],
                subject=document["subject"],
                purpose=document["purpose"],
                categories=frozenset(document["categories"]),
                valid_until=document["valid_until"],
            )
        )
    return found


# ---------------------------------------------------------------------------------- queries


def list_consents(
    *,
    criteria: dict | None = None,
    subject: str | None = None,
    recipient_client_id: str | None = None,
    granted_by: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict]]:
    """(total, receipts) of the consents matching `criteria` (what the caller may see) and the
    filters, newest first."""
    query: dict = {}
    if subject is not None:
        query["subject"] = subject
    if recipient_client_id is not None:
        query["recipient_client_id"] = recipient_client_id
    if granted_by is not None:
        query["granted_by"] = granted_by
    now = datetime.now(UTC)
    if status == "active":
        query.update({"revoked_at": None, "valid_from": {"$lte": now}, "valid_until": {"$gt": now}})
    elif status == "revoked":
        query["revoked_at"] = {"$ne": None}
    elif status == "expired":
        query.update({"revoked_at": None, "valid_until": {"$lte": now}})
    elif status == "pending":
        query.update({"revoked_at": None, "valid_from": {"$gt": now}})
    if criteria:
        query = {"$and": [criteria, query]} if query else dict(criteria)
    collection = Consent._get_collection()
    total = collection.count_documents(query)
    documents = collection.find(query).sort([("created_at", -1), ("_id", 1)]).skip(offset).limit(limit)
    return total, [receipt(document) for document in documents]


def consents_of_subject(subject: str) -> list[dict]:
    """Every consent of a subject (raw documents), for export and erasure."""
    return list(Consent._get_collection().find({"subject": subject}).sort("created_at", 1))


# ---------------------------------------------------------------------------------- receipts


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _client_name(client_id: str) -> str | None:
    from gateway.auth.documents import ApiClient

    found = ApiClient._get_collection().find_one({"_id": client_id}, {"name": 1})
    return found.get("name") if found else None


def receipt(document: dict, at: datetime | None = None) -> dict:
    """The consent receipt: the ISO/IEC TS 27560 elements that apply, under the standard's element
    names and grouping (record header, PII processing, party identification, events), plus the
    current `consent_status` and a `kakehashi` block with the gateway's own field names. The
    mapping is in README "Consent, audit and data rights"."""
    status = consent_status(document, at)
    consent_id = document["_id"]
    validity = int((document["valid_until"] - document["valid_from"]).total_seconds())
    events = [
        {
            "event_time": _iso(document["created_at"]),
            "duration": validity,
            "valid_from": _iso(document["valid_from"]),
            "valid_until": _iso(document["valid_until"]),
            "entity_id": document["granted_by"],
            "entity_role": document["granted_by_role"],
            "type": "explicit",
            "state": "given",
        }
    ]
    if document.get("revoked_at") is not None:
        events.append(
            {
                "event_time": _iso(document["revoked_at"]),
                "duration": 0,
                "entity_id": document.get("revoked_by"),
                "type": "explicit",
                "state": "withdrawn",
            }
        )
    elif status == "expired":
        events.append({"event_time": _iso(document["valid_until"]), "duration": 0, "state": "expired"})
    from gateway.oneroster import store

    recipient = document["recipient_client_id"]
    # the controller is the subject's school, which holds the data the consent lets out (the
    # gateway processes it for the school); the recipient is the third party it goes to
    controller = next(iter(document.get("subject_organisations") or ()), None)
    controllers = [f"org:{controller}"] if controller else []
    parties = [
        {
            "party_id": f"recipient:{recipient}",
            "party_role": "Third Party",
            "party_name": _client_name(recipient),
            "client_id": recipient,
            "organisation": document.get("recipient_organisation"),
        }
    ]
    if controller:
        parties.append(
            {
                "party_id": f"org:{controller}",
                "party_role": "PII Controller",
                "party_name": store.organisation_name(controller),
                "organisation": controller,
            }
        )
    return {
        "record_header": {
            "schema_version": RECEIPT_SCHEMA,
            "record_id": consent_id,
            "pii_principal_id": document["subject"],
        },
        "pii_processing": {
            "language": "ja",
            "purposes": [
                {
                    "purpose": document["purpose"],
                    "purpose_type": "education",
                    "lawful_basis": "consent",
                    "pii_information": [{"pii_type": category} for category in document["categories"]],
                    "pii_controllers": controllers,
                    "collection_method": [
                        "recorded from a signed paper form"
                        if document.get("collection_method") == "paper"
                        else "given through the gateway"
                    ],
                    "processing_method": ["disclose"],
                    "jurisdiction": "JP",
                    "recipient_third_parties": [f"recipient:{recipient}"],
                    "withdrawal_method": f"POST /consents/{consent_id}/revoke (or DELETE /consents/{consent_id})",
                    "privacy_rights_reference": ["GET /me/export", "POST /me/erase", "GET /me/audit"],
                }
            ],
        },
        "party_identification": parties,
        "event": events,
        "consent_status": status,
        "kakehashi": {
            "id": consent_id,
            "subject": document["subject"],
            "granted_by": document["granted_by"],
            "granted_by_role": document["granted_by_role"],
            "recipient_client_id": recipient,
            "recipient_organisation": document.get("recipient_organisation"),
            "purpose": document["purpose"],
            "categories": list(document["categories"]),
            "valid_from": _iso(document["valid_from"]),
            "valid_until": _iso(document["valid_until"]),
            "created_at": _iso(document["created_at"]),
            "collection_method": document.get("collection_method", "electronic"),
            "recorded_by": document.get("recorded_by"),
            "revoked_at": _iso(document.get("revoked_at")),
            "revoked_by": document.get("revoked_by"),
        },
    }
