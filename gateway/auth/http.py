"""Reading the caller's credentials from an HTTP request."""

from __future__ import annotations

from flask import g, request

from gateway.auth.service import Principal, authenticate_client
from gateway.errors import Unauthorized

XAPI_REALM = "Kakehashi xAPI"


def authenticate_request(realm: str = XAPI_REALM) -> Principal:
    """The principal for the request's HTTP Basic credentials (stored on `g.principal`), or 401."""
    challenge = {"WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"'}
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        raise Unauthorized("authentication required: HTTP Basic credentials", headers=challenge)
    principal = authenticate_client(credentials.username or "", credentials.password or "")
    if principal is None:
        raise Unauthorized("invalid client credentials", headers=challenge)
    g.principal = principal
    return principal
