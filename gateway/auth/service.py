"""The client registry: registering clients and checking their credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.auth.documents import ROLES, ApiClient
from gateway.auth.scopes import grants, parse_scopes
from gateway.auth.secrets import hash_secret, new_client_id, new_secret, verify_secret
from gateway.errors import BadRequest


@dataclass(frozen=True)
class Principal:
    """Who is calling: an authenticated client and the scopes this request may use."""

    client_id: str
    name: str
    role: str
    scopes: frozenset[str]
    last_xapi_version: str | None = None  # see ApiClient.last_xapi_version

    def may(self, scope: str) -> bool:
        return grants(self.scopes, scope)


@dataclass(frozen=True)
class IssuedCredentials:
    client_id: str
    client_secret: str


def register_client(
    name: str,
    role: str,
    scopes: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    organisation: str | None = None,
) -> IssuedCredentials:
    """Registers a client and returns its secret, which is never stored or shown again.
    `client_id`/`client_secret` are only passed by the demo seed, for printable demo credentials."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}", details={"field": "role"})
    if not name.strip():
        raise BadRequest("name must not be empty", details={"field": "name"})
    try:
        scope_set = parse_scopes(scopes)
    except ValueError as error:
        raise BadRequest(str(error), details={"field": "scope"}) from None
    secret = client_secret or new_secret()
    client = ApiClient(
        client_id=client_id or new_client_id(),
        secret_hash=hash_secret(secret),
        name=name.strip(),
        role=role,
        scopes=sorted(scope_set),
        organisation=organisation,
        created_at=datetime.now(UTC),
    )
    client.save(force_insert=client_id is None)
    return IssuedCredentials(client.client_id, secret)


def authenticate_client(client_id: str, secret: str) -> Principal | None:
    """The principal for valid, enabled credentials; None otherwise (never says which part failed)."""
    client = ApiClient.objects(client_id=client_id).first()
    if client is None or client.disabled or not verify_secret(secret, client.secret_hash):
        return None
    return Principal(
        client.client_id, client.name, client.role, frozenset(client.scopes), client.last_xapi_version
    )


def remember_xapi_version(principal: Principal, version: str) -> None:
    """Records the xAPI version a client's request named; written only when it changes."""
    if principal.last_xapi_version != version:
        ApiClient.objects(client_id=principal.client_id).update_one(set__last_xapi_version=version)
