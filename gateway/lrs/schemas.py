"""Request/response schemas of the xAPI resources, for argument parsing and the OpenAPI document.
Statement bodies themselves are validated by gateway.lrs.validation (the spec's rules)."""

from __future__ import annotations

import marshmallow as ma

from gateway.lrs.formats import FORMATS


class AboutSchema(ma.Schema):
    version = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "xAPI versions supported"}
    )
    extensions = ma.fields.Dict(metadata={"description": "Extensions keyed by IRI"})


class StatementIdArgs(ma.Schema):
    statementId = ma.fields.String(required=True, metadata={"description": "UUID of the statement to store"})


class StatementQueryArgs(ma.Schema):
    """GET /statements parameters (xAPI "Statement Resource" query)."""

    statementId = ma.fields.String(metadata={"description": "Fetch one statement by id"})
    voidedStatementId = ma.fields.String(metadata={"description": "Fetch one voided statement by id"})
    agent = ma.fields.String(metadata={"description": "JSON Agent or identified Group (actor or object)"})
    verb = ma.fields.String(metadata={"description": "Verb IRI"})
    activity = ma.fields.String(metadata={"description": "Activity IRI (the object)"})
    registration = ma.fields.String(metadata={"description": "Registration UUID"})
    related_activities = ma.fields.Boolean(load_default=False)
    related_agents = ma.fields.Boolean(load_default=False)
    since = ma.fields.String(metadata={"description": "Only statements stored after this ISO 8601 timestamp"})
    until = ma.fields.String(metadata={"description": "Only statements stored at or before this timestamp"})
    limit = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0))
    format = ma.fields.String(load_default="exact", validate=ma.validate.OneOf(FORMATS))
    attachments = ma.fields.Boolean(load_default=False)
    ascending = ma.fields.Boolean(load_default=False)
    more = ma.fields.String(metadata={"description": "Opaque cursor from a previous page's `more` link"})


class StatementResultSchema(ma.Schema):
    statements = ma.fields.List(ma.fields.Dict(), required=True)
    more = ma.fields.String(
        required=True, metadata={"description": "Relative IRL of the next page, or empty"}
    )
