"""Structured JSON logs, each line of a request carrying its request id."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept (so a proxy's id follows the request) only if it is short and plain.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("kakehashi.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        return True


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process (idempotent)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "kakehashi", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.kakehashi = True
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("pymongo").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("waitress").setLevel(max(logging.INFO, root.level))


def init_request_logging(app: Flask) -> None:
    """Gives every request an id (returned as X-Request-ID) and writes one access line for it.
    The access line never contains credentials, query strings or bodies."""

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _ACCEPTABLE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        principal = g.get("principal")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "client_id": principal.client_id if principal else None,
                "remote_addr": request.remote_addr,
            },
        )
        return response
