"""The client registry: registering clients and checking their credentials."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app, has_app_context

from gateway.auth.documents import GRANT_TYPES, PROFILE_MODES, ROLES, ApiClient
from gateway.auth.scopes import grants, parse_scopes
from gateway.auth.secrets import hash_secret, new_client_id, new_secret, verify_secret
from gateway.errors import BadRequest, NotFound

# HTTP Basic credentials accepted within the last few seconds, per app (app.extensions):
# (client id, secret digest) → (accepted at, Principal). Every statement batch would otherwise read
# the client first. A client disabled, deleted, narrowed or given a new secret in the database
# is refused (or narrowed) within CLIENT_CACHE_SECONDS (app config KAKEHASHI_CLIENT_CACHE_SECONDS,
# 0 = no cache); changes made through this module take effect at once in this process.
CLIENT_CACHE = "kakehashi.accepted_clients"
CLIENT_CACHE_SECONDS = 5.0
CLIENT_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Principal:
    """Who is calling: an authenticated client and the scopes this request may use."""

    client_id: str
    name: str
    role: str
    scopes: frozenset[str]
    last_xapi_version: str | None = None  # see ApiClient.last_xapi_version
    organisation: str | None = None  # roster org sourcedId of the client's organisation
    subject: str | None = None  # roster user a token acts for (authorization_code), else None
    actor: str | None = None  # roster user who authorised it (the student or a guardian)
    consent_id: str | None = None  # consent the token was issued under (authorization_code)
    token_id: str | None = None  # the OAuth2 token's id; None for HTTP Basic
    profile_mode: str = "lenient"  # see ApiClient.profile_mode

    def may(self, scope: str) -> bool:
        return grants(self.scopes, scope)


@dataclass(frozen=True)
class IssuedCredentials:
    client_id: str
    client_secret: str | None  # None for a public client


def _check_redirect_uri(uri: str) -> str:
    """RFC 6749 §3.1.2: absolute, no fragment; https, or http on a loopback host (RFC 8252 §7.3),
    or a private-use scheme of a native app (RFC 8252 §7.1, e.g. jp.example.app:/callback)."""
    parts = urlsplit(uri)
    problem = None
    if not parts.scheme:
        problem = "must be an absolute URI"
    elif parts.fragment or "#" in uri:
        problem = "must not contain a fragment"
    elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        problem = "must use https (http only on a loopback address)"
    elif parts.scheme in ("http", "https") and not parts.hostname:
        problem = "must name a host"
    if problem:
        raise BadRequest(f"redirect URI {uri!r} {problem}", details={"field": "redirect_uri"})
    return uri


def _check_oauth_registration(
    role: str, grant_types: list[str], redirect_uris: list[str], purpose: str | None, public: bool
) -> None:
    unknown = [grant for grant in grant_types if grant not in GRANT_TYPES]
    if unknown or not grant_types:
        raise BadRequest(
            f"grant types must be among {', '.join(GRANT_TYPES)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            details={"field": "grant"},
        )
    code_flow = "authorization_code" in grant_types
    if "refresh_token" in grant_types and not code_flow:
        raise BadRequest("refresh_token is only issued with authorization_code", details={"field": "grant"})
    if code_flow and not redirect_uris:
        raise BadRequest(
            "authorization_code needs at least one redirect URI", details={"field": "redirect_uri"}
        )
    if redirect_uris and not code_flow:
        raise BadRequest(
            "redirect URIs are only used by authorization_code", details={"field": "redirect_uri"}
        )
    for uri in redirect_uris:
        _check_redirect_uri(uri)
    if code_flow:
        from gateway.policy.consent import catalog

        purposes = catalog()[0]
        if purpose not in purposes:
            raise BadRequest(
                f"authorization_code needs the purpose the data is for, one of {', '.join(sorted(purposes))}",
                details={"field": "purpose"},
            )
    elif purpose is not None:
        raise BadRequest(
            "a purpose is only shown on the consent page of authorization_code", details={"field": "purpose"}
        )
    if public and "client_credentials" in grant_types:
        # RFC 6749 §4.4: client_credentials MUST only be used by confidential clients.
        raise BadRequest("a public client cannot use client_credentials", details={"field": "grant"})
    if public and role != "student_app":
        raise BadRequest("only a student_app may be a public client (no secret)", details={"field": "public"})


def register_client(
    name: str,
    role: str,
    scopes: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    organisation: str | None = None,
    grant_types: list[str] | tuple[str, ...] = ("client_credentials",),
    redirect_uris: list[str] | tuple[str, ...] = (),
    purpose: str | None = None,
    public: bool = False,
) -> IssuedCredentials:
    """Registers a client and returns its secret, which is never stored or shown again.
    `client_id`/`client_secret` are only passed by the demo seed, for printable demo credentials.
    A public client (a student app that cannot keep a secret) gets no secret and must use PKCE."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}", details={"field": "role"})
    if not name.strip():
        raise BadRequest("name must not be empty", details={"field": "name"})
    try:
        scope_set = parse_scopes(scopes)
    except ValueError as error:
        raise BadRequest(str(error), details={"field": "scope"}) from None
    grant_types, redirect_uris = list(dict.fromkeys(grant_types)), list(dict.fromkeys(redirect_uris))
    _check_oauth_registration(role, grant_types, redirect_uris, purpose, public)
    secret = None if public else client_secret or new_secret()
    client = ApiClient(
        client_id=client_id or new_client_id(),
        secret_hash=None if public else hash_secret(secret),
        grant_types=grant_types,
        redirect_uris=redirect_uris,
        purpose=purpose,
        token_endpoint_auth_method="none" if public else "client_secret_basic",
        name=name.strip(),
        role=role,
        scopes=sorted(scope_set),
        organisation=organisation,
        created_at=datetime.now(UTC),
    )
    client.save(force_insert=client_id is None)
    _forget_client(client.client_id)
    return IssuedCredentials(client.client_id, secret)


def _client_cache() -> tuple[dict, float]:
    if not has_app_context():
        return {}, 0.0
    seconds = current_app.config.get("KAKEHASHI_CLIENT_CACHE_SECONDS", CLIENT_CACHE_SECONDS)
    return current_app.extensions.setdefault(CLIENT_CACHE, {}), seconds


def _forget_client(client_id: str) -> None:
    cache, _ = _client_cache()
    for key in [key for key in list(cache) if key[0] == client_id]:
        cache.pop(key, None)


def authenticate_client(client_id: str, secret: str) -> Principal | None:
    """The principal for valid, enabled credentials; None otherwise (never says which part failed)."""
    cache, seconds = _client_cache()
    key = (client_id, hash_secret(secret))
    accepted = cache.get(key)
    if accepted is not None and time.monotonic() - accepted[0] < seconds:
        return accepted[1]
    client = ApiClient.objects(client_id=client_id).first()
    if client is None or client.disabled or not client.secret_hash:
        return None
    if not verify_secret(secret, client.secret_hash):
        return None
    principal = Principal(
        client.client_id,
        client.name,
        client.role,
        frozenset(client.scopes),
        client.last_xapi_version,
        organisation=client.organisation,
        profile_mode=client.profile_mode or "lenient",
    )
    if seconds > 0:
        if len(cache) >= CLIENT_CACHE_SIZE:
            cache.clear()
        cache[key] = (time.monotonic(), principal)
    return principal


def set_profile_mode(client_id: str, mode: str) -> None:
    """Sets how the LRS checks the client's statements that declare the Kakehashi profile."""
    if mode not in PROFILE_MODES:
        raise BadRequest(f"profile mode must be one of {', '.join(PROFILE_MODES)}", details={"field": "mode"})
    if not ApiClient.objects(client_id=client_id).update_one(set__profile_mode=mode):
        raise NotFound(f"no client with id {client_id!r}", details={"client_id": client_id})
    _forget_client(client_id)


def remember_xapi_version(principal: Principal, version: str) -> None:
    """Records the xAPI version a client's request named; written only when it changes."""
    if principal.last_xapi_version != version:
        ApiClient.objects(client_id=principal.client_id).update_one(set__last_xapi_version=version)
        if principal.token_id is None:  # the cached principals of these credentials know it now
            cache, _ = _client_cache()
            for key, (accepted_at, cached) in list(cache.items()):
                if key[0] == principal.client_id:
                    cache[key] = (accepted_at, dataclasses.replace(cached, last_xapi_version=version))


def authenticate_bearer(access_token: str) -> Principal | None:
    """The principal for an active OAuth2 access token; None when it is unknown, expired, revoked,
    issued to a disabled client, or bound to a consent that is no longer active."""
    from gateway.auth import tokens

    document = tokens.find_by_access_token(access_token)
    if document is None or document.revoked_at is not None:
        return None
    at = tokens.now()
    if tokens._aware(document.expires_at) <= at:
        return None
    client = ApiClient.objects(client_id=document.client_id).first()
    if client is None or client.disabled:
        return None
    if document.consent_id is not None:
        from gateway.policy.consent import consent_is_active

        if not consent_is_active(document.consent_id, at):
            return None
    # What the token was granted, within what the client holds now (a narrowed client narrows its tokens).
    scopes = frozenset(document.scope.split()) & frozenset(client.scopes)
    return Principal(
        client.client_id,
        client.name,
        client.role,
        scopes,
        client.last_xapi_version,
        organisation=client.organisation,
        profile_mode=client.profile_mode or "lenient",
        subject=document.subject,
        actor=document.actor,
        consent_id=document.consent_id,
        token_id=document.id,
    )
