"""One place that turns exceptions into HTTP responses, in the gateway's JSON error shape.

A standard whose endpoints define their own error payload (OneRoster's imsx_StatusInfo) registers a
renderer for its path prefix with `register_error_renderer`; every error under that prefix is then
rendered by it, with the same status, code, message and headers."""

from __future__ import annotations

import logging

from flask import Flask, current_app, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from gateway.errors import GatewayError
from gateway.storage.connection import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

_WEBARGS_LOCATIONS = {"query", "querystring", "json", "form", "headers", "files"}


def register_error_renderer(app: Flask, path_prefix: str, renderer) -> None:
    """Errors of requests whose path starts with `path_prefix` are rendered by
    `renderer(status, code, message, details, headers)` instead of the gateway's shape."""
    app.extensions.setdefault("kakehashi.error_renderers", []).append((path_prefix, renderer))


def error_response(status: int, code: str, message: str, details=None, headers=None):
    if has_request_context():
        for prefix, renderer in current_app.extensions.get("kakehashi.error_renderers", ()):
            if request.path.startswith(prefix):
                return renderer(status, code, message, details, headers)
    body = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_webargs_messages(messages: dict) -> dict:
    """webargs reports {location: {field: [why]}}; callers want {field: why}."""
    flat = {}
    for location, fields in messages.items():
        if location in _WEBARGS_LOCATIONS and isinstance(fields, dict):
            flat.update({name: reasons for name, reasons in fields.items()})
        else:
            flat[location] = fields
    return flat


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(GatewayError)
    def handle_gateway_error(error: GatewayError):
        from gateway.auth.http import insufficient_scope_challenge

        headers = {**insufficient_scope_challenge(error), **(error.headers or {})}
        return error_response(error.status, error.code, error.message, error.details, headers)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        data = getattr(error, "data", None) or {}
        details = None
        if "messages" in data:
            details = _flatten_webargs_messages(data["messages"])
        code = (error.name or "error").lower().replace(" ", "_")
        message = data.get("message") or error.description or error.name
        if details:
            message = "invalid request parameters: " + ", ".join(sorted(details))
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110 §15.5.6: a 405 names the methods the resource supports.
            headers["Allow"] = ", ".join(error.valid_methods)
        return error_response(error.code or 500, code, message, details, headers)

    def handle_database_unavailable(error: Exception):
        log.error("database unavailable: %s", type(error).__name__)
        return error_response(
            503,
            "database_unavailable",
            "the database is unreachable; the request was not processed, retry later",
            headers={"Retry-After": "5"},
        )

    for error_type in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_type, handle_database_unavailable)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error")
        return error_response(
            500, "internal_error", "internal error; the request id identifies it in the logs"
        )
