"""HTTP endpoints of the OneRoster Rostering services: 1.2 under /ims/oneroster/rostering/v1p2 and
1.1 under /ims/oneroster/v1p1, one thin view per operation of `gateway.oneroster.operations`.

Requests authenticate with HTTP Basic client credentials; the operation's scope is checked before
the query parameters are, and errors are imsx_StatusInfo payloads (gateway.oneroster.status_info).
Collections answer with `X-Total-Count` and an RFC 8288 `Link` header (first, prev, next, last).

The 82 routes are plain Flask routes documented with hand-built OpenAPI path items rather than
flask-smorest decorators: smorest deep-copies every decorated view's documentation each time an app
is built, which cost ~1 s per app (every test builds one) for this many routes. The query parameters
are still parsed by the gateway's strict webargs parser (unknown parameters → 400).
"""

from __future__ import annotations

from urllib.parse import urlencode

import marshmallow as ma
from flask import Blueprint, Flask, current_app, g, jsonify, request
from webargs.fields import DelimitedList

from gateway.auth.http import authenticate_request
from gateway.extensions import StrictArgumentsParser
from gateway.http_errors import register_error_renderer
from gateway.oneroster import service
from gateway.oneroster.operations import OPERATIONS, RosterOperation
from gateway.oneroster.representation import Representation
from gateway.oneroster.status_info import status_info_response
from gateway.policy.release import require_roster_read

ONEROSTER_PREFIX = "/ims/oneroster/"
REALM = "Kakehashi OneRoster"
SERVICES = {
    # version: (blueprint name, URL prefix, resources service prefix, description)
    "1.2": (
        "oneroster_v1p2",
        "/ims/oneroster/rostering/v1p2",
        "/ims/oneroster/resources/v1p2",
        "OneRoster 1.2 Rostering service (read): orgs, academic sessions, courses, classes, users, "
        "enrollments, demographics",
    ),
    "1.1": (
        "oneroster_v1p1",
        "/ims/oneroster/v1p1",
        "/ims/oneroster/v1p1",
        "OneRoster 1.1 Rostering service (read): the same roster in the 1.1 JSON binding",
    ),
}
PARSER = StrictArgumentsParser()
INT32_MAX = 2**31 - 1  # limit and offset are int32 in the OneRoster binding


class CollectionArgs(ma.Schema):
    limit = ma.fields.Integer(
        load_default=service.DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=INT32_MAX),
        metadata={
            "description": f"Records per response (default 100; at most {service.MAX_LIMIT} are served)"
        },
    )
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=INT32_MAX))
    sort = ma.fields.String(metadata={"description": "Field to sort on (default: sourcedId)"})
    orderBy = ma.fields.String(validate=ma.validate.OneOf(["asc", "desc"]), load_default="asc")
    filter = ma.fields.String(
        metadata={"description": "OneRoster filter, e.g. status='active' AND dateLastModified>'2026-04-01'"}
    )
    fields = DelimitedList(ma.fields.String(), metadata={"description": "Comma-separated fields to return"})


class SingleArgs(ma.Schema):
    fields = DelimitedList(ma.fields.String(), metadata={"description": "Comma-separated fields to return"})


def _representation(version: str) -> Representation:
    public = current_app.config["KAKEHASHI_PUBLIC_URL"].rstrip("/")
    _, prefix, resources, _ = SERVICES[version]
    return Representation(version, public + prefix, public + resources)


def link_header(page: service.Page) -> str:
    """RFC 8288 links to the first, previous, next and last pages, keeping the other parameters."""
    base = current_app.config["KAKEHASHI_PUBLIC_URL"].rstrip("/") + request.path
    kept = [
        (name, value) for name, value in request.args.items(multi=True) if name not in ("limit", "offset")
    ]

    def url(offset: int) -> str:
        return f"{base}?{urlencode([*kept, ('limit', page.limit), ('offset', offset)])}"

    last = max(0, (page.total - 1) // page.limit * page.limit)
    links = [(url(0), "first")]
    if page.offset > 0:
        links.append((url(max(0, min(page.offset - page.limit, last))), "prev"))
    if page.offset + page.limit < page.total:
        links.append((url(page.offset + page.limit), "next"))
    links.append((url(last), "last"))
    return ", ".join(f'<{target}>; rel="{relation}"' for target, relation in links)


def _collection_view(operation: RosterOperation, version: str):
    def view(**params):
        args = PARSER.parse(CollectionArgs(), request, location="query")
        query = service.CollectionQuery(
            limit=args["limit"],
            offset=args["offset"],
            sort=args.get("sort"),
            order_by=args["orderBy"],
            filter=args.get("filter"),
            fields=tuple(args.get("fields") or ()),
        )
        page = service.read_collection(g.principal, operation, _representation(version), params, query)
        response = jsonify({operation.key: page.records})
        response.headers["X-Total-Count"] = str(page.total)
        response.headers["Link"] = link_header(page)
        return response

    return view


def _single_view(operation: RosterOperation, version: str):
    def view(sourcedId):  # noqa: N803 - the OneRoster parameter name
        args = PARSER.parse(SingleArgs(), request, location="query")
        fields = tuple(args.get("fields") or ())
        record = service.read_record(g.principal, operation, _representation(version), sourcedId, fields)
        return jsonify({operation.key: record})

    return view


def build_blueprint(version: str) -> Blueprint:
    name, prefix, _, _ = SERVICES[version]
    blp = Blueprint(name, __name__, url_prefix=prefix)
    by_endpoint = {f"{name}.{operation.operation_id}": operation for operation in OPERATIONS}

    @blp.before_request
    def authenticate_and_authorise() -> None:
        # Before the query parameters are parsed: 401, then 403, then 400.
        g.principal = authenticate_request(REALM)
        operation = by_endpoint.get(request.endpoint)
        if operation is not None:
            require_roster_read(g.principal, operation.access)

    for operation in OPERATIONS:
        make = _single_view if operation.single else _collection_view
        blp.add_url_rule(
            operation.flask_rule,
            endpoint=operation.operation_id,
            view_func=make(operation, version),
            methods=["GET"],
        )
    return blp


# OpenAPI documentation ------------------------------------------------------------------------------

_STATUS_INFO = "OneRosterStatusInfo"
_ERRORS = {
    "400": "Invalid query parameter, filter field (invalid_filter_field) or selection field "
    "(invalid_selection_field)",
    "401": "No or invalid client credentials (unauthorisedrequest)",
    "403": "The client lacks the operation's OneRoster scope (forbidden)",
    "404": "Unknown sourcedId, in the path or of a parent (unknownobject)",
}
_SELECTION = {
    "name": "fields",
    "in": "query",
    "description": "Comma-separated top-level fields to return (unknown field: 400)",
    "schema": {"type": "string"},
}
_COLLECTION_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "description": f"Records per response (default 100; a larger limit is served as {service.MAX_LIMIT})",
        "schema": {"type": "integer", "format": "int32", "minimum": 1, "default": service.DEFAULT_LIMIT},
    },
    {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "format": "int32", "minimum": 0, "default": 0},
    },
    {
        "name": "sort",
        "in": "query",
        "description": "Field to sort on (default: sourcedId)",
        "schema": {"type": "string"},
    },
    {
        "name": "orderBy",
        "in": "query",
        "schema": {"type": "string", "enum": ["asc", "desc"], "default": "asc"},
    },
    {
        "name": "filter",
        "in": "query",
        "description": "OneRoster filter, e.g. `status='active' AND dateLastModified>'2026-04-01T00:00:00Z'` "
        "(operators = != > >= < <= ~, AND/OR, dotted fields such as org.sourcedId)",
        "schema": {"type": "string"},
    },
    _SELECTION,
]
_COLLECTION_HEADERS = {
    "X-Total-Count": {
        "description": "How many records the whole collection has",
        "schema": {"type": "integer"},
    },
    "Link": {"description": "RFC 8288 links: first, prev, next, last", "schema": {"type": "string"}},
}
_SCOPES = {
    "core": "roster-core.readonly or roster.readonly",
    "roster": "roster.readonly",
    "demographics": "roster-demographics.readonly",
}


def _path_item(operation: RosterOperation, version: str, tag: str) -> dict:
    # Path parameters are documented from the Flask rule (flask-smorest's FlaskPlugin).
    parameters = [_SELECTION] if operation.single else _COLLECTION_PARAMETERS
    records = {"type": "object"} if operation.single else {"type": "array", "items": {"type": "object"}}
    success = {
        "description": f"`{operation.key}`: the {'record' if operation.single else 'records'} in the OneRoster "
        f"{version} JSON binding",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {operation.key: records},
                    "required": [operation.key],
                }
            }
        },
    }
    if not operation.single:
        success["headers"] = _COLLECTION_HEADERS
    error = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_STATUS_INFO}"}}}}
    return {
        "get": {
            "tags": [tag],
            "operationId": operation.operation_id + ("" if version == "1.2" else "V1p1"),
            "summary": f"{operation.operation_id} (scope {_SCOPES[operation.access]})",
            "parameters": parameters,
            "responses": {
                "200": success,
                **{status: {"description": why, **error} for status, why in _ERRORS.items()},
            },
            "security": [{"basicAuth": []}],
        }
    }


def _document(app: Flask, api) -> None:
    spec = api.spec
    spec.components.schema(
        _STATUS_INFO,
        {
            "type": "object",
            "description": "OneRoster's error payload (imsx_StatusInfo)",
            "properties": {
                "imsx_codeMajor": {
                    "type": "string",
                    "enum": ["success", "processing", "failure", "unsupported"],
                },
                "imsx_severity": {"type": "string", "enum": ["status", "warning", "error"]},
                "imsx_description": {"type": "string"},
                "imsx_CodeMinor": {
                    "type": "object",
                    "properties": {
                        "imsx_codeMinorField": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "imsx_codeMinorFieldName": {"type": "string"},
                                    "imsx_codeMinorFieldValue": {"type": "string"},
                                },
                            },
                        }
                    },
                },
            },
            "required": ["imsx_codeMajor", "imsx_severity"],
        },
    )
    for version, (name, _, _, description) in SERVICES.items():
        spec.tag({"name": name, "description": description})
        for operation in OPERATIONS:
            rule = next(app.url_map.iter_rules(f"{name}.{operation.operation_id}"))
            spec.path(rule=rule, operations=_path_item(operation, version, name), parameters=[])


def register(app: Flask, api) -> None:
    """The OneRoster services, their documentation and their error payload, on `app`."""
    register_error_renderer(app, ONEROSTER_PREFIX, status_info_response)
    for version in SERVICES:
        app.register_blueprint(build_blueprint(version))
    _document(app, api)
