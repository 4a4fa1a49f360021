"""The gateway's one error hierarchy; services raise these, handlers in errors_http.py shape them."""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """A domain error that maps to one HTTP status and a stable machine-readable code."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details
        self.headers = headers or {}


class BadRequest(GatewayError):
    status = 400
    code = "bad_request"


class Unauthorized(GatewayError):
    status = 401
    code = "unauthorized"


class Forbidden(GatewayError):
    status = 403
    code = "forbidden"


class NotFound(GatewayError):
    status = 404
    code = "not_found"


class MethodNotAllowed(GatewayError):
    status = 405
    code = "method_not_allowed"


class Conflict(GatewayError):
    status = 409
    code = "conflict"


class PreconditionFailed(GatewayError):
    status = 412
    code = "precondition_failed"


class PayloadTooLarge(GatewayError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(GatewayError):
    status = 415
    code = "unsupported_media_type"


class PreconditionRequired(GatewayError):
    status = 428
    code = "precondition_required"


class TooManyRequests(GatewayError):
    status = 429
    code = "too_many_requests"


class ServiceUnavailable(GatewayError):
    status = 503
    code = "service_unavailable"
