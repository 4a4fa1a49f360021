"""flask-smorest adapted to the gateway: 400 (not 422) on bad arguments, unknown query parameters
rejected, and the gateway's error shape; every context builds its blueprints from `Blueprint`."""

from __future__ import annotations

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser


class StrictArgumentsParser(FlaskParser):
    """xAPI and OneRoster require 400 for bad parameters and rejecting unknown ones."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictArgumentsParser()


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for people"})
    details = ma.fields.Raw(metadata={"description": "Which field and why, when known"})


class ErrorSchema(ma.Schema):
    """The gateway's error body (standards-defined endpoints may use their own)."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Handlers are registered by gateway.http_errors, once, for every error type."""
