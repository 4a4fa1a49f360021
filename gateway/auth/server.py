"""The OAuth2 authorization server (authlib): grants, PKCE (S256 only), introspection, revocation.

Built per app (`init_oauth`, kept in `app.extensions["kakehashi.oauth"]`): grants registered on a
module-level server would be registered again for every app built."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError, UnsupportedTokenTypeError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask

from gateway.auth import tokens
from gateway.auth.documents import ApiClient, OAuthToken
from gateway.auth.scopes import KNOWN_SCOPES

CONFIDENTIAL_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
ALL_AUTH_METHODS = [*CONFIDENTIAL_AUTH_METHODS, "none"]


class OAuthClient(ClientMixin):
    """authlib's view of a registered ApiClient."""

    def __init__(self, document: ApiClient):
        self.document = document
        self.client_id = document.client_id

    @property
    def auth_method(self) -> str:
        return self.document.token_endpoint_auth_method or "client_secret_basic"

    @property
    def grant_types(self) -> list[str]:
        # Clients registered before OAuth2 existed: confidential, client_credentials.
        return list(self.document.grant_types or ["client_credentials"])

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        uris = self.document.redirect_uris or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope):
        held = set(self.document.scopes)
        if not scope:
            return " ".join(sorted(held))  # RFC 6749 §3.3: the default is what the client holds
        wanted = scope.split()
        return " ".join(wanted) if set(wanted) <= held else None

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in (self.document.redirect_uris or [])

    def check_client_secret(self, client_secret):
        from gateway.auth.secrets import verify_secret

        return bool(self.document.secret_hash) and verify_secret(client_secret, self.document.secret_hash)

    def check_endpoint_auth_method(self, method, endpoint):
        if self.auth_method == "none":
            return method == "none"
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type):
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


class TokenHandle:
    """An OAuthToken as the access token or as the refresh token that was presented."""

    def __init__(self, document: OAuthToken, kind: str):
        self.document, self.kind = document, kind

    def check_client(self, client):
        return self.document.client_id == client.get_client_id()

    def get_scope(self):
        return self.document.scope

    def state(self) -> str:
        if self.kind == "refresh_token":
            return tokens.refresh_token_state(self.document)
        return tokens.access_token_state(self.document)

    def is_expired(self):
        return self.state() == "expired"

    def is_revoked(self):
        return self.state() != "active"


class AuthorizationCodeHandle:
    def __init__(self, document):
        self.document = document

    def get_redirect_uri(self):
        return self.document.redirect_uri

    def get_scope(self):
        return self.document.scope


def _owner_of(document) -> tokens.ResourceOwner | None:
    if document.subject is None:
        return None
    return tokens.ResourceOwner(document.subject, document.actor, document.consent_id)


class _ClientScopes:
    """Requested scopes must be known and held by the client: invalid_scope otherwise."""

    def validate_requested_scope(self):
        super().validate_requested_scope()
        scope, client = self.request.payload.scope, self.request.client
        if scope and client is not None and client.get_allowed_scope(scope) is None:
            raise InvalidScopeError(description="the client is not registered for some requested scope")


class ClientCredentialsGrant(_ClientScopes, grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS


class AuthorizationCodeGrant(_ClientScopes, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def save_authorization_code(self, code, request):
        data = request.payload.data
        tokens.save_code(
            code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            owner=request.user,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
        )

    def query_authorization_code(self, code, client):
        document = tokens.find_code(code, client.get_client_id())
        if document is None or tokens.code_is_expired(document):
            return None
        if not tokens.use_code(document):
            # A replayed code: deny, and revoke what the first use issued (RFC 6749 §4.1.2).
            tokens.revoke_issued_from_consent_code(document)
            return None
        return AuthorizationCodeHandle(document)

    def delete_authorization_code(self, authorization_code):
        pass  # kept, marked used, so that a replay is recognised (query_authorization_code)

    def authenticate_user(self, authorization_code):
        return _owner_of(authorization_code.document)


class RefreshTokenGrant(_ClientScopes, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token):
        document = tokens.find_by_refresh_token(refresh_token)
        state = tokens.refresh_token_state(document)
        if state == "revoked" and document.consent_id:
            # A rotated-out refresh token used again: treat the family as stolen (RFC 9700 §4.14.2).
            tokens.revoke_issued_from_consent_code(document)
        return TokenHandle(document, "refresh_token") if state == "active" else None

    def authenticate_user(self, refresh_token):
        return _owner_of(refresh_token.document)

    def revoke_old_credential(self, refresh_token):
        tokens.revoke(refresh_token.document)


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only: a missing challenge, `plain`, or no method named are refused."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: code_challenge is missing")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 (plain is not accepted)")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.document.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.document.code_challenge_method


class UnsupportedTokenType(UnsupportedTokenTypeError):
    status_code = 400  # RFC 7009 §2.2.1: an error response of RFC 6749 §5.2 (authlib says 401)


def _query_token(token_string, token_type_hint):
    # The hint only orders the look-ups (RFC 7009 §2.1, RFC 7662 §2.1).
    order = (
        ("refresh_token", "access_token")
        if token_type_hint == "refresh_token"
        else ("access_token", "refresh_token")
    )
    for kind in order:
        finder = tokens.find_by_refresh_token if kind == "refresh_token" else tokens.find_by_access_token
        document = finder(token_string)
        if document is not None:
            return TokenHandle(document, kind)
    return None


class GatewayIntrospectionEndpoint(IntrospectionEndpoint):
    """RFC 7662. A client introspects the tokens issued to it; any other token is `active: false`."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def check_params(self, request, client):
        # RFC 7662 §2.1: the hint only helps; an unknown hint means searching every token type.
        if "token" not in request.form:
            raise InvalidRequestError("the token parameter is required")

    def query_token(self, token_string, token_type_hint):
        return _query_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        return token.check_client(client)

    def create_introspection_payload(self, token):
        if token is None or token.state() != "active":
            return {"active": False}
        return self.introspect_token(token)

    def introspect_token(self, token):
        document = token.document
        expires = document.refresh_expires_at if token.kind == "refresh_token" else document.expires_at
        payload = {
            "active": True,
            "scope": document.scope,
            "client_id": document.client_id,
            "exp": int(tokens._aware(expires).timestamp()),
            "iat": int(tokens._aware(document.issued_at).timestamp()),
            "jti": document.id,
            "iss": self.server.issuer,
        }
        if token.kind != "refresh_token":
            # RFC 7662 §2.2: a token type of RFC 6749 §7.1; a refresh token has none (RFC 6749 §1.5)
            payload["token_type"] = "Bearer"
        if document.subject:
            payload["sub"] = document.subject
            payload["act"] = {"sub": document.actor}  # RFC 8693 §4.1: who acts for the subject
            payload["consent_id"] = document.consent_id
        return payload


class GatewayRevocationEndpoint(RevocationEndpoint):
    """RFC 7009; public clients revoke their own tokens too (client authentication `none`)."""

    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS

    def check_params(self, request, client):
        if "token" not in request.form:
            raise InvalidRequestError("the token parameter is required")
        hint = request.form.get("token_type_hint")
        if hint and hint not in self.SUPPORTED_TOKEN_TYPES:
            raise UnsupportedTokenType(
                f"token_type_hint must be one of {', '.join(self.SUPPORTED_TOKEN_TYPES)}"
            )

    def query_token(self, token_string, token_type_hint):
        return _query_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        tokens.revoke(token.document)


def _query_client(client_id):
    document = ApiClient.objects(client_id=client_id).first()
    if document is None or document.disabled:
        return None
    return OAuthClient(document)


def _save_token(token, request):
    tokens.store_token(
        token,
        client_id=request.client.get_client_id(),
        grant_type=request.payload.grant_type,
        owner=request.user if isinstance(request.user, tokens.ResourceOwner) else None,
    )


class GatewayAuthorizationServer(AuthorizationServer):
    issuer: str = ""


def init_oauth(app: Flask) -> GatewayAuthorizationServer:
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    # The login/consent pages' session cookie: not sent on cross-site posts (CSRF defence in depth).
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN",
        {
            "client_credentials": tokens.ACCESS_TOKEN_SECONDS,
            "authorization_code": tokens.ACCESS_TOKEN_SECONDS,
            "refresh_token": tokens.ACCESS_TOKEN_SECONDS,
        },
    )
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", sorted(KNOWN_SCOPES))
    server = GatewayAuthorizationServer()
    server.init_app(app, query_client=_query_client, save_token=_save_token)
    server.issuer = app.config["KAKEHASHI_PUBLIC_URL"].rstrip("/")
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(GatewayIntrospectionEndpoint)
    server.register_endpoint(GatewayRevocationEndpoint)
    app.extensions["kakehashi.oauth"] = server
    return server
