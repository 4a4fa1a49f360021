"""Reading the caller's credentials from an HTTP request: OAuth2 Bearer tokens and HTTP Basic."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from werkzeug.datastructures import Authorization

from gateway.auth.service import Principal, authenticate_bearer, authenticate_client
from gateway.errors import GatewayError, Unauthorized

XAPI_REALM = "Kakehashi xAPI"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def authenticate_request(realm: str = XAPI_REALM) -> Principal:
    """The principal for the request's Bearer token (RFC 6750) or HTTP Basic client credentials
    (kept for the xAPI conformance suite), stored on `g.principal`; else 401 with the challenges.
    With KAKEHASHI_BASIC_AUTH=xapi, HTTP Basic is accepted on the xAPI (XAPI_REALM) only."""
    basic = _basic_accepted(realm)
    credentials = _authorization(realm)
    if credentials is not None and credentials.type == "bearer":
        principal = authenticate_bearer(credentials.token or "")
        if principal is None:
            raise Unauthorized(
                "invalid access token: unknown, expired or revoked, or its consent is no longer active",
                code="invalid_token",
                headers=_challenges(
                    realm,
                    ', error="invalid_token", error_description="The access token is invalid, expired or revoked"',
                ),
            )
    elif credentials is not None and credentials.type == "basic" and basic:
        principal = authenticate_client(credentials.username or "", credentials.password or "")
        if principal is None:
            raise Unauthorized("invalid client credentials", headers=_challenges(realm))
    elif basic:
        raise Unauthorized(
            "authentication required: an OAuth2 Bearer token or HTTP Basic client credentials",
            headers=_challenges(realm),
        )
    else:
        raise Unauthorized(
            "authentication required: an OAuth2 Bearer token (this deployment accepts HTTP Basic "
            "client credentials on the xAPI only; get a token at /oauth/token)",
            headers={"WWW-Authenticate": f'Bearer realm="{_quoted(realm)}"'},
        )
    g.principal = principal
    return principal


def _basic_accepted(realm: str) -> bool:
    return realm == XAPI_REALM or current_app.config.get("KAKEHASHI_BASIC_AUTH", "everywhere") != "xapi"


def _authorization(realm: str) -> Authorization | None:
    """The parsed Authorization header. Werkzeug (3.1) raises ValueError instead of returning None
    for Basic credentials with non-ASCII characters (which cannot be base64)."""
    try:
        return request.authorization
    except ValueError:
        raise Unauthorized(
            "malformed HTTP Basic credentials: not base64 of client_id:client_secret",
            details={"header": "Authorization"},
            headers=_challenges(realm),
        ) from None


def _challenges(realm: str, bearer_error: str = "") -> dict[str, str]:
    # One header, both schemes the resource accepts (RFC 9110 §11.6.1): Basic first, which xAPI
    # clients expect; the Bearer challenge carries the RFC 6750 §3.1 error, if any.
    quoted = _quoted(realm)
    return {
        "WWW-Authenticate": f'Basic realm="{quoted}", charset="UTF-8", Bearer realm="{quoted}"{bearer_error}'
    }


def insufficient_scope_challenge(error: GatewayError) -> dict[str, str]:
    """The RFC 6750 §3.1 challenge a 403 `insufficient_scope` carries when the request used a
    Bearer token (HTTP Basic has no such challenge); {} otherwise. Used by gateway.http_errors."""
    if error.code != "insufficient_scope" or not has_request_context():
        return {}
    principal = g.get("principal")
    if principal is None or principal.token_id is None:
        return {}
    details = error.details if isinstance(error.details, dict) else {}
    required = details.get("required_scope") or []
    if isinstance(required, str):
        required = [required]
    challenge = 'Bearer error="insufficient_scope"'
    if required:
        challenge += f', scope="{_quoted(" ".join(required))}"'
    return {"WWW-Authenticate": challenge}
