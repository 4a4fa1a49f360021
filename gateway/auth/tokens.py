"""OAuth2 access/refresh tokens and authorization codes: storage (SHA-256 digests only) and state."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.auth.documents import ApiClient, AuthorizationCode, OAuthToken

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_DAYS = 30
CODE_SECONDS = 60  # RFC 6749 §4.1.2 recommends at most 10 minutes


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # Stored datetimes come back naive (UTC).
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class ResourceOwner:
    """Who a code or token acts for (the student) and who authorised it (the student or a guardian)."""

    subject: str
    actor: str
    consent_id: str

    def get_user_id(self) -> str:
        return self.subject


def store_token(token: dict, *, client_id: str, grant_type: str, owner: ResourceOwner | None) -> None:
    """Stores what authlib issued (`token`: access_token, expires_in, scope, refresh_token?)."""
    issued = now()
    document = OAuthToken(
        id=secrets.token_hex(12),
        access_token_hash=digest(token["access_token"]),
        refresh_token_hash=digest(token["refresh_token"]) if token.get("refresh_token") else None,
        client_id=client_id,
        grant_type=grant_type,
        scope=token.get("scope") or "",
        subject=owner.subject if owner else None,
        actor=owner.actor if owner else None,
        consent_id=owner.consent_id if owner else None,
        issued_at=issued,
        expires_at=issued + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=issued + timedelta(days=REFRESH_TOKEN_DAYS)
        if token.get("refresh_token")
        else None,
    )
    document.validate()
    OAuthToken._get_collection().insert_one(document.to_mongo().to_dict())


def find_by_access_token(token: str) -> OAuthToken | None:
    return OAuthToken.objects(access_token_hash=digest(token)).first()


def find_by_refresh_token(token: str) -> OAuthToken | None:
    return OAuthToken.objects(refresh_token_hash=digest(token)).first()


def revoke(document: OAuthToken) -> None:
    """Revokes the token: its access token and its refresh token (RFC 7009 §2.1 allows both)."""
    OAuthToken.objects(id=document.id, revoked_at=None).update_one(set__revoked_at=now())
    document.revoked_at = document.revoked_at or now()


def revoke_issued_from_consent_code(code: AuthorizationCode) -> None:
    """A code used twice: revoke every token issued under its consent to that client (RFC 6749 §4.1.2)."""
    OAuthToken.objects(client_id=code.client_id, consent_id=code.consent_id, revoked_at=None).update(
        set__revoked_at=now()
    )


def access_token_state(document: OAuthToken | None, at: datetime | None = None) -> str:
    """ "active", or why not: "unknown", "revoked", "expired", "consent_inactive", "client_disabled"."""
    at = at or now()
    if document is None:
        return "unknown"
    if document.revoked_at is not None:
        return "revoked"
    if _aware(document.expires_at) <= at:
        return "expired"
    return _binding_state(document, at)


def refresh_token_state(document: OAuthToken | None, at: datetime | None = None) -> str:
    at = at or now()
    if document is None or document.refresh_token_hash is None:
        return "unknown"
    if document.revoked_at is not None:
        return "revoked"
    if _aware(document.refresh_expires_at) <= at:
        return "expired"
    return _binding_state(document, at)


def _binding_state(document: OAuthToken, at: datetime) -> str:
    if document.consent_id is not None:
        from gateway.policy.consent import consent_is_active

        if not consent_is_active(document.consent_id, at):
            return "consent_inactive"
    client = ApiClient.objects(client_id=document.client_id).only("disabled").first()
    if client is None or client.disabled:
        return "client_disabled"
    return "active"


def save_code(
    code: str,
    *,
    client_id: str,
    redirect_uri: str,
    scope: str,
    owner: ResourceOwner,
    code_challenge: str,
    code_challenge_method: str,
) -> None:
    AuthorizationCode(
        code_hash=digest(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        subject=owner.subject,
        actor=owner.actor,
        consent_id=owner.consent_id,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        expires_at=now() + timedelta(seconds=CODE_SECONDS),
    ).save(force_insert=True)


def find_code(code: str, client_id: str) -> AuthorizationCode | None:
    return AuthorizationCode.objects(code_hash=digest(code), client_id=client_id).first()


def use_code(code: AuthorizationCode) -> bool:
    """Marks the code used; False when it already was (a replay), atomically."""
    return bool(
        AuthorizationCode.objects(code_hash=code.code_hash, used_at=None).update_one(set__used_at=now())
    )


def code_is_expired(code: AuthorizationCode) -> bool:
    return _aware(code.expires_at) <= now()


# How long expired or revoked tokens and codes are kept before `kakehashi tokens purge` removes them.
PURGE_GRACE_DAYS = 7


@dataclass(frozen=True)
class PurgeReport:
    tokens: int  # token records (an access token, and its refresh token if it had one)
    refresh_tokens: int  # of which carried a refresh token
    codes: int
    kept_for_replay_detection: int  # dead tokens and codes kept: their family still has a live token


def purge_dead_tokens(grace: timedelta = timedelta(days=PURGE_GRACE_DAYS), *, dry_run: bool = False,
                      at: datetime | None = None) -> PurgeReport:  # fmt: skip
    """Removes access/refresh tokens and authorization codes that expired, or were revoked, more
    than `grace` ago. A token family (the tokens of one consent to one client: one authorization
    and its refresh rotations) keeps its dead tokens and codes while any token of it is live, so a
    rotated-out refresh token or a used code presented again is still recognised and revokes the
    family (RFC 9700 §4.14.2, RFC 6749 §4.1.2)."""
    at = at or now()
    cutoff = at - grace
    tokens, codes = OAuthToken._get_collection(), AuthorizationCode._get_collection()
    live_families = {
        (row["client_id"], row["consent_id"])
        for row in tokens.find(
            {
                "consent_id": {"$ne": None},
                "revoked_at": None,
                "$or": [{"expires_at": {"$gt": at}}, {"refresh_expires_at": {"$gt": at}}],
            },
            {"client_id": 1, "consent_id": 1},
        )
    }
    dead_tokens = tokens.find(
        {
            "$or": [
                {"revoked_at": {"$lt": cutoff}},
                {
                    "revoked_at": None,
                    "expires_at": {"$lt": cutoff},
                    "$or": [{"refresh_expires_at": None}, {"refresh_expires_at": {"$lt": cutoff}}],
                },
            ]
        },
        {"client_id": 1, "consent_id": 1, "refresh_token_hash": 1},
    )
    dead_codes = codes.find({"expires_at": {"$lt": cutoff}}, {"client_id": 1, "consent_id": 1})
    kept = 0
    token_ids, refresh, code_ids = [], 0, []
    for row in dead_tokens:
        if row.get("consent_id") is not None and (row["client_id"], row["consent_id"]) in live_families:
            kept += 1
            continue
        token_ids.append(row["_id"])
        refresh += row.get("refresh_token_hash") is not None
    for row in dead_codes:
        if (row.get("client_id"), row.get("consent_id")) in live_families:
            kept += 1
            continue
        code_ids.append(row["_id"])
    if not dry_run:
        for start in range(0, len(token_ids), 1000):
            tokens.delete_many({"_id": {"$in": token_ids[start : start + 1000]}})
        for start in range(0, len(code_ids), 1000):
            codes.delete_many({"_id": {"$in": code_ids[start : start + 1000]}})
    return PurgeReport(len(token_ids), refresh, len(code_ids), kept)
