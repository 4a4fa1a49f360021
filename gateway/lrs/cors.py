"""Cross-Origin Resource Sharing (the Fetch standard's CORS protocol) for the xAPI resources:
xAPI content runs in browsers on other origins than the LRS (an LMS launches it from wherever it is
hosted), so every origin may call them. Clients authenticate with an Authorization header, which
scripts set themselves, never with cookies, so credentialed CORS (Access-Control-Allow-Credentials)
is not offered and a browser's own stored credentials are never usable from another origin."""

from __future__ import annotations

from flask import request

ALLOWED_METHODS = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
# The request headers xAPI uses (1.0.3 Communication 1.2) that are not CORS-safelisted; the
# Authorization header must be named, "*" does not cover it.
ALLOWED_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, Accept-Language, "
    "X-Request-ID"
)
# The response headers scripts need to read, beyond the safelisted ones (Content-Type, Last-Modified...).
EXPOSED_HEADERS = (
    "ETag, X-Experience-API-Version, X-Experience-API-Consistent-Through, X-Request-ID, WWW-Authenticate"
)
PREFLIGHT_MAX_AGE_S = 3600


def is_preflight() -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def allow_cross_origin(response):
    """after_request hook: the CORS headers of a response to a cross-origin request or preflight."""
    if "Origin" not in request.headers:
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    if is_preflight():
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_S)
    else:
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
