"""Stored clients, OAuth2 tokens and authorization codes, and resource owners' gateway passwords."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, Document, IntField, ListField, StringField

ROLES = ("school", "board", "provider", "third_party", "student_app")
GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")
# RFC 7591 §2 token_endpoint_auth_method values the gateway supports; "none" marks a public client.
PROFILE_MODES = ("lenient", "strict")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


class ApiClient(Document):
    """A registered API client: a system acting for one organisation in one role."""

    client_id = StringField(primary_key=True)
    secret_hash = StringField()  # None for a public client (token_endpoint_auth_method "none")
    name = StringField(required=True, max_length=200)
    role = StringField(required=True, choices=ROLES)
    scopes = ListField(StringField(), required=True)
    organisation = StringField()
    created_at = DateTimeField(required=True)
    disabled = BooleanField(default=False)
    # The xAPI version of the client's latest request that named one: what the LRS declares when a
    # request of this client names none (gateway.lrs.versions).
    last_xapi_version = StringField()
    # How the LRS checks this client's statements that declare the Kakehashi xAPI profile
    # (gateway.xapi_profile.ingest): "strict" rejects one that breaks its template, "lenient" stores
    # it with a warning header.
    profile_mode = StringField(choices=PROFILE_MODES, default="lenient")
    # OAuth2 registration (RFC 7591 names). Clients registered before OAuth2 have none stored:
    # they are confidential clients allowed client_credentials (see OAuthClient).
    grant_types = ListField(StringField(choices=GRANT_TYPES))
    redirect_uris = ListField(StringField())
    token_endpoint_auth_method = StringField(choices=AUTH_METHODS)
    purpose = StringField()  # what the consent page says the data is for (catalog purpose id)

    meta = {"collection": "api_clients", "auto_create_index": False, "indexes": ["name"]}


class OAuthToken(Document):
    """An issued access token (and its refresh token), stored only as SHA-256 digests."""

    id = StringField(primary_key=True)  # token id, shown in introspection as `jti`
    access_token_hash = StringField(required=True, unique=True)
    refresh_token_hash = StringField(unique=True, sparse=True)
    client_id = StringField(required=True)
    grant_type = StringField(required=True, choices=GRANT_TYPES)
    scope = StringField(required=True)
    subject = StringField()  # roster sourcedId the token acts for (authorization_code)
    actor = StringField()  # roster sourcedId of who authorised (the student or a guardian)
    consent_id = StringField()
    issued_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
    refresh_expires_at = DateTimeField()
    revoked_at = DateTimeField()

    meta = {
        "collection": "oauth_tokens",
        "auto_create_index": False,
        "indexes": ["client_id", "consent_id"],
    }


class AuthorizationCode(Document):
    """A one-time authorization code (RFC 6749 §4.1.2), stored as a SHA-256 digest."""

    code_hash = StringField(primary_key=True)
    client_id = StringField(required=True)
    redirect_uri = StringField()  # as the authorization request named it (None: the registered one)
    scope = StringField(required=True)
    subject = StringField(required=True)
    actor = StringField(required=True)
    consent_id = StringField(required=True)
    code_challenge = StringField(required=True)
    code_challenge_method = StringField(required=True, choices=("S256",))
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()  # a second use revokes what the first one issued (RFC 6749 §4.1.2)

    meta = {"collection": "oauth_authorization_codes", "auto_create_index": False}


class OwnerPassword(Document):
    """A roster user's gateway-local password (scrypt), for the authorization endpoint's login.

    A deployment replaces this login by its SSO (学習eポータル / OIDC)."""

    user_sourced_id = StringField(primary_key=True)
    username = StringField(required=True, unique=True)
    password_hash = StringField(required=True)
    updated_at = DateTimeField(required=True)
    failed_logins = IntField(default=0)  # consecutive failures, for the lockout (gateway.auth.owners)
    locked_until = DateTimeField()

    meta = {"collection": "oauth_owner_passwords", "auto_create_index": False}


DOCUMENTS = (ApiClient, OAuthToken, AuthorizationCode, OwnerPassword)
